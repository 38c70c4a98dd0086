"""Benchmark: streaming (online) LM detection, two legs at 100 Hz (issue 7: <= 0.1% of a core).

Simulates a night (default 1 h, two legs, 100 Hz), then pushes it through one ``OnlineDetector`` per leg in
BLE-packet-sized chunks (10 samples, interleaved as a recorder would) and reports the process CPU time of
the signal path as a share of one core: cpu_time / data_duration. Simulation time is not counted.

    python benchmarks/online.py [--hours 1] [--rate 100] [--chunk 10] [--update 5]
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--hours", type=float, default=1.0)
    ap.add_argument("--rate", type=float, default=100.0)
    ap.add_argument("--chunk", type=int, default=10, help="samples per push (one BLE packet)")
    ap.add_argument("--update", type=float, default=30.0, help="OnlineDetector.update_s (its default)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    from lrm.signal.online import OnlineDetector
    from lrm.sim.night import simulate

    rec = simulate("plmd", seed=args.seed, hours=args.hours, rate_hz=args.rate).recording
    legs = rec.legs
    dets = {s: OnlineDetector(fs_hz=leg.fs_hz, origin_s=rec.start_s, side=s, update_s=args.update)
            for s, leg in legs.items()}
    import lrm.pipeline  # noqa: F401  (import cost is not streaming cost)

    n = max(leg.t_s.size for leg in legs.values())
    t0 = time.process_time()
    for i in range(0, n, args.chunk):
        for s, leg in legs.items():
            if i < leg.t_s.size:
                dets[s].push(leg.t_s[i : i + args.chunk], leg.accel_g[i : i + args.chunk])
    for d in dets.values():
        d.finish(rec.end_s)
    cpu_s = time.process_time() - t0
    data_s = rec.end_s - rec.start_s
    lms = {s: len(d.lms) for s, d in dets.items()}
    lat = max(d.lookahead_s + d.update_s + d.params.detect.min_quiet_s for d in dets.values())
    print(f"online detection, {len(legs)} legs x {args.rate:g} Hz, {data_s / 3600:.2f} h of data, "
          f"{args.chunk} samples per push")
    print(f"  CPU {cpu_s:.3f} s = {100 * cpu_s / data_s:.4f} % of a core (goal <= 0.1 %); LMs {lms}; "
          f"latency <= {lat:.1f} s")


if __name__ == "__main__":
    main()
