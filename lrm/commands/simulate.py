"""``lrm simulate``: write a simulated night (per-leg CSVs or a native recording) and its truth."""

from __future__ import annotations

import argparse
from pathlib import Path

HELP = "simulate a night of ankle accelerometry with known truth (test bed, teaching)"

DESCRIPTION = """\
Simulate one night of one or two ankle sensors and write what the sensors delivered together with
DIR/truth.json, which lists every true event (leg movements per leg, hypnic jerks, roll-overs, walking,
fidgets, foot tremor) on the true clock, the lights-out/on and sleep-onset times, each sensor's clock
drift, offset and gaps, and the WASM 2016 result on the true leg movements.

The night is realistic but simulated: sensor noise, int16 quantisation, random mounting, clock drift
(+-100 ppm), timestamp jitter and BLE gaps are all drawn from the seed. It is a test bed, not evidence.

Profiles: healthy (PLM index 0-4/h), plmd (15-60/h), rls (12-45/h, wake LMs, more one-sided LMs,
longer sleep latency), hypnic (few PLMs, 5-12 hypnic jerks at sleep onsets).

Families: classic (the default: lrm's first simulator, 50 Hz unless --rate), wide (the validation's ranges:
10-200 Hz, noise 1-15 mg, quantisation up to 16 mg, LM median peaks 15-300 mg, rotation-, twitch- and
tremor-like LMs from a shank model, jerk variants; the rate is drawn unless --rate) and hard (noisy,
coarse, 10-32 Hz, small LMs, more gaps and distractors). See python -m lrm.validate.
"""

EPILOG = """\
examples:
  lrm simulate --out sim1                                  8 h PLMD night, two legs at 50 Hz, CSVs
  lrm simulate --out sim2 --profile hypnic --seed 7 --hours 7.5
  lrm simulate --out sim3 --rate 25 --right-rate 100       different sample rates per leg
  lrm simulate --out sim4 --native --one-leg right         native recording of the right ankle only
  lrm simulate --out sim5 --family hard --seed 3           a hard night (rate, noise, LSB drawn)
  lrm analyze --left sim1/left.csv --right sim1/right.csv --out sim1-result
"""

WRITTEN = ("left.csv", "right.csv", "left.parquet", "right.parquet", "recording.json", "truth.json")


def _hours(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of hours: {text!r}") from None
    if not 1.0 / 6.0 <= value <= 48.0:
        raise argparse.ArgumentTypeError(f"hours must lie in [0.17, 48], got {text}")
    return value


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a sample rate in Hz: {text!r}") from None
    if not 10.0 <= value <= 1000.0:
        raise argparse.ArgumentTypeError(f"the sample rate must lie in [10, 1000] Hz, got {text}")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", metavar="DIR", required=True, help="output directory (must be empty or new)")
    parser.add_argument("--profile", choices=("healthy", "plmd", "rls", "hypnic"), default="plmd",
                        help="the sleeper (default: plmd)")
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="random seed: same seed, same night (default 0)")
    parser.add_argument("--hours", type=_hours, default=8.0, metavar="H", help="recording length in hours (default 8)")
    parser.add_argument("--family", choices=("classic", "wide", "hard"), default="classic",
                        help="the ranges the night is drawn from (default: classic)")
    parser.add_argument("--rate", type=_rate, metavar="HZ",
                        help="sample rate in Hz (default: 50 in the classic family, drawn in wide and hard)")
    parser.add_argument("--right-rate", type=_rate, metavar="HZ", help="a different sample rate for the right leg")
    parser.add_argument("--one-leg", nargs="?", const="left", choices=("left", "right"), metavar="SIDE",
                        help="simulate one ankle only (left unless SIDE is given)")
    parser.add_argument("--native", action="store_true",
                        help="write a native recording directory (int16 Parquet) instead of CSVs")
    parser.add_argument("--force", action="store_true", help="replace lrm simulate's files in an existing DIR")


def run(args: argparse.Namespace) -> int:
    from lrm.errors import LrmError, OutputExistsError
    from lrm.sim.night import simulate, write_simulation

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise OutputExistsError(str(out), "--out must name a directory")
    if out.is_dir() and any(out.iterdir()):
        if not args.force:
            raise OutputExistsError(str(out), "choose an empty or new --out, or add --force to replace a simulation")
        for name in WRITTEN:
            (out / name).unlink(missing_ok=True)
    sides = (args.one_leg,) if args.one_leg else ("left", "right")
    rates = None
    if args.rate is not None or args.family == "classic":
        rates = {side: args.rate or 50.0 for side in sides}
    if args.right_rate and "right" in sides:
        if rates is None:
            raise LrmError(f"--right-rate {args.right_rate:g} without --rate: the {args.family} family draws the rate. "
                           "Fix: pass --rate HZ too")
        rates["right"] = args.right_rate
    sim = simulate(args.profile, seed=args.seed, hours=args.hours, rate_hz=rates, sides=sides, family=args.family)
    paths = write_simulation(sim, out, native=args.native)
    _print(sim, paths, out, args)
    return 0


def _print(sim, paths, out: Path, args: argparse.Namespace) -> None:  # noqa: ANN001
    truth = sim.truth
    legs = ", ".join(f"{side} {leg.fs_hz:g} Hz ({leg.n_samples:,} samples)" for side, leg in sim.recording.legs.items())
    print(f"simulated a {args.hours:g} h '{truth.profile}' night ({truth.family} family, seed {truth.seed}): {legs}")
    print("wrote " + ", ".join(str(p) for p in paths))
    counts = truth.events["type"].value_counts().to_dict()
    lm = truth.lms()
    print(f"truth: {truth.time_in_bed_h:.2f} h in bed, sleep onset {truth.sleep_onsets_s[0] / 60:.0f} min after the start, "
          f"{len(lm)} leg movements on {len(lm['movement_id'].unique())} occasions, "
          f"{counts.get('hypnic_jerk', 0)} hypnic jerk(s), {counts.get('posture_change', 0)} posture changes")
    if truth.scored is not None:
        s = truth.scored.summary
        print(f"true PLM index (WASM 2016 on the true LMs, {truth.analysis_h:.2f} h): {s.plm_index:.1f}/h "
              f"({s.plm_count} PLMs in {s.plm_series_count} series)")
    if args.native:
        print(f"analyse it:  lrm analyze {out} --out {out}-result")
    elif len(sim.recording.legs) == 2:
        print(f"analyse it:  lrm analyze --left {out / 'left.csv'} --right {out / 'right.csv'} --out {out}-result")
    else:
        side = sim.recording.sides[0]
        print(f"analyse it:  lrm analyze {out / (side + '.csv')} --side {side} --out {out}-result")
