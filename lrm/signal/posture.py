"""Posture per leg: lying vs upright from the shank's orientation; posture changes and walking.

docs/scoring.md §5: lying puts the shank near horizontal, so gravity lies across the tibia; standing or sitting
with the feet down puts gravity along it. The sensor may be strapped at any rotation, so the tibia's axis
in sensor coordinates is learnt from the night itself: while walking the shank is upright on average, so
the mean gravity direction over walking bouts is the tibia axis. Roll-overs turn the leg by ~20-120 deg
within 0.5-3 s and the new orientation lasts, restless adjustments by a few degrees; both are labelled
``posture_change``, not LMs (an LM returns the leg to where it was). Walking is found per second from
sustained hard movement with the shank upright (or a few strides' swing close to such a bout, or a slow walk's
weaker oscillation sustained for 20 s or more), and every movement in or next to a walking bout is walking.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from lrm.params import PostureParams
from lrm.signal.detect import runs

__all__ = ["Posture", "cover", "estimate_posture", "classify_movements", "label_wake_repositionings", "label_kept_turns",
           "kept_turns", "orientation_change_deg",
           "WALK_ACTIVITY_G", "WALK_SWING_G", "WALK_SHORT_S", "WALK_SHORT_SWING_S",
           "WALK_NEAR_S", "WALK_SUSTAINED_G", "WALK_SUSTAINED_S"]

WALK_ACTIVITY_G = 0.08
"""Mean envelope (g) over a second above which the leg is moving hard (gait swings the shank 15-30 deg). A slow walk
near the shank pendulum's own rate can stay below it: :data:`WALK_SUSTAINED_G`."""

WALK_HOLE_S = 3
"""Pauses up to this many seconds inside a run of hard movement do not end a walking bout: a turn, a stop
at a door or a freezing episode (docs/scoring.md §5; gait's steps come every 0.4-0.8 s, so a pause of 3 s is
not walking's own rhythm, but it is still the same bout)."""

WALK_SHORT_S = 3
"""A run of hard movement this many seconds long or longer, but shorter than ``walk_min_s``, is a short walk (a
few strides, e.g. to the bathroom) when it also passes :data:`WALK_SWING_G`/:data:`WALK_SHORT_SWING_S` with the
shank upright throughout, within :data:`WALK_NEAR_S` of a walking bout: at 0.6-1.05 strides/s (the simulator's range; cadence 72-126 steps/min) 3 s hold
1.8-3.2 strides, and at 10-13 Hz a stride is still 10 or more samples, so its swing is seen."""

WALK_SWING_G = 0.2
"""Oscillating movement (g, :func:`lrm.signal.leg.oscillation_1s`) of a second of a short walk's swing: a 15-30 deg
swing of the shank turns gravity across the sensor by sin(15-30 deg) = 0.26-0.5 g at the stride rate, with
0.3-3 g heel strikes on top, and within a second that averages out (the oscillation discounts the second's net
offset, so an LM's tonic hold does not count). Measured on the Daphnet shank walks re-recorded at 10-20 Hz:
0.38-0.42 g in a 3 s walk's full-swing seconds, 0.5-0.9 g in longer walks; twice :data:`WALK_ACTIVITY_G`."""

WALK_SHORT_SWING_S = 2
"""Seconds of a short walk at or above :data:`WALK_SWING_G`: two strides' swings in a row (a periodic movement at
~1 Hz), not one excursion (an LM lasts 0.5-10 s and PLMs repeat every 5-90 s, so two seconds of swing-size
oscillation in a run of at least :data:`WALK_SHORT_S` s are the rhythm of strides, not a series)."""

WALK_NEAR_S = 15
"""A short walk lies within this many seconds (of its start or end) of a walking bout of the same leg: a few
strides are part of being up (stand up, walk, stop at a door, turn, walk on; a stop or a Parkinsonian freezing
episode of up to ~15 s between them; Daphnet's 3 s walk was 9-10 s from the bouts on either side). Without this,
the swing test alone relabelled a 3 s true LM of a PLM series as walking in a simulated night whose lying shank
sat at 63 deg (above the 60 deg lying limit) 23 s before a false walking bout; with 15 s, no true LM is lost on
72 dev nights (docs/validation.md, "Short walks at 10-20 Hz")."""

