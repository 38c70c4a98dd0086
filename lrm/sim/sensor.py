"""What a real ankle sensor does to the true motion: mounting rotation, calibration error, noise, int16
quantisation, range clipping, a drifting clock with jittery timestamps, and BLE gaps. (Its anti-alias
low-pass, used by the wide and hard families, acts on the fine grid: :func:`lrm.sim.shank.sensor_lowpass`.)

Mounting: ``"random"`` is a uniformly random rotation (the classic family); ``"shank"`` (wide and hard)
is how a strap really sits: the device's axes are assigned to the shank's in one of the 24 right-handed
ways (which device axis points along the shank depends on the device and how it is put in the strap),
the device sits anywhere around the ankle (any rotation about the shank axis) and is tilted by 0-20 deg
(the strap rides on the tapering lower leg and the malleolus); ``"aligned"`` puts sensor axes on shank axes.

Clock model (per leg, PROTOCOLS.md §A5.6): a sensor clock that runs ``drift_ppm`` fast samples at
``fs_hz`` on its own clock, i.e. at ``fs_hz / (1 + drift_ppm * 1e-6)`` Hz on the true clock, and its
timestamps read ``epoch + offset_s + (1 + drift_ppm * 1e-6) * t_true`` plus jitter.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["SensorSpec", "draw_sensor", "true_sample_times", "measure", "stamp", "draw_gaps", "gap_mask"]


@dataclass(frozen=True, slots=True)
class SensorSpec:
    """One leg's sensor: mounting (3, 3) shank->sensor rotation, per-axis bias (g) and gain, noise and ADC."""

    mounting: np.ndarray
    bias_g: np.ndarray
    gain: np.ndarray
    noise_g: float
    range_g: float
    scale_g: float
    bias_drift_g: float
    bandwidth_hz: float | None = None  # corner of the sensor's low-pass in Hz; None: samples the motion directly

    @property
    def view(self) -> np.ndarray:
        """(3, 3) shank -> sensor reading matrix including the per-axis gains: ``reading = force @ view``."""
        return self.mounting * self.gain[None, :]


def _random_rotation(rng: np.random.Generator) -> np.ndarray:
    """A uniformly random rotation matrix (QR of a Gaussian matrix, sign-fixed, det +1)."""
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q *= np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def _rotation_about(axis: np.ndarray, angle_rad: float) -> np.ndarray:
    """Rotation matrix by ``angle_rad`` about the unit vector ``axis`` (Rodrigues)."""
    k = np.array([[0.0, -axis[2], axis[1]], [axis[2], 0.0, -axis[0]], [-axis[1], axis[0], 0.0]])
    return np.eye(3) + np.sin(angle_rad) * k + (1.0 - np.cos(angle_rad)) * (k @ k)


def _shank_mounting(rng: np.random.Generator) -> np.ndarray:
    """Shank -> sensor matrix of a strapped device: axis assignment, any turn about the shank, 0-20 deg tilt."""
    perm = np.eye(3)[rng.permutation(3)] * rng.choice([-1.0, 1.0], 3)[:, None]
    if np.linalg.det(perm) < 0:
        perm[2] = -perm[2]
    turn = _rotation_about(np.array([1.0, 0.0, 0.0]), rng.uniform(0.0, 2 * np.pi))
    azimuth = rng.uniform(0.0, 2 * np.pi)
    tilt = _rotation_about(np.array([0.0, np.cos(azimuth), np.sin(azimuth)]), np.radians(rng.uniform(0.0, 20.0)))
    sensor_from_shank = perm @ tilt @ turn
    return sensor_from_shank.T  # reading_j = sum_i force_i M_ij


def draw_sensor(rng: np.random.Generator, *, mounting: str, noise_g: float, range_g: float, scale_g: float,
                bandwidth_hz: float | None = None) -> SensorSpec:
    """Draw one sensor: mounting (random, shank or aligned), bias +-30 mg, gain +-2 %, slow bias drift <= 5 mg.

    Bias and gain: zero-g offset and sensitivity tolerance of consumer MEMS parts (LIS2DH12: +-40 mg
    typical offset; BMI160 +-40 mg, sensitivity +-1-2 %) after the factory trim.
    """
    rotation = {"random": _random_rotation, "shank": _shank_mounting}.get(mounting, lambda _r: np.eye(3))(rng)
    return SensorSpec(rotation, rng.uniform(-0.03, 0.03, 3), 1.0 + rng.uniform(-0.02, 0.02, 3), noise_g, range_g,
                      scale_g, float(rng.uniform(0.0, 0.005)), bandwidth_hz)


