"""``lrm report DIR [DIR ...]``: (re)build the HTML report of analysed nights."""

from __future__ import annotations

import argparse

HELP = "build the HTML (and PDF) report of one analysed night, or of several nights together"
DESCRIPTION = """\
Build a self-contained HTML report (inline figures, no network) from the files of an output directory
written by 'lrm analyze' or 'lrm score-events' (summary.json, events.csv, optional trace.parquet).

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

    if len(args.dirs) == 1:
        path = write_report(args.dirs[0], pdf=args.pdf, out_path=args.out)
    else:
        path = write_multi_night_report(args.dirs, args.out or DEFAULT_MULTI_NAME, pdf=args.pdf)
    print(path)
    if args.pdf:
        print(path.with_suffix(".pdf"))
    return 0