WALK_SUSTAINED_G = 0.03
"""Oscillating movement (g) of a slow walk whose swing the sensor barely sees. The shank swings about the knee
like a pendulum: at the ankle (r ~ 0.45 m from the knee) the tangential acceleration r*theta'' cancels gravity's
turn g*sin(theta) across the sensor when (2 pi f)^2 r ~ g, i.e. at a stride rate f ~ 0.74 Hz (44 strides/min, a slow
night-time walk). Then what is left is along the tibia: the centripetal r*theta'^2 and g*(1 - cos theta), each
~0.015-0.02 g for a 10 deg swing at 0.6-0.74 Hz, plus heel strikes that a 10-20 Hz sensor's anti-alias filter
smooths away. The simulator's slow bathroom walks measured 0.03-0.07 g per second (docs/validation.md, "Walking
across rates and mountings"); a still leg measures 0-0.006 g (the noise power is removed from the envelope)."""

WALK_SUSTAINED_S = 20
"""A run of at least this many seconds of oscillating movement above :data:`WALK_SUSTAINED_G`, pauses of at most
1 s closed, with the shank upright in every second, is walking. 20 s is twice the longest LM (10 s, docs/scoring.md
§1.2 step 3), so no single LM makes such a run, and two only if both last ~10 s with under a second of rest between
them (LMs of a series lie >= 10 s apart onset to onset, with rest between); at 0.6-1.05 strides/s it holds 12-21
strides. It needs the tibia axis (from the bouts above
:data:`WALK_ACTIVITY_G`) and does not teach it."""

WALK_SUSTAINED_HOLE_S = 1
"""Pauses (s) closed inside a sustained walk: a stride is 0.95-1.67 s, so a second without oscillation is a
moment's stop; the rest between two LMs of a series is longer than that as a rule (IMI >= 10 s, LM <= 10 s)."""

WALK_MARGIN_S = 3.0
"""Movements within this many seconds of a walking bout belong to it (the first and last steps, the
shifts of weight when stopping), so steps never become LMs."""




@dataclass(frozen=True, slots=True, eq=False)
class Posture:
    """Per-second posture of one leg.

    lying : bool (s,), shank within ``lying_max_elevation_deg`` of horizontal.
    elevation_deg : float32 (s,), shank elevation above horizontal in deg (NaN if the axis is unknown).
    walking : bool (s,), sustained hard movement with the shank upright.
    axis : unit vector of the tibia in sensor axes, or None when no walking showed it.
    """

    lying: npt.NDArray[np.bool_]
    elevation_deg: npt.NDArray[np.float32]
    walking: npt.NDArray[np.bool_]
    axis: npt.NDArray[np.float64] | None


