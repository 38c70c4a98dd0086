"""Clock model per sensor: device time -> host time, with the drift estimated over the whole night.

Each notification gives one point: the device time of its last sample and the host wall-clock time it
arrived. Arrival is always *later* than the sample (radio latency, connection interval, host scheduling
only add delay), so the true relation is the *lower envelope* of the points (PROTOCOLS.md §A5.6). The
model::

    host_s = device_s + offset_j + slope * (device_s - ref_j)       for device-clock segment j

``slope`` (the crystal error, shared by the whole night: host s per device s minus 1) is a Theil-Sen fit
through per-window minima of ``host - device``; each segment's ``offset_j`` is the median of its window
minima. A new segment starts where the device clock jumps relative to the host (a reboot or counter
reset), detected on running minima so that late arrivals never split the night; callers may
also force segments (e.g. one per connection for sensors without a clock).

A 20 ppm crystal drifts 0.58 s in 8 h; two legs corrected this way line up to the difference of their
minimum latencies (a few ms).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["ClockModel", "ClockSegment", "fit_clock"]


@dataclass(frozen=True, slots=True)
class ClockSegment:
    """One stretch of continuous device clock: ``device_s`` in [start_s, end_s] maps with ``offset_s``."""

    start_s: float
    end_s: float
    ref_s: float
    offset_s: float
    n_points: int


@dataclass(frozen=True, slots=True)
class ClockModel:
    """Device -> host time mapping of one sensor over one night (see the module docstring).

    Attributes
    ----------
    slope : float
        Host seconds per device second minus 1 (``-20e-6`` for a device clock 20 ppm fast).
    segments : tuple of ClockSegment
    """

    slope: float
    segments: tuple[ClockSegment, ...]

    @property
    def drift_ppm(self) -> float:
        """Device clock error in ppm (positive: the device clock runs fast)."""
        return float(-self.slope / (1.0 + self.slope) * 1e6)

    @property
    def offset_s(self) -> float:
        """Host minus device time at the start of the first segment, in s."""
        return self.segments[0].offset_s if self.segments else 0.0

    def to_host(self, device_s: npt.ArrayLike, segment: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Host time (s) of device times ``device_s`` (s) in segments ``segment`` (indices into ``segments``)."""
        dev = np.asarray(device_s, dtype=np.float64)
        seg = np.asarray(segment, dtype=np.int64)
        ref = np.array([s.ref_s for s in self.segments])[seg]
        off = np.array([s.offset_s for s in self.segments])[seg]
        return dev + off + self.slope * (dev - ref)


