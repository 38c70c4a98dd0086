import numpy as np
import pytest

from lrm.signal.align import (MAX_DRIFT_PPM, ClockFit, _fit_line, activity, apply_clock_fit, estimate_clock_drift,
                               shift_1s, shift_events)

FS = 25.0


def _envelopes(hours: float, offset_s: float, drift_ppm: float, seed: int = 3, per_hour: int = 150):
    """Both legs' envelopes (g) of bilateral bursts, leg b's clock at offset_s + drift_ppm * 1e-6 * t, and the
    bursts' onsets (s)."""
    rng = np.random.default_rng(seed)
    n = int(hours * 3600 * FS)
    t = np.arange(n) / FS
    onsets = np.sort(rng.uniform(0, t[-1] - 10, int(per_hour * hours)))
    env_a = np.full(n, 0.005, np.float32)
    env_b = np.full(n, 0.005, np.float32)
    for on in onsets:
        d = rng.uniform(0.8, 4)
        env_a[int(on * FS) : int((on + d) * FS)] = 0.2
        on_b = on + offset_s + drift_ppm * 1e-6 * on
        env_b[int(on_b * FS) : int((on_b + d) * FS)] = 0.2
    return env_a, env_b, onsets


def _activity(env: np.ndarray) -> np.ndarray:
    return activity(env, np.full(env.size, 0.005, np.float32), np.ones(env.size, bool))


def _activities(hours: float, offset_s: float, drift_ppm: float, seed: int = 3, per_hour: int = 150):
    """Both legs' activity for bilateral bursts, leg b's clock at offset_s + drift_ppm * 1e-6 * t."""
    env_a, env_b, _ = _envelopes(hours, offset_s, drift_ppm, seed, per_hour)
    return _activity(env_a), _activity(env_b)


def test_a_one_hour_night_gets_an_offset_alone_and_says_so():
    # 1 h: two overlapping 1800 s windows, a line through two points (the user's +227 ppm on a 1 h night)
    a, b = _activities(1.0, offset_s=0.3, drift_ppm=60.0)
    fit = estimate_clock_drift(a, b, fs_hz=FS)
    assert fit.ok and fit.drift_ppm == 0.0 and fit.drift_sd_ppm is None
    assert "not estimated" in fit.note and "3 are needed" in fit.note
    lag_true = 0.3 + 60e-6 * np.array([0.0, 3600.0])
    assert np.abs(fit.lag_s(np.array([0.0, 3600.0])) - lag_true).max() < 0.25   # inside the 0.5 s window


def test_a_drift_fitted_beyond_a_clock_tolerance_is_held_at_it():
    # noisy lags overshoot a large true drift: an offset alone would be off by the whole drift at the ends
    t = np.arange(5) * 1800.0 + 900.0                      # 5 independent windows
    lag = 0.1 + 300e-6 * t + np.array([0.01, -0.01, 0.0, 0.01, -0.01])   # +300 ppm
    fit = _fit_line(t, lag, np.ones(5), window_s=1800.0)
    assert fit.ok and fit.drift_ppm == pytest.approx(MAX_DRIFT_PPM) and fit.drift_sd_ppm is not None
    assert "beyond" in fit.note and f"held at +{MAX_DRIFT_PPM:.0f} ppm" in fit.note
    assert fit.offset_s == pytest.approx(np.median(lag - MAX_DRIFT_PPM * 1e-6 * t))
    within = _fit_line(t, 0.1 + 180e-6 * t, np.ones(5), window_s=1800.0)  # two clocks +-90 ppm apart
    assert within.drift_ppm == pytest.approx(180.0) and within.note == ""


def test_a_loose_fit_beyond_a_clock_tolerance_gets_an_offset_alone():
    # 3 independent windows, two of them an alias 2 s off (a multi-day window's night): -500 ppm +- ~190
    t = np.array([900.0, 1800.0, 4500.0, 5400.0])
    lag = np.array([0.0, 0.0, -2.0, -2.0])
    fit = _fit_line(t, lag, np.ones(4), window_s=1800.0)
    assert fit.drift_ppm == 0.0 and fit.drift_sd_ppm is None
    assert "beyond" in fit.note and "an offset alone was applied" in fit.note


