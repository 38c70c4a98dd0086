"""The burst inside each movement of one leg: how large, how brief, and how concentrated its energy is.

docs/scoring.md §3.1: a hypnic jerk is a single 75-250 ms muscle burst. What the detector reports as the
movement (onset to offset, docs/scoring.md §1.2 step 1) holds more than the burst: the strap's and the
soft tissue's ring-down after it, and, when the jerk leaves the leg slightly turned, the time the slow
gravity estimate needs to follow the new resting orientation (a 2 deg shift keeps ~35 mg in the dynamic
part for up to half the gravity window, :mod:`lrm.signal.gravity`). So the burst is measured on its own,
against the leg's resting reading just before the movement and just after it:

* ``d(t) = min(|a(t) - rest_before|, |a(t) - rest_after|)`` in g, with ``a`` the sensor's own samples
  (3 axes, gravity included: block means onto the slower working grid would average a 75 ms burst's
  alternating lobes away) and each rest the mean over ``base_s`` before the onset / after the offset (the
  offset rule leaves >= 0.5 s without movement after every movement). Before and after a brief burst
  ``d`` is ~0 whatever the leg's new orientation; during a leg movement's tonic hold the leg is away from
  both rests, so ``d`` stays up for the whole hold (docs/scoring.md §6).
* ``burst_peak_g``: the largest ``d``.
* ``burst_high_s``: the time ``d`` spends at or above half that peak (the high-amplitude part).
* ``burst_core_s``: the span that holds the central 90 % of the movement's energy above the noise,
  ``max(d - 2 n, 0)^2`` with ``n`` the noise measured in the rest windows, from its 5th to its 95th
  percentile: a burst followed by a long, weak ring-down keeps a short core.
* ``burst_span_s``: the time from the first to the last sample at or above :data:`SPAN_LEVEL` of the peak
  (and above ``2 n``): how long the leg moved, read on the samples. The detector's interval cannot say it
  (its statistics average over a window of ~1 s, so a 150 ms jerk is detected as a ~1 s movement), and the
  energy span cannot either when one lobe of a longer movement (a tremor-like oscillation) dominates it.
* ``burst_at_s``: the time (s) from the detected onset to the first of those samples: where the burst
  starts (a jerk is timed by it, and the two legs' halves of one jerk are matched by it: their detected
  onsets may each lie up to a window before the burst, and differ from each other by more than 0.5 s).
* ``burst_noise_g``: ``n``, the larger of the two rest windows' mean distance of a sample from their mean
  (the sensor's noise and quantisation around the movement, in g), so that a burst can be told from noise.
* ``burst_pulses``, ``burst_pulse_s``, ``burst_pulse_hz``, ``burst_pulse_cv``: the separate pulses among those
  samples (runs at or above :data:`SPAN_LEVEL` of the peak and ``2 n``; runs less than :data:`PULSE_GAP_S`
  apart are one pulse): how many, the longest one (s, counted in samples / fs), their rate (Hz: pulses less
  one over the time from the first pulse's start to the last's; NaN with fewer than two) and how regular
  they are (the coefficient of variation of the intervals between their starts, no unit; NaN with fewer than
  three). Between the bursts of a hypnagogic
  foot tremor, ALMA or high-frequency leg movement train (0.3-4 Hz, bursts of 0.1-1 s, docs/scoring.md
  §3.2) the foot returns to rest, so ``d`` falls to the noise and each burst is a pulse of its own; during a
  restless adjustment the leg is away from both rests, so its sub-movements run together.

Only the first ``max_eval_s`` of a movement are measured: anything longer is no brief burst, and the cost
stays proportional to the night's movements, never to its samples.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import signal

__all__ = ["BURST_COLUMNS", "estimate_bursts", "burst_retention"]

BURST_COLUMNS = ("burst_peak_g", "burst_high_s", "burst_core_s", "burst_noise_g", "burst_span_s", "burst_at_s",
                 "burst_pulses", "burst_pulse_s", "burst_pulse_hz", "burst_pulse_cv")

ENERGY_TAILS = 0.05
"""Share of the movement's energy left out at each end of ``burst_core_s`` (the central 90 % is kept)."""

SPAN_LEVEL = 0.25
"""``burst_span_s`` counts the samples at or above this share of the peak: a quarter of the peak is well
above the ring-down of a single pulse after its first rebound, while every cycle of an oscillation or a
tonic hold of a leg movement stays above it."""


PULSE_GAP_S = 0.1
"""Runs of moving samples (``burst_span_s``'s) less than this far apart (s) are one pulse: one burst's lobes and
its strap's ring-down (5-20 Hz, half-periods of 25-100 ms) dip between crests for less; between the bursts of a
train at up to 4 Hz, 0.25 s apart, the foot rests for longer unless the bursts nearly fill the period
(docs/scoring.md §3.2)."""


