"""``lrm score-events``: WASM 2016 / AASM indices from technician-scored leg movements."""

from __future__ import annotations

import argparse

from lrm.rules.rulesets import RULESET_NAMES

HELP = "score technician-scored leg movements (LM CSV or RemLogic export) into PLMs and indices"

DESCRIPTION = """\
Apply the WASM 2016 (default) or AASM rules to leg movements that are already scored, e.g. exported
from polysomnography software, and write DIR/events.csv (one row per LM: CLM, PLM series, IMI, stage,
respiratory and arousal association) and DIR/summary.json (LM/CLM/PLM index, PLMS/PLMW index,
PLMSnr, periodicity, IMI histogram...).

EVENTS is either
  - a CSV with a header 'onset_s,offset_s,side' (seconds since the recording start; side left/right or
    L/R; optional 'type' column), with --hypnogram / --respiratory / --arousals files as needed, or
  - a RemLogic (Natus/Embla) event export (.txt): its PLM-LM events (tibialis left/right), 30 s sleep
    stages, arousals and apneas/hypopneas are all used; the analysis period is lights off to lights on
    (the scored epochs) unless --hours or --start/--end say otherwise.

File layouts: hypnogram 'onset_s,stage' per 30 s epoch (or one stage per line from 0 s), stages
W/N1/N2/N3/R/?; respiratory events and arousals 'onset_s,offset_s'.
"""

EPILOG = """\
examples:
  lrm score-events sample_data/example_events.csv --hypnogram sample_data/example_hypnogram.csv --out scored
  lrm score-events lms.csv --hours 7.5 --out night1                   per hour of 7.5 h in bed
  lrm score-events lms.csv --start 1800 --end 30600 --out night1      analyse 1800-30600 s only
  lrm score-events night-Events.txt --rules aasm --out night1-aasm    RemLogic export, AASM rules
  lrm score-events lms.csv --hours 8 --respiratory apneas.csv --arousals arousals.csv --out n1 --force
"""


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise argparse.ArgumentTypeError(f"not a finite number of seconds: {text!r}")
    return value


def _hours(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of hours: {text!r}") from None
    if not 0 < value <= 48:  # NaN and inf fail too; lrm.io.plausibility.MAX_NIGHT_S
        raise argparse.ArgumentTypeError(f"{text!r}: give the time in bed in hours, more than 0 and at most 48")
    return value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("events", metavar="EVENTS",
                        help="LM CSV (onset_s,offset_s,side), RemLogic event export, or EDF+ with LM annotations")
    parser.add_argument("--out", metavar="DIR", required=True, help="output directory (events.csv, summary.json, report.html)")
    parser.add_argument("--rules", choices=RULESET_NAMES, default="wasm2016",
                        help="scoring standard (default: wasm2016)")
    period = parser.add_mutually_exclusive_group()
    period.add_argument("--hours", type=_hours, metavar="H",
                        help="analysis period (time in bed) in hours: denominator of the LM/CLM/PLM index")
    period.add_argument("--start", type=_seconds, metavar="T", help="analysis start in s since the recording start")
    parser.add_argument("--end", type=_seconds, metavar="T", help="analysis end in s (with --start)")
    parser.add_argument("--hypnogram", metavar="FILE", help="30 s sleep stages: 'onset_s,stage', one stage per line, or EDF+ annotations")
    parser.add_argument("--respiratory", metavar="FILE", help="apneas/hypopneas/RERAs: 'onset_s,offset_s' CSV or EDF+ annotations")
    parser.add_argument("--arousals", metavar="FILE", help="arousals: 'onset_s,offset_s' CSV or EDF+ annotations")
    parser.add_argument("--pdf", action="store_true", help="also write DIR/report.pdf (A4)")
    parser.add_argument("--force", action="store_true", help="replace an existing DIR/summary.json")


def _fmt(value: object, unit: str = "/h") -> str:
    return "n/a" if value is None else f"{value:.1f}{unit}"


def _print_summary(s: dict, out: str) -> None:
    print(f"rules {s['rules']}: {s['time_in_bed_h']:.2f} h analysed"
          + (f", {s['total_sleep_time_h']:.2f} h sleep" if s["total_sleep_time_h"] is not None else ""))
    print(f"  LM  {s['lm_count']:5d}  {_fmt(s['lm_index'])}   (left {s['left_lm_count']}, right "
          f"{s['right_lm_count']}, bilateral {s['bilateral_lm_count']})")
    print(f"  CLM {s['clm_count']:5d}  {_fmt(s['clm_index'])}")
    print(f"  PLM {s['plm_count']:5d}  {_fmt(s['plm_index'])}   in {s['plm_series_count']} series; "
          f"periodicity index {'n/a' if s['periodicity_index'] is None else format(s['periodicity_index'], '.2f')}")
    if s["plms_index"] is not None:
        print(f"  PLMS index {_fmt(s['plms_index'])}, PLMW index {_fmt(s['plmw_index'])}")
    if s["plms_nr_index"] is not None or s["plm_nr_index"] is not None:
        print(f"  without respiratory-related CLMs ({s['clmr_count']} CLMr): PLM {_fmt(s['plm_nr_index'])}"
              + (f", PLMS {_fmt(s['plms_nr_index'])}" if s["plms_nr_index"] is not None else ""))
    if s["plms_arousal_index"] is not None:
        print(f"  PLMS with arousal {_fmt(s['plms_arousal_index'])}")
    print(f"wrote {out}/events.csv and {out}/summary.json")


def run(args: argparse.Namespace) -> int:
    import dataclasses
    from pathlib import Path

    from lrm.errors import InputError
    from lrm.io.provenance import input_files
    from lrm.api import score_events
    from lrm.io.night_dir import check_outputs, night_outputs, save_night
    from lrm.night_files import night_report

    if (args.start is None) != (args.end is None):
        raise InputError(args.events, "--start/--end", "only one end of the analysis period given",
                         "give both --start T and --end T (s since the recording start), or --hours H")
    out = Path(args.out)
    check_outputs(night_outputs(out, trace=False, pdf=args.pdf), overwrite=args.force,
                  inputs=(args.events, args.hypnogram, args.respiratory, args.arousals))  # before anything is read
    scored = score_events(args.events, rules=args.rules, hypnogram=args.hypnogram, respiratory=args.respiratory,
                          arousals=args.arousals, hours=args.hours, start_s=args.start, end_s=args.end)
    files = input_files({"events": args.events, "hypnogram": args.hypnogram, "respiratory": args.respiratory,
                         "arousals": args.arousals})
    night = dataclasses.replace(scored, summary=dataclasses.replace(scored.summary, input_files=files))
    save_night(night, out, overwrite=args.force, report=night_report(night, pdf=args.pdf), pdf=args.pdf)
    _print_summary(night.summary.to_dict(), args.out)
    from lrm.commands.analyze import print_report_line

    print_report_line(out, pdf=args.pdf)
    return 0