@pytest.mark.parametrize("alias_s", [0.55, 0.8])
def test_one_window_taken_from_an_alias_moves_the_line_a_bounded_amount(alias_s):
    # the last of 7 windows a walking half-stride (0.55 s) or more off: Huber bounds its pull, whatever its size
    t = np.arange(7) * 900.0 + 900.0
    lag = 0.2 + 50e-6 * t + np.array([0.02, -0.02, 0.01, 0.0, -0.01, 0.02, alias_s])
    fit = _fit_line(t, lag, np.ones(7), window_s=1800.0)
    ends = np.array([0.0, 7200.0])
    assert np.abs(fit.lag_s(ends) - (0.2 + 50e-6 * ends)).max() < 0.15   # least squares: 0.32 / 0.46 s


def test_the_stated_drift_error_is_calibrated_on_noisy_lags():
    # 4 independent windows, lags with 0.2 s of noise: the drift's error is as large as stated, not smaller
    rng = np.random.default_rng(5)
    t = np.arange(7) * 900.0 + 900.0                       # 1800 s windows at 900 s steps: 4 independent
    z = []
    for _ in range(300):
        fit = _fit_line(t, 0.1 + 80e-6 * t + rng.normal(0.0, 0.2, 7), np.ones(7), window_s=1800.0)
        z.append((fit.drift_ppm - 80.0) / fit.drift_sd_ppm)
    assert 0.75 < np.sqrt(np.mean(np.square(z))) < 1.3           # 0.91 (rms of the errors in stated errors)


def test_offset_and_drift_of_the_second_leg_are_recovered():
    offset_s, drift_ppm = 1.3, 80.0
    env_a, env_b, onsets = _envelopes(4.0, offset_s, drift_ppm)   # 600 bursts over 4 h
    fit = estimate_clock_drift(_activity(env_a), _activity(env_b), fs_hz=FS)
    assert fit.ok
    assert fit.offset_s == pytest.approx(offset_s, abs=0.1)
    assert fit.drift_ppm == pytest.approx(drift_ppm, abs=10)
    assert fit.residual_s < 0.1
    assert fit.note == "" and 0.0 < fit.drift_sd_ppm < 10.0
    aligned = apply_clock_fit(env_b, fit, fs_hz=FS)
    late = int(onsets[-1] * FS)
    assert aligned[late + 2] == pytest.approx(0.2)


def test_no_movement_means_no_fit():
    n = int(3600 * FS)
    z = np.zeros(n, np.float32)
    ok = np.ones(n, bool)
    fit = estimate_clock_drift(activity(z, z + 0.01, ok), activity(z, z + 0.01, ok), fs_hz=FS)
    assert not fit.ok and fit.offset_s == 0.0


def test_events_move_onto_the_first_clock_and_outside_ones_are_dropped():
    import pandas as pd

    fit = ClockFit(offset_s=2.0, drift_ppm=100.0, ok=True)
    table = pd.DataFrame({"onset_s": [1.0, 12.0, 1003.0], "offset_s": [1.5, 13.0, 1004.0]})
    moved = shift_events(table, fit, duration_s=1000.0)
    assert moved["onset_s"].tolist() == pytest.approx([10.0 / 1.0001])       # 1 s -> before 0: dropped
    assert moved["offset_s"].tolist() == pytest.approx([11.0 / 1.0001])      # 1003 s -> 1000.9 s: dropped


def test_per_second_values_move_with_the_lag():
    values = np.arange(10, dtype=np.float32)
    assert shift_1s(values, ClockFit(offset_s=2.0, ok=True)).tolist() == [2, 3, 4, 5, 6, 7, 8, 9, 9, 9]
    both = shift_1s(np.column_stack([values, -values]), ClockFit(offset_s=0.5, ok=True))
    assert both[0].tolist() == [0.5, -0.5]