def _windows(start: npt.NDArray[np.int64], stop: npt.NDArray[np.int64]
             ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Sample positions of the windows ``[start_i, stop_i)`` (empty ones allowed), concatenated; the window
    each position belongs to; and the number of positions per window."""
    lengths = np.maximum(stop - start, 0)
    owner = np.repeat(np.arange(start.size), lengths)
    first = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    return np.repeat(start - first, lengths) + np.arange(int(lengths.sum())), owner, lengths


def _distance(accel_g: npt.NDArray[np.floating], centre: npt.NDArray[np.float64], lengths: npt.NDArray[np.int64]
              ) -> npt.NDArray[np.float64]:
    """Distance (n,) in g, float64, of each sample (n, 3) from its window's centre (``centre`` (k, 3), window ``i``
    holding ``lengths[i]`` consecutive samples): ``np.linalg.norm(accel_g - centre[owner], axis=1)``, one axis at
    a time (no (n, 3) temporaries; the squares summed in the same order, x + y then + z: the same numbers, ~2x
    faster; each centre repeated over its window rather than gathered per sample)."""
    sq = np.zeros(accel_g.shape[0])
    for c in range(3):
        e = accel_g[:, c] - np.repeat(centre[:, c], lengths)
        e *= e
        sq += e
    return np.sqrt(sq, out=sq)


def _rest(accel_g: npt.NDArray[np.float32], start: npt.NDArray[np.int64], stop: npt.NDArray[np.int64]
          ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Mean acceleration (k, 3) in g over each window and the mean distance (k,) in g of its samples from that
    mean (the noise there); NaN where a window has no sample."""
    n = accel_g.shape[0]
    idx, owner, lengths = _windows(np.clip(start, 0, n), np.clip(stop, 0, n))
    count = lengths.astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        # float64 even when no window has a sample (np.bincount then returns integers)
        mean = np.stack([np.bincount(owner, weights=accel_g[idx, c], minlength=start.size) for c in range(3)], 1,
                        dtype=np.float64)
        mean /= count[:, None]
        spread = _distance(accel_g[idx], mean, lengths)
        return mean, np.bincount(owner, weights=spread, minlength=start.size) / count


