"""Prepare one leg: repair timestamps, find gaps, and bring the samples onto the uniform working grid.

The working grid is shared by both legs: sample ``i`` is at ``origin_s + i / fs_hz`` (the recording start).
Raw samples are first averaged in blocks of ``round(fs / work_fs)`` (one matrix product over the raw
samples, the only full-rate pass besides the timestamp checks), then linearly interpolated onto the grid.
Gaps (> ``gap_s`` without samples) are never interpolated across: grid points inside a gap, or within
``gap_margin_s`` of one, are marked invalid and every later step ignores them.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lrm.errors import InputError, LrmWarning
from lrm.io.plausibility import LEFT_OUT, accel_limit_g, check_duration
from lrm.io.recording import Leg
from lrm.params import PrepareParams
from lrm.signal.noise import SensorNoise, estimate_sensor_noise

__all__ = ["PreparedLeg", "prepare_leg", "block_means", "count_clipped", "interp_rows", "find_gaps", "interval_mask", "merge_intervals",
           "sample_rate_hz", "grid_length"]

FloatArray = npt.NDArray[np.floating]


@dataclass(frozen=True, slots=True, eq=False)
class PreparedLeg:
    """One leg on the working grid.

    accel_g : float32 (m, 3), block-mean acceleration in g on the grid (gravity included).
    valid : bool (m,), False inside gaps (and their margins) and outside the leg's samples.
    fs_hz : grid rate in Hz. Times are ``i / fs_hz`` seconds since the recording start.
    gaps_s : float64 (k, 2), gap start/end in s since the recording start.
    raw_fs_hz : effective raw sampling rate (samples per second of covered time).
    clipping_pct : % of raw axis values at the declared full scale (None if the range is unknown).
    resolution_g : smallest step between raw values (g): the quantisation the thresholds must clear.
    repairs : human-readable notes on what was repaired.
    noise : the raw samples' white noise per axis and quantisation step (``lrm.signal.noise``), measured
        from the night's recorded samples (never the ones a reader filled, ``Leg.filled``); None only for legs
        built by hand without it.
    filled : bool (m,), True on grid samples the device did not record but the reader filled (ActiGraph idle
        sleep: the last sample repeated, ``Leg.filled``); None when nothing was filled. Such samples stay
        ``valid`` for detection (the vendor's software shows them, and a sleeping device was still), but
        they are not recorded: :attr:`coverage_pct` leaves them out.
    """

    side: str
    accel_g: npt.NDArray[np.float32]
    valid: npt.NDArray[np.bool_]
    fs_hz: float
    gaps_s: npt.NDArray[np.float64]
    raw_fs_hz: float
    clipping_pct: float | None
    repairs: tuple[str, ...]
    source: str
    resolution_g: float = 0.0
    noise: SensorNoise | None = None
    filled: npt.NDArray[np.bool_] | None = None

    @property
    def coverage_pct(self) -> float:
        """% of the grid with valid, recorded (not filled) samples."""
        recorded = self.valid if self.filled is None else self.valid & ~self.filled
        return float(100.0 * np.count_nonzero(recorded) / max(1, self.valid.size))

    @property
    def filled_pct(self) -> float:
        """% of the grid whose samples the reader filled (0 when none)."""
        return 0.0 if self.filled is None else float(100.0 * np.count_nonzero(self.filled) / max(1, self.filled.size))


def prepare_leg(leg: Leg, *, origin_s: float, n_grid: int, params: PrepareParams = PrepareParams(),
                warn: bool = True) -> PreparedLeg:
    """Repair, decimate and grid one leg.

    Parameters
    ----------
    leg : Leg
        Raw samples (``t_s`` in s, ``accel_g`` in g).
    origin_s : float
        Time (s, same clock as ``leg.t_s``) of grid sample 0: the recording start.
    n_grid : int
        Number of grid samples (the recording's duration times ``params.work_fs_hz``).
    params : PrepareParams
        Grid rate, gap length and margin, clipping fraction.
    warn : bool
        Warn (LrmWarning) about each repair; they are in ``repairs`` either way (the pipeline warns itself,
        in leg order, when it prepares the legs in threads).

    Returns
    -------
    PreparedLeg

    Raises
    ------
    InputError
        Fewer than 2 usable samples, or a gravity magnitude far from 1 g (not accelerometer data in g).
    """
    fs = float(params.work_fs_hz)
    src = leg.source or f"{leg.side} leg"
    t, x, gap_at, repairs, (x_max, x_min) = _repair(leg, src, gap_s=params.gap_s, warn=warn)
    filled_s = sum(g.duration_s for g in leg.filled)                 # e.g. ActiGraph idle sleep (Leg.filled)
    if filled_s:
        repairs = [*repairs, f"{filled_s:.0f} s not recorded ({', '.join(sorted({g.cause for g in leg.filled}))}) "
                   "filled with the last sample, as the vendor's software does"]
    q = max(1, int(round(leg.fs_hz / fs)))
    m = t.size // q
    if m < 2:
        raise InputError(src, "", f"only {t.size} usable samples", "record at least 30 minutes")
    if q > 1:
        blocks = block_means(x, q)
        tb = np.add(t[0 : m * q : q], t[q - 1 : m * q : q])       # 0.5 (first + last) - origin, in place
        tb *= 0.5
        tb -= origin_s
    else:
        blocks = np.ascontiguousarray(x, dtype=np.float32)
        tb = t - origin_s
    _check_units(blocks, src)
    gaps = np.column_stack((t[gap_at], t[gap_at + 1])).reshape(-1, 2) - origin_s
    known = [(g.start_s, g.end_s) for g in leg.gaps if g.end_s - g.start_s > 0]   # from the recorder/reader
    if known:   # the recorder's gap and the hole in the timestamps are one gap: merge, never add them
        gaps = merge_intervals(np.vstack([gaps, np.asarray(known) - origin_s]), tol_s=1.5 / float(leg.fs_hz))
    grid_t = np.arange(n_grid, dtype=np.float64)
    grid_t /= fs
    accel = interp_rows(grid_t, tb, blocks)
    valid = np.zeros(n_grid, bool)                               # grid_t in [tb[0], tb[-1]] (grid_t ascending)
    valid[np.searchsorted(grid_t, tb[0], side="left") : np.searchsorted(grid_t, tb[-1], side="right")] = True
    margin = params.gap_margin_s
    valid &= ~interval_mask(n_grid, fs, gaps[:, 0] - margin, gaps[:, 1] + margin)
    raw_fs = sample_rate_hz(t, _intervals_in_gaps(t, gap_at, known), default_hz=float(leg.fs_hz))
    clipping = None
    if leg.range_g:
        thr = params.clip_fraction * float(leg.range_g)
        n_clip = count_clipped(x, thr) if x_max >= thr or x_min <= -thr else 0   # only if the extremes reach it
        clipping = float(100.0 * n_clip / x.size)
    # the noise is measured at the stated rate, or at the measured one when the stated rate is off by more than
    # a factor 2 (a damaged header: the samples' own spacing is then the truth; lrm.signal.null needs a real rate)
    stated = float(leg.fs_hz)
    filled = None
    if filled_s:   # repeated samples are not the sensor's noise: measure it on the recorded samples only
        spans = np.asarray([(g.start_s, g.end_s) for g in leg.filled], dtype=np.float64)
        x = x[~_in_spans(t, spans)]
        filled = interval_mask(n_grid, fs, spans[:, 0] - origin_s, spans[:, 1] - origin_s - 0.5 / fs)
    noise = estimate_sensor_noise(x, fs_hz=stated if 0.5 * raw_fs <= stated <= 2.0 * raw_fs else float(raw_fs))
    return PreparedLeg(leg.side, accel, valid, fs, gaps, raw_fs, clipping, tuple(repairs), src, noise.lsb_g, noise,
                       filled)


def _in_spans(t_s: npt.NDArray[np.float64], spans_s: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    """Whether each time ``t_s`` (n,) ascending lies in one of the [start, end) ``spans_s`` (k, 2), all in s.

    >>> _in_spans(np.arange(6.0), np.array([[1.0, 3.0]])).tolist()
    [False, True, True, False, False, False]
    """
    lo = np.searchsorted(t_s, spans_s[:, 0], side="left")
    hi = np.searchsorted(t_s, spans_s[:, 1], side="left")
    delta = np.zeros(t_s.size + 1, np.int32)
    np.add.at(delta, lo, 1)
    np.add.at(delta, hi, -1)
    return np.cumsum(delta[:-1]) > 0


def interp_rows(t_s: npt.NDArray[np.float64], tp_s: npt.NDArray[np.float64], rows: npt.NDArray[np.float32]
                ) -> npt.NDArray[np.float32]:
    """``np.interp`` of each column of ``rows`` (m, 3) at ``t_s`` (n,): float32 (n, 3).

    Two calls instead of three: the first two axes go through as the real and imaginary part of one complex
    interpolation (the search for each point's interval, most of the cost, is shared). The online detector
    uses this same function.

    >>> interp_rows(np.array([0.5]), np.array([0.0, 1.0]), np.float32([[0, 2, 4], [2, 4, 8]])).tolist()
    [[1.0, 3.0, 6.0]]
    """
    out = np.empty((t_s.shape[0], 3), np.float32)
    if t_s.shape[0] > _INTERP_CHUNK and t_s[0] <= t_s[-1] and bool(np.all(t_s[1:] >= t_s[:-1])):
        # Ascending points: interpolate in chunks against just the source rows each chunk needs (one more on
        # each side), so the complex temporaries stay small; the values are identical to one call.
        for start in range(0, t_s.shape[0], _INTERP_CHUNK):
            t = t_s[start : start + _INTERP_CHUNK]
            lo = max(int(np.searchsorted(tp_s, t[0], side="right")) - 1, 0)
            hi = min(int(np.searchsorted(tp_s, t[-1], side="left")) + 1, tp_s.shape[0])
            out[start : start + t.shape[0]] = interp_rows(t, tp_s[lo:hi], rows[lo:hi])
        return out
    pair = np.empty(rows.shape[0], np.complex128)
    pair.real, pair.imag = rows[:, 0], rows[:, 1]
    both = np.interp(t_s, tp_s, pair)
    out[:, 0], out[:, 1] = both.real, both.imag
    out[:, 2] = np.interp(t_s, tp_s, rows[:, 2])
    return out


_FEW_INTERVALS = 256  # interval_mask: up to this many intervals, one slice each
_INTERP_CHUNK = 1 << 16  # grid points per interpolation chunk (~1 MiB of complex temporaries)


def block_means(x: npt.NDArray[np.float32], q: int) -> npt.NDArray[np.float32]:
    """Means (m, 3) of consecutive blocks of ``q`` rows of ``x`` (n, 3); a last partial block is dropped.

    Each block's sum is ``((row 0 + row 1) + row 2) + ...`` in float32, then times ``1 / q``: the arithmetic of
    ``np.einsum("mkc->mc")`` (which this replaced; not a matrix product: BLAS threads stall when the cores are
    shared, and the online detector must use this same arithmetic). A block of rows at a time, the rows are
    summed as flat runs: ``s[i] = f[i] + f[i + 3] + ... + f[i + 3 (q - 1)]`` over the block's flat values ``f``,
    whose every ``3 q``-th triple is a block's sum. That adds ``q`` times more values than needed, but in long
    contiguous loops, where einsum's loops are 3 values long: 10.4 ms against 13.2 ms for an 8 h leg at 100 Hz
    (q = 4), the same bits.

    >>> block_means(np.arange(12, dtype=np.float32).reshape(4, 3), 2).tolist()
    [[1.5, 2.5, 3.5], [7.5, 8.5, 9.5]]
    """
    x = np.asarray(x)
    m = x.shape[0] // q
    if q == 1 or x.dtype != np.float32 or m == 0:
        out = np.einsum("mkc->mc", x[: m * q].reshape(m, q, 3))
        out *= np.float32(1.0 / q)
        return out
    w = 3 * q                                                 # flat values per block
    out = np.empty((m, 3), np.float32)
    for a in range(0, m, _MEAN_BLOCKS):
        b = min(m, a + _MEAN_BLOCKS)
        f = np.ascontiguousarray(x[a * q : b * q]).reshape(-1)
        n = (b - a - 1) * w + 3                               # up to the last block's sum
        run = np.empty((b - a) * w, np.float32)
        s = run[:n]
        np.add(f[0:n], f[3 : n + 3], out=s)
        for k in range(2, q):
            s += f[3 * k : n + 3 * k]
        out[a:b] = run.reshape(b - a, w)[:, :3]
    out *= np.float32(1.0 / q)
    return out


_MEAN_BLOCKS = 1 << 14
"""Blocks per pass in :func:`block_means` (768 KiB of float32 runs at q = 4: they stay in the cache)."""


def _repair(leg: Leg, src: str, *, gap_s: float, warn: bool = True
            ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float32], npt.NDArray[np.intp], list[str], tuple[float, float]]:
    """Drop non-finite rows, sort backwards timestamps, drop duplicates; warn about each repair.

    Returns the times (s), samples (g), the indices ``i`` of the intervals ``t[i + 1] - t[i]`` longer than
    ``gap_s`` (s, :func:`find_gaps`), the repair notes and the samples' largest and smallest value (g). Clean
    input (the usual case) costs one blockwise pass over the times (:func:`_time_steps`) and two reductions:
    times strictly increasing between finite ends are all finite.
    """
    t = np.asarray(leg.t_s, dtype=np.float64)
    x = np.asarray(leg.accel_g, dtype=np.float32)
    repairs = [note for note in leg.notes if note.endswith(LEFT_OUT)]  # time outliers the reader left out
    if t.size < 2:
        raise InputError(src, "", f"only {t.size} samples", "record at least 30 minutes")
    increasing, gap_at = _time_steps(t, gap_s)
    ordered = increasing and math.isfinite(t[0]) and math.isfinite(t[-1])
    dt = None if ordered else np.diff(t)
    if not ordered:
        finite_t = np.isfinite(t)
        if not finite_t.all():
            n_bad = int(t.size - finite_t.sum())
            t, x = t[finite_t], x[finite_t]
            repairs.append(f"dropped {n_bad} samples with a non-finite time")
            if t.size < 2:
                raise InputError(src, "time column", f"{n_bad} of {n_bad + t.size} times are not finite",
                                 "check the export's time column")
    # NaN/inf in the acceleration: a cheap check on the extremes (max and min propagate NaN).
    x_max, x_min = float(x.max()), float(x.min())
    if not (math.isfinite(x_max) and math.isfinite(x_min)):
        t, x, n_bad = _keep_rows(t, x, np.isfinite(x).all(axis=1), src, "are NaN or infinite",
                                 "check the export; lrm needs numeric accelerations")
        repairs.append(f"dropped {n_bad} samples with NaN or infinite acceleration")
        x_max, x_min = float(x.max()), float(x.min())
    # Values no sensor of this range can report (1e20 "missing" sentinels, corrupt bytes): missing, reported.
    limit = accel_limit_g(leg.range_g)
    if x_max > limit or x_min < -limit:
        possible = (np.abs(x) <= limit).all(axis=1)
        first = int(np.argmin(possible))
        why = f"the sensor's +-{leg.range_g:g} g range" if leg.range_g else f"+-{limit:g} g (no ankle movement reaches it)"
        worst = float(x[first][np.argmax(np.abs(x[first]))])
        t, x, n_bad = _keep_rows(t, x, possible, src, f"lie beyond {why}",
                                 "check the acceleration unit (--units g|mg|m/s^2) and that the columns are x, y, z")
        repairs.append(f"treated {n_bad} samples beyond {why} as missing (first: sample {first + 1}, {worst:.3g} g)")
        x_max, x_min = float(x.max()), float(x.min())
    if repairs:
        dt = np.diff(t)
        ordered = bool(dt.size and dt.min() > 0)
    if not ordered:
        dt = np.diff(t) if dt is None else dt
        n_back = int(np.count_nonzero(dt < 0))
        if n_back:
            order = np.argsort(t, kind="stable")
            t, x = t[order], x[order]
            dt = np.diff(t)
            repairs.append(f"sorted {n_back} timestamps that went backwards")
        n_dup = int(np.count_nonzero(dt == 0))
        if n_dup:
            keep = np.concatenate(([True], dt > 0))
            t, x = t[keep], x[keep]
            dt = np.diff(t)
            repairs.append(f"dropped {n_dup} samples with a duplicated timestamp")
            x_max, x_min = (float(x.max()), float(x.min())) if x.size else (0.0, 0.0)
    for note in repairs if warn else ():
        warnings.warn(f"{src}: {note}", LrmWarning, stacklevel=3)
    if t.size < 2:
        raise InputError(src, "", "fewer than 2 usable samples", "check the export")
    if dt is not None:                                           # the times were repaired: their gaps anew
        gap_at = np.flatnonzero(dt > gap_s)
    return t, x, gap_at, repairs, (x_max, x_min)


def count_clipped(x: npt.NDArray[np.float32], level_g: float) -> int:
    """How many values of ``x`` (n, 3) in g lie at or beyond +-``level_g`` (``level_g`` > 0, g):
    ``np.count_nonzero(x >= level_g) + np.count_nonzero(x <= -level_g)``, a block of rows at a time, so that
    the two (n, 3) boolean temporaries (8.6 MB each for an 8 h leg at 100 Hz, ~2100 fresh pages the kernel
    must map and zero) are never made. Each block is counted as ``|x| >= level_g`` (the same values: NaN is
    neither) into two block-sized buffers: one comparison and one count a block instead of two of each.

    >>> count_clipped(np.float32([[0.0, 8.0, -8.0], [7.9, -9.0, 1.0]]), 8.0)
    3
    """
    x = np.asarray(x)
    rows = min(_STEP_ROWS, x.shape[0])
    size = np.empty((rows,) + x.shape[1:], x.dtype)
    hit = np.empty(size.shape, bool)
    n = 0
    for a in range(0, x.shape[0], _STEP_ROWS):
        block = x[a : a + _STEP_ROWS]
        m = block.shape[0]
        np.greater_equal(np.abs(block, out=size[:m]), level_g, out=hit[:m])
        n += int(np.count_nonzero(hit[:m]))
    return n


_STEP_ROWS = 1 << 16
"""Times per block in :func:`_time_steps` (512 KiB of float64 steps: they stay in the cache), rows per block in
:func:`count_clipped`."""


def _time_steps(t: npt.NDArray[np.float64], gap_s: float) -> tuple[bool, npt.NDArray[np.intp]]:
    """Whether the times ``t`` (n,) in s strictly increase (False if a step is NaN), and the indices ``i`` of
    the steps ``t[i + 1] - t[i]`` longer than ``gap_s`` (s): ``np.diff`` a block at a time, so the (n,) steps
    are never written out (three passes over 23 MB for an 8 h leg at 100 Hz became one).

    >>> increasing, gap_at = _time_steps(np.array([0.0, 0.5, 1.0, 3.0, 3.5]), 1.0)
    >>> increasing, gap_at.tolist()
    (True, [2])
    """
    increasing, gaps = True, []
    for a in range(0, t.shape[0] - 1, _STEP_ROWS):
        d = np.diff(t[a : a + _STEP_ROWS + 1])
        increasing &= bool(d.min() > 0)
        gaps.append(np.flatnonzero(d > gap_s) + a)
    return increasing, (np.concatenate(gaps) if gaps else np.zeros(0, np.intp)).astype(np.intp, copy=False)


def _keep_rows(t: npt.NDArray[np.float64], x: npt.NDArray[np.float32], keep: npt.NDArray[np.bool_], src: str,
               problem: str, fix: str) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float32], int]:
    """The rows of ``t`` (n,) and ``x`` (n, 3) where ``keep``, and how many went; InputError when more than
    half of them would go (then the file, not a few samples, is wrong)."""
    n_bad = int(keep.size - np.count_nonzero(keep))
    if n_bad > 0.5 * keep.size:
        raise InputError(src, "x,y,z columns", f"{n_bad} of {keep.size} samples {problem}", fix)
    return t[keep], x[keep], n_bad


def _check_units(blocks: npt.NDArray[np.float32], src: str) -> None:
    """Raise if the typical acceleration magnitude is far from 1 g (not an accelerometer in g)."""
    step = max(1, blocks.shape[0] // 5000)
    mag = np.sqrt((blocks[::step].astype(np.float64) ** 2).sum(axis=1))
    med = float(np.median(mag))
    if not 0.5 <= med <= 2.0:
        raise InputError(
            src, "x,y,z columns", f"the median acceleration magnitude is {med:.3g}, not about 1 (gravity in g)",
            "check that the file holds accelerometer samples; pass --units g|mg|m/s^2 if the unit is wrong",
        )


def grid_length(duration_s: float, *, fs_hz: float, source: str) -> int:
    """Number of working-grid samples for a recording spanning ``duration_s`` s at ``fs_hz`` Hz.

    The one place a time span becomes an allocation: refused (InputError) beyond
    :data:`lrm.io.plausibility.MAX_NIGHT_S`, so that no time value can size an array (readers leave
    time outliers out before, :func:`lrm.io.plausibility.screen_times`).

    >>> grid_length(3600.0, fs_hz=25.0, source="x.csv")
    90001
    """
    check_duration(duration_s, source=source)
    return int(np.floor(max(duration_s, 0.0) * fs_hz)) + 1


def find_gaps(t_s: npt.NDArray[np.float64], gap_s: float) -> npt.NDArray[np.float64]:
    """Gaps in ascending sample times: (k, 2) array of [last sample before, first sample after] in s.

    >>> find_gaps(np.array([0.0, 0.5, 1.0, 3.0, 3.5]), 1.0).tolist()
    [[1.0, 3.0]]
    """
    dt = np.diff(t_s)
    idx = np.flatnonzero(dt > gap_s)
    return np.column_stack((t_s[idx], t_s[idx + 1])).astype(np.float64).reshape(-1, 2)


def merge_intervals(intervals_s: npt.NDArray[np.float64], *, tol_s: float = 0.0) -> npt.NDArray[np.float64]:
    """The union of intervals (k, 2) in s, as disjoint intervals sorted by start: intervals that overlap or
    lie less than ``tol_s`` apart become one.

    A recorder's gap (link lost -> link back) and the hole it leaves between two sample times describe the
    same gap with slightly different ends; counting both doubled the gaps and their duration (issue 15).

    >>> merge_intervals(np.array([[10.0, 20.0], [0.0, 1.0], [10.0003, 20.0], [1.02, 2.0]]), tol_s=0.03).tolist()
    [[0.0, 2.0], [10.0, 20.0]]
    """
    iv = np.asarray(intervals_s, dtype=np.float64).reshape(-1, 2)
    if iv.shape[0] < 2:
        return iv.copy()
    iv = iv[np.argsort(iv[:, 0], kind="stable")]
    reach = np.maximum.accumulate(iv[:, 1])                  # furthest end so far
    starts_new = np.r_[True, iv[1:, 0] > reach[:-1] + tol_s]
    group = np.cumsum(starts_new) - 1
    ends = np.full(int(group[-1]) + 1, -np.inf)
    np.maximum.at(ends, group, iv[:, 1])
    return np.column_stack((iv[starts_new, 0], ends))


def _intervals_in_gaps(t: npt.NDArray[np.float64], gap_at: npt.NDArray[np.intp],
                       known: list[tuple[float, float]]) -> npt.NDArray[np.intp]:
    """Indices of the sample intervals that are gaps: longer than the threshold, or within a gap the source
    knew about (a few samples lost on a live BLE link)."""
    if not known:
        return gap_at
    known_abs = np.asarray(known, dtype=np.float64)
    lo = np.searchsorted(t, known_abs[:, 0], side="right") - 1     # last sample at or before the gap
    hi = np.searchsorted(t, known_abs[:, 1], side="left")          # first sample at or after it
    inside = [np.arange(max(a, 0), min(b, t.size - 1)) for a, b in zip(lo.tolist(), hi.tolist()) if b > a]
    return np.unique(np.concatenate([gap_at, *inside])).astype(np.intp)


def sample_rate_hz(t_s: npt.NDArray[np.float64], gap_at: npt.NDArray[np.intp], *, default_hz: float) -> float:
    """Samples per second of recorded time (Hz): sample intervals over their duration, the gaps (intervals
    ``gap_at``, longer than the gap threshold) left out of both.

    This is the rate of the samples in the file: a leg at 52 Hz with gaps reads 52 Hz, not more.

    >>> t = np.r_[np.arange(0, 10, 0.02), np.arange(20, 30, 0.02)]
    >>> round(sample_rate_hz(t, np.flatnonzero(np.diff(t) > 1.0), default_hz=1.0), 6)
    50.0
    """
    n_intervals = t_s.shape[0] - 1 - gap_at.shape[0]
    gap_time = float((t_s[gap_at + 1] - t_s[gap_at]).sum()) if gap_at.size else 0.0
    covered_s = float(t_s[-1] - t_s[0]) - gap_time if t_s.shape[0] > 1 else 0.0
    return n_intervals / covered_s if n_intervals > 0 and covered_s > 0 else float(default_hz)


def interval_mask(n: int, fs_hz: float, start_s: FloatArray, end_s: FloatArray) -> npt.NDArray[np.bool_]:
    """Boolean mask (n,) of grid samples ``i / fs_hz`` lying in any [start_s, end_s] interval.

    >>> interval_mask(6, 1.0, np.array([1.0]), np.array([2.5])).tolist()
    [False, True, True, False, False, False]
    """
    start = np.clip(np.ceil(np.asarray(start_s) * fs_hz).astype(np.int64), 0, n)
    end = np.clip(np.floor(np.asarray(end_s) * fs_hz).astype(np.int64) + 1, 0, n)
    keep = end > start
    if np.count_nonzero(keep) <= _FEW_INTERVALS:  # a night's few gaps: fill their slices, no pass over all n
        mask = np.zeros(n, bool)
        for a, b in zip(start[keep].tolist(), end[keep].tolist(), strict=True):
            mask[a:b] = True
        return mask
    delta = np.zeros(n + 1, np.int32)
    np.add.at(delta, start[keep], 1)
    np.add.at(delta, end[keep], -1)
    return np.cumsum(delta[:-1]) > 0
