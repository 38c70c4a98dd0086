"""Leg-movement (LM) detection on one leg: a detector of the shank's deviation from rest against its noise.

What is detected (docs/scoring.md §6, ``lrm.signal.envelope``): a leg movement turns the shank and returns it,
which shifts the gravity projection at low frequency (R, the 0.5 s mean deviation from the resting vector)
and adds dynamic acceleration (D, the 0.5 s RMS around that mean). Each statistic is compared with a
threshold set by what the same statistic does on a *still* leg of this sensor (its null distribution):

* **the sensor model** (``lrm.signal.noise``): white noise ``s`` per axis and quantisation step ``q``, measured
  from the night's raw samples. Through the working grid and the 0.5 s window (``null_factors``) white noise
  makes R a chi distribution with 3 degrees of freedom of scale ``s_R`` and D^2 (and B^2) a weighted sum of
  chi-squares, a quadratic form of the raw samples. The onset threshold is the quantile that a still sample
  exceeds with probability ``false_alarm_tail`` (1e-6 per grid sample: about 0.1 crossings per hour per
  statistic on white noise, measured over 40 h per rate); for D and B it is the form's exact (saddlepoint)
  quantile at the worst phase of the raw samples against the grid (``null_tails``; a scaled chi-square moment
  matched to the form, which still gives the body's quantiles, set B's 5-9 % too low at rates off a multiple of
  25 Hz such as 52, 104 and 128 Hz: docs/validation.md, "Exact tails of D and B").
  Where the noise is too small to dither the quantiser, a still leg's reading
  jumps by whole LSBs as its true value drifts across a level boundary and toggles between neighbouring
  levels (``quantisation_swing``, a full LSB without dither, nothing with enough noise): R's thresholds add
  sqrt(2) swings (a level off on two axes between the rest and the window) and D's sqrt(3)/2 (toggles on all
  three axes within the window), so toggles between levels never cross;
* **the measured null** (``null_window_s`` look-back): the still level of each statistic over the last five
  minutes (the lower quartile of its 10 s block medians, so that minutes of restless movement do not deafen
  the detector), times the ratio of threshold to median of the model. On white noise it equals the model; on
  anything else a still leg does (a band-limited sensor whose noise is not white, breathing, a standing leg's
  sway) it takes over, so the night's own stillness sets the threshold, never a running minimum (which
  collapses to ~0 on a quantised sensor that sits on one level between toggles).

The event logic is the EMG rule of docs/scoring.md §1.2 step 1 on the normalised statistics: an LM starts where
either statistic exceeds its onset threshold and ends at the start of the first >= ``min_quiet_s`` stretch in
which both stay below their offset thresholds (the still leg's 99th percentiles, ``quiet_tail``: noise cannot
start an LM, and cannot keep one going). Same-leg bursts < 0.5 s apart are therefore one LM. Because the
statistics average over ``window_s``, an edge is seen up to half a window early or late; the onset and offset
are moved back by the linear ramp a window mean makes of an edge (clamped to half a window). The morphology
check (step 5): an LM holds a ``morph_window_s`` window whose median stays above the offset threshold.

**LM peak** (``peak_g``, ``lrm.signal.limit``): the largest deviation of the acceleration from the resting
vector during the movement, ``max_t |a(t) - a_rest|`` in g, ``a_rest`` the leg's resting acceleration just
before it. Estimated as the maximum of the 0.2 s RMS deviation from rest with the noise power removed
(``envelope_g``), which follows a tonic excursion closely and underestimates a brief spike of acceleration.

**Detection limit** (:func:`detection_limit_g`, ``lrm.signal.limit``): the smallest LM peak detected with
>= 90 % probability, for each of three reference classes of LM shapes (tonic rotations, kicks, clonic trains):
how much of a peak reaches R and D depends on the shape, so the limit is stated for the least favourable
class. ``docs/validation.md`` shows its calibration (recall above and below it).

Everything is vectorised over the night (run-length encoding with numpy); only the morphology check loops,
over the detected events.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import special

from lrm.params import DetectParams
from lrm.signal.envelope import Deviation
from lrm.signal.noise import SensorNoise, quantisation_swing
from lrm.signal.null import NullFactors, null_factors, null_tails
from lrm.signal.pulses import pulse_null, pulse_tail

__all__ = ["LM_COLUMNS", "LegThresholds", "LegDetection", "estimate_thresholds", "block_medians", "normalised_activity",
           "find_lm_intervals", "reanchored_offset", "detect_leg", "detection_limit_g", "limit_inputs",
           "check_rate", "runs", "MIN_RATE_HZ", "LOW_RATE_HZ"]

MIN_RATE_HZ = 10.0
"""Slowest raw rate analysed (Hz): at 10 Hz a 0.5 s LM (docs/scoring.md §1.2 step 2) still spans 5 samples and the
0.5 s offset rule 5 more; below it the WASM duration and offset rules cannot be applied."""

RATE_TOLERANCE = 0.95
"""A nominal 10 Hz sensor delivers a little less (a slow clock, lost packets): rates down to 95 % of
:data:`MIN_RATE_HZ` count as 10 Hz."""

LOW_RATE_HZ = 20.0
"""Below this raw rate (Hz) results are less reliable: a 0.5 s window holds < 10 samples (noise averages down
less, limits rise), edges are resolved to > 50 ms and quick kicks and tremor-like trains alias."""

LM_COLUMNS = ("onset_s", "offset_s", "side", "peak_g", "burst_s", "half_peak_s", "morphology_ok")

R_SWINGS = float(np.sqrt(2.0))
"""Quantisation swings R's thresholds add: a still leg's mean one level off on two axes at once, between the
rest (a median of many seconds) and a window (a level boundary crossed as the true value drifts)."""

D_SWINGS = float(np.sqrt(3.0) / 2.0)
"""Quantisation swings D's thresholds add: toggles between two neighbouring levels on all three axes within a
window, each spreading half a swing."""

B_SWINGS = float(np.sqrt(3.0))
"""Quantisation swings the brief-burst statistic's thresholds add: over its 0.2 s a still leg's reading can sit
one level off the rest on all three axes at once (too short for the toggles to average out, unlike R's 1 s)."""
CHI3_MEDIAN = float(np.sqrt(special.chdtri(3, 0.5)))
"""Median of a chi distribution with 3 degrees of freedom (R of white noise in units of its per-axis scale)."""

REANCHOR_MEAN_S = 5.0
"""The rest reference a movement is measured from after the leg lay still turned (:func:`reanchored_offset`) is
the mean orientation over the last (at most) this many seconds of that stillness: 5 s of 1 s window means cut
their noise variance to a fifth of one mean's, while a settling leg (0.1-0.3 deg per minute,
``lrm.signal.envelope.REST_TRACK_S``) moves < 0.5 mg in that time."""

HOLD_MAX_S = 10.0
"""A still stretch at a turned orientation longer than this (s) is a new rest, never an LM's tonic hold: an LM lasts
at most 10 s (docs/scoring.md §1.2 step 2)."""

Z90 = 1.2815515655446004
"""The standard normal's 90 % point: a movement at ``T + Z90 * s`` exceeds T with 90 % probability."""


def runs(mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """Start/end (exclusive) sample indices (k, 2) of the runs of True in ``mask``.

    >>> runs(np.array([0, 1, 1, 0, 1], bool)).tolist()
    [[1, 3], [4, 5]]
    """
    mask = np.asarray(mask, dtype=bool)
    if mask.size == 0:
        return np.zeros((0, 2), np.int64)
    # one comparison pass over the mask: the changes, with the edges' runs opened and closed
    edges = np.flatnonzero(mask[1:] != mask[:-1]) + 1
    edges = np.concatenate(([0] if mask[0] else [], edges, [mask.size] if mask[-1] else [])).astype(np.int64)
    return edges.reshape(-1, 2)


@dataclass(frozen=True, slots=True, eq=False)
class LegThresholds:
    """One leg's detection thresholds per block of ``block_s`` seconds (float32 (b,), in g).

    offset_hi_g, offset_lo_g : onset and offset thresholds of R (the 0.5 s mean deviation from rest).
    spread_hi_g, spread_lo_g : onset and offset thresholds of D (the 0.5 s dynamic RMS).
    offset_scale_g : the null scale of R per axis (the model's, or the measured one when larger).
    noise : the sensor noise the model used.
    medians : (b, 2) the whole blocks' own medians of R and D (:func:`block_medians`), the measured null's input.
    window_s : the statistics' integration window (s) the thresholds are for.
    burst_hi_g, burst_lo_g : onset and offset thresholds of B, the brief-burst statistic (the ``smooth_s`` RMS
        deviation from rest with the noise power removed, ``Deviation.envelope_g``); None: B is not used.
    pulse_hi_g, pulse_lo_g : onset and offset thresholds of P, the matched filter for brief flexion pulses
        (``lrm.signal.pulses``, ``Deviation.pulse_g``); None: P is not used.
    """

    block_s: float
    offset_hi_g: npt.NDArray[np.float32]
    offset_lo_g: npt.NDArray[np.float32]
    spread_hi_g: npt.NDArray[np.float32]
    spread_lo_g: npt.NDArray[np.float32]
    offset_scale_g: npt.NDArray[np.float32]
    noise: SensorNoise
    medians: npt.NDArray[np.float32] | None = None
    window_s: float = 1.0
    burst_hi_g: npt.NDArray[np.float32] | None = None
    burst_lo_g: npt.NDArray[np.float32] | None = None
    pulse_hi_g: npt.NDArray[np.float32] | None = None
    pulse_lo_g: npt.NDArray[np.float32] | None = None


def check_rate(fs_hz: float, source: str) -> str | None:
    """Refuse a raw rate below :data:`MIN_RATE_HZ` (InputError); a warning text below :data:`LOW_RATE_HZ`.

    >>> check_rate(50.0, "left.csv") is None
    True
    >>> check_rate(16.0, "left.csv")
    'left.csv: sampled at 16 Hz, below 20 Hz: edges and brief or oscillating LMs are resolved less well, the detection limit is higher'
    """
    from lrm.errors import InputError

    if not fs_hz >= RATE_TOLERANCE * MIN_RATE_HZ:
        raise InputError(source, "sample times", f"the sensor delivered {fs_hz:.3g} samples per second, below the "
                         f"{MIN_RATE_HZ:g} Hz needed to apply the 0.5 s LM rules",
                         "record at 10 Hz or more (25-100 Hz recommended)")
    if fs_hz < RATE_TOLERANCE * LOW_RATE_HZ:
        return (f"{source}: sampled at {fs_hz:.3g} Hz, below {LOW_RATE_HZ:g} Hz: edges and brief or oscillating LMs "
                "are resolved less well, the detection limit is higher")
    return None


def _chi2_tail(tail: float, dof: float) -> float:
    """x with P(chi-square(dof) > x) = tail."""
    return float(special.chdtri(dof, tail))


def block_medians(dev: Deviation, valid: npt.NDArray[np.bool_], *, fs_hz: float,
                  params: DetectParams = DetectParams(), spread_medians: npt.NDArray[np.float32] | None = None
                  ) -> npt.NDArray[np.float32]:
    """Median of R and D over each whole block of ``null_block_s`` (b, 2) in g; NaN where the median's middle
    order statistics are not all valid (less than half of the block valid, or exactly half of an even row:
    an invalid sample would be averaged in as +inf). Every fifth of a second is used (the statistics are smooth
    over their 0.5 s window).
    ``spread_medians``: D's column (b,) as this function returned it for the same D and ``valid`` (the second
    pass of :func:`lrm.signal.leg.leg_signals` changes R only), taken instead of sorting D's blocks again.
    """
    per_block = max(1, int(round(params.null_block_s * fs_hz)))
    step = max(1, int(round(0.2 * fs_hz)))
    b = dev.offset_g.size // per_block
    out = np.full((b, 2), np.nan, np.float32)
    if b == 0:
        return out
    ok = valid[: b * per_block].reshape(b, per_block)[:, ::step]
    m = ok.shape[1]
    middle = slice(m // 2, m // 2 + 1) if m % 2 else slice(m // 2 - 1, m // 2 + 1)
    known_d = spread_medians is not None and spread_medians.shape == (b,)
    if known_d:
        out[:, 1] = spread_medians
    for k, values in enumerate((dev.offset_g,) if known_d else (dev.offset_g, dev.spread_g)):
        v = values[: b * per_block].reshape(b, per_block)[:, ::step]
        # np.median's own arithmetic (the mean of the middle order statistics, NaN if any), on a sort: for rows
        # of 50 values a sort is ~8x faster than the two-kth partition np.median uses
        ordered = np.sort(np.where(ok, v, np.float32(np.inf)), axis=1)          # invalid samples sort last
        median = np.mean(ordered[:, middle], axis=1)
        median[np.isnan(ordered[:, -1])] = np.nan
        out[:, k] = median
    out[ok.sum(axis=1) < middle.stop] = np.nan            # an invalid sample (+inf) among the middle ones
    return out


def _lookback_null(meds: npt.NDArray[np.float32], n: int, quantile: float) -> npt.NDArray[np.float32]:
    """``quantile`` of the ``n`` blocks before each block (block 0: itself) of ``meds`` (b, 2), NaN skipped
    (the nearest order statistic); 0 where there is none. Causal: a block's thresholds never depend on its own
    or later blocks' data (so the online detector, which carries the finished blocks' medians, gets the same
    thresholds).

    >>> m = np.float32([[1, 5], [2, 6], [np.nan, 7], [4, 8]])
    >>> _lookback_null(m, 2, 0.5).tolist()
    [[1.0, 5.0], [1.0, 5.0], [1.0, 5.0], [2.0, 6.0]]
    """
    from numpy.lib.stride_tricks import sliding_window_view

    if meds.shape[0] == 0:
        return np.zeros((0, 2), np.float32)
    padded = np.concatenate((np.full((n, 2), np.nan, np.float32), meds))
    win = np.sort(sliding_window_view(padded[:-1], n, axis=0), axis=-1)   # blocks j - n .. j - 1, NaN last
    missing = np.isnan(win)
    count = missing.argmax(axis=-1)                  # values before the first NaN (NaN sort last): ~6x faster
    count[~missing[..., -1]] = n                     # than counting them; no NaN at all: all n
    k = np.rint(quantile * np.maximum(count - 1, 0)).astype(np.int64)
    out = np.take_along_axis(win, k[..., None], axis=-1)[..., 0]
    out[count == 0] = np.nan
    out[0] = meds[0]
    return np.nan_to_num(out, nan=0.0).astype(np.float32)


def estimate_thresholds(dev: Deviation, valid: npt.NDArray[np.bool_], noise: SensorNoise, *, fs_hz: float,
                        params: DetectParams = DetectParams(), known: npt.NDArray[np.float32] | None = None,
                        known_before: int = 0, spread_medians: npt.NDArray[np.float32] | None = None,
                        filled: npt.NDArray[np.bool_] | None = None) -> LegThresholds:
    """Onset and offset thresholds of R and D per block, from the sensor model and the measured null.

    Parameters
    ----------
    dev : Deviation
        The leg's statistics on its working grid (``lrm.signal.envelope.estimate_deviation``).
    valid : ndarray of bool (n,)
        False in gaps.
    noise : SensorNoise
        White noise per axis and quantisation step of the raw samples (``lrm.signal.noise``).
    fs_hz : float
        Grid rate in Hz (keyword-only).
    params : DetectParams
        Window, false-alarm and quiet tails, null window and the floor.
    known, known_before : ndarray (h, 2), int
        Block medians (:func:`block_medians`) already known for the ``h`` blocks that start ``known_before``
        blocks before ``dev``'s first sample (the online detector's carried state); they replace this
        array's own for those blocks. Offline: None.
    spread_medians : ndarray (b,), optional
        D's whole-block medians already taken of this ``dev.spread_g`` and ``valid`` (:func:`block_medians`'
        second column; the second pass of :func:`lrm.signal.leg.leg_signals`, which changes R only).
    filled : ndarray of bool (n,), optional
        True on grid samples the reader filled (ActiGraph idle sleep, ``PreparedLeg.filled``): the last sample
        repeated, which has neither noise nor breathing, so its R and D say nothing of the still level. They are
        left out of the block medians. A block mostly filled was still (the device slept because its own motion
        sensor was quiet) at a level no sample shows: it counts in the look-back at the least median of the
        ``null_window_s / null_block_s`` recorded blocks before it, the stillest level recorded (not its own
        zeros, and not the recorded blocks' lower quartile: idle sleep removes the still time, so the recorded
        blocks of such a night are mostly movement). Otherwise a long fill's zero medians pull the lower
        quartile to 0 for the five minutes after it, the thresholds fall to the white-noise model, and a still
        leg's coloured noise (breathing, a band-limited sensor) becomes LMs (docs/validation.md, "Idle-sleep
        fill and the thresholds").

    Returns
    -------
    LegThresholds
    """
    nf = null_factors(round(noise.fs_hz, 3), float(fs_hz), float(params.window_s), float(params.smooth_s))
    swing = quantisation_swing(noise)
    sigma = null_sigma_g(noise)
    # R: chi(3) of scale s_R, plus what the quantiser's level jumps can add (R_SWINGS)
    s_r = sigma * np.sqrt(nf.mean_var)
    z_hi, z_lo = np.sqrt(_chi2_tail(params.false_alarm_tail, 3)), np.sqrt(_chi2_tail(params.quiet_tail, 3))
    r_hi, r_lo = R_SWINGS * swing + z_hi * s_r, R_SWINGS * swing + z_lo * s_r
    # D^2: the onset quantile exact (null_tails: the quadratic form's saddlepoint tail at the worst grid phase),
    # the body (offset quantile, median) a scaled chi-square moment matched to the chain's white-noise D^2; plus
    # the toggles' spread (D_SWINGS)
    nt = null_tails(round(noise.fs_hz, 3), float(fs_hz), float(params.window_s), float(params.smooth_s),
                    float(params.false_alarm_tail))
    scale, dof = nf.spread_var / (2.0 * nf.spread_mean), 2.0 * nf.spread_mean ** 2 / nf.spread_var
    q_lo, q_med = (_chi2_tail(p, dof) for p in (params.quiet_tail, 0.5))
    q_hi = nt.spread / scale                               # in the scaled chi-square's units, as q_lo and q_med
    d_hi, d_lo = D_SWINGS * swing + sigma * np.sqrt(nt.spread), D_SWINGS * swing + sigma * np.sqrt(scale * q_lo)
    # the measured null: look-back median of each statistic, scaled as the model's threshold is to its median
    recorded = valid if filled is None else valid & ~filled[: valid.size]
    own = block_medians(dev, recorded, fs_hz=fs_hz, params=params, spread_medians=spread_medians)
    meds = own
    per_block = max(1, int(round(params.null_block_s * fs_hz)))
    n_blocks = -(-dev.offset_g.size // per_block)
    meds = np.concatenate((meds, np.full((n_blocks - meds.shape[0], 2), np.nan, np.float32)))
    skip = None if filled is None else _filled_blocks(filled, per_block, n_blocks)
    if known is not None and known_before > 0 or known is not None and known.shape[0]:
        h = known.shape[0]
        gap = np.full((max(0, known_before - h), 2), np.nan, np.float32)   # blocks neither known nor in dev
        meds = np.concatenate((known, gap, meds[max(0, h - known_before):]))
        if skip is not None:
            skip = np.concatenate((np.zeros(known.shape[0] + gap.shape[0], bool), skip[max(0, h - known_before):]))
    else:
        known_before = 0
    n_back = max(1, int(round(params.null_window_s / params.null_block_s)))
    if skip is not None and skip.any():   # a filled block was the stillest time: the least recorded level before it
        meds = np.where(skip[:, None], _lookback_recorded(meds, skip, n_back, 0.0), meds)
    null = _lookback_null(meds, n_back, params.null_quantile)[known_before : known_before + n_blocks]
    med_r, med_d = null[:, 0], null[:, 1]
    floor = np.float32(params.min_threshold_g)
    offset_scale = np.maximum(np.float32(s_r), med_r / np.float32(CHI3_MEDIAN))
    offset_hi = np.maximum(np.maximum(np.float32(r_hi), med_r * np.float32(z_hi / CHI3_MEDIAN)), floor)
    offset_lo = np.maximum(np.maximum(np.float32(r_lo), med_r * np.float32(z_lo / CHI3_MEDIAN)),
                           np.float32(params.rest_precision_g))
    spread_hi = np.maximum(np.maximum(np.float32(d_hi), med_d * np.float32(np.sqrt(q_hi / q_med))), floor)
    spread_lo = np.maximum(np.maximum(np.float32(d_lo), med_d * np.float32(np.sqrt(q_lo / q_med))),
                           floor * np.float32(np.sqrt(q_lo / q_hi)))
    # B follows the measured null as D does: a still leg whose D runs k times the white-noise model's median
    # (coloured noise, breathing, sway, or a noise estimate read in quieter hours) has k times the noise before
    # B's fixed noise power is removed, so B's quantiles are taken of (k sigma)^2 chi-square less that power
    excess = np.maximum(np.float32(1.0), med_d / np.float32(max(sigma * np.sqrt(scale * q_med), 1e-12)))
    b_hi = np.maximum(B_SWINGS * swing + _burst_threshold(nf, sigma * excess, sigma, params.false_alarm_tail,
                                                          quantile=nt.burst), floor)
    b_lo = np.maximum(B_SWINGS * swing + _burst_threshold(nf, sigma * excess, sigma, params.quiet_tail),
                      floor * np.float32(np.sqrt(q_lo / q_hi)))
    p_hi = p_lo = None
    pn = pulse_null(round(noise.fs_hz, 3))
    if params.pulses and pn.scale > 0:   # P (lrm.signal.pulses): chi(3) per width and raw sample (union bound)
        z_p = [np.sqrt(_chi2_tail(pulse_tail(tail, noise.fs_hz, fs_hz), 3))
               for tail in (params.false_alarm_tail, params.quiet_tail)]
        p_swing = np.float32(np.sqrt(3.0) * pn.swing_gain * swing)
        p_hi = np.maximum(p_swing + np.float32(z_p[0] * sigma * pn.scale) * excess, floor).astype(np.float32)
        p_lo = np.maximum(p_swing + np.float32(z_p[1] * sigma * pn.scale) * excess,
                          floor * np.float32(z_p[1] / z_p[0])).astype(np.float32)
    return LegThresholds(float(per_block) / fs_hz, offset_hi.astype(np.float32), offset_lo.astype(np.float32),
                         spread_hi.astype(np.float32), spread_lo.astype(np.float32),
                         offset_scale.astype(np.float32), noise, own, float(params.window_s),
                         b_hi.astype(np.float32), b_lo.astype(np.float32), p_hi, p_lo)


def _filled_blocks(filled: npt.NDArray[np.bool_], per_block: int, n_blocks: int) -> npt.NDArray[np.bool_]:
    """Blocks (``n_blocks``,) of ``per_block`` grid samples of which at least half are ``filled`` (n,); a last
    partial block counts its samples only.

    >>> _filled_blocks(np.array([1, 1, 0, 0, 1, 0, 1], bool), 2, 4).tolist()
    [True, False, True, True]
    """
    f = np.zeros(n_blocks * per_block, bool)
    m = min(f.size, filled.size)
    f[:m] = filled[:m]
    count = np.minimum(per_block, np.maximum(0, m - np.arange(n_blocks) * per_block))   # samples in each block
    return f.reshape(n_blocks, per_block).sum(axis=1) * 2 >= np.maximum(count, 1)


def _lookback_recorded(meds: npt.NDArray[np.float32], skip: npt.NDArray[np.bool_] | None, n: int,
                       quantile: float) -> npt.NDArray[np.float32]:
    """:func:`_lookback_null` over the blocks not in ``skip`` (b,): each block's value is the ``quantile`` of the
    ``n`` unskipped blocks before it (block 0 of them: itself), so a skipped block neither enters the look-back
    nor shortens it. A skipped block gets the value of the next unskipped block (the same blocks before it); one
    after the last, that of the last ``n``.

    >>> m = np.float32([[2, 5], [0, 0], [0, 0], [1, 7], [0, 0]])
    >>> _lookback_recorded(m, np.array([False, True, True, False, True]), 2, 0.0).tolist()
    [[2.0, 5.0], [2.0, 5.0], [2.0, 5.0], [2.0, 5.0], [1.0, 5.0]]
    """
    if skip is None or not skip.any():
        return _lookback_null(meds, n, quantile)
    keep = ~skip
    kept = np.concatenate((meds[keep], np.full((1, 2), np.nan, np.float32)))   # one more: the null after the last
    null = _lookback_null(kept, n, quantile)
    return null[np.cumsum(keep) - keep]                  # kept blocks before each block: its row in ``kept``


def _burst_threshold(nf: NullFactors, noise_g: npt.NDArray[np.float32], removed_g: float,
                     tail: float, quantile: float | None = None) -> npt.NDArray[np.float32]:
    """B's threshold (g) exceeded with probability ``tail`` by a still leg whose per-axis noise is ``noise_g``
    (per block), when the noise power removed from B's square is that of ``removed_g`` per axis.

    B^2 is the ``smooth_s`` mean square deviation from the ``window_s`` mean less ``removed_g^2 burst_mean``
    (``lrm.signal.envelope``); before that subtraction its ``tail`` quantile in units of the noise variance is
    ``quantile`` (the exact one, ``lrm.signal.null.null_tails``) or, if None, that of a scaled chi-square
    moment matched to the chain's (``lrm.signal.null.null_factors``; the body's quantiles).
    """
    noise = np.asarray(noise_g, np.float64)
    if nf.burst_mean <= 0 or nf.burst_var <= 0:
        return np.full(noise.shape, np.inf, np.float32)
    if quantile is None:
        scale, dof = nf.burst_var / (2.0 * nf.burst_mean), 2.0 * nf.burst_mean ** 2 / nf.burst_var
        quantile = scale * _chi2_tail(tail, dof)
    square = noise ** 2 * quantile - removed_g ** 2 * nf.burst_mean
    return np.sqrt(np.maximum(square, 0.0)).astype(np.float32)


def null_sigma_g(noise: SensorNoise) -> float:
    """Per-axis white noise (g) of a still raw sample the thresholds assume (the noisiest axis's); what an
    undithered quantiser adds is bounded separately (``quantisation_swing``)."""
    return float(noise.white_max_g)


def _per_sample(block: npt.NDArray[np.float32], per_block: int, n: int) -> npt.NDArray[np.float32]:
    out = np.repeat(block, per_block)
    if out.size < n:
        out = np.concatenate((out, np.full(n - out.size, block[-1], np.float32)))
    return out[:n]


def per_block_ratio(values: npt.NDArray[np.floating], block: npt.NDArray[np.floating], per_block: int, *,
                    out: npt.NDArray[np.floating] | None = None) -> npt.NDArray[np.floating]:
    """``values`` (n,) over the block values ``block`` (b,) of the blocks of ``per_block`` samples they lie in,
    the last block's value past the blocks: ``values / _per_sample(block, per_block, n)``, the same divisions,
    without writing out the (n,) repeated blocks (a block at a time, by broadcasting over (b, per_block)).
    ``out``: an (n,) array to write into (may be ``values`` itself), used when it has the result's dtype.

    >>> per_block_ratio(np.float32([2, 4, 6, 8, 10]), np.float32([2, 4]), 2).tolist()
    [1.0, 2.0, 1.5, 2.0, 2.5]
    """
    n = values.shape[0]
    dtype = np.result_type(values, block)
    if out is None or out.dtype != dtype:
        out = np.empty(n, dtype)
    full = min(n // per_block, block.shape[0])
    head = full * per_block
    np.divide(values[:head].reshape(full, per_block), block[:full, None], out=out[:head].reshape(full, per_block))
    if head < n:
        last = block[min(full, block.shape[0] - 1)]
        if full == block.shape[0]:   # past the blocks: _per_sample pads with the last block's value in float32
            last = np.asarray(np.float32(last), dtype=block.dtype)
        np.divide(values[head:], last, out=out[head:])
    return out


def normalised_activity(dev: Deviation, thr: LegThresholds, *, fs_hz: float
                        ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """The statistics over their thresholds: ``(onset ratio, offset ratio)`` (n,) each, dimensionless.

    ``max(R / R_hi, D / D_hi, B / B_hi)`` above 1 starts an LM; ``max(R / R_lo, D / D_lo, B / B_hi)`` below 1 is
    quiet (B, the brief-burst statistic, when the thresholds have it). B is read against its *onset* threshold in
    both: it is the deviation from the 1 s window mean, so a large brief burst leaks into B for up to half a window
    (0.5 s) before and after it, at about the burst's area over the window; against B's offset threshold that leak
    would start and end movements up to 0.5 s away from the leg's own movement (a hypnic jerk on a 10 Hz leg became
    a 1.2 s LM starting 0.6 s before it; docs/validation.md, "Where LM F1 and the PLM index are lost").
    """
    per_block = max(1, int(round(thr.block_s * fs_hz)))
    # each ratio over the thresholds per block (per_block_ratio: no (n,) repeats), the maxima taken in place
    hi = per_block_ratio(dev.offset_g, thr.offset_hi_g, per_block)
    ratio = per_block_ratio(dev.spread_g, thr.spread_hi_g, per_block)
    np.maximum(hi, ratio, out=hi)
    lo = per_block_ratio(dev.offset_g, thr.offset_lo_g, per_block)
    np.maximum(lo, per_block_ratio(dev.spread_g, thr.spread_lo_g, per_block, out=ratio), out=lo)
    b = burst_ratio(dev, thr, fs_hz=fs_hz, out=ratio)
    if b is not None:   # B counts as activity only above its onset threshold (its 1 s mean leaks; docstring)
        np.maximum(hi, b, out=hi)
        np.maximum(lo, b, out=lo)
    if thr.pulse_hi_g is not None and dev.pulse_g is not None:   # P: a brief pulse's onset, and its train's extent
        np.maximum(hi, per_block_ratio(dev.pulse_g, thr.pulse_hi_g, per_block, out=ratio), out=hi)
        np.maximum(lo, per_block_ratio(dev.pulse_g, thr.pulse_lo_g, per_block, out=ratio), out=lo)
    return hi.astype(np.float32, copy=False), lo.astype(np.float32, copy=False)


def burst_ratio(dev: Deviation, thr: LegThresholds, *, fs_hz: float,
                out: npt.NDArray[np.floating] | None = None) -> npt.NDArray[np.float32] | None:
    """B over its onset threshold (n,), dimensionless; None when the thresholds have no B. ``out``: an (n,)
    array to write it into when it has the ratio's dtype (:func:`per_block_ratio`)."""
    if thr.burst_hi_g is None or dev.burst_g is None:
        return None
    per_block = max(1, int(round(thr.block_s * fs_hz)))
    return per_block_ratio(dev.burst_g, thr.burst_hi_g, per_block, out=out).astype(np.float32, copy=False)


def reanchored_offset(dev: Deviation, means_g: npt.NDArray[np.float32], thr: LegThresholds,
                      valid: npt.NDArray[np.bool_], *, fs_hz: float, params: DetectParams = DetectParams()
                      ) -> npt.NDArray[np.float32]:
    """R measured from where the leg last lay still, when it lay still turned away from its resting vector (n,),
    in g; R itself (``dev.offset_g``, modified in place and returned) everywhere else.

    An LM ends when the leg is still again (docs/scoring.md §1.2 step 1's 0.5 s offset rule, read for the shank:
    its dynamic part has died down and its orientation no longer changes), wherever it then lies. A movement may
    leave the leg turned by a degree or more (the foot settles elsewhere: docs/scoring.md §6); against the old
    resting vector (a 41 s median, ``lrm.signal.leg``) R then never falls back below its offset threshold, the
    LM "never ends" and swallows the next ones. So the rest reference re-anchors at the new orientation:

    * **still** (per grid sample, against the night's own noise): D and B below their offset thresholds (the
      still leg's 99.9th percentiles: no dynamic acceleration) and the orientation not changing, the change
      between the two adjacent ``window_s`` means around the sample, ``|m(t + w/2) - m(t - w/2)| / sqrt(2)``
      (the same chi(3) null as R: a difference of two independent window means has twice a mean's variance),
      below R's offset threshold;
    * **held**: a still stretch of at least ``reanchor_still_s``; it re-anchors when R at its end is above R's
      onset threshold (a 1e-6 tail: a leg lying still at its resting vector never re-anchors on noise, and
      nothing changes there), unless it is an LM's **tonic hold**: shorter than :data:`HOLD_MAX_S` and followed
      by a movement that only takes the leg back to its old rest (R never more than its onset threshold above
      the hold's level, and the next held stretch at the old rest);
    * **re-anchored R**: inside such a stretch, the orientation change itself (below the offset threshold by
      construction: the leg is quiet there); after it, until the next held stretch, ``|m(t) - A| / sqrt(1 + v)``
      with ``A`` the mean of the window means over the stretch's last ``min(length, REANCHOR_MEAN_S)``; ``v``,
      that anchor's noise variance relative to one window mean's, keeps the statistic's null that of R, so
      R's thresholds hold unchanged. Back at the old resting vector is at rest too: the statistic is the
      smaller of the two deviations.

    Off (R returned unchanged) when ``params.reanchor_still_s`` is 0, the default: on the dev nights it raised
    LM F1 and recall but also the wide family's PLM-index error (restless wake movements that used to merge into
    one > 10 s movement become LM-sized ones); see ``DetectParams.reanchor_still_s``.

    Everything depends on the data within a few seconds of a sample except the anchor, which reaches back to
    the last held stretch (during a movement: at most the movement's length). Vectorised over the night (runs
    of the still mask); memory: two (n,) temporaries.

    >>> fs = 25.0; a = np.tile(np.float32([0, 0, 1]), (1500, 1))
    >>> a[250:300, 0] += np.float32(np.linspace(0, 0.04, 50)); a[300:, 0] += np.float32(0.04)    # turned, stays
    >>> from lrm.signal.envelope import estimate_deviation
    >>> dev = estimate_deviation(a, np.float32([[0, 0, 1]] * 60), fs_hz=fs, keep_means=True)
    >>> t = LegThresholds(10.0, *(np.full(6, v, np.float32) for v in (0.006, 0.004, 0.005, 0.004, 0.001)),
    ...                   SensorNoise((0.001,) * 3, 0.0, 25.0))
    >>> on = DetectParams(reanchor_still_s=1.0)
    >>> r = reanchored_offset(dev, dev.means_g, t, np.ones(1500, bool), fs_hz=fs, params=on)
    >>> float(dev.offset_g[1000]) < 0.004          # the leg lies still, turned by 40 mg: quiet again
    True
    """
    offset = dev.offset_g
    n = offset.size
    if not params.reanchor_still_s > 0:
        return offset
    n_hold = max(1, int(round(params.reanchor_still_s * fs_hz)))
    w = max(1, int(round(params.window_s * fs_hz)))
    h = w // 2
    if n < max(n_hold, 2 * h + 1) or means_g is None:
        return offset
    per_block = max(1, int(round(thr.block_s * fs_hz)))
    held, change = _still_stretches(dev, means_g, thr, valid, per_block=per_block, h=h)
    held = held[(held[:, 1] - held[:, 0]) >= n_hold]
    if not held.size:
        return offset
    last = held[:, 1] - 1
    r_hi_last = thr.offset_hi_g[np.minimum(last // per_block, thr.offset_hi_g.size - 1)]
    level = offset[last]
    turned = level > r_hi_last
    if not turned.any():
        return offset
    # a tonic hold, not a new rest: the movement after the stillness only takes the leg back to its old rest (R
    # never more than R's onset threshold above the hold's level, and the next stillness at the old rest), and
    # the hold is shorter than the longest LM (HOLD_MAX_S)
    gap_on, gap_off = held[:-1, 1], held[1:, 0]
    gap_max = np.full(held.shape[0], np.inf)
    if gap_on.size:
        gap_max[:-1] = _segment_max(offset, gap_on, gap_off)
    back = np.zeros(held.shape[0], bool)
    back[:-1] = ~turned[1:]
    hold = back & (gap_max <= level + r_hi_last) & ((held[:, 1] - held[:, 0]) < HOLD_MAX_S * fs_hz)
    turned &= ~hold
    if not turned.any():
        return offset
    # what follows each turned stretch, up to the next held stretch (or the end), is measured from its anchor
    next_start = np.append(held[1:, 0], n)[turned]
    held = held[turned]
    span = np.minimum(held[:, 1] - held[:, 0], max(1, int(round(REANCHOR_MEAN_S * fs_hz))))
    a_start = held[:, 1] - span
    bounds = np.column_stack((a_start, held[:, 1])).ravel()
    # (stretches end at least h samples before the end: `bounds` stays inside the array)
    anchor = np.column_stack([np.add.reduceat(means_g[:, c], bounds, dtype=np.float64)[::2] / span
                              for c in range(3)])
    # the anchor's noise variance relative to one window mean's: a box of w samples averaged over `span` centres
    # is a trapezoid; its sum of squared weights over a box's 1/w is (span - w/3) w / span^2 (span >= w), else
    # 1 - span / (3 w)
    span_f = span.astype(np.float64)
    v = np.where(span_f >= w, (span_f - w / 3.0) * w / span_f ** 2, 1.0 - span_f / (3.0 * w))
    # inside a turned stretch the leg is still: its R is the (quiet) orientation change
    idx, _ = _interval_samples(held[:, 0], held[:, 1])
    offset[idx] = change[idx]
    del change
    after = next_start > held[:, 1]
    if after.any():
        idx, _ = _interval_samples(held[after, 1], next_start[after])
        k = np.repeat(np.flatnonzero(after), next_start[after] - held[after, 1])
        sq = np.zeros(idx.size, np.float64)
        for c in range(3):
            sq += (means_g[idx, c] - anchor[k, c]) ** 2
        # back at the old resting vector is at rest too (a movement that returns the leg ends there)
        offset[idx] = np.minimum(offset[idx], (np.sqrt(sq) / np.sqrt(1.0 + v[k])).astype(np.float32))
    return offset


def _still_stretches(dev: Deviation, means_g: npt.NDArray[np.float32], thr: LegThresholds,
                     valid: npt.NDArray[np.bool_], *, per_block: int, h: int
                     ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float32]]:
    """The runs (k, 2) of grid samples where the leg is still (:func:`reanchored_offset`) and the orientation
    change (n,) in g: ``|m(t + h) - m(t - h)| / sqrt(2)`` of the window means ``means_g`` (0 within ``h`` of the
    ends, which are never still)."""
    n = dev.offset_g.size
    # the dynamic part died down: D and B below their offset thresholds
    still = dev.spread_g < _per_sample(thr.spread_lo_g, per_block, n)
    if dev.burst_g is not None and thr.burst_lo_g is not None:
        still &= dev.burst_g < _per_sample(thr.burst_lo_g, per_block, n)
    still &= valid
    # the orientation no longer changes: adjacent window means (their difference / sqrt(2) has R's null)
    change = np.zeros(n, np.float32)
    for c in range(3):
        col = means_g[:, c]
        d = np.subtract(col[2 * h:], col[: n - 2 * h])
        d *= d
        change[h: n - h] += d
        del d
    change *= np.float32(0.5)
    np.sqrt(change, out=change)
    still &= change < _per_sample(thr.offset_lo_g, per_block, n)
    still[:h] = False
    still[n - h:] = False
    return runs(still), change


def find_lm_intervals(onset_ratio: npt.NDArray[np.float32], offset_ratio: npt.NDArray[np.float32],
                      valid: npt.NDArray[np.bool_], *, fs_hz: float, params: DetectParams = DetectParams()
                      ) -> npt.NDArray[np.int64]:
    """Sample intervals [onset, offset) (k, 2) of the movements on one leg, before the edge correction.

    Parameters
    ----------
    onset_ratio, offset_ratio : ndarray (n,)
        The statistics over their onset and offset thresholds (:func:`normalised_activity`).
    valid : ndarray of bool (n,)
        False in gaps: such samples count as quiet and no movement spans them.
    fs_hz : float
        Grid rate in Hz.
    params : DetectParams
        The 0.5 s offset rule (``min_quiet_s``).

    Examples
    --------
    Two bursts 0.3 s apart are one movement; a third after 1 s of quiet is another:

    >>> z = np.zeros(60, np.float32); z[10:15] = z[18:25] = z[35:40] = 2.0
    >>> find_lm_intervals(z, z, np.ones(60, bool), fs_hz=10.0).tolist()
    [[10, 25], [35, 40]]
    """
    above_hi = (onset_ratio > 1.0) & valid
    quiet = ~((offset_ratio > 1.0) & valid)
    n_quiet = max(1, int(round(params.min_quiet_s * fs_hz)))
    quiet_runs = runs(quiet)
    long_runs = quiet_runs[(quiet_runs[:, 1] - quiet_runs[:, 0]) >= n_quiet]
    # active segments lie between consecutive long quiet runs (and the array ends)
    starts = np.concatenate(([0], long_runs[:, 1]))
    ends = np.concatenate((long_runs[:, 0], [onset_ratio.size]))
    keep = ends > starts
    starts, ends = starts[keep], ends[keep]
    hi_idx = np.flatnonzero(above_hi)
    first = np.searchsorted(hi_idx, starts)
    has_hi = first < hi_idx.size
    onset = hi_idx[np.minimum(first, hi_idx.size - 1)] if hi_idx.size else ends
    lm = has_hi & (onset < ends)
    # the excursion starts where the statistics last left the quiet band before crossing the onset threshold
    # (an isolated blip of noise above the offset threshold just before it is not the start)
    active = runs(~quiet)
    k = np.searchsorted(active[:, 0], onset[lm], side="right") - 1
    start = np.maximum(active[np.maximum(k, 0), 0], starts[lm]) if active.size else starts[lm]
    return np.column_stack((start, ends[lm])).astype(np.int64).reshape(-1, 2)


def _edges(intervals: npt.NDArray[np.int64], onset_ratio: npt.NDArray[np.float32],
           offset_ratio: npt.NDArray[np.float32], *, fs_hz: float, window_s: float, n: int
           ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """How far (grid samples, in whole ms) to move each onset and offset to undo the window's smear.

    A centred window mean turns an edge at ``t0`` of a movement ``a`` times the threshold into a ramp that
    crosses the threshold at ``t0 - w/2 + w / a``: the onset crossing is moved by ``w/2 - w / a_hi`` and the
    offset (the start of the quiet stretch) by ``-w/2 + w / a_lo``, each at most half a window.
    """
    on, off = intervals[:, 0], intervals[:, 1]
    a_hi = _segment_max(onset_ratio, on, off)
    a_lo = _segment_max(offset_ratio, on, off)
    half = 0.5 * window_s * fs_hz                                 # in grid samples
    shift_on = np.clip(half - 2.0 * half / np.maximum(a_hi, 1e-6), -half, half)
    shift_off = np.clip(-half + 2.0 * half / np.maximum(a_lo, 1e-6), -half, half)
    # whole milliseconds: the shift does not carry the float32 rounding of the statistics (which depends on
    # where a window of the night starts) into the times
    shift_on = np.round(shift_on * (1000.0 / fs_hz)) * (fs_hz / 1000.0)
    shift_off = np.round(shift_off * (1000.0 / fs_hz)) * (fs_hz / 1000.0)
    shift_on = np.clip(shift_on, -on, n - on)
    shift_off = np.maximum(np.minimum(shift_off, n - off), on + shift_on - off)
    return shift_on, shift_off


def _table(intervals: npt.NDArray[np.int64], dev: Deviation, onset_ratio: npt.NDArray[np.float32],
           offset_ratio: npt.NDArray[np.float32], *, fs_hz: float, side: str, params: DetectParams,
           first_index: int = 0) -> pd.DataFrame:
    k = intervals.shape[0]
    n = onset_ratio.size
    peak, burst, half = np.zeros(k), np.zeros(k), np.zeros(k)
    morph = np.zeros(k, bool)
    onset_s, offset_s = np.zeros(k), np.zeros(k)
    if k:
        on, off = intervals[:, 0], intervals[:, 1]
        shift_on, shift_off = _edges(intervals, onset_ratio, offset_ratio, fs_hz=fs_hz, window_s=params.window_s, n=n)
        onset_s = (first_index + on) / fs_hz + np.round(shift_on * (1000.0 / fs_hz)) / 1000.0
        offset_s = np.maximum((first_index + off) / fs_hz + np.round(shift_off * (1000.0 / fs_hz)) / 1000.0, onset_s)
        onset_i, offset_i = on + shift_on, off + shift_off
        peak = _segment_max(dev.envelope_g, on, off)
        idx, first = _interval_samples(on, off)
        burst = _count_per_interval(onset_ratio[idx] > 1.0, first) / fs_hz
        half = _count_per_interval(dev.envelope_g[idx] >= np.repeat(0.5 * peak, off - on), first) / fs_hz
        # morphology over the corrected interval
        c_on = np.clip(np.rint(onset_i).astype(np.int64), 0, n)
        c_off = np.clip(np.rint(offset_i).astype(np.int64), 0, n)
        c_off = np.maximum(c_off, c_on)
        morph = np.zeros(k, bool)
        nonempty = c_off > c_on
        if nonempty.any():
            cidx, cfirst = _interval_samples(c_on[nonempty], c_off[nonempty])
            window = max(1, int(round(params.morph_window_s * fs_hz)))
            morph[nonempty] = _morphology(offset_ratio[cidx] - 1.0, cfirst, np.r_[cfirst[1:], cidx.size], window)
    return pd.DataFrame({
        "onset_s": onset_s,
        "offset_s": offset_s,
        "side": pd.Series([side] * k, dtype="string"),
        "peak_g": peak,
        "burst_s": burst,
        "half_peak_s": half,
        "morphology_ok": morph,
    })


@dataclass(frozen=True, slots=True, eq=False)
class LegDetection:
    """One leg's detection: the movements table and what produced it.

    moves : DataFrame with :data:`LM_COLUMNS`.
    thresholds : the leg's :class:`LegThresholds` (blocks of ``block_s``; the detection limit comes from them).
    envelope_g : (n,) RMS deviation from rest over ``smooth_s`` in g, noise power removed.
    onset_ratio, offset_ratio : (n,) the statistics over their onset / offset thresholds.
    medians : (b, 2) the whole blocks' medians of R and D (:func:`block_medians`), the measured null's input.
    intervals : (k, 2) each movement's active stretch [start, end) in grid samples of the night, before the
        edge correction (one row per table row).
    """

    moves: pd.DataFrame
    thresholds: LegThresholds
    envelope_g: npt.NDArray[np.float32]
    onset_ratio: npt.NDArray[np.float32]
    offset_ratio: npt.NDArray[np.float32]
    medians: npt.NDArray[np.float32] | None = None
    intervals: npt.NDArray[np.int64] | None = None


def detect_leg(dev: Deviation, thr: LegThresholds, valid: npt.NDArray[np.bool_], *, fs_hz: float, side: str,
               params: DetectParams = DetectParams(), first_index: int = 0) -> LegDetection:
    """Detect the movements of one leg from its deviation statistics and thresholds.

    Parameters
    ----------
    dev : Deviation
        R, D and the envelope per grid sample in g (``lrm.signal.envelope.estimate_deviation``).
    thr : LegThresholds
        The leg's thresholds per block (:func:`estimate_thresholds`).
    valid : ndarray of bool (n,)
        False in gaps.
    fs_hz : float
        Grid rate in Hz (keyword-only).
    side : str
        Written into the table's ``side`` column.
    params : DetectParams
        The offset rule, the window and the morphology check.
    first_index : int
        Grid index of the arrays' first sample in the night (a window's offset): times in the table and
        ``intervals`` count from the night's start.

    Returns
    -------
    LegDetection
        ``moves`` with :data:`LM_COLUMNS`: ``onset_s``/``offset_s`` in s (edges corrected for the window);
        ``peak_g`` the LM peak estimate in g (module docstring); ``burst_s`` the time in s either statistic
        spent above its onset threshold; ``half_peak_s`` the time in s the envelope spent at or above half its
        peak (brief for a jerk: its EMG burst lasts 75-250 ms, while an LM's tonic hold keeps it up for most
        of the LM); ``morphology_ok`` whether a ``morph_window_s`` window has its median above the offset
        thresholds (docs/scoring.md §1.2 step 5). Every movement is listed; later steps label posture
        changes, walking and hypnic jerks, and the rules drop LMs < 0.5 s.
    """
    onset_ratio, offset_ratio = normalised_activity(dev, thr, fs_hz=fs_hz)
    intervals = find_lm_intervals(onset_ratio, offset_ratio, valid, fs_hz=fs_hz, params=params)
    moves = _table(intervals, dev, onset_ratio, offset_ratio, fs_hz=fs_hz, side=side, params=params,
                   first_index=first_index)
    medians = thr.medians if thr.medians is not None else block_medians(dev, valid, fs_hz=fs_hz, params=params)
    return LegDetection(moves, thr, dev.envelope_g, onset_ratio, offset_ratio, medians, intervals + first_index)


def detection_limit_g(thr: LegThresholds, in_period: npt.NDArray[np.bool_] | None = None, *,
                      brief: bool = False) -> float:
    """The smallest LM peak (g) detected with >= 90 % probability over the blocks ``in_period`` (all if None).

    The median over the period's blocks of R's onset threshold and noise scale, D's and B's onset thresholds
    and P's onset threshold, turned into a peak by :func:`lrm.signal.limit.detection_limit_g` (the reference LM
    shapes): for the classes with a turn of the leg in them (``lrm.signal.limit.LIMIT_CLASSES``, the stated
    ``detection_limit_g``) or, with ``brief``, for brief-pulse LMs (``BRIEF_CLASSES``: 2-6 pulses of 80-300 ms,
    ``detection_limit_brief_g``). NaN when the period holds no block.

    >>> t = LegThresholds(10.0, np.float32([0.008, 0.02]), np.float32([0.005, 0.012]), np.float32([0.012, 0.03]),
    ...                   np.float32([0.01, 0.02]), np.float32([0.0015, 0.004]), SensorNoise((0.01,) * 3, 0.0, 50.0))
    >>> round(detection_limit_g(t, np.array([True, False])), 3)
    0.035
    """
    from lrm.signal.limit import BRIEF_CLASSES, LIMIT_CLASSES
    from lrm.signal.limit import detection_limit_g as limit_for

    inputs = limit_inputs(thr, in_period)
    if inputs is None:
        return float("nan")
    return limit_for(**inputs, classes=BRIEF_CLASSES if brief else LIMIT_CLASSES)


def limit_inputs(thr: LegThresholds, in_period: npt.NDArray[np.bool_] | None = None) -> dict[str, float] | None:
    """The thresholds :func:`detection_limit_g` turns into a limit (g; ``window_s`` in s, ``raw_fs_hz`` in Hz): their
    medians over the blocks ``in_period`` (all if None), as keyword arguments of
    :func:`lrm.signal.limit.detection_limit_g` and ``detection_probability``; None when the period holds no block."""
    mask = np.ones(thr.offset_hi_g.size, bool)
    if in_period is not None:
        mask[:] = False
        m = np.asarray(in_period, bool)[: mask.size]
        mask[: m.size] = m
    if not mask.any():
        return None

    def level(values: npt.NDArray[np.float32] | None) -> float:
        return float("inf") if values is None else float(np.median(values[mask]))

    return {"offset_hi_g": float(np.median(thr.offset_hi_g[mask])),
            "offset_scale_g": float(np.median(thr.offset_scale_g[mask])),
            "spread_hi_g": float(np.median(thr.spread_hi_g[mask])), "window_s": thr.window_s,
            "burst_hi_g": level(thr.burst_hi_g), "pulse_hi_g": level(thr.pulse_hi_g), "raw_fs_hz": thr.noise.fs_hz}


def _segment_max(values: npt.NDArray[np.float32], on: npt.NDArray[np.int64], off: npt.NDArray[np.int64]
                 ) -> npt.NDArray[np.float64]:
    """Maximum of ``values[on_i:off_i]`` for non-empty, non-overlapping ascending intervals."""
    bounds = np.column_stack((on, off)).ravel()
    if bounds[-1] == values.size:
        values = np.append(values, values[-1])
    return np.maximum.reduceat(values, bounds)[::2].astype(np.float64)


def _interval_samples(on: npt.NDArray[np.int64], off: npt.NDArray[np.int64]
                      ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Positions of the samples of the non-empty intervals ``[on_i, off_i)``, concatenated, and the index in
    that list where each interval starts."""
    lengths = off - on
    first = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    return np.repeat(on - first, lengths) + np.arange(lengths.sum()), first


def _count_per_interval(hit: npt.NDArray[np.bool_], first: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """Number of True in each interval's part of ``hit`` (the concatenated samples; ``first`` as above)."""
    return np.add.reduceat(hit, first, dtype=np.int64).astype(np.float64)


def _morphology(excess: npt.NDArray[np.float32], on: npt.NDArray[np.int64], off: npt.NDArray[np.int64],
                window: int) -> npt.NDArray[np.bool_]:
    """Whether each interval holds a ``window``-sample stretch whose median excess is > 0.

    Vectorised over all windows of all intervals by counting positive samples: more than half positive
    means a positive median, fewer than half a non-positive one; only a tie (even ``window``, exactly half)
    needs the median itself, taken on those windows alone.

    >>> x = np.array([-1, 1, 1, -1, -3, 1, -2, -1, 1, 1, 1, 1], np.float32)
    >>> _morphology(x, np.array([0, 4, 8]), np.array([4, 8, 11]), 2).tolist()
    [True, False, True]
    """
    out = np.zeros(on.size, bool)
    n_win = np.maximum(off - on - window + 1, 0)
    if not n_win.any():
        return out
    event = np.repeat(np.arange(on.size), n_win)
    first = np.repeat(on - np.concatenate(([0], np.cumsum(n_win)[:-1])), n_win) + np.arange(n_win.sum())
    pos = np.concatenate(([0], np.cumsum(excess > 0, dtype=np.int64)))
    count = pos[first + window] - pos[first]
    ok = count > window // 2
    tie = np.flatnonzero(count * 2 == window)
    if tie.size:
        seg = excess[first[tie][:, None] + np.arange(window)]
        ok[tie] = np.median(seg, axis=1) > 0
    out[np.unique(event[ok])] = True
    return out
