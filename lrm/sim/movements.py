"""Waveforms of the movements an ankle sensor sees, as shank rotations plus linear acceleration.

Each function renders one leg's movement on a fine 400 Hz grid of times relative to its onset and
returns a :class:`Shape`: the added shank pitch and roll in rad (which rotate gravity in the sensor
frame) and the linear acceleration in g of the sensor point, in the pitched shank frame before roll
(x along the shank towards the foot, y lateral, z anterior). ``lasting_*`` is the orientation change
that remains after the window (roll-overs, standing up).

Physics (docs/scoring.md §6): an LM is ankle dorsiflexion / triple flexion, which rotates the shank about the
knee by a few degrees to ~20 deg. With the sensor at radius r from the pivot, the tangential acceleration
is r * theta'' and the centripetal r * theta'^2; rising 10 deg in 0.35 s at r = 0.22 m gives ~0.16 g, in
line with the forward model's 30-985 mg and Sicbaldi's 377 +- 63 mg typical sleep movement. The gravity
projection changes by sin(theta) (0.17 g at 10 deg). Energy stays mostly below 6 Hz: rises of 0.15-0.6 s
and clonic modulation at 1-4 Hz during the tonic phase (Smith 1985: tonic/clonic pattern, §6).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

__all__ = ["FINE_HZ", "G", "Shape", "KINDS"]

FINE_HZ = 400.0
G = 9.80665  # m/s^2 per g


@dataclass(frozen=True, slots=True)
class Shape:
    """One leg's movement on a fine grid: times from onset in s, added pitch/roll in rad, linear accel in g."""

    t_s: np.ndarray
    pitch_rad: np.ndarray
    roll_rad: np.ndarray
    lin_g: np.ndarray  # (n, 3)
    lasting_pitch_rad: float = 0.0
    lasting_roll_rad: float = 0.0
    local: bool = False  # True: pitch/roll are flexion/axial rotation in the shank's own frame (lrm.sim.shank)


def _grid(length_s: float) -> np.ndarray:
    return np.arange(int(np.ceil(length_s * FINE_HZ)) + 1) / FINE_HZ


def _rotation_lin_g(theta_rad: np.ndarray, radius_m: float) -> np.ndarray:
    """Tangential (-z) and centripetal (-x) acceleration in g of a point at ``radius_m`` from the pivot."""
    omega = np.gradient(theta_rad, 1.0 / FINE_HZ)
    alpha = np.gradient(omega, 1.0 / FINE_HZ)
    lin = np.zeros((theta_rad.size, 3))
    lin[:, 0] = -radius_m * omega**2 / G
    lin[:, 2] = -radius_m * alpha / G
    return lin


def _raised_cosine_envelope(t: np.ndarray, duration_s: float, rise_s: float, fall_s: float) -> np.ndarray:
    rise_s = min(rise_s, 0.45 * duration_s)
    fall_s = min(fall_s, 0.5 * duration_s)
    env = np.ones_like(t)
    up = t < rise_s
    env[up] = 0.5 * (1.0 - np.cos(np.pi * t[up] / rise_s))
    down = t > duration_s - fall_s
    env[down] = 0.5 * (1.0 + np.cos(np.pi * (t[down] - (duration_s - fall_s)) / fall_s))
    env[(t < 0) | (t > duration_s)] = 0.0
    return env


