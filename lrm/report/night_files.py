"""Read an analysed-night directory (summary.json, events.csv, optional trace.parquet) for the report.

Only the files are used, so ``lrm report DIR1 DIR2`` works on any finished directory. A missing or
malformed file raises :class:`lrm.errors.InputError` naming the file, the place and the fix.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lrm.errors import InputError

__all__ = ["NightFiles", "load_night", "REQUIRED_EVENT_COLUMNS"]

REQUIRED_EVENT_COLUMNS = ("onset_s", "offset_s", "type")


@dataclass(frozen=True)
class NightFiles:
    """The files of one analysed-night directory. ``trace`` is ``None`` when there is no trace.parquet."""

    out_dir: Path
    summary: dict[str, Any]
    events: pd.DataFrame
    trace: pd.DataFrame | None


def _read_summary(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise InputError(str(path), "", "no summary.json in this directory",
                         "give a directory written by 'lrm analyze' or 'lrm score-events'")
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(str(path), f"line {exc.lineno}, column {exc.colno}", f"not valid JSON ({exc.msg})",
                         "re-run the analysis to rewrite it") from None
    except UnicodeDecodeError:
        raise InputError(str(path), "", "not UTF-8 text", "re-run the analysis to rewrite it") from None
    if not isinstance(summary, dict):
        raise InputError(str(path), "top level", "expected a JSON object", "re-run the analysis to rewrite it")
    return summary


def _read_events(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(str(path), "", "no events.csv in this directory",
                         "give a directory written by 'lrm analyze' or 'lrm score-events'")
    try:
        events = pd.read_csv(path, dtype={"side": str, "type": str, "stage": str}, keep_default_na=True)
    except pd.errors.EmptyDataError:
        raise InputError(str(path), "", "the file is empty", "re-run the analysis to rewrite it") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(str(path), "", f"not a readable CSV table ({exc})", "re-run the analysis") from None
    missing = [c for c in REQUIRED_EVENT_COLUMNS if c not in events]
    if missing:
        raise InputError(str(path), "header", f"missing column {missing[0]!r}",
                         "re-run the analysis; events.csv needs onset_s, offset_s and type")
    for column in ("onset_s", "offset_s"):
        values = pd.to_numeric(events[column], errors="coerce")
        bad = values.isna() & events[column].notna() | events[column].isna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 2  # 1-based, after the header line
            value = events[column].iloc[row - 2]
            raise InputError(str(path), f"row {row}, column {column!r}", f"not a number: {value!r}",
                             "re-run the analysis to rewrite events.csv")
        events[column] = values.astype(float)
    if "side" not in events:
        events["side"] = ""
    events["side"] = events["side"].fillna("").astype(str)
    events["type"] = events["type"].fillna("lm").astype(str)
    return events.sort_values("onset_s", kind="stable", ignore_index=True)


def _read_trace(path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    try:
        trace = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise InputError(str(path), "", f"not a readable Parquet file ({exc})", "re-run the analysis") from None
    if "t_s" not in trace:
        raise InputError(str(path), "columns", "missing column 't_s'", "re-run the analysis to rewrite it")
    return trace.sort_values("t_s", ignore_index=True)


def load_night(out_dir: str | os.PathLike[str]) -> NightFiles:
    """Read an analysed-night directory; a missing or malformed file raises :class:`InputError`."""
    directory = Path(out_dir)
    if not directory.is_dir():
        raise InputError(str(directory), "", "not a directory",
                         "give the output directory of 'lrm analyze' or 'lrm score-events'")
    return NightFiles(
        out_dir=directory,
        summary=_read_summary(directory / "summary.json"),
        events=_read_events(directory / "events.csv"),
        trace=_read_trace(directory / "trace.parquet"),
    )
