"""PLM-arousal association (docs/scoring.md §1.1 "Arousal association", both standards)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lrm.rules.intervals import touches_any
from lrm.rules.rulesets import WASM2016, RuleSet

__all__ = ["mark_arousal"]


def mark_arousal(
    onset_s: np.ndarray, offset_s: np.ndarray, arousals: pd.DataFrame, rules: RuleSet = WASM2016
) -> np.ndarray:
    """True for each LM associated with an arousal: they overlap, or the gap between them is < 0.5 s.

    Parameters
    ----------
    onset_s, offset_s : ndarray of float, shape (n,)
        LM onset and offset in s since recording start.
    arousals : DataFrame
        ``onset_s``, ``offset_s`` of each arousal in s since recording start.
    rules : RuleSet
        ``arousal_gap_s`` (0.5 s).

    Notes
    -----
    docs/scoring.md §1.1 and §2.4: overlapping, or < 0.5 s from the end of one to the onset of the other,
    in either order (Ferri 2015: arousal first in 41% of pairs). Each arousal is widened by 0.5 s on both
    sides and a strict overlap is tested, so a gap of exactly 0.5 s (at 1 µs) is not associated.

    Examples
    --------
    >>> arousal = pd.DataFrame({"onset_s": [10.0], "offset_s": [13.0]})
    >>> mark_arousal(np.array([5.0, 13.4, 13.5]), np.array([9.6, 15.0, 15.0]), arousal).tolist()
    [True, True, False]
    """
    start_s = arousals["onset_s"].to_numpy(float) - rules.arousal_gap_s
    end_s = arousals["offset_s"].to_numpy(float) + rules.arousal_gap_s
    return touches_any(onset_s, offset_s, start_s, end_s, closed=False)
