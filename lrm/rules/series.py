"""Inter-movement intervals and PLM series (docs/scoring.md §1.2 steps 6-8)."""

from __future__ import annotations

import numpy as np

from lrm.rules.bilateral import clm_of_combined, mark_monolateral_clm, number_bilateral
from lrm.rules.rulesets import AASM, TIME_DECIMALS, WASM2016, RuleSet

__all__ = ["compute_imi", "number_series", "mark_series", "number_periodic_runs", "same_movement_s", "mark_periodic_runs",
           "mark_periodic_lms"]


def compute_imi(onset_s: np.ndarray) -> np.ndarray:
    """Onset-to-onset interval in s from the previous LM (NaN for the first), over all LMs in time order.

    Notes
    -----
    docs/scoring.md §1.2 step 6: the IMI runs over every LM, non-CLMs included (PLMScoRe). Always onset to
    onset, never offset to onset (the ProfusionPSG 3 pitfall). Rounded to 1 µs.

    >>> compute_imi(np.array([0.0, 20.0, 45.5])).tolist()
    [nan, 20.0, 25.5]
    """
    return np.round(np.diff(np.asarray(onset_s, float), prepend=np.nan), TIME_DECIMALS)


def number_series(onset_s: np.ndarray, is_clm: np.ndarray, rules: RuleSet = WASM2016) -> np.ndarray:
    """Number the PLM series: 1, 2, ... for each CLM in a series (in time order), 0 elsewhere.

    Parameters
    ----------
    onset_s : ndarray of float, shape (n,)
        LM onsets in s from recording start, ascending, non-CLMs included (they break series).
    is_clm : ndarray of bool, shape (n,)
        True where the LM is a candidate LM.
    rules : RuleSet
        ``imi_min_s``/``imi_max_s`` (inclusive, s) and ``min_series_len``.

    Returns
    -------
    ndarray of int64, shape (n,)
        Series number of every PLM, 0 for LMs outside any series.

    Notes
    -----
    docs/scoring.md §1.2 steps 7-8. A series is >= ``min_series_len`` (4) consecutive CLMs whose IMIs all lie
    in [``imi_min_s``, ``imi_max_s``] (WASM 2016: 10-90 s; AASM: 5-90 s), both ends included, compared at
    1 µs. A series ends at an IMI below or above the range or at a non-CLM. The CLM that follows a short
    IMI may start a new series (PLMScoRe behaviour; SOMAS is stricter). Wake does not break series:
    they are built on the whole LM sequence and the stage is looked up afterwards (step 8).

    Examples
    --------
    >>> onsets, clm = np.array([0, 20, 40, 45, 65, 85, 105.0]), np.ones(7, bool)
    >>> number_series(onsets, clm, WASM2016).tolist()
    [0, 0, 0, 1, 1, 1, 1]
    """
    onset_s = np.asarray(onset_s, float)
    is_clm = np.asarray(is_clm, bool)
    if onset_s.size == 0:
        return np.zeros(0, np.int64)
    imi_s = compute_imi(onset_s)
    prev_is_clm = np.concatenate(([False], is_clm[:-1]))
    link = is_clm & prev_is_clm & (imi_s >= rules.imi_min_s) & (imi_s <= rules.imi_max_s)
    run_id = np.cumsum(~link)  # a new run starts wherever the chain breaks
    in_series = is_clm & (np.bincount(run_id)[run_id] >= rules.min_series_len)
    starts = in_series & ~link  # the first CLM of each series
    return np.where(in_series, np.cumsum(starts), 0).astype(np.int64)


def mark_series(onset_s: np.ndarray, is_clm: np.ndarray, rules: RuleSet = WASM2016) -> np.ndarray:
    """Flag the CLMs that belong to a PLM series (every PLM); see :func:`number_series`.

    Returns
    -------
    ndarray of bool, shape (n,)

    References
    ----------
    .. [1] Ferri R, et al. World Association of Sleep Medicine (WASM) 2016 standards for recording and
       scoring leg movements in polysomnograms. Sleep Med 2016;26:86-95.

    Examples
    --------
    >>> # the worked example in docs/scoring.md §1.2: 4 PLMs under WASM 2016, 7 under AASM (5-90 s)
    >>> onsets, clm = np.array([0, 20, 40, 45, 65, 85, 105.0]), np.ones(7, bool)
    >>> int(mark_series(onsets, clm, WASM2016).sum()), int(mark_series(onsets, clm, AASM).sum())
    (4, 7)
    """
    return number_series(onset_s, is_clm, rules) > 0


