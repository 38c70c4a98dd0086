"""The burst measures of lrm.signal.burst: a jerk's brief burst against a leg movement's hold, whatever the
sensor's rate, the ring-down after the burst and a lasting small turn of the leg."""

import numpy as np
import pytest

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from lrm.signal.burst import BURST_COLUMNS, burst_retention, estimate_bursts

G = 9.80665


def _night(fs_hz, seconds=20.0, noise_g=0.0, seed=0):
    t = np.arange(int(seconds * fs_hz)) / fs_hz
    a = np.zeros((t.size, 3))
    a[:, 2] = 1.0
    return t, a + np.random.default_rng(seed).normal(0, noise_g, a.shape)


def _add_flexion(t, a, start_s, width_s, peak_g, radius_m=0.4, lasting_rad=0.0):
    """A sin^2 flexion pulse (peak tangential acceleration ``peak_g``) about a pivot ``radius_m`` away."""
    amp = peak_g * G * width_s**2 / (2 * np.pi**2 * radius_m)
    tau = t - start_s
    theta = np.where((tau >= 0) & (tau <= width_s), amp * np.sin(np.pi * np.clip(tau / width_s, 0, 1)) ** 2, 0.0)
    theta += lasting_rad * np.clip(tau / width_s, 0, 1)
    alpha = amp * (2 * np.pi**2 / width_s**2) * np.cos(2 * np.pi * tau / width_s) * ((tau >= 0) & (tau <= width_s))
    a[:, 0] += -np.sin(theta)
    a[:, 2] += np.cos(theta) - 1.0 - radius_m * alpha / G
    return a


def _add_hold(t, a, start_s, length_s, angle_rad):
    """A leg movement: a 0.3 s rise, a hold of ``angle_rad`` and a 0.5 s release (the gravity shift)."""
    x = np.clip((t - start_s) / 0.3, 0, 1) - np.clip((t - start_s - length_s + 0.5) / 0.5, 0, 1)
    a[:, 0] += -np.sin(angle_rad * x)
    return a


@pytest.mark.parametrize("fs_hz", [12.5, 25.0, 50.0, 100.0, 200.0])
def test_a_jerk_is_brief_and_a_leg_movement_is_not_at_any_rate(fs_hz):
    t, a = _night(fs_hz, noise_g=0.003)
    a = _add_flexion(t, a, 5.0, 0.15, 0.8)
    a = _add_hold(t, a, 12.0, 3.0, np.radians(8))
    b = estimate_bursts(t, a.astype(np.float32), np.array([[4.9, 5.8], [11.9, 15.2]]), fs_hz=fs_hz)
    jerk, lm = b.iloc[0], b.iloc[1]
    assert jerk["burst_high_s"] <= 0.2 and jerk["burst_core_s"] <= 0.3
    if fs_hz >= 25.0:
        assert jerk["burst_peak_g"] == pytest.approx(0.8, rel=0.35)
    else:   # two or three samples of a 0.15 s burst: a slow sensor sees only part of its peak
        assert 0.1 < jerk["burst_peak_g"] < 0.8
    assert lm["burst_high_s"] >= 2.0 and lm["burst_core_s"] >= 2.0
    assert lm["burst_peak_g"] == pytest.approx(np.sin(np.radians(8)), rel=0.15)


def test_a_ring_down_stretches_the_movement_but_not_the_burst():
    t, a = _night(100.0, noise_g=0.002)
    a = _add_flexion(t, a, 5.0, 0.12, 1.0)
    after = np.clip(t - 5.12, 0, None)
    a[:, 1] += 0.3 * np.exp(-after / 0.15) * np.sin(2 * np.pi * 12 * after) * (t > 5.12)   # strap ring-down
    b = estimate_bursts(t, a.astype(np.float32), np.array([[4.95, 6.4]]), fs_hz=100.0).iloc[0]
    assert b["burst_high_s"] <= 0.15 and b["burst_core_s"] <= 0.45


