"""``lrm report DIR [DIR ...]``: (re)build the HTML (and PDF) report of one night, several nights, or SITs."""

from __future__ import annotations

import argparse

HELP = "build the HTML (and PDF) report of one analysed night, or of several nights together"
DESCRIPTION = """\
Build a self-contained HTML report (inline figures, no network) from the files of a night directory
written by 'lrm analyze' or 'lrm score-events'. Its first page is a printable one-page summary (the
night's indices against the norm of the subject's age: 15/h adults, 5/h children), then the night chart
(hypnogram when the night has sleep stages), the PLM series, the per-stage table, the interval
histograms, close-ups of the events, data quality and an appendix (rules, parameters, file hashes).
Clock times are in the recording's time zone, named.

With one DIR the report is written to DIR/report.html. With several, one combined report groups the
nights by subject, shows each night's index and the night-to-night spread (nights vary a lot; never
averaging accelerometer nights with PSG-scored ones) and refuses a night given twice; it is written to
--out (default: nights-report.html in the current directory). A DIR holding night directories one level
down stands for those nights. An existing file is replaced only if lrm wrote it.

A directory written by 'lrm sit' gets the SIT report; several SIT directories are shown side by side
(written to --out, default sits-report.html), e.g. before and after a treatment change.

Diary (--diary): a CSV with 'date' (YYYY-MM-DD, the evening of the night), an optional 'note' and any
tag columns (caffeine, alcohol, exercise, medication, 'evening symptoms' 0-10 ...), shown beside each
night as written.
"""
EPILOG = """\
examples:
  lrm report night1                                   rebuild night1/report.html
  lrm report night1 --subject P-017 --dob 1961-04-02 --pdf
  lrm report night1 night2 night3 --diary diary.csv --out nights.html
  lrm report study/ --age 9 --out child.html          every night directory inside study/
  lrm report sit-before sit-after --out sits.html     several SITs side by side
"""

DEFAULT_MULTI_NAME = "nights-report.html"
DEFAULT_MULTI_SIT_NAME = "sits-report.html"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("dirs", nargs="+", metavar="DIR",
                        help="night directory of 'lrm analyze' / 'lrm score-events' (or of 'lrm sit')")
    parser.add_argument("--out", metavar="FILE",
                        help="HTML file to write (default: DIR/report.html for one night, "
                        f"./{DEFAULT_MULTI_NAME} for several)")
    parser.add_argument("--pdf", action="store_true", help="also write an A4 PDF with the same name as the HTML")
    parser.add_argument("--subject", metavar="ID", help="subject or patient ID shown in the report (default: the recording's)")
    age = parser.add_mutually_exclusive_group()
    age.add_argument("--dob", metavar="YYYY-MM-DD", help="date of birth: the age at each night sets the norm")
    age.add_argument("--age", metavar="YEARS", help="age in years (under 18: the children's norm of 5/h)")
    parser.add_argument("--diary", metavar="CSV", help="sleep diary shown beside each night (see above)")


def run(args: argparse.Namespace) -> int:
    from lrm.io.diary import read_diary
    from lrm.report.html import ReportOptions, write_multi_night_report, write_report
    from lrm.report.multi import expand_night_dirs
    from lrm.report.sit import is_sit_dir
    from lrm.report.subject import ReportSubject, parse_age, parse_dob

    sits = [is_sit_dir(d) for d in args.dirs]
    if any(sits):
        return _run_sits(args, sits)
    options = ReportOptions(ReportSubject(args.subject or "", parse_dob(args.dob), parse_age(args.age)),
                            read_diary(args.diary) if args.diary else None)
    nights = expand_night_dirs(args.dirs)
    if len(nights) == 1:
        path = write_report(nights[0], pdf=args.pdf, out_path=args.out, options=options)
    else:
        path = write_multi_night_report(args.dirs, args.out or DEFAULT_MULTI_NAME, pdf=args.pdf, options=options)
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
