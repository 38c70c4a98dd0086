"""Shank kinematics: from a leg's planned movements to the specific force at the sensor, in the shank frame.

Shank frame: x along the shank towards the foot, y lateral, z anterior. The shank's orientation is a
pitch ``beta`` (x below the horizontal: 0 lying, 90 deg standing) and a roll ``psi`` about its long axis
(0 supine toes up, +-90 deg on the side, 180 deg prone). An accelerometer at rest reads the reaction to
gravity, +1 g upwards, which in the shank frame is ``(-sin beta, sin psi cos beta, cos psi cos beta)``.

Two implementations of the same kinematics: :func:`specific_force_g` (the classic family, and the
simulated sitter: every movement's angles summed over the whole night, then sampled;
:func:`specific_force_peaks_g` adds the peaks) and :func:`leg_force_g` (the wide and hard families: the
resting pose over the night plus each movement's change from rest, computed on its own fine grid from
the pose it starts in, filtered by the sensor's low-pass and added where it happens; the memory stays a
few arrays of the night's length at any rate). Both return each movement's peak change (the truth's
``peak_g``, defined in :mod:`lrm.sim.truth`).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

import numpy as np

from lrm.sim.movements import FINE_HZ
from lrm.sim.plan import Component
from lrm.sim.shank import change_from_rest_g, peak_change_g, pose_after, render

__all__ = ["specific_force_g", "specific_force_peaks_g", "leg_force_g"]

Peaks = dict[tuple[int, str], float]


def _wander(rng: np.random.Generator, t_s: np.ndarray, step_rad: float) -> np.ndarray:
    """Slow random-walk drift of an angle (muscles relaxing, the strap settling): a knot per minute."""
    return np.interp(t_s, *_wander_knots(rng, t_s, step_rad))


def specific_force_g(
    t_s: np.ndarray,
    components: Iterable[Component],
    *,
    pitch0_rad: float,
    roll0_rad: float,
    rng: np.random.Generator,
) -> np.ndarray:
    """Specific force in g, float32 shape (3, n) (one row per shank axis), in the shank frame at true sample
    times ``t_s`` (s, ascending).

    Each component's waveform is rendered on its fine grid and linearly interpolated onto the samples
    inside its window; lasting orientation changes apply from the window's end on.
    """
    return _classic(t_s, list(components), pitch0_rad, roll0_rad, rng, with_peaks=False)[0]


def specific_force_peaks_g(
    t_s: np.ndarray,
    components: Iterable[Component],
    *,
    pitch0_rad: float,
    roll0_rad: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, Peaks]:
    """:func:`specific_force_g` and each component's peak change in g keyed by ``(movement_id, side)``,
    taken on the fine grid from the pose at the sample before the component (the shank frame: no gain)."""
    return _classic(t_s, list(components), pitch0_rad, roll0_rad, rng, with_peaks=True)


def _classic(t_s: np.ndarray, components: list[Component], pitch0_rad: float, roll0_rad: float,
             rng: np.random.Generator, *, with_peaks: bool) -> tuple[np.ndarray, Peaks]:
    n = t_s.size
    pitch = np.full(n, pitch0_rad)
    roll = np.full(n, roll0_rad)
    lin = np.zeros((n, 3))
    steps = np.zeros((n + 1, 2))
    for comp in components:
        shape = render(comp.shape or comp.kind, comp.params)
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
    peaks: Peaks = {}
    for comp in components if with_peaks else ():
        shape = render(comp.shape or comp.kind, comp.params)
        i = max(int(np.searchsorted(t_s, comp.onset_s, side="left")) - 1, 0)
        peaks[(comp.movement_id, comp.side)] = peak_change_g(change_from_rest_g(shape, float(pitch[i]), float(roll[i])))
    return force, peaks


def leg_force_g(
    t_s: np.ndarray,
    components: Iterable[Component],
    *,
    pitch0_rad: float,
    roll0_rad: float,
    rng: np.random.Generator,
    sos: np.ndarray | None = None,
    tail_s: float = 0.0,
    view: np.ndarray | None = None,
) -> tuple[np.ndarray, Peaks]:
    """Specific force in g, float32 (3, n), in the shank frame at true sample times ``t_s`` (s, ascending), and
    each component's peak change in g as the sensor sees it, keyed by ``(movement_id, side)``.

    The resting pose is the initial pose plus the lasting change of every movement from the end of its
    window, plus a slow wander. Each movement's change from rest is computed on its fine grid from the
    pose at its onset (:func:`lrm.sim.shank.change_from_rest_g`), low-passed by the sensor (``sos`` on
    the fine grid, from rest, over the window plus ``tail_s`` s) and interpolated onto the samples of
    its window; its peak is taken there through ``view`` (the sensor's mounting times its gains).
    """
    knots = (_wander_knots(rng, t_s, np.radians(0.15)), _wander_knots(rng, t_s, np.radians(0.3)))
    windows, steps, peaks = _movements(sorted(components, key=lambda c: c.onset_s), (pitch0_rad, roll0_rad), knots,
                                       sos, tail_s, view)
    force = _resting_force(t_s, (pitch0_rad, roll0_rad), steps, knots)
    fine_dt = 1.0 / FINE_HZ
    for comp, delta in windows:  # each movement's change from rest where it happens
        i0, i1 = np.searchsorted(t_s, [comp.onset_s, comp.onset_s + (delta.shape[0] - 1) * fine_dt])
        if i1 > i0:
            local = t_s[i0:i1] - comp.onset_s
            grid = np.arange(delta.shape[0]) * fine_dt
            for axis in range(3):
                force[axis, i0:i1] += np.interp(local, grid, delta[:, axis]).astype(np.float32)
    return force, peaks


Knots = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def _movements(comps: list[Component], pose0: tuple[float, float], knots: Knots, sos: np.ndarray | None,
               tail_s: float, view: np.ndarray | None) -> tuple[list, list[tuple[float, float, float]], Peaks]:
    """Each movement's change from rest (float32 on its fine grid), the lasting pose changes (time, d pitch,
    d roll) and the peaks, in onset order: a movement starts from the pose left by those that ended before it."""
    pending: list[tuple[float, int, float, float]] = []  # (window end, order, d pitch, d roll), a heap
    done_p = done_r = 0.0
    windows, steps, peaks = [], [], {}
    for k, comp in enumerate(comps):
        while pending and pending[0][0] <= comp.onset_s:
            _, _, dp, dr = heapq.heappop(pending)
            done_p, done_r = done_p + dp, done_r + dr
        p0 = pose0[0] + done_p + float(np.interp(comp.onset_s, *knots[0]))
        r0 = pose0[1] + done_r + float(np.interp(comp.onset_s, *knots[1]))
        shape = render(comp.shape or comp.kind, comp.params)
        delta = change_from_rest_g(shape, p0, r0, sos, tail_s)
        peaks[(comp.movement_id, comp.side)] = peak_change_g(delta, view)
        p1, r1 = pose_after(shape, p0, r0)
        if p1 != p0 or r1 != r0:
            end = comp.onset_s + shape.t_s[-1] + (tail_s if sos is not None else 0.0)
            heapq.heappush(pending, (end, k, p1 - p0, r1 - r0))
            steps.append((end, p1 - p0, r1 - r0))
        windows.append((comp, delta.astype(np.float32)))
    return windows, steps, peaks


def _resting_force(t_s: np.ndarray, pose0: tuple[float, float], steps: list[tuple[float, float, float]],
                   knots: Knots) -> np.ndarray:
    """Specific force (3, n) float32 of the shank at rest: the start pose, the lasting changes, the wander."""
    pitch = _resting(t_s, pose0[0], [(e, dp) for e, dp, _ in steps], knots[0])
    roll = _resting(t_s, pose0[1], [(e, dr) for e, _, dr in steps], knots[1])
    force = np.empty((3, t_s.size), dtype=np.float32)
    cp = np.cos(pitch, dtype=np.float32)
    force[0] = -np.sin(pitch, dtype=np.float32)
    del pitch
    force[1] = np.sin(roll, dtype=np.float32) * cp
    force[2] = np.cos(roll, dtype=np.float32) * cp
    return force


def _wander_knots(rng: np.random.Generator, t_s: np.ndarray, step_rad: float) -> tuple[np.ndarray, np.ndarray]:
    """Knots (times, angles) of the slow random-walk wander of an angle (a knot per minute)."""
    knots_t = np.arange(t_s[0] - 60.0, t_s[-1] + 120.0, 60.0)
    knots = np.cumsum(rng.normal(0.0, step_rad, knots_t.size))
    return knots_t, knots - knots[0]


def _resting(t_s: np.ndarray, start_rad: float, steps: list[tuple[float, float]],
             knots: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    """Resting angle (float32, n) at the samples: the start, each lasting change from its time, the wander."""
    out = np.interp(t_s, *knots).astype(np.float32)
    out += np.float32(start_rad)
    if steps:
        steps = sorted(steps)
        at = np.searchsorted(t_s, [e for e, _ in steps])
        level = np.cumsum([d for _, d in steps])
        for a, b, v in zip(at, [*at[1:], t_s.size], level):
            out[a:b] += np.float32(v)
    return out
