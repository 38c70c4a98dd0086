"""``lrm report DIR [DIR ...]``: (re)build the HTML report of analysed nights."""

from __future__ import annotations

import argparse

HELP = "build the HTML (and PDF) report of one analysed night, or of several nights together"
DESCRIPTION = """\
Build a self-contained HTML report (inline figures, no network) from the files of an output directory
written by 'lrm analyze' or 'lrm score-events' (summary.json, events.csv, optional trace.parquet).

A directory written by 'lrm sit' gets the SIT report; several SIT directories are shown side by side
(written to --out, default sits-report.html), e.g. before and after a treatment change.

With one DIR the report is written to DIR/report.html. With several, one combined report lists the
nights side by side with the mean PLM index (clinicians need more than one night: single nights vary
a lot); it is written to --out (default: nights-report.html in the current directory).
An existing file is replaced only if lrm wrote it.
"""
EPILOG = """\
examples:
  lrm report night1                           rebuild night1/report.html
  lrm report night1 --pdf                     also night1/report.pdf (printed by Chromium if installed)
  lrm report night1 night2 night3 --out nights.html
  lrm report sit-before sit-after --out sits.html   several SITs side by side
"""

DEFAULT_MULTI_NAME = "nights-report.html"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dirs", nargs="+", metavar="DIR", help="output directory of 'lrm analyze' / 'lrm score-events'")
    parser.add_argument("--out", metavar="FILE",
                        help="HTML file to write (default: DIR/report.html for one night, "
                        f"./{DEFAULT_MULTI_NAME} for several)")
    parser.add_argument("--pdf", action="store_true", help="also write a PDF with the same name as the HTML")


def run(args: argparse.Namespace) -> int:
    from lrm.report.html import write_multi_night_report, write_report
    from lrm.report.sit import is_sit_dir

    sits = [is_sit_dir(d) for d in args.dirs]
    if any(sits):
        return _run_sits(args, sits)
    if len(args.dirs) == 1:
        path = write_report(args.dirs[0], pdf=args.pdf, out_path=args.out)
    else:
        path = write_multi_night_report(args.dirs, args.out or DEFAULT_MULTI_NAME, pdf=args.pdf)
    print(path)
    if args.pdf:
        print(path.with_suffix(".pdf"))
    return 0


def _run_sits(args: argparse.Namespace, sits: list[bool]) -> int:
    """SIT directories (``lrm sit``): one SIT's report, or several side by side (never mixed with nights)."""
    from lrm.errors import LrmError
    from lrm.report.sit import write_multi_sit_report, write_sit_report

    if not all(sits):
        night = args.dirs[sits.index(False)]
        raise LrmError(f"{night}: not a SIT directory, while the others are. Fix: report nights and SITs separately")
    if args.pdf:
        raise LrmError("--pdf is not available for SIT reports yet. Fix: print report.html from a browser")
    if len(args.dirs) == 1:
        path = write_sit_report(args.dirs[0], out_path=args.out)
    else:
        path = write_multi_sit_report(args.dirs, args.out or DEFAULT_MULTI_SIT_NAME)
    print(path)
    return 0


DEFAULT_MULTI_SIT_NAME = "sits-report.html"