def test_a_jerk_that_leaves_the_leg_turned_stays_brief():
    t, a = _night(50.0, noise_g=0.002)
    a = _add_flexion(t, a, 5.0, 0.15, 0.6, lasting_rad=np.radians(2.0))
    # the detector may report a long movement while the slow gravity estimate catches up with the new rest
    b = estimate_bursts(t, a.astype(np.float32), np.array([[4.9, 15.0]]), fs_hz=50.0).iloc[0]
    assert b["burst_high_s"] <= 0.2 and b["burst_core_s"] <= 0.3


def test_twitch_pulses_spread_over_a_second_are_not_one_brief_burst():
    t, a = _night(100.0, noise_g=0.002)
    for start in (5.0, 5.45, 5.9):
        a = _add_flexion(t, a, start, 0.1, 0.5)
    b = estimate_bursts(t, a.astype(np.float32), np.array([[4.95, 6.1]]), fs_hz=100.0).iloc[0]
    assert b["burst_core_s"] >= 0.8


def test_noise_alone_does_not_make_energy_and_an_empty_interval_is_nan():
    t, a = _night(100.0, noise_g=0.01)
    b = estimate_bursts(t, a.astype(np.float32), np.array([[5.0, 7.0], [30.0, 31.0]]), fs_hz=100.0)
    assert list(b.columns) == list(BURST_COLUMNS)
    assert b.iloc[0]["burst_peak_g"] < 0.06 and b.iloc[0]["burst_core_s"] <= 2.0
    assert b.iloc[1].isna().all()                       # beyond the samples
    assert estimate_bursts(t, a.astype(np.float32), np.empty((0, 2)), fs_hz=100.0).empty


def test_the_noise_around_a_movement_is_measured_in_its_rest_windows():
    t, a = _night(100.0, noise_g=0.01)
    a = _add_flexion(t, a, 5.0, 0.15, 0.8)
    b = estimate_bursts(t, a.astype(np.float32), np.array([[4.9, 5.8]]), fs_hz=100.0).iloc[0]
    # the mean 3-axis distance of Gaussian noise (sigma 10 mg per axis) from its mean is ~1.6 sigma
    assert b["burst_noise_g"] == pytest.approx(0.016, rel=0.2)
    assert b["burst_peak_g"] > 20 * b["burst_noise_g"]


@given(fs_hz=st.floats(10.0, 200.0), width_s=st.floats(0.075, 0.25), peak_g=st.floats(0.1, 2.0),
       start_s=st.floats(4.0, 6.0), noise_g=st.floats(0.0, 0.005))
@settings(max_examples=40, deadline=None)
def test_any_brief_flexion_pulse_is_brief_and_no_larger_than_its_peak(fs_hz, width_s, peak_g, start_s, noise_g):
    t, a = _night(fs_hz, seconds=12.0, noise_g=noise_g)
    quiet = a.copy()
    a = _add_flexion(t, a, start_s, width_s, peak_g)
    # a pulse shorter than the sample interval can fall between two samples (no anti-alias filter here):
    # then the sensor never saw it, and there is no burst to measure
    assume(np.abs(a - quiet).max() >= max(0.3 * peak_g, 20 * noise_g))
    b = estimate_bursts(t, a.astype(np.float32), np.array([[start_s - 0.1, start_s + width_s + 0.6]]),
                        fs_hz=fs_hz).iloc[0]
    step = 1.0 / fs_hz
    assert b["burst_peak_g"] <= 1.1 * peak_g + 5 * noise_g + 0.02  # never more than the pulse and its gravity turn
    # a 75 ms pulse falling between a 10 Hz sensor's samples leaves only noise: nothing to time then
    assume(b["burst_peak_g"] > 8 * noise_g + 0.01)
    assert b["burst_high_s"] <= width_s + 2 * step + 1e-9          # the high part lies within the pulse
    assert b["burst_core_s"] <= width_s + 2 * step + 1e-9
    assert b["burst_span_s"] <= width_s + 2 * step + 1e-9          # and so does the time the leg moved


