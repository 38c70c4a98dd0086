"""Split acceleration into gravity (the leg's resting orientation) and the dynamic part movements produce.

Gravity comes from the per-second mean acceleration with an edge-preserving running median (window
``window_s``, default 41 s: movement must fill less than half the window, and in a dense PLM series it
holds several LMs; see ``PrepareParams.gravity_window_s`` for the choice from the longest CLMs, docs/scoring.md §1.2):

* A centred median ignores excursions shorter than half its window, so during a leg movement (a 0.5-10 s
  excursion of the shank's angle that returns to where it was, docs/scoring.md §6) gravity stays at the resting
  orientation and the whole excursion, tonic hold included, shows in the dynamic part; the LM's offset is
  where the leg is back at rest, not where a short filter stops following it.
* A lasting change (roll-over, lying down, standing up: docs/scoring.md §5) would leak into the dynamic part for
  half a window. So near one, where the median of the window before a second and the median of the window
  after it differ by more than ``step_g``, gravity is whichever of the two lies closer to that second's
  mean: the orientation switches at the change itself, within a second.

Working on 1 s means keeps this cheap (a night is ~30,000 seconds). Each second's estimate uses samples up
to ``window_s`` before and after it (:func:`gravity_reach_s`), which a streaming detector must buffer. A second
estimate of the same night over other valid seconds (the resting vector, :func:`lrm.signal.leg.leg_signals`)
recomputes the median only where its window changed (:func:`gravity_and_median_1s`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from numpy.lib.stride_tricks import as_strided
from scipy.ndimage import median_filter

__all__ = ["split_gravity", "per_second_mean", "estimate_gravity_1s", "gravity_and_median_1s", "CentredMedian",
           "gravity_on_grid", "remove_gravity", "dynamic_magnitude", "gravity_reach_s"]

STEP_G = 0.05
"""Difference (g) between the orientation before and after a second that marks a lasting change (~3 deg)."""


def gravity_reach_s(window_s: float) -> float:
    """How far (s) before and after a second the gravity estimate looks: one window each way.

    >>> gravity_reach_s(21.0)
    21.0
    """
    return float(max(1, int(round(window_s)) | 1))


def per_second_mean(accel_g: npt.NDArray[np.float32], valid: npt.NDArray[np.bool_], *, fs_hz: float
                    ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.bool_]]:
    """Mean acceleration (s, 3) in g over each whole second, and whether that second is fully valid.

    ``fs_hz`` must be a whole number of samples per second (the working grid, e.g. 25 Hz).

    >>> a = np.arange(12, dtype=np.float32).reshape(4, 3)
    >>> per_second_mean(a, np.ones(4, bool), fs_hz=2.0)[0].tolist()
    [[1.5, 2.5, 3.5], [7.5, 8.5, 9.5]]
    """
    k = int(round(fs_hz))
    if abs(k - fs_hz) > 1e-9 or k < 1:
        raise ValueError(f"fs_hz must be a whole number of Hz, got {fs_hz}")
    s = accel_g.shape[0] // k
    g = np.einsum("skc->sc", np.asarray(accel_g[: s * k], dtype=np.float32).reshape(s, k, 3))  # no BLAS threads
    g *= np.float32(1.0 / k)
    ok = valid[: s * k].reshape(s, k).all(axis=1)
    return g, ok


def split_gravity(accel_g: npt.NDArray[np.float32], valid: npt.NDArray[np.bool_], *, fs_hz: float,
                  window_s: float = 41.0, step_g: float = STEP_G
                  ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Gravity per second (s, 3) in g and the dynamic acceleration (n, 3) in g on the grid.

    Parameters
    ----------
    accel_g : ndarray (n, 3)
        Acceleration in g on a uniform grid (gravity included).
    valid : ndarray of bool (n,)
        False in gaps; those seconds are bridged from their neighbours for the median only.
    fs_hz : float
        Grid rate in Hz, a whole number (keyword-only).
    window_s : float
        Length in s of the running medians (odd number of seconds; even values are rounded up).
    step_g : float
        Before/after difference in g above which a lasting orientation change is assumed.

    Returns
    -------
    gravity_1s : ndarray (s, 3)
        Resting orientation per second (second ``j`` covers [j, j + 1) s).
    dynamic_g : ndarray (n, 3)
        ``accel_g`` minus gravity interpolated to the grid.

    Examples
    --------
    An 8 s excursion of 0.2 g stays whole in the dynamic part; a lasting step does not, even 2 s after it:

    >>> a = np.zeros((900, 3), np.float32); a[:, 2] = 1; a[200:280, 0] = 0.2; a[600:, 1] = 0.5
    >>> g, d = split_gravity(a, np.ones(900, bool), fs_hz=10.0, window_s=21)
    >>> round(float(d[205, 0]), 3), round(float(d[275, 0]), 3), abs(round(float(d[620, 1]), 3))
    (0.2, 0.2, 0.0)
    """
    gravity = estimate_gravity_1s(*per_second_mean(accel_g, valid, fs_hz=fs_hz), window_s=window_s, step_g=step_g)
    return gravity, remove_gravity(accel_g, gravity, fs_hz=fs_hz)


