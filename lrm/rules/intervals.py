"""Vectorised test: does an event touch any of a set of time windows? (used by respiratory and arousal)."""

from __future__ import annotations

import numpy as np

from lrm.rules.rulesets import TIME_DECIMALS

__all__ = ["touches_any"]


def touches_any(
    onset_s: np.ndarray, offset_s: np.ndarray, window_start_s: np.ndarray, window_end_s: np.ndarray,
    *, closed: bool = True,
) -> np.ndarray:
    """True for each event [onset, offset] that shares any time with some window [start, end] (all s).

    ``closed=True``: touching ends count (start <= offset and end >= onset). ``closed=False``: strict
    (start < offset and end > onset). Windows may overlap one another. O((n + m) log m), no Python loop:
    windows sorted by start, running maximum of their ends. Compared at 1 µs.

    >>> touches_any(np.array([0.0, 5.0]), np.array([1.0, 6.0]), np.array([1.0]), np.array([2.0])).tolist()
    [True, False]
    """
    onset_s, offset_s = np.asarray(onset_s, float), np.asarray(offset_s, float)
    if len(window_start_s) == 0 or onset_s.size == 0:
        return np.zeros(onset_s.size, bool)
    order = np.argsort(window_start_s, kind="stable")
    start = np.round(np.asarray(window_start_s, float)[order], TIME_DECIMALS)
    end_max = np.maximum.accumulate(np.round(np.asarray(window_end_s, float)[order], TIME_DECIMALS))
    n_started = np.searchsorted(start, np.round(offset_s, TIME_DECIMALS), side="right" if closed else "left")
    latest_end = np.where(n_started > 0, end_max[np.maximum(n_started - 1, 0)], -np.inf)
    onset = np.round(onset_s, TIME_DECIMALS)
    return (latest_end >= onset) if closed else (latest_end > onset)
