"""The sustained turn of the leg: R over a longer window (RL), for small tonic LMs.

docs/scoring.md §6: an LM turns the shank and holds the turn for most of its 0.5-10 s (PLMS 3-4 s, §2.4); the
gravity projection's shift lasts as long. R (``lrm.signal.envelope``) averages the deviation from the resting
vector over ``DetectParams.window_s`` (1 s): white noise of ``s`` per axis shrinks to ``s / sqrt(N)``. A turn held
for ``L`` > 1 s keeps all of its shift in a mean over ``L``, whose noise is ``sqrt(L / 1 s)`` times smaller: RL,
the magnitude of the ``long_window_s`` mean deviation from the same resting vector, sees a held turn
``sqrt(L)`` times smaller than R does, as long as

* the noise is what averages down (white noise; the night's measured null of RL takes over where it is not:
  breathing, sway, a slowly drifting leg), and
* the resting vector is good to better than that (its uncertainty near lasting changes is subtracted, as from R;
  the floor ``DetectParams.rest_precision_g`` applies to RL's offset threshold as to R's);
* quantisation toggles do not average out with time: RL's thresholds add the same ``sqrt(2)`` swings as R's.

RL is the mean of ``k = long_window_s / window_s`` adjacent ``window_s`` means (a box of ``k`` windows, exactly the
box of ``k w`` grid samples whose null ``lrm.signal.null.null_factors`` measures), so it costs one pass over the
window means the detector keeps anyway (vectorised, no new filtering of the raw samples).

Its edges are smeared by half of ``long_window_s``: the detector's edge correction moves an LM's onset and offset
by the ramp of the window whose statistic set them (``lrm.signal.detect``), so the WASM timing rules
(docs/scoring.md §1.2 steps 1-2) are applied to edges measured on the signal.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = ["long_means", "long_windows"]


def long_windows(window_s: float, long_window_s: float) -> int:
    """How many ``window_s`` windows RL's mean spans (``round(long_window_s / window_s)``, >= 1).

    >>> long_windows(1.0, 2.0), long_windows(1.0, 0.4)
    (2, 1)
    """
    return max(1, int(round(long_window_s / window_s))) if window_s > 0 else 1


def long_means(means_g: npt.NDArray[np.float32], *, fs_hz: float, window_s: float, long_window_s: float
               ) -> npt.NDArray[np.float32]:
    """The ``k``-window mean acceleration (n, 3) in g from the ``window_s`` means (n, 3) (``k`` by
    :func:`long_windows`): the mean of ``k`` adjacent window means, spaced one window apart around each sample
    (a box of ``k w`` samples, ``w = round(window_s * fs_hz)``), the ends repeated.

    >>> m = np.zeros((10, 3), np.float32); m[5:, 0] = 1.0
    >>> long_means(m, fs_hz=2.0, window_s=1.0, long_window_s=2.0)[:, 0].tolist()
    [0.0, 0.0, 0.0, 0.0, 0.5, 0.5, 1.0, 1.0, 1.0, 1.0]
    """
    n = means_g.shape[0]
    k = long_windows(window_s, long_window_s)
    if k <= 1 or n == 0:
        return np.array(means_g, np.float32, copy=True)
    w = max(1, int(round(window_s * fs_hz)))
    offsets = [j * w - ((k - 1) * w) // 2 for j in range(k)]
    out = np.zeros((n, 3), np.float32)
    idx = np.arange(n)
    for o in offsets:
        out += means_g[np.clip(idx + o, 0, n - 1)]
    out *= np.float32(1.0 / k)
    return out
