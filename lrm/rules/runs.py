"""Aggregate runs of consecutive rows of an event table: the grouping step of merging (docs/scoring.md §1.2
step 1) and of bilateral combination (step 4), where each group is a run of time-ordered rows.

A run-wise ``np.ufunc.reduceat`` per column does what ``DataFrame.groupby(...).agg(...)`` does for these
contiguous groups, with pandas' semantics (``min``/``max`` skip NaN, ``first`` is the first non-missing value)
and without its per-call overhead, which dominated the scoring of a night.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["aggregate_runs", "aggregate_columns"]

_HOWS = ("first", "min", "max", "sum", "all", "any")


def aggregate_runs(table: pd.DataFrame, run_start: npt.NDArray[np.intp], how: dict[str, str]) -> pd.DataFrame:
    """One row per run of consecutive rows, each column aggregated as ``how[column]`` says.

    Parameters
    ----------
    table : DataFrame
        The rows, in run order (any index).
    run_start : ndarray of int (k,)
        Row position where each run starts: increasing, the first 0 (run ``i`` is rows
        ``run_start[i]`` up to the next start).
    how : dict
        Column -> ``"first"`` (first non-missing value), ``"min"``, ``"max"`` (missing values skipped),
        ``"sum"``, ``"all"`` or ``"any"``.

    Returns
    -------
    DataFrame
        k rows (index 0..k-1), the columns of ``how`` in its order, dtypes as pandas' groupby gives them.

    Examples
    --------
    >>> t = pd.DataFrame({"a": [1.0, np.nan, 3.0], "b": ["x", "y", "z"]})
    >>> aggregate_runs(t, np.array([0, 1]), {"a": "max", "b": "first"}).to_dict("list")
    {'a': [1.0, 3.0], 'b': ['x', 'y']}
    """
    run_start = np.asarray(run_start, dtype=np.intp)
    if len(table) == 0 or run_start.size == 0:
        return pd.DataFrame({name: table[name].iloc[:0] for name in how}).reset_index(drop=True)
    return pd.DataFrame(aggregate_columns(table, run_start, how))


def aggregate_columns(table: pd.DataFrame, run_start: npt.NDArray[np.intp], how: dict[str, str]) -> dict[str, object]:
    """:func:`aggregate_runs`' columns (name -> array, in ``how``'s order) before they become a table, for a caller
    that adds or replaces columns first and builds its table once (each column added to a built table costs
    ~0.25 ms: pandas rebuilds the column index). ``table`` and ``run_start`` non-empty."""
    run_start = np.asarray(run_start, dtype=np.intp)
    n = len(table)
    columns: dict[str, object] = {}
    group: npt.NDArray[np.intp] | None = None
    for name, fn in how.items():
        if fn not in _HOWS:
            raise ValueError(f"unknown aggregation {fn!r} for column {name!r}; use one of {', '.join(_HOWS)}")
        column = table[name]
        values = column.to_numpy() if isinstance(column.dtype, np.dtype) else None
        if fn == "first":
            columns[name] = _first_valid(column, run_start, n)
        elif values is not None and values.dtype.kind in "biuf":
            columns[name] = _reduce(values, run_start, fn)
        else:  # extension dtypes (nullable integers, strings ...): pandas, per column
            if group is None:
                group = np.repeat(np.arange(run_start.size), np.diff(np.r_[run_start, n]))
            columns[name] = column.groupby(group, sort=True).agg(fn).reset_index(drop=True)
    return columns


def _reduce(values: npt.NDArray, run_start: npt.NDArray[np.intp], fn: str) -> npt.NDArray:
    if fn in ("all", "any"):
        ufunc = np.logical_and if fn == "all" else np.logical_or
        return ufunc.reduceat(values.astype(bool), run_start)
    if fn == "sum":
        return np.add.reduceat(values, run_start)
    if values.dtype.kind == "f":  # fmin/fmax skip NaN, as pandas does (an all-NaN run stays NaN)
        return (np.fmin if fn == "min" else np.fmax).reduceat(values, run_start)
    return (np.minimum if fn == "min" else np.maximum).reduceat(values, run_start)


def _first_valid(column: pd.Series, run_start: npt.NDArray[np.intp], n: int) -> object:
    """Each run's first non-missing value (missing when the whole run is), as an array of the column's dtype."""
    values = column.array
    present = ~np.asarray(pd.isna(values), dtype=bool)
    if present.all() or run_start.size == n:   # a run of one row: its own value, missing or not
        return values.take(run_start)
    first = np.minimum.reduceat(np.where(present, np.arange(n), n), run_start)
    # a run with no value keeps its first row's (missing) value
    return values.take(np.where(first < n, first, run_start))
