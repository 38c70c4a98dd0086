import numpy as np
import pytest

from lrm.signal.align import apply_clock_fit, estimate_clock_drift

FS = 25.0


def test_offset_and_drift_of_the_second_leg_are_recovered():
    rng = np.random.default_rng(3)
    n = int(4 * 3600 * FS)
    t = np.arange(n) / FS
    onsets = np.sort(rng.uniform(0, t[-1] - 10, 600))
    offset_s, drift_ppm = 1.3, 80.0
    env_a = np.full(n, 0.005, np.float32)
    env_b = np.full(n, 0.005, np.float32)
    for on in onsets:
        d = rng.uniform(0.8, 4)
        env_a[int(on * FS) : int((on + d) * FS)] = 0.2
        on_b = on + offset_s + drift_ppm * 1e-6 * on
        env_b[int(on_b * FS) : int((on_b + d) * FS)] = 0.2
    floor = np.full(n, 0.005, np.float32)
    ok = np.ones(n, bool)
    fit = estimate_clock_drift(env_a, floor, ok, env_b, floor, ok, fs_hz=FS)
    assert fit.ok
    assert fit.offset_s == pytest.approx(offset_s, abs=0.1)
    assert fit.drift_ppm == pytest.approx(drift_ppm, abs=10)
    assert fit.residual_s < 0.1
    aligned = apply_clock_fit(env_b, fit, fs_hz=FS)
    late = int(onsets[-1] * FS)
    assert aligned[late + 2] == pytest.approx(0.2)


def test_no_movement_means_no_fit():
    n = int(3600 * FS)
    z = np.zeros(n, np.float32)
    fit = estimate_clock_drift(z, z + 0.01, np.ones(n, bool), z, z + 0.01, np.ones(n, bool), fs_hz=FS)
    assert not fit.ok and fit.offset_s == 0.0
