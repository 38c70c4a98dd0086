"""Align the two legs' clocks: estimate the offset and drift of one sensor's clock against the other.

Each BLE sensor's clock runs within +-100 ppm of true time (crystal tolerance), so two drift apart by up to
+-200 ppm (up to 6 s over an 8 h night), more than the 0.5 s bilateral window of docs/scoring.md §1.2 step 4. Roll-overs and bilateral LMs move both legs at once, so the
lag between the two legs' movement envelopes, measured by cross-correlation in windows across the night,
traces the clock difference; a robust straight line through those lags gives offset and drift. Continuous
activity (walking, restless wake) is left out of the correlation (:data:`BUSY_DUTY`), every window with a clear
peak counts alike, and the line is Huber's, its drift's standard error ``drift_sd_ppm`` taken from the lags'
scatter about it with the independent (non-overlapping) windows' count.

A drift is fitted only when the lags come from at least :data:`MIN_DRIFT_WINDOWS` non-overlapping windows
(three points, so the line has a residual to judge it by, and a stated uncertainty ``drift_sd_ppm``), and a
drift fitted beyond :data:`MAX_DRIFT_PPM` is held at that bound; otherwise the fit is an offset alone, and
``note`` says why (or that the drift was held).
Two 1800 s windows of a 1 h night give a line through two points with no residual: a user's 1 h simulated
night (sensors +35 and -20 ppm, already corrected to the computer's clock) was fitted at +227 ppm, which
moves a leg by up to 0.6 s over the hour, more than the bilateral window. Without a drift, a true drift of
+-100 ppm shifts the ends of a night too short to fit one (< 1.5 h: three windows of 1800 s) by at most
+-0.27 s around the offset, fitted at the night's middle (+-0.54 s at the +-200 ppm extreme).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from scipy import fft as sp_fft

from lrm.params import AlignParams

__all__ = ["ClockFit", "MIN_DRIFT_WINDOWS", "MAX_DRIFT_PPM", "BUSY_SPAN_S", "BUSY_DUTY", "LAG_MARGIN_S", "estimate_clock_drift", "activity", "apply_clock_fit", "source_index", "shift_1s", "shift_events"]


MIN_DRIFT_WINDOWS = 3
"""Non-overlapping windows (s of lags ``window_s`` apart) needed to fit a drift: two points always lie on a
line, so a third is the fewest that can contradict it and give the fit an uncertainty."""
MAX_DRIFT_PPM = 200.0
"""Largest drift (ppm) of one leg's clock against the other's that is believed: each sensor's crystal is
within +-100 ppm, so two differ by at most +-200 ppm (``lrm.sim`` draws each leg's drift in +-100 ppm; its
dev nights reach +144 ppm between the legs); a recorder that maps both legs to the computer's clock leaves
far less. A free fit beyond it comes from noisy lags; the drift is then held at it (:func:`_fit_line`)."""
BUSY_SPAN_S = 30.0
"""Span (s) over which a leg's duty cycle of activity is measured (:func:`_without_busy`): three of the shortest
PLM intervals (10 s, docs/scoring.md §1.2 step 7), so that it spans several LMs of a series, and short enough
to end near a walk's or a restless bout's edge."""
BUSY_DUTY = 0.7
"""Share of ``BUSY_SPAN_S`` above the noise that marks continuous activity. LMs last 0.5-10 s (docs/scoring.md
§1.2 step 2) and PLMs recur every 10-90 s (step 7): 5 s PLMs at the shortest IMI fill 50 % of the span, about
60 % with the envelope's smear, so no PLM series is lost. Walking and restless wake fill more: walking
alternates the legs by half a stride (0.4-0.7 s), so its cross-correlation peaks off the clock lag, and a
long plateau makes the peak flat. Chosen on dev seeds 1000-1023 among 0.5, 0.6, 0.7, 0.8 (and a 60 s span):
docs/validation.md, "Clock alignment: per-window lags"."""
LAG_MARGIN_S = 2.0
"""Lag (s) searched beyond the drift a night can accumulate: the clocks' start offsets (``lrm.sim`` draws
+-0.25 s per leg; a recorder stamps both legs from one computer clock) with room to spare."""


@dataclass(frozen=True, slots=True)
class ClockFit:
    """Clock of the second leg relative to the first: lag(t) = offset_s + drift_ppm * 1e-6 * t.

    An event at time t on the first leg's clock appears at t + lag(t) on the second leg's. ``t`` is s
    since the recording start. ``residual_s`` is the RMS of the window lags around the line (the
    alignment's remaining uncertainty); ``n_windows`` how many windows had a clear peak. When fewer than
    one window does, the fit is zero and ``ok`` is False. ``drift_sd_ppm`` is the drift's standard error
    (ppm), None when no drift was fitted; ``note`` says why a drift was not fitted ("" when it was, or when
    the fit is not ``ok``).
    """

    offset_s: float = 0.0
    drift_ppm: float = 0.0
    residual_s: float | None = None
    n_windows: int = 0
    ok: bool = False
    drift_sd_ppm: float | None = None
    note: str = ""

    def lag_s(self, t_s: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        return self.offset_s + self.drift_ppm * 1e-6 * np.asarray(t_s, dtype=np.float64)


def activity(envelope_g: npt.NDArray[np.float32], floor_g: npt.NDArray[np.float32],
              valid: npt.NDArray[np.bool_]) -> npt.NDArray[np.float32]:
    """Compressed movement signal (n,) for the legs' cross-correlation: log of the envelope (g) over twice its
    noise floor (g), 0 below that and in gaps (``valid`` False). Dimensionless."""
    floor = np.where(np.isfinite(floor_g), floor_g, np.float32(1.0))
    ratio = envelope_g / np.maximum(floor, np.float32(1e-4))
    act = np.log(np.maximum(ratio, np.float32(2.0)) / np.float32(2.0))  # noise -> 0
    act[~valid] = 0.0
    return act.astype(np.float32)


def estimate_clock_drift(a: npt.NDArray[np.float32], b: npt.NDArray[np.float32], *, fs_hz: float,
                         params: AlignParams = AlignParams()) -> ClockFit:
    """Estimate the clock of leg b against leg a from their :func:`activity` signals (n,) on the same grid.

    Parameters
    ----------
    a, b : ndarray (n,)
        Each leg's :func:`activity` (from its envelope, noise floor and validity), on the shared grid.
    fs_hz : float
        Grid rate in Hz.
    params : AlignParams
        Window length, largest lag, smallest correlation peak.

    Returns
    -------
    ClockFit
        Not ``ok`` when no window shows a clear correlation peak.

    Notes
    -----
    Continuous activity (walking, restless wake: :func:`_without_busy`) is left out before correlating: it
    is not the discrete, near-simultaneous bilateral LMs (docs/scoring.md §1.2 step 4) the lag is read
    from. The lags searched reach ``params.max_lag_s`` or, on longer nights, the drift of
    :data:`MAX_DRIFT_PPM` over the night plus :data:`LAG_MARGIN_S`. Every window with a clear peak counts
    alike: the peak's height is no measure of its precision (the broad plateaus of continuous activity
    gave the highest peaks, and the worst lags).
    """
    n = min(a.size, b.size)
    win = int(params.window_s * fs_hz)
    max_lag = int(max(params.max_lag_s, LAG_MARGIN_S + MAX_DRIFT_PPM * 1e-6 * n / fs_hz) * fs_hz)
    if n < max(win // 4, 4 * max_lag):
        return ClockFit()
    a, b = _without_busy(a[:n], fs_hz=fs_hz), _without_busy(b[:n], fs_hz=fs_hz)
    win = min(win, n)
    step = win // 2
    starts = np.arange(0, n - win + 1, step)
    nfft = sp_fft.next_fast_len(win + max_lag, real=True)   # >= win + max_lag: no circular wrap-around
    # All windows at once (views, float32: the FFTs ~4x faster than float64): one batched FFT each way.
    wa = sliding_window_view(a, win)[::step][: starts.size]
    wb = sliding_window_view(b, win)[::step][: starts.size]
    energy = np.sqrt(np.square(wa, dtype=np.float64).sum(axis=1) * np.square(wb, dtype=np.float64).sum(axis=1))
    use = energy > 0
    if not use.any():
        return ClockFit()
    cross = sp_fft.rfft(wa[use], nfft, axis=1)
    cross.imag *= -1                                        # conj(A) * B: the cross-spectrum
    cross *= sp_fft.rfft(wb[use], nfft, axis=1)
    spec = sp_fft.irfft(cross, nfft, axis=1)
    cc = np.concatenate((spec[:, -max_lag:], spec[:, : max_lag + 1]), axis=1).astype(np.float64)  # lags -max..+max
    cc /= energy[use, None]
    k = np.argmax(cc, axis=1)
    rows = np.arange(k.size)
    peak = cc[rows, k]
    ok = (peak >= params.min_peak) & (k > 0) & (k < cc.shape[1] - 1)
    rows, k = rows[ok], k[ok]
    y0, y1, y2 = cc[rows, k - 1], cc[rows, k], cc[rows, k + 1]
    denom = y0 - 2 * y1 + y2
    frac = np.where(denom < 0, 0.5 * (y0 - y2) / np.where(denom < 0, denom, -1.0), 0.0)  # parabolic peak
    lags = (k - max_lag + frac) / fs_hz
    times = (starts[use][ok] + win / 2) / fs_hz
    return _fit_line(times.astype(np.float64), lags.astype(np.float64), np.ones(lags.size), window_s=win / fs_hz)


def _without_busy(act: npt.NDArray[np.float32], *, fs_hz: float) -> npt.NDArray[np.float32]:
    """``act`` (n,) with 0 wherever more than :data:`BUSY_DUTY` of the :data:`BUSY_SPAN_S` around a sample is
    above the noise (continuous activity, not discrete LMs). The window is cut at the recording's ends.

    Counts by differences of one int32 cumulative sum (slices, no index arrays: a night's 8 h at 25 Hz costs
    three n-length int32/bool arrays, not seven int64 ones).

    >>> a = np.float32([0, 1, 1, 1, 0, 0, 0, 0, 1, 0])
    >>> _without_busy(a, fs_hz=2 / BUSY_SPAN_S).tolist()     # a 3-sample window: only the middle one is busy
    [0.0, 1.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0]
    """
    n, half = act.size, max(1, int(BUSY_SPAN_S * fs_hz) // 2)
    csum = np.zeros(n + 1, np.int32)
    np.cumsum(act > 0, dtype=np.int32, out=csum[1:])
    busy = np.zeros(n, bool)
    w = 2 * half + 1
    if n > w:
        busy[half : n - half] = (csum[w:] - csum[: n - w + 1]) > BUSY_DUTY * w
    head = np.arange(min(half, n))                       # lo = 0, hi = i + half + 1 (cut at n)
    hi = np.minimum(head + half + 1, n)
    busy[head] = csum[hi] > BUSY_DUTY * hi
    tail = np.arange(max(n - half, head.size), n)        # hi = n, lo = i - half (at least 0)
    lo = np.maximum(tail - half, 0)
    busy[tail] = (csum[n] - csum[lo]) > BUSY_DUTY * (n - lo)
    out = act.astype(np.float32, copy=True)
    out[busy] = 0.0
    return out


def _independent(t: npt.NDArray[np.float64], window_s: float) -> int:
    """How many non-overlapping windows of ``window_s`` (s) fit between the first and last window centre ``t``."""
    return int(np.floor(np.ptp(t) / window_s + 1e-9)) + 1 if t.size else 0


HOLD_SD_PPM = 100.0
"""Largest standard error (ppm) of a drift fitted beyond +-:data:`MAX_DRIFT_PPM` for it to be held at that bound:
half the bound, so that the fit tells a drift at the bound from none. A looser fit (a multi-day window whose night
left three windows, fitted at -526 +- 189 ppm with no drift at all) says nothing about the drift; it gets an
offset alone, as every fit beyond the bound did before."""
HUBER_K = 1.345
"""Huber's tuning constant (in robust SDs): 95 % efficiency on Gaussian lags, while a window whose peak was
taken from an alias (a PLM interval or a walking half-stride away) is down-weighted, not allowed to tilt the line."""


def _huber_line(t: npt.NDArray[np.float64], lag: npt.NDArray[np.float64], w: npt.NDArray[np.float64],
                n_ind: int) -> tuple[float, float, float | None, float]:
    """Huber line (iteratively reweighted least squares, scale from the residuals' MAD) through the lags ``lag``
    (s) at ``t`` (s) with prior weights ``w``: offset at t = 0 (s), slope (s/s), the slope's standard error
    (s/s; from the residuals, with ``n_ind`` independent windows and two fitted parameters) and the weighted RMS
    residual (s)."""
    tc = t - t.mean()
    design = np.column_stack([np.ones_like(tc), tc])
    ww = w.copy()
    for _ in range(20):
        sw = np.sqrt(ww)
        off, slope = np.linalg.lstsq(design * sw[:, None], lag * sw, rcond=None)[0]
        resid = lag - off - slope * tc
        scale = max(1.4826 * float(np.median(np.abs(resid))), 1e-3)   # 1 ms: below the lags' resolution
        u = np.abs(resid) / (HUBER_K * scale)
        new = w * np.where(u <= 1.0, 1.0, 1.0 / np.maximum(u, 1e-12))
        if np.allclose(new, ww, rtol=1e-6, atol=0.0):
            break
        ww = new
    wn = ww / ww.sum()
    mean_sq = float(np.sum(wn * resid ** 2))
    stt = float(np.sum(wn * (tc - np.sum(wn * tc)) ** 2))
    # overlapping windows: n_ind independent lags, two of whose degrees of freedom the line takes
    var = max(mean_sq, scale ** 2) / ((n_ind - 2) * stt) if stt > 0 and n_ind > 2 else None
    return float(off - slope * t.mean()), float(slope), None if var is None else float(np.sqrt(var)), float(np.sqrt(mean_sq))


def _fit_line(t: npt.NDArray[np.float64], lag: npt.NDArray[np.float64], w: npt.NDArray[np.float64], *,
              window_s: float) -> ClockFit:
    """Robust straight line (:func:`_huber_line`) through the window lags ``lag`` (s) at ``t`` (s, window centres)
    with weights ``w``, after dropping lags far (> 2 s beyond their mean deviation) from the median.

    An offset alone when the lags come from fewer than :data:`MIN_DRIFT_WINDOWS` independent windows of
    ``window_s`` (s). A drift fitted beyond +-:data:`MAX_DRIFT_PPM` within :data:`HOLD_SD_PPM` is held at that
    bound (least squares under the clocks' tolerance): noisy lags overshoot a large true drift, and an offset
    alone would then be off by the whole drift; a looser one gets an offset alone. ``note`` says which.
    """
    if t.size == 0:
        return ClockFit()
    keep = np.ones(t.size, bool)
    if t.size >= 3:
        med = np.median(lag)
        keep = np.abs(lag - med) < 2.0 + np.abs(lag - med).mean()
    t, lag, w = t[keep], lag[keep], w[keep]
    n_ind = _independent(t, window_s)
    if n_ind < MIN_DRIFT_WINDOWS or t.size < 3:
        mean = float(np.average(lag, weights=w))
        rms = float(np.sqrt(np.average((lag - mean) ** 2, weights=w)))
        return ClockFit(mean, 0.0, rms, int(t.size), True, None,
                        f"the legs' clock drift was not estimated: the night gives {n_ind} independent "
                        f"{window_s:.0f} s window(s) of bilateral movement, {MIN_DRIFT_WINDOWS} are needed; "
                        "an offset alone was applied")
    offset, slope, sd, rms = _huber_line(t, lag, w, n_ind)
    note = ""
    if abs(slope) * 1e6 > MAX_DRIFT_PPM:
        sd_text = "" if sd is None else f" +- {sd * 1e6:.0f}"
        fitted = f"the legs' clock drift was fitted at {slope * 1e6:+.0f}{sd_text} ppm, beyond the +-{MAX_DRIFT_PPM:.0f} ppm two sensors' clocks can differ"
        if sd is None or sd * 1e6 > HOLD_SD_PPM:
            mean = float(np.average(lag, weights=w))
            rms = float(np.sqrt(np.average((lag - mean) ** 2, weights=w)))
            return ClockFit(mean, 0.0, rms, int(t.size), True, None, f"{fitted}; an offset alone was applied")
        note = f"{fitted}; it was held at {np.sign(slope) * MAX_DRIFT_PPM:+.0f} ppm"
        slope = float(np.sign(slope)) * MAX_DRIFT_PPM * 1e-6
        offset = float(np.median(lag - slope * t))                 # the offset under that slope, robustly
        rms = float(np.sqrt(np.average((lag - offset - slope * t) ** 2, weights=w)))
    return ClockFit(float(offset), float(slope * 1e6), float(rms), int(t.size), True,
                    None if sd is None else float(sd * 1e6), note)


def source_index(n: int, fit: ClockFit, *, fs_hz: float) -> npt.NDArray[np.float64]:
    """Fractional grid index (n,) of leg b's sample that falls on each of leg a's grid samples."""
    t = np.arange(n, dtype=np.float64) / fs_hz
    src = fit.lag_s(t)
    src += t
    src *= fs_hz
    return src


def apply_clock_fit(values: npt.NDArray, fit: ClockFit, *, fs_hz: float, nearest: bool = False,
                    src_index: npt.NDArray[np.float64] | None = None) -> npt.NDArray:
    """Resample grid values (n,) or (n, k) of leg b onto leg a's clock: out(t) = values(t + lag(t)).

    Boolean arrays are resampled by nearest sample (False outside the data); float arrays linearly, or by
    nearest sample with ``nearest=True`` (for running extremes such as the noise floor, whose values are
    samples of the envelope's extremes and may be +inf); outside the data a float holds its edge value.
    ``src_index``: :func:`source_index` for these ``n`` samples, when several arrays are moved alike.

    >>> fit = ClockFit(offset_s=0.5, ok=True)
    >>> apply_clock_fit(np.arange(5.0), fit, fs_hz=2.0).tolist(), apply_clock_fit(np.ones(5, bool), fit, fs_hz=2.0).tolist()
    ([1.0, 2.0, 3.0, 4.0, 4.0], [True, True, True, True, False])
    """
    n = values.shape[0]
    src = source_index(n, fit, fs_hz=fs_hz) if src_index is None else src_index
    if values.dtype == bool:
        idx = np.rint(src).astype(np.int64)
        inside = (idx >= 0) & (idx < n)
        out = np.zeros(values.shape, bool)
        out[inside] = values[idx[inside]]
        return out
    if nearest:
        return values[np.clip(np.rint(src).astype(np.int64), 0, n - 1)]
    grid = np.arange(n, dtype=np.float64)
    if values.ndim == 1:
        return np.interp(src, grid, values).astype(values.dtype)
    out = np.empty_like(values)
    for k in range(values.shape[1]):
        out[:, k] = np.interp(src, grid, values[:, k])
    return out


def shift_1s(values: npt.NDArray, fit: ClockFit) -> npt.NDArray:
    """Per-second values (s,) or (s, k) of leg b moved onto leg a's clock, linearly at the seconds' centres:
    value j is leg b's value at leg a's second j (edge values hold outside).

    >>> shift_1s(np.arange(4, dtype=np.float32), ClockFit(offset_s=1.0, ok=True)).tolist()
    [1.0, 2.0, 3.0, 3.0]
    """
    centres = np.arange(values.shape[0], dtype=np.float64) + 0.5
    src = centres + fit.lag_s(centres)
    if values.ndim == 1:
        return np.interp(src, centres, values).astype(values.dtype)
    return np.column_stack([np.interp(src, centres, values[:, k]) for k in range(values.shape[1])]).astype(values.dtype)


def shift_events(table: pd.DataFrame, fit: ClockFit, duration_s: float) -> pd.DataFrame:
    """Events detected on leg b's clock with their ``onset_s`` and ``offset_s`` (s) moved onto leg a's clock
    (t_a + lag(t_a) = t_b); events starting outside [0, ``duration_s``) there are dropped.

    The lag changes by < 0.5 ms per second (+-100 ppm), so detecting on leg b's own clock and moving the
    events equals detecting on its resampled signals, without resampling them.
    """
    scale = 1.0 + fit.drift_ppm * 1e-6
    onset = (table["onset_s"].to_numpy(float) - fit.offset_s) / scale
    offset = (table["offset_s"].to_numpy(float) - fit.offset_s) / scale
    keep = (onset >= 0.0) & (onset < duration_s)
    return table.assign(onset_s=onset, offset_s=offset).loc[keep].reset_index(drop=True)
