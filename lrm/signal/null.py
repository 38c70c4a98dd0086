"""How a sensor's white noise shows in the detector's statistics on the working grid (the null's scale).

Raw white noise passes ``lrm.signal.prepare``'s block means and interpolation onto the 25 Hz grid and then the
detector's 0.5 s windows (``lrm.signal.envelope``). How much of it survives depends on the rate and on where
the raw samples fall between the grid points; :func:`null_factors` measures it by running unit white noise
through that very chain, so the thresholds (``lrm.signal.detect``) follow the code that produces the data.
:func:`null_tails` gives D's and B's onset quantiles exactly, from the eigenvalues of their quadratic forms
through the same chain (its impulse responses), where moments fit to a scaled chi-square are light in the far tail.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = ["NullFactors", "NullTails", "chi2_mix_isf", "null_factors", "null_tails"]


@dataclass(frozen=True, slots=True)
class NullFactors:
    """How unit white noise at the raw rate shows in the detector's statistics on the working grid.

    grid_var : variance of one axis of a grid sample (block means and interpolation of the raw samples).
    mean_var : variance of one axis of the ``window_s`` moving mean of the grid.
    spread_mean, spread_var : mean and variance of the squared within-window spread ``D^2`` (three axes).
    burst_mean, burst_var : mean and variance of the ``smooth_s`` mean square of the grid's deviation from its
        ``window_s`` mean (three axes): the brief-burst statistic B's square before its noise power is removed
        (``lrm.signal.envelope``).
    """

    grid_var: float
    mean_var: float
    spread_mean: float
    spread_var: float
    burst_mean: float = 0.0
    burst_var: float = 0.0


@lru_cache(maxsize=64)
def null_factors(fs_hz: float, grid_hz: float, window_s: float, smooth_s: float = 0.2) -> NullFactors:
    """Measure :class:`NullFactors` by pushing unit white noise at ``fs_hz`` through the same chain.

    The chain is ``lrm.signal.prepare``'s (block means of ``round(fs_hz / grid_hz)`` samples, linear
    interpolation onto the ``grid_hz`` grid) followed by the ``window_s`` moving mean: how much of the sensor's
    noise survives depends on the rate (block means average it down, interpolating a slow sensor up to the
    grid correlates it) and on where the raw samples fall between the grid points, which drifts through the
    night with the sensor's clock. 300 s of noise are measured at four such phases and the largest of each
    factor is kept: the thresholds hold at the phase where the least noise is averaged away. Fixed seed.
    """
    factors = [_null_factors_at(fs_hz, grid_hz, window_s, phase, smooth_s) for phase in (0.0, 0.25, 0.5, 0.75)]
    return NullFactors(*(max(getattr(f, name) for f in factors)
                         for name in ("grid_var", "mean_var", "spread_mean", "spread_var", "burst_mean", "burst_var")))


def _null_factors_at(fs_hz: float, grid_hz: float, window_s: float, phase: float, smooth_s: float = 0.2) -> NullFactors:
    """:func:`null_factors` with the first block centred ``phase`` grid steps after a grid point."""
    from scipy.ndimage import uniform_filter1d

    from lrm.signal.prepare import block_means, interp_rows

    rng = np.random.default_rng(12345)
    n = int(300 * fs_hz)
    x = rng.standard_normal((n, 3)).astype(np.float32)
    q = max(1, int(round(fs_hz / grid_hz)))
    t = (np.arange(n) - 0.5 * (q - 1)) / fs_hz + phase / grid_hz   # block j's centre at j q / fs + phase
    m = n // q
    if q > 1:
        blocks, tb = block_means(x, q), 0.5 * (t[0 : m * q : q] + t[q - 1 : m * q : q])
    else:
        blocks, tb = x, t
    grid_t = np.arange(int(tb[-1] * grid_hz)) / grid_hz
    grid_t = grid_t[grid_t >= tb[0]]
    g = interp_rows(grid_t, tb, blocks).astype(np.float64)
    w = max(1, int(round(window_s * grid_hz)))
    mean = uniform_filter1d(g, w, axis=0, mode="nearest")
    ms = uniform_filter1d((g ** 2).sum(axis=1), w, mode="nearest")
    spread = ms - (mean ** 2).sum(axis=1)
    burst = uniform_filter1d(((g - mean) ** 2).sum(axis=1), max(1, int(round(smooth_s * grid_hz))), mode="nearest")
    core = slice(w, -w)
    return NullFactors(float(g[core].var()), float(mean[core].var()), float(spread[core].mean()),
                       float(spread[core].var()), float(burst[core].mean()), float(burst[core].var()))


@dataclass(frozen=True, slots=True)
class NullTails:
    """Exact upper quantiles of a still leg's D^2 and B^2 in units of the raw samples' per-axis noise variance.

    tail : the probability (per grid sample) that a still sample exceeds them.
    spread : D^2's quantile (three axes), at the grid phase where it is largest.
    burst : B^2's quantile before its noise power is removed (three axes), at the grid phase where it is largest.
    """

    tail: float
    spread: float
    burst: float


@lru_cache(maxsize=64)
def null_tails(fs_hz: float, grid_hz: float, window_s: float, smooth_s: float = 0.2, tail: float = 1e-6,
               phases: int = 16) -> NullTails:
    """The ``tail`` quantiles of D^2 and B^2 of unit white noise at ``fs_hz`` through the grid chain, exactly.

    D^2 and B^2 of white noise are quadratic forms of the raw samples: ``sum_i lam_i chi2_1``, three
    independent axes of the same eigenvalues ``lam_i``, those of the form through the chain's impulse responses
    (``lrm.signal.prepare``'s block means and interpolation onto the grid, pushed through as unit impulses, then
    the windows of ``lrm.signal.envelope``). Their tail is the Lugannani-Rice saddlepoint approximation of that
    sum (:func:`chi2_mix_isf`), whose error in the tail probability is < 1 % here (against Imhof's exact
    inversion, tests/signal/test_null.py), < 0.01 % in the threshold.

    Why not the moments (:class:`NullFactors`, which still give the body: median and offset quantiles): a
    moment-matched scaled chi-square is light in the far tail of these forms, and off whole multiples of
    ``grid_hz`` the chain's weights repeat with the raw samples' phase against the grid (every 25 grid samples at
    52 Hz). The 0.2 s statistic B resolves that pattern, and moments averaged over it put B^2's 1e-6 quantile
    5.5-6.8 % (B's onset threshold, its noise power removed, 7-9 %) too low at 52, 104 and 128 Hz, where a still
    leg crossed it 9-14x more often than designed at the worst phase (docs/validation.md, "Exact tails of D and
    B"). As :func:`null_factors` does, the quantile is taken at the worst of ``phases`` phases of the raw samples
    against the grid (spread over one block spacing): the thresholds hold where the least noise is averaged away.

    Units: the variance of a raw sample per axis (dimensionless, g^2 per g^2); times ``sigma^2`` of the night's
    noise (g^2) it is the onset threshold's square (docs/scoring.md §7). ``fs_hz``, ``grid_hz`` in Hz,
    ``window_s``, ``smooth_s`` in s, ``tail`` per grid sample.
    """
    w = max(1, int(round(window_s * grid_hz)))
    s = max(1, int(round(smooth_s * grid_hz)))
    spread = burst = 0.0
    for u in np.arange(phases) / phases:
        g = _grid_impulses(fs_hz, grid_hz, w, s, u)
        d_lam, b_lam = _form_eigenvalues(g, w, s)
        spread = max(spread, chi2_mix_isf(d_lam, tail, multiplicity=3))
        burst = max(burst, chi2_mix_isf(b_lam, tail, multiplicity=3))
    return NullTails(float(tail), float(spread), float(burst))


def _grid_impulses(fs_hz: float, grid_hz: float, w: int, s: int, phase: float) -> np.ndarray:
    """Impulse responses (k, L) of the ``k = 2 (w // 2 + s // 2 + 1) + 1`` grid samples around grid time 0 (all
    that D and B at the middle one read) to each of ``L`` raw samples (``lrm.signal.prepare``'s block means and
    interpolation, raw samples placed as in :func:`_null_factors_at`); ``phase`` (0-1) moves the raw samples by
    that fraction of a block spacing."""
    from lrm.signal.prepare import block_means, interp_rows

    q = max(1, int(round(fs_hz / grid_hz)))
    k0 = w // 2 + s // 2 + 1                                  # grid samples each side of time 0 the forms need
    grid_t = (np.arange(2 * k0 + 1) - k0) / grid_hz
    lead = int(np.ceil((k0 / grid_hz) * fs_hz)) + 2 * q + 1   # raw samples before time 0, a block to spare
    n = q * (-(-2 * lead // q) + 1)
    t = (np.arange(n) - lead - 0.5 * (q - 1)) / fs_hz + phase * q / fs_hz
    m = n // q
    tb = 0.5 * (t[0 : m * q : q] + t[q - 1 : m * q : q]) if q > 1 else t
    out = np.zeros((grid_t.size, n))
    for j in range(0, n, 3):                                  # three impulses at a time, one per axis
        x = np.zeros((n, 3), np.float32)
        cols = min(3, n - j)
        x[j + np.arange(cols), np.arange(cols)] = 1.0
        b = block_means(x, q) if q > 1 else x
        out[:, j : j + cols] = interp_rows(grid_t, tb, b)[:, :cols]
    return out


def _form_eigenvalues(g: np.ndarray, w: int, s: int) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues of D^2's and B^2's quadratic forms (one axis) at the middle grid sample of ``g`` (k, L): the
    nonzero ones, those of the small (k, k) forms on the grid samples' covariance ``g g^T``."""
    cov = g @ g.T
    k = g.shape[0]
    mid = k // 2

    def box(c: int, n: int) -> np.ndarray:                   # scipy's centred uniform_filter1d window at c
        r = np.zeros(k)
        r[c - n // 2 : c - n // 2 + n] = 1.0 / n
        return r

    # D^2 = mean of g^2 over the window less its mean squared: rows e_j - box for the window's samples, / w
    win = np.flatnonzero(box(mid, w))
    rows_d = np.eye(k)[win] - box(mid, w)[None, :]
    # B^2 = mean over the s-window of (g_j - box_w(j) g)^2
    rows_b = np.array([np.eye(k)[c] - box(c, w) for c in np.flatnonzero(box(mid, s))])
    lam_d = np.linalg.eigvalsh(rows_d @ cov @ rows_d.T) / w
    lam_b = np.linalg.eigvalsh(rows_b @ cov @ rows_b.T) / s
    return lam_d, lam_b


def chi2_mix_isf(lam: np.ndarray, tail: float, *, multiplicity: int = 1) -> float:
    """x with P(sum_i lam_i chi2_1 > x) = ``tail`` (each ``lam_i`` >= 0 counted ``multiplicity`` times), by the
    Lugannani-Rice saddlepoint approximation (Lugannani & Rice 1980; Kuonen 1999, Biometrika 86:929-935).

    >>> from scipy import stats
    >>> round(float(chi2_mix_isf(np.full(5, 2.0), 1e-6, multiplicity=3) / (2.0 * stats.chi2.isf(1e-6, 15))), 4)
    1.0001
    """
    from scipy import optimize, stats

    lam = np.asarray(lam, np.float64)
    lam = lam[lam > 1e-12 * lam.max()]
    m = float(multiplicity)
    s_max = 0.5 / lam.max()

    def log_sf(s: float) -> float:
        v = 1.0 - 2.0 * s * lam
        x = m * (lam / v).sum()
        k = -0.5 * m * np.log(v).sum()
        r = np.sqrt(max(2.0 * (s * x - k), 0.0))
        u = s * np.sqrt(m * (2.0 * lam ** 2 / v ** 2).sum())
        p = stats.norm.sf(r) + stats.norm.pdf(r) * (1.0 / u - 1.0 / r)
        return float(np.log(max(p, 1e-300)) - np.log(tail))

    lo = 0.05 * s_max                                        # sf(K'(lo)) must exceed the tail: a wider tail, nearer 0
    while log_sf(lo) < 0.0 and lo > 1e-9 * s_max:
        lo *= 0.1
    s = optimize.brentq(log_sf, lo, s_max * (1.0 - 1e-12), xtol=1e-14 * s_max, rtol=1e-13)
    return float(m * (lam / (1.0 - 2.0 * s * lam)).sum())
