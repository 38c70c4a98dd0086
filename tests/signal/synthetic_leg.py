"""Randomised single-leg test signals for the detector: a still shank plus leg movements of known peak.

Independent of ``lrm.sim`` on purpose (other shapes, other parameter ranges), so that the detector's tests do
not only check agreement with the simulator it was developed beside. Physics (docs/scoring.md §6): a movement
rotates the shank about the knee by ``theta(t)``; the sensor, at radius ``r`` from the pivot and strapped at
any orientation, reads the reaction to gravity rotated by ``theta`` plus the tangential ``r theta''`` and
centripetal ``r theta'^2`` accelerations. Three families of shapes:

* ``rotation``: a tonic excursion (rise 0.15-0.6 s, hold with clonic modulation, release): mostly a change of
  the gravity projection;
* ``kick``: a ballistic out-and-back excursion without hold (0.5-1.5 s);
* ``oscillation``: a tremor-like train at 2-8 Hz (below 0.4 x the sample rate) with little net rotation:
  mostly dynamic acceleration.

Each movement's ``peak_g`` is the lrm definition of an LM peak (``lrm.signal.detect``): the maximum over the
movement of ``|a(t) - a_rest|`` on the noise-free specific force, ``a_rest`` its value at the onset.
The sensor adds white noise (per axis), a bias, quantisation to a step ``lsb_g`` and a slow drift of the
resting orientation (a strap settling, ~0.1-0.5 deg per minute), which moves the quantiser's phase and makes
coarse sensors toggle between levels.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lrm.io.recording import Leg

G = 9.80665
SHAPES = ("rotation", "kick", "oscillation")


@dataclass(frozen=True)
class LegSpec:
    fs_hz: float = 50.0
    duration_s: float = 1800.0
    noise_g: float = 0.004
    lsb_g: float = 0.0
    lms: bool = True
    peak_range_g: tuple[float, float] = (0.008, 0.3)
    shapes: tuple[str, ...] = SHAPES
    wander_deg_per_min: float = 0.3


def _rodrigues(v: np.ndarray, axis: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Rotate vectors ``v`` (n, 3) about unit ``axis`` (3,) by ``angle`` (n,) rad."""
    c, s = np.cos(angle)[:, None], np.sin(angle)[:, None]
    k = axis[None, :]
    return v * c + np.cross(k, v) * s + k * (v @ axis)[:, None] * (1 - c)


def _unit(rng: np.random.Generator, n: int = 1) -> np.ndarray:
    v = rng.normal(size=(n, 3))
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def _theta(shape: str, t: np.ndarray, d: float, rng: np.random.Generator, fs_hz: float) -> tuple[np.ndarray, float]:
    """Unit-amplitude angle waveform on times ``t`` (s from onset) and the radius (m)."""
    x = np.clip(t / d, 0.0, 1.0)
    if shape == "rotation":
        rise, fall = min(rng.uniform(0.15, 0.6), 0.45 * d), min(rng.uniform(0.3, 1.0), 0.5 * d)
        env = np.ones_like(t)
        env = np.where(t < rise, 0.5 * (1 - np.cos(np.pi * t / rise)), env)
        env = np.where(t > d - fall, 0.5 * (1 + np.cos(np.pi * (t - d + fall) / fall)), env)
        env = np.where((t < 0) | (t > d), 0.0, env)
        clonic = 1 + rng.uniform(0.0, 0.3) * np.sin(2 * np.pi * rng.uniform(1, 4) * t) * env
        return env * clonic, rng.uniform(0.15, 0.35)
    if shape == "kick":
        return np.sin(np.pi * x) ** 2 * ((t >= 0) & (t <= d)), rng.uniform(0.2, 0.45)
    f = rng.uniform(2.0, min(8.0, 0.4 * fs_hz))
    taper = np.sin(0.5 * np.pi * np.clip(np.minimum(t, d - t) / 0.15, 0.0, 1.0)) ** 2   # smooth ends
    return np.sin(2 * np.pi * f * t) * taper, rng.uniform(0.15, 0.35)


def make_leg(spec: LegSpec, seed: int, side: str = "left") -> tuple[Leg, pd.DataFrame]:
    """A leg (float32 g, Unix times from 1.7e9 s) and its truth table (onset_s, offset_s, peak_g, shape).

    ``onset_s``/``offset_s`` are s from the first sample.
    """
    rng = np.random.default_rng(seed)
    fs = spec.fs_hz
    t = np.arange(int(spec.duration_s * fs)) / fs
    g0 = _unit(rng)[0]
    # slow wander: rotation about a fixed random axis by a random walk (knot per minute)
    knots = np.cumsum(rng.normal(0, np.radians(spec.wander_deg_per_min), int(spec.duration_s / 60) + 3))
    wander = np.interp(t, np.arange(knots.size) * 60.0, knots)
    force = _rodrigues(np.tile(g0, (t.size, 1)), _unit(rng)[0], wander)
    rows = []
    if spec.lms:
        onset = rng.uniform(5.0, 20.0)
        while onset < spec.duration_s - 25.0:
            shape = str(rng.choice(spec.shapes))
            d = float(np.clip(np.exp(rng.normal(np.log(2.5 if shape != "kick" else 0.9), 0.5)), 0.6, 9.5))
            i0, i1 = np.searchsorted(t, [onset, onset + d])
            tt = t[i0:i1] - onset
            theta, radius = _theta(shape, tt, d, rng, fs)
            axis = _unit(rng)[0]
            radial = np.cross(axis, _unit(rng)[0])
            radial /= np.linalg.norm(radial)
            tangential = np.cross(axis, radial)

            def render(amp: float) -> np.ndarray:
                th = amp * theta
                om = np.gradient(th, 1 / fs) if th.size > 1 else np.zeros_like(th)
                al = np.gradient(om, 1 / fs) if th.size > 1 else np.zeros_like(th)
                grav = _rodrigues(force[i0:i1], axis, th)
                return grav + (radius * al / G)[:, None] * tangential - (radius * om**2 / G)[:, None] * radial

            def peak(amp: float) -> float:
                f = render(amp)
                return float(np.linalg.norm(f - force[i0], axis=1).max()) if f.size else 0.0

            target = float(np.exp(rng.uniform(*np.log(spec.peak_range_g))))
            amp = 0.01
            for _ in range(4):  # the peak is nearly linear in the amplitude: a few secant steps
                p = peak(amp)
                amp = amp * target / max(p, 1e-9)
            f = render(amp)
            if i1 > i0:
                rows.append({"onset_s": onset, "offset_s": onset + d, "peak_g": peak(amp), "shape": shape})
                force[i0:i1] = f
            onset += d + rng.uniform(8.0, 50.0)
    x = force + rng.uniform(-0.03, 0.03, 3)[None, :]
    x += rng.normal(0.0, 1.0, x.shape) * (spec.noise_g * rng.uniform(0.8, 1.2, 3))[None, :]
    if spec.lsb_g > 0:
        x = np.round(x / spec.lsb_g) * spec.lsb_g
    leg = Leg(side=side, t_s=1.7e9 + t, accel_g=x.astype(np.float32), fs_hz=fs, source=f"synthetic-{seed}")
    return leg, pd.DataFrame(rows, columns=["onset_s", "offset_s", "peak_g", "shape"])
