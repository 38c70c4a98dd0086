"""Split acceleration into gravity (the leg's resting orientation) and the dynamic part movements produce.

Gravity is the centred running median, over ``window_s`` seconds, of the per-second mean acceleration.
A median ignores excursions shorter than half its window, so during a leg movement (a 0.5-10 s excursion of
the shank's angle, SCORING.md §6) gravity stays at the resting orientation and the whole excursion, hold
included, shows in the dynamic part; after a lasting change (roll-over) it switches to the new orientation
within half a window. Working on 1 s means keeps this cheap (a night is ~30,000 seconds).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy.ndimage import median_filter

__all__ = ["split_gravity", "per_second_mean"]


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
    g = accel_g[: s * k].reshape(s, k * 3) @ np.tile(np.eye(3, dtype=np.float32) / k, (k, 1))
    ok = valid[: s * k].reshape(s, k).all(axis=1)
    return g.astype(np.float32), ok


def split_gravity(accel_g: npt.NDArray[np.float32], valid: npt.NDArray[np.bool_], *, fs_hz: float,
                  window_s: float = 21.0) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
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
        Length in s of the centred running median (odd number of seconds).

    Returns
    -------
    gravity_1s : ndarray (s, 3)
        Resting orientation per second (second ``j`` covers [j, j + 1) s).
    dynamic_g : ndarray (n, 3)
        ``accel_g`` minus gravity interpolated to the grid.

    Examples
    --------
    A 3 s excursion of 0.2 g stays whole in the dynamic part; a lasting step does not:

    >>> a = np.zeros((600, 3), np.float32); a[:, 2] = 1; a[200:230, 0] = 0.2; a[400:, 1] = 0.5
    >>> g, d = split_gravity(a, np.ones(600, bool), fs_hz=10.0, window_s=11)
    >>> round(float(d[215, 0]), 3), abs(round(float(d[500, 1]), 3))
    (0.2, 0.0)
    """
    g1, ok1 = per_second_mean(accel_g, valid, fs_hz=fs_hz)
    if g1.shape[0] == 0:
        return g1, np.zeros_like(accel_g)
    if not ok1.all() and ok1.any():
        good = np.flatnonzero(ok1)
        idx = np.arange(g1.shape[0])
        for k in range(3):
            g1[:, k] = np.interp(idx, good, g1[good, k])
    w = max(1, int(round(window_s)) | 1)
    gravity = median_filter(g1, size=(w, 1), mode="nearest")
    centres = np.arange(gravity.shape[0], dtype=np.float64) + 0.5
    t = np.arange(accel_g.shape[0], dtype=np.float64) / fs_hz
    dynamic = np.empty_like(accel_g)
    for k in range(3):
        dynamic[:, k] = accel_g[:, k] - np.interp(t, centres, gravity[:, k]).astype(np.float32)
    return gravity, dynamic
