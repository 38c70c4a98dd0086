"""``lrm recover``: rebuild an interrupted night's recording from its crash-safe journal."""

from __future__ import annotations

import argparse

HELP = "rebuild a recording from its journal after a crash, kill or power cut"

DESCRIPTION = """\
'lrm record' writes every packet to NIGHT_DIR/journal/ as it arrives (flushed every second). If the
recorder was killed or the computer lost power before it could save, this rebuilds NIGHT_DIR's native
recording from the journal (at most the last 2 s before the crash are missing), so that
'lrm analyze NIGHT_DIR' works. A damaged last record (torn write) is skipped and reported. An existing
recording is never overwritten, and a night still being recorded (its recorder holds a lock on it) is
refused: stop that recorder instead, it saves the night itself.
"""

EPILOG = """\
examples:
  lrm recover night1
  lrm analyze night1 --out night1-analysis
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("night_dir", metavar="NIGHT_DIR", help="the --out directory of 'lrm record'")


def run(args: argparse.Namespace) -> int:
    from lrm.ble.recover import recover

    out, report = recover(args.night_dir)
    stats = report.stats
    for side in report.samples:
        print(f"lrm: {side}: {report.samples[side]} samples from {report.packets.get(side, 0)} packets"
              + (f" ({report.malformed[side]} malformed skipped)" if report.malformed.get(side) else ""))
    if stats.torn_tail_bytes:
        print(f"lrm: the journal ended in a partly written record ({stats.torn_tail_bytes} bytes), skipped")
    if stats.skipped_bytes:
        print(f"lrm: skipped {stats.skipped_bytes} damaged bytes inside the journal")
    if not report.stopped_cleanly:
        print("lrm: the recorder did not stop cleanly; data end at the last journal flush")
    print(f"lrm: recovered {out}. Next: lrm analyze {out} --out {out}-analysis")
    return 0
