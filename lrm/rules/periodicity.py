"""Ferri's periodicity index and IMI statistics (docs/scoring.md §2.1)."""

from __future__ import annotations

import numpy as np

from lrm.rules.rulesets import PI_IMI_MAX_S, PI_IMI_MIN_S, PI_MIN_RUN, TIME_DECIMALS

__all__ = ["periodicity_index", "PI_IMI_MIN_S", "PI_IMI_MAX_S", "PI_MIN_RUN", "log_imi_stats"]


def periodicity_index(onset_s: np.ndarray, is_clm: np.ndarray) -> float:
    """Ferri's periodicity index, interval form: the share of IMIs that are periodic (0-1; NaN if < 2 LMs).

    Parameters
    ----------
    onset_s : ndarray of float, shape (n,)
        Onsets in s of every scored LM (CLMs and non-CLMs), ascending.
    is_clm : ndarray of bool, shape (n,)

    Returns
    -------
    float
        (number of IMIs with 10 < IMI <= 90 s, both ends CLMs, that lie in a run of >= 3 consecutive such
        IMIs) / (number of all IMIs = n - 1).

    Notes
    -----
    docs/scoring.md §2.1, "Periodicity index (PI), interval form" (Ferri et al., Sleep 2006;29:759-69). The
    limits are fixed (10 < IMI <= 90 s) whatever the rule set, so the value compares across studies;
    a non-CLM breaks a run (as in WASM 2016). Not the movement form PLM/CLM, which lrm reports
    separately as ``plm_clm_ratio`` (what MATPLM-Score and SOMAS print as "PI").

    Examples
    --------
    >>> # 0, 20, 40, 45, 65, 85, 105 s: the last three IMIs (20, 20, 20) form a run; 6 IMIs in all
    >>> round(periodicity_index(np.array([0, 20, 40, 45, 65, 85, 105.0]), np.ones(7, bool)), 4)
    0.5
    """
    onset_s, is_clm = np.asarray(onset_s, float), np.asarray(is_clm, bool)
    if onset_s.size < 2:
        return float("nan")
    imi_s = np.round(np.diff(onset_s), TIME_DECIMALS)
    periodic = (imi_s > PI_IMI_MIN_S) & (imi_s <= PI_IMI_MAX_S) & is_clm[1:] & is_clm[:-1]
    run_id = np.cumsum(~periodic)
    run_len = np.bincount(run_id, weights=periodic)[run_id]
    return float(np.sum(periodic & (run_len >= PI_MIN_RUN)) / imi_s.size)


def log_imi_stats(imi_s: np.ndarray) -> tuple[float, float]:
    """(geometric mean in s, SD of ln IMI) of the given IMIs in s; (NaN, NaN) when there are none.

    docs/scoring.md §2.1 "Mean and SD of log IMI" (PLMScoRe reports the geometric mean).

    >>> [round(v, 3) for v in log_imi_stats(np.array([10.0, 40.0]))]
    [20.0, 0.98]
    """
    imi_s = np.asarray(imi_s, float)
    imi_s = imi_s[np.isfinite(imi_s) & (imi_s > 0)]
    if imi_s.size == 0:
        return float("nan"), float("nan")
    log_imi = np.log(imi_s)
    sd = float(np.std(log_imi, ddof=1)) if imi_s.size > 1 else float("nan")
    return float(np.exp(log_imi.mean())), sd