def same_movement_s(rules: RuleSet = WASM2016) -> float:
    """Onsets closer than this (s) on the two legs are one movement when counting periodic runs of raw
    single-leg onsets: the rule set's bilateral window (WASM 2016: 0.5 s, AASM: onsets < 5 s apart, §1.3).

    >>> same_movement_s(WASM2016), same_movement_s(AASM)
    (0.5, 5.0)
    """
    window = rules.bilateral_onset_window_s if rules.bilateral_onset_window_s is not None else rules.bilateral_gap_s
    return float(window)


def number_periodic_runs(onset_s: np.ndarray, rules: RuleSet = WASM2016) -> np.ndarray:
    """Run id (int64, ascending from 1) of each onset: consecutive onsets whose IMI lies in
    [``imi_min_s``, ``imi_max_s``] (inclusive, compared at 1 µs) share a run.

    The series rule of docs/scoring.md §1.2 step 7 without the CLM test, for onsets that are not scored LMs
    yet (sleep-onset and hypnic-jerk estimates): a run of at least ``rules.min_series_len`` onsets is
    periodic. ``onset_s`` must be ascending.

    >>> number_periodic_runs(np.array([0.0, 20.0, 40.0, 45.0, 65.0])).tolist()
    [1, 1, 1, 2, 2]
    """
    imi_s = compute_imi(onset_s)
    link = (imi_s >= rules.imi_min_s) & (imi_s <= rules.imi_max_s)
    return np.cumsum(~link).astype(np.int64)


def mark_periodic_runs(onset_s: np.ndarray, rules: RuleSet = WASM2016, *, same_s: float | None = None,
                       breaks_s: np.ndarray | None = None) -> np.ndarray:
    """Flag the onsets that lie in a periodic run of at least ``rules.min_series_len`` movements
    (:func:`number_periodic_runs`), counting onsets closer than :func:`same_movement_s` to the previous one
    (the other leg's half of a bilateral movement) as one movement that shares its run.

    For movements that are not scored yet (sleep onsets, hypnic jerks): PLM-like series run on through NREM
    sleep (docs/scoring.md §2.5); restless wake adjustments and jerks are irregular. ``onset_s`` in any order.
    ``same_s`` (s) replaces :func:`same_movement_s` as the spacing below which an onset joins the previous
    movement (the sleep estimate passes ``rules.imi_min_s``: a movement a few seconds after a PLM is part of that
    PLM's beat, docs/scoring.md §5); a chain of onsets each closer than it to the last is one movement.
    ``breaks_s`` (s): onsets of other movements that end a run when they fall from one movement's first onset up to
    the next's (the sleep estimate passes posture changes and walking: wake behaviour between two beats).

    >>> mark_periodic_runs(np.array([0.0, 20.0, 40.0, 40.2, 60.0, 300.0])).tolist()
    [True, True, True, True, True, False]
    >>> onsets = np.array([0.0, 20.0, 24.0, 40.0, 60.0])   # a second movement 4 s after a PLM breaks the run...
    >>> mark_periodic_runs(onsets).tolist(), mark_periodic_runs(onsets, same_s=10.0).tolist()  # ...unless it joins it
    ([False, False, False, False, False], [True, True, True, True, True])
    >>> mark_periodic_runs(np.array([0.0, 20.0, 40.0, 60.0, 80.0, 100.0]), breaks_s=np.array([30.0])).tolist()
    [False, False, True, True, True, True]
    """
    onset_s = np.asarray(onset_s, float)
    out = np.zeros(onset_s.size, bool)
    if onset_s.size < rules.min_series_len:
        return out
    order = np.argsort(onset_s, kind="stable")
    t = onset_s[order]
    same = same_movement_s(rules) if same_s is None else float(same_s)
    head = np.concatenate(([True], np.diff(t) >= same))  # first onset of each movement
    group = np.cumsum(head) - 1
    run = number_periodic_runs(t[head], rules)
    if breaks_s is not None and np.size(breaks_s):
        before = np.searchsorted(np.sort(np.asarray(breaks_s, float)), t[head], side="left")   # breaks before each
        run = run + np.cumsum(np.diff(before, prepend=before[0]) > 0)    # a break between two movements ends the run
    in_run = np.bincount(run)[run] >= rules.min_series_len
    out[order] = in_run[group]
    return out


