"""Non-wear: when the sensor was off the ankle (on a table, in a drawer), from the stillness of its signal.

Two published criteria are the anchors, and lrm requires both:

* GGIR (van Hees et al. 2011, 2013; ``detect_nonwear_clipping``, nonwear_approach "2013"): a 60-min window
  is non-wear when on at least 2 of the 3 axes the standard deviation is below 13 mg **and** the range
  (max - min) below 50 mg. GGIR moves the window by 15 min; lrm moves it by 1 min, so a stretch's edges are
  known to the minute (the criterion is unchanged).
* actipy (``find_nonwear_segments``, UK Biobank processing, Doherty et al. 2017): only a stationary stretch
  longer than 90 min (``patience``) is non-wear; shorter still stretches are a still wearer.

So a stretch is non-wear when it is covered by GGIR non-wear windows without a break for more than 90 min.
A worn ankle in bed moves with every posture change (every 20-40 min in adults) and with leg movements of
tens of mg, so 90 min inside 13 mg / 50 mg is what a sensor lying on a table does, not a sleeper; the
criteria cannot tell a motionless worn sensor from one off the body, and the report says so. Seconds
without samples are neither still nor moving: a window needs samples for at least half its seconds.

Works on per-second sums (:func:`summarize_seconds`), so a week is summarised window by window in
bounded memory and the criteria run over the whole week at once (a stretch may span a night boundary).

References
----------
.. [1] van Hees VT, et al. Separating movement and gravity components in an acceleration signal and
   implications for the assessment of human daily physical activity. PLoS One 2013;8:e61691.
.. [2] van Hees VT, et al. Estimation of daily energy expenditure in pregnant and non-pregnant women using a
   wrist-worn tri-axial accelerometer. PLoS One 2011;6:e22922.
.. [3] Doherty A, et al. Large scale population assessment of physical activity using wrist worn
   accelerometers: the UK Biobank study. PLoS One 2017;12:e0169649.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage

__all__ = ["NonwearParams", "SecondSums", "summarize_seconds", "concat_seconds", "find_nonwear"]


@dataclass(frozen=True, slots=True)
class NonwearParams:
    """The criteria (module docstring): GGIR's window, step, SD and range limits and axis count; actipy's
    minimum duration."""

    window_s: int = 3600            # GGIR windowsizes[3]
    step_s: int = 60                # GGIR steps by 15 min; every minute puts the edges within 1 min
    sd_max_g: float = 0.013         # GGIR sdcriter
    range_max_g: float = 0.050      # GGIR racriter
    min_axes: int = 2               # GGIR wearthreshold
    min_duration_s: float = 5400.0  # actipy patience, 90 min (a stretch must be longer)
    min_data_fraction: float = 0.5  # a window needs samples for this share of its seconds

    def __post_init__(self) -> None:
        if not (0 < self.step_s <= self.window_s):
            raise ValueError(f"step_s must lie in (0, window_s={self.window_s}] s, got {self.step_s}")
        if not 1 <= self.min_axes <= 3:
            raise ValueError(f"min_axes must be 1, 2 or 3, got {self.min_axes}")


@dataclass(frozen=True, slots=True, eq=False)
class SecondSums:
    """Per-second sums of one leg from ``origin_s``: sample count (s,), sum and sum of squares (s, 3) in g and
    g^2 (float64), minimum and maximum (s, 3) in g (NaN without samples)."""

    origin_s: float
    count: npt.NDArray[np.int32]
    total: npt.NDArray[np.float64]
    squares: npt.NDArray[np.float64]
    low: npt.NDArray[np.float32]
    high: npt.NDArray[np.float32]


def summarize_seconds(t_s: npt.NDArray[np.float64], accel_g: npt.NDArray[np.floating], *, origin_s: float,
                      n_seconds: int) -> SecondSums:
    """Sum one leg's samples second by second: second k holds ``origin_s + k <= t_s < origin_s + k + 1``.

    ``t_s`` in s (ascending), ``accel_g`` (n, 3) in g; samples outside the ``n_seconds`` seconds are ignored.
    """
    sec = np.floor(t_s - origin_s).astype(np.int64)
    inside = (sec >= 0) & (sec < n_seconds)
    if not inside.all():
        sec, accel_g = sec[inside], accel_g[inside]
    count = np.bincount(sec, minlength=n_seconds).astype(np.int32)
    total = np.empty((n_seconds, 3))
    squares = np.empty((n_seconds, 3))
    low = np.full((n_seconds, 3), np.nan, np.float32)
    high = np.full((n_seconds, 3), np.nan, np.float32)
    starts = np.flatnonzero(np.r_[True, np.diff(sec) != 0]) if sec.size else np.empty(0, np.int64)
    for axis in range(3):
        x = np.asarray(accel_g[:, axis], np.float64)
        total[:, axis] = np.bincount(sec, weights=x, minlength=n_seconds)
        squares[:, axis] = np.bincount(sec, weights=x * x, minlength=n_seconds)
        if starts.size:                                   # min/max per run of samples in one second
            low[sec[starts], axis] = np.minimum.reduceat(accel_g[:, axis], starts)
            high[sec[starts], axis] = np.maximum.reduceat(accel_g[:, axis], starts)
    return SecondSums(float(origin_s), count, total, squares, low, high)


def concat_seconds(parts: list[SecondSums]) -> SecondSums:
    """Consecutive summaries (each starting where the previous ends) as one."""
    if not parts:
        raise ValueError("concat_seconds needs at least one SecondSums")
    return SecondSums(parts[0].origin_s, *(np.concatenate([getattr(p, f) for p in parts])
                                           for f in ("count", "total", "squares", "low", "high")))


def find_nonwear(sums: SecondSums, params: NonwearParams = NonwearParams()) -> npt.NDArray[np.int64]:
    """Non-wear stretches of one leg as second intervals ``(n, 2)`` (start, end exclusive) from ``sums.origin_s``.

    A 60-min window every minute is non-wear when, on at least ``min_axes`` axes, the SD of its samples is
    below ``sd_max_g`` and their range below ``range_max_g`` (GGIR); the union of such windows is kept where
    it lasts longer than ``min_duration_s`` (actipy).

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> t = np.arange(0, 6 * 3600, 0.1)                         # 6 h at 10 Hz
    >>> a = np.tile([0.0, 0.0, 1.0], (t.size, 1)) + rng.normal(0, 0.004, (t.size, 3))
    >>> worn = t < 3600
    >>> a[worn] += rng.normal(0, 0.1, (int(worn.sum()), 3))     # an hour of wear, then on a table
    >>> find_nonwear(summarize_seconds(t, a, origin_s=0.0, n_seconds=6 * 3600)).tolist()
    [[3600, 21600]]
    """
    p, n = params, sums.count.shape[0]
    if n < p.window_s:
        return np.empty((0, 2), np.int64)
    starts = np.arange(0, n - p.window_s + 1, p.step_s)
    cum = lambda a: np.concatenate([np.zeros((1, *a.shape[1:])), np.cumsum(a, axis=0)])  # noqa: E731
    c, s, q = cum(sums.count.astype(np.float64)), cum(sums.total), cum(sums.squares)
    k = (c[starts + p.window_s] - c[starts])[:, None]
    mean = (s[starts + p.window_s] - s[starts]) / np.maximum(k, 1)
    var = (q[starts + p.window_s] - q[starts]) / np.maximum(k, 1) - mean**2
    sd = np.sqrt(np.maximum(var * k / np.maximum(k - 1, 1), 0.0))          # sample SD, as GGIR's sd()
    span = np.empty((starts.size, 3))
    for axis in range(3):                                  # max - min over each window
        hi = _window_extreme(sums.high[:, axis], p.window_s, np.maximum)[starts]
        lo = _window_extreme(sums.low[:, axis], p.window_s, np.minimum)[starts]
        span[:, axis] = hi - lo
    still_axes = np.sum((sd < p.sd_max_g) & (span < p.range_max_g), axis=1)
    enough = (k[:, 0] >= p.min_data_fraction * p.window_s * _per_second(sums))
    flagged = starts[(still_axes >= p.min_axes) & enough]
    mark = np.zeros(n + 1, np.int64)
    np.add.at(mark, flagged, 1)
    np.add.at(mark, flagged + p.window_s, -1)
    covered = np.cumsum(mark[:n]) > 0
    edges = np.flatnonzero(np.diff(np.r_[0, covered.astype(np.int8), 0]))
    runs = edges.reshape(-1, 2)
    return runs[(runs[:, 1] - runs[:, 0]) > p.min_duration_s].astype(np.int64)


def _per_second(sums: SecondSums) -> float:
    """Typical samples per second (median over seconds with samples); 1 when there are none."""
    have = sums.count[sums.count > 0]
    return float(np.median(have)) if have.size else 1.0


def _window_extreme(values: npt.NDArray[np.float32], window: int, ufunc: np.ufunc) -> npt.NDArray[np.float64]:
    """The max (or min) of ``values[i:i + window]`` for every i, ignoring NaN (seconds without samples)."""
    fill = -np.inf if ufunc is np.maximum else np.inf
    v = np.where(np.isnan(values), fill, values).astype(np.float64)
    filt = ndimage.maximum_filter1d if ufunc is np.maximum else ndimage.minimum_filter1d
    # origin shifts the window to start at i: scipy centres size-`window` filters at window // 2
    return filt(v, size=window, mode="nearest", origin=-(window // 2))