def _walking(env: np.ndarray, start_s: float, stop_s: float, phase_s: float) -> None:
    """Walking on one leg's envelope (g): continuous shank motion with a peak every 1.1 s stride."""
    i0, i1 = int(start_s * FS), min(int(stop_s * FS), env.size)
    t = np.arange(i0, i1) / FS - phase_s
    env[i0:i1] = 0.05 + 0.25 * np.maximum(np.sin(2 * np.pi * t / 1.1), 0.0) ** 4


def test_walking_before_lights_out_does_not_pull_the_lag_by_half_a_stride():
    # the legs swing half a stride (0.55 s) apart: the walking windows' correlation peaks there, off the clock
    offset_s = 0.3
    env_a, env_b, _ = _envelopes(3.0, offset_s, 0.0, seed=4, per_hour=60)
    for start, stop in ((0.0, 1200.0), (9600.0, 10800.0)):     # 20 min at each end of the night, upright
        _walking(env_a, start, stop, 0.0)
        _walking(env_b, start + offset_s, min(stop + offset_s, 10800.0), 0.55)
    fit = estimate_clock_drift(_activity(env_a), _activity(env_b), fs_hz=FS)
    ends = np.array([0.0, 5400.0, 10800.0])
    assert np.abs(fit.lag_s(ends) - offset_s).max() < 0.05      # main: 0.09 s (walking windows weighed most)


def test_a_12_hour_night_has_its_lags_measured_to_its_end():
    # +2 s and 180 ppm reach 9.8 s at 12 h: the 8 s searched for every night before lost the last 2.7 h of lags
    offset_s, drift_ppm = 2.0, 180.0
    a, b = _activities(12.0, offset_s, drift_ppm, seed=6, per_hour=60)
    fit = estimate_clock_drift(a, b, fs_hz=FS)
    windows = int((12.0 * 3600 - 1800.0) // 900.0) + 1        # 1800 s windows at 900 s steps
    assert fit.n_windows == windows                             # main: 36 of 47
    ends = np.array([0.0, 43200.0])
    assert np.abs(fit.lag_s(ends) - (offset_s + drift_ppm * 1e-6 * ends)).max() < 0.1


def test_a_loose_drift_on_a_short_night_is_stated_as_the_alignment_uncertainty_at_its_ends():
    from types import SimpleNamespace as NS

    from lrm.signal.legs import CLOCK_NOTE_S, _on_first_clock

    class _Leg:
        def on_clock(self, fit, duration_s):  # noqa: ANN001, ANN201
            return self
    recording = NS(sides=("left", "right"), start_s=0.0, end_s=7200.0,
                   legs={"left": NS(duration_s=7200.0), "right": NS(duration_s=7200.0)})
    legs = {"left": _Leg(), "right": _Leg()}
    loose = ClockFit(drift_ppm=119.0, drift_sd_ppm=132.0, n_windows=4, ok=True)   # +-0.48 s at the ends of 2 h
    notes = _on_first_clock(recording, legs, loose).notes
    assert len(notes) == 1 and "+-0.48 s" in notes[0] and "+119 +- 132 ppm from 4 windows" in notes[0]
    tight = ClockFit(drift_ppm=-78.0, drift_sd_ppm=4.0, n_windows=14, ok=True)     # +-0.01 s: nothing to say
    assert _on_first_clock(recording, legs, tight).notes == ()
    edge = CLOCK_NOTE_S / (1e-6 * 3600.0)          # the sd at which a 2 h night reaches the note's level
    assert _on_first_clock(recording, legs, ClockFit(drift_sd_ppm=edge * 0.99, ok=True)).notes == ()
    assert _on_first_clock(recording, legs, ClockFit(drift_sd_ppm=edge * 1.01, ok=True)).notes != ()
