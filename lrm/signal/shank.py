"""The shank's posture during a suggested immobilization test (SIT): in the test posture, or not.

The SIT posture is sitting up in bed, back supported, legs outstretched (Montplaisir 1998): both shanks
near horizontal. An ankle sensor measures gravity in its own axes, so it sees the shank's **elevation**
above horizontal once the shank's long axis is known in sensor axes, and any **turn** of the leg (or of
the sensor on it) from the orientation it had at the start of the test. What it cannot see: the trunk.
Sitting upright and lying flat put the outstretched shank at the same angle, so from the ankle alone a
person who slides down to lying is still "in posture" (say so in every output: docs/sit.md §3).

The long axis comes from a **calibration**: standing still, the shank is vertical, so the mean gravity
direction over a still standing stretch is the tibia axis (docs/scoring.md §5: standing puts gravity
along the tibia). Without it only turns from the starting orientation are checked.

Thresholds and why:

* ``max_elevation_deg`` 30: outstretched legs on a mattress keep the shank within ~10-15 deg of horizontal
  (a knee pillow or a soft mattress add a few degrees); drawing the knees up raises it past 30-45 deg,
  feet on the floor or standing to 70-90 deg (lrm.params.PostureParams allows 60 deg for a night in bed,
  where knees-up sleeping counts as lying; the SIT asks for outstretched legs).
* ``max_turn_deg`` 30: a leg movement turns the shank by a few to ~20 deg and returns within 0.5-10 s
  (docs/scoring.md §6); rolling onto a side turns the leg by 60-110 deg and lasts. The orientation is a
  ``median_s`` (5 s) running median of the 1 s means, which flattens the brief excursions further.
* ``min_break_s`` 12: a leg movement lasts up to 10 s as a candidate LM (WASM 2016) and a triple flexion
  can raise the shank past 30 deg for all of it; with the 5 s median's 2 s reach, any excursion up to
  12 s may be a movement and is scored as one. Getting up, drawing the knees up to sit differently or
  rolling over last longer.
* ``settle_s`` 10 and ``still_deg_per_s`` 3: settled = 10 s in which the orientation changes by < 3 deg
  per second (a still leg: ~0.1 deg/s of sensor noise; any voluntary movement: tens of deg/s).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import ndimage

from lrm.signal.detect import runs

__all__ = ["ShankParams", "PostureBreak", "orientation_1s", "tibia_axis", "elevation_deg", "turn_deg",
           "settled", "find_settled_start", "find_posture_breaks"]

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True)
class ShankParams:
    """Posture-check thresholds (see the module docstring for the reasons)."""

    max_elevation_deg: float = 30.0
    max_turn_deg: float = 30.0
    min_break_s: int = 12
    settle_s: int = 10
    still_deg_per_s: float = 3.0
    median_s: int = 5


@dataclass(frozen=True, slots=True)
class PostureBreak:
    """One leg out of the test posture over seconds [start_s, end_s) of the orientation series.

    ``cause``: ``"shank raised"`` (elevation above the limit: knees drawn up, feet down, standing) or
    ``"leg turned"`` (the leg or the sensor on it turned from the test orientation: rolled onto a side,
    the strap slipped, the sensor was taken off). ``ended``: False when the leg never settled back.
    """

    start_s: int
    end_s: int
    cause: str
    ended: bool


def _unit(v: npt.ArrayLike) -> FloatArray:
    v = np.asarray(v, dtype=np.float64)
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def orientation_1s(mean_1s: npt.ArrayLike, ok_1s: npt.ArrayLike, *, median_s: int = 5) -> FloatArray:
    """Gravity direction per second (s, 3) as unit vectors in sensor axes; NaN rows where ``ok_1s`` is False.

    ``mean_1s`` (s, 3) is the mean acceleration of each second in g (gravity included, e.g.
    :func:`lrm.signal.gravity.per_second_mean`); a ``median_s`` s running median per axis removes brief
    movements before normalising.

    >>> orientation_1s(np.tile([0.0, 0.0, 2.0], (4, 1)), np.ones(4, bool)).tolist()[0]
    [0.0, 0.0, 1.0]
    """
    g = np.asarray(mean_1s, dtype=np.float64).reshape(-1, 3)
    ok = np.asarray(ok_1s, dtype=bool).reshape(-1)
    if g.shape[0] != ok.size:
        raise ValueError(f"mean_1s has {g.shape[0]} seconds but ok_1s has {ok.size}")
    if median_s > 1 and ok.any():
        filled = g.copy()
        idx = np.flatnonzero(ok)
        for axis in range(3):                                  # holes take the nearest valid second
            filled[:, axis] = np.interp(np.arange(ok.size), idx, g[idx, axis])
        g = ndimage.median_filter(filled, size=(int(median_s), 1), mode="nearest")
    out = _unit(g)
    out[~ok] = np.nan
    return out


def tibia_axis(orient_1s: npt.ArrayLike, upright_1s: npt.ArrayLike) -> FloatArray | None:
    """The shank's long axis in sensor axes: the mean gravity direction over the upright (standing) seconds.

    Returns None when no valid upright second is given.
    """
    o = np.asarray(orient_1s, dtype=np.float64)
    sel = np.asarray(upright_1s, dtype=bool) & np.isfinite(o).all(axis=1)
    if not sel.any():
        return None
    return _unit(o[sel].mean(axis=0))


def elevation_deg(orient_1s: npt.ArrayLike, axis: npt.ArrayLike | None) -> FloatArray:
    """Shank elevation above horizontal in deg (0 = horizontal, 90 = vertical); NaN without an axis.

    >>> elevation_deg([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]], [1.0, 0.0, 0.0]).round(1).tolist()
    [0.0, 90.0]
    """
    o = np.asarray(orient_1s, dtype=np.float64).reshape(-1, 3)
    if axis is None:
        return np.full(o.shape[0], np.nan)
    cos = np.abs(o @ _unit(axis))
    return np.degrees(np.arcsin(np.clip(cos, 0.0, 1.0)))


def turn_deg(orient_1s: npt.ArrayLike, reference: npt.ArrayLike) -> FloatArray:
    """Angle in deg between each second's gravity direction and ``reference`` (a direction in sensor axes)."""
    o = np.asarray(orient_1s, dtype=np.float64).reshape(-1, 3)
    return np.degrees(np.arccos(np.clip(o @ _unit(reference), -1.0, 1.0)))


