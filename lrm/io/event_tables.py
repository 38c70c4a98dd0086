"""Shared parsing for small event-table text files (LM CSV, interval CSV, hypnogram): decoding, header,
delimiter and per-cell checks that name the file, line and column in an :class:`InputError`."""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from lrm.errors import InputError
from lrm.io.paths import regular_file
from lrm.io.plausibility import MAX_EVENT_S, MAX_NIGHT_S

__all__ = ["read_text", "read_csv_table", "numeric_column", "check_intervals", "check_durations", "check_event_times"]


def read_text(path: str | os.PathLike[str]) -> str:
    """The file's text (UTF-8, BOM allowed); InputError naming the line of the first non-UTF-8 byte."""
    raw = regular_file(path).read_bytes()  # a FIFO would block the read forever
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise InputError(
            str(path), f"line {line}", f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})",
            "save the file as UTF-8 (e.g. in a spreadsheet: 'CSV UTF-8'), or convert it with iconv",
        ) from None


def read_csv_table(path: str | os.PathLike[str], required: tuple[str, ...], what: str) -> pd.DataFrame:
    """Read a comma-separated table with a header into strings; lower-cased, stripped column names.

    ``#`` starts a comment line. The returned frame has a ``_line`` column: the 1-based line number of
    each row in the file, for error messages.
    """
    text = read_text(path)
    lines = text.splitlines()
    content = [(i + 1, line) for i, line in enumerate(lines) if line.strip() and not line.lstrip().startswith("#")]
    if not content:
        raise InputError(str(path), "", f"empty file: no header and no {what}",
                         f"export the {what} with a header line '{','.join(required)}'")
    header_no, header = content[0]
    names = [c.strip().lower() for c in header.split(",")]
    missing = [c for c in required if c not in names]
    if missing:
        if "," not in header and any(d in header for d in (";", "\t", "|")):
            sep = {";": "';'", "\t": "tab", "|": "'|'"}[next(d for d in (";", "\t", "|") if d in header)]
            raise InputError(str(path), f"line {header_no} (header)", f"columns are separated by {sep}, not commas",
                             "save the file as comma-separated values (CSV with ',')")
        raise InputError(str(path), f"line {header_no} (header)", f"missing column(s) {', '.join(map(repr, missing))}",
                         f"add a header line with {', '.join(required)} (found: {', '.join(names) or 'nothing'})")
    fields = pd.Series([line for _, line in content[1:]], dtype=object).str.count(",").to_numpy() + 1
    wrong = fields != len(names)
    if wrong.any():
        i = int(np.argmax(wrong))
        raise InputError(str(path), f"line {content[i + 1][0]}", f"row has {fields[i]} fields, the header {len(names)}",
                         f"give every row the columns {','.join(names)} (comma-separated, no commas inside values)")
    body = "\n".join(line for _, line in content[1:])
    if not body:
        return pd.DataFrame({**{c: pd.Series(dtype=str) for c in names}, "_line": pd.Series(dtype=int)})
    try:
        table = pd.read_csv(io.StringIO(body), header=None, names=names, dtype=str, keep_default_na=False,
                            skipinitialspace=True, index_col=False, engine="python")
    except (pd.errors.ParserError, ValueError) as exc:
        found = re.search(r"line (\d+)", str(exc))
        where = f"line {content[int(found.group(1))][0]}" if found and int(found.group(1)) < len(content) else "body"
        raise InputError(str(path), where, f"row does not match the header's {len(names)} columns",
                         f"give every row the columns {','.join(names)}") from None
    table.columns = names
    table["_line"] = [n for n, _ in content[1:]]
    return table


def numeric_column(table: pd.DataFrame, column: str, path: str | os.PathLike[str], unit: str = "s") -> np.ndarray:
    """Column ``column`` as float64; InputError naming the first line holding a non-number or NaN."""
    text = table[column].astype(str).str.strip()
    values = pd.to_numeric(text, errors="coerce").to_numpy(float)
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(str(path), f"line {table['_line'].iloc[i]}, column '{column}'",
                         f"not a finite number: {text.iloc[i]!r}", f"give {column} as a number in {unit} (e.g. 12.5)")
    return values


def check_intervals(onset_s: np.ndarray, offset_s: np.ndarray, lines: pd.Series, path: str | os.PathLike[str],
                    what: str = "events") -> None:
    """InputError at the first line whose offset is before its onset, whose event lasts longer than
    :data:`~lrm.io.plausibility.MAX_EVENT_S`, or whose onset is implausible (:func:`check_event_times`)."""
    bad = offset_s < onset_s
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(str(path), f"line {lines.iloc[i]}, column 'offset_s'",
                         f"offset {offset_s[i]:g} s is before onset {onset_s[i]:g} s",
                         "check the columns are onset_s, offset_s in seconds (offset = onset + duration)")
    check_durations(offset_s - onset_s, lines, path, "offset_s")
    check_event_times(onset_s, lines, path, what=what)


def _at(lines: pd.Series | np.ndarray | list, i: int) -> str:
    """Where row ``i`` is: ``"line 12"`` for a line number, else the text given (``"annotation 7"``)."""
    where = np.asarray(lines, dtype=object)[i]
    return f"line {where}" if isinstance(where, (int, np.integer)) else str(where)


def check_durations(duration_s: np.ndarray, lines: pd.Series | np.ndarray, path: str | os.PathLike[str],
                    column: str) -> None:
    """InputError at the first line whose event lasts longer than :data:`~lrm.io.plausibility.MAX_EVENT_S`."""
    long = duration_s > MAX_EVENT_S
    if long.any():
        i = int(np.argmax(long))
        raise InputError(str(path), f"{_at(lines, i)}, column '{column}'",
                         f"an event lasting {duration_s[i]:.6g} s (scored events last at most "
                         f"{MAX_EVENT_S / 3600:g} h)", "correct the value (a typo?) or remove the line")


def check_event_times(onset_s: np.ndarray, lines: pd.Series | np.ndarray, path: str | os.PathLike[str], *,
                      what: str = "events") -> None:
    """InputError naming the line of an onset (s since the recording start) beyond
    +-:data:`~lrm.io.plausibility.MAX_NIGHT_S`: every table sized by the events' times (sleep-stage epochs,
    report axes) then costs by rows, never by the values."""
    far = np.abs(onset_s) > MAX_NIGHT_S
    if far.any():
        i = int(np.argmax(far))
        raise InputError(str(path), _at(lines, i), f"time {onset_s[i]:.6g} s is not within "
                         f"{MAX_NIGHT_S / 3600:.0f} h of the recording start (the {what} of one night)",
                         "give times in s since the recording start (not Unix times or ms)")
