"""Benchmark: build the HTML report of an analysed 8 h two-leg night.

    python benchmarks/bench_report.py [--hours 8] [--repeat 3]

Target (issue 4): report generation for a night < 3 s, report.html < 3 MB. Prints the in-process time of
``write_report`` (imports warm) and the wall time of a fresh ``lrm report DIR`` process (cold imports).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lrm.pipeline import analyze, write_night
from lrm.report.html import write_report
from lrm.sim.night import simulate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--hours", type=float, default=8.0)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        out = write_night(analyze(simulate("plmd", seed=1, hours=args.hours).recording), Path(tmp) / "night")
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            report = write_report(out)
            times.append(time.perf_counter() - t0)
        print(f"write_report, {args.hours:g} h night (in process): best {min(times):.2f} s, "
              f"worst {max(times):.2f} s; report.html {report.stat().st_size / 1e6:.2f} MB")
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "lrm", "report", str(out)], check=True, capture_output=True)
        print(f"lrm report DIR (fresh process, cold imports): {time.perf_counter() - t0:.2f} s")


if __name__ == "__main__":
    main()
