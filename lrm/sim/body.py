"""Shank kinematics: from a leg's planned movements to the specific force at the sensor, in the shank frame.

Shank frame: x along the shank towards the foot, y lateral, z anterior. The shank's orientation is a
pitch ``beta`` (x below the horizontal: 0 lying, 90 deg standing) and a roll ``psi`` about its long axis
(0 supine toes up, +-90 deg on the side, 180 deg prone). An accelerometer at rest reads the reaction to
gravity, +1 g upwards, which in the shank frame is ``(-sin beta, sin psi cos beta, cos psi cos beta)``.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from lrm.sim.movements import render
from lrm.sim.plan import Component

__all__ = ["specific_force_g"]


def _wander(rng: np.random.Generator, t_s: np.ndarray, step_rad: float) -> np.ndarray:
    """Slow random-walk drift of an angle (muscles relaxing, the strap settling): a knot per minute."""
    knots_t = np.arange(t_s[0] - 60.0, t_s[-1] + 120.0, 60.0)
    knots = np.cumsum(rng.normal(0.0, step_rad, knots_t.size))
    return np.interp(t_s, knots_t, knots - knots[0])


def specific_force_g(
    t_s: np.ndarray,
    components: Iterable[Component],
    *,
    pitch0_rad: float,
    roll0_rad: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Specific force in g, float32 shape (3, n) (one row per shank axis), in the shank frame at true sample times ``t_s`` (s, ascending).

    Each component's waveform is rendered on its fine grid and linearly interpolated onto the samples
    inside its window; lasting orientation changes apply from the window's end on.
    """
    n = t_s.size
    pitch = np.full(n, pitch0_rad)
    roll = np.full(n, roll0_rad)
    lin = np.zeros((n, 3))
    steps = np.zeros((n + 1, 2))
    for comp in components:
        shape = render(comp.kind, comp.params)
        i0, i1 = np.searchsorted(t_s, [comp.onset_s, comp.onset_s + shape.t_s[-1]], side="left")
        if i1 > i0:
            local = t_s[i0:i1] - comp.onset_s
            pitch[i0:i1] += np.interp(local, shape.t_s, shape.pitch_rad)
            roll[i0:i1] += np.interp(local, shape.t_s, shape.roll_rad)
            for axis in range(3):
                lin[i0:i1, axis] += np.interp(local, shape.t_s, shape.lin_g[:, axis])
        steps[i1] += (shape.lasting_pitch_rad, shape.lasting_roll_rad)
    lasting = np.cumsum(steps[:-1], axis=0)
    pitch += lasting[:, 0] + _wander(rng, t_s, np.radians(0.15))
    roll += lasting[:, 1] + _wander(rng, t_s, np.radians(0.3))
    sp, cp, sr, cr = (np.asarray(f(a), dtype=np.float32) for f, a in ((np.sin, pitch), (np.cos, pitch), (np.sin, roll), (np.cos, roll)))
    lin = lin.astype(np.float32)
    force = np.empty((3, n), dtype=np.float32)
    force[0] = lin[:, 0] - sp
    force[1] = sr * cp + cr * lin[:, 1] + sr * lin[:, 2]
    force[2] = cr * cp - sr * lin[:, 1] + cr * lin[:, 2]
    return force
