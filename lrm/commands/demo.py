"""``lrm demo``: analyse the bundled sample night and print the headline numbers."""

from __future__ import annotations

import argparse

HELP = "analyse the bundled sample night (the README's first command)"

DESCRIPTION = """\
Analyse the two-leg sample night shipped in sample_data/ (a simulated night; see sample_data/README.md
for its provenance) exactly as 'lrm analyze' would, write the results to --out (default ./lrm-demo/)
and print the headline numbers: PLM index, leg movements, hypnic jerks, time in bed, sleep onset.
"""

EPILOG = """\
examples:
  lrm demo                          results in ./lrm-demo/
  lrm demo --out /tmp/demo --force  replace an earlier demo
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", metavar="DIR", default="lrm-demo", help="output directory (default: ./lrm-demo)")
    parser.add_argument("--pdf", action="store_true", help="also write DIR/report.pdf (A4)")
    parser.add_argument("--force", action="store_true", help="replace results already in DIR")
    parser.add_argument("--tz", metavar="ZONE", help="show the simulated night's clock times in this zone (IANA name "
                        "or +-HH:MM); its recording states none")


def find_sample_night():  # noqa: ANN201 - returns dict or raises
    """The bundled sample night: a native recording directory or left/right CSVs under sample_data/."""
    from pathlib import Path

    from lrm.errors import InputError

    import lrm

    candidates = [Path(lrm.__file__).resolve().parent.parent / "sample_data", Path.cwd() / "sample_data"]
    for root in candidates:
        for night in [root, *sorted(p for p in root.glob("*") if p.is_dir())] if root.is_dir() else []:
            if (night / "recording.json").is_file():
                return {"path": str(night)}
            left, right = night / "left.csv", night / "right.csv"
            if left.is_file() and right.is_file():
                return {"left": str(left), "right": str(right)}
    try:  # an installed wheel carries no sample_data/: rebuild the identical night once into the user cache
        from lrm.sim.sample_night import sample_night_dir

        return {"path": str(sample_night_dir())}
    except OSError as exc:
        raise InputError(str(candidates[0]), "", f"the bundled sample night is missing and cannot be rebuilt ({exc})",
                         "run lrm from a full checkout (sample_data/ holds the night)") from None


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from lrm.commands.analyze import print_report_line, print_summary
    from lrm.errors import OutputExistsError
    from lrm.night_files import NightInputs, analyze_files

    out = Path(args.out)
    if (out / "summary.json").exists() and not args.force:
        raise OutputExistsError(str(out / "summary.json"), "pass --force to replace the earlier demo, or choose --out")
    result = analyze_files(NightInputs(**find_sample_night(), tz=args.tz), out, overwrite=args.force, pdf=args.pdf)
    print_summary(result, str(out))
    print_report_line(out, pdf=args.pdf)
    print(f"  files: {out}/summary.json, events.csv, trace.parquet, report.html")
    return 0
