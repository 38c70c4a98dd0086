"""Which events a scorer should be able to check by eye: every hypnic jerk and a sample of PLMs per series.

The report shows a close-up of the acceleration around each chosen event (the way a scorer checks an event
in the PSG software), and the analysis stores only those stretches (:mod:`lrm.signal.snippets`), so the
choice is made once, here, on the scored events table.

- Hypnic jerks: every one (they are few: at most one per sleep onset, docs/scoring.md §3.1), up to
  ``max_jerks``; a classification that a person may want to contest must be checkable.
- PLMs: the first, the middle and the last of each series (``per_series`` of them), fewer per series when
  the night has many series, so that every series gets at least one while ``max_events`` holds; beyond
  ``max_events`` series, evenly spaced series are kept.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = ["select_review_events", "MAX_REVIEW_EVENTS", "MAX_REVIEW_JERKS", "PLMS_PER_SERIES"]

MAX_REVIEW_EVENTS = 80
"""Events kept for review at most (bounds snippets.npz to about 1 MB: :mod:`lrm.signal.snippets`)."""
MAX_REVIEW_JERKS = 40
"""Hypnic jerks kept at most (the rest of the budget goes to PLMs)."""
PLMS_PER_SERIES = 3
"""PLMs shown per series when the budget allows: the first, the middle and the last."""


def _spread(count: int, k: int) -> npt.NDArray[np.int64]:
    """``k`` evenly spaced positions in ``range(count)`` that include both ends (k >= 1).

    >>> _spread(10, 3).tolist(), _spread(2, 3).tolist(), _spread(7, 1).tolist()
    ([0, 4, 9], [0, 1], [0])
    """
    if k >= count:
        return np.arange(count)
    if k == 1:
        return np.array([0])
    return np.unique(np.round(np.linspace(0, count - 1, k)).astype(np.int64))


def select_review_events(events: pd.DataFrame, *, max_events: int = MAX_REVIEW_EVENTS, max_jerks: int = MAX_REVIEW_JERKS,
                         per_series: int = PLMS_PER_SERIES) -> npt.NDArray[np.float64]:
    """Onsets (s, ascending) of the events to show in close-up.

    Parameters
    ----------
    events : DataFrame
        The scored events table (``onset_s``, ``type``, ``in_plm_series``, ``series_id``).
    max_events, max_jerks, per_series : int
        Budget: events in all, hypnic jerks among them, PLMs per series.

    Returns
    -------
    ndarray of float
        The chosen events' ``onset_s``, sorted.

    Examples
    --------
    >>> ev = pd.DataFrame({"onset_s": [5.0, 100, 120, 140, 160, 180], "type": ["hypnic_jerk"] + ["lm"] * 5,
    ...                    "in_plm_series": [0, 1, 1, 1, 1, 1], "series_id": [None, 1, 1, 1, 1, 1]})
    >>> select_review_events(ev).tolist()
    [5.0, 100.0, 140.0, 180.0]
    """
    if not len(events):
        return np.array([], dtype=np.float64)
    onset_s = events["onset_s"].to_numpy(float)
    kind = events["type"].astype(str).to_numpy()
    jerks = onset_s[kind == "hypnic_jerk"][:max_jerks]
    in_series = (kind == "lm") & (pd.to_numeric(events["in_plm_series"], errors="coerce").fillna(0).to_numpy() != 0)
    series = pd.to_numeric(events["series_id"], errors="coerce").to_numpy(float)
    groups = [onset_s[in_series & (series == sid)] for sid in np.unique(series[in_series & np.isfinite(series)])]
    budget = max(0, max_events - jerks.size)
    if groups and budget:
        if len(groups) > budget:
            groups = [groups[i] for i in _spread(len(groups), budget)]
        k = max(1, min(per_series, budget // len(groups)))
        plms = np.concatenate([g[_spread(g.size, k)] for g in groups])
    else:
        plms = np.array([], dtype=np.float64)
    return np.sort(np.concatenate([jerks, plms]))