def settled(orient_1s: npt.ArrayLike, params: ShankParams = ShankParams()) -> npt.NDArray[np.bool_]:
    """True for each second that ends ``settle_s`` s in which the orientation moved < ``still_deg_per_s`` per s."""
    o = np.asarray(orient_1s, dtype=np.float64).reshape(-1, 3)
    step = np.full(o.shape[0], np.inf)
    if o.shape[0] > 1:
        step[1:] = np.degrees(np.arccos(np.clip((o[1:] * o[:-1]).sum(axis=1), -1.0, 1.0)))
    still = np.nan_to_num(step, nan=np.inf) < params.still_deg_per_s
    window = np.convolve(still.astype(np.int64), np.ones(params.settle_s, np.int64))[: o.shape[0]]
    return window >= params.settle_s


def _in_posture(orient: FloatArray, axis: FloatArray | None, reference: FloatArray, params: ShankParams
                ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    elev = elevation_deg(orient, axis)
    raised = elev > params.max_elevation_deg
    turned = turn_deg(orient, reference) > params.max_turn_deg
    return raised, turned


def find_settled_start(orient_1s: npt.ArrayLike, axis: npt.ArrayLike | None, *, from_s: int = 0,
                       params: ShankParams = ShankParams()) -> int | None:
    """The first second >= ``from_s`` at which the leg has been settled for ``settle_s`` s with the shank
    within ``max_elevation_deg`` of horizontal (any orientation when ``axis`` is None), or None."""
    o = np.asarray(orient_1s, dtype=np.float64).reshape(-1, 3)
    ok = settled(o, params)
    if axis is not None:
        ok &= ~(elevation_deg(o, axis) > params.max_elevation_deg)
    ok[:from_s] = False
    hit = np.flatnonzero(ok)
    return int(hit[0]) if hit.size else None


def find_posture_breaks(orient_1s: npt.ArrayLike, *, start_s: int, end_s: int, axis: npt.ArrayLike | None,
                        params: ShankParams = ShankParams()) -> list[PostureBreak]:
    """The stretches of seconds [start_s, end_s) in which one leg was out of the test posture.

    Parameters
    ----------
    orient_1s : ndarray (s, 3)
        :func:`orientation_1s` of the leg (NaN rows = no data; gaps are excluded separately).
    start_s, end_s : int
        The test's seconds. The leg's test orientation is its median over the first ``settle_s`` s.
    axis : ndarray (3,) or None
        Tibia axis from a standing calibration (:func:`tibia_axis`); None: turns only.
    params : ShankParams

    Returns
    -------
    list of PostureBreak
        A break starts where the shank rises above ``max_elevation_deg`` or turns more than
        ``max_turn_deg`` from the test orientation for at least ``min_break_s`` s, and ends once the leg is
        settled again back in the test posture: with an axis, any orientation with the shank near
        horizontal (the new settled orientation becomes the reference); without one, within
        ``max_turn_deg`` of the original orientation (nothing else can be checked).
    """
    o = np.asarray(orient_1s, dtype=np.float64).reshape(-1, 3)
    ax = None if axis is None else _unit(axis)
    end_s = min(int(end_s), o.shape[0])
    first = o[start_s: start_s + params.settle_s]
    first = first[np.isfinite(first).all(axis=1)]
    if first.size == 0:
        return []
    reference = _unit(np.median(first, axis=0))
    still = settled(o, params)
    out: list[PostureBreak] = []
    t = int(start_s)
    while t < end_s:                                       # one pass per break: few
        raised, turned = _in_posture(o[t:end_s], ax, reference, params)
        bad = runs(raised | turned)
        bad = bad[bad[:, 1] - bad[:, 0] >= params.min_break_s]
        if bad.shape[0] == 0:
            break
        b0 = t + int(bad[0, 0])
        cause = "shank raised" if raised[bad[0, 0]: bad[0, 1]].any() else "leg turned"
        back = still[b0:end_s].copy()
        if ax is not None:
            back &= ~(elevation_deg(o[b0:end_s], ax) > params.max_elevation_deg)
        else:
            back &= ~(turn_deg(o[b0:end_s], reference) > params.max_turn_deg)
        hit = np.flatnonzero(back)
        if hit.size == 0:
            out.append(PostureBreak(b0, end_s, cause, False))
            break
        b1 = b0 + int(hit[0])                              # the last second of the settled stretch
        out.append(PostureBreak(b0, max(b0 + params.min_break_s, b1 - params.settle_s + 1), cause, True))
        if ax is not None:
            reference = _unit(np.nanmedian(o[b1 - params.settle_s + 1: b1 + 1], axis=0))
        t = b1 + 1
    return out
