"""Terminal feedback for a batch: a progress bar (nights done/failed, ETA) and a final summary table (rich)."""

from __future__ import annotations

import math
import statistics
from collections import Counter
from collections.abc import Sequence
from types import TracebackType
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Table

from lrm.batch.run import CohortRow

__all__ = ["BatchProgress", "summary_table", "print_summary"]

MAX_ERRORS_SHOWN = 10


class BatchProgress:
    """``with BatchProgress(total, console) as bar: bar.advance(row)``: nights done, failed, ETA."""

    def __init__(self, total: int, console: Console) -> None:
        self.counts: Counter[str] = Counter()
        self._progress = Progress(
            TextColumn("[bold]nights"), BarColumn(), MofNCompleteColumn(),
            TextColumn("[green]{task.fields[ok]} ok[/] [dim]{task.fields[skipped]} skipped[/] [red]{task.fields[failed]} failed[/]"),
            TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
            console=console, transient=False,
        )
        self._task = self._progress.add_task("batch", total=total, ok=0, skipped=0, failed=0)

    def __enter__(self) -> BatchProgress:
        self._progress.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self._progress.stop()

    def note(self, text: str) -> None:
        """Print a line above the bar."""
        self._progress.console.print(text, highlight=False, markup=False)

    def advance(self, row: CohortRow) -> None:
        self.counts[row.status] += 1
        if row.status == "failed":
            self._progress.console.print(f"[red]failed[/] {escape(row.night_id)}: {escape(row.error)}", highlight=False)
        self._progress.update(self._task, advance=1, **{k: self.counts[k] for k in ("ok", "skipped", "failed")})


def _median(values: Sequence[Any]) -> str:
    numbers = [float(v) for v in values if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)]
    return f"{statistics.median(numbers):.1f}" if numbers else "-"


def summary_table(rows: Sequence[CohortRow], elapsed_s: float) -> Table:
    """A small table: nights per status, median indices of the analysed nights, and wall-clock time."""
    counts = Counter(r.status for r in rows)
    good = [r for r in rows if r.status != "failed"]
    table = Table(title="lrm batch", show_header=True, header_style="bold")
    table.add_column("")
    table.add_column("value", justify="right")
    table.add_row("nights", str(len(rows)))
    table.add_row("analysed now", str(counts["ok"]))
    table.add_row("already done (skipped)", str(counts["skipped"]))
    table.add_row("failed", f"[red]{counts['failed']}[/]" if counts["failed"] else "0")
    for key, label in (("plm_index", "median PLM index (/h)"), ("lm_index", "median LM index (/h)"),
                       ("time_in_bed_h", "median time in bed (h)"), ("hypnic_jerk_count", "median hypnic jerks")):
        table.add_row(label, _median([r.values.get(key) for r in good]))
    table.add_row("wall-clock time", f"{elapsed_s:.1f} s")
    if counts["ok"]:
        table.add_row("nights per minute", f"{counts['ok'] / max(elapsed_s, 1e-9) * 60:.1f}")
    return table


def print_summary(rows: Sequence[CohortRow], elapsed_s: float, console: Console) -> None:
    """Print the summary table, then the failed nights with their errors (the first few)."""
    console.print(summary_table(rows, elapsed_s))
    failed = [r for r in rows if r.status == "failed"]
    for row in failed[:MAX_ERRORS_SHOWN]:
        console.print(f"[red]failed[/] {escape(row.night_id)}: {escape(row.error)}", highlight=False)
    if len(failed) > MAX_ERRORS_SHOWN:
        console.print(f"... and {len(failed) - MAX_ERRORS_SHOWN} more failed nights (see the 'error' column of cohort.csv)")