def estimate_bursts(t_s: npt.NDArray[np.float64], accel_g: npt.NDArray[np.float32], intervals_s: npt.NDArray[np.float64],
                    *, fs_hz: float, base_s: float = 0.5, max_eval_s: float = 4.0) -> pd.DataFrame:
    """Measure the burst of each movement (:data:`BURST_COLUMNS`, one row per interval) on the raw samples.

    Parameters
    ----------
    t_s : ndarray (n,)
        Sample times in s, non-decreasing.
    accel_g : ndarray (n, 3)
        Acceleration in g at those times, gravity included (the sensor's own samples: block means onto
        a slower grid would average a 75 ms burst's alternating lobes away).
    intervals_s : ndarray (k, 2)
        Movements as ``[onset, offset)`` in s, on the clock of ``t_s``.
    fs_hz : float
        The sensor's sampling rate in Hz (times are counted in samples / ``fs_hz``).
    base_s : float
        Length (s) of the rest windows before the onset and after the offset.
    max_eval_s : float
        Only the first this many seconds of each movement are measured.

    Returns
    -------
    DataFrame
        ``burst_peak_g`` (g), ``burst_high_s`` (s), ``burst_core_s`` (s), ``burst_noise_g`` (g),
        ``burst_span_s`` (s) and ``burst_at_s`` (s after the onset, where the span starts); NaN where a
        movement has no samples or no rest on either side.

    Notes
    -----
    The energy counts ``max(d - 2 n, 0)^2``, ``n`` being the mean deviation from rest within the rest
    windows (the sensor noise there: twice its mean is above ~95 % of noise samples).

    Examples
    --------
    A 0.12 s, 0.6 g burst that leaves the leg 2 deg turned (35 mg), seen at 25 Hz, and a 2 s hold of 0.1 g
    that returns the leg where it lay:

    >>> t = np.arange(200) / 25.0
    >>> a = np.zeros((200, 3), np.float32); a[:, 2] = 1.0
    >>> a[50:53, 0] = 0.6; a[53:, 1] = 0.035          # the jerk, then the small lasting shift
    >>> a[120:170, 0] = 0.1                            # the leg movement's tonic hold
    >>> b = estimate_bursts(t, a, np.array([[2.0, 4.0], [4.8, 6.8]]), fs_hz=25.0)
    >>> b.round(2).values.tolist()
    [[0.6, 0.12, 0.12, 0.0, 0.12, 0.0, 1.0, 0.12, nan, nan], [0.1, 2.0, 1.84, 0.0, 2.0, 0.0, 1.0, 2.0, nan, nan]]
    """
    k = intervals_s.shape[0]
    out = {name: np.full(k, np.nan) for name in BURST_COLUMNS}
    if k == 0 or t_s.size == 0:
        return pd.DataFrame(out)
    on = np.searchsorted(t_s, intervals_s[:, 0], side="left").astype(np.int64)
    off = np.searchsorted(t_s, intervals_s[:, 1], side="left").astype(np.int64)
    nb = max(1, int(round(base_s * fs_hz)))
    before, noise_b = _rest(accel_g, on - nb, on)
    after, noise_a = _rest(accel_g, off, off + nb)
    before, noise_b = np.where(np.isnan(before), after, before), np.where(np.isnan(noise_b), noise_a, noise_b)
    after, noise_a = np.where(np.isnan(after), before, after), np.where(np.isnan(noise_a), noise_b, noise_a)
    stop = np.minimum(off, on + max(1, int(round(max_eval_s * fs_hz))))
    idx, owner, lengths = _windows(on, stop)
    a = accel_g[idx]
    d = np.minimum(_distance(a, before, lengths), _distance(a, after, lengths))
    d[np.isnan(d)] = 0.0
    starts = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    peak = _run_reduce(np.maximum, d, starts, lengths, 0.0)          # d >= 0: a window's largest d, 0 if empty
    high = np.bincount(owner, weights=(d >= 0.5 * peak[owner]) & (d > 0), minlength=k) / fs_hz
    noise = np.fmax(noise_b, noise_a)
    core = _core_span(np.maximum(d - 2.0 * np.nan_to_num(noise)[owner], 0.0) ** 2, owner, lengths, fs_hz)
    known = (lengths > 0) & np.isfinite(before).all(axis=1)
    out["burst_peak_g"][known], out["burst_high_s"][known], out["burst_core_s"][known] = \
        peak[known], high[known], core[known]
    out["burst_noise_g"][known] = np.nan_to_num(noise)[known]
    local = np.arange(idx.size) - np.repeat(starts, lengths)
    moving = (d >= SPAN_LEVEL * peak[owner]) & (d > 2.0 * np.nan_to_num(noise)[owner]) & (d > 0)
    first = _run_reduce(np.minimum, np.where(moving, local, np.iinfo(np.int64).max), starts, lengths,
                        np.iinfo(np.int64).max)
    last = _run_reduce(np.maximum, np.where(moving, local, -1), starts, lengths, -1)
    span = np.where(last >= first, (last - first + 1) / fs_hz, 0.0)
    out["burst_span_s"][known] = span[known]
    at = np.where(lengths > 0, np.minimum(on + np.clip(first, 0, np.maximum(lengths - 1, 0)), t_s.size - 1), 0)
    out["burst_at_s"][known] = (t_s[at] - intervals_s[:, 0])[known]
    count, longest, rate, spread = _pulses(np.flatnonzero(moving), owner, k, fs_hz)
    out["burst_pulses"][known], out["burst_pulse_s"][known], out["burst_pulse_hz"][known] = \
        count[known], longest[known], rate[known]
    out["burst_pulse_cv"][known] = spread[known]
    return pd.DataFrame(out)


def _pulses(pos: npt.NDArray[np.int64], owner: npt.NDArray[np.int64], k: int, fs_hz: float
            ) -> tuple[npt.NDArray[np.float64], ...]:
    """Per window (k), the number of separate pulses among the moving samples at positions ``pos`` (sorted, on
    the concatenated windows whose window is ``owner``; runs less than :data:`PULSE_GAP_S` apart are one), the
    longest pulse (s), the pulses' rate (Hz, NaN with fewer than two) and the coefficient of variation of the
    intervals between their starts (NaN with fewer than three)."""
    count, longest, rate, spread = np.zeros(k), np.zeros(k), np.full(k, np.nan), np.full(k, np.nan)
    if not pos.size:
        return count, longest, rate, spread
    own = owner[pos]
    gap = max(1, int(round(PULSE_GAP_S * fs_hz)))
    new = np.concatenate(([True], (own[1:] != own[:-1]) | (np.diff(pos) > gap)))
    end = np.concatenate((new[1:], [True]))
    first, last, which = pos[new], pos[end], own[new]
    count[:] = np.bincount(which, minlength=k)
    np.maximum.at(longest, which, (last - first + 1) / fs_hz)
    head = np.concatenate(([True], which[1:] != which[:-1]))      # each window's first pulse ...
    tail = np.concatenate((which[1:] != which[:-1], [True]))      # ... and its last
    many = count[which[head]] >= 2
    with np.errstate(invalid="ignore", divide="ignore"):
        rate[which[head][many]] = (count[which[head]][many] - 1) * fs_hz / (first[tail] - first[head])[many]
        same = which[1:] == which[:-1]
        step, by = np.diff(first)[same] / fs_hz, which[1:][same]      # intervals between pulse starts (s)
        m = np.bincount(by, minlength=k)
        mean = np.bincount(by, weights=step, minlength=k) / m
        var = np.maximum(np.bincount(by, weights=step**2, minlength=k) / m - mean**2, 0.0)
        spread = np.where(m >= 2, np.sqrt(var) / mean, np.nan)
    return count, longest, rate, spread