@given(fs_hz=st.floats(1.0, 1000.0))
@settings(max_examples=30, deadline=None)
def test_burst_retention_is_a_share_that_grows_with_the_rate(fs_hz):
    r = burst_retention(fs_hz)
    assert 0.0 < r <= 1.0
    assert burst_retention(2.0 * fs_hz) >= r - 0.03                # faster sensors show at least as much


@pytest.mark.parametrize("fs_hz", [0.0, -1.0, float("nan")])
def test_burst_retention_refuses_a_rate_that_is_not_positive(fs_hz):
    with pytest.raises(ValueError, match="fs_hz must be > 0"):
        burst_retention(fs_hz)


@given(fs_hz=st.floats(1e-300, 1e300))
@settings(max_examples=30, deadline=None)
def test_burst_retention_is_a_share_at_any_positive_rate(fs_hz):   # a manifest may state any rate (tests/fuzz)
    assert 0.0 <= burst_retention(fs_hz) <= 1.0


def test_a_movement_ending_at_the_last_sample_is_measured():
    """No window with a sample after the movement (np.bincount then returns integers): the burst is still
    measured, in float64, instead of a casting error."""
    t, a = _night(25.0, seconds=40.0)
    a[955:975, 0] += 0.3                                   # a 0.8 s pulse in the leg's last 2 s
    table = estimate_bursts(t, a.astype(np.float32), np.array([[38.0, 40.0]]), fs_hz=25.0)
    assert table["burst_peak_g"].iloc[0] == pytest.approx(0.3, rel=0.05)
    assert np.isfinite(table[[c for c in BURST_COLUMNS if c not in ("burst_pulse_hz", "burst_pulse_cv")]]
                       .to_numpy(float)).all()
    assert table["burst_pulses"].iloc[0] == 1 and np.isnan(table["burst_pulse_hz"].iloc[0])   # one pulse: no rate


def _train_rows(fs_hz=100.0, noise_g=0.003):
    """A 1.5 Hz train of 0.2 s flexion bursts (hypnagogic foot tremor's or ALMA's shape, docs/scoring.md §3.2), a
    single 1 s restless adjustment (a 1 s flexion that leaves the leg 3 deg turned) and a movement of two 0.2 s
    pulses 0.7 s apart, each measured over its detected interval."""
    t, a = _night(fs_hz, seconds=40.0, noise_g=noise_g)
    for k in range(15):                                   # 10 s of bursts from 5 s
        a = _add_flexion(t, a, 5.0 + k / 1.5, 0.2, 0.4, radius_m=0.25)
    a = _add_flexion(t, a, 20.0, 1.0, 0.3, lasting_rad=np.radians(3.0))
    for start in (30.0, 30.7):
        a = _add_flexion(t, a, start, 0.2, 0.4, radius_m=0.25)
    spans = np.array([[4.8, 15.2], [19.8, 21.8], [29.8, 31.2]])
    return estimate_bursts(t, a.astype(np.float32), spans, fs_hz=fs_hz)


@pytest.mark.parametrize("fs_hz", [25.0, 100.0])
def test_a_train_of_brief_bursts_shows_its_pulses_and_their_rate(fs_hz):
    from lrm.params import JerkParams
    from lrm.rules.hypnic_jerks import _trains
    b = _train_rows(fs_hz)
    train, fidget, pair = b.iloc[0], b.iloc[1], b.iloc[2]
    assert 5 <= train["burst_pulses"] <= 7                # the first 4 s hold 6 of its bursts
    assert train["burst_pulse_s"] <= 0.3 and train["burst_pulse_hz"] == pytest.approx(1.5, abs=0.1)
    assert train["burst_pulse_cv"] < 0.1                  # a steady rhythm
    assert fidget["burst_pulses"] == 1 and fidget["burst_pulse_s"] >= 0.5 and np.isnan(fidget["burst_pulse_hz"])
    assert pair["burst_pulses"] == 2 and pair["burst_pulse_hz"] == pytest.approx(1 / 0.7, abs=0.1)
    assert _trains(b, JerkParams()).tolist() == [True, False, False]
