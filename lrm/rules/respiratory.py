"""Respiratory-related CLMs, CLMr (docs/scoring.md §1.2 step 10; AASM §1.1)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lrm.rules.intervals import touches_any
from lrm.rules.rulesets import WASM2016, RuleSet

__all__ = ["respiratory_windows", "mark_respiratory"]


def respiratory_windows(respiratory: pd.DataFrame, rules: RuleSet = WASM2016) -> tuple[np.ndarray, np.ndarray]:
    """Return the (start_s, end_s) arrays of the CLMr windows of respiratory events (``onset_s``, ``offset_s``).

    WASM 2016: [end - 2.0 s, end + 10.25 s] around the **end** of each event (Manconi 2015). AASM:
    [onset - 0.5 s, end + 0.5 s] (no LM scored from 0.5 s before to 0.5 s after the event).
    """
    onset_s = respiratory["onset_s"].to_numpy(float)
    end_s = respiratory["offset_s"].to_numpy(float)
    anchor_s = end_s if rules.resp_anchor == "end" else onset_s
    return anchor_s - rules.resp_before_s, end_s + rules.resp_after_s


def mark_respiratory(
    onset_s: np.ndarray, offset_s: np.ndarray, respiratory: pd.DataFrame, rules: RuleSet = WASM2016
) -> np.ndarray:
    """True for each LM with any part inside the window of some respiratory event.

    Parameters
    ----------
    onset_s, offset_s : ndarray of float, shape (n,)
        LM onset and offset in s since recording start.
    respiratory : DataFrame
        Apneas, hypopneas, RERAs: ``onset_s``, ``offset_s`` in s since recording start.
    rules : RuleSet
        The window: ``resp_anchor``, ``resp_before_s``, ``resp_after_s``.

    Returns
    -------
    ndarray of bool, shape (n,)
        A CLM flagged here is a CLMr.

    Notes
    -----
    docs/scoring.md §1.2 step 10: CLMr = CLM with any part inside [-2.0 s, +10.25 s] around the end of a
    respiratory event (PLMScoRe; window closed at both ends); AASM option ±0.5 s around the event.

    Examples
    --------
    >>> apnea = pd.DataFrame({"onset_s": [100.0], "offset_s": [120.0]})
    >>> mark_respiratory(np.array([117.0, 130.0, 131.0]), np.array([117.9, 131.0, 132.0]), apnea).tolist()
    [False, True, False]
    """
    start_s, end_s = respiratory_windows(respiratory, rules)
    return touches_any(onset_s, offset_s, start_s, end_s, closed=True)
