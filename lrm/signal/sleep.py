"""Sleep onset and re-onsets after awakenings, from the ankle's movements (docs/scoring.md §5).

An ankle sensor cannot stage sleep. What it can see is the end of restlessness: a person falling asleep
stops adjusting, rolling and getting up, while periodic leg movements go on through NREM sleep
(docs/scoring.md §2.5). This is the sustained-inactivity idea of actigraphy (van Hees 2015; Tudor-Locke:
sleep starts after 5 consecutive minutes without activity, docs/scoring.md §5), on 30 s epochs as in PSG:

1. **Restless movement**: walking, posture changes (roll-overs, sitting up), movements longer than the
   longest single-leg CLM (``rules.max_clm_one_leg_s``: large-muscle-group movements last 3-45 s,
   docs/scoring.md §3.2) and movements of >= :data:`MIN_RESTLESS_S` that belong to no periodic run of the
   rule set (wake adjustments are irregular). A run is read as a PLM series is scored
   (:func:`lrm.rules.series.mark_periodic_lms`; docs/scoring.md §1.2 steps 4-8): the two legs' movements are
   combined by the rule set's bilateral rule (WASM 2016: overlapping or < 0.5 s apart, offset to onset), so the
   other leg's half of a bilateral PLM that the detector starts seconds after the first is part of it, not an
   interval < 10 s that breaks the run; >= 4 CLMs 10-90 s apart make a run, and a non-CLM (a part over 10 s, a
   bilateral LM over 15 s or of > 4 parts), a posture change or walking between two of them ends it (wake
   behaviour, not a PLM's). With ``SleepParams.keep_series_beat`` (opt-in) the test keeps a PLM series' beat
   instead: onsets less than
   ``rules.imi_min_s`` after the previous one belong to its movement (the other leg's LM a few seconds later,
   a second LM of the same beat), so they neither break a run nor make one; a posture change, walking or a
   movement too long to be two LMs between two beats ends the run (wake behaviour, not a PLM's); and a
   movement of up to :data:`PERIODIC_LONG_FACTOR` times the longest single-leg CLM that keeps a run's beat is
   two LMs the detector joined, not restlessness. Without it a night of hundreds of large PLMs reads as
   hours of wake; with it some restless wake reads as a series and a few re-onsets are missed
   (docs/validation.md, "A sleep estimate that does not read PLMs as wake").
2. **Epoch state**: *unknown* where less than half of the epoch has data (a gap hides what happened);
   *wake* where the person is out of bed or more than ``wake_activity_s`` of restless movement falls in it;
   *quiet* otherwise.
3. **Awakenings**: wake epochs less than ``min_sleep_s`` apart belong to one wake bout. A bout that holds
   at least ``min_wake_s`` of wake epochs, or time out of bed, is an awakening; a lone restless epoch with
   ``min_sleep_s`` of quiet on both sides is a movement in sleep (a roll-over with a brief arousal), and
   sleep goes on through it. Before the night's first onset after a seen lights-out every wake bout, a lone
   restless epoch included, is wake: the person was awake at the lights-out and no sleep has been seen to
   arouse from, so a restless epoch there goes on that wake (Tudor-Locke's onset: 5 consecutive minutes
   without activity, docs/scoring.md §5).
4. **Sleep (re)starts** where a wake bout's last restless movement ends: by step 3 at least
   ``min_sleep_s`` of quiet follows it. The first is the night's sleep onset, the others re-onsets. Quiet
   from the lying-down itself (no restless movement in bed before it) that a wake bout ends within
   ``persistent_sleep_s`` (30 min) is no sleep onset: the person lay still awake and got restless, as a
   sleep-onset latency of up to 30 min is normal (longer is the insomnia criterion); the night's first onset
   is then looked for after that restlessness.
5. An onset is **observed** when that quiet stretch holds no unknown epoch and the wake before it was
   seen: restless epochs, time out of bed, or the lights-out of a lying-down that posture showed or a
   diary gave. Sleep that starts at the beginning of the data without any wake seen before it is an
   onset that is not observed: the person may have been asleep already, so no wake-to-sleep transition
   is claimed there, and the hypnic-jerk rule (docs/scoring.md §3.1) does not use it.

What this cannot see: lying still while awake (the onset then comes early, by the quiet wake's length),
and awakenings without movement (no re-onset is found after them).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from lrm.params import SleepParams
from lrm.rules.rulesets import WASM2016, RuleSet
from lrm.rules.series import mark_periodic_lms, mark_periodic_runs
from lrm.signal.detect import runs

__all__ = ["SleepEstimate", "find_sleep_onsets", "WAKE_TYPES", "MIN_RESTLESS_S", "PERIODIC_LONG_FACTOR"]

WAKE_TYPES = ("posture_change", "walking")
MIN_RESTLESS_S = 0.5
"""Shorter movements are not restlessness (twitches, jerks; the WASM minimum LM duration, §1.2 step 2)."""

PERIODIC_LONG_FACTOR = 2.0
"""With ``SleepParams.keep_series_beat``: a movement in a periodic run's beat lasting up to this many times
``rules.max_clm_one_leg_s`` (WASM 2016: 20 s) is two LMs of at most 10 s each that the detector joined (a PLM
and its short-IMI neighbour, or the smear of a slow sensor), not a large-muscle-group movement of wake (3-45 s,
irregular: docs/scoring.md §3.2, §5)."""

_WAKE, _QUIET, _UNKNOWN = 0, 1, 2


@dataclass(frozen=True, slots=True, eq=False)
class SleepEstimate:
    """Sleep onsets estimated from the ankle.

    onsets_s : every sleep onset and re-onset (s since the recording start), ascending.
    kinds : per onset, ``"first"`` (the night's first) or ``"re-onset"`` (after an awakening).
    observed : per onset, whether the wake before it was seen (only those are wake-to-sleep transitions).
    asleep : bool per epoch; ``epoch_s`` the epoch length in s.
    note : why no (or not every) sleep onset could be estimated; None when nothing is missing.
    restless_ends_s : where each stretch of restless epochs in bed ends that is followed by quiet (a
        possible brief awakening or a moment of drowsiness after restlessness), onsets aside.
    sleep_period : bool per epoch, from each onset to the next awakening (``asleep`` without its lone restless
        epochs): the span a PLMS index would count; outside it is wake (docs/scoring.md §5, "Restless wake").
    """

    onsets_s: tuple[float, ...]
    kinds: tuple[str, ...]
    observed: tuple[bool, ...]
    asleep: npt.NDArray[np.bool_]
    epoch_s: float
    note: str | None = None
    restless_ends_s: tuple[float, ...] = ()
    sleep_period: npt.NDArray[np.bool_] | None = None

    @property
    def sleep_time_h(self) -> float:
        return float(self.asleep.sum()) * self.epoch_s / 3600.0

    @property
    def first_onset_s(self) -> float | None:
        """The night's first sleep onset when it was observed, else None (it may lie before the recording)."""
        return self.onsets_s[0] if self.onsets_s and self.observed[0] else None

    def transition_count(self) -> int:
        """``len(self.transitions())`` without building the table."""
        observed = int(np.count_nonzero(np.asarray(self.observed, bool)))
        return observed + (len(self.restless_ends_s) if observed else 0)

    def transitions(self, *, restless: bool = True) -> pd.DataFrame:
        """The observed wake-to-sleep transitions, in time order: ``onset_s`` (s) and ``kind`` ("first",
        "re-onset", or "restless" for the end of a restless stretch that was no awakening, with ``restless``).
        None when no onset was observed: the ends of restless stretches then mark no transition either."""
        keep = np.asarray(self.observed, bool)
        on = np.asarray(self.onsets_s, float)[keep]
        kinds = list(np.asarray(self.kinds, object)[keep])
        if restless and keep.any():
            extra = np.asarray(self.restless_ends_s, float)
            on, kinds = np.r_[on, extra], kinds + ["restless"] * extra.size
        order = np.argsort(on, kind="stable")
        return pd.DataFrame({"onset_s": on[order], "kind": pd.array(np.asarray(kinds, object)[order], dtype="string")})


def _restless(moves: pd.DataFrame, rules: RuleSet, keep_beat: bool = False) -> npt.NDArray[np.bool_]:
    """Per movement, whether it is restless (step 1 of the module docstring; ``keep_beat``:
    ``SleepParams.keep_series_beat``)."""
    on, off = moves["onset_s"].to_numpy(float), moves["offset_s"].to_numpy(float)
    kind = moves["type"].astype(str).to_numpy()
    is_lm, wake, dur = kind == "lm", np.isin(kind, WAKE_TYPES), off - on
    longest = PERIODIC_LONG_FACTOR * rules.max_clm_one_leg_s
    periodic = np.zeros(on.size, bool)
    if keep_beat:
        periodic[is_lm] = mark_periodic_runs(on[is_lm], rules, same_s=rules.imi_min_s,
                                             breaks_s=on[wake | (dur > longest)])
    else:  # the legs combined as scoring combines them; posture changes and walking end a run
        side = moves["side"].astype(str).to_numpy() if "side" in moves else np.full(on.size, "")
        periodic[is_lm] = mark_periodic_lms(on[is_lm], off[is_lm], side[is_lm], rules, breaks_s=on[wake])
    irregular = is_lm & (dur >= MIN_RESTLESS_S) & ~periodic
    joined = periodic & (dur <= longest) if keep_beat else np.zeros(on.size, bool)  # two LMs of one beat
    return wake | ((dur > rules.max_clm_one_leg_s) & ~joined) | irregular


def _epoch_states(moves: pd.DataFrame, in_bed_1s: npt.NDArray[np.bool_], valid_1s: npt.NDArray[np.bool_],
                  params: SleepParams, rules: RuleSet) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.bool_],
                                                             npt.NDArray[np.bool_]]:
    """Per epoch wake/quiet/unknown (step 2) and whether out of bed; per second restless or out of bed."""
    ep = int(params.epoch_s)
    n_ep = int(np.ceil(in_bed_1s.size / ep))
    busy = np.zeros(n_ep * ep, bool)
    if len(moves):
        wake = _restless(moves, rules, params.keep_series_beat)
        delta = np.zeros(n_ep * ep + 1)
        a = np.clip(moves["onset_s"].to_numpy(float)[wake].astype(np.int64), 0, n_ep * ep)
        b = np.clip(np.ceil(moves["offset_s"].to_numpy(float)[wake]).astype(np.int64), 0, n_ep * ep)
        np.add.at(delta, a, 1.0)
        np.add.at(delta, b, -1.0)
        busy = np.cumsum(delta)[: n_ep * ep] > 0
    bed, ok = np.zeros(n_ep * ep, bool), np.zeros(n_ep * ep, bool)
    bed[: in_bed_1s.size] = in_bed_1s
    ok[: min(valid_1s.size, n_ep * ep)] = valid_1s[: n_ep * ep]
    out_of_bed = bed.reshape(n_ep, ep).mean(axis=1) < 0.5
    active_s = busy.reshape(n_ep, ep).sum(axis=1)
    state = np.where(out_of_bed | (active_s > params.wake_activity_s), _WAKE, _QUIET)
    state = np.where(ok.reshape(n_ep, ep).mean(axis=1) < 0.5, _UNKNOWN, state).astype(np.int8)
    return state, out_of_bed & (state == _WAKE), busy | ~bed


