"""What a leg movement does to the acceleration: the deviation from the leg's resting vector, in two parts.

docs/scoring.md §6: a leg movement (dorsiflexion of the ankle, flexion of knee and hip) rotates the shank by a
few to ~20 degrees for 0.5-10 s and returns it. At the sensor this shows as

* a **shift of the gravity projection**: the resting acceleration vector ``a_rest`` (the leg's orientation,
  ``lrm.signal.gravity``) turns by the angle, ``|a - a_rest| ~ 2 sin(theta / 2)`` g (17 mg per degree),
  at low frequency and lasting as long as the excursion; plus any sustained linear acceleration;
* **dynamic acceleration**: the tangential ``r theta''`` and centripetal ``r theta'^2`` acceleration of the
  sensor at radius ``r`` from the knee, brief and of both signs (quick kicks, clonic and tremor-like trains).

Two statistics per grid sample capture the two, each integrated over a ``window_s`` (0.5 s: the shortest
LM, docs/scoring.md §1.2 step 2, so that no LM is shorter than the integration and noise averages down as much
as the rules allow):

* ``offset_g`` (R): the magnitude of the window's mean deviation from rest, ``|mean(a - a_rest)|``. White noise
  of standard deviation s per axis shrinks to ``s / sqrt(samples in the window)`` per axis, so a sustained
  shift of a few mg stands out of a 10 mg sensor's noise.
* ``spread_g`` (D): the RMS of the deviation around that mean within the window, ``sqrt(mean(|a - mean(a)|^2))``:
  the band-limited (above ~1 Hz) dynamic energy, which a zero-mean kick or a tremor-like train has and a
  window mean would cancel.

``R^2 + D^2`` is the window's mean squared deviation from rest, so the two together lose nothing of it. A third,
brief statistic keeps what a 1 s window dilutes:

* ``burst_g`` (B): the ``smooth_s`` (0.2 s) RMS of the deviation from the window mean, noise power removed. A
  phasic flexion pulse of 80-300 ms (docs/scoring.md §6, Smith 1985) or a jerk's 75-250 ms burst (§3.1) fills a
  0.2 s window but only a fifth of a 1 s one, so B sees it at a peak ~2x smaller than D does; a static offset
  (a tonic hold, a leg resting a little turned) does not show in it.
``envelope_g`` is the short-time (``smooth_s``) RMS deviation from rest with the noise power removed: the
estimate of the LM peak (``lrm.signal.detect``) and of how much the leg moves in a second (walking).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.ndimage import uniform_filter1d

from lrm.signal.gravity import _grid_columns, _sum3

__all__ = ["Deviation", "estimate_deviation", "offset_from_means", "estimate_rest_error_1s", "rest_error_reach_s",
           "REST_TRACK_S",
           "LASTING_JUMP_G", "LASTING_CHECK_S"]

REST_TRACK_S = 31.0
"""Window (s) of the centred running median that measures how far the resting vector lags a leg settling
after a lasting change. Around a roll-over the gravity estimate (``lrm.signal.gravity``) switches to a
one-sided 41 s median, which lags a leg that keeps settling (a drift of 0.1-0.3 deg per minute: muscles
relaxing, the strap settling) by up to half its window, ~3-5 mg, as much as the smallest LMs. 31 s is three
longest single-leg CLMs (10 s, docs/scoring.md §1.2 step 3): one LM never fills half of it."""

LASTING_JUMP_G = 0.025
"""A jump of the gravity estimate (g) between consecutive seconds larger than this, still there 5 s later,
marks its switch at a lasting change (half ``lrm.signal.gravity.STEP_G``; an LM's excursion returns)."""


LASTING_CHECK_S = 5
"""A jump is lasting when the estimate this many seconds after it still differs from as long before it."""


def rest_error_reach_s(window_s: float = 41.0, track_s: float = REST_TRACK_S) -> float:
    """How far (s) after a second the data that :func:`estimate_rest_error_1s` reads there reach, beyond the
    grid: a lasting change up to half a gravity window later (its jump is known :data:`LASTING_CHECK_S` s
    after it, from the gravity estimate, which reads ``window_s`` ahead), or the residual median's half width.

    >>> rest_error_reach_s(41.0)
    66.0
    """
    w = float(max(1, int(round(window_s)) | 1))
    return max(w // 2 + LASTING_CHECK_S, track_s // 2) + w


def estimate_rest_error_1s(mean_1s: npt.NDArray[np.float32], ok_1s: npt.NDArray[np.bool_],
                           gravity_1s: npt.NDArray[np.float32], *, window_s: float = 41.0,
                           track_s: float = REST_TRACK_S) -> npt.NDArray[np.float32]:
    """How far (g) the resting vector may be off, per second (s,): 0 except near a lasting change (from half
    a gravity window before it to a whole window after it, where the gravity estimate uses one-sided medians),
    where it is the magnitude of the centred running median (``track_s``, not reaching across the change) of
    what the per-second means (s, 3) still differ from the gravity estimate (s, 3).

    The detector raises R's thresholds by it: near a roll-over the leg's rest is less certain, so a smaller
    movement there is not claimed, and a settling leg is not an LM.

    >>> m = np.tile(np.float32([0, 0, 1]), (200, 1)); m[100:, 1] = 0.5                # a roll-over at 100 s
    >>> m[100:, 0] = np.linspace(0, 0.01, 100)                                         # then settling by 10 mg
    >>> g = m.copy(); g[100:, 0] = 0.0                                                  # a lagging estimate
    >>> err = estimate_rest_error_1s(m, np.ones(200, bool), g)
    >>> round(float(err[50]), 4), round(float(err[130]), 4)
    (0.0, 0.003)
    """
    n = min(mean_1s.shape[0], gravity_1s.shape[0])
    out = np.zeros(gravity_1s.shape[0], np.float32)
    if n < 2:
        return out
    g = gravity_1s[:n]
    jump = np.flatnonzero(np.sqrt(_sum3(np.diff(g, axis=0) ** 2)) > LASTING_JUMP_G) + 1
    after, before = g[np.minimum(jump + LASTING_CHECK_S, n - 1)], g[np.maximum(jump - LASTING_CHECK_S - 1, 0)]
    jump = jump[np.sqrt(((after - before) ** 2).sum(axis=1)) > LASTING_JUMP_G]
    if jump.size == 0:
        return out
    reach, w = int(max(1, int(round(window_s)) | 1)), max(1, int(round(track_s)) | 1)
    resid = np.where(ok_1s[:n, None], mean_1s[:n] - g, np.float32(0.0)).astype(np.float32)
    # jumps closer than a residual window belong to one change (a roll-over's steps, walking): its first and
    # last jump bound it, and the seconds between them are the change itself
    split = np.flatnonzero(np.diff(jump) > w) + 1
    first, last = jump[np.concatenate(([0], split))], jump[np.concatenate((split - 1, [-1]))]
    # each change's two sides, each up to the neighbouring change: [a, b) before its first, after its last jump
    prev_end = np.concatenate(([0], last[:-1]))
    next_start = np.concatenate((first[1:], [n]))
    a = np.concatenate((np.maximum(prev_end, first - reach // 2), last))
    b = np.concatenate((first, np.minimum(next_start, last + reach)))
    a, b = a[b - a >= 3], b[b - a >= 3]
    width = np.minimum(w, (b - a) - (1 - (b - a) % 2))
    for wd in np.unique(width):  # the sides' running medians, all sides of one width at once
        _max_side_medians(out, resid, a[width == wd], b[width == wd], int(wd))
    return out


_SIDE_ROWS = 4096
"""Seconds per block in :func:`_max_side_medians`: the gathered windows (4096 x 31 x 3 float32, 1.5 MiB) stay small."""


def _max_side_medians(out: npt.NDArray[np.float32], resid: npt.NDArray[np.float32], a: npt.NDArray[np.intp],
                      b: npt.NDArray[np.intp], width: int) -> None:
    """``out[j] = max(out[j], |median|)`` over the seconds j of each span [a, b) (sides of lasting changes), the
    median a centred running median of ``width`` (odd) seconds of ``resid`` (s, 3) in g that never reaches
    outside its span (edges repeated), as :func:`lrm.signal.gravity._running_median` of ``resid[a:b]``: all
    spans' windows gathered and partitioned at once instead of a call per span."""
    h = width // 2
    lens = b - a
    rows = np.repeat(a, lens) + (np.arange(int(lens.sum())) - np.repeat(np.cumsum(lens) - lens, lens))
    lo, hi = np.repeat(a, lens), np.repeat(b - 1, lens)
    offsets = np.arange(-h, h + 1)
    columns = np.ascontiguousarray(resid.T)
    for start in range(0, rows.size, _SIDE_ROWS):
        r = rows[start : start + _SIDE_ROWS]
        idx = np.clip(r[:, None] + offsets, lo[start : start + _SIDE_ROWS, None], hi[start : start + _SIDE_ROWS, None])
        win = columns[:, idx]                               # (3, rows, width), each window contiguous
        win.partition(h, axis=-1)
        err = np.sqrt((win[:, :, h] ** 2).sum(axis=0))
        np.maximum.at(out, r, err)


@dataclass(frozen=True, slots=True, eq=False)
class Deviation:
    """One leg's deviation from rest per grid sample (all float32 (n,), in g).

    offset_g : R, magnitude of the ``window_s`` mean deviation from the resting vector.
    spread_g : D, RMS deviation around that mean within the window (dynamic acceleration).
    envelope_g : RMS deviation from rest over ``smooth_s``, noise power removed (>= 0).
    means_g : the ``window_s`` mean acceleration (n, 3) in g, kept on request (:func:`offset_from_means`).
    burst_g : B, the ``smooth_s`` RMS deviation from the ``window_s`` mean, noise power removed (>= 0).
    pulse_g : P, the matched filter for brief flexion pulses (``lrm.signal.pulses``); None: not computed.
    """

    offset_g: npt.NDArray[np.float32]
    spread_g: npt.NDArray[np.float32]
    envelope_g: npt.NDArray[np.float32]
    means_g: npt.NDArray[np.float32] | None = None
    burst_g: npt.NDArray[np.float32] | None = None
    pulse_g: npt.NDArray[np.float32] | None = None


def _moving_mean(x: npt.NDArray[np.float32], n: int, out: npt.NDArray[np.float32] | None = None
                 ) -> npt.NDArray[np.float32]:
    """Centred moving mean of ``x`` over ``n`` samples (edges repeated), into ``out`` (not ``x``) if given."""
    if n > 1:
        return uniform_filter1d(x, n, mode="nearest", output=out)
    if out is None:
        return x.copy()
    np.copyto(out, x)
    return out


def estimate_deviation(accel_g: npt.NDArray[np.float32], gravity_1s: npt.NDArray[np.float32], *, fs_hz: float,
                       window_s: float = 0.5, smooth_s: float = 0.2, noise_power_g2: float = 0.0,
                       rest_error_1s: npt.NDArray[np.float32] | None = None, keep_means: bool = False,
                       burst_power_g2: float = 0.0) -> Deviation:
    """The deviation statistics of one leg on its working grid.

    Parameters
    ----------
    accel_g : ndarray (n, 3)
        Acceleration in g on a uniform grid (gravity included), float32 (other dtypes are converted: every
        statistic is computed in float32).
    gravity_1s : ndarray (s, 3)
        The resting acceleration vector per second in g (``lrm.signal.gravity.estimate_gravity_1s``).
    fs_hz : float
        Grid rate in Hz, a whole number (keyword-only).
    window_s : float
        Integration window in s of R and D (centred moving windows).
    smooth_s : float
        Window in s of the envelope.
    noise_power_g2 : float
        Noise power of a grid sample summed over the axes (g^2), removed from the envelope's mean square.
    rest_error_1s : ndarray (s,), optional
        How far (g) the resting vector may be off per second (:func:`estimate_rest_error_1s`): subtracted from
        R (never below 0), so that R counts only deviation beyond it.
    burst_power_g2 : float
        Noise power (g^2) of B's square on a still leg, removed from it (``lrm.signal.null``'s ``burst_mean``
        times the per-axis noise variance).
    keep_means : bool
        Also return the window means of the acceleration (``means_g``), so R can be recomputed against
        another resting vector (:func:`offset_from_means`); D does not depend on it.

    Returns
    -------
    Deviation

    Examples
    --------
    A 2 s shift of 30 mg on a still leg shows in R, not in D; a 4 Hz train of the same size shows in D:

    >>> t = np.arange(250) / 25.0
    >>> a = np.tile(np.float32([0, 0, 1]), (250, 1)); a[50:100, 0] += 0.03
    >>> a[150:200, 1] += np.float32(0.03 * np.sqrt(2) * np.sin(2 * np.pi * 4 * t[150:200]))
    >>> dev = estimate_deviation(a, np.float32([[0, 0, 1]] * 10), fs_hz=25.0)
    >>> [round(float(v), 3) for v in (dev.offset_g[75], dev.spread_g[75], dev.offset_g[175], dev.spread_g[175])]
    [0.03, 0.0, 0.001, 0.03]
    """
    accel_g = np.asarray(accel_g, np.float32)
    n = accel_g.shape[0]
    zero = np.zeros(n, np.float32)
    if n == 0 or gravity_1s.shape[0] == 0:
        return Deviation(zero, zero.copy(), zero.copy())
    w = max(1, int(round(window_s * fs_hz)))
    square = np.zeros(n, np.float32)          # |a - a_rest|^2
    offset = np.zeros(n, np.float32)          # R^2, then R
    dynamic = np.zeros(n, np.float32)         # |a - window mean|^2
    # column-major: each axis's means are written here and read by offset_from_means contiguously
    means = np.empty((n, 3), np.float32, order="F") if keep_means else None
    # two (n,) arrays serve every axis (and then hold B and the envelope): fewer fresh pages to fault in
    d, m = np.empty(n, np.float32), np.empty(n, np.float32)
    for c, rest in _grid_columns(gravity_1s, n, int(round(fs_hz)), reuse=True):
        np.subtract(accel_g[:, c], rest, out=d)
        _moving_mean(d, w, out=m)
        if means is not None:
            np.add(m, rest, out=means[:, c])
        e = np.subtract(d, m, out=rest)       # the axis's gravity is done with: its array takes d - m
        e *= e
        dynamic += e
        m *= m
        offset += m
        d *= d
        square += d
    short = max(1, int(round(smooth_s * fs_hz)))
    burst = _moving_mean(dynamic, short, out=d)
    burst -= np.float32(burst_power_g2)
    np.maximum(burst, 0.0, out=burst)
    spread = _moving_mean(square, w, out=dynamic)
    spread -= offset
    np.maximum(spread, 0.0, out=spread)
    envelope = _moving_mean(square, short, out=m)
    del square
    envelope -= np.float32(noise_power_g2)
    np.maximum(envelope, 0.0, out=envelope)
    np.sqrt(offset, out=offset)
    _less_rest_error(offset, rest_error_1s, fs_hz)
    return Deviation(offset, np.sqrt(spread, out=spread), np.sqrt(envelope, out=envelope), means,
                     np.sqrt(burst, out=burst))


def _less_rest_error(offset: npt.NDArray[np.float32], rest_error_1s: npt.NDArray[np.float32] | None,
                     fs_hz: float) -> None:
    """Subtract the resting vector's uncertainty (per second) from R, in place, never below 0."""
    if rest_error_1s is not None and rest_error_1s.size and rest_error_1s.any():
        k = int(round(fs_hz))
        n = min(offset.size, rest_error_1s.size * k)             # the samples of the seconds it covers
        whole = n // k
        offset[: whole * k].reshape(whole, k)[...] -= rest_error_1s[:whole, None]   # a second at a time
        offset[whole * k : n] -= rest_error_1s[whole : whole + 1]                   # a last partial second
        np.maximum(offset, 0.0, out=offset)


def offset_from_means(means_g: npt.NDArray[np.float32], gravity_1s: npt.NDArray[np.float32], *, fs_hz: float,
                      rest_error_1s: npt.NDArray[np.float32] | None = None) -> npt.NDArray[np.float32]:
    """R (n,) in g from the window means (n, 3) (``estimate_deviation(keep_means=True)``) against another
    resting vector per second (s, 3), less its uncertainty (s,) as in :func:`estimate_deviation`.

    >>> a = np.tile(np.float32([0, 0, 1]), (50, 1)); a[10:40, 0] = 0.03
    >>> dev = estimate_deviation(a, np.float32([[0.01, 0, 1]] * 2), fs_hz=25.0, keep_means=True)
    >>> round(float(offset_from_means(dev.means_g, np.float32([[0, 0, 1]] * 2), fs_hz=25.0)[25]), 3)
    0.03
    """
    n = means_g.shape[0]
    offset = np.zeros(n, np.float32)
    for c, rest in _grid_columns(gravity_1s, n, int(round(fs_hz)), reuse=True):
        d = np.subtract(means_g[:, c], rest, out=rest)   # into the axis's gravity array, done with
        d *= d
        offset += d
    np.sqrt(offset, out=offset)
    _less_rest_error(offset, rest_error_1s, fs_hz)
    return offset
