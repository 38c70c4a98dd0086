"""Brief flexion pulses (lrm.signal.pulses): the matched filter P, its null on still legs, and the stated limit
for brief-pulse LMs (detection_limit_brief_g)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import special

from lrm.params import DetectParams
from lrm.signal.detect import LegThresholds, detection_limit_g, estimate_thresholds
from lrm.signal.envelope import Deviation
from lrm.signal.limit import BRIEF_CLASSES, detection_limit_g as limit_for, pulse_factors
from lrm.signal.noise import SensorNoise
from lrm.signal.pulses import (pulse_bank, pulse_kernels, pulse_null, pulse_on_grid, pulse_statistic, pulse_tail,
                               pulse_widths)


def _onset_threshold(noise_g: float, fs_hz: float) -> float:
    """P's onset threshold (g) on white noise of ``noise_g`` per axis, as lrm.signal.detect sets it."""
    z = np.sqrt(special.chdtri(3, pulse_tail(DetectParams().false_alarm_tail, fs_hz, 25.0)))
    return float(z * noise_g * pulse_null(fs_hz).scale)


def test_p_is_used_only_on_sensors_that_resolve_the_briefest_pulse():
    assert pulse_kernels(10.0) == () and pulse_null(25.0).scale == 0.0 and pulse_kernels(40.0) == ()
    assert len(pulse_kernels(52.0)) == 3
    assert not pulse_statistic(np.ones((100, 3), np.float32), fs_hz=25.0).any()
    noise = SensorNoise((0.005,) * 3, 0.0, 25.0)
    dev = Deviation(*(np.zeros(500, np.float32) for _ in range(3)), burst_g=np.zeros(500, np.float32))
    assert estimate_thresholds(dev, np.ones(500, bool), noise, fs_hz=25.0).pulse_hi_g is None