def _wake_bouts(state: npt.NDArray[np.int8], out_of_bed: npt.NDArray[np.bool_], params: SleepParams
                ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """First and last wake epoch (k, 2) of each wake bout, and whether it is an awakening (step 3)."""
    wake = np.flatnonzero(state == _WAKE)
    if not wake.size:
        return np.empty((0, 2), np.int64), np.empty(0, bool)
    join = int(np.ceil(params.min_sleep_s / params.epoch_s))
    start = np.concatenate(([True], np.diff(wake) > join))
    bout = np.cumsum(start) - 1
    count = np.bincount(bout)
    left = np.bincount(bout, weights=out_of_bed[wake]) > 0
    bouts = np.column_stack((wake[start], wake[np.r_[np.flatnonzero(start)[1:] - 1, wake.size - 1]]))
    enough = count * params.epoch_s >= params.min_wake_s
    return bouts, enough | left


def find_sleep_onsets(moves: pd.DataFrame, in_bed_1s: npt.NDArray[np.bool_], params: SleepParams = SleepParams(),
                      rules: RuleSet = WASM2016, *, valid_1s: npt.NDArray[np.bool_] | None = None,
                      lights_out_observed: bool = True) -> SleepEstimate:
    """Estimate the sleep onset and the re-onsets after awakenings (the module docstring's steps 1-5).

    Parameters
    ----------
    moves : DataFrame
        The night's movements, both legs: ``onset_s``, ``offset_s`` (s since the recording start), ``type``
        (``lm``, ``posture_change``, ``walking``, ...).
    in_bed_1s : ndarray of bool (s,)
        In bed, per second (the rest period, out-of-bed excursions False).
    params : SleepParams
        Epoch, activity, awakening and sleep-run lengths (s).
    rules : RuleSet
        The periodic runs (IMI limits, run length) and the longest single-leg CLM.
    valid_1s : ndarray of bool (s,), optional
        Seconds with data on at least one leg (default: every second).
    lights_out_observed : bool
        Whether the rest period's start is a seen lying-down or a given lights-out (the person was awake
        then). False when the whole recording was taken as the rest period: sleep at its start is then
        not an observed onset.

    Examples
    --------
    Lights-out at 600 s, restless for two minutes, then quiet: sleep starts where the last restless
    movement ends.

    >>> bed = np.ones(3600, bool); bed[:600] = False
    >>> m = pd.DataFrame({"onset_s": [700.0, 760.0], "offset_s": [720.0, 790.0], "type": ["lm", "lm"]})
    >>> e = find_sleep_onsets(m, bed)
    >>> e.onsets_s, e.kinds, e.observed
    ((790.0,), ('first',), (True,))

    A recording that starts in bed, never showing the person lie down or move, has no observed onset:

    >>> e = find_sleep_onsets(m.iloc[:0], np.ones(3600, bool), lights_out_observed=False)
    >>> e.onsets_s, e.observed, e.note is not None
    ((0.0,), (False,), True)
    """
    valid = np.ones(in_bed_1s.size, bool) if valid_1s is None else valid_1s
    state, out_of_bed, wake_1s = _epoch_states(moves, in_bed_1s, valid, params, rules)
    ep, join = int(params.epoch_s), int(np.ceil(params.min_sleep_s / params.epoch_s))
    if lights_out_observed:  # the lights-out was a seen (or given) moment of wake
        state, out_of_bed = np.r_[np.int8(_WAKE), state], np.r_[True, out_of_bed]
        wake_1s = np.r_[np.zeros(ep - 1, bool), True, wake_1s]
    shift = int(lights_out_observed)
    onsets, observed = [], []
    first_seen = np.flatnonzero(state != _UNKNOWN)
    lead = first_seen[0] if first_seen.size else state.size
    bouts, is_awakening = _wake_bouts(state, out_of_bed, params)
    awake = bouts[is_awakening]
    if lead < state.size and state[lead] == _QUIET and (not awake.size or awake[0, 0] - lead >= join):
        onsets.append(lead * ep)               # asleep from the start of the data: not an observed transition
        observed.append(False)
    # awake at the seen lights-out: until the first onset every wake bout is wake, not an arousal (step 3)
    pre_sleep = is_awakening | lights_out_observed
    for k, (first, last) in enumerate(bouts):
        if not (is_awakening[k] if onsets else pre_sleep[k]):
            continue
        after = state[last + 1: last + 1 + join]
        if after.size < join or not (after != _WAKE).all() or (after == _UNKNOWN).all():
            continue
        second = _wake_end(wake_1s, last, ep)
        nxt = bouts[k + 1:][pre_sleep[k + 1:]]
        if (not onsets and nxt.size and nxt[0, 0] * ep - second < params.persistent_sleep_s
                and _quiet_from_lying_down(out_of_bed, first, last, second, ep)):
            continue                           # lying still awake after lying down: no persistent sleep (step 4)
        onsets.append(second)
        observed.append(bool((after == _QUIET).all()))
    onsets_s = tuple(float(t - shift * ep) for t in onsets)
    period = _asleep(state, awake, onsets, ep)
    asleep = (period & (state == _QUIET))[shift:]
    period = period[shift:]
    kinds = tuple("first" if k == 0 else "re-onset" for k in range(len(onsets_s)))
    ends = tuple(float(t - shift * ep) for t in _restless_ends(state, out_of_bed, wake_1s, onsets, ep))
    return SleepEstimate(onsets_s, kinds, tuple(observed), asleep, float(ep), _note(onsets_s, tuple(observed), params),
                         ends, period)


def _quiet_from_lying_down(out_of_bed: npt.NDArray[np.bool_], first: int, last: int, second: int, ep: int) -> bool:
    """Whether the onset at ``second`` (s) comes within one epoch of the end of the time out of bed in the wake bout
    of epochs ``first``-``last`` (a lying-down, or the lights-out): quiet from the lying-down on, with no restless
    movement in bed seen before it."""
    left = np.flatnonzero(out_of_bed[first:last + 1])
    return bool(left.size) and second - (first + int(left[-1]) + 1) * ep <= ep


def _restless_ends(state: npt.NDArray[np.int8], out_of_bed: npt.NDArray[np.bool_], wake_1s: npt.NDArray[np.bool_],
                   onsets: list[int], ep: int) -> list[int]:
    """The second each in-bed run of restless epochs ends, when at least a minute of quiet follows it and no
    onset lies there already."""
    out = []
    for a, b in runs(state == _WAKE):  # restless stretches are few
        if out_of_bed[a:b].all() or b + 2 > state.size or not (state[b:b + 2] == _QUIET).all():
            continue
        end = _wake_end(wake_1s, b - 1, ep)
        if not any(abs(end - t) < 2 * ep for t in onsets):
            out.append(end)
    return out


def _wake_end(wake_1s: npt.NDArray[np.bool_], epoch: int, ep: int) -> int:
    """The second where the restless movement (or time out of bed) that the wake ``epoch`` ends with stops,
    following it into the next epochs (a movement may straddle the epoch's end)."""
    busy = np.flatnonzero(wake_1s[epoch * ep:(epoch + 1) * ep])
    if not busy.size:
        return (epoch + 1) * ep
    last = epoch * ep + int(busy[-1])
    rest = ~wake_1s[last:]
    return last + (int(np.argmax(rest)) if rest.any() else rest.size)


def _asleep(state: npt.NDArray[np.int8], awake: npt.NDArray[np.int64], onsets: list[int], ep: int
            ) -> npt.NDArray[np.bool_]:
    """Epochs from each onset (s on the epoch grid) to the next awakening (the sleep period)."""
    asleep = np.zeros(state.size, bool)
    starts = awake[:, 0] if awake.size else np.empty(0, np.int64)
    for t in onsets:
        a = int(np.ceil(t / ep))
        nxt = starts[starts >= a]
        asleep[a: int(nxt[0]) if nxt.size else state.size] = True
    return asleep


def _note(onsets: tuple[float, ...], observed: tuple[bool, ...], params: SleepParams) -> str | None:
    """Why the sleep onset could not be estimated, or why its first one was not observed (None: neither)."""
    if not onsets:
        return (f"no sleep onset could be estimated: no {params.min_sleep_s / 60:g} min in bed without restless "
                "movement after an awakening")
    if not any(observed):
        return ("no wake-to-sleep transition was observed: sleep starts at the beginning of the data or next to a "
                "gap, so it may have begun before")
    if not observed[0]:
        return (f"the first sleep onset ({onsets[0] / 60:.0f} min after the start) was not observed: it follows the "
                "beginning of the data or a gap, so sleep may have begun earlier")
    return None
