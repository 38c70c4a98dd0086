"""Leg-movement (LM) detection on one leg: the EMG onset/offset rule transposed to acceleration.

docs/scoring.md §1.2 step 1 (WASM 2016 / AASM): an LM starts where the signal rises above baseline + high
threshold (EMG: +8 uV) and ends at the start of the first >= 0.5 s stretch below baseline + low threshold
(EMG: +2 uV); because of this offset rule, same-leg bursts < 0.5 s apart are one LM. Step 5 (computer
scoring): an LM must contain a >= 0.5 s window whose median stays above the low threshold. Here the signal
is the movement envelope in g, the baseline the adaptive noise floor (``lrm.signal.envelope``); the
thresholds are in :class:`lrm.params.DetectParams`.

Everything is vectorised over the night (run-length encoding with numpy); only the morphology check
loops, over the detected events.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from lrm.params import DetectParams

__all__ = ["LM_COLUMNS", "thresholds", "find_lm_intervals", "detect_lms", "runs"]

LM_COLUMNS = ("onset_s", "offset_s", "side", "peak_g", "burst_s", "half_peak_s", "morphology_ok")


def runs(mask: npt.NDArray[np.bool_]) -> npt.NDArray[np.int64]:
    """Start/end (exclusive) sample indices (k, 2) of the runs of True in ``mask``.

    >>> runs(np.array([0, 1, 1, 0, 1], bool)).tolist()
    [[1, 3], [4, 5]]
    """
    edges = np.diff(np.concatenate(([0], mask.view(np.int8), [0])))
    return np.column_stack((np.flatnonzero(edges == 1), np.flatnonzero(edges == -1))).astype(np.int64)


def thresholds(floor_g: npt.NDArray[np.float32], params: DetectParams
               ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """High (onset) and low (offset) thresholds in g for a noise floor in g.

    threshold = floor + max(step_g, ratio * floor), the floor capped at ``max_floor_g`` (continuous
    movement: only movements well above it count).

    >>> hi, lo = thresholds(np.array([0.002, 0.05], np.float32), DetectParams())
    >>> [round(float(v), 4) for v in hi], [round(float(v), 4) for v in lo]
    ([0.014, 0.15], [0.006, 0.1])
    """
    floor = np.minimum(floor_g, np.float32(params.max_floor_g))
    hi = floor + np.maximum(np.float32(params.high_g), np.float32(params.high_floor_ratio) * floor)
    lo = floor + np.maximum(np.float32(params.low_g), np.float32(params.low_floor_ratio) * floor)
    return hi, lo


def find_lm_intervals(envelope_g: npt.NDArray[np.float32], floor_g: npt.NDArray[np.float32],
                      valid: npt.NDArray[np.bool_], *, fs_hz: float, params: DetectParams = DetectParams()
                      ) -> npt.NDArray[np.int64]:
    """Sample intervals [onset, offset) (k, 2) of the movements on one leg (before the morphology check).

    Parameters
    ----------
    envelope_g, floor_g : ndarray (n,)
        Movement envelope and noise floor in g on a uniform grid.
    valid : ndarray of bool (n,)
        False in gaps: such samples count as quiet and no movement spans them.
    fs_hz : float
        Grid rate in Hz.
    params : DetectParams
        Thresholds and the 0.5 s offset rule.

    Examples
    --------
    Two bursts 0.3 s apart are one movement; a third after 1 s of quiet is another:

    >>> env = np.zeros(60, np.float32); env[10:15] = env[18:25] = env[35:40] = 0.1
    >>> find_lm_intervals(env, np.zeros(60, np.float32), np.ones(60, bool), fs_hz=10.0).tolist()
    [[10, 25], [35, 40]]
    """
    hi, lo = thresholds(floor_g, params)
    return _intervals(envelope_g, hi, lo, valid, fs_hz=fs_hz, params=params)


def _intervals(envelope_g: npt.NDArray[np.float32], hi: npt.NDArray[np.float32], lo: npt.NDArray[np.float32],
               valid: npt.NDArray[np.bool_], *, fs_hz: float, params: DetectParams) -> npt.NDArray[np.int64]:
    """:func:`find_lm_intervals` with the thresholds (g) already computed."""
    above_hi = (envelope_g > hi) & valid
    quiet = ~((envelope_g > lo) & valid)
    n_quiet = max(1, int(round(params.min_quiet_s * fs_hz)))
    quiet_runs = runs(quiet)
    long_runs = quiet_runs[(quiet_runs[:, 1] - quiet_runs[:, 0]) >= n_quiet]
    # Active segments lie between consecutive long quiet runs (and the array ends).
    starts = np.concatenate(([0], long_runs[:, 1]))
    ends = np.concatenate((long_runs[:, 0], [envelope_g.size]))
    keep = ends > starts
    starts, ends = starts[keep], ends[keep]
    hi_idx = np.flatnonzero(above_hi)
    first = np.searchsorted(hi_idx, starts)
    has_hi = first < hi_idx.size
    onset = hi_idx[np.minimum(first, hi_idx.size - 1)] if hi_idx.size else ends
    lm = has_hi & (onset < ends)
    return np.column_stack((onset[lm], ends[lm])).astype(np.int64).reshape(-1, 2)


def detect_lms(envelope_g: npt.NDArray[np.float32], floor_g: npt.NDArray[np.float32], valid: npt.NDArray[np.bool_],
               *, fs_hz: float, side: str, params: DetectParams = DetectParams()) -> pd.DataFrame:
    """Detect the movements of one leg as a table with :data:`LM_COLUMNS`.

    Returns
    -------
    DataFrame
        ``onset_s``/``offset_s`` in s from the grid start; ``peak_g`` the envelope maximum in g;
        ``burst_s`` the time in s the envelope spent above the high threshold; ``half_peak_s`` the time
        in s it spent at or above half its peak (brief for a jerk: its EMG burst lasts 75-250 ms, so this
        is about the envelope's smoothing, while an LM's tonic hold keeps it up for most of the LM);
        ``morphology_ok`` whether a ``morph_window_s`` window has its median above the low threshold
        (docs/scoring.md §1.2 step 5). Every movement is listed; later steps label posture changes, walking
        and hypnic jerks, and the rules drop LMs < 0.5 s.

    Examples
    --------
    >>> env = np.zeros(100, np.float32); env[20:40] = 0.05; env[60:62] = 0.5
    >>> t = detect_lms(env, np.zeros(100, np.float32), np.ones(100, bool), fs_hz=10.0, side="left")
    >>> t[["onset_s", "offset_s", "morphology_ok"]].values.tolist()
    [[2.0, 4.0, True], [6.0, 6.2, False]]
    """
    hi, lo = thresholds(floor_g, params)
    intervals = _intervals(envelope_g, hi, lo, valid, fs_hz=fs_hz, params=params)
    k = intervals.shape[0]
    peak = np.zeros(k, np.float64)
    burst = np.zeros(k, np.float64)
    morph = np.zeros(k, bool)
    half = np.zeros(k, np.float64)
    if k:
        on, off = intervals[:, 0], intervals[:, 1]
        peak = _segment_max(envelope_g, on, off)
        # the movements' own samples only (a small part of the night): positions, and where each one starts
        idx, first = _interval_samples(on, off)
        env = envelope_g[idx]
        burst = _count_per_interval(env > hi[idx], first) / fs_hz
        half = _count_per_interval(env >= np.repeat(0.5 * peak, off - on), first) / fs_hz
        morph = _morphology(env - lo[idx], first, np.r_[first[1:], idx.size],
                            max(1, int(round(params.morph_window_s * fs_hz))))
    return pd.DataFrame({
        "onset_s": intervals[:, 0] / fs_hz,
        "offset_s": intervals[:, 1] / fs_hz,
        "side": pd.Series([side] * k, dtype="string"),
        "peak_g": peak,
        "burst_s": burst,
        "half_peak_s": half,
        "morphology_ok": morph,
    })


def _segment_max(values: npt.NDArray[np.float32], on: npt.NDArray[np.int64], off: npt.NDArray[np.int64]
                 ) -> npt.NDArray[np.float64]:
    """Maximum of ``values[on_i:off_i]`` for non-empty, non-overlapping ascending intervals."""
    bounds = np.column_stack((on, off)).ravel()
    if bounds[-1] == values.size:
        values = np.append(values, values[-1])
    return np.maximum.reduceat(values, bounds)[::2].astype(np.float64)


def _interval_samples(on: npt.NDArray[np.int64], off: npt.NDArray[np.int64]
                      ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Positions of the samples of the non-empty intervals ``[on_i, off_i)``, concatenated, and the index in
    that list where each interval starts."""
    lengths = off - on
    first = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    return np.repeat(on - first, lengths) + np.arange(lengths.sum()), first


