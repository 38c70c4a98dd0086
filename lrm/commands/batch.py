"""``lrm batch``: analyse a cohort of nights on Dask into one folder per night plus a cohort table."""

from __future__ import annotations

import argparse
import sys

HELP = "analyse many nights on a Dask cluster into a cohort table"
DESCRIPTION = """\
Analyse every night found in INPUTS (folders, files, glob patterns or a manifest CSV) on Dask, into
OUT/<night_id>/ (summary.json, events.csv, trace.parquet, report.html) plus one cohort table,
OUT/cohort.csv and OUT/cohort.parquet, with one row per night: every index, data quality, rule set,
parameters digest, lrm version, status, error.

Nights are found by a naming rule:
  - a recording directory (holds recording.json; lrm record / lrm simulate --native)  id: folder name
  - a folder holding left.<ext> and/or right.<ext> (or L/R)                          id: folder name
  - paired files <night>_left.<ext> and <night>_right.<ext> in one folder; the separator may be
    _ - . or a space and the side left/right/L/R (s01_left.csv, S01-R.csv)              id: <night>
  - a hypnogram beside them: <night>_hypnogram.<ext>, or hypnogram.<ext> in a night folder
or listed in a manifest CSV with the header night_id,left,right[,hypnogram] (paths relative to it; optional
columns respiratory, arousals, lights_out, lights_on). Check what is found with --list.

Resumable: a night already finished in OUT is skipped unless --force (each night is written to a temporary
folder and renamed into place, so an interrupted batch never leaves a half-written night). A bad file fails
only its own row, with the error in the table; the exit status is non-zero only if every night failed.
Parameters (--config, the same keys as lrm analyze's flags) are recorded as OUT/params-<digest>.toml.
"""
EPILOG = """\
examples:
  lrm batch data/ --out cohort                       every night under data/, one worker per core
  lrm batch "raw/**/*_[LR].csv" --out cohort         a quoted glob (searched by lrm, not the shell)
  lrm batch nights.csv --out cohort --config params.toml   a manifest CSV and analysis parameters
  lrm batch data/ --out cohort --scheduler tcp://head:8786  an existing cluster ('dask scheduler' there,
                                                     'dask worker tcp://head:8786' on each machine)
  lrm batch data/ --out cohort --force               re-analyse nights that are already done
  lrm batch data/ --out cohort --list                only list the nights found

docs/batch.md describes the cohort table's columns and how to run a Dask cluster.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("inputs", nargs="+", metavar="INPUTS", help="folders, files, glob patterns or manifest CSVs")
    parser.add_argument("--out", required=True, metavar="DIR", help="output folder (created; finished nights are kept)")
    parser.add_argument("--workers", type=int, metavar="N", help="local worker processes (default: one per core)")
    parser.add_argument("--scheduler", metavar="ADDRESS", help="use a running Dask scheduler, e.g. tcp://host:8786")
    parser.add_argument("--config", metavar="TOML", help="analysis parameters (same keys as lrm analyze's flags)")
    parser.add_argument("--tz", metavar="ZONE", help="time zone of nights whose files do not state it (IANA name or "
                        "+-HH:MM); a manifest's 'tz' column overrides it per night")
    parser.add_argument("--force", action="store_true", help="re-analyse nights already finished in --out")
    parser.add_argument("--no-report", action="store_true", help="skip each night's report.html (faster for large cohorts)")
    parser.add_argument("--list", action="store_true", help="only list the nights found (and files that fit no rule)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar or summary table")


def run(args: argparse.Namespace) -> int:
    import warnings

    from rich.console import Console

    from lrm.batch.orchestrate import run_batch
    from lrm.errors import InputError, LrmWarning

    if args.list:
        return _list_nights(args)
    if args.tz is not None:
        from lrm.io.timezones import TZ_FIX, normalize_tz

        try:
            args.tz = normalize_tz(args.tz)
        except ValueError as exc:
            raise InputError("--tz", "", str(exc), TZ_FIX) from None
    if args.workers is not None and args.workers < 1:
        raise InputError("--workers", "", f"must be at least 1, got {args.workers}", "give a positive number")
    if args.workers is not None and args.scheduler:
        warnings.warn("--workers is ignored with --scheduler: the cluster's own workers are used", LrmWarning, stacklevel=1)
    console = None if args.quiet else Console(stderr=True)
    result = run_batch(args.inputs, args.out, params=args.config, workers=args.workers, scheduler=args.scheduler,
                       force=args.force, report=not args.no_report, console=console, tz=args.tz)
    total, failed = len(result.rows), result.n_failed
    print(f"cohort table: {result.out_dir / 'cohort.csv'} ({total} nights, {failed} failed)")
    if result.stale:
        warnings.warn(f"{result.stale} finished nights were analysed with other parameters (see the params_digest "
                      "column); use --force to re-run them with these", LrmWarning, stacklevel=1)
    if failed == total:
        print(f"lrm: error: all {total} nights failed; see the 'error' column of {result.out_dir / 'cohort.csv'}",
              file=sys.stderr)
        return 2
    if failed:
        print(f"lrm: warning: {failed} of {total} nights failed; see the 'error' column of cohort.csv", file=sys.stderr)
    return 0


def _list_nights(args: argparse.Namespace) -> int:
    from pathlib import Path

    from lrm.batch.discover import find_nights
    from lrm.batch.run import is_finished

    found = find_nights(args.inputs, exclude=[args.out])
    for night in found.nights:
        files = ", ".join(night.inputs)
        done = " [done]" if is_finished(Path(args.out) / night.night_id) else ""
        print(f"{night.night_id}{done}: {files}  ({night.origin})")
    for path, reason in found.skipped:
        print(f"not a night: {path} ({reason})")
    print(f"{len(found.nights)} nights, {len(found.skipped)} files not used")
    return 0