def _run_reduce(ufunc: np.ufunc, values: npt.NDArray, starts: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64],
                empty: float) -> npt.NDArray:
    """``ufunc`` (np.minimum or np.maximum) of ``empty`` and each window's ``values`` (the windows consecutive runs,
    window ``i`` starting at ``starts[i]`` with ``lengths[i]`` values): ``ufunc.at(np.full(k, empty), owner,
    values)`` as one ``reduceat`` over the non-empty windows."""
    out = np.full(lengths.size, empty, dtype=values.dtype)
    full = lengths > 0
    if full.any():
        out[full] = ufunc(ufunc.reduceat(values, starts[full]), values.dtype.type(empty))
    return out


def _core_span(energy: npt.NDArray[np.float64], owner: npt.NDArray[np.int64], lengths: npt.NDArray[np.int64],
               fs_hz: float) -> npt.NDArray[np.float64]:
    """Per window, the time (s) from the sample where its cumulative energy passes :data:`ENERGY_TAILS` of its
    total to the one where it passes ``1 - ENERGY_TAILS`` (both included); 0 where it has no energy."""
    k = lengths.size
    total = np.bincount(owner, weights=energy, minlength=k)
    cum = np.cumsum(energy)
    base = np.concatenate(([0.0], cum))[np.concatenate(([0], np.cumsum(lengths)[:-1]))]  # energy before each window
    first = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    lo = np.searchsorted(cum, base + ENERGY_TAILS * total, side="left")
    hi = np.searchsorted(cum, base + (1.0 - ENERGY_TAILS) * total, side="left")
    span = (np.minimum(hi, first + lengths - 1) - np.minimum(lo, first + lengths - 1) + 1) / fs_hz
    return np.where(total > 0, span, 0.0)


@lru_cache(maxsize=64)
def burst_retention(fs_hz: float, width_s: float = 0.15) -> float:
    """The share (0-1) of a brief burst's peak that a sensor sampling at ``fs_hz`` shows.

    A 75-250 ms jerk (docs/scoring.md §3.1; ``width_s`` = 0.15 s, the middle of that range) is a flexion pulse
    whose tangential acceleration swings through three lobes; a sensor's anti-alias low-pass (taken at half
    its rate; MEMS parts filter at ODR/4 to ODR/2: the LSM6DSL, BMI160 and LIS2DH12 datasheets, as
    docs/validation.md's simulator uses them)
    and its sampling keep only part of the peak at low rates, while a leg movement's slow acceleration is
    seen whole. Mean over the sampling phases, 2nd-order Butterworth low-pass, computed on a 2 kHz grid.

    >>> [round(burst_retention(f), 2) for f in (10.0, 25.0, 50.0, 100.0)]
    [0.33, 0.86, 0.97, 0.99]

    A sensor far slower than the burst catches it only by chance (any positive rate is accepted):

    >>> burst_retention(0.1) < 0.1, burst_retention(1e-300) < 0.1, burst_retention(1e300)
    (True, True, 1.0)
    """
    if not fs_hz > 0:
        raise ValueError(f"fs_hz must be > 0, got {fs_hz}")
    fine = 2000.0
    t = np.arange(-0.5, 1.5, 1.0 / fine)
    pulse = np.where((t >= 0) & (t <= width_s), np.cos(2 * np.pi * t / width_s), 0.0)
    corner = min(0.5 * fs_hz, 0.45 * fine)
    seen = signal.sosfilt(signal.butter(2, corner, fs=fine, output="sos"), pulse)
    step = int(min(seen.size, max(1.0, round(fine / fs_hz))))   # at <= 0.5 Hz one sample in the 2 s at most
    peaks = [np.abs(seen[phase::step]).max() for phase in range(0, step, max(1, step // 8))]
    return float(min(1.0, np.mean(peaks)))
