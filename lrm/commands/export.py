"""``lrm export``: write a night as EDF+ (accelerometer channels in g + LM/PLM/hypnic-jerk/gap annotations)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

HELP = "export a recording as EDF+ with leg-movement annotations (opens in EDFbrowser, MNE, Luna)"
DESCRIPTION = """\
Write an EDF+ file with three accelerometer channels per ankle (labels 'MISC ACC_L_X' ... 'MISC ACC_R_Z':
MNE's read_raw_edf(..., infer_types=True) types them misc; physical dimension g, each leg at its own rate
rounded to whole Hz; start date and time in the recording's local clock time, its zone in the recording
field) and annotations for limb movements, PLMs, hypnic jerks and gaps, labelled NSRR-style ('Limb movement - left|Limb Movement (Left)', 'Periodic leg movement -
left|PLM (Left)', 'Hypnic jerk', 'Gap (left)').

SOURCE is a recording (file or recording directory: the events come from analysing it with the default
parameters), or an output directory of 'lrm analyze' holding events.csv (the events are taken from it;
give the recording with --left/--right, or lrm uses the input files named in its summary.json).
An existing EDF file is never replaced without --force. lrm reads the file back ('lrm analyze night.edf').
"""
EPILOG = """\
examples:
  lrm export night1 --edf night1.edf                      analyse the recording directory, write EDF+
  lrm export --left L.cwa --right R.cwa --edf night.edf
  lrm export results/night1 --left L.csv --right R.csv --edf night1.edf   events from an analysis
  lrm export night1 --edf night1.edf --no-events          signals and gaps only
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("source", nargs="?", metavar="RECORDING_OR_DIR",
                        help="recording file/directory, or an analysis output directory with events.csv")
    parser.add_argument("--left", metavar="FILE", help="left-ankle file")
    parser.add_argument("--right", metavar="FILE", help="right-ankle file")
    parser.add_argument("--edf", required=True, metavar="OUT.edf", help="EDF+ file to write")
    parser.add_argument("--format", default="auto", help="input format (see 'lrm formats'; default: auto)")
    parser.add_argument("--side", choices=("left", "right"),
                        help="ankle of a single-leg SOURCE file (default: from its name or metadata)")
    parser.add_argument("--tz", metavar="ZONE", help="time zone of files that do not state it (IANA name or +-HH:MM): "
                        "the EDF start is written in its local clock time")
    parser.add_argument("--no-events", action="store_true", help="write signals and gap annotations only")
    parser.add_argument("--force", action="store_true", help="replace an existing EDF file")


def _inputs_from_summary(out_dir: Path) -> dict[str, str]:
    try:
        summary = json.loads((out_dir / "summary.json").read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    for key in ("input_files", "inputs", "sources"):
        value = summary.get(key)
        if isinstance(value, dict):
            paths = {k: (v.get("path") if isinstance(v, dict) else v) for k, v in value.items()}
            return {k: str(v) for k, v in paths.items() if k in ("left", "right", "recording", "path") and v}
    return {}


def run(args: argparse.Namespace) -> int:
    import pandas as pd

    from lrm.errors import InputError, OutputExistsError
    from lrm.io.edf import write_edf
    from lrm.io.registry import read

    out = Path(args.edf)
    if out.exists() and not args.force:
        raise OutputExistsError(str(out), "pass --force to replace it, or choose another --edf name")
    source = Path(args.source) if args.source else None
    events = None
    if source is not None and source.is_dir() and (source / "events.csv").is_file():
        events = pd.read_csv(source / "events.csv")
        missing = {"onset_s", "offset_s", "side", "type"} - set(events.columns)
        if missing:
            raise InputError(str(source / "events.csv"), "header", f"no column(s) {', '.join(sorted(missing))}",
                             "give the output directory of 'lrm analyze'")
        files = {"left": args.left, "right": args.right} if (args.left or args.right) else _inputs_from_summary(source)
        if not files:
            raise InputError(str(source), "summary.json", "the recording's input files are not named",
                             "give the recording with --left/--right")
        if "recording" in files or "path" in files:
            recording = read(files.get("recording") or files["path"], format=args.format, tz=args.tz)
        else:
            recording = read(left=files.get("left"), right=files.get("right"), format=args.format, tz=args.tz)
    else:
        if source is not None and (args.left or args.right):
            raise InputError(str(source), "", "give either RECORDING or --left/--right, not both", "drop one of them")
        if source is None and not (args.left or args.right):
            raise InputError("lrm export", "", "no input", "give a RECORDING_OR_DIR or --left/--right files")
        if source is not None:
            recording = read(source, side=args.side, format=args.format, tz=args.tz)
        else:
            recording = read(left=args.left, right=args.right, format=args.format, tz=args.tz)
        if not args.no_events:
            from lrm.pipeline import analyze

            events = analyze(recording).events
    path = write_edf(recording, out, None if args.no_events else events, force=args.force)
    n_events = 0 if events is None or args.no_events else len(events)
    print(f"{path}: {len(recording.sides) * 3} channels, {n_events} events")
    return 0
