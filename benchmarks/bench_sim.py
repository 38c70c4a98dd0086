"""Benchmark: simulate an 8 h two-leg night and read it back through the generic-csv reader.

    python benchmarks/bench_sim.py [--rate 100] [--hours 8]

Targets (issue 3): an 8 h two-leg 100 Hz night simulated in a few seconds; an 8 h 100 Hz CSV
(2.9 M rows) read in a couple of seconds per leg, with modest peak memory.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

from lrm.io.registry import read
from lrm.sim.night import simulate, write_simulation


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=100.0)
    parser.add_argument("--hours", type=float, default=8.0)
    args = parser.parse_args()
    t0 = time.perf_counter()
    sim = simulate("plmd", seed=1, hours=args.hours, rate_hz=args.rate)
    t1 = time.perf_counter()
    print(f"simulate {args.hours:g} h, two legs at {args.rate:g} Hz: {t1 - t0:.2f} s "
          f"({sum(leg.n_samples for leg in sim.recording.legs.values()):,} samples)")
    with tempfile.TemporaryDirectory() as tmp:
        write_simulation(sim, tmp)
        t2 = time.perf_counter()
        print(f"write CSVs: {t2 - t1:.2f} s ({(Path(tmp) / 'left.csv').stat().st_size / 1e6:.0f} MB per leg)")
        del sim
        rec = read(Path(tmp) / "left.csv", side="left")
        t3 = time.perf_counter()
        print(f"read one leg's CSV (generic-csv): {t3 - t2:.2f} s, {rec.legs['left'].n_samples:,} rows")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3:.0f} MB")


if __name__ == "__main__":
    main()