@pytest.mark.parametrize("fs_hz", [52.0, 64.0, 100.0, 200.0])
def test_kernels_reject_gravity_and_slow_turns_and_read_a_pulse_peak(fs_hz):
    for w, h in zip(pulse_widths(fs_hz), pulse_kernels(fs_hz)):
        assert len(h) % 2 == 1 and len(h) >= 3
        assert abs(h.sum()) < 1e-9                                     # a constant (gravity) reads 0
        assert abs((h * np.arange(-(len(h) // 2), len(h) // 2 + 1)).sum()) < 1e-9   # and so does a straight line
        half = len(h) // 2
        t = np.arange(-half, half + 1) / fs_hz
        s = np.cos(2 * np.pi * np.clip(t / w, -0.5, 0.5))
        assert (h * (s - s.mean())).sum() == pytest.approx(1.0)


@pytest.mark.parametrize(("fs_hz", "noise_g"), [(50.0, 0.005), (100.0, 0.01), (200.0, 0.003)])
def test_white_noise_stays_below_the_onset_threshold(fs_hz, noise_g):
    """Gaussian noise per axis: P's chi(3) onset threshold at a 1e-6 tail per width is crossed on a handful of
    samples at most in 3 h of samples, and P's median sits far below it."""
    n = int(3 * 3600 * fs_hz)
    x = np.random.default_rng(7).normal(0.0, noise_g, (n, 3)).astype(np.float32)
    x[:, 2] += 1.0
    p = pulse_statistic(x, fs_hz=fs_hz)
    thr = _onset_threshold(noise_g, fs_hz)
    assert np.count_nonzero(p > thr) <= 10
    assert np.median(p) < 0.5 * thr


def test_a_toggling_quantiser_does_not_reach_the_onset_threshold():
    """An undithered 10 mg quantiser on a still leg whose true value drifts across level boundaries (the Daphnet
    case): the toggles are bounded by the swing term, so P never crosses."""
    fs, lsb = 64.0, 0.0098
    n = int(600 * fs)
    t = np.arange(n) / fs
    x = np.zeros((n, 3), np.float32)
    x[:, 2] = 1.0
    x[:, 0] = 0.3 * lsb * np.sin(2 * np.pi * t / 60.0) + np.random.default_rng(3).normal(0, 0.001, n)
    x = (np.round(x / lsb) * lsb).astype(np.float32)
    noise = SensorNoise((0.001, 0.001, 0.003), lsb, fs)
    n_grid = int(600 * 25)
    p = pulse_on_grid(t, x, fs_hz=fs, origin_s=0.0, grid_hz=25.0, n_grid=n_grid)
    dev = Deviation(np.zeros(n_grid, np.float32), np.zeros(n_grid, np.float32), np.zeros(n_grid, np.float32),
                    burst_g=np.zeros(n_grid, np.float32), pulse_g=p)
    thr = estimate_thresholds(dev, np.ones(n_grid, bool), noise, fs_hz=25.0, params=DetectParams(pulses=True))
    assert p.max() > 0.0                                  # the toggles do reach P ...
    assert np.all(p < thr.pulse_hi_g.min())               # ... but not its onset threshold


@pytest.mark.parametrize("fs_hz", [50.0, 64.0, 100.0, 128.0, 200.0])
def test_the_filter_bank_is_the_matched_filters_correlation(fs_hz):
    """P by one matrix product per axis (PulseBank) equals the definition, each width's kernel correlated with
    each axis (scipy.ndimage.correlate1d, ends extended with the nearest sample), magnitude over the axes,
    rescaled, largest over the widths: to float32 rounding, on lengths that do not fill the last block, across
    chunk boundaries, with gravity on an axis and movement of 1 g."""
    from scipy.ndimage import correlate1d

    rng = np.random.default_rng(int(fs_hz))
    n = 70_000 + int(fs_hz) * 7                             # more than one chunk, not a whole number of blocks
    x = rng.normal(0.0, 0.004, (n, 3)).astype(np.float32)
    x[:, 1] += 1.0
    x[n // 3: n // 3 + 500, 0] += np.float32(np.sin(np.arange(500) / 7.0))       # a large movement
    ref = np.zeros(n)
    for h, r in zip(pulse_kernels(fs_hz), pulse_null(fs_hz).rescale):
        y = [correlate1d(x[:, c].astype(np.float64), h, mode="nearest") for c in range(3)]
        ref = np.maximum(ref, r * np.sqrt(sum(v * v for v in y)))
    p = pulse_statistic(x, fs_hz=fs_hz)
    assert p.dtype == np.float32 and p.shape == (n,)
    assert np.abs(p - ref).max() < 2e-6 * (1.0 + ref.max())
    bank = pulse_bank(fs_hz)
    assert bank.matrix.shape == (bank.block + 2 * bank.reach, len(pulse_widths(fs_hz)) * bank.block)
    assert pulse_bank(40.0) is None


@pytest.mark.parametrize("fs_hz", [52.0, 100.0, 200.0])
def test_p_at_a_sample_does_not_depend_on_where_its_stretch_starts(fs_hz):
    """The online detector computes P on windows of the leg, offline on the whole leg: with each stretch's first
    index stated, P agrees bit for bit away from the stretch's ends (what the online == offline tests rest on)."""
    rng = np.random.default_rng(3)
    x = (rng.normal(0.0, 0.004, (150_000, 3)) + [0.3, 0.1, 0.95]).astype(np.float32)
    x[50_000:50_300, 0] += 0.5
    whole = pulse_statistic(x, fs_hz=fs_hz)
    reach = pulse_bank(fs_hz).reach
    for start in (1, 7, 2047, 65_537, 90_001):
        part = pulse_statistic(x[start: start + 50_000], fs_hz=fs_hz, first_index=start)
        assert np.array_equal(part[reach:-reach], whole[start + reach: start + 50_000 - reach]), start


def test_samples_beyond_the_sensor_range_are_left_out_as_prepare_does():
    """A sample of 9.5 g is a reading on a 16 g sensor but impossible on an 8 g one (accel_limit_g 8.9 g)."""
    fs = 100.0
    t = np.arange(0, 20, 1 / fs)
    x = np.tile(np.float32([0, 0, 1]), (t.size, 1))
    x[1000, 0] = 9.5
    on_16 = pulse_on_grid(t, x, fs_hz=fs, origin_s=0.0, grid_hz=25.0, n_grid=500, range_g=16.0)
    on_8 = pulse_on_grid(t, x, fs_hz=fs, origin_s=0.0, grid_hz=25.0, n_grid=500, range_g=8.0)
    assert on_16.max() > 1.0                               # a 9.5 g spike reads as a (huge) pulse
    assert on_8.max() < 1e-6                               # left out: a break, nothing filtered across it
    unknown = pulse_on_grid(t, x, fs_hz=fs, origin_s=0.0, grid_hz=25.0, n_grid=500)
    assert np.array_equal(unknown, on_16)                  # unknown range: only beyond 50 g is impossible


def test_a_gap_is_not_filtered_across():
    fs = 100.0
    t = np.concatenate((np.arange(0, 10, 1 / fs), np.arange(20, 30, 1 / fs)))
    x = np.zeros((t.size, 3), np.float32)
    x[:, 2] = 1.0
    x[t >= 20, 0] = 0.2                                   # the leg moved during the gap: a 200 mg step
    p = pulse_on_grid(t, x, fs_hz=fs, origin_s=0.0, grid_hz=25.0, n_grid=750)
    assert p.max() < 1e-6                                 # float32 rounding of gravity only


def test_broken_samples_and_backward_timestamps_do_not_make_pulses():
    fs = 100.0
    t = np.arange(0, 20, 1 / fs)
    x = np.tile(np.float32([0, 0, 1]), (t.size, 1))
    x[500, 0] = np.nan
    x[700, 1] = 1e20                                      # a missing-value sentinel
    t[1000], t[1001] = t[1001], t[1000]                  # two timestamps swapped
    p = pulse_on_grid(t, x, fs_hz=fs, origin_s=0.0, grid_hz=25.0, n_grid=500)
    assert np.all(np.isfinite(p)) and p.max() < 1e-6


def test_the_brief_limit_is_above_the_stated_limit_and_p_lowers_it_on_fast_sensors():
    thr = {"offset_hi_g": 0.008, "offset_scale_g": 0.0015, "spread_hi_g": 0.012, "burst_hi_g": 0.012}
    main = limit_for(**thr)
    brief = limit_for(**thr, classes=BRIEF_CLASSES)
    assert brief > 1.5 * main
    p_hi = _onset_threshold(0.005, 200.0)
    with_p = limit_for(**thr, classes=BRIEF_CLASSES, pulse_hi_g=p_hi, raw_fs_hz=200.0)
    assert with_p < brief
    assert limit_for(**thr, pulse_hi_g=p_hi, raw_fs_hz=200.0) == main   # the main limit never relies on P
    assert np.median(pulse_factors(200.0)) > np.median(pulse_factors(25.0))


def test_leg_limits_per_period():
    base = (np.float32([0.008, 0.02]), np.float32([0.005, 0.012]), np.float32([0.012, 0.03]),
            np.float32([0.01, 0.02]), np.float32([0.0015, 0.004]), SensorNoise((0.01,) * 3, 0.0, 100.0))
    burst = dict(burst_hi_g=np.float32([0.012, 0.03]), burst_lo_g=np.float32([0.006, 0.015]))
    without = LegThresholds(10.0, *base, **burst)
    with_p = LegThresholds(10.0, *base, **burst, pulse_hi_g=np.float32([0.015, 0.04]),
                           pulse_lo_g=np.float32([0.01, 0.02]))
    quiet = np.array([True, False])
    assert detection_limit_g(with_p, quiet) == detection_limit_g(without, quiet)
    assert detection_limit_g(with_p, quiet, brief=True) <= detection_limit_g(without, quiet, brief=True)
    assert detection_limit_g(with_p, quiet, brief=True) > detection_limit_g(with_p, quiet)
    assert np.isnan(detection_limit_g(with_p, np.array([False, False]), brief=True))