def _count_per_interval(hit: npt.NDArray[np.bool_], first: npt.NDArray[np.int64]) -> npt.NDArray[np.float64]:
    """Number of True in each interval's part of ``hit`` (the concatenated samples; ``first`` as above)."""
    return np.add.reduceat(hit, first, dtype=np.int64).astype(np.float64)


def _morphology(excess: npt.NDArray[np.float32], on: npt.NDArray[np.int64], off: npt.NDArray[np.int64],
                window: int) -> npt.NDArray[np.bool_]:
    """Whether each interval holds a ``window``-sample stretch whose median excess is > 0.

    Vectorised over all windows of all intervals by counting positive samples: more than half positive
    means a positive median, fewer than half a non-positive one; only a tie (even ``window``, exactly half)
    needs the median itself, taken on those windows alone.

    >>> x = np.array([-1, 1, 1, -1, -3, 1, -2, -1, 1, 1, 1, 1], np.float32)
    >>> _morphology(x, np.array([0, 4, 8]), np.array([4, 8, 11]), 2).tolist()
    [True, False, True]
    """
    out = np.zeros(on.size, bool)
    n_win = np.maximum(off - on - window + 1, 0)
    if not n_win.any():
        return out
    event = np.repeat(np.arange(on.size), n_win)
    first = np.repeat(on - np.concatenate(([0], np.cumsum(n_win)[:-1])), n_win) + np.arange(n_win.sum())
    pos = np.concatenate(([0], np.cumsum(excess > 0, dtype=np.int64)))
    count = pos[first + window] - pos[first]
    ok = count > window // 2
    tie = np.flatnonzero(count * 2 == window)
    if tie.size:
        seg = excess[first[tie][:, None] + np.arange(window)]
        ok[tie] = np.median(seg, axis=1) > 0
    out[np.unique(event[ok])] = True
    return out
