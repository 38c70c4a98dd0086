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
(``lrm.signal.detect``). The three filters are one matrix (:class:`PulseBank`) applied by one BLAS product per
axis, laid out on the leg's sample index so that P at a sample is the same bit for bit on any stretch (the online
detector's windows, the whole night); on an 8 h two-leg 100 Hz night P costs 0.6-0.7x the rest of the analysis
(docs/validation.md, "Cheaper P"), which is why it is opt-in (``DetectParams.pulses``).

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

from lrm.io.plausibility import accel_limit_g

__all__ = ["WIDTHS_S", "MIN_SAMPLES_PER_PULSE", "PulseNull", "PulseBank", "pulse_widths", "pulse_kernels",
           "pulse_null", "pulse_bank", "pulse_tail", "pulse_statistic", "pulse_on_grid", "kept_samples"]

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


def pulse_statistic(accel_g: npt.NDArray[np.floating], *, fs_hz: float, first_index: int = 0
                    ) -> npt.NDArray[np.float32]:
    """P (n,) per raw sample, in g: the largest over :data:`WIDTHS_S` of the matched filters' magnitude over the
    three axes of ``accel_g`` (n, 3) sampled at ``fs_hz`` Hz, each width rescaled to the first's noise
    (:class:`PulseNull`), centred on the pulse; the ends are extended with their nearest sample.

    ``first_index``: the index of ``accel_g[0]`` among the leg's samples. P at a sample is the same bit for bit
    whatever stretch of the leg it is computed on (the online detector's windows, the whole night), as long as
    each stretch states where it starts: the matrix products (:class:`PulseBank`) are laid out on the leg's own
    sample index.

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
    bank = pulse_bank(round(float(fs_hz), 3))
    if n == 0 or bank is None:
        return out
    reach, tile = bank.reach, bank.block * _ROWS
    first = int(first_index)
    stops = np.arange((first // _CHUNK + 1) * _CHUNK, first + n, _CHUNK).tolist() + [first + n]
    start = first
    for stop in stops:   # chunks on the leg's index (overlapping by the filters' reach): memory stays bounded
        a, b = max(first, start - reach), min(first + n, stop + reach)
        p = _pulse_chunk(accel_g[a - first: b - first], bank, lead=a % tile)
        out[start - first: stop - first] = p[start - a: stop - a]
        start = stop
    return out


_CHUNK = 1 << 16
"""Raw samples per chunk of :func:`pulse_statistic` (about 2.4 MiB for the largest temporary at 100 Hz); a whole
number of :data:`_ROWS` blocks of either :class:`PulseBank` block size."""

_ROWS = 32
"""Blocks per matrix product of :func:`_pulse_chunk`: small enough that the BLAS library runs each product on
one thread (the analysis's parallelism is per leg; OpenBLAS splits products above 2^18 multiply-adds: at 200 Hz
128 blocks cost 4.5x the CPU of 32), large enough that the per-call cost vanishes. Every product has this shape,
so a sample's output takes the same arithmetic path wherever its stretch starts."""


@dataclass(frozen=True, slots=True, eq=False)
class PulseBank:
    """The matched filters of one raw rate as one matrix, so that P costs one matrix product per axis.

    A block of ``block`` consecutive output samples of every width depends on ``block + 2 reach`` input samples;
    ``matrix`` (block + 2 reach, widths * block) holds each width's kernel (times its ``rescale``,
    :class:`PulseNull`) once per output sample of the block, shifted by one sample per column: a Toeplitz band.
    Multiplying the input's overlapping windows by it is the same correlation as ``scipy.ndimage.correlate1d``
    with each kernel, done by the BLAS matrix product (at 100 Hz, 19 ms against 129 ms for the three 1-D
    correlations of one axis of an 8 h night, which convert every sample to double and back). The band holds
    each kernel as weights on first differences (``h`` sums to 0, so ``<h, x> = <v, diff(x)>`` with
    ``v = -cumsum(h)``): gravity cancels exactly before the float32 products, and P agrees with the double
    precision correlation to ~1e-9 g.
    """

    matrix: npt.NDArray[np.float32]
    block: int
    reach: int
    widths: int


