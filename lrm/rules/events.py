"""The scored-events table (``events.csv``): its columns, defined once.

One row per event: every scored leg movement (after same-leg merging, dropping < 0.5 s and bilateral
combination) plus pass-through events of other types (hypnic jerks, posture changes, walking...).
Times are seconds since the start of the recording.
"""

from __future__ import annotations

from typing import Final

import numpy as np
import pandas as pd

__all__ = ["EVENT_COLUMNS", "EXTRA_COLUMNS", "empty_events", "conform_events"]

#: events.csv columns in contract order, name -> pandas dtype. 0/1 flags are int8; nullable ones Int8.
EVENT_COLUMNS: Final[dict[str, str]] = {
    "onset_s": "float64",  # s since recording start
    "offset_s": "float64",  # s since recording start
    "duration_s": "float64",  # s
    "side": "string",  # left | right | bilateral
    "type": "string",  # lm | hypnic_jerk | posture_change | walking | ...
    "is_clm": "int8",  # 1 = candidate LM (docs/scoring.md §1.2 steps 3-4)
    "in_plm_series": "int8",  # 1 = PLM (member of a series, §1.2 steps 7-8)
    "series_id": "Int64",  # 1, 2, ... per PLM series in time order; <NA> outside a series
    "imi_s": "float64",  # onset-to-onset interval from the previous LM in s (§1.2 step 6); NaN for the first
    "stage": "string",  # W|N1|N2|N3|R|? of the 30 s epoch holding the onset; <NA> without hypnogram
    "respiratory": "Int8",  # 1 = inside a respiratory window (CLMr if is_clm); <NA> without respiratory events
    "arousal": "Int8",  # 1 = associated with an arousal; <NA> without arousals
    "n_components": "int64",  # single-leg LMs combined into this one (1 = monolateral)
    "peak_g": "float64",  # peak acceleration in g (accelerometer pipeline); NaN for score-events
}

#: extra columns the rule engine appends after the contract columns.
EXTRA_COLUMNS: Final[dict[str, str]] = {
    "in_plm_series_nr": "Int8",  # PLM once CLMr are removed and series recomputed (§1.2 step 10)
    "jerk_confidence": "float64",  # hypnic jerks: 0.5-1, set by the weakest criterion (§3.1); NaN otherwise
    "jerk_reason": "string",  # why a jerk was classed, or why a brief burst was not; <NA> otherwise
}


def empty_events() -> pd.DataFrame:
    """An events table with no rows and every contract column (never None).

    >>> list(empty_events().columns)[:4]
    ['onset_s', 'offset_s', 'duration_s', 'side']
    """
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in {**EVENT_COLUMNS, **EXTRA_COLUMNS}.items()})


def conform_events(events: pd.DataFrame) -> pd.DataFrame:
    """Return ``events`` with every contract column present (missing ones <NA>), typed, in order.

    Contract columns come first, then :data:`EXTRA_COLUMNS`, then any other columns as they were. A table that
    already conforms (the scorer's last step re-checks its own output) is only re-indexed: 0.5 ms against
    1.9 ms for an 8 h night's events.
    """
    if _conforms(events):
        out = events.reset_index(drop=True)
        out.attrs = {}                                   # as a newly built table: no attrs carried over
        return out
    # columns as arrays, the table built once on a new RangeIndex: no Series per missing column, no alignment
    n, present = len(events), set(events.columns)
    columns: dict[str, object] = {}
    for name, dtype in _TYPED.items():
        if name in present:
            column = events[name]
            columns[name] = (column if column.dtype == _PANDAS_DTYPES[name] else column.astype(dtype)).array
        else:
            columns[name] = _missing(name, dtype, n)
    for name in events.columns:
        if name not in _TYPED:
            columns[name] = events[name].array
    return pd.DataFrame(columns)


_TYPED: Final[dict[str, str]] = {**EVENT_COLUMNS, **EXTRA_COLUMNS}
_PANDAS_DTYPES: Final = {name: pd.api.types.pandas_dtype(dtype) for name, dtype in _TYPED.items()}
_DEFAULTS: Final[dict[str, int]] = {"n_components": 1, "is_clm": 0, "in_plm_series": 0}


def _missing(name: str, dtype: str, n: int) -> object:
    """A contract column the table lacks: its default (``n_components`` 1, flags 0), NaN or <NA>, ``n`` rows."""
    if name in _DEFAULTS:
        return np.full(n, _DEFAULTS[name], dtype=dtype)
    if dtype == "float64":
        return np.full(n, np.nan)
    if dtype in ("Int8", "Int64"):   # as pd.array([pd.NA] * n) builds it (values 1 under the mask), ~30x faster
        return pd.arrays.IntegerArray(np.ones(n, dtype.lower()), np.ones(n, bool))
    return pd.array(np.full(n, None, object), dtype=dtype)


def _conforms(events: pd.DataFrame) -> bool:
    """Whether ``events`` starts with every typed column, in order and of its dtype, and has unique names."""
    names = list(events.columns[: len(_TYPED)])
    if names != _TYPED_NAMES or not events.columns.is_unique:
        return False
    dtypes = events.dtypes
    return all(dtypes.iloc[i] == _PANDAS_DTYPES[name] for i, name in enumerate(_TYPED_NAMES))


_TYPED_NAMES: Final[list[str]] = list(_TYPED)
