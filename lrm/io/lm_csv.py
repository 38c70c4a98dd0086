"""Readers for the generic scoring inputs: LM CSV, interval CSV (respiratory events, arousals), hypnogram.

Layouts (comma-separated, UTF-8, one header line, ``#`` comment lines ignored; times in s since the start of
the recording):

* LM CSV: ``onset_s,offset_s,side`` with side ``left``/``right`` (or ``L``/``R``, any case); optional ``type``
  (default ``lm``); any other columns pass through to events.csv.
* Interval CSV: ``onset_s,offset_s`` (other columns ignored).
* Hypnogram: either ``onset_s,stage`` (one 30 s epoch per row, onsets multiples of 30 s apart; missing
  epochs become ``?``), or a single ``stage`` column (one epoch per line from t = 0 s). Stages ``W``,
  ``N1``, ``N2``, ``N3``, ``R`` and ``?`` (unscored), any case.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from lrm.errors import InputError
from lrm.io.event_tables import check_event_times, check_intervals, numeric_column, read_csv_table, read_text
from lrm.io.hypnogram import STAGES, Hypnogram
from lrm.io.plausibility import MAX_NIGHT_S

__all__ = ["read_lm_csv", "read_intervals_csv", "read_hypnogram", "sniff_lm_csv"]

_SIDE_NAMES = {"left": "left", "l": "left", "right": "right", "r": "right"}


def sniff_lm_csv(head: str) -> bool:
    """True if the first non-comment line is a header holding onset_s, offset_s and side."""
    for line in head.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            names = {c.strip().lower() for c in line.split(",")}
            return {"onset_s", "offset_s", "side"} <= names
    return False


def _intervals(path: str | os.PathLike[str], what: str, extra: tuple[str, ...] = ()) -> pd.DataFrame:
    table = read_csv_table(path, ("onset_s", "offset_s", *extra), what)
    onset_s, offset_s = numeric_column(table, "onset_s", path), numeric_column(table, "offset_s", path)
    check_intervals(onset_s, offset_s, table["_line"], path, what)
    return table.assign(onset_s=onset_s, offset_s=offset_s)


def read_lm_csv(path: str | os.PathLike[str]) -> pd.DataFrame:
    """Read a generic LM CSV into ``onset_s``, ``offset_s`` (s), ``side`` (left|right), ``type``, extras.

    Raises
    ------
    InputError
        Empty file, wrong delimiter, missing column, non-number or NaN, offset before onset, unknown side
        label, non-UTF-8 text: the message names the file, line and column, and the fix.
    """
    table = _intervals(path, "leg movements", ("side",))
    side = table["side"].str.strip().str.lower().map(_SIDE_NAMES)
    if side.isna().any():
        i = int(np.argmax(side.isna().to_numpy()))
        raise InputError(str(path), f"line {table['_line'].iloc[i]}, column 'side'",
                         f"unknown side {table['side'].iloc[i]!r}", "use left/right or L/R (one leg per row)")
    table["side"] = side
    if "type" in table.columns:
        table["type"] = table["type"].str.strip().str.lower().replace("", "lm")
    else:
        table["type"] = "lm"
    for name in table.columns.difference(["onset_s", "offset_s", "side", "type", "_line"]):
        converted = pd.to_numeric(table[name], errors="coerce")
        if converted.notna().all():
            table[name] = converted
    return table.drop(columns="_line").reset_index(drop=True)


def read_intervals_csv(path: str | os.PathLike[str], what: str = "events") -> pd.DataFrame:
    """Read respiratory events or arousals: a CSV with ``onset_s,offset_s`` (s) -> those two columns."""
    return _intervals(path, what)[["onset_s", "offset_s"]].reset_index(drop=True)


def _stages(table: pd.DataFrame, path: str | os.PathLike[str]) -> np.ndarray:
    stage = table["stage"].str.strip().str.upper().replace("REM", "R").to_numpy(object)
    bad = ~np.isin(stage, STAGES)
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(str(path), f"line {table['_line'].iloc[i]}, column 'stage'",
                         f"unknown sleep stage {table['stage'].iloc[i]!r}", "use W, N1, N2, N3, R or ? (unscored)")
    return stage


def read_hypnogram(path: str | os.PathLike[str], epoch_s: float = 30.0) -> Hypnogram:
    """Read a hypnogram file (see the module docstring for the two layouts) into a :class:`Hypnogram`."""
    text_head = read_text(path)[:4096]
    first = next((ln for ln in text_head.splitlines() if ln.strip() and not ln.lstrip().startswith("#")), "")
    if "onset_s" not in first.lower():
        if first.strip().lower() != "stage":  # headerless single column: one stage per line from t = 0
            table = read_csv_table_headerless(path)
        else:
            table = read_csv_table(path, ("stage",), "sleep stages")
        stages = _stages(table, path)
        if stages.size == 0:
            raise InputError(str(path), "", "no epochs", "give one stage (W/N1/N2/N3/R) per 30 s epoch")
        _check_epoch_count(stages.size, epoch_s, path, table["_line"].iloc[-1])
        return Hypnogram(0.0, epoch_s, tuple(stages))
    table = read_csv_table(path, ("onset_s", "stage"), "sleep stages")
    if table.empty:
        raise InputError(str(path), "", "no epochs", "give one row 'onset_s,stage' per 30 s epoch")
    onset_s, stages = numeric_column(table, "onset_s", path), _stages(table, path)
    check_event_times(onset_s, table["_line"], path, what="sleep stages")  # epochs then cost by rows
    order = np.argsort(onset_s, kind="stable")
    onset_s, stages, lines = onset_s[order], stages[order], table["_line"].to_numpy()[order]
    index_f = (onset_s - onset_s[0]) / epoch_s
    index = np.round(index_f).astype(np.int64)
    bad = (np.abs(index_f - index) > 1e-3) | np.concatenate(([False], np.diff(index) == 0))
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(str(path), f"line {lines[i]}, column 'onset_s'",
                         f"epoch onset {onset_s[i]:g} s is not a new multiple of {epoch_s:g} s after {onset_s[0]:g} s",
                         f"give one row per {epoch_s:g} s epoch, onsets {epoch_s:g} s apart")
    full = np.full(index[-1] + 1, "?", dtype=object)
    full[index] = stages
    return Hypnogram(float(onset_s[0]), epoch_s, tuple(full))


def _check_epoch_count(n: int, epoch_s: float, path: str | os.PathLike[str], last_line: int) -> None:
    if n * epoch_s > MAX_NIGHT_S:
        raise InputError(str(path), f"line {last_line}", f"{n} epochs of {epoch_s:g} s: {n * epoch_s / 3600:.1f} h, "
                         f"more than one night ({MAX_NIGHT_S / 3600:.0f} h)", "give the stages of one night")


def read_csv_table_headerless(path: str | os.PathLike[str]) -> pd.DataFrame:
    """One stage per line, no header: a frame with ``stage`` and ``_line``."""
    lines = read_text(path).splitlines()
    numbered = [(i + 1, ln.strip()) for i, ln in enumerate(lines) if ln.strip() and not ln.lstrip().startswith("#")]
    if not numbered:
        raise InputError(str(path), "", "empty file: no epochs", "give one stage (W/N1/N2/N3/R) per 30 s epoch")
    if any("," in ln for _, ln in numbered):
        raise InputError(str(path), f"line {numbered[0][0]} (header)", "missing column 'onset_s' or 'stage' in the header",
                         "start the file with a header 'onset_s,stage', or give one stage per line")
    return pd.DataFrame({"stage": [s for _, s in numbered], "_line": [n for n, _ in numbered]})