def _running_min(x: npt.NDArray[np.float64], k: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Minimum of the (up to) k values before index i (``before``) and of the k from i on (``after``)."""
    n = len(x)
    pad = np.concatenate([np.full(k, np.inf), x, np.full(k, np.inf)])
    win = np.lib.stride_tricks.sliding_window_view(pad, k).min(axis=1)   # win[j] = min(pad[j:j+k])
    return win[np.arange(n)], win[np.arange(n) + k]


def segment_points(device_s: npt.ArrayLike, host_s: npt.ArrayLike, *, break_s: float = 1.0,
                   window: int = 64) -> npt.NDArray[np.int64]:
    """Segment index of every point: a new segment where the device clock jumps against the host.

    A jump is a step of ``host - device`` by more than ``break_s`` from one point to the next that also
    separates the running minima over the ``window`` points before and after (arrivals are only ever
    late, so minima ignore late arrivals and catch-up bursts), or device time going backwards.

    >>> dev = np.r_[np.arange(0, 20.0), np.arange(100, 120.0)]
    >>> host = np.arange(40.0) + 1000
    >>> segment_points(dev, host).tolist() == [0] * 20 + [1] * 20
    True
    """
    dev = np.asarray(device_s, dtype=np.float64)
    host = np.asarray(host_s, dtype=np.float64)
    if len(dev) < 2:
        return np.zeros(len(dev), dtype=np.int64)
    r = host - dev
    before, after = _running_min(r, window)
    step = (np.abs(after - before) > break_s) & (np.abs(np.r_[0.0, np.diff(r)]) > break_s)
    step[0] = False
    step[1:] |= np.diff(dev) < -break_s
    starts = step
    return np.cumsum(starts).astype(np.int64)


def fit_clock(device_s: npt.ArrayLike, host_s: npt.ArrayLike, *, segments: npt.ArrayLike | None = None,
              window_s: float = 60.0, break_s: float = 1.0) -> tuple[ClockModel, npt.NDArray[np.int64]]:
    """Fit the clock model to (device time, host arrival time) points, in s.

    Parameters
    ----------
    device_s, host_s : array (n,)
        Device time of a packet's last sample and the host time it arrived.
    segments : array (n,) of int, optional
        Forced segment labels (non-decreasing); automatic jump detection is applied within each.
    window_s : float
        Device seconds per lower-envelope window.
    break_s : float
        Device-vs-host jump in s that starts a new segment.

    Returns
    -------
    (ClockModel, segment index of every point)

    >>> dev = np.arange(0, 3600.0, 0.5)
    >>> host = 1.7e9 + dev * (1 - 30e-6) + 0.01 + np.random.default_rng(0).exponential(0.02, dev.size)
    >>> model, seg = fit_clock(dev, host)
    >>> round(model.drift_ppm), bool(abs(model.to_host(1800.0, 0) - (1.7e9 + 1800 * (1 - 30e-6) + 0.01)) < 0.005)
    (30, True)
    """
    dev = np.asarray(device_s, dtype=np.float64)
    host = np.asarray(host_s, dtype=np.float64)
    if dev.shape != host.shape or dev.ndim != 1:
        raise ValueError("device_s and host_s must be 1-D arrays of the same length")
    if not len(dev):
        return ClockModel(0.0, ()), np.zeros(0, dtype=np.int64)
    forced = np.zeros(len(dev), dtype=np.int64) if segments is None else np.asarray(segments, dtype=np.int64)
    seg = np.zeros(len(dev), dtype=np.int64)
    next_id = 0
    for label in np.unique(forced):
        idx = np.flatnonzero(forced == label)
        sub = segment_points(dev[idx], host[idx], break_s=break_s)
        seg[idx] = sub + next_id
        next_id += int(sub.max()) + 1
    r = host - dev
    # lower envelope: per segment and device-time window, the point with the smallest host - device
    env_seg, env_dev, env_r = [], [], []
    for j in range(next_id):
        idx = np.flatnonzero(seg == j)
        win = np.floor((dev[idx] - dev[idx].min()) / window_s).astype(np.int64)
        order = np.lexsort((r[idx], win))
        first = np.r_[True, win[order][1:] != win[order][:-1]]
        pick = idx[order[first]]
        env_seg.append(np.full(len(pick), j))
        env_dev.append(dev[pick])
        env_r.append(r[pick])
    slope = _common_slope(env_dev, env_r)
    out = []
    for j in range(next_id):
        ref = float(env_dev[j].min()) if len(env_dev[j]) else 0.0
        idx = np.flatnonzero(seg == j)
        ref = float(dev[idx].min())
        offset = float(np.median(env_r[j] - slope * (env_dev[j] - ref)))
        out.append(ClockSegment(float(dev[idx].min()), float(dev[idx].max()), ref, offset, int(len(idx))))
    return ClockModel(float(slope), tuple(out)), seg


def _theil_sen(d: npt.NDArray[np.float64], r: npt.NDArray[np.float64], max_points: int = 800) -> float:
    """Median of pairwise slopes (Theil-Sen), on at most ``max_points`` evenly spaced points."""
    if len(d) > max_points:
        pick = np.linspace(0, len(d) - 1, max_points).astype(np.int64)
        d, r = d[pick], r[pick]
    i, j = np.triu_indices(len(d), 1)
    dd = d[j] - d[i]
    ok = dd != 0
    return float(np.median((r[j] - r[i])[ok] / dd[ok])) if ok.any() else 0.0


def _common_slope(env_dev: list[npt.NDArray[np.float64]], env_r: list[npt.NDArray[np.float64]]) -> float:
    """Span-weighted median of per-segment Theil-Sen slopes of the envelope (0 if no segment is long enough)."""
    slopes, weights = [], []
    for d, r in zip(env_dev, env_r, strict=True):
        if len(d) >= 3 and np.ptp(d) > 0:
            slopes.append(_theil_sen(d, r))
            weights.append(np.ptp(d))
    if not slopes:
        return 0.0
    order = np.argsort(slopes)
    cum = np.cumsum(np.asarray(weights)[order])
    return float(np.asarray(slopes)[order][np.searchsorted(cum, cum[-1] / 2.0)])