def _min_jerk(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x**3 * (10.0 - 15.0 * x + 6.0 * x**2)


def lm(p: Mapping[str, float]) -> Shape:
    """A leg movement: raised-cosine rise, tonic hold with clonic modulation, raised-cosine release."""
    d = p["duration_s"]
    t = _grid(d)
    env = _raised_cosine_envelope(t, d, p["rise_s"], p["fall_s"])
    clonic = 1.0 + p["clonic_depth"] * np.sin(2 * np.pi * p["clonic_hz"] * t + p["phase"]) * env
    theta = p["angle_rad"] * env * clonic
    pitch = p["sign"] * theta
    return Shape(t, pitch, p["roll_ratio"] * theta, _rotation_lin_g(pitch, p["radius_m"]))


def hypnic_jerk(p: Mapping[str, float]) -> Shape:
    """A brief (0.08-0.25 s) large jerk, then a strap/soft-tissue ring-down at 8-15 Hz."""
    d = p["duration_s"]
    t = _grid(d + 5.0 * p["ring_tau_s"])
    theta = np.where(t <= d, p["angle_rad"] * np.sin(np.pi * np.clip(t / d, 0, 1)) ** 2, 0.0)
    pitch = p["sign"] * theta
    lin = _rotation_lin_g(pitch, p["radius_m"])
    after = np.clip(t - d, 0.0, None)
    ring = p["ring_g"] * np.exp(-after / p["ring_tau_s"]) * np.sin(2 * np.pi * p["ring_hz"] * after) * (t > d)
    lin[:, 2] += ring
    lin[:, 1] += 0.4 * ring
    return Shape(t, pitch, p["roll_ratio"] * theta, lin)


def posture(p: Mapping[str, float]) -> Shape:
    """A roll-over, lying down or standing up: a lasting minimum-jerk change of pitch and roll with wobble."""
    d = p["duration_s"]
    t = _grid(d)
    s = _min_jerk(t / d)
    bump = np.sin(np.pi * np.clip(t / d, 0, 1)) ** 2
    wobble = p["wobble_rad"] * np.sin(2 * np.pi * p["wobble_hz"] * t) * bump
    pitch = p["d_pitch_rad"] * s + wobble
    roll = p["d_roll_rad"] * s
    lin = _rotation_lin_g(pitch, p["radius_m"])
    lin[:, 1] += p["shift_g"] * bump * np.sin(2 * np.pi * t / d)
    lin[:, 2] += 0.5 * p["shift_g"] * bump
    return Shape(t, pitch, roll, lin, float(p["d_pitch_rad"]), float(p["d_roll_rad"]))


def fidget(p: Mapping[str, float]) -> Shape:
    """Restless wake adjustment: 1-4 irregular sub-movements and a small lasting change of posture."""
    d = p["duration_s"]
    t = _grid(d)
    n = int(p["n_parts"])
    pitch = np.zeros_like(t)
    for k in range(n):
        start, length = p[f"start{k}"] * d, max(p[f"len{k}"] * d, 0.3)
        x = np.clip((t - start) / length, 0.0, 1.0)
        pitch += p[f"angle{k}"] * np.sin(np.pi * x) ** 2
    pitch += p["d_pitch_rad"] * _min_jerk(t / d)
    roll = p["roll_ratio"] * pitch + p["d_roll_rad"] * _min_jerk(t / d)
    return Shape(t, pitch, roll, _rotation_lin_g(pitch, p["radius_m"]), float(p["d_pitch_rad"]), float(p["d_roll_rad"]))


def walk(p: Mapping[str, float]) -> Shape:
    """Walking: shank swing of +-15-30 deg at the stride rate (0.8-1.0 Hz) and a heel strike per stride."""
    d = p["duration_s"]
    t = _grid(d)
    taper = np.clip(np.minimum(t, d - t) / 1.5, 0.0, 1.0)
    phase = 2 * np.pi * p["stride_hz"] * t + p["phase"]
    pitch = p["swing_rad"] * np.sin(phase) * taper
    lin = _rotation_lin_g(pitch, p["radius_m"])
    strikes = (np.arange(np.ceil(p["stride_hz"] * d) + 1) + (np.pi / 2 - p["phase"]) / (2 * np.pi)) / p["stride_hz"]
    strikes = strikes[(strikes > 1.0) & (strikes < d - 1.0)]
    impulse = np.zeros_like(t)
    for ts in strikes:  # ~1 per second
        lo, hi = np.searchsorted(t, [ts - 0.06, ts + 0.06])
        impulse[lo:hi] += np.exp(-0.5 * ((t[lo:hi] - ts) / 0.015) ** 2)
    lin[:, 0] -= p["impact_g"] * impulse
    lin[:, 2] += 0.3 * p["impact_g"] * impulse
    return Shape(t, pitch, 0.1 * pitch, lin)


def train(p: Mapping[str, float]) -> Shape:
    """Hypnagogic foot tremor or one leg's share of ALMA: short bursts at 0.5-3 Hz (docs/scoring.md §3.2)."""
    d = p["duration_s"]
    t = _grid(d)
    period, burst = 1.0 / p["rate_hz"], p["burst_s"]
    local = (t - p["first_s"]) % period
    active = (t >= p["first_s"]) & (local < burst)
    theta = np.where(active, p["angle_rad"] * np.sin(np.pi * local / burst) ** 2, 0.0)
    return Shape(t, theta, 0.2 * theta, _rotation_lin_g(theta, p["radius_m"]))


KINDS: Mapping[str, Callable[[Mapping[str, float]], Shape]] = {
    "lm": lm,
    "hypnic_jerk": hypnic_jerk,
    "posture_change": posture,
    "fidget": fidget,
    "walking": walk,
    "tremor": train,
    "alma": train,
}