def _unit(v: npt.NDArray) -> npt.NDArray[np.float64]:
    v = np.asarray(v, dtype=np.float64)
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def estimate_posture(gravity_1s: npt.NDArray[np.float32], activity_1s: npt.NDArray[np.float32],
                     ok_1s: npt.NDArray[np.bool_], params: PostureParams = PostureParams()) -> Posture:
    """Lying/upright and walking per second from gravity (s, 3) in g and the mean envelope (s,) in g.

    Walking: runs of at least ``walk_min_s`` seconds of mean envelope above :data:`WALK_ACTIVITY_G`
    (pauses of up to :data:`WALK_HOLE_S` s closed). The tibia axis is the mean gravity direction over those runs; without any
    (e.g. sensors put on in bed) the axis is unknown and every valid second counts as lying. Once the axis is known,
    shorter runs (:data:`WALK_SHORT_S` s or more: a few strides) are walking too when the shank is upright
    throughout, swings like a stride for :data:`WALK_SHORT_SWING_S` s (:data:`WALK_SWING_G`) and lies within
    :data:`WALK_NEAR_S` s of a bout; they do not teach the axis. So are runs of at least :data:`WALK_SUSTAINED_S` s of
    weaker oscillation (above :data:`WALK_SUSTAINED_G`, pauses of up to 1 s closed) with the shank upright in every
    second: a slow walk whose swing the sensor barely sees (docs/scoring.md §5).
    """
    moving = (activity_1s > WALK_ACTIVITY_G) & ok_1s
    holes = runs(~moving)
    short = holes[(holes[:, 1] - holes[:, 0] <= WALK_HOLE_S) & (holes[:, 0] > 0)]
    for a, b in short:  # few
        moving[a:b] = True
    bouts = runs(moving)
    length = bouts[:, 1] - bouts[:, 0]
    walking = cover(bouts[length >= params.walk_min_s], moving.size)
    unit = _unit(gravity_1s)
    axis = None
    if walking.sum() >= 10:
        axis = _unit(unit[walking].mean(axis=0))
    if axis is None:
        elevation = np.full(unit.shape[0], np.nan, np.float32)
        return Posture(np.ones(unit.shape[0], bool), elevation, walking, None)
    elevation = np.degrees(np.arcsin(np.clip(np.abs(np.einsum("ij,j->i", unit, axis.astype(unit.dtype))), 0, 1))).astype(np.float32)
    lying = elevation < params.lying_max_elevation_deg
    walking |= cover(_sustained_walks(activity_1s, lying, ok_1s), moving.size)
    short = bouts[(length >= WALK_SHORT_S) & (length < params.walk_min_s)]
    walking |= cover(_short_walks(short, activity_1s, lying, ok_1s, walking), moving.size)
    walking &= ~lying
    walks = runs(walking)
    lying &= ~_up_around_walks(unit, walks[walks[:, 1] - walks[:, 0] >= params.walk_min_s],
                               params.lying_max_elevation_deg)
    return Posture(lying, elevation, walking, axis)


UP_WINDOW_S = 3600
"""How far (s) from a walking bout :func:`_up_around_walks` looks for the upright stretch around it: an out-of-bed
excursion of up to an hour on either side of its walk (night-time trips last 1-20 min; a longer one holds more
walks)."""


def _up_around_walks(unit: npt.NDArray, bouts: npt.NDArray[np.int64], limit_deg: float) -> npt.NDArray[np.bool_]:
    """Seconds (s,) of each upright stretch that holds a walking bout, the shank measured against that bout's own
    mean gravity direction (the tibia axis as the sensor was mounted then), lying gaps of up to :data:`WALK_HOLE_S` s
    closed. ``unit``: gravity directions (s, 3); ``bouts``: walking bouts (k, 2) in s; ``limit_deg``: the lying
    limit (``PostureParams.lying_max_elevation_deg``), at or above which the shank is upright.

    Walking shows the person up, and the standing and sitting with the feet down around it belong to the same
    excursion out of bed. The night's axis (the mean over all walking) is wrong for one leg after its strap turned
    on the leg or its sensor was put back differently: then that leg read as lying through a night-time trip or
    after the final rising, and the rest period (lying on any leg,
    :func:`lrm.signal.rest.combine_legs`) ran 15-33 min long on independent nights (tests/rest_stress.py;
    docs/validation.md, "Time in bed on independent nights"). Measured against its own walk's axis, the excursion
    is upright whatever the mounting (docs/scoring.md §5). Only walking as :func:`estimate_posture` found it (the
    shank upright against the night's axis) counts: taking every run of hard, stride-size movement as a walk also
    caught the strap turns that hid the walk itself, but a movement in bed with the knees up then made the lying
    around it "upright" and cut up to 4.5 h from a dev night (classic 1025; docs/validation.md).
    """
    n = unit.shape[0]
    out = np.zeros(n, bool)
    for a, b in bouts:  # few: the night's walking bouts
        own = _unit(np.nanmean(unit[a:b], axis=0))
        lo, hi = max(0, a - UP_WINDOW_S), min(n, b + UP_WINDOW_S)
        up = np.degrees(np.arcsin(np.clip(np.abs(unit[lo:hi] @ own), 0, 1))) >= limit_deg
        holes = runs(~up)
        up |= cover(holes[(holes[:, 1] - holes[:, 0] <= WALK_HOLE_S) & (holes[:, 0] > 0)], up.size)
        stretch = runs(up)
        stretch = stretch[(stretch[:, 0] <= a - lo) & (stretch[:, 1] >= b - lo)]
        for c, d in stretch:   # at most one
            out[lo + c:lo + d] = True
    return out