def mark_periodic_lms(onset_s: np.ndarray, offset_s: np.ndarray, side: np.ndarray, rules: RuleSet = WASM2016, *,
                      breaks_s: np.ndarray | None = None) -> np.ndarray:
    """Flag the single-leg movements that lie in a PLM-like run once the legs are combined as scoring combines them.

    Parameters
    ----------
    onset_s, offset_s : ndarray of float, shape (n,)
        Movements of either leg, any order (s since the recording start).
    side : ndarray of str, shape (n,)
        The leg of each movement (read only by the AASM bilateral rule).
    rules : RuleSet
        The bilateral rule, the CLM limits, the IMI limits and the run length.
    breaks_s : ndarray of float, optional
        Onsets (s) of other movements that end a run when they fall from one LM's onset up to the next's.

    Returns
    -------
    ndarray of bool, shape (n,)
        True for every movement whose combined LM belongs to a run of at least ``rules.min_series_len`` CLMs.

    Notes
    -----
    For movements that are not scored yet (the sleep estimate, docs/scoring.md §5). The movements are combined
    by the rule set's bilateral rule (docs/scoring.md §1.2 step 4, :func:`~lrm.rules.bilateral.number_bilateral`;
    WASM 2016: overlapping or < 0.5 s apart, offset to onset), so the other leg's half of a bilateral PLM that the
    detector starts a few seconds later, or a PLM the detector split, is one LM timed by its first onset, as in
    scoring. The combined LM is a CLM unless a part lasts > ``max_clm_one_leg_s`` (step 3) or, made of both legs,
    it lasts > ``max_clm_bilateral_s`` or has > ``max_components`` parts (step 4). Runs follow steps 7-8: CLMs
    whose onset-to-onset intervals lie in [``imi_min_s``, ``imi_max_s``]; a non-CLM, an interval out of range or
    a break ends a run.

    Examples
    --------
    >>> on = np.array([0.0, 3.0, 20.0, 22.0, 40.0, 45.0, 60.0])   # each PLM's other leg starts 2-5 s later...
    >>> off = on + np.array([4.0, 2.0, 3.0, 2.0, 6.0, 2.0, 3.0])  # ...while the first still moves
    >>> side = np.array(["left", "right"] * 3 + ["left"])
    >>> mark_periodic_lms(on, off, side).all(), mark_periodic_runs(on).any()
    (np.True_, np.False_)
    """
    onset_s, offset_s = np.asarray(onset_s, float), np.asarray(offset_s, float)
    out = np.zeros(onset_s.size, bool)
    if onset_s.size < rules.min_series_len:
        return out
    order = np.lexsort((offset_s, onset_s))
    on, off, legs = onset_s[order], offset_s[order], np.asarray(side, object)[order]
    group = number_bilateral(on, off, legs, rules)
    run_start = np.flatnonzero(np.r_[True, np.diff(group) > 0])
    n = run_start.size
    first_on = on[run_start]
    clm, _ = clm_of_combined(mark_monolateral_clm(on, off, rules), legs, run_start,
                             np.maximum.reduceat(off, run_start) - first_on, rules)
    stops = first_on[~clm] if breaks_s is None else np.r_[np.asarray(breaks_s, float), first_on[~clm]]
    periodic = np.zeros(n, bool)
    periodic[clm] = mark_periodic_runs(first_on[clm], rules, same_s=0.0, breaks_s=stops)
    out[order] = periodic[group]
    return out
