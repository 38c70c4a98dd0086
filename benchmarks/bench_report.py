"""Benchmark: the reports of issue 13, for an 8 h two-leg accelerometer night, the real RemLogic night and a
week of nights.

    python benchmarks/bench_report.py [--hours 8] [--repeat 3] [--nights 7]

Target (issues 4 and 13): report generation for a night < 3 s, report.html < 3 MB. Prints the in-process time
of ``write_report`` (imports warm; best and worst of ``--repeat``), the size of the report and of the night's
snippets.npz, and the wall time of a fresh ``lrm report DIR`` process (cold imports).
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

from lrm.api import score_events
from lrm.pipeline import analyze
from lrm.report.html import write_multi_night_report, write_report
from lrm.sim.night import simulate

REMLOGIC = Path(__file__).resolve().parents[2] / "shared/data/lm_ground_truth/matplm_score/G20877_V1N2_AidRLS-Events.txt"


def timed(label: str, build, repeat: int) -> Path:  # noqa: ANN001 - a callable returning the report's path
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        path = build()
        times.append(time.perf_counter() - t0)
    print(f"{label}: best {min(times):.2f} s, worst {max(times):.2f} s; {path.name} {path.stat().st_size / 1e6:.2f} MB")
    return path


def one_of_a_week(k: int, out: Path) -> Path:
    """Night ``k`` of one subject's week (2 h simulated nights, one evening apart)."""
    night = analyze(simulate("plmd", seed=k, hours=2.0).recording)
    start = f"2026-03-{k:02d}T21:30:00Z"
    return dataclasses.replace(night, summary=dataclasses.replace(night.summary, subject="S01", recording_start=start)).save(out)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--nights", type=int, default=7)
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        out = analyze(simulate("plmd", seed=1, hours=args.hours).recording).save(Path(tmp) / "night")
        write_report(out)  # warm the imports
        timed(f"write_report, {args.hours:g} h accelerometer night (in process)", lambda: write_report(out), args.repeat)
        print(f"  snippets.npz {(out / 'snippets.npz').stat().st_size / 1e6:.2f} MB")
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "lrm", "report", str(out)], check=True, capture_output=True)
        print(f"lrm report DIR (fresh process, cold imports): {time.perf_counter() - t0:.2f} s")
        if REMLOGIC.is_file():
            scored = score_events(REMLOGIC).save(Path(tmp) / "remlogic")
            timed("write_report, RemLogic night G20877 (in process)", lambda: write_report(scored), args.repeat)
        nights = [one_of_a_week(k, Path(tmp) / f"n{k}") for k in range(1, args.nights + 1)]
        timed(f"write_multi_night_report, {args.nights} nights (in process)",
              lambda: write_multi_night_report(nights, Path(tmp) / "nights.html"), args.repeat)


if __name__ == "__main__":
    main()
