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

Sensors without a device clock (WitMotion, Thingy:52: no timestamp, no counter) get a *sample-index*
clock per connection from :func:`estimate_arrival_losses`: notification ``i`` carries samples up to index
``last_i + lost_i``, where ``lost_i`` (notifications lost before it, in samples) is read from the steps of
the arrivals' lower envelope. That index clock then goes through :func:`fit_clock` like a device clock
(one forced segment per connection, the night's drift shared), so lost notifications neither bend the
drift nor shift later samples, and show up as gaps of the right length.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["ClockModel", "ClockSegment", "fit_clock", "estimate_arrival_losses", "ARRIVAL_TIMING_NOTE"]


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


ARRIVAL_TIMING_NOTE = (
    "no device clock: sample times come from host arrival times (lower envelope of the arrivals per "
    "connection; late by the minimum BLE latency, typically 1-10 ms; lost notifications are counted from "
    "steps of that envelope, and the samples of the one or two notifications next to a loss may be placed "
    "one notification period early or late)"
)


def estimate_arrival_losses(arrival_s: npt.ArrayLike, counts: npt.ArrayLike, rate_hz: float, *,
                            block_s: float = 1.0, min_block: int = 16, median_blocks: int = 9,
                            margin: float = 0.25, tail: int = 8) -> npt.NDArray[np.int64]:
    """Samples lost before each notification of one connection of a sensor without a device clock.

    Notification ``i`` carries ``counts[i]`` samples, the last of which is sample ``cumsum(counts)[i] - 1 +
    lost[i]`` of the sensor's stream (counted from the connection's first notification; ``lost[0] == 0``).
    It arrived at ``arrival_s[i]`` (host s), never before that sample was taken. With
    ``r = arrival_s - (cumsum(counts) - 1) / rate_hz``, ``r = z + lost * period + latency`` where ``z`` is
    the time of sample 0 on a line drifting with the sensor's crystal and ``latency >= 0`` (it may well
    exceed a sample period: connection interval, coalesced notifications, host stalls).

    Vectorised, in three steps (PROTOCOLS.md §A5.5-A5.6: arrival times only, lower envelope):

    1. ``z`` from the floors of blocks of ``block_s`` s (at least ``min_block`` notifications), each
       block's minimum ``r``: losses move it by whole periods, drift by far less than half a period per
       block (0.1 ms at 100 ppm), so the floor modulo a period is a slowly turning phase; its running
       circular mean over ``median_blocks`` blocks is unwrapped, each block's floor is placed within half
       a period of it, and a running median drops blocks that had no on-time arrival;
    2. each notification's level ``floor((r - z) / period + margin)``;
    3. ``lost`` = the running minimum of the levels from the end: an arrival is never early, so a
       notification cannot be past more losses than any later one is. This also undoes held-up arrivals
       (host stalls, bursts) of any length. The last ``tail`` notifications have too few later arrivals
       to confirm a loss: they keep the level before them (a loss there merges into the gap that follows).

    The count is exact while ``z`` is within ``margin`` periods of the true floor. The notifications right
    before a loss that arrived later than ``1 - margin`` periods are ambiguous and placed after it (their
    samples one period early per lost sample); the timing error otherwise is the minimum BLE latency.

    >>> rate = 50.0
    >>> k = np.r_[np.arange(0, 300), np.arange(301, 600)]           # sample 300 was lost
    >>> lat = np.random.default_rng(1).uniform(0, 0.03, k.size)        # up to 1.5 periods late
    >>> lost = estimate_arrival_losses(1000.0 + k / rate + lat, np.ones(k.size, int), rate)
    >>> int(lost[0]), int(lost[-1]), int(np.abs(lost - (k - np.arange(k.size))).sum()) <= 3
    (0, 1, True)
    """
    a = np.asarray(arrival_s, dtype=np.float64)
    n = np.asarray(counts, dtype=np.int64)
    if a.shape != n.shape or a.ndim != 1:
        raise ValueError("arrival_s and counts must be 1-D arrays of the same length")
    if not rate_hz > 0:
        raise ValueError(f"rate_hz must be > 0, got {rate_hz}")
    size = len(a)
    if size < 2:
        return np.zeros(size, dtype=np.int64)
    period = 1.0 / rate_hz
    r = a - (np.cumsum(n) - 1) * period
    block = max(min_block, int(round(block_s / (max(float(n.mean()), 1.0) * period))))
    n_blocks = -(-size // block)
    padded = np.full(n_blocks * block, np.inf)
    padded[:size] = r
    anchors = np.argmin(padded.reshape(n_blocks, block), axis=1) + np.arange(n_blocks) * block
    floor = r[anchors]
    # losses move the floor by whole periods, drift by far less than half a period per block: the floor
    # modulo a period is a smooth phase (its running circular mean is unwrapped safely); each block's own
    # floor is then taken within half a period of that phase, and a running median drops blocks whose
    # minimum was not an on-time arrival
    phase = np.exp(2j * np.pi * floor / period)
    half = min(median_blocks // 2, (n_blocks - 1) // 2)
    smooth = np.convolve(np.pad(phase, half, mode="edge"), np.ones(2 * half + 1), mode="valid")
    z_smooth = np.unwrap(np.angle(smooth)) * period / (2 * np.pi)
    z_smooth += period * np.rint((floor[0] - z_smooth[0]) / period)      # the phase near the absolute floor
    offset = floor - z_smooth
    z_blocks = z_smooth + offset - period * np.rint(offset / period)
    if half:
        z_blocks = np.median(np.lib.stride_tricks.sliding_window_view(np.pad(z_blocks, half, mode="edge"),
                                                                      2 * half + 1), axis=1)
    z = np.interp(np.arange(size), anchors, z_blocks)
    q = (r - z) / period
    level = np.floor(q + margin).astype(np.int64)
    lost = np.minimum.accumulate(level[::-1])[::-1]
    if size > tail:                     # too few later arrivals to tell a loss from late arrivals
        lost[-tail:] = lost[-tail - 1]
    return lost - lost[0]