def estimate_gravity_1s(mean_1s: npt.NDArray[np.float32], ok_1s: npt.NDArray[np.bool_], *, window_s: float = 41.0,
                        step_g: float = STEP_G) -> npt.NDArray[np.float32]:
    """Gravity per second (s, 3) in g from the per-second means (s, 3) in g and their validity (s,).

    Invalid seconds are bridged from their valid neighbours for the median only (``mean_1s`` is not
    changed); ``window_s`` and ``step_g`` as in :func:`split_gravity`.
    """
    return gravity_and_median_1s(mean_1s, ok_1s, window_s=window_s, step_g=step_g)[0]


@dataclass(frozen=True, slots=True, eq=False)
class CentredMedian:
    """What a gravity estimate's running median was taken over and its result, for another estimate of the same
    night (:func:`gravity_and_median_1s`'s ``like``): ``mean_1s``, the per-second means (s, 3) in g (the caller's
    array, not a copy, and not to be changed); ``ok_1s``, the seconds (s,) taken as they are (the others bridged
    from them); ``centred``, the centred running median (s, 3) in g over ``width`` (odd) seconds, edges repeated.
    The bridged means themselves are not kept (their memory): they are recomputed where needed."""

    mean_1s: npt.NDArray[np.float32]
    ok_1s: npt.NDArray[np.bool_]
    centred: npt.NDArray[np.float32]
    width: int


def gravity_and_median_1s(mean_1s: npt.NDArray[np.float32], ok_1s: npt.NDArray[np.bool_], *, window_s: float = 41.0,
                          step_g: float = STEP_G, like: CentredMedian | None = None
                          ) -> tuple[npt.NDArray[np.float32], CentredMedian]:
    """:func:`estimate_gravity_1s` (gravity per second (s, 3) in g) and its running median (:class:`CentredMedian`).

    ``like``: the same night's median over means that differ in some seconds only (the gravity estimate, when the
    resting vector is estimated from the means with each movement's seconds bridged, :func:`lrm.signal.leg.leg_signals`).
    Only the seconds whose window holds a bridged value that differs from ``like``'s are then computed anew (about a
    third of an 8 h PLMD night's seconds); the others are ``like``'s. A median selects one value of its window, so the result is the
    same, bit for bit, as without ``like`` (:func:`_median_near`; tested).
    """
    w = max(1, int(round(window_s)) | 1)
    if mean_1s.shape[0] == 0:
        return mean_1s.copy(), CentredMedian(mean_1s, ok_1s.copy(), mean_1s.copy(), w)
    g1 = _bridged(mean_1s, ok_1s)
    changed = _changed_seconds(g1, like) if like is not None and like.width == w else None
    centred = _running_median(g1, w) if changed is None else _median_near(g1, w, like.centred, changed)
    gravity = _edge_preserving_median(g1, centred.copy(), w, step_g)
    return gravity, CentredMedian(mean_1s, ok_1s.copy(), centred, w)


def _bridged(mean_1s: npt.NDArray[np.float32], ok_1s: npt.NDArray[np.bool_]) -> npt.NDArray[np.float32]:
    """``mean_1s`` (s, 3) in g with the seconds not ``ok_1s`` linearly interpolated from the valid ones.

    Only those seconds are interpolated: ``np.interp`` at a valid second returns its own value (x equal to a
    sample point gives that point's value, exactly), which the float32 copy already holds.
    """
    if ok_1s.all() or not ok_1s.any():
        return mean_1s
    good = np.flatnonzero(ok_1s)
    bad = np.flatnonzero(~ok_1s)
    out = np.array(mean_1s, dtype=np.float32)
    for k in range(3):
        out[bad, k] = np.interp(bad, good, mean_1s[good, k])
    return out


