"""Posture per leg: lying vs upright from the shank's orientation; posture changes and walking.

docs/scoring.md §5: lying puts the shank near horizontal, so gravity lies across the tibia; standing or sitting
with the feet down puts gravity along it. The sensor may be strapped at any rotation, so the tibia's axis
in sensor coordinates is learnt from the night itself: while walking the shank is upright on average, so
the mean gravity direction over walking bouts is the tibia axis. Roll-overs turn the leg by ~20-120 deg
within 0.5-3 s and the new orientation lasts; they are labelled ``posture_change``, not LMs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from lrm.params import PostureParams
from lrm.signal.detect import runs

__all__ = ["Posture", "estimate_posture", "classify_movements", "WALK_ACTIVITY_G"]

WALK_ACTIVITY_G = 0.08
"""Mean envelope (g) over a second above which the leg is moving hard (gait swings the shank 15-30 deg)."""


@dataclass(frozen=True, slots=True, eq=False)
class Posture:
    """Per-second posture of one leg.

    lying : bool (s,), shank within ``lying_max_elevation_deg`` of horizontal.
    elevation_deg : float32 (s,), shank elevation above horizontal in deg (NaN if the axis is unknown).
    walking : bool (s,), sustained hard movement with the shank upright.
    axis : unit vector of the tibia in sensor axes, or None when no walking showed it.
    """

    lying: npt.NDArray[np.bool_]
    elevation_deg: npt.NDArray[np.float32]
    walking: npt.NDArray[np.bool_]
    axis: npt.NDArray[np.float64] | None


def _unit(v: npt.NDArray) -> npt.NDArray[np.float64]:
    v = np.asarray(v, dtype=np.float64)
    return v / np.maximum(np.linalg.norm(v, axis=-1, keepdims=True), 1e-9)


def estimate_posture(gravity_1s: npt.NDArray[np.float32], activity_1s: npt.NDArray[np.float32],
                     ok_1s: npt.NDArray[np.bool_], params: PostureParams = PostureParams()) -> Posture:
    """Lying/upright and walking per second from gravity (s, 3) in g and the mean envelope (s,) in g.

    Walking: runs of at least ``walk_min_s`` seconds of mean envelope above :data:`WALK_ACTIVITY_G`
    (holes of 1-2 s closed). The tibia axis is the mean gravity direction over those runs; without any
    (e.g. sensors put on in bed) the axis is unknown and every valid second counts as lying.
    """
    moving = (activity_1s > WALK_ACTIVITY_G) & ok_1s
    holes = runs(~moving)
    short = holes[(holes[:, 1] - holes[:, 0] <= 2) & (holes[:, 0] > 0)]
    for a, b in short:  # few
        moving[a:b] = True
    bouts = runs(moving)
    bouts = bouts[bouts[:, 1] - bouts[:, 0] >= params.walk_min_s]
    walking = np.zeros(moving.size, bool)
    for a, b in bouts:
        walking[a:b] = True
    unit = _unit(gravity_1s)
    axis = None
    if walking.sum() >= 10:
        axis = _unit(unit[walking].mean(axis=0))
    if axis is None:
        elevation = np.full(unit.shape[0], np.nan, np.float32)
        return Posture(np.ones(unit.shape[0], bool), elevation, walking, None)
    elevation = np.degrees(np.arcsin(np.clip(np.abs(np.einsum("ij,j->i", unit, axis.astype(unit.dtype))), 0, 1))).astype(np.float32)
    lying = elevation < params.lying_max_elevation_deg
    walking &= ~lying
    return Posture(lying, elevation, walking, axis)


def _orientation_change_deg(gravity_1s: npt.NDArray[np.float32], onset_s: npt.NDArray, offset_s: npt.NDArray,
                            lead_s: float) -> npt.NDArray[np.float64]:
    """Angle (deg) between the resting orientation ``lead_s`` before the onset and after the offset."""
    s = gravity_1s.shape[0]
    if s == 0 or onset_s.size == 0:
        return np.zeros(onset_s.size)
    before = np.clip(np.floor(onset_s - lead_s).astype(np.int64), 0, s - 1)
    after = np.clip(np.ceil(offset_s + lead_s).astype(np.int64), 0, s - 1)
    u = _unit(gravity_1s)
    cos = np.clip((u[before] * u[after]).sum(axis=1), -1.0, 1.0)
    return np.degrees(np.arccos(cos))


def classify_movements(moves: dict[str, pd.DataFrame], gravity_1s: dict[str, npt.NDArray[np.float32]],
                       posture: dict[str, Posture], params: PostureParams = PostureParams()) -> dict[str, pd.DataFrame]:
    """Label each leg's movements ``lm``, ``posture_change`` or ``walking`` (column ``type``).

    Adds ``angle_deg`` (lasting orientation change). A movement is a posture change when its leg's
    orientation stays turned by >= ``change_angle_deg`` and the other leg (when recorded and moving at the
    same time, +-1 s) turned by at least half that; or when one leg alone turns by twice that (an LM
    returns the leg to where it was). It is walking when it lasts >= ``walk_min_s``, lies mostly in the
    posture step's walking bouts and the shank is upright just before or just after it (an LM in bed
    starts and ends lying, however high it lifts the leg).
    """
    out: dict[str, pd.DataFrame] = {}
    angles = {side: _orientation_change_deg(gravity_1s[side], t["onset_s"].to_numpy(), t["offset_s"].to_numpy(),
                                            params.change_window_s) for side, t in moves.items()}
    for side, table in moves.items():
        t = table.copy()
        on, off = t["onset_s"].to_numpy(), t["offset_s"].to_numpy()
        ang = angles[side]
        other = [s for s in moves if s != side]
        both = np.zeros(len(t), bool)
        if other:
            o = moves[other[0]]
            o_on, o_off, o_ang = o["onset_s"].to_numpy(), o["offset_s"].to_numpy(), angles[other[0]]
            # for each movement, the largest angle among the other leg's overlapping movements
            j0 = np.searchsorted(o_off, on - 1.0)  # first other movement ending after on - 1
            j1 = np.searchsorted(o_on, off + 1.0)  # first other movement starting after off + 1
            for i in np.flatnonzero((j1 > j0) & (ang >= params.change_angle_deg)):
                both[i] = o_ang[j0[i] : j1[i]].max() >= 0.5 * params.change_angle_deg
        else:
            both[:] = True
        is_posture = ((ang >= params.change_angle_deg) & both) | (ang >= 2 * params.change_angle_deg)
        p = posture[side]
        sec_on = np.clip(on.astype(np.int64), 0, max(p.walking.size - 1, 0))
        sec_off = np.clip(np.ceil(off).astype(np.int64), 1, max(p.walking.size, 1))
        cum_walk = np.concatenate(([0], np.cumsum(p.walking)))
        walk_frac = (cum_walk[sec_off] - cum_walk[sec_on]) / np.maximum(sec_off - sec_on, 1)
        # walking: mostly inside the posture step's walking bouts (sustained hard movement, shank upright);
        # a long LM that raises the shank in bed is not walking
        before = np.clip(np.floor(on - params.change_window_s).astype(np.int64), 0, max(p.lying.size - 1, 0))
        after = np.clip(np.ceil(off + params.change_window_s).astype(np.int64), 0, max(p.lying.size - 1, 0))
        upright_around = ~p.lying[before] | ~p.lying[after] if p.lying.size else np.zeros(len(t), bool)
        is_walk = ((off - on) >= params.walk_min_s) & (walk_frac >= 0.5) & upright_around
        kind = np.where(is_walk, "walking", np.where(is_posture, "posture_change", "lm"))
        t["type"] = pd.array(kind, dtype="string")
        t["angle_deg"] = ang
        out[side] = t
    return out
