"""Hypnic jerks (sleep starts): kept apart from leg movements and never scored as PLMs.

docs/scoring.md §3.1: a hypnic jerk is a sudden, brief (EMG 75-250 ms), large, non-periodic jerk, usually of
several body segments on both sides at once, at the transition from wake to sleep. For two ankle sensors
this gives, by inference (§3.1 "for a two-ankle IMU system"): a brief high-acceleration transient, on both
legs within ``bilateral_s`` when both are recorded, isolated (no other movement within ``isolation_s``),
not inside a periodic run (IMIs to both neighbours within the 10-90 s PLM range), close to an estimated
sleep onset (approximated, since an ankle sensor cannot stage sleep: wake evidence such as lights-out, an
estimated sleep (re)onset, a posture change or walking within ``transition_s`` before it). Its ring-down
may stretch the acceleration past 0.5 s, so brevity is measured as the time the envelope spends at or
above half its peak (``half_peak_s``: at most ~0.3 s for a 75-250 ms burst seen through the envelope's
0.2 s smoothing, while an LM's tonic hold keeps it up for most of the LM), with the whole movement
(onset to offset rule) also short.

Other look-alikes (§3.2: hypnagogic foot tremor, ALMA, HFLM: trains of bursts at 0.3-4 Hz) are not
isolated, so they are never jerks; their bursts stay LMs with IMIs < 10 s, which under WASM 2016 break
series instead of forming them (§1.2 step 8a).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lrm.params import JerkParams
from lrm.rules.rulesets import WASM2016, RuleSet
from lrm.rules.series import number_periodic_runs, same_movement_s

__all__ = ["classify_hypnic_jerks"]


def classify_hypnic_jerks(moves: pd.DataFrame, sleep_onsets_s: tuple[float, ...] | list[float] | np.ndarray,
                          params: JerkParams = JerkParams(), *, n_legs: int = 2, rules: RuleSet = WASM2016
                          ) -> pd.DataFrame:
    """Relabel the movements that are hypnic jerks (``type = "hypnic_jerk"``).

    Parameters
    ----------
    moves : DataFrame
        Single-leg movements of the night: ``onset_s``, ``offset_s``, ``side``, ``type``, ``peak_g`` (g),
        ``half_peak_s`` (s at or above half the peak; ``burst_s`` is used if it is missing). Only
        ``type == "lm"`` rows can become jerks.
    sleep_onsets_s : sequence of float
        Estimated sleep onsets and re-onsets (s since the recording start), lights-out included.
    params : JerkParams
        Brevity, size, isolation, bilateral and transition windows.
    n_legs : int
        Legs recorded (1 or 2). With two, a unilateral candidate needs twice the size.
    rules : RuleSet
        The periodic runs a jerk may not sit inside (IMI limits, run length) and the longest single-leg
        CLM (a longer movement is wake evidence).

    Returns
    -------
    DataFrame
        ``moves`` in time order with jerks relabelled; the two legs' halves of a bilateral jerk become one
        row with ``side = "bilateral"``, onset the earlier and offset the later.

    Examples
    --------
    >>> m = pd.DataFrame({"onset_s": [100.0, 100.05, 400.0], "offset_s": [100.6, 100.7, 403.0],
    ...                   "side": ["left", "right", "left"], "type": "lm", "peak_g": [0.9, 0.7, 0.15],
    ...                   "half_peak_s": [0.12, 0.16, 2.0]})
    >>> classify_hypnic_jerks(m, [90.0])[["onset_s", "side", "type"]].values.tolist()
    [[100.0, 'bilateral', 'hypnic_jerk'], [400.0, 'left', 'lm']]
    """
    if moves.empty:
        return moves.copy()
    t = moves.sort_values("onset_s", kind="stable").reset_index(drop=True)
    on, off = t["onset_s"].to_numpy(float, copy=True), t["offset_s"].to_numpy(float, copy=True)
    side = t["side"].astype(str).to_numpy()
    is_lm = (t["type"].astype(str) == "lm").to_numpy()
    peak = t["peak_g"].to_numpy(float, copy=True)
    brief = t["half_peak_s"].to_numpy(float) if "half_peak_s" in t else t["burst_s"].to_numpy(float)
    typical = float(np.median(peak[is_lm])) if is_lm.any() else 0.0
    big_g = max(params.min_peak_g, params.min_peak_ratio * typical)
    brief_short = is_lm & (brief <= params.max_half_peak_s) & ((off - on) <= params.max_duration_s)
    cand = brief_short.copy()  # other brief twitches (jerks in a cluster at sleep onset) are not an LM series
    if "angle_deg" in t:  # a jerk leaves the leg where it was; a fidget or shift repositions it
        cand &= ~(t["angle_deg"].to_numpy(float) > params.max_lasting_change_deg)
    # near a wake->sleep transition: wake evidence (lights-out, a sleep (re)onset, a posture change or
    # walking, a long movement) within transition_s before the jerk, or a sleep onset just after it
    kind = t["type"].astype(str).to_numpy()
    wake_mark = np.isin(kind, ("posture_change", "walking")) | ((off - on) > rules.max_clm_one_leg_s)
    evidence = np.sort(np.concatenate((np.asarray(sleep_onsets_s, float), on[wake_mark])))
    if evidence.size:
        k = np.searchsorted(evidence, on + params.after_onset_s, side="right")
        last = evidence[np.clip(k - 1, 0, evidence.size - 1)]
        cand &= (k > 0) & (on - last <= params.transition_s)
    else:
        cand[:] = False
    jerk = np.zeros(len(t), bool)
    partner = np.full(len(t), -1)
    for i in np.flatnonzero(cand):  # candidates are few
        twin = np.flatnonzero((np.abs(on - on[i]) <= params.bilateral_s) & (side != side[i]) & (np.arange(len(t)) != i))
        others = np.ones(len(t), bool)
        others[i] = False
        others[twin] = False
        # isolation from other leg movements (docs/scoring.md §3.1: no CLM within 10 s); a roll-over or walking
        # is wake evidence, not a neighbour, unless it touches the jerk (within posture_margin_s)
        reach = np.where(wake_mark & (kind != "lm"), params.posture_margin_s, params.isolation_s)
        close = others & (on <= off[i] + reach) & (off >= on[i] - reach)
        if close.any():
            continue
        pair_peak = max(peak[i], peak[twin].max()) if twin.size else peak[i]
        if pair_peak < (2 * big_g if n_legs == 2 and twin.size == 0 else big_g):
            continue  # a unilateral jerk must be twice as large
        if not twin.size and _in_periodic_run(on[is_lm & others & ~brief_short], on[i], rules):
            continue  # would be part of a run of >= 4 LMs 10-90 s apart: a PLM series, not a jerk
        jerk[i] = True
        if twin.size:
            partner[i] = int(twin[0])
    # merge the two legs' halves into one bilateral row
    drop = np.zeros(len(t), bool)
    types = t["type"].astype("string").to_numpy(dtype=object)
    sides = side.astype(object)
    for i in np.flatnonzero(jerk):
        if drop[i]:
            continue
        types[i] = "hypnic_jerk"
        j = partner[i]
        if j >= 0:
            drop[j] = True
            sides[i] = "bilateral"
            on[i], off[i] = min(on[i], on[j]), max(off[i], off[j])
            peak[i] = max(peak[i], peak[j])
    t["type"] = pd.array(types, dtype="string")
    t["side"] = pd.array(sides, dtype="string")
    t["onset_s"], t["offset_s"], t["peak_g"] = on, off, peak
    return t.loc[~drop].reset_index(drop=True)


def _in_periodic_run(lm_onsets_s: np.ndarray, onset_s: float, rules: RuleSet = WASM2016) -> bool:
    """Whether ``onset_s`` inserted among the LM onsets lies inside a periodic run of the rule set
    (:func:`lrm.rules.series.number_periodic_runs`): linked to both its neighbours, so the series goes on
    through it.

    A jerk just before a series (sleep onset, then PLMs once asleep) or just after one is not inside it.
    Onsets within the rule set's bilateral window of the previous one (the other leg's half of a bilateral
    LM) are dropped first.

    >>> _in_periodic_run(np.array([0.0, 20.0, 80.0, 200.0]), 60.0), _in_periodic_run(np.array([0.0, 50.0, 300.0]), 100.0)
    (True, False)
    >>> _in_periodic_run(np.array([20.0, 40.0, 60.0, 80.0]), 0.0)  # just before a series
    False
    """
    x = np.sort(lm_onsets_s)
    if x.size:
        x = x[np.concatenate(([True], np.diff(x) >= same_movement_s(rules)))]
    c = int(np.searchsorted(x, onset_s))
    x = np.insert(x, c, onset_s)
    run = number_periodic_runs(x, rules)
    if c == 0 or c == x.size - 1 or not run[c - 1] == run[c] == run[c + 1]:
        return False
    return int(np.count_nonzero(run == run[c])) >= rules.min_series_len
