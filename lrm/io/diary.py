"""A sleep diary: one row per date with a note and free tags, shown beside each night in the report.

Layout (CSV, ``,`` or ``;`` separated, UTF-8; a header line is required)::

    date,note,caffeine,alcohol,exercise,medication,evening symptoms
    2026-03-01,late dinner,2 cups,no,run 5 km,,6
    2026-03-02,,1 cup,1 glass,,pramipexole 0.125 mg,3

``date`` (YYYY-MM-DD, the evening the night began) is required; ``note`` is optional; every other column is
a tag whose values are shown as written (empty cells stay empty). A column whose name contains "symptom"
holds a 0-10 rating. A date may appear once. The report shows the data next to the nights and draws no
conclusion from it: a diary records what happened, not what caused what.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from lrm.errors import InputError

__all__ = ["Diary", "read_diary", "MAX_DIARY_BYTES"]

MAX_DIARY_BYTES = 5_000_000
"""A diary larger than this is refused (years of daily rows are far smaller)."""
_FIX = "give a CSV with a header line 'date,note,...' and one row per date (YYYY-MM-DD)"


@dataclass(frozen=True, slots=True)
class Diary:
    """The diary's rows by date: ``tags`` are the tag columns in file order; ``entries[date]`` maps ``note``
    and each tag to its text ("" when empty)."""

    tags: tuple[str, ...] = ()
    entries: dict[date, dict[str, str]] = field(default_factory=dict)
    source: str = ""

    def entry(self, day: date | None) -> dict[str, str] | None:
        """The row for ``day``, or None."""
        return None if day is None else self.entries.get(day)


def _text(path: Path) -> str:
    try:
        if path.stat().st_size > MAX_DIARY_BYTES:
            raise InputError(str(path), "", f"larger than {MAX_DIARY_BYTES // 1_000_000} MB", _FIX)
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), "", exc.strerror or str(exc), "check the path to the diary") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"byte {exc.start}", "not UTF-8 text", "save the diary as UTF-8 CSV") from None


def _check_symptom(path: Path, line: int, column: str, value: str) -> None:
    if not value or "symptom" not in column.lower():
        return
    try:
        score = float(value.replace(",", "."))
    except ValueError:
        score = float("nan")
    if not 0 <= score <= 10:
        raise InputError(str(path), f"line {line}, column {column!r}", f"{value!r} is not a 0-10 rating",
                         "rate symptoms from 0 (none) to 10 (worst), or leave the cell empty")


def read_diary(path: str | os.PathLike[str]) -> Diary:
    """Read a diary CSV (see the module docstring); InputError naming the line and column of a bad value."""
    p = Path(path)
    text = _text(p)
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    header = [h.strip() for h in (rows[0] if rows else [])]
    lower = [h.lower() for h in header]
    if "date" not in lower:
        raise InputError(str(p), "line 1", "no 'date' column in the header", _FIX)
    if len(set(lower)) != len(lower):
        raise InputError(str(p), "line 1", "a column name appears twice", "give each column its own name")
    date_at, note_at = lower.index("date"), lower.index("note") if "note" in lower else None
    tags = tuple(h for i, h in enumerate(header) if i not in (date_at, note_at) and h)
    entries: dict[date, dict[str, str]] = {}
    seen: dict[date, int] = {}
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        cells = {header[i]: cell.strip() for i, cell in enumerate(row) if i < len(header)}
        raw_date = cells.get(header[date_at], "")
        try:
            day = date.fromisoformat(raw_date)
        except ValueError:
            raise InputError(str(p), f"line {line}, column 'date'", f"not a date: {raw_date!r}",
                             "write dates as YYYY-MM-DD (the evening the night began)") from None
        if day in seen:
            raise InputError(str(p), f"line {line}", f"{day} appears again (first on line {seen[day]})",
                             "give one row per date")
        for tag in tags:
            _check_symptom(p, line, tag, cells.get(tag, ""))
        seen[day] = line
        entries[day] = {"note": cells.get(header[note_at], "") if note_at is not None else "",
                        **{tag: cells.get(tag, "") for tag in tags}}
    return Diary(tags, dict(sorted(entries.items())), p.name)
