"""A physical model of the shank during leg movements and hypnic jerks (the wide and hard night families).

Frames and pose (as in :mod:`lrm.sim.body`): the shank frame has x along the shank towards the foot, y
lateral, z anterior. A resting pose is the shank's elevation ``pitch`` (x below the horizontal) and its
``roll`` about the long axis; the accelerometer at rest reads the reaction to gravity, +1 g upwards,
``(-sin pitch, sin roll cos pitch, cos roll cos pitch)`` in the shank frame.

A movement here is a rotation of the shank **in its own frame** (a ``Shape`` with ``local=True``):
flexion ``theta`` about the shank's lateral axis y (knee and hip flexion, or the shank tipping about the
heel) and axial rotation ``phi`` about its long axis x (the hip rotation that comes with flexion). The
sensor then reads ``R(t)^T g0 + a(t)`` with ``R = R_y(theta) R_x(phi)``, ``g0`` the resting reading and
``a`` the sensor point's own acceleration: a point at signed distance ``r`` from the pivot along the
shank (r > 0: the pivot is proximal, knee or hip; r < 0: distal, the heel resting on the mattress) has the
tangential acceleration ``-r theta''`` along z and the centripetal ``-r theta'^2`` along x. So the
same flexion shifts the gravity projection by ``2 sin(theta / 2)`` g times the share of gravity
perpendicular to y when the leg lies on its back (about ``theta`` in rad: 5 deg -> 87 mg), and by nothing
when the leg lies on its side (y vertical): then only the dynamic part is seen (docs/scoring.md §5, posture
from gravity; §6, "a pure ankle rotation barely moves a sensor mounted above the talocrural joint").

Leg geometry (Winter, *Biomechanics and Motor Control of Human Movement*, 4th ed. 2009, segment lengths
as fractions of the body height H = 1.5-1.9 m: shank 0.246 H, thigh 0.245 H, ankle height 0.039 H): a
strap just above the malleoli sits 0.06-0.15 m from the heel's contact, 0.28-0.42 m below the knee and
0.6-0.9 m from the hip. These are the pivot radii drawn in :mod:`lrm.sim.plan_wide`.

The movement classes (docs/scoring.md §6: an LM is ankle dorsiflexion, with or without knee and hip flexion,
"from simple dorsiflexion of toe and foot to triple flexion"; Smith 1985: tonic/clonic in ~75 %):

* ``lm_rotation`` (rotation-dominant): a minimum-jerk flexion over a rise of 0.3-1.5 s, a tonic hold that
  creeps by up to +-15 % with optional clonic modulation (1-4 Hz), a release of 0.3-2 s, and in half of
  them a small lasting change (up to 10 % of the flexion, at most 3 deg: the leg settles near, not
  exactly where, it lay). Its peak change is mostly the gravity shift.
* ``lm_twitch`` (acceleration-dominant): a run of quick out-and-back flexion pulses of 80-300 ms, less
  than 0.5 s apart over the LM's duration, around a small tonic offset: large tangential acceleration,
  little net rotation (a jerky, clonic flick of the foot transmitted to the shank). LMs that an ankle
  sensor cannot see at all (isometric contraction: Terrill 2013, §4, 39 % of EMG LMs without toe
  movement) are not simulated: no accelerometer can count them, and the validation measures what it can.
* ``lm_tremor`` (tremor-like): a train of flexion bursts at 1-4 Hz over a tonic offset inside a
  raised-cosine envelope (HFT 1-2 bursts/s, AASM HFT trains 0.3-4 Hz, ALMA 1-2 Hz: docs/scoring.md §3.2), with
  gaps between bursts below 0.5 s, so that the EMG sees one LM (WASM offset rule, §1.2 step 1).
* ``jerk`` (hypnic jerk, §3.1): an EMG burst of 75-250 ms moves the leg in one brief pulse, followed by a
  strap and soft-tissue ring-down at 5-20 Hz. Variants: a flexion pulse; a biphasic pulse (flexion then
  a rebound); an axial jolt (the body jerks along the bed: translation along the shank, little rotation);
  a pulse that leaves the leg 0.5-3 deg from where it lay.

Every renderer takes an ``amp`` parameter (rad, or m for the axial jolt) that scales the movement; the
planner solves it for a target peak with :func:`scale_to_peak`. The peak is defined in
:mod:`lrm.sim.truth` (maximum of ``|a(t) - a_rest|`` over the movement) and computed by
:func:`peak_change_g`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import numpy as np
from scipy import signal

from lrm.sim.movements import FINE_HZ, KINDS, G, Shape, _grid, _min_jerk, _rotation_lin_g

__all__ = ["SHANK_KINDS", "render", "JERK_VARIANTS", "rest_force_g", "window_force_g", "change_from_rest_g",
           "peak_change_g", "scale_to_peak", "sensor_lowpass", "settle_s", "pose_after"]

JERK_VARIANTS = ("flexion", "biphasic", "axial", "shift")
MAX_LM_LASTING_RAD = np.radians(3.0)  # an LM leaves the leg within a few degrees of where it lay


# --- physics helpers ---------------------------------------------------------------------------------
def rest_force_g(pitch_rad: float, roll_rad: float) -> np.ndarray:
    """The resting reading (3,) in g of a shank at ``pitch_rad`` elevation and ``roll_rad`` roll."""
    return np.array([-np.sin(pitch_rad), np.sin(roll_rad) * np.cos(pitch_rad), np.cos(roll_rad) * np.cos(pitch_rad)])


def _world_force_g(pitch: np.ndarray, roll: np.ndarray, lin: np.ndarray) -> np.ndarray:
    """Specific force (n, 3) in g for world-frame pitch/roll (rad) and linear acceleration (n, 3) in g."""
    sp, cp, sr, cr = np.sin(pitch), np.cos(pitch), np.sin(roll), np.cos(roll)
    return np.column_stack([lin[:, 0] - sp, sr * cp + cr * lin[:, 1] + sr * lin[:, 2],
                            cr * cp - sr * lin[:, 1] + cr * lin[:, 2]])


def _local_gravity_g(g0: np.ndarray, theta: np.ndarray, phi: np.ndarray) -> np.ndarray:
    """``R^T g0`` (n, 3) with ``R = R_y(theta) R_x(phi)``: the resting reading seen by the rotated shank."""
    ct, st, cf, sf = np.cos(theta), np.sin(theta), np.cos(phi), np.sin(phi)
    u = np.column_stack([ct * g0[0] - st * g0[2], np.full_like(theta, g0[1]), st * g0[0] + ct * g0[2]])  # R_y^T g0
    return np.column_stack([u[:, 0], cf * u[:, 1] + sf * u[:, 2], -sf * u[:, 1] + cf * u[:, 2]])       # R_x^T u


def window_force_g(shape: Shape, pitch0_rad: float, roll0_rad: float) -> np.ndarray:
    """Noise-free specific force (n, 3) in g in the shank frame on the shape's fine grid, from the pose
    (``pitch0_rad``, ``roll0_rad``) the shank rests in when the movement starts."""
    if shape.local:
        return _local_gravity_g(rest_force_g(pitch0_rad, roll0_rad), shape.pitch_rad, shape.roll_rad) + shape.lin_g
    return _world_force_g(pitch0_rad + shape.pitch_rad, roll0_rad + shape.roll_rad, shape.lin_g)


def sensor_lowpass(fs_hz: float, bandwidth_hz: float | None) -> np.ndarray | None:
    """Second-order sections (on the 400 Hz fine grid) of the sensor's anti-alias low-pass, or None.

    MEMS accelerometers low-pass their output at a corner tied to the output data rate: ODR/2 or ODR/4 in
    the LSM6DSL, BMI160 and LIS2DH12 datasheets. Modelled as a causal 2nd-order Butterworth.
    """
    if bandwidth_hz is None:
        return None
    if not 0.0 < bandwidth_hz < FINE_HZ / 2 or bandwidth_hz > fs_hz:
        raise ValueError(f"bandwidth_hz must lie in (0, min({fs_hz:g}, {FINE_HZ / 2:g})) Hz, got {bandwidth_hz:g}")
    return signal.butter(2, bandwidth_hz, fs=FINE_HZ, output="sos")


def settle_s(bandwidth_hz: float | None) -> float:
    """Time (s) the low-pass needs after a movement to settle within ~1 %: 1.5 / corner (0 without a filter)."""
    return 0.0 if bandwidth_hz is None else 1.5 / bandwidth_hz


def change_from_rest_g(shape: Shape, pitch0_rad: float, roll0_rad: float,
                       sos: np.ndarray | None = None, tail_s: float = 0.0) -> np.ndarray:
    """``a(t) - a_rest`` (n, 3) in g on the fine grid: the movement's change of the reading from rest.

    With ``sos`` (the sensor's low-pass) the change is filtered causally from rest, over the shape's grid
    extended by ``tail_s`` seconds in which the shank holds its final pose (the filter's settling).
    """
    delta = window_force_g(shape, pitch0_rad, roll0_rad) - rest_force_g(pitch0_rad, roll0_rad)
    if sos is None:
        return delta
    n_tail = int(np.ceil(tail_s * FINE_HZ))
    if n_tail:
        delta = np.vstack([delta, np.repeat(delta[-1:] - shape.lin_g[-1:], n_tail, axis=0)])
    return signal.sosfilt(sos, delta, axis=0)


def peak_change_g(delta_g: np.ndarray, view: np.ndarray | None = None) -> float:
    """Largest ``|a(t) - a_rest|`` in g of a change (n, 3) in the shank frame, seen through ``view`` (3, 3)
    (the sensor's mounting rotation times its per-axis gain; None: as the shank frame sees it)."""
    seen = delta_g if view is None else delta_g @ view
    return float(np.sqrt(np.einsum("ij,ij->i", seen, seen)).max()) if seen.size else 0.0


def pose_after(shape: Shape, pitch0_rad: float, roll0_rad: float) -> tuple[float, float]:
    """World pose (pitch, roll) in rad the shank rests in after the movement (its lasting change applied)."""
    if not shape.local:
        return pitch0_rad + shape.lasting_pitch_rad, roll0_rad + shape.lasting_roll_rad
    g = _local_gravity_g(rest_force_g(pitch0_rad, roll0_rad), np.array([shape.lasting_pitch_rad]),
                         np.array([shape.lasting_roll_rad]))[0]
    return float(np.arcsin(np.clip(-g[0], -1.0, 1.0))), float(np.arctan2(g[1], g[2]))


def scale_to_peak(render: Callable[[Mapping[str, float]], Shape], params: dict[str, float], target_g: float,
                  pitch0_rad: float, roll0_rad: float, *, max_amp: float, iterations: int = 2) -> dict[str, float]:
    """``params`` with ``amp`` set so that the movement's peak change is ``target_g`` in the given pose.

    The peak grows about linearly with ``amp`` (the centripetal part quadratically), so a couple of
    proportional steps get within a few percent; ``amp`` is capped at ``max_amp`` (a movement the body can
    make), where the pose lets the movement show less than the target (e.g. flexion lying on the side).
    """
    p = dict(params)
    for _ in range(iterations):
        peak = peak_change_g(change_from_rest_g(render(p), pitch0_rad, roll0_rad))
        if peak <= 0.0:
            break
        p["amp"] = float(min(p["amp"] * target_g / peak, max_amp))
    return p


# --- movements -----------------------------------------------------------------------------------------
def _pulse(t: np.ndarray, start_s: float, width_s: float) -> np.ndarray:
    """A sin^2 pulse of unit height from ``start_s`` lasting ``width_s``."""
    x = np.clip((t - start_s) / width_s, 0.0, 1.0)
    return np.sin(np.pi * x) ** 2


def _ring(t: np.ndarray, start_s: float, amp_g: float, hz: float, tau_s: float) -> np.ndarray:
    """A damped oscillation (strap and soft tissue) from ``start_s``: amplitude in g, frequency, time constant."""
    after = t - start_s
    out = amp_g * np.exp(-np.clip(after, 0.0, None) / tau_s) * np.sin(2 * np.pi * hz * after)
    return np.where(after > 0, out, 0.0)


def _tangential_peak_g(amp_rad: float, width_s: float, radius_m: float) -> float:
    """Peak tangential acceleration (g) of a sin^2 flexion pulse: amp * 2 pi^2 / width^2 * |r|."""
    return amp_rad * 2.0 * np.pi**2 / width_s**2 * abs(radius_m) / G


def lm_rotation(p: Mapping[str, float]) -> Shape:
    """Rotation-dominant LM: minimum-jerk rise, tonic hold (creep, clonic ripple), release, lasting share."""
    d = p["duration_s"]
    t = _grid(d)
    rise, fall = min(p["rise_s"], 0.45 * d), min(p["fall_s"], 0.5 * d)
    up, down = _min_jerk(t / rise), _min_jerk((t - (d - fall)) / fall)
    hold_s = max(d - rise - fall, 1e-3)
    creep = p["creep"] * min(1.0, hold_s / 2.0) * _min_jerk((t - rise) / hold_s)  # smooth: no kink, no spike
    ripple = p["clonic_depth"] * np.sin(2 * np.pi * p["clonic_hz"] * t + p["phase"]) * up * (1.0 - down)
    core = up * (1.0 + creep) * (1.0 + ripple)
    settle = float(np.clip(p["lasting"], -MAX_LM_LASTING_RAD / p["amp"], MAX_LM_LASTING_RAD / p["amp"])) if p["amp"] else 0.0
    theta = p["amp"] * (core * (1.0 - down) + settle * down)
    flex = p["sign"] * theta
    return Shape(t, flex, p["roll_ratio"] * flex, _rotation_lin_g(flex, p["radius_m"]),
                 float(flex[-1]), float(p["roll_ratio"] * flex[-1]), local=True)


def lm_twitch(p: Mapping[str, float]) -> Shape:
    """Acceleration-dominant LM: a run of brief flexion pulses (``width_s`` +-30 %, 0.05-0.45 s apart, so
    that the EMG sees one LM) of alternating direction and varying size around a small tonic offset, each
    followed by a short ring-down; the first pulse at onset, the last ending at the offset. Per-pulse
    values are drawn deterministically from ``jitter_seed``."""
    d, w = p["duration_s"], min(p["width_s"], p["duration_s"])
    t = _grid(d)
    draw = np.random.default_rng(int(p["jitter_seed"]))
    starts, widths, gains = [0.0], [w], [1.0]
    while starts[-1] + widths[-1] < d:
        width = float(np.clip(w * draw.uniform(0.7, 1.3), 0.05, d))
        start = min(starts[-1] + widths[-1] + draw.uniform(0.05, 0.45), d - width)
        if start <= starts[-1]:
            break
        starts.append(start)
        widths.append(width)
        gains.append(float(draw.uniform(0.3, 1.0) * draw.choice([1.0, -1.0])))
    ramp = min(0.1, 0.25 * d)
    unit = p["hold"] * _min_jerk(t / ramp) * (1.0 - _min_jerk((t - (d - ramp)) / ramp))
    for start, width, gain in zip(starts, widths, gains):
        unit += gain * _pulse(t, start, width)
    flex = p["sign"] * p["amp"] * unit
    lin = _rotation_lin_g(flex, p["radius_m"])
    for start, width, gain in zip(starts, widths, gains):
        ring = _ring(t, start + width, gain * p["ring_rel"] * _tangential_peak_g(p["amp"], width, p["radius_m"]),
                     p["ring_hz"], p["ring_tau_s"])
        lin[:, 2] += ring
        lin[:, 1] += 0.4 * ring
    return Shape(t, flex, p["roll_ratio"] * flex, lin, local=True)


def lm_tremor(p: Mapping[str, float]) -> Shape:
    """Tremor-like LM: flexion bursts at ``rate_hz`` (duty ``duty`` of each period) over a tonic offset,
    inside a raised-cosine envelope; burst heights jitter by ``jitter`` (deterministic from ``jitter_seed``)."""
    d = p["duration_s"]
    t = _grid(d)
    rise, fall = min(p["rise_s"], 0.4 * d), min(p["fall_s"], 0.4 * d)
    env = np.minimum(_min_jerk(t / rise), 1.0 - _min_jerk((t - (d - fall)) / fall))
    cycles = t * p["rate_hz"]
    k = np.floor(cycles).astype(int)
    heights = 1.0 + p["jitter"] * np.random.default_rng(int(p["jitter_seed"])).uniform(-1, 1, int(k.max()) + 1)
    phase = cycles - k
    bursts = np.where(phase < p["duty"], np.sin(np.pi * phase / p["duty"]) ** 2, 0.0) * heights[k]
    flex = p["sign"] * p["amp"] * env * (p["tonic"] + (1.0 - p["tonic"]) * bursts)
    return Shape(t, flex, p["roll_ratio"] * flex, _rotation_lin_g(flex, p["radius_m"]), local=True)


def jerk(p: Mapping[str, float]) -> Shape:
    """Hypnic jerk: a pulse of ``duration_s`` (75-250 ms) of variant ``JERK_VARIANTS[variant]``, then a
    ring-down; ``amp`` is the flexion (rad), or the axial displacement (m) for the axial jolt."""
    w, variant = p["duration_s"], JERK_VARIANTS[int(p["variant"])]
    rebound_w = p["rebound_width"] * w
    t = _grid(w + (rebound_w if variant == "biphasic" else 0.0) + 5.0 * p["ring_tau_s"])
    end = w
    lin = np.zeros((t.size, 3))
    if variant == "axial":  # translation x(t) = X sin^2(pi t / w): a = X 2 pi^2 / w^2 cos(2 pi t / w)
        lin[:, 0] = p["sign"] * p["amp"] * 2 * np.pi**2 / w**2 * np.cos(2 * np.pi * t / w) * (t <= w) / G
        flex = 0.5 * p["sign"] * p["amp"] * _pulse(t, 0.0, w)  # with a small tilt: 0.5 rad per m of jolt
        peak_g = p["amp"] * 2 * np.pi**2 / w**2 / G
    else:
        unit = _pulse(t, 0.0, w)
        if variant == "biphasic":
            unit = unit - p["rebound"] * _pulse(t, w, rebound_w)
            end = w + rebound_w
        elif variant == "shift":  # rises like the pulse, then falls only to the lasting angle
            keep = float(np.clip(p["lasting_rad"] / p["amp"], 0.0, 1.0))
            unit = np.where(t >= 0.5 * w, keep + (1.0 - keep) * _pulse(t, 0.0, w), unit)
        flex = p["sign"] * p["amp"] * unit
        peak_g = _tangential_peak_g(p["amp"], w, p["radius_m"])
    lin += _rotation_lin_g(flex, p["radius_m"])
    ring = _ring(t, end, p["ring_rel"] * peak_g, p["ring_hz"], p["ring_tau_s"])
    lin[:, 2] += ring
    lin[:, 1] += 0.4 * ring
    return Shape(t, flex, p["roll_ratio"] * flex, lin, float(flex[-1]), float(p["roll_ratio"] * flex[-1]), local=True)


SHANK_KINDS: Mapping[str, Callable[[Mapping[str, float]], Shape]] = {
    "lm_rotation": lm_rotation,
    "lm_twitch": lm_twitch,
    "lm_tremor": lm_tremor,
    "jerk": jerk,
}


def render(kind: str, params: Mapping[str, float]) -> Shape:
    """Render a movement of ``kind``: a classic waveform (:data:`lrm.sim.movements.KINDS`) or a shank-model
    one (:data:`SHANK_KINDS`), with its parameters."""
    fn = KINDS.get(kind) or SHANK_KINDS.get(kind)
    if fn is None:
        raise ValueError(f"unknown movement kind {kind!r}; known: {', '.join([*KINDS, *SHANK_KINDS])}")
    return fn(params)