def _changed_seconds(g1: npt.NDArray[np.float32], like: CentredMedian) -> npt.NDArray[np.bool_] | None:
    """Seconds (s,) where the bridged means ``g1`` differ from ``like``'s (its means bridged over its own valid
    seconds, recomputed here), or None when ``like`` cannot be used: another length, or values whose median is not
    one bit pattern whatever the window's order (non-finite, -0.0)."""
    if like.mean_1s.shape != g1.shape or like.ok_1s.shape[0] != g1.shape[0]:
        return None
    old = _bridged(like.mean_1s, like.ok_1s)
    if not (_selects_alike(g1) and _selects_alike(old)):
        return None
    return (g1 != old).any(axis=1)


def _selects_alike(x: npt.NDArray[np.float32]) -> bool:
    """Whether a window of these values has one median bit pattern whatever the window's order: every value
    finite and none -0.0 (equal finite floats other than +-0 have one bit pattern; NaN compares with nothing)."""
    return bool(np.isfinite(x.sum(dtype=np.float64))) and not (np.signbit(x) & (x == 0)).any()


def _median_near(g1: npt.NDArray[np.float32], w: int, centred: npt.NDArray[np.float32],
                 changed: npt.NDArray[np.bool_]) -> npt.NDArray[np.float32]:
    """``_running_median(g1, w)`` from ``centred``, the running median of an array that differs from ``g1`` in
    the ``changed`` seconds only: the seconds within ``w // 2`` of a changed one are computed anew, on the
    concatenation of their windows' rows (each run of such seconds with ``w // 2`` rows either side, edge rows
    repeated as in mode "nearest"), so that every recomputed second's window is the same rows as in the whole
    night's median."""
    h = w // 2
    s = g1.shape[0]
    if not changed.any():
        return centred.copy()
    count = np.concatenate(([0], np.cumsum(changed, dtype=np.int32)))   # count[j]: changed seconds before j
    idx = np.arange(s)
    near = count[np.minimum(idx + h + 1, s)] > count[np.maximum(idx - h, 0)]   # a changed second in the window
    edges = np.flatnonzero(np.diff(np.concatenate(([False], near, [False])).astype(np.int8)))
    a, b = edges[::2], edges[1::2]                            # runs [a, b) of such seconds
    lens = (b - a) + 2 * h
    if lens.sum() >= s:                                       # most of the night: one whole median is cheaper
        return _running_median(g1, w)
    starts = np.cumsum(lens) - lens
    rows = np.repeat(a - h - starts, lens) + np.arange(int(lens.sum()))
    part = _running_median(g1[np.clip(rows, 0, s - 1)], w)
    out = centred.copy()
    at = np.flatnonzero(near)                                 # second j of run r is row starts[r] + h + j - a[r]
    out[at] = part[at + np.repeat(starts + h - a, b - a)]
    return out


def gravity_on_grid(gravity_1s: npt.NDArray[np.float32], n: int, *, fs_hz: float) -> npt.NDArray[np.float32]:
    """Per-second gravity (s, 3) in g, linearly interpolated to ``n`` grid samples at ``fs_hz`` (whole Hz).

    Second ``j``'s value sits at its centre, ``j + 0.5`` s; before the first and after the last centre the
    edge value holds (as ``np.interp``). The interpolation weights repeat every second, so this is a few
    float32 passes with a per-second pattern, and a window that starts on a whole second gets the same
    values as the whole night (the online detector relies on that).

    >>> gravity_on_grid(np.array([[0, 0, 1], [0, 0, 2]], np.float32), 5, fs_hz=2.0)[:, 2].tolist()
    [1.0, 1.0, 1.5, 2.0, 2.0]
    """
    out = np.empty((n, 3), np.float32)
    if gravity_1s.shape[0] == 0 or n == 0:
        out[:] = 0.0
        return out
    for c, col in _grid_columns(gravity_1s, n, int(round(fs_hz))):
        out[:, c] = col
    return out


def remove_gravity(accel_g: npt.NDArray[np.float32], gravity_1s: npt.NDArray[np.float32], *, fs_hz: float
                   ) -> npt.NDArray[np.float32]:
    """Dynamic acceleration (n, 3) in g: ``accel_g - gravity_on_grid(gravity_1s, n, fs_hz=fs_hz)`` in one pass."""
    n = accel_g.shape[0]
    if gravity_1s.shape[0] == 0 or n == 0:
        return np.zeros_like(accel_g)
    out = np.empty((n, 3), np.float32)
    for c, col in _grid_columns(gravity_1s, n, int(round(fs_hz))):
        np.subtract(accel_g[:, c], col, out=out[:, c])
    return out


