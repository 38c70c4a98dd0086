"""Align the two legs' clocks: estimate the offset and drift of one sensor's clock against the other.

Each BLE sensor's clock runs within +-100 ppm of true time (crystal tolerance), so two drift apart by up to
+-200 ppm (up to 6 s over an 8 h night), more than the 0.5 s bilateral window of docs/scoring.md §1.2 step 4. Roll-overs and bilateral LMs move both legs at once, so the
lag between the two legs' movement envelopes, measured by cross-correlation in windows across the night,
traces the clock difference; a weighted straight line through those lags gives offset and drift.

A drift is fitted only when the lags come from at least :data:`MIN_DRIFT_WINDOWS` non-overlapping windows
(three points, so the line has a residual to judge it by, and a stated uncertainty ``drift_sd_ppm``), and
only when it lies within :data:`MAX_DRIFT_PPM`; otherwise the fit is an offset alone, and ``note`` says why.
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

__all__ = ["ClockFit", "MIN_DRIFT_WINDOWS", "MAX_DRIFT_PPM", "estimate_clock_drift", "activity", "apply_clock_fit", "source_index", "shift_1s", "shift_events"]


MIN_DRIFT_WINDOWS = 3
"""Non-overlapping windows (s of lags ``window_s`` apart) needed to fit a drift: two points always lie on a
line, so a third is the fewest that can contradict it and give the fit an uncertainty."""
MAX_DRIFT_PPM = 200.0
"""Largest drift (ppm) of one leg's clock against the other's that is believed: each sensor's crystal is
within +-100 ppm, so two differ by at most +-200 ppm (``lrm.sim`` draws each leg's drift in +-100 ppm; its
dev nights reach +144 ppm between the legs); a recorder that maps both legs to the computer's clock leaves
far less. A fitted drift beyond it is an artefact of too few or too noisy lags."""


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
    """
    n = min(a.size, b.size)
    win = int(params.window_s * fs_hz)
    max_lag = int(params.max_lag_s * fs_hz)
    if n < max(win // 4, 4 * max_lag):
        return ClockFit()
    win = min(win, n)
    step = win // 2
    starts = np.arange(0, n - win + 1, step)
    nfft = sp_fft.next_fast_len(win + max_lag, real=True)   # >= win + max_lag: no circular wrap-around
    # All windows at once (views, float32: the FFTs ~4x faster than float64): one batched FFT each way.
    wa = sliding_window_view(a[:n], win)[::step][: starts.size]
    wb = sliding_window_view(b[:n], win)[::step][: starts.size]
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
    rows, k, peak = rows[ok], k[ok], peak[ok]
    y0, y1, y2 = cc[rows, k - 1], cc[rows, k], cc[rows, k + 1]
    denom = y0 - 2 * y1 + y2
    frac = np.where(denom < 0, 0.5 * (y0 - y2) / np.where(denom < 0, denom, -1.0), 0.0)  # parabolic peak
    lags = (k - max_lag + frac) / fs_hz
    times = (starts[use][ok] + win / 2) / fs_hz
    weights = peak
    return _fit_line(times.astype(np.float64), lags.astype(np.float64), weights.astype(np.float64),
                     window_s=win / fs_hz)


def _independent(t: npt.NDArray[np.float64], window_s: float) -> int:
    """How many non-overlapping windows of ``window_s`` (s) fit between the first and last window centre ``t``."""
    return int(np.floor(np.ptp(t) / window_s + 1e-9)) + 1 if t.size else 0


def _line(t: npt.NDArray[np.float64], lag: npt.NDArray[np.float64], w: npt.NDArray[np.float64], *,
          window_s: float) -> tuple[float, float, float | None, str]:
    """Offset (s), slope (s/s), the slope's standard error (s/s, None without a drift) and the reason no
    drift was fitted ("" when one was) of the weighted line through the lags ``lag`` (s) at ``t`` (s)."""
    n_ind = _independent(t, window_s)
    mean = float(np.average(lag, weights=w))
    if n_ind < MIN_DRIFT_WINDOWS or t.size < 3:
        return mean, 0.0, None, (f"the legs' clock drift was not estimated: the night gives {n_ind} independent "
                                 f"{window_s:.0f} s window(s) of bilateral movement, {MIN_DRIFT_WINDOWS} are needed; "
                                 "an offset alone was applied")
    slope, offset = np.polyfit(t, lag, 1, w=w)       # polyfit's weights multiply the residuals: w**2 on squares
    resid = lag - (offset + slope * t)
    wn = w ** 2 / np.sum(w ** 2)
    sigma2 = float(np.sum(wn * resid ** 2)) * t.size / (t.size - 2)
    stt = float(np.sum(wn * (t - np.sum(wn * t)) ** 2))
    sd = float(np.sqrt(sigma2 / (n_ind * stt))) if stt > 0 else None   # overlapping windows: n_ind, not t.size
    if abs(slope) * 1e6 > MAX_DRIFT_PPM:
        sd_text = "" if sd is None else f" +- {sd * 1e6:.0f}"
        return mean, 0.0, None, (f"the legs' clock drift was fitted at {slope * 1e6:+.0f}{sd_text} ppm, beyond the "
                                 f"+-{MAX_DRIFT_PPM:.0f} ppm a sensor's clock can drift; an offset alone was applied")
    return float(offset), float(slope), sd, ""


def _fit_line(t: npt.NDArray[np.float64], lag: npt.NDArray[np.float64], w: npt.NDArray[np.float64], *,
              window_s: float) -> ClockFit:
    """Weighted straight line through the window lags, refitted once without outliers (> 0.5 s off); an offset
    alone when the lags cannot support a drift (:func:`_line`)."""
    if t.size == 0:
        return ClockFit()
    keep = np.ones(t.size, bool)
    if t.size >= 3:
        med = np.median(lag)
        keep = np.abs(lag - med) < 2.0 + np.abs(lag - med).mean()
    for _ in range(2):
        offset, slope, sd, note = _line(t[keep], lag[keep], w[keep], window_s=window_s)
        resid = lag - (offset + slope * t)
        if note:   # an offset alone: a real drift would push windows past 0.5 s from it; they are not outliers
            break
        new_keep = np.abs(resid) <= 0.5
        if new_keep.sum() == 0 or (new_keep == keep).all():
            break
        keep = new_keep
    resid_k = resid[keep]
    rms = float(np.sqrt(np.mean(resid_k ** 2))) if resid_k.size else None
    return ClockFit(float(offset), float(slope * 1e6), rms, int(keep.sum()), True,
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
