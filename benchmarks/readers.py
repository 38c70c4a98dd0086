"""Week-long device files: lrm's binary readers against the Python peers that read the same format.

    python benchmarks/readers.py                 # 7-day 100 Hz files, every installed peer, 2 rounds
    python benchmarks/readers.py --days 1        # a quick look

The files are one leg of a simulated 7-day recording (``lrm.sim.multiday``: simulated nights, worn and
not-worn days), written as an AX3 ``.cwa``, a ``.gt3x`` (idle sleep on) and a GENEActiv ``.bin``. Each reader
runs in a fresh process (whole-process wall time and peak RSS, as a user's script would see them), the
readers of a format in turn, ``--rounds`` rounds, best of each: a slow spell of this shared machine then
slows all of them alike. Peers: scikit-digital-health (``skdh.io.ReadCwa``/``ReadBin``; it has no .gt3x
reader), actipy (``read_device`` with every processing step off; Java), pygt3x (``FileReader``, with
``--slow-peers``: it needs ~6 min and ~10 GB for a week). Install them with ``pip install -e ".[bench]"``.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from run import Row, render, run_child, verdict  # noqa: E402  (benchmarks/run.py, the one command)

READ_SCRIPT = """
import sys, time, warnings
warnings.simplefilter("ignore")
which, path = sys.argv[1], sys.argv[2]
start = time.perf_counter()
if which == "lrm":
    from lrm.io.registry import read_file, ReadOptions
    rec = read_file(path, ReadOptions(), digest=False)
    n = rec.legs["left"].n_samples
elif which == "actipy":
    import actipy
    data, info = actipy.read_device(path, lowpass_hz=None, calibrate_gravity=False, detect_nonwear=False,
                                    resample_hz=None, verbose=False)
    n = len(data)
elif which == "skdh":
    import skdh
    reader = skdh.io.ReadCwa() if path.endswith(".cwa") else skdh.io.ReadBin()
    n = len(reader.predict(file=path)["time"])
elif which == "pygt3x":
    from pygt3x.reader import FileReader
    with FileReader(path) as reader:
        n = len(reader.to_pandas())
print(f"READ={n} {time.perf_counter() - start}")
"""

PEERS = {".cwa": ("skdh", "actipy"), ".gt3x": ("actipy", "pygt3x"), ".bin": ("skdh", "actipy")}
MODULES = {"skdh": "skdh", "actipy": "actipy", "pygt3x": "pygt3x"}


def make_files(folder: Path, days: int, rate_hz: float) -> dict[str, Path]:
    """One leg of a ``days``-night recording as .cwa, then the same samples as .gt3x and .bin."""
    from lrm.io import axivity_cwa
    from lrm.io.device_writers import Segment, write_geneactiv_bin, write_gt3x
    from lrm.io.registry import ReadOptions
    from lrm.sim.multiday import plan_multiday, write_multiday

    md = plan_multiday(days, seed=12, rate_hz=rate_hz, sides=("left",))
    cwa = write_multiday(md, folder, "cwa")["left"]
    src = axivity_cwa.open_source(cwa, ReadOptions())

    def hours():  # noqa: ANN202 - the .cwa's samples an hour at a time, as whole seconds
        t = float(int(src.start_s))
        while t < src.end_s:
            leg = src.read(t, t + 3600.0).legs["left"]
            n = leg.n_samples // int(rate_hz) * int(rate_hz)
            if n:
                yield Segment(t, leg.accel_g[:n])
            t += 3600.0

    gt3x = write_gt3x(folder / "left.gt3x", hours(), fs_hz=rate_hz, idle_sleep=True)
    pages = int((src.end_s - src.start_s) * rate_hz) // 300
    binary = write_geneactiv_bin(folder / "left.bin", hours(), fs_hz=rate_hz, n_pages_hint=pages)
    return {".cwa": cwa, ".gt3x": gt3x, ".bin": binary}


def bench_readers(folder: Path, days: int = 7, rate_hz: float = 100.0, rounds: int = 2,
                  slow_peers: bool = False) -> list[Row]:
    """Rows per format: lrm and each installed peer (samples/s, peak RSS), lrm's ratios to the fastest peer."""
    print(f"writing {days}-day {rate_hz:g} Hz .cwa, .gt3x and .bin files ...", file=sys.stderr)
    files = make_files(folder, days, rate_hz)
    rows: list[Row] = []
    for suffix, path in files.items():
        readers = ["lrm"] + [p for p in PEERS[suffix] if importlib.util.find_spec(MODULES[p]) is not None
                             and (slow_peers or p != "pygt3x")]
        best: dict[str, tuple[float, float, int]] = {}
        for _ in range(rounds):
            for which in readers:
                print(f"  {suffix} {which} ...", file=sys.stderr)
                try:
                    wall, rss, text = run_child([sys.executable, "-c", READ_SCRIPT, which, str(path)])
                except RuntimeError as exc:
                    best.setdefault(which, (float("nan"), float("nan"), 0))
                    print(f"    failed: {str(exc)[-300:]}", file=sys.stderr)
                    continue
                n, _read_s = text.rsplit("READ=", 1)[1].split()
                if which not in best or wall < best[which][0]:
                    best[which] = (wall, rss, int(n))
        size_mb = path.stat().st_size / 1e6
        peers = {w: v for w, v in best.items() if w != "lrm" and v[2]}
        fastest = min(peers, key=lambda w: peers[w][0]) if peers else None
        for which, (wall, rss, n) in best.items():
            name = f"{suffix} {days}-day {rate_hz:g} Hz ({size_mb:.0f} MB), {which}"
            if not n:
                rows.append(Row(name, "failed", "", "", "skipped"))
                continue
            value = f"{wall:.1f} s, {n / wall / 1e6:.1f} M samples/s, peak RSS {rss:.0f} MiB"
            if which == "lrm" and fastest is not None:
                f_wall, f_rss, _ = peers[fastest]
                ratio = f"{f_wall / wall:.1f}x faster than {fastest}, {rss / f_rss:.2f}x its memory"
                rows.append(Row(name, value, ratio, "faster, <= 1.2x memory",
                                verdict(wall <= f_wall and rss <= 1.2 * f_rss)))
            else:
                rows.append(Row(name, value))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=7, help="nights in the recording (default 7)")
    parser.add_argument("--rate", type=float, default=100.0, help="sampling rate in Hz (default 100)")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of all readers in turn (default 2)")
    parser.add_argument("--slow-peers", action="store_true", help="also time pygt3x (~6 min, ~10 GB for 7 days)")
    args = parser.parse_args(argv)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="lrm-readers-") as tmp:
        rows = bench_readers(Path(tmp), args.days, args.rate, args.rounds, args.slow_peers)
    print(render(rows))
    print(f"({time.perf_counter() - start:.0f} s)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