def true_sample_times(duration_s: float, *, fs_hz: float, drift_ppm: float, start_lag_s: float) -> np.ndarray:
    """True-clock times in s of the samples a ``drift_ppm``-fast sensor takes at ``fs_hz`` from ``start_lag_s``."""
    true_fs = fs_hz / (1.0 + drift_ppm * 1e-6)
    n = int(np.floor((duration_s - start_lag_s) * true_fs))
    return start_lag_s + np.arange(n) / true_fs


def measure(force_g: np.ndarray, spec: SensorSpec, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """Sensor output as int16 counts (n, 3) of ``spec.scale_g`` g, and the share of clipped samples.

    ``force_g`` is the specific force (3, n) in g in the shank frame (one row per shank axis).
    Column-wise float32 arithmetic: ``(n, 3) @ (3, 3)`` is slow in numpy for tall thin arrays.
    """
    n = force_g.shape[1]
    m = (spec.mounting * spec.gain[None, :]).astype(np.float32)  # sensor_j = gain_j * sum_i f_i M_ij
    drift = np.interp(np.arange(n, dtype=np.float32), np.linspace(0, n, 9), rng.uniform(-1, 1, 9)).astype(np.float32)
    drift *= np.float32(spec.bias_drift_g)
    limit = np.float32(min(spec.range_g / spec.scale_g, 32768.0))
    inv_scale = np.float32(1.0 / spec.scale_g)
    counts = np.empty((n, 3), dtype=np.int16)
    clipped = np.zeros(n, dtype=bool)
    for j in range(3):
        a = force_g[0] * m[0, j]
        a += force_g[1] * m[1, j]
        a += force_g[2] * m[2, j]
        a += drift
        a += np.float32(spec.bias_g[j])
        a += rng.standard_normal(n, dtype=np.float32) * np.float32(spec.noise_g)
        a *= inv_scale
        np.rint(a, out=a)
        clipped |= (a >= limit) | (a < -limit)
        np.clip(a, -limit, limit - 1, out=a)
        counts[:, j] = a
    return counts, float(clipped.mean())


def stamp(t_true_s: np.ndarray, *, epoch_s: float, drift_ppm: float, offset_s: float, jitter_s: float,
          fs_hz: float, rng: np.random.Generator) -> np.ndarray:
    """Recorded Unix-epoch timestamps of samples taken at true times ``t_true_s`` (sorted after jitter)."""
    jitter = min(jitter_s, 0.2 / fs_hz)
    t = epoch_s + offset_s + (1.0 + drift_ppm * 1e-6) * t_true_s
    if jitter > 0:
        t = np.sort(t + rng.normal(0.0, jitter, t.size))
    return t


def draw_gaps(rng: np.random.Generator, duration_s: float, gaps_per_h: float) -> np.ndarray:
    """BLE gaps (k, 2) in true-clock s: mostly seconds (log-normal, median 8 s), sometimes a 5-25 min dropout."""
    n = rng.poisson(gaps_per_h * duration_s / 3600.0)
    starts = rng.uniform(0.0, duration_s, n)
    lengths = np.clip(np.exp(rng.normal(np.log(8.0), 1.0, n)), 1.5, 600.0)
    if n and rng.random() < 0.15:
        lengths[0] = rng.uniform(300.0, 1500.0)
    gaps = np.column_stack([starts, np.minimum(starts + lengths, duration_s)])
    gaps = gaps[np.argsort(gaps[:, 0])]
    merged: list[list[float]] = []
    for a, b in gaps:  # few: merge overlaps
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([float(a), float(b)])
    return np.asarray(merged, dtype=float).reshape(-1, 2)


def gap_mask(t_s: np.ndarray, gaps: np.ndarray) -> np.ndarray:
    """True for samples outside every gap."""
    if gaps.size == 0:
        return np.ones(t_s.size, dtype=bool)
    idx = np.searchsorted(gaps[:, 0], t_s, side="right") - 1
    inside = (idx >= 0) & (t_s < gaps[np.maximum(idx, 0), 1])
    return ~inside
