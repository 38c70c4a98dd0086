import numpy as np
import pytest

from lrm.params import DetectParams
from lrm.signal.detect import detect_lms, find_lm_intervals, runs
from lrm.signal.envelope import estimate_envelope, estimate_noise_floor

FS = 25.0


def _env(n=2500, noise=0.003, seed=0):
    """Envelope of white 3-axis sensor noise (standard deviation ``noise`` g per axis)."""
    dyn = np.random.default_rng(seed).normal(0, noise, (n, 3)).astype(np.float32)
    return estimate_envelope(dyn, fs_hz=FS, smooth_s=0.2)


def test_runs_of_true():
    assert runs(np.array([1, 1, 0, 0, 1], bool)).tolist() == [[0, 2], [4, 5]]
    assert runs(np.zeros(3, bool)).shape == (0, 2)


@pytest.mark.parametrize(("gap_s", "n_lms"), [(0.4, 1), (0.6, 2)])
def test_same_leg_bursts_closer_than_half_a_second_are_one_lm(gap_s, n_lms):
    env = np.zeros(500, np.float32)
    a = 100
    b = a + 25 + int(round(gap_s * FS))
    env[a : a + 25] = 0.2
    env[b : b + 25] = 0.2
    out = find_lm_intervals(env, np.zeros(500, np.float32), np.ones(500, bool), fs_hz=FS)
    assert out.shape[0] == n_lms
    assert out[0, 0] == a


def test_onset_needs_the_high_threshold_and_offset_uses_the_low_one():
    p = DetectParams(high_g=0.05, low_g=0.01)
    env = np.zeros(300, np.float32)
    env[50:60] = 0.03   # above low only: not an onset
    env[60:80] = 0.1    # onset at 60
    env[80:100] = 0.02  # above low: the LM continues
    out = find_lm_intervals(env, np.zeros(300, np.float32), np.ones(300, bool), fs_hz=FS, params=p)
    assert out.tolist() == [[60, 100]]


def test_gaps_stop_movements_and_hide_them():
    env = np.full(300, 0.2, np.float32)
    valid = np.ones(300, bool)
    valid[:] = False
    assert find_lm_intervals(env, np.zeros(300, np.float32), valid, fs_hz=FS).shape == (0, 2)


def test_adaptive_floor_raises_thresholds_on_a_noisy_sensor():
    quiet, noisy = _env(n=25000, noise=0.002), _env(n=25000, noise=0.012, seed=1)
    for env in (quiet, noisy):
        floor = estimate_noise_floor(env, np.ones(env.size, bool), fs_hz=FS)
        t = detect_lms(env, floor, np.ones(env.size, bool), fs_hz=FS, side="left")
        assert len(t) <= 1  # 1000 s of pure noise: at most one false LM, whatever the noise level


def test_detects_a_movement_above_noise_with_its_peak_and_morphology():
    env = _env()
    env[1000:1075] += 0.15  # 3 s movement
    env[2000:2004] += 0.8   # 0.16 s spike
    floor = estimate_noise_floor(env, np.ones(env.size, bool), fs_hz=FS)
    t = detect_lms(env, floor, np.ones(env.size, bool), fs_hz=FS, side="right")
    assert len(t) == 2
    assert t["onset_s"].iloc[0] == pytest.approx(40.0, abs=0.05)
    assert t["offset_s"].iloc[0] == pytest.approx(43.0, abs=1.0)
    assert t["morphology_ok"].tolist() == [True, False]  # docs/scoring.md §1.2 step 5 rejects the spike
    assert t["peak_g"].iloc[1] > 0.7
    assert t["burst_s"].iloc[1] < 0.3
