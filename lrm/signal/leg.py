"""One leg's signal chain: raw samples -> working grid -> gravity -> deviation from rest -> movements.

This is the whole per-leg analysis, in the order it runs (:func:`process_leg`):

1. :func:`lrm.signal.prepare.prepare_leg`: timestamps repaired, gaps found, block means on the 25 Hz grid,
   the raw samples' white noise and quantisation step measured (:mod:`lrm.signal.noise`);
2. :func:`leg_signals`: gravity per second (:mod:`lrm.signal.gravity`), the resting vector (gravity over the
   seconds between movements) and how far it may be off near lasting changes, the deviation from rest (R, D
   and the envelope, :mod:`lrm.signal.envelope`) and the detection thresholds from the leg's noise and
   measured still level (:mod:`lrm.signal.detect`);
3. :func:`detect_leg_movements`: **the detection step**, one call from the leg's signals to its
   movements (``onset_s``, ``offset_s``, ``peak_g``, ``burst_s``, ``half_peak_s``, ``morphology_ok``
   ..., times in s since the recording start). A new detector plugs in here and nowhere else;
4. per-second summaries the later, whole-night steps need (posture, rest, the report's trace) and the
   leg's thresholds (its detection limit over the time in bed, :mod:`lrm.signal.limit`).

Everything here is on the leg's own clock; :meth:`LegResult.on_clock` moves a finished leg onto another
leg's clock (:mod:`lrm.signal.align`). The online detector (:mod:`lrm.signal.online`) runs steps 2-3 on
buffered windows, so online and offline detection stay one implementation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from lrm.io.recording import Leg
from lrm.params import Params
from lrm.signal.align import ClockFit, apply_clock_fit, shift_1s, shift_events
from lrm.signal.burst import estimate_bursts
from lrm.signal.detect import (LegDetection, LegThresholds, check_rate, detect_leg, estimate_thresholds,
                               per_block_ratio, reanchored_offset, runs)
from lrm.signal.envelope import Deviation, estimate_deviation, estimate_rest_error_1s, offset_from_means
from lrm.signal.gravity import gravity_and_median_1s, per_second_mean
from lrm.signal.noise import SensorNoise, estimate_sensor_noise
from lrm.signal.null import null_factors
from lrm.signal.prepare import PreparedLeg, prepare_leg
from lrm.signal.pulses import pulse_on_grid

__all__ = ["LegSignals", "LegResult", "leg_signals", "moving_seconds", "masked_movements", "bridge_movements_1s",
           "detect_leg_movements", "with_bursts", "process_leg",
           "oscillation_1s", "per_second", "MASK_MAX_S"]

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True, eq=False)
class LegSignals:
    """One leg's signals on the working grid (its own clock).

    prepared : the gridded samples (``accel_g`` (m, 3) in g, ``valid`` (m,), ``fs_hz``, the raw ``noise``).
    gravity_1s : float32 (s, 3), resting orientation per second in g.
    mean_1s : float32 (s, 3), per-second mean acceleration in g, gravity included.
    deviation : the deviation from rest per grid sample (R, D and the envelope, all (m,) in g).
    thresholds : the detection thresholds per block of the measured null (:class:`~lrm.signal.detect.LegThresholds`).
    rest_1s : float32 (s, 3), the resting vector per second in g: gravity over the seconds between movements.
    first_medians : (b, 2) the first pass's block medians (against the plain gravity; the online state).
    """

    prepared: PreparedLeg
    gravity_1s: FloatArray
    mean_1s: FloatArray
    deviation: Deviation
    thresholds: LegThresholds
    rest_1s: FloatArray
    first_medians: FloatArray | None = None

    @property
    def envelope(self) -> FloatArray:
        """The 0.2 s RMS deviation from rest (m,) in g, noise power removed."""
        return self.deviation.envelope_g

    def activity(self) -> FloatArray:
        """The compressed movement signal (m,) the two legs' clock fit cross-correlates (dimensionless): the log
        of the envelope (sharper in time than the 0.5 s statistics) over the leg's R onset threshold where it
        exceeds it, 0 elsewhere and in gaps."""
        thr = self.thresholds
        per_block = max(1, int(round(thr.block_s * self.prepared.fs_hz)))
        act = per_block_ratio(self.envelope, thr.offset_hi_g, per_block)   # over the threshold of its block
        np.maximum(act, np.float32(1.0), out=act)
        np.log(act, out=act)
        act[~self.prepared.valid] = 0.0
        return act.astype(np.float32, copy=False)


@dataclass(frozen=True, slots=True, eq=False)
class LegResult:
    """One leg's results: its prepared samples (its own clock) and, per second, on the clock it was moved to.

    prepared : the gridded samples (own clock; gaps, coverage, clipping and repairs for the quality table).
    gravity_1s : float32 (s, 3), resting orientation per second in g.
    activity_1s : float32 (s,), oscillating movement per second in g (:func:`oscillation_1s`: walking).
    valid_1s : bool (s,), the whole second has data.
    moves : DataFrame, the detected movements (:func:`detect_leg_movements`), times in s.
    envelope_max_1s : float32 (s,), the envelope's maximum per second in g (the report's trace).
    thresholds : the leg's detection thresholds per block, on its own clock (the detection limit's input).
    rest_1s : float32 (s, 3), the resting vector per second in g (the orientation between movements: what a
        movement's lasting change of orientation is measured against).
    """

    prepared: PreparedLeg
    gravity_1s: FloatArray
    activity_1s: FloatArray
    valid_1s: npt.NDArray[np.bool_]
    moves: pd.DataFrame
    envelope_max_1s: FloatArray
    thresholds: LegThresholds | None = None
    rest_1s: FloatArray | None = None

    @property
    def n_seconds(self) -> int:
        """Seconds covered by all per-second arrays (they may differ by one at the end)."""
        return min(self.activity_1s.size, self.gravity_1s.shape[0], self.valid_1s.size)

    def on_clock(self, fit: ClockFit, duration_s: float) -> LegResult:
        """This leg moved onto the other leg's clock (``fit``: its lag against that leg): movements by their
        times (dropped outside [0, ``duration_s``) s), per-second values by interpolation at the seconds'
        centres, validity by nearest second (False outside this leg's data)."""
        rest = None if self.rest_1s is None else shift_1s(self.rest_1s, fit)
        return replace(self, gravity_1s=shift_1s(self.gravity_1s, fit), activity_1s=shift_1s(self.activity_1s, fit),
                       rest_1s=rest,
                       valid_1s=apply_clock_fit(self.valid_1s, fit, fs_hz=1.0),
                       moves=shift_events(self.moves, fit, duration_s),
                       envelope_max_1s=shift_1s(self.envelope_max_1s, fit))


def leg_noise(prepared: PreparedLeg) -> SensorNoise:
    """The leg's raw-sample noise (``prepare_leg`` measures it); measured on the grid if a leg lacks it."""
    if prepared.noise is not None:
        return prepared.noise
    return estimate_sensor_noise(prepared.accel_g, fs_hz=prepared.fs_hz)


def leg_signals(prepared: PreparedLeg, params: Params, *, known: FloatArray | None = None,
                known_first: FloatArray | None = None, known_before: int = 0,
                pulse_g: FloatArray | None = None) -> LegSignals:
    """Gravity (per second), deviation from rest and detection thresholds of one prepared leg, all in g.

    Gravity: the edge-preserving running median of the per-second means (``params.prepare.gravity_window_s``).
    The resting vector the detector measures deviations from is that same median taken over the seconds
    between movements only (:func:`resting_vector_1s`): a dense run of LMs (an RLS patient awake, a dense PLM
    series) would otherwise pull the median towards the movements, so that the leg never seems to return to
    rest between them. Deviation: R and D over ``params.detect.window_s`` and the envelope
    (:func:`lrm.signal.envelope.estimate_deviation`); thresholds: from the raw samples' noise and the measured
    still level (:func:`lrm.signal.detect.estimate_thresholds`; never from samples the reader filled,
    ``prepared.filled``). ``known``/``known_first``/``known_before``: the
    measured null's block medians already known, of the final and of the first pass (the online detector's
    carried state). ``pulse_g``: P, the matched filter for brief pulses per grid sample in g, from the raw samples
    (:func:`lrm.signal.pulses.pulse_on_grid`); None: the detector does without it.
    """
    fs = prepared.fs_hz
    window_s = params.prepare.gravity_window_s
    mean_1s, ok_1s = per_second_mean(prepared.accel_g, prepared.valid, fs_hz=fs)
    gravity_1s, median = gravity_and_median_1s(mean_1s, ok_1s, window_s=window_s)
    noise = leg_noise(prepared)
    d = params.detect
    nf = null_factors(round(noise.fs_hz, 3), float(fs), float(d.window_s), float(d.smooth_s))
    first = estimate_deviation(prepared.accel_g, gravity_1s, fs_hz=fs, window_s=d.window_s, smooth_s=d.smooth_s,
                               noise_power_g2=3.0 * noise.white_max_g ** 2 * nf.grid_var,
                               rest_error_1s=estimate_rest_error_1s(mean_1s, ok_1s, gravity_1s, window_s=window_s),
                               keep_means=True, burst_power_g2=noise.white_max_g ** 2 * nf.burst_mean)
    first_thresholds = estimate_thresholds(first, prepared.valid, noise, fs_hz=fs, params=d, known=known_first,
                                           known_before=known_before, filled=prepared.filled)
    found, keep, merged = first_pass_movements(first, first_thresholds, prepared.valid, gravity_1s, fs_hz=fs,
                                               params=params)
    masked = found[keep]
    moving = _seconds_of(masked, gravity_1s.shape[0], int(round(fs)))
    still = ok_1s & ~moving
    # the resting vector holds the orientation before a masked movement until it ends and takes the one after it
    # from there (bridge_movements_1s); its median is the gravity median's except near the bridged seconds
    bridged = bridge_movements_1s(mean_1s, ok_1s, moving, ends_s=masked[:, 1] / fs, onsets_s=masked[:, 0] / fs)
    rest_1s = gravity_and_median_1s(bridged, ok_1s, window_s=window_s, like=median)[0]
    del bridged, median
    # LMs the first pass merged over the small lasting turns between them: where the leg lies still within them for
    # longer than any tonic hold, it rests there (settle_rest_1s)
    reach = _seconds_of(found[merged], gravity_1s.shape[0], int(round(fs)), before=0, after=int(round(window_s)))
    if reach.any():
        lying = lying_still_1s(first, first_thresholds, mean_1s, ok_1s, fs_hz=fs, within=reach)
        rest_1s = settle_rest_1s(rest_1s, mean_1s, lying, reach,
                                 tol_g=_per_second_threshold(first_thresholds.offset_lo_g, first_thresholds.block_s,
                                                             rest_1s.shape[0]))
    offset = offset_from_means(first.means_g, rest_1s, fs_hz=fs,
                               rest_error_1s=estimate_rest_error_1s(mean_1s, still, rest_1s, window_s=window_s))
    deviation = Deviation(offset, first.spread_g, first.envelope_g, burst_g=first.burst_g,
                          pulse_g=pulse_g if d.pulses else None)
    means = first.means_g if d.reanchor_still_s > 0 else None
    del first
    thresholds = estimate_thresholds(deviation, prepared.valid, noise, fs_hz=fs, params=d, known=known,
                                     known_before=known_before,    # D is the first pass's: its medians too
                                     spread_medians=first_thresholds.medians[:, 1], filled=prepared.filled)
    if means is not None:   # a leg that comes to lie still turned is at rest there (opt-in, DetectParams)
        reanchored_offset(deviation, means, thresholds, prepared.valid, fs_hz=fs, params=d)
        del means
    return LegSignals(prepared, gravity_1s, mean_1s, deviation, thresholds, rest_1s, first_thresholds.medians)


MASK_MAX_S = 15.0
"""Movements up to this long (s) are left out of the resting vector's median: LMs and bilateral CLMs
(<= 15 s, docs/scoring.md §1.2 step 4). Longer ones are walking or lasting changes of posture, where the
gravity estimate must follow the leg."""


def moving_seconds(first: Deviation, thresholds: LegThresholds, valid: npt.NDArray[np.bool_],
                   gravity_1s: FloatArray, *, fs_hz: float, params: Params) -> npt.NDArray[np.bool_]:
    """Seconds (s,) touched by a movement that returns the leg to rest (at most :data:`MASK_MAX_S` long, and
    leaving the orientation turned by less than ``params.posture.change_angle_deg``), found against the plain
    gravity estimate (a first pass of the detection's event logic), plus one second on each side. A roll-over
    or a restless reposition is left in: the gravity estimate must switch to the new orientation there."""
    iv = masked_movements(first, thresholds, valid, gravity_1s, fs_hz=fs_hz, params=params)
    return _seconds_of(iv, gravity_1s.shape[0], int(round(fs_hz)))


def masked_movements(first: Deviation, thresholds: LegThresholds, valid: npt.NDArray[np.bool_],
                     gravity_1s: FloatArray, *, fs_hz: float, params: Params) -> npt.NDArray[np.int64]:
    """The movements :func:`moving_seconds` masks, as grid-sample intervals (k, 2) [onset, offset) at ``fs_hz``."""
    iv, masked, _ = first_pass_movements(first, thresholds, valid, gravity_1s, fs_hz=fs_hz, params=params)
    return iv[masked]


def first_pass_movements(first: Deviation, thresholds: LegThresholds, valid: npt.NDArray[np.bool_],
                         gravity_1s: FloatArray, *, fs_hz: float, params: Params
                         ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """The first pass's movements (against the plain gravity) as grid-sample intervals (k, 2) [onset, offset) at
    ``fs_hz``; which of them are masked (:func:`moving_seconds`): at most :data:`MASK_MAX_S` long and leaving the
    leg turned by less than the posture-change angle; and which are **merged LMs**: longer than :data:`MASK_MAX_S`
    (no single CLM, docs/scoring.md §1.2 step 4), at most :data:`MERGED_MAX_S`, but leaving the leg turned by less
    than ``params.posture.change_angle_deg`` (no posture change: a roll-over or a restless adjustment moves the leg
    to lie elsewhere). Those are LMs of a dense series that the first pass joined over the small lasting turns between
    them (lrm.sim.shank: an LM may leave the shank up to 10 % of its flexion, at most 3 deg, away), while its plain
    41 s median lagged each turn (below ``lrm.signal.gravity.STEP_G``, so no edge switch)."""
    from lrm.signal.detect import find_lm_intervals, normalised_activity
    from lrm.signal.posture import orientation_change_deg

    hi, lo = normalised_activity(first, thresholds, fs_hz=fs_hz)
    iv = find_lm_intervals(hi, lo, valid, fs_hz=fs_hz, params=params.detect)
    short = (iv[:, 1] - iv[:, 0]) <= MASK_MAX_S * fs_hz
    sh = iv[short]   # the turn is read between the short movements only (their neighbours' rest)
    turn = orientation_change_deg(gravity_1s, sh[:, 0] / fs_hz, sh[:, 1] / fs_hz, params.posture.change_window_s)
    # a movement that leaves the leg turned by return_angle_deg (when set) is a repositioning: not masked
    limit = params.posture.return_angle_deg if params.posture.return_angle_deg > 0 else params.posture.change_angle_deg
    masked = short.copy()
    masked[short] = turn < limit
    merged = ~short & ((iv[:, 1] - iv[:, 0]) <= MERGED_MAX_S * fs_hz)
    if merged.any():   # the turn across a long one, read between all of them (its neighbours' rest)
        across = orientation_change_deg(gravity_1s, iv[:, 0] / fs_hz, iv[:, 1] / fs_hz, params.posture.change_window_s)
        merged &= across < params.posture.change_angle_deg
    return iv, masked, merged


MERGED_MAX_S = 60.0
"""The longest first-pass movement (s) taken for merged LMs (:func:`first_pass_movements`). Those seen on the dev
nights lasted 19-42 s (an LM, 12-19 s of stillness, the next LM). The bound keeps the online detector exact: what
:func:`settle_rest_1s` reads at a second reaches to the merged run's end plus a gravity window (41 s), within
:mod:`lrm.signal.online`'s look-ahead (about 123 s) for runs of up to 60 s plus the movement's own 15 s mask reach."""

HOLD_MAX_S = 10.0
"""A still stretch shorter than this (s) that the leg leaves to return to its resting vector may be an LM's tonic
hold: an LM lasts at most 10 s (docs/scoring.md §1.2 step 3), so its hold is shorter."""

SETTLE_MIN_S = HOLD_MAX_S
"""Seconds of stillness (s) after which the leg rests where it lies (:func:`settle_rest_1s`): a still stretch at
least as long as the longest CLM (10 s, docs/scoring.md §1.2 step 3) is no LM's tonic hold (tonic LMs hold their
turn for 0.5-10 s), wherever it lies. Shorter stretches (2 s, 047cb10) also split restless-wake fidgets, whose
sub-movements pause for a few seconds (1-25 s in all, median 4 s), into LM-sized pieces: on the dev nights that cost a
hypnic jerk and added fidget PLMs (docs/validation.md, "LMs that stay turned in a PLM series (2026-12-04 late
night)")."""


def lying_still_1s(first: Deviation, thresholds: LegThresholds, mean_1s: FloatArray, ok_1s: npt.NDArray[np.bool_],
                   *, fs_hz: float, within: npt.NDArray[np.bool_] | None = None) -> npt.NDArray[np.int64]:
    """Stretches of whole seconds (k, 2) [first, end) in which the leg lies still, measured against the night's
    noise without reference to any resting vector: every sample's dynamic part (D, and B where used) below its
    onset threshold (nothing in the second could start a movement: a 1e-6 tail of the still leg, docs/scoring.md
    §7; against the offset thresholds, the still leg's 99th percentiles, most seconds of a still leg would hold a
    sample above them), and the orientation not changing from one
    second to the next, ``|m(j) - m(j - 1)| / sqrt(2)`` (a difference of two independent 1 s means has twice a
    mean's variance: the null of R) below R's offset threshold. A stretch holds at least two seconds: one second
    alone cannot show that the orientation does not change. ``within`` (s,): only these seconds, and a gravity
    window (:data:`SETTLE_MARGIN_S`) around them, are looked at (the others are not still): the night's other
    samples are not read."""
    k = int(round(fs_hz))
    s = min(mean_1s.shape[0], ok_1s.shape[0], first.spread_g.size // k)
    look = np.ones(s, bool) if within is None else _dilated(within[:s], int(SETTLE_MARGIN_S))
    sec = np.flatnonzero(look)
    idx = (sec[:, None] * k + np.arange(k)).ravel()                  # the samples of those seconds
    per_block = max(1, int(round(thresholds.block_s * fs_hz)))
    blk = idx // per_block
    quiet = first.spread_g[idx] < thresholds.spread_hi_g[np.minimum(blk, thresholds.spread_hi_g.size - 1)]
    if thresholds.burst_hi_g is not None and first.burst_g is not None:   # B over its onset threshold below 1
        b_hi = thresholds.burst_hi_g
        quiet &= (first.burst_g[idx] / b_hi[np.minimum(blk, b_hi.size - 1)]) < 1.0
    q = np.zeros(s, bool)
    q[sec] = quiet.reshape(-1, k).all(axis=1)
    q &= ok_1s[:s]
    tol = _per_second_threshold(thresholds.offset_lo_g, thresholds.block_s, s)
    step = np.linalg.norm(np.diff(mean_1s[:s].astype(np.float64), axis=0), axis=1) / np.sqrt(2.0)
    link = q[1:] & q[:-1] & (step < np.minimum(tol[1:], tol[:-1]))     # link[j]: seconds j and j + 1 lie alike
    r = runs(link)
    return np.column_stack((r[:, 0], r[:, 1] + 1)).astype(np.int64)


SETTLE_MARGIN_S = 41.0
"""Seconds (s) around the merged LMs' reach in which :func:`lying_still_1s` looks for still stretches: a gravity
window (``PrepareParams.gravity_window_s``), so a still stretch that runs on beyond the reach keeps its length and
the stretches next to the reach's are seen (:func:`settle_rest_1s` reads their levels)."""


def _dilated(mask: npt.NDArray[np.bool_], by: int) -> npt.NDArray[np.bool_]:
    """``mask`` (s,) widened by ``by`` seconds on each side."""
    c = np.concatenate(([0], np.cumsum(mask, dtype=np.int64)))
    i = np.arange(mask.size)
    return (c[np.minimum(i + by + 1, mask.size)] - c[np.maximum(i - by, 0)]) > 0


def settle_rest_1s(rest_1s: FloatArray, mean_1s: FloatArray, lying: npt.NDArray[np.int64],
                   after: npt.NDArray[np.bool_], *, tol_g: FloatArray) -> FloatArray:
    """The resting vector (s, 3) in g with each still stretch ``lying`` (:func:`lying_still_1s`) of at least
    :data:`SETTLE_MIN_S` s within the seconds ``after`` (s,) (the first pass's merged LMs and a gravity window
    after them, :func:`first_pass_movements`) taking the orientation the leg lies in there (the median of the
    stretch's per-second means), where that lies further than ``tol_g`` (s,) in g (R's offset threshold) from the
    resting vector, and holding it over the movement that follows until the next still stretch.

    After a lasting change of orientation, however small, the leg rests in its new orientation once it lies still
    (docs/scoring.md §1.2 step 1: the offset is where the signal falls back; §6: the rest is the orientation the
    leg lay in just before a movement), while a running median of the per-second means follows a second lasting
    turn within half its window only partly (over three orientations it picks the middle one). A stretch is left
    alone when it may be an LM's tonic hold: the leg left the still stretch before it and reached the one after it
    within :data:`HOLD_MAX_S` plus the statistics' 1 s window, and lies there nearer the orientation before than in this
    stretch (a movement away and back). The settled orientation is held over the movement after its stretch only
    up to the next still stretch within :data:`HOLD_MAX_S` plus 2 s (one LM, or a second of noise between two
    still stretches). A copy; ``rest_1s`` is not changed.
    """
    s = min(rest_1s.shape[0], mean_1s.shape[0], after.shape[0])
    lying = lying[lying[:, 1] <= s]
    if lying.size == 0 or not after[:s].any():
        return rest_1s
    reach = runs(after[:s])                                     # the merged LMs' reach, [first, end) seconds
    r = np.minimum(np.searchsorted(reach[:, 1], lying[:, 0], side="right"), len(reach) - 1)
    lo, hi = np.maximum(lying[:, 0], reach[r, 0]), np.minimum(lying[:, 1], reach[r, 1])
    near = hi - lo >= SETTLE_MIN_S                              # a still stretch longer than any hold, in the reach
    if not near.any():
        return rest_1s
    ks = np.flatnonzero(near | np.concatenate((near[1:], [False])) | np.concatenate(([False], near[:-1])))
    m = mean_1s[:s].astype(np.float64)
    last = int(HOLD_MAX_S)
    lv = {}
    for k in ks:   # the orientation within the reach; a neighbour's where it adjoins (its last or first 10 s)
        a, b = (lo[k], hi[k]) if near[k] else lying[k]
        if not near[k]:
            before_near = k + 1 < len(lying) and near[k + 1]
            a, b = (max(a, b - last), b) if before_near else (a, min(b, a + last))
        lv[int(k)] = np.median(m[a:b], axis=0)
    out, carry = rest_1s.copy(), None
    for k in ks:
        a, b = lo[k], hi[k]
        if carry is not None and a - carry[0] > HOLD_MAX_S + 2.0:
            carry = None                   # no LM lies between them: nothing to hold over
        if not near[k]:
            if carry is not None:          # held over the movement, as far as the merged LMs' reach goes
                seg = np.arange(carry[0], a)
                out[seg[after[seg]]] = carry[1]
            carry = None
            continue
        level = lv[int(k)]
        away = np.median(np.linalg.norm(rest_1s[a:b] - level, axis=1)) > np.median(tol_g[a:b])
        prev_end = lying[k - 1, 1] if k > 0 else -np.inf
        next_start = lying[k + 1, 0] if k + 1 < len(lying) else np.inf
        hold = False
        if k > 0 and k + 1 < len(lying) and next_start - prev_end <= HOLD_MAX_S + 2.0:
            p, q = lv.get(int(k) - 1), lv.get(int(k) + 1)
            hold = p is not None and q is not None and np.linalg.norm(q - p) < np.linalg.norm(level - p)
        if hold:
            continue                        # a tonic hold: the rest before it (held below) stays
        if carry is not None and a > carry[0]:
            out[carry[0]:a] = carry[1]     # the last settled orientation, held over the movement after it
        if away:
            out[a:b] = level
            carry = (b, level)
        else:
            carry = None
    return out


def _per_second_threshold(block_g: FloatArray, block_s: float, n_seconds: int) -> FloatArray:
    """A per-block threshold (b,) in g at each second (``n_seconds``,): the block the second lies in."""
    j = np.minimum((np.arange(n_seconds) / block_s).astype(np.int64), block_g.size - 1)
    return block_g[j] if block_g.size else np.zeros(n_seconds, np.float32)


def _seconds_of(iv: npt.NDArray[np.int64], n_seconds: int, k: int, *, before: int = 1, after: int = 1
                ) -> npt.NDArray[np.bool_]:
    """Seconds (``n_seconds``,) touched by the grid-sample intervals ``iv`` (``k`` samples a second), widened by
    ``before`` seconds before each and ``after`` seconds after it (with ``after`` a running median's window: where
    that median still holds the orientation before them)."""
    delta = np.zeros(n_seconds + 1, np.int32)
    np.add.at(delta, np.clip(iv[:, 0] // k - before, 0, n_seconds), 1)
    np.add.at(delta, np.clip(-(-iv[:, 1] // k) + after, 0, n_seconds), -1)
    return np.cumsum(delta[:-1]) > 0


def bridge_movements_1s(mean_1s: FloatArray, ok_1s: npt.NDArray[np.bool_], moving: npt.NDArray[np.bool_], *,
                        ends_s: FloatArray | None = None, onsets_s: FloatArray | None = None) -> FloatArray:
    """Per-second means (s, 3) in g with each masked movement's seconds (``moving``, :func:`moving_seconds`: the
    movement's seconds plus one on each side) replaced by the leg's resting orientation **before** the movement
    until the movement ends, and by the orientation **after** it from there on.

    The resting vector is the orientation the leg lies in just before a movement (docs/scoring.md §6, the LM peak
    ``max |a(t) - a_rest|``), and after it the one the leg comes to rest in. A linear bridge between the two
    (``np.interp``, as before 2026-12-04) is harmless for an LM that returns the leg, but when the leg comes to
    rest turned (by less than ``PostureParams.change_angle_deg``: a restless adjustment, an LM that leaves the
    foot 1-3 deg away) it turns the resting vector before the leg moves, from the centre of the last still
    second on: R crossed its onset threshold 1-2 s before the first sample that moved (docs/validation.md,
    "False LMs near movements (2026-12-04)"), while the onset is where the signal first exceeds the threshold
    (docs/scoring.md §1.2 step 1). Holding the orientation before the movement until it has ended leaves the
    onset where the leg starts to move; switching to the new orientation where the movement ends leaves the
    offset where the signal falls back, the leg still again (§1.2 step 1), rather than up to 1.5 s later.

    ``ends_s``/``onsets_s``: the masked movements' ends and onsets (s since the first second's start;
    :func:`masked_movements`). Per second the values sit at its centre and the grid interpolates between
    centres (:func:`lrm.signal.gravity.gravity_on_grid`), so the switch is a 1 s ramp: the first second taking
    the new orientation is the first whose centre lies at or after the stretch's last movement end ``e``, so the
    ramp holds ``e`` (it starts within 1 s before it and is done within 1 s after it), but the ramp never starts
    before that movement's onset (a movement shorter than 1 s: the resting vector never turns before the leg
    moves), and at latest the stretch's trailing margin second. Without ``ends_s``: the trailing margin second (0.5-1.5 s after the end).
    Seconds without data keep theirs (``estimate_gravity_1s`` bridges them); a stretch at either end of the
    night takes the only side it has.

    >>> m = np.zeros((8, 3), np.float32); m[3:5, 0] = 0.2; m[5:, 0] = 0.04  # moves, comes to rest 40 mg away
    >>> moving = np.zeros(8, bool); moving[2:6] = True                      # the movement in seconds 3-4, +-1 s
    >>> (1e3 * bridge_movements_1s(m, np.ones(8, bool), moving)[:, 0]).round().tolist()
    [0.0, 0.0, 0.0, 0.0, 0.0, 40.0, 40.0, 40.0]
    >>> (1e3 * bridge_movements_1s(m, np.ones(8, bool), moving, ends_s=np.array([4.3]),
    ...                            onsets_s=np.array([3.0]))[:, 0]).round().tolist()      # ends at 4.3 s
    [0.0, 0.0, 0.0, 0.0, 40.0, 40.0, 40.0, 40.0]
    """
    s = min(mean_1s.shape[0], ok_1s.shape[0], moving.shape[0])
    fill = moving[:s] & ok_1s[:s]
    if not fill.any():
        return mean_1s
    still = ok_1s[:s] & ~moving[:s]
    idx = np.arange(s)
    before = np.maximum.accumulate(np.where(still, idx, -1))                 # last still second at or before
    after = np.minimum.accumulate(np.where(still, idx, s)[::-1])[::-1]       # first still second at or after
    stretches = runs(moving[:s])
    switch = stretches[:, 1] - 1                                             # each stretch's trailing second
    if ends_s is not None and len(ends_s):
        ends = np.asarray(ends_s, float)
        ons = ends if onsets_s is None else np.asarray(onsets_s, float)
        # the first second whose centre is at or after the end, and whose ramp (from the previous centre) starts
        # at or after the onset
        first_new = np.maximum(np.ceil(ends - 0.5), np.ceil(ons + 0.5)).astype(np.int64)
        which = np.searchsorted(stretches[:, 0], np.floor(ends).astype(np.int64), side="right") - 1
        inside = (which >= 0) & (np.floor(ends) < stretches[np.maximum(which, 0), 1])
        latest = np.full(len(stretches), -1, np.int64)
        np.maximum.at(latest, which[inside], first_new[inside])
        # the switch is at the first end after which the leg lies nearer its new rest than its old one: later
        # masked movements of the stretch (e.g. a first pass's false ones while its plain median lags a lasting
        # turn) do not hold the old orientation over seconds where the leg already rests turned
        w, fn = which[inside], np.clip(first_new[inside], 0, s - 1)
        lo, hi = stretches[w, 0], stretches[w, 1]
        b_i, a_i = before[np.clip(lo, 0, s - 1)], after[np.clip(hi - 1, 0, s - 1)]
        known = (b_i >= 0) & (a_i < s) & ok_1s[fn]
        m = mean_1s[:s].astype(np.float64)
        d_old = np.linalg.norm(m[fn] - m[np.clip(b_i, 0, s - 1)], axis=1)
        d_new = np.linalg.norm(m[fn] - m[np.clip(a_i, 0, s - 1)], axis=1)
        settled = known & (d_new < d_old)
        earliest = np.full(len(stretches), np.iinfo(np.int64).max, np.int64)
        np.minimum.at(earliest, w[settled], first_new[inside][settled])
        latest = np.where(earliest < np.iinfo(np.int64).max, earliest, latest)
        switch = np.where(latest >= 0, np.clip(latest, stretches[:, 0], switch), switch)
    new = np.zeros(s + 1, np.int32)                                          # seconds from the switch on
    np.add.at(new, switch, 1)
    np.add.at(new, stretches[:, 1], -1)
    new = np.cumsum(new[:-1]) > 0
    src = np.where(new & (after < s) | (before < 0), after, before)
    fill &= (src >= 0) & (src < s)
    out = mean_1s.copy()
    out[:s][fill] = mean_1s[src[fill]]
    return out


def detect_leg_movements(signals: LegSignals, params: Params, *, side: str, first_index: int = 0) -> LegDetection:
    """The detection step: one leg's movements from its signals (the swap point for a new detector).

    Returns a :class:`~lrm.signal.detect.LegDetection` whose ``moves`` is the events table: one row per
    movement, ``onset_s`` and ``offset_s`` in s since the grid origin (the recording start; ``first_index``:
    the grid index of the signals' first sample, for a window of the night), ``peak_g``, ``burst_s``,
    ``half_peak_s`` and the morphology flag (docs/scoring.md §1.2 steps 1 and 5).
    """
    p = signals.prepared
    return detect_leg(signals.deviation, signals.thresholds, p.valid, fs_hz=p.fs_hz, side=side, params=params.detect,
                      first_index=first_index)


def with_bursts(moves: pd.DataFrame, leg: Leg, origin_s: float) -> pd.DataFrame:
    """``moves`` (times in s since ``origin_s``, the leg's own clock) with each movement's burst measures
    (:data:`lrm.signal.burst.BURST_COLUMNS`: peak in g, high-amplitude time and energy span in s), taken on the
    leg's raw samples against its rest before and after the movement."""
    intervals = np.column_stack((moves["onset_s"].to_numpy(float), moves["offset_s"].to_numpy(float))) + origin_s
    bursts = estimate_bursts(leg.t_s, leg.accel_g, intervals, fs_hz=float(leg.fs_hz))
    return pd.concat([moves.reset_index(drop=True), bursts], axis=1)


def per_second(values: npt.NDArray, fs_hz: float, how: str) -> npt.NDArray:
    """Per-second ``"max"``, ``"all"`` or ``"mean"`` of grid values (n,) at ``fs_hz`` (whole samples per s);
    a trailing partial second is left out.

    >>> per_second(np.arange(5.0), 2.0, "max").tolist(), per_second(np.arange(5.0), 2.0, "mean").tolist()
    ([1.0, 3.0], [0.5, 2.5])
    """
    k = int(round(fs_hz))
    s = values.shape[0] // k
    block = values[: s * k].reshape(s, k)
    return block.max(axis=1) if how == "max" else (block.all(axis=1) if how == "all" else block.mean(axis=1))


def oscillation_1s(signals: LegSignals) -> FloatArray:
    """Per-second oscillating movement (s,) in g: the mean envelope with the second's net offset from gravity removed.

    Gait swings the shank back and forth at the stride rate (~1 Hz) with heel strikes, so within a second
    the dynamic acceleration averages out while its magnitude stays large; a leg movement in bed is one
    excursion with a tonic hold, whose dynamic part within a second is mostly a steady offset. Walking is
    found from this, never from the envelope alone (a long, large LM is not walking).
    """
    act = per_second(signals.envelope, signals.prepared.fs_hz, "mean")
    g1 = signals.mean_1s
    n = min(act.size, g1.shape[0], signals.gravity_1s.shape[0])
    offset2 = ((g1[:n] - signals.gravity_1s[:n]) ** 2).sum(axis=1)
    return np.sqrt(np.maximum(act[:n] ** 2 - offset2, 0.0)).astype(np.float32)


def process_leg(leg: Leg, *, origin_s: float, n_grid: int, params: Params,
                on_activity: Callable[[FloatArray], None] | None = None) -> LegResult:
    """The whole per-leg chain on the leg's own clock: prepare, signals, detection, per-second summaries.

    Parameters
    ----------
    leg : Leg
        Raw samples (``t_s`` in s, ``accel_g`` in g).
    origin_s : float
        Time (s, same clock as ``leg.t_s``) of grid sample 0: the recording start.
    n_grid : int
        Grid samples (the recording's duration in s times ``params.prepare.work_fs_hz``, plus one).
    params : Params
        Analysis parameters (``prepare`` and ``detect`` are read here).
    on_activity : callable, optional
        Called with the leg's clock-fit activity signal as soon as it exists, before detection, so the
        two legs' clock fit can overlap their detection (two-leg nights).

    Returns
    -------
    LegResult
        Repairs are in ``prepared.repairs``, not warned (the caller warns in leg order).

    Raises
    ------
    InputError
        A raw rate below 10 Hz (:func:`lrm.signal.detect.check_rate`), or unusable samples (``prepare_leg``).
    """
    prepared = prepare_leg(leg, origin_s=origin_s, n_grid=n_grid, params=params.prepare, warn=False)
    check_rate(prepared.raw_fs_hz, prepared.source)
    pulse = None
    if params.detect.pulses:   # P needs the raw samples (lrm.signal.pulses)
        pulse = pulse_on_grid(leg.t_s, leg.accel_g, fs_hz=leg_noise(prepared).fs_hz, origin_s=origin_s,
                              grid_hz=prepared.fs_hz, n_grid=prepared.accel_g.shape[0], range_g=leg.range_g)
    signals = leg_signals(prepared, params, pulse_g=pulse)
    if on_activity is not None:
        on_activity(signals.activity())
    detection = detect_leg_movements(signals, params, side=leg.side)
    fs = prepared.fs_hz
    return LegResult(prepared, signals.gravity_1s, oscillation_1s(signals), per_second(prepared.valid, fs, "all"),
                     with_bursts(detection.moves, leg, origin_s), per_second(signals.envelope, fs, "max"),
                     signals.thresholds, signals.rest_1s)