def dynamic_magnitude(accel_g: npt.NDArray[np.float32], gravity_1s: npt.NDArray[np.float32], *, fs_hz: float
                      ) -> npt.NDArray[np.float32]:
    """Magnitude (n,) in g of the dynamic acceleration, ``|accel_g - gravity on the grid|``, one axis at a time.

    Equals ``np.linalg.norm(remove_gravity(accel_g, gravity_1s, fs_hz=fs_hz), axis=1)`` (float32) without the
    (n, 3) intermediate: the envelope is all the detector needs.

    >>> a = np.tile(np.float32([0.3, 0.4, 1.0]), (4, 1))
    >>> dynamic_magnitude(a, np.float32([[0, 0, 1], [0, 0, 1]]), fs_hz=2.0).round(3).tolist()
    [0.5, 0.5, 0.5, 0.5]
    """
    n = accel_g.shape[0]
    if gravity_1s.shape[0] == 0 or n == 0:
        return np.zeros(n, np.float32)
    sq = np.zeros(n, np.float32)
    for c, col in _grid_columns(gravity_1s, n, int(round(fs_hz))):
        d = np.subtract(accel_g[:, c], col)
        d *= d
        sq += d
    return np.sqrt(sq, out=sq)


def _grid_columns(gravity_1s: npt.NDArray[np.float32], n: int, k: int, *, reuse: bool = False):  # noqa: ANN202
    """Yield (axis, gravity of that axis on the n grid samples), per axis. ``reuse``: every axis is written into
    the same (n,) array, which the caller may overwrite (it must be done with an axis before taking the next).

    The interpolation runs on a (k, seconds) array, each of its k rows one position within the second along
    the whole night (long inner loops), and is transposed to the grid's (seconds, k) order once at the end:
    ~5x faster than the same arithmetic on (seconds, k) rows of k = 25 samples, whose short inner loops cost
    more than the additions (14 ms against 3 ms for the three axes of an 8 h night at 25 Hz); every value is
    the same float32 product and sum as before.
    """
    s = gravity_1s.shape[0]
    n_sec = -(-n // k)
    idx = np.clip(np.arange(-1, n_sec + 1), 0, s - 1)
    gp = np.ascontiguousarray(gravity_1s.astype(np.float32, copy=False)[idx].T)   # gp[:, j + 1] is second j
    h = (k + 1) // 2                                            # samples before the second's centre
    r = np.arange(k, dtype=np.float64) / k
    frac = np.concatenate((r[:h] + 0.5, r[h:] - 0.5)).astype(np.float32)[:, None]
    step = np.diff(gp, axis=1)                                  # step[:, j] = gp[:, j + 1] - gp[:, j]
    rows = np.empty((k, n_sec), np.float32)                     # rows[i, j]: sample i of second j
    col = np.empty((n_sec, k), np.float32) if reuse else None
    for c in range(3):
        g = gp[c]
        np.multiply(frac[:h], step[c, None, :-1], out=rows[:h])     # from second j - 1 towards j
        rows[:h] += g[None, :-2]
        np.multiply(frac[h:], step[c, None, 1:], out=rows[h:])      # from second j towards j + 1
        rows[h:] += g[None, 1:-1]
        if not reuse:
            col = np.empty((n_sec, k), np.float32)
        np.copyto(col, rows.T)
        yield c, col.reshape(-1)[:n]


_MEDIAN_CHUNK = 4096
"""Seconds per partition in :func:`_running_median`: the windows' copy (3 x 4096 x 41 float32, 2 MiB) stays in
the cache instead of one (3, s, w) copy of the whole night (14 MiB for 8 h); same values, same speed."""


_MEDIAN_SCIPY_ROWS = 512
"""Rows from which :func:`_running_median` uses scipy's 1-D median filter (below, the partition is faster)."""


def _running_median(g1: npt.NDArray[np.float32], w: int) -> npt.NDArray[np.float32]:
    """Centred running median over ``w`` (odd) rows per column, edges repeated (scipy's mode="nearest").

    A whole night's seconds (at least :data:`_MEDIAN_SCIPY_ROWS` rows): ``scipy.ndimage.median_filter`` on each
    contiguous column, whose 1-D path (scipy >= 1.15) keeps the window sorted in two heaps, O(log w) per second:
    5 ms against 13 ms for an 8 h night's (28800, 3) at w = 41 (on the 2-D array, without the 1-D path, it took
    64 ms). Fewer rows: a partition over a strided window view, a block of seconds at a time; the window view
    is built with ``as_strided`` directly: this runs ~300 times a night on a few seconds
    (:func:`lrm.signal.envelope.estimate_rest_error_1s`), where scipy's per-call cost (~40 us a column) and
    ``sliding_window_view``'s checks cost more than the partition. A median selects one of the window's
    values, so both give the same numbers.

    >>> _running_median(np.array([[0], [9], [1], [2], [8]], np.float32), 3)[:, 0].tolist()
    [0.0, 1.0, 2.0, 2.0, 8.0]
    """
    h = w // 2
    s, k = g1.shape
    if s >= _MEDIAN_SCIPY_ROWS:
        out = np.empty((s, k), np.float32)
        for c, col in enumerate(np.ascontiguousarray(g1.T)):
            out[:, c] = median_filter(col, size=w, mode="nearest")
        return out
    padded = np.concatenate((np.repeat(g1[:1], h, axis=0), g1, np.repeat(g1[-1:], h, axis=0)))
    columns = np.ascontiguousarray(padded.T)          # (k, s + w - 1): each window reads contiguous memory
    item = columns.strides[1]
    win = as_strided(columns, shape=(k, s, w), strides=(columns.strides[0], item, item), writeable=False)
    out = np.empty((s, k), np.float32)
    chunk = max(1, min(s, _MEDIAN_CHUNK))
    buf = np.empty((k, chunk, w), columns.dtype)      # windows of one block of seconds, partitioned in place
    for a in range(0, s, chunk):
        b = min(a + chunk, s)
        blk = buf[:, : b - a]
        np.copyto(blk, win[:, a:b])
        blk.partition(h, axis=-1)
        out[a:b] = blk[:, :, h].T
    return out


def _sum3(x: npt.NDArray[np.floating]) -> npt.NDArray[np.floating]:
    """``x.sum(axis=1)`` of an (s, 3) array: the same additions in the same order, ``(x + y) + z``, without
    numpy's reduction over a 3-long axis (0.04 ms against 0.58 ms for an 8 h night's (28800, 3)).

    >>> _sum3(np.float32([[1, 2, 3], [4, 5, 6]])).tolist()
    [6.0, 15.0]
    """
    return (x[:, 0] + x[:, 1]) + x[:, 2]


def _edge_preserving_median(g1: npt.NDArray[np.float32], centred: npt.NDArray[np.float32], w: int,
                            step_g: float) -> npt.NDArray[np.float32]:
    """The centred running median ``centred`` (s, 3) of ``g1`` over width ``w``, switched to the one-sided median
    near lasting steps (in place; returned).

    Near a step the estimate is whichever of the medians before, around and after the second lies closest to
    its mean: with several lasting changes within one window (restless wake: a roll-over, then another a
    few seconds later) both one-sided medians may straddle a different change, while the centred one still
    holds the orientation the leg rests in between them."""
    h = w // 2
    before = _shifted(centred, -h)                          # median of [j - w + 1, j]
    after = _shifted(centred, h)                            # median of [j, j + w - 1]
    step = np.flatnonzero(np.sqrt(_sum3((before - after) ** 2)) > step_g)
    if not step.size:
        return centred
    # only the seconds near a step (a few hundred a night) are chosen anew; the rest keep the centred median
    g, c, before, after = g1[step], centred[step], before[step], after[step]
    d_before = _sum3((g - before) ** 2)
    d_after = _sum3((g - after) ** 2)
    d_centred = _sum3((g - c) ** 2)
    side = np.where((d_before <= d_after)[:, None], before, after)
    side = np.where((d_centred < np.minimum(d_before, d_after))[:, None], c, side)
    centred[step] = side
    return centred


def _shifted(x: npt.NDArray[np.float32], k: int) -> npt.NDArray[np.float32]:
    """``x[clip(j + k, 0, s - 1)]`` for every row j of ``x`` (s, 3): two slices instead of a gather (a new array).

    >>> x = np.float32([[0], [1], [2]])
    >>> _shifted(x, 2)[:, 0].tolist(), _shifted(x, -1)[:, 0].tolist()
    ([2.0, 2.0, 2.0], [0.0, 0.0, 1.0])
    """
    s = x.shape[0]
    out = np.empty_like(x)
    m = min(abs(k), s)
    if k >= 0:
        out[: s - m] = x[m:]
        out[s - m :] = x[s - 1]
    else:
        out[m:] = x[: s - m]
        out[:m] = x[0]
    return out
