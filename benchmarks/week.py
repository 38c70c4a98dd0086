"""A week of two-leg 100 Hz device data analysed night by night: wall time per night and whole-process peak RSS.

    python benchmarks/week.py                    # 7 nights, AX3 .cwa, 100 Hz, 2 runs
    python benchmarks/week.py --nights 3 --runs 1

The recording is ``lrm.sim.multiday``'s (simulated nights, worn days and days off the ankle, one night not
worn), written as one AX3 ``.cwa`` per leg; ``lrm analyze --left L.cwa --right R.cwa --out DIR`` runs in a
fresh process (whole-process wall time and peak RSS; the target is <= 1 GiB). Every night must be listed
in nights.csv, the night off the ankle as non-wear.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import Row, render, run_child, verdict  # noqa: E402  (benchmarks/run.py, the one command)

GIB = 1024.0  # MiB


def bench_week(folder: Path, nights: int = 7, rate_hz: float = 100.0, runs: int = 2) -> list[Row]:
    """Rows: the files, lrm analyze's wall time (per night of data) and peak RSS, the nights table's check."""
    import pandas as pd

    from lrm.sim.multiday import plan_multiday, write_multiday

    worn = tuple(k != nights // 2 for k in range(nights))              # the middle night off the ankle
    md = plan_multiday(nights, seed=7, rate_hz=rate_hz, night_worn=worn)
    print(f"writing a {nights}-night two-leg {rate_hz:g} Hz recording ...", file=sys.stderr)
    paths = write_multiday(md, folder / "files", "cwa")
    hours = (md.end_s - md.start_s) / 3600.0
    size_mb = sum(p.stat().st_size for p in paths.values()) / 1e6
    best = None
    for attempt in range(runs):
        out = folder / f"out{attempt}"
        print(f"  lrm analyze, run {attempt + 1} ...", file=sys.stderr)
        wall, rss, _ = run_child([sys.executable, "-m", "lrm", "analyze", "--left", str(paths["left"]),
                                  "--right", str(paths["right"]), "--out", str(out)])
        if best is None or wall < best[0]:
            best = (wall, rss, out)
    assert best is not None
    wall, rss, out = best
    table = pd.read_csv(out / "nights.csv")
    statuses = table["status"].value_counts().to_dict()
    for _, night in table[table["status"] != "ok"].iterrows():
        print(f"  {night['date']}: {night['status']}: {night['reason']}", file=sys.stderr)
    listed = len(table) >= nights and statuses.get("non-wear", 0) >= 1
    return [
        Row(f"{nights}-night two-leg {rate_hz:g} Hz recording ({hours:.0f} h, 2 x .cwa, {size_mb:.0f} MB)",
            f"nights.csv: {len(table)} rows, {statuses}", "", "every night listed, the night off as non-wear",
            verdict(listed)),
        Row("  lrm analyze (night by night), fresh process", f"{wall:.1f} s, {wall / nights:.1f} s per night of data",
            f"{hours * 3600 / wall:,.0f}x real time"),
        Row("  lrm analyze, whole-process peak RSS", f"{rss:.0f} MiB", "", "<= 1 GiB", verdict(rss <= GIB)),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nights", type=int, default=7, help="nights in the recording (default 7)")
    parser.add_argument("--rate", type=float, default=100.0, help="sampling rate in Hz (default 100)")
    parser.add_argument("--runs", type=int, default=2, help="runs of lrm analyze, best kept (default 2)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="lrm-week-") as tmp:
        print(render(bench_week(Path(tmp), args.nights, args.rate, args.runs)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
