"""``lrm formats``: list every input format lrm reads, in the order they are tried."""

from __future__ import annotations

import argparse

HELP = "list the input formats lrm can read (auto-detected in this order)"
DESCRIPTION = """\
List every registered input format with a one-line description. With --format auto (the default) lrm
sniffs a file's content and picks the first format that recognises it, in this order; the most permissive
(generic-csv) comes last. See docs/formats.md for units and time handling of each format.
"""
EPILOG = """\
examples:
  lrm formats
  lrm info Polar_Sense_ACC.txt               which format a file is detected as
  lrm analyze night.csv --format generic-csv force one format
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--names", action="store_true", help="print only the format names, one per line")


def run(args: argparse.Namespace) -> int:
    from lrm.io.registry import FORMATS

    if args.names:
        print("\n".join(f.name for f in FORMATS))
        return 0
    width = max(len(f.name) for f in FORMATS)
    for fmt in FORMATS:
        kind = "dir " if fmt.is_directory else "file"
        print(f"{fmt.name:<{width}}  {kind}  {fmt.description}")
    return 0