def cover(intervals: npt.NDArray[np.int64], n: int) -> npt.NDArray[np.bool_]:
    """Bool (n,) that is True inside the half-open intervals (k, 2)."""
    delta = np.zeros(n + 1, np.int32)
    np.add.at(delta, intervals[:, 0], 1)
    np.add.at(delta, intervals[:, 1], -1)
    return np.cumsum(delta[:-1]) > 0


def _sustained_walks(activity_1s: npt.NDArray[np.float32], lying: npt.NDArray[np.bool_],
                     ok_1s: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """Runs (k, 2) in s of at least :data:`WALK_SUSTAINED_S` s of oscillating movement above
    :data:`WALK_SUSTAINED_G` (pauses of up to :data:`WALK_SUSTAINED_HOLE_S` s closed) with the shank upright in
    every second: a slow walk whose swing the sensor barely sees (docs/scoring.md §5)."""
    moving = (activity_1s > WALK_SUSTAINED_G) & ok_1s
    holes = runs(~moving)
    moving |= cover(holes[(holes[:, 1] - holes[:, 0] <= WALK_SUSTAINED_HOLE_S) & (holes[:, 0] > 0)], moving.size)
    found = runs(moving)
    found = found[found[:, 1] - found[:, 0] >= WALK_SUSTAINED_S]
    down = np.concatenate(([0], np.cumsum(lying)))
    return found[down[found[:, 1]] == down[found[:, 0]]]


def _short_walks(short: npt.NDArray[np.int64], activity_1s: npt.NDArray[np.float32], lying: npt.NDArray[np.bool_],
                 ok_1s: npt.NDArray[np.bool_], walking: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """The short runs of hard movement (k, 2) in s that are walks: the shank upright in every second (never in bed:
    an LM of a lying leg is never walking) and at least :data:`WALK_SHORT_SWING_S` seconds of stride-size swing
    (:data:`WALK_SWING_G`), within :data:`WALK_NEAR_S` of a walking bout (``walking``, the long bouts). Needs the
    tibia axis learnt from the long bouts (so that "upright" is known)."""
    swing = np.concatenate(([0], np.cumsum((activity_1s >= WALK_SWING_G) & ok_1s)))
    down = np.concatenate(([0], np.cumsum(lying)))
    walked = np.concatenate(([0], np.cumsum(walking)))
    a, b = short[:, 0], short[:, 1]
    n = walking.size
    near = walked[np.clip(b + WALK_NEAR_S, 0, n)] - walked[np.clip(a - WALK_NEAR_S, 0, n)] > 0
    keep = (swing[b] - swing[a] >= WALK_SHORT_SWING_S) & (down[b] == down[a]) & near
    return short[keep]


def orientation_change_deg(gravity_1s: npt.NDArray[np.float32], onset_s: npt.NDArray, offset_s: npt.NDArray,
                            lead_s: float) -> npt.NDArray[np.float64]:
    """Angle (deg) between the resting orientation ``lead_s`` before the onset and after the offset (movements
    in time order), taken no further than the seconds just outside the neighbouring movements: the rest
    between two movements belongs to both."""
    s = gravity_1s.shape[0]
    if s == 0 or onset_s.size == 0:
        return np.zeros(onset_s.size)
    prev_off = np.concatenate(([-np.inf], np.maximum.accumulate(offset_s)[:-1]))
    next_on = np.concatenate((onset_s[1:], [np.inf]))
    before_s = np.maximum(onset_s - lead_s, np.minimum(prev_off + 1.0, onset_s - 1.0))
    after_s = np.minimum(offset_s + lead_s, np.maximum(next_on - 1.0, offset_s + 1.0))
    before = np.clip(np.floor(before_s).astype(np.int64), 0, s - 1)
    after = np.clip(np.ceil(after_s).astype(np.int64), 0, s - 1)
    # unit vectors of the rows needed only (each row's norm is its own: the same values as the whole night's)
    cos = np.clip((_unit(gravity_1s[before]) * _unit(gravity_1s[after])).sum(axis=1), -1.0, 1.0)
    return np.degrees(np.arccos(cos))


def classify_movements(moves: dict[str, pd.DataFrame], gravity_1s: dict[str, npt.NDArray[np.float32]],
                       posture: dict[str, Posture], params: PostureParams = PostureParams(), *,
                       brief_s: float = 0.35) -> dict[str, pd.DataFrame]:
    """Label each leg's movements ``lm``, ``posture_change`` or ``walking`` (column ``type``).

    Adds ``angle_deg``, the lasting change of the leg's resting orientation (deg) across the movement. A
    movement is walking when it comes within :data:`WALK_MARGIN_S` of one of the leg's walking bouts
    (sustained hard movement with the shank upright, :func:`estimate_posture`), whatever its length: steps
    never become LMs. Otherwise it is a posture change when the leg rests turned by >= ``change_angle_deg``
    after it (an LM returns the leg to where it was), and an LM when not. With ``params.return_angle_deg`` (opt-in)
    a movement that leaves the leg turned by that much is a posture change too unless it is a brief burst (its
    ``burst_high_s``, else ``half_peak_s``, at most ``brief_s``: the hypnic-jerk criterion ``JerkParams.max_high_s``).
    """
    out: dict[str, pd.DataFrame] = {}
    for side, table in moves.items():
        t = table.copy()
        on, off = t["onset_s"].to_numpy(), t["offset_s"].to_numpy()
        ang = orientation_change_deg(gravity_1s[side], on, off, params.change_window_s)
        is_posture = ang >= params.change_angle_deg
        if params.return_angle_deg > 0:
            # a movement that is no brief burst (a jerk may leave the leg a few degrees away, docs/scoring.md §3.1)
            # and leaves the leg turned by return_angle_deg did not return it: a restless adjustment, not an LM
            high = t["burst_high_s"].to_numpy(float) if "burst_high_s" in t else t["half_peak_s"].to_numpy(float)
            is_posture |= (ang >= params.return_angle_deg) & ~(high <= brief_s)
        p = posture[side]
        n = p.walking.size
        cum_walk = np.concatenate(([0], np.cumsum(p.walking)))
        a = np.clip(np.floor(on - WALK_MARGIN_S).astype(np.int64), 0, n)
        b = np.clip(np.ceil(off + WALK_MARGIN_S).astype(np.int64), 0, n)
        is_walk = (cum_walk[b] - cum_walk[a]) > 0
        kind = np.where(is_walk, "walking", np.where(is_posture, "posture_change", "lm"))
        t["type"] = pd.array(kind, dtype="string")
        t["angle_deg"] = ang
        out[side] = t
    return out


def label_wake_repositionings(moves: pd.DataFrame, sleep_period: npt.NDArray[np.bool_] | None, epoch_s: float,
                              params: PostureParams = PostureParams(), *, brief_s: float = 0.35) -> pd.DataFrame:
    """``moves`` with the LMs of restless wake that leave the leg turned relabelled ``posture_change``.

    An LM whose onset lies outside the estimated sleep period (``sleep_period``: per epoch of ``epoch_s`` s from
    the recording start, True from each sleep onset to the next awakening, :class:`lrm.signal.sleep.SleepEstimate`;
    before the first onset and in awakenings it is wake), that leaves the leg turned by at least
    ``params.wake_return_angle_deg`` (column ``angle_deg``, :func:`classify_movements`) and that is no brief burst
    (``burst_high_s``, else ``half_peak_s``, above ``brief_s``: a jerk may leave the leg a few degrees away,
    docs/scoring.md §3.1) did not return the shank: a voluntary repositioning of a person settling in bed, not an
    LM (docs/scoring.md §6 and §5, "Restless wake"). In the sleep period the 3 deg posture-change rule alone
    applies. Nothing changes when the angle is 0 (the default: the sleep period is read from the legs' movement, and
    runs of large PLMs can look like an awakening) or no sleep period is known. Rows keep their order.

    >>> m = pd.DataFrame({"onset_s": [10.0, 10.0, 100.0], "type": ["lm"] * 3, "angle_deg": [1.5, 0.2, 1.5],
    ...                   "half_peak_s": [2.0, 2.0, 2.0]})
    >>> on = PostureParams(wake_return_angle_deg=1.0)          # opt-in; off by default (0)
    >>> label_wake_repositionings(m, np.array([False, False, False, True]), 30.0, on)["type"].tolist()
    ['posture_change', 'lm', 'lm']
    """
    limit = params.wake_return_angle_deg
    if not limit > 0 or sleep_period is None or not len(moves) or "angle_deg" not in moves:
        return moves
    k = np.floor(moves["onset_s"].to_numpy(float) / epoch_s).astype(np.int64)
    period = np.asarray(sleep_period, bool)
    in_sleep = np.zeros(k.size, bool)
    inside = (k >= 0) & (k < period.size)
    in_sleep[inside] = period[k[inside]]
    turned = _lms_no_brief_burst(moves, brief_s) & ~in_sleep & (moves["angle_deg"].to_numpy(float) >= limit)
    return _as_posture_changes(moves, turned)


def label_kept_turns(moves: pd.DataFrame, params: PostureParams = PostureParams(), *,
                     brief_s: float = 0.35) -> pd.DataFrame:
    """``moves`` with the LMs that keep a large part of their own excursion as a lasting turn relabelled
    ``posture_change``: repositionings, not LMs (docs/scoring.md §5 "Restless wake", §6).

    Parameters
    ----------
    moves : DataFrame
        Movements in time order with ``type``, ``angle_deg`` (the lasting turn of the leg's resting orientation
        across the movement, deg, :func:`classify_movements`), ``peak_g`` (the movement's largest deviation from
        the resting acceleration, g, ``lrm.signal.detect``) and ``burst_high_s`` (else ``half_peak_s``, s).
    params : PostureParams
        ``kept_turn_angle_deg`` (deg) and ``kept_turn_fraction`` (rad per g); either <= 0 turns the rule off.
    brief_s : float
        A movement whose high-amplitude part lasts at most this long (s) is a brief burst and is kept: a jerk
        may leave the leg a few degrees away (docs/scoring.md §3.1; ``JerkParams.max_high_s``).

    Returns
    -------
    DataFrame
        ``moves`` (rows in the same order), relabelled where an LM (``type == "lm"``) that is no brief burst
        left the leg turned by at least ``kept_turn_angle_deg`` and by at least ``kept_turn_fraction`` times its
        ``peak_g`` (the turn in rad).

    Notes
    -----
    An LM is an excursion that returns the shank to where it was: the dorsiflexion or triple flexion of a PLM
    relaxes (docs/scoring.md §6; WASM 2016 ends it where the EMG returns to rest, §1.2 step 1). A restless
    adjustment moves the leg to lie somewhere else: its lasting turn is its purpose. For a rotation of the shank
    by theta the gravity the sensor sees moves by 2 sin(theta / 2) g ~ theta g (theta in rad), and ``peak_g``
    holds that plus the tangential acceleration, so ``radians(angle_deg) / peak_g`` is at most the fraction of
    its excursion that the movement kept. Where that fraction is >= ``kept_turn_fraction`` (0.1) the movement
    is a repositioning. 1 deg (``kept_turn_angle_deg``) keeps the ratio off the resting orientation's noise
    (17 mg of gravity projection, several times the 3 s orientation's noise even on a 15 mg sensor at 10 Hz,
    as ``wake_return_angle_deg``). Unlike :func:`label_wake_repositionings` it needs no sleep estimate, so a run of
    PLMs cannot delete itself by looking like wake: a large PLM that leaves the foot a degree or two away kept a
    small share of its excursion (0.5 g and 1.5 deg: 0.05) and stays an LM wherever it lies. It is not free: on four
    severe PLMD nights of 5 h (dev seeds 1000-1003) it relabelled 16 of ~3,100 detected true LMs (15 of >= 0.15 g,
    5 in PLM series, all in true sleep), against 60 for the wake rule on the series-keeping sleep estimate. It runs
    after the sleep onsets and hypnic jerks, so neither changes. On by default (0.1): it removes false PLMs; on
    nights that miss LMs below the detection limit those PLMs had filled part of the deficit, so there the
    PLM-index error grows, and the confirming dev nights' error did not improve in every family
    (docs/validation.md, "Restless-wake PLMs: a repositioning keeps its turn (2026-12-04)").

    Examples
    --------
    >>> m = pd.DataFrame({"type": ["lm"] * 4, "angle_deg": [2.0, 2.0, 0.5, 2.0], "peak_g": [0.15, 0.6, 0.05, 0.15],
    ...                   "half_peak_s": [1.5, 1.5, 1.5, 0.2]})
    >>> label_kept_turns(m)["type"].tolist()         # kept 23 %; 6 %; below 1 deg; a brief burst
    ['posture_change', 'lm', 'lm', 'lm']
    >>> label_kept_turns(m, PostureParams(kept_turn_fraction=0.0))["type"].tolist()   # off
    ['lm', 'lm', 'lm', 'lm']
    """
    return _as_posture_changes(moves, kept_turns(moves, params, brief_s=brief_s))


def kept_turns(moves: pd.DataFrame, params: PostureParams = PostureParams(), *, brief_s: float = 0.35
               ) -> npt.NDArray[np.bool_]:
    """Per row of ``moves``, an LM that :func:`label_kept_turns` relabels ``posture_change``: no brief burst (its
    high-amplitude part longer than ``brief_s``, s), and a lasting turn of at least ``kept_turn_angle_deg`` (deg)
    and at least ``kept_turn_fraction`` (rad per g) times its ``peak_g``. All False when the rule is off or the
    columns are missing.

    >>> m = pd.DataFrame({"type": ["lm", "lm"], "angle_deg": [2.0, 2.0], "peak_g": [0.15, 0.6],
    ...                   "half_peak_s": [1.5, 1.5]})
    >>> kept_turns(m).tolist()
    [True, False]
    """
    limit, fraction = params.kept_turn_angle_deg, params.kept_turn_fraction
    if not (limit > 0 and fraction > 0) or not len(moves) or "angle_deg" not in moves or "peak_g" not in moves:
        return np.zeros(len(moves), bool)
    turn_rad = np.radians(moves["angle_deg"].to_numpy(float))
    return (_lms_no_brief_burst(moves, brief_s) & (turn_rad >= np.radians(limit))
            & (turn_rad >= fraction * moves["peak_g"].to_numpy(float)))


def _lms_no_brief_burst(moves: pd.DataFrame, brief_s: float) -> npt.NDArray[np.bool_]:
    """Per row, an LM whose high-amplitude part (``burst_high_s``, else ``half_peak_s``, s) lasts longer than
    ``brief_s``: a brief burst (a jerk) may leave the leg a few degrees away (docs/scoring.md §3.1)."""
    high = (moves["burst_high_s"] if "burst_high_s" in moves else moves["half_peak_s"]).to_numpy(float)
    return (moves["type"] == "lm").to_numpy(bool) & ~(high <= brief_s)


def _as_posture_changes(moves: pd.DataFrame, rows: npt.NDArray[np.bool_]) -> pd.DataFrame:
    """``moves`` with ``rows`` relabelled ``posture_change`` (the same frame when there are none)."""
    if not rows.any():
        return moves
    kind = moves["type"].astype(object).to_numpy(copy=True)
    kind[rows] = "posture_change"
    return moves.assign(type=pd.array(kind, dtype="string"))