@lru_cache(maxsize=64)
def pulse_bank(fs_hz: float) -> PulseBank | None:
    """The :class:`PulseBank` of a raw rate of ``fs_hz`` Hz; None when the rate resolves no width."""
    kernels = pulse_kernels(fs_hz)
    if not kernels:
        return None
    rescale = pulse_null(fs_hz).rescale
    reach = max(len(h) for h in kernels) // 2
    block = 16 if reach <= 16 else 32
    matrix = np.zeros((block + 2 * reach, len(kernels) * block), np.float64)
    for j, (h, r) in enumerate(zip(kernels, rescale)):
        half = len(h) // 2
        v = -np.cumsum(h)[:-1]                  # <h, x> = <v, x[1:] - x[:-1]>: h sums to 0
        for k in range(block):
            matrix[reach + k - half + 1: reach + k + half + 1, j * block + k] = r * v
    return PulseBank(matrix.astype(np.float32), block, reach, len(kernels))


def _pulse_chunk(accel_g: npt.NDArray[np.floating], bank: PulseBank, *, lead: int = 0) -> npt.NDArray[np.float32]:
    """P (n,) of one stretch of raw samples (n, 3) (:func:`pulse_statistic`), laid out as if ``lead`` samples
    preceded it in its first matrix product; the stretch's ends are extended with their nearest sample
    (``correlate1d``'s ``mode="nearest"``)."""
    from numpy.lib.stride_tricks import as_strided

    n = accel_g.shape[0]
    blk, reach = bank.block, bank.reach
    n_blocks = -(-(lead + n) // (blk * _ROWS)) * _ROWS
    width = blk + 2 * reach
    pad = np.empty((3, n_blocks * blk + 2 * reach), np.float32)
    head = reach + lead
    pad[:, head: head + n] = accel_g.T
    pad[:, :head] = np.asarray(accel_g[0], np.float32)[:, None]
    pad[:, head + n:] = np.asarray(accel_g[-1], np.float32)[:, None]
    # the kernels act on first differences: a sample's difference to its neighbour is exact in float32 where
    # gravity dominates (Sterbenz), so the products keep the noise's precision rather than gravity's
    pad[:, 1:] -= pad[:, :-1].copy()
    pad[:, 0] = 0.0
    step = pad.strides[1]
    windows = as_strided(pad, shape=(3, n_blocks, width), strides=(pad.strides[0], blk * step, step))
    windows = np.ascontiguousarray(windows).reshape(-1, _ROWS, width)
    y = np.matmul(windows, bank.matrix).reshape(3, n_blocks, bank.widths, blk)   # (axis, block, width, sample)
    y *= y
    sq = y[0]
    sq += y[1]
    sq += y[2]
    out = sq[:, 0].copy()
    for j in range(1, bank.widths):
        np.maximum(out, sq[:, j], out=out)
    out = out.reshape(-1)[lead: lead + n]
    return np.sqrt(out, out=out)


def pulse_on_grid(t_s: npt.NDArray[np.float64], accel_g: npt.NDArray[np.floating], *, fs_hz: float, origin_s: float,
                  grid_hz: float, n_grid: int, range_g: float | None = None, first_index: int = 0
                  ) -> npt.NDArray[np.float32]:
    """P's maximum (n_grid,) in g per working-grid sample ``i`` (raw samples within half a grid step of
    ``origin_s + i / grid_hz``), from raw samples at times ``t_s`` (s, non-decreasing) and nominal rate ``fs_hz``.

    Raw samples within a filter's half length of a break in the sampling (a step more than 1.5 / ``fs_hz``: a gap,
    a lost packet) read 0: the filter would straddle it. 0 where a grid sample holds no raw sample, and next to a
    non-finite value. Samples that are not finite or lie beyond what a sensor of full scale ``range_g`` (g; None:
    unknown) can report (on any axis: missing-value sentinels, corrupt bytes; ``lrm.io.plausibility.accel_limit_g``)
    are left out as ``lrm.signal.prepare`` leaves them out, so they make a break. Timestamps that go backwards are
    sorted first (as ``prepare`` repairs them). Every caller (the offline chain, the online detector and its
    offline reference) passes the sensor's range, so that they leave out the same samples. ``first_index``: how
    many samples P kept (:func:`kept_samples`) before ``t_s[0]`` on this leg (0 for a whole leg; the online
    detector's trimmed samples), so that P is the same bit for bit on any stretch (:func:`pulse_statistic`).

    >>> t = np.arange(1000) / 100.0; a = np.tile(np.float32([0, 0, 1]), (1000, 1))
    >>> a[495:506, 0] += np.float32(0.03 * np.cos(2 * np.pi * (np.arange(11) - 5) / 100 / 0.09).clip(-1, 1))
    >>> g = pulse_on_grid(t, a, fs_hz=100.0, origin_s=0.0, grid_hz=25.0, n_grid=250)
    >>> int(g.argmax()), bool(g[:100].max() < 1e-4)
    (125, True)
    """
    out = np.zeros(n_grid, np.float32)
    if t_s.size == 0 or n_grid == 0 or not pulse_kernels(round(float(fs_hz), 3)):
        return out
    possible = kept_samples(accel_g, range_g)
    if possible is not None:
        t_s, accel_g = t_s[possible], accel_g[possible]
        if t_s.size == 0:
            return out
    if t_s.size > 1 and not bool(np.all(t_s[1:] >= t_s[:-1])):   # timestamps that went backwards, as prepare_leg
        order = np.argsort(t_s, kind="stable")
        t_s, accel_g = t_s[order], accel_g[order]
    p = pulse_statistic(accel_g, fs_hz=fs_hz, first_index=first_index)   # finite: every sample kept is finite
    reach = (len(pulse_kernels(round(float(fs_hz), 3))[-1]) - 1) // 2
    breaks = np.flatnonzero(np.diff(t_s) > 1.5 / fs_hz)
    if breaks.size:   # the raw samples within a filter's reach of a break: [b - reach + 1, b + reach]
        near = (breaks[:, None] + np.arange(1 - reach, reach + 1)).ravel()
        p[near[(near >= 0) & (near < p.size)]] = 0.0
    p[:reach] = 0.0
    p[max(0, p.size - reach):] = 0.0
    pos = _first_at_or_after(t_s, origin_s + (np.arange(n_grid + 1) - 0.5) / grid_hz)
    count = np.diff(pos)
    k = int(count[0])
    if k > 0 and bool(np.all(count == k)):   # regular sampling: k raw samples per grid sample
        out[:] = p[pos[0]: pos[-1]].reshape(n_grid, k).max(axis=1)
        return out
    filled = np.flatnonzero(count > 0)
    if filled.size:
        seg = p[: pos[-1]]
        out[filled] = np.maximum.reduceat(seg, pos[filled])
    return out


def kept_samples(accel_g: npt.NDArray[np.floating], range_g: float | None = None) -> npt.NDArray[np.bool_] | None:
    """Which raw samples (n, 3) P keeps: finite and within what a sensor of full scale ``range_g`` (g; None:
    unknown) can report on every axis (``lrm.io.plausibility.accel_limit_g``, as ``lrm.signal.prepare``); None
    when all are (found by the cheap check on the extremes: max and min propagate NaN).

    >>> kept_samples(np.float32([[0, 0, 1], [9.5, 0, 1]]), 16.0) is None
    True
    >>> kept_samples(np.float32([[0, 0, 1], [9.5, 0, 1], [np.nan, 0, 1]]), 8.0).tolist()
    [True, False, False]
    """
    if accel_g.size == 0:
        return None
    limit_g = accel_limit_g(range_g)
    if float(accel_g.max()) <= limit_g and float(accel_g.min()) >= -limit_g:
        return None
    with np.errstate(invalid="ignore"):
        return np.asarray((np.abs(accel_g) <= limit_g).all(axis=1))


def _first_at_or_after(t_s: npt.NDArray[np.float64], edges: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """``np.searchsorted(t_s, edges, side="left")`` for sorted ``t_s`` and ``edges``: each edge's index guessed
    from the mean sampling rate, checked against its neighbours, and searched only where the guess is wrong
    (a gap, drift): the same indices at a fraction of a binary search's cache misses.

    >>> t = np.r_[np.arange(10.0), np.arange(20.0, 30.0)]; e = np.array([-1.0, 0.0, 0.5, 9.5, 15.0, 20.0, 31.0])
    >>> _first_at_or_after(t, e).tolist() == np.searchsorted(t, e).tolist()
    True
    """
    m = t_s.size
    if m < 2 or not t_s[-1] > t_s[0]:
        return np.searchsorted(t_s, edges, side="left")
    rate = (m - 1) / (float(t_s[-1]) - float(t_s[0]))
    guess = np.clip(np.ceil((edges - t_s[0]) * rate), 0, m).astype(np.int64)
    wrong = np.arange(edges.size)
    for _ in range(3):   # timing jitter: a step or two off; then a search for what is still wrong (gaps)
        g, e = guess[wrong], edges[wrong]
        low = (g > 0) & (t_s[np.maximum(g - 1, 0)] >= e)     # an earlier sample is already at or after the edge
        high = (g < m) & (t_s[np.minimum(g, m - 1)] < e)      # the guessed sample is still before it
        guess[wrong] = g - low + high
        wrong = wrong[low | high]
        if not wrong.size:
            return guess
    guess[wrong] = np.searchsorted(t_s, edges[wrong], side="left")
    return guess
