"""Brief flexion pulses: a matched-filter statistic P for phasic LMs, which R, D and B see only diluted.

docs/scoring.md §6: a phasic LM (Smith 1985's myoclonic pattern; ``lrm.signal.limit``'s ``phasic`` class) is 2-6
flexion pulses of 80-300 ms, 0.1-0.5 s apart, with little net rotation of the shank. A pulse that turns the shank
by ``theta(t) = A_theta sin^2(pi t / w)`` over its width ``w`` accelerates a sensor ``r`` from the knee tangentially
by ``r theta''(t) = a cos(2 pi t / w)``: one cycle of a cosine over ``w``, of peak ``a`` (the LM peak, g), along a
direction fixed by how the shank lies. The 1 s statistics R and D dilute it; B, an energy detector over 0.2 s on the
25 Hz working grid (``lrm.signal.envelope``), sees 10-30 % of its peak: the grid's 40 ms block means average a
90 ms cycle's lobes away, and an energy detector pays for not knowing the shape with ~15 degrees of freedom.

The shape *is* known up to its width, direction and sign, so P is the matched filter (the optimal linear detector
of a known waveform in white noise: docs/scoring.md §7 and its reference 40, Kay, *Detection Theory*, 1998, ch. 4)
on the sensor's **own samples**: each axis is correlated with the cosine cycle ``s_w`` sampled at the raw rate,
less its mean, over ``sum(s_w^2)``, so that a pulse of peak ``a`` at the matched width and phase reads ``a`` on its
axis. The unknown direction is handled by the magnitude over the three axes: on a still leg each axis's output is
Gaussian with standard deviation ``s ||h_w||`` (``s`` the raw samples' white noise per axis, ``lrm.signal.noise``),
so ``P_w^2 / (s ||h_w||)^2`` is a chi-square with 3 degrees of freedom. Widths :data:`WIDTHS_S` cover 80-300 ms; P
is the largest over them of ``P_w`` rescaled to the first width's noise, and its thresholds take the tail per width
and raw sample (:func:`pulse_tail`, a union bound). P is used only on sensors that resolve the briefest pulse
(:data:`MIN_SAMPLES_PER_PULSE`: from 44.4 Hz). P is computed per raw sample and its maximum per working-grid sample is what the detector reads
(``lrm.signal.detect``).

The cosine cycle has zero mean and zero first moment about its centre, so gravity, a slow turn of the leg and
linear drift do not reach P. What a quantiser toggling between neighbouring levels adds is bounded separately
(:class:`PulseNull`'s ``swing_gain``, added to the thresholds like R's, D's and B's quantisation swings). Raw
samples next to a gap or a lost packet are not filtered across it (P is 0 there).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt

__all__ = ["WIDTHS_S", "MIN_SAMPLES_PER_PULSE", "PulseNull", "pulse_widths", "pulse_kernels", "pulse_null",
           "pulse_tail", "pulse_statistic", "pulse_on_grid"]

WIDTHS_S = (0.09, 0.15, 0.25)
"""Pulse widths (s) of the matched filters: geometric steps over the 80-300 ms of phasic EMG bursts (Smith 1985,
docs/scoring.md §6); a pulse between two widths keeps most of its output at the nearer one."""


MIN_SAMPLES_PER_PULSE = 4.0
"""P is used only when the sensor takes at least this many samples across the briefest pulse of :data:`WIDTHS_S`
(90 ms: from 44.4 Hz). The cosine cycle's three lobes need two samples per half cycle, twice the Nyquist rate of
its frequency ``1 / w``, because a MEMS sensor's anti-alias filter (ODR/4 to ODR/2: LSM6DSL, BMI160, LIS2DH12
datasheets; ``lrm.signal.burst``) removes what lies closer to Nyquist. A slower sensor does not resolve the brief
pulses that B misses, and for the wider ones P only repeats B (``lrm.signal.limit``, white noise of 5 mg: P lowers
the brief-pulse limit by 4-6 % at 50-64 Hz, 11 % at 100 Hz, 21 % at 200 Hz, and with its one resolved width by
< 1 % at 25 Hz), so there it would add a fourth statistic's false alarms for nothing (dev nights at 26 Hz: 2 more
false LMs on still stretches in 40 hard nights): P is off and B alone sees brief pulses."""


def pulse_widths(fs_hz: float) -> tuple[float, ...]:
    """The widths (s) filtered at a raw rate of ``fs_hz`` Hz: all of :data:`WIDTHS_S` when the briefest holds
    :data:`MIN_SAMPLES_PER_PULSE` samples, none otherwise.

    >>> pulse_widths(25.0), pulse_widths(44.0), pulse_widths(50.0)
    ((), (), (0.09, 0.15, 0.25))
    """
    return WIDTHS_S if min(WIDTHS_S) * fs_hz >= MIN_SAMPLES_PER_PULSE else ()


def pulse_tail(tail: float, fs_hz: float, grid_hz: float) -> float:
    """The tail per raw sample and width that keeps P's crossings at ``tail`` per grid sample: split over the
    widths a sensor at ``fs_hz`` resolves and over the raw samples whose maximum each grid sample of ``grid_hz``
    reads (a union bound; the filters' outputs are correlated, so it is conservative).

    >>> f"{pulse_tail(1e-6, 100.0, 25.0):.2e}"
    '8.33e-08'
    """
    return tail / max(1, len(pulse_widths(fs_hz))) / max(1.0, fs_hz / grid_hz)


@lru_cache(maxsize=64)
def pulse_kernels(fs_hz: float) -> tuple[npt.NDArray[np.float64], ...]:
    """The matched filters (one per width of :func:`pulse_widths`) at a raw rate of ``fs_hz`` Hz: a unit cosine cycle
    of width ``w`` sampled at ``fs_hz`` on an odd number (>= 3) of samples centred on the pulse, less its mean,
    over ``sum(s_w^2)``: a pulse of peak ``a`` g at the matched phase reads ``a``.

    >>> k = pulse_kernels(100.0)
    >>> [len(h) for h in k], [abs(round(float(h.sum()), 6)) for h in k]
    ([9, 15, 25], [0.0, 0.0, 0.0])
    """
    out = []
    for w in pulse_widths(fs_hz):
        half = max(1, int(np.floor(0.5 * w * fs_hz)))
        t = np.arange(-half, half + 1) / fs_hz
        s = np.cos(2 * np.pi * np.clip(t / w, -0.5, 0.5))
        s = s - s.mean()
        out.append(s / float((s ** 2).sum()))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class PulseNull:
    """How P behaves on a still leg, per unit of raw white noise per axis.

    scale : standard deviation of one axis of P (the first width's, ``||h_1||``, which every width is rescaled to);
        0 when the rate resolves no width (P is then not used).
    rescale : per width, the factor that brings its output to ``scale`` (``||h_1|| / ||h_w||``).
    swing_gain : the most one axis of P can read (rescaled) when the quantiser toggles by one swing: a step, or an
        alternation of +-half a swing in the filter's own rhythm (``max(max |cumsum h|, sum |h| / 2)``).
    """

    scale: float
    rescale: tuple[float, ...]
    swing_gain: float


@lru_cache(maxsize=64)
def pulse_null(fs_hz: float) -> PulseNull:
    """:class:`PulseNull` at a raw rate of ``fs_hz`` Hz (exact for white noise: a linear filter's output variance
    is the input's times ``sum(h^2)``).

    >>> n = pulse_null(100.0)
    >>> round(n.scale, 3), [round(r, 2) for r in n.rescale]
    (0.471, [1.0, 1.29, 1.67])
    """
    kernels = pulse_kernels(fs_hz)
    if not kernels:
        return PulseNull(0.0, (), 0.0)
    norms = [float(np.sqrt((h ** 2).sum())) for h in kernels]
    rescale = tuple(norms[0] / v for v in norms)
    gain = max(r * max(float(np.abs(np.cumsum(h)).max()), 0.5 * float(np.abs(h).sum()))
               for r, h in zip(rescale, kernels))
    return PulseNull(norms[0], rescale, gain)


def pulse_statistic(accel_g: npt.NDArray[np.floating], *, fs_hz: float) -> npt.NDArray[np.float32]:
    """P (n,) per raw sample, in g: the largest over :data:`WIDTHS_S` of the matched filters' magnitude over the
    three axes of ``accel_g`` (n, 3) sampled at ``fs_hz`` Hz, each width rescaled to the first's noise
    (:class:`PulseNull`), centred on the pulse.

    A 150 ms pulse of 30 mg peak reads its peak; a slow 50 mg turn of the leg reads almost nothing:

    >>> t = np.arange(-0.5, 0.5, 0.01); a = np.tile(np.float32([0, 0, 1]), (300, 1))
    >>> a[:100, 0] += np.float32(np.where(np.abs(t) <= 0.075, 0.03 * np.cos(2 * np.pi * t / 0.15), 0))
    >>> a[100:300, 1] += np.float32(0.05 * np.sin(np.pi * np.arange(200) / 200) ** 2)
    >>> p = pulse_statistic(a, fs_hz=100.0)
    >>> round(float(p[:100].max()) / 1.29, 3), float(p[120:280].max()) < 0.002
    (0.03, True)
    """
    n = accel_g.shape[0]
    out = np.zeros(n, np.float32)
    kernels = pulse_kernels(round(float(fs_hz), 3))
    if n == 0 or not kernels:
        return out
    rescale = pulse_null(round(float(fs_hz), 3)).rescale
    reach = max(len(h) for h in kernels) // 2
    for start in range(0, n, _CHUNK):   # in chunks (overlapping by the filters' reach): memory stays bounded
        stop = min(n, start + _CHUNK)
        a, b = max(0, start - reach), min(n, stop + reach)
        out[start:stop] = _pulse_chunk(accel_g[a:b], kernels, rescale)[start - a: stop - a]
    return out


_CHUNK = 1 << 18
"""Raw samples per chunk of :func:`pulse_statistic` (1 MiB per float32 temporary)."""


def _pulse_chunk(accel_g: npt.NDArray[np.floating], kernels: tuple[npt.NDArray[np.float64], ...],
                 rescale: tuple[float, ...]) -> npt.NDArray[np.float32]:
    """P (n,) of one stretch of raw samples (n, 3) (:func:`pulse_statistic`)."""
    from scipy.ndimage import correlate1d

    n = accel_g.shape[0]
    out = np.zeros(n, np.float32)
    columns = [np.ascontiguousarray(accel_g[:, c], dtype=np.float32) for c in range(3)]
    sq = np.empty(n, np.float32)
    y = np.empty(n, np.float32)
    for h, r in zip(kernels, rescale):
        sq[:] = 0.0
        for col in columns:
            correlate1d(col, np.float32(h), output=y, mode="nearest")
            y *= y
            sq += y
        np.sqrt(sq, out=sq)
        sq *= np.float32(r)
        np.maximum(out, sq, out=out)
    return out


def pulse_on_grid(t_s: npt.NDArray[np.float64], accel_g: npt.NDArray[np.floating], *, fs_hz: float, origin_s: float,
                  grid_hz: float, n_grid: int, limit_g: float = 50.0) -> npt.NDArray[np.float32]:
    """P's maximum (n_grid,) in g per working-grid sample ``i`` (raw samples within half a grid step of
    ``origin_s + i / grid_hz``), from raw samples at times ``t_s`` (s, non-decreasing) and nominal rate ``fs_hz``.

    Raw samples within a filter's half length of a break in the sampling (a step more than 1.5 / ``fs_hz``: a gap,
    a lost packet) read 0: the filter would straddle it. 0 where a grid sample holds no raw sample, and next to a
    non-finite value. Samples that are not finite or lie beyond ``limit_g`` (g, on any axis: missing-value
    sentinels, corrupt bytes; ``lrm.io.plausibility.accel_limit_g``) are left out as ``lrm.signal.prepare`` leaves
    them out, so they make a break. Timestamps that go backwards are sorted first (as ``prepare`` repairs them).

    >>> t = np.arange(1000) / 100.0; a = np.tile(np.float32([0, 0, 1]), (1000, 1))
    >>> a[495:506, 0] += np.float32(0.03 * np.cos(2 * np.pi * (np.arange(11) - 5) / 100 / 0.09).clip(-1, 1))
    >>> g = pulse_on_grid(t, a, fs_hz=100.0, origin_s=0.0, grid_hz=25.0, n_grid=250)
    >>> int(g.argmax()), bool(g[:100].max() < 1e-4)
    (125, True)
    """
    out = np.zeros(n_grid, np.float32)
    if t_s.size == 0 or n_grid == 0 or not pulse_kernels(round(float(fs_hz), 3)):
        return out
    with np.errstate(invalid="ignore"):
        possible = (np.abs(accel_g) <= limit_g).all(axis=1)
    if not possible.all():
        t_s, accel_g = t_s[possible], accel_g[possible]
    if t_s.size > 1 and not bool(np.all(t_s[1:] >= t_s[:-1])):   # timestamps that went backwards, as prepare_leg
        order = np.argsort(t_s, kind="stable")
        t_s, accel_g = t_s[order], accel_g[order]
    p = pulse_statistic(accel_g, fs_hz=fs_hz)
    np.nan_to_num(p, copy=False, nan=0.0, posinf=0.0)      # a broken sample is no pulse
    reach = (len(pulse_kernels(round(float(fs_hz), 3))[-1]) - 1) // 2
    breaks = np.flatnonzero(np.diff(t_s) > 1.5 / fs_hz)
    if breaks.size:
        delta = np.zeros(p.size + 1, np.int64)
        np.add.at(delta, np.clip(breaks - reach + 1, 0, p.size), 1)
        np.add.at(delta, np.clip(breaks + reach + 1, 0, p.size), -1)
        p[np.cumsum(delta[:-1]) > 0] = 0.0
    p[:reach] = 0.0
    p[max(0, p.size - reach):] = 0.0
    edges = origin_s + (np.arange(n_grid + 1) - 0.5) / grid_hz
    pos = np.searchsorted(t_s, edges, side="left")
    filled = np.flatnonzero(pos[1:] > pos[:-1])
    if filled.size:
        seg = p[: pos[-1]]
        out[filled] = np.maximum.reduceat(seg, pos[filled])
    return out
