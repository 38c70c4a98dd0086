"""How a sensor's white noise shows in the detector's statistics on the working grid (the null's scale).

Raw white noise passes ``lrm.signal.prepare``'s block means and interpolation onto the 25 Hz grid and then the
detector's 0.5 s windows (``lrm.signal.envelope``). How much of it survives depends on the rate and on where
the raw samples fall between the grid points; :func:`null_factors` measures it by running unit white noise
through that very chain, so the thresholds (``lrm.signal.detect``) follow the code that produces the data.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

__all__ = ["NullFactors", "null_factors"]


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
