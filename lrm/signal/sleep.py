"""Sleep onset and re-onsets after awakenings, from the rest period and the movements (docs/scoring.md §5).

An ankle sensor cannot stage sleep; it can tell sustained quiet from restless wake (the sustained-inactivity
idea of van Hees 2015, docs/scoring.md §5). A 30 s epoch is wake when it holds more than ``wake_activity_s`` of
restless movement or lies outside the bed. Restless: posture changes, walking, movements longer than the
longest single-leg CLM (10 s), and movements of >= 0.5 s that are not part of a periodic run (the rule set's
series: >= 4 onsets 10-90 s apart under WASM 2016: PLMs go on through sleep, docs/scoring.md §2.5, so they
are not evidence of wake; fidgeting is irregular). Wake runs shorter than ``min_wake_s`` inside
quiet are ignored (a roll-over is not an awakening); sleep (re)starts at the first epoch of a run of at
least ``min_sleep_s`` without wake (Tudor-Locke: 5 consecutive sleep minutes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from lrm.params import SleepParams
from lrm.rules.rulesets import WASM2016, RuleSet
from lrm.rules.series import number_periodic_runs, same_movement_s
from lrm.signal.detect import runs

__all__ = ["SleepEstimate", "find_sleep_onsets", "WAKE_TYPES"]

WAKE_TYPES = ("posture_change", "walking")
MIN_RESTLESS_S = 0.5  # shorter movements (twitches, jerks) are not restlessness


def _periodic(onset_s: npt.NDArray[np.float64], is_lm: npt.NDArray[np.bool_], rules: RuleSet = WASM2016
              ) -> npt.NDArray[np.bool_]:
    """LMs in periodic runs (:func:`lrm.rules.series.number_periodic_runs`): a PLM-like series runs on
    through sleep. Onsets closer than the rule set's bilateral window to the previous LM (the other leg's
    half of a bilateral LM) join its run.

    >>> _periodic(np.array([0.0, 20.0, 40.0, 60.0, 300.0]), np.ones(5, bool)).tolist()
    [True, True, True, True, False]
    """
    out = np.zeros(onset_s.size, bool)
    idx = np.flatnonzero(is_lm)
    if idx.size < rules.min_series_len:
        return out
    order = idx[np.argsort(onset_s[idx], kind="stable")]
    t = onset_s[order]
    head = np.concatenate(([True], np.diff(t) >= same_movement_s(rules)))  # first onset of each (bilateral) LM
    group = np.cumsum(head) - 1
    run = number_periodic_runs(t[head], rules)
    in_run = np.bincount(run)[run] >= rules.min_series_len
    out[order] = in_run[group]
    return out


@dataclass(frozen=True, slots=True, eq=False)
class SleepEstimate:
    """``onsets_s``: sleep onset and re-onsets (s since start); ``asleep``: per-epoch bool; ``epoch_s``;
    ``restless_end_s``: end (s) of every in-bed epoch with restless movement, even a single one (brief
    awakenings an ankle cannot resolve into a re-onset still mark a possible wake->sleep transition)."""

    onsets_s: tuple[float, ...]
    asleep: npt.NDArray[np.bool_]
    epoch_s: float
    restless_end_s: tuple[float, ...] = ()

    @property
    def sleep_time_h(self) -> float:
        return float(self.asleep.sum()) * self.epoch_s / 3600.0


def find_sleep_onsets(moves: pd.DataFrame, in_bed_1s: npt.NDArray[np.bool_],
                      params: SleepParams = SleepParams(), rules: RuleSet = WASM2016) -> SleepEstimate:
    """Estimate sleep onsets from movements (``onset_s``, ``offset_s``, ``type``) and per-second in-bed.

    ``rules`` gives the periodic runs (IMI limits, run length) and the longest CLM on one leg: a longer
    movement is restless wake.

    Examples
    --------
    >>> bed = np.ones(3600, bool); bed[:600] = False
    >>> m = pd.DataFrame({"onset_s": [700.0, 760.0], "offset_s": [720.0, 790.0], "type": ["lm", "lm"]})
    >>> find_sleep_onsets(m, bed).onsets_s
    (810.0,)
    """
    ep = int(params.epoch_s)
    n_ep = int(np.ceil(in_bed_1s.size / ep))
    busy = np.zeros(n_ep * ep + 1, np.float64)
    if len(moves):
        on, off = moves["onset_s"].to_numpy(float), moves["offset_s"].to_numpy(float)
        kind = moves["type"].astype(str).to_numpy()
        restless = (kind == "lm") & ((off - on) >= MIN_RESTLESS_S) & ~_periodic(on, kind == "lm", rules)
        wake = np.isin(kind, WAKE_TYPES) | ((off - on) > rules.max_clm_one_leg_s) | restless
        delta = np.zeros(n_ep * ep + 2)
        a = np.clip(on[wake].astype(np.int64), 0, n_ep * ep)
        b = np.clip(np.ceil(off[wake]).astype(np.int64), 0, n_ep * ep)
        np.add.at(delta, a, 1.0)
        np.add.at(delta, b, -1.0)
        busy = np.cumsum(delta)[: n_ep * ep] > 0
    else:
        busy = np.zeros(n_ep * ep, bool)
    active_s = busy.reshape(n_ep, ep).sum(axis=1)
    bed = np.zeros(n_ep * ep, bool)
    bed[: in_bed_1s.size] = in_bed_1s
    bed_frac = bed.reshape(n_ep, ep).mean(axis=1)
    wake = (active_s > params.wake_activity_s) | (bed_frac < 0.5)
    restless_end = tuple(float((k + 1) * ep) for k in np.flatnonzero((active_s > params.wake_activity_s) & (bed_frac >= 0.5)))
    min_wake = max(1, int(np.ceil(params.min_wake_s / ep)))
    wake_runs = runs(wake)
    for a, b in wake_runs:
        if b - a < min_wake and a > 0 and b < n_ep and bed_frac[a:b].min() >= 0.5:
            wake[a:b] = False
    quiet = runs(~wake)
    quiet = quiet[quiet[:, 1] - quiet[:, 0] >= int(np.ceil(params.min_sleep_s / ep))]
    asleep = np.zeros(n_ep, bool)
    for a, b in quiet:
        asleep[a:b] = True
    return SleepEstimate(tuple(float(a * ep) for a in quiet[:, 0]), asleep, float(ep), restless_end)
