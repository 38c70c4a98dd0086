"""The night simulator: determinism, truth consistency, clock, gaps, quantisation, rates, profiles."""

import numpy as np
import pandas as pd
import pytest

from lrm.sim.night import simulate
from lrm.sim.profiles import PROFILES, SimVariation, draw_variation
from lrm.sim.timeline import EPOCH_S


def test_same_seed_same_night_other_seed_other_night(make_night):
    a, b = make_night("plmd", seed=4), simulate("plmd", seed=4, hours=1.0, rate_hz=50.0)
    c = make_night("plmd", seed=5)
    for side in ("left", "right"):
        np.testing.assert_array_equal(a.recording.legs[side].accel_g, b.recording.legs[side].accel_g)
        np.testing.assert_array_equal(a.recording.legs[side].t_s, b.recording.legs[side].t_s)
    pd.testing.assert_frame_equal(a.truth.events, b.truth.events)
    assert a.truth.to_json() == b.truth.to_json()
    assert not a.truth.events[["onset_s"]].equals(c.truth.events[["onset_s"]])


def test_pinning_one_variation_field_keeps_the_others():
    rng_a, rng_b = np.random.default_rng(1), np.random.default_rng(1)
    free = draw_variation(rng_a, PROFILES["rls"])
    pinned = draw_variation(rng_b, PROFILES["rls"], SimVariation(noise_g=0.01, drift_ppm={"left": 5.0}))
    assert pinned.noise_g == 0.01 and pinned.drift_ppm["left"] == 5.0
    assert pinned.drift_ppm["right"] == free.drift_ppm["right"] and pinned.plm_index_per_h == free.plm_index_per_h


@pytest.mark.parametrize("profile", sorted(PROFILES))
def test_truth_is_consistent(make_night, profile):
    truth = make_night(profile, seed=1, hours=2.0, rate_hz=25.0).truth
    ev = truth.events
    assert (ev["offset_s"] > ev["onset_s"]).all()
    np.testing.assert_allclose(ev["duration_s"], ev["offset_s"] - ev["onset_s"], atol=1e-9)
    assert ev["onset_s"].is_monotonic_increasing
    assert 0 < truth.lights_out_s < truth.sleep_onsets_s[0] < truth.lights_on_s < truth.duration_s
    assert truth.time_in_bed_h == pytest.approx((truth.lights_on_s - truth.lights_out_s) / 3600)
    lms = ev[ev["type"] == "lm"]
    assert lms["side"].isin(["left", "right"]).all()
    assert ((lms["onset_s"] > truth.lights_out_s) & (lms["offset_s"] < truth.lights_on_s)).all()
    assert (lms["duration_s"].between(0.5, 20.0)).all()
    for side in ("left", "right"):  # one leg's LMs never overlap: every true LM is unambiguous
        one = lms[lms["side"] == side]
        assert (one["onset_s"].to_numpy()[1:] - one["offset_s"].to_numpy()[:-1] >= 0.99).all()
    upright = ev[ev["type"] == "walking"]
    for _, walk in upright.iterrows():
        assert not ((lms["onset_s"] < walk["offset_s"]) & (lms["offset_s"] > walk["onset_s"])).any()
    assert truth.scored is not None
    assert truth.plm_index == pytest.approx(truth.scored.summary.plm_count / truth.analysis_h)
    assert ev.loc[ev["type"] == "lm", "in_plm_series"].sum() >= truth.scored.summary.plm_count


def test_hypnic_jerks_are_brief_isolated_and_at_sleep_onsets(make_night):
    truth = make_night("hypnic", seed=2, hours=4.0, rate_hz=50.0).truth
    ev = truth.events
    jerks = ev[ev["type"] == "hypnic_jerk"]
    assert len(jerks) >= 5
    assert (jerks["duration_s"] < 0.5).all() and (jerks["peak_g"] > 0.1).all()
    assert (jerks["side"] == "bilateral").mean() >= 0.5
    onsets = np.asarray(truth.sleep_onsets_s)
    assert (np.min(np.abs(jerks["onset_s"].to_numpy()[:, None] - onsets[None, :]), axis=1) <= 91).all()
    others = ev[ev["type"].isin(["lm", "fidget", "tremor", "alma"])]
    for t in jerks["onset_s"]:
        assert not ((others["offset_s"] > t - 9.5) & (others["onset_s"] < t + 9.5)).any()


def test_lm_amplitudes_are_realistic(make_night):
    ev = make_night("plmd", seed=3, hours=2.0).truth.events
    lms = ev[(ev["type"] == "lm") & ~ev["weak"]]
    assert 0.1 < lms["peak_g"].median() < 0.8  # docs/scoring.md §6: ~377 mg typical, 30-985 mg forward model
    weak = ev[(ev["type"] == "lm") & ev["weak"]]
    assert (weak["peak_g"] < 0.12).all()


def test_plmd_night_has_more_plms_than_a_healthy_one(make_night):
    plmd = make_night("plmd", seed=1, hours=2.0, rate_hz=25.0).truth
    healthy = make_night("healthy", seed=1, hours=2.0, rate_hz=25.0).truth
    assert plmd.plm_index > 10 > healthy.plm_index


def test_quantisation_and_clipping():
    var = SimVariation.ideal(range_g=2.0, resolution_bits=12)
    sim = simulate("plmd", seed=0, hours=1.0, rate_hz=50.0, variation=var)
    scale = 4.0 / 4096
    for leg in sim.recording.legs.values():
        counts = leg.accel_g.astype(np.float64) / scale
        np.testing.assert_allclose(counts, np.round(counts), atol=1e-3)
        assert leg.accel_g.max() <= 2.0 and leg.accel_g.min() >= -2.0
        assert leg.range_g == 2.0
    assert max(leg.clipped_share for leg in sim.truth.legs.values()) > 0  # walking heel strikes exceed 2 g


def test_per_leg_rates_and_jitter():
    var = SimVariation(timestamp_jitter_s=0.002, gaps_per_h=0.0)
    sim = simulate("rls", seed=2, hours=1.0, rate_hz={"left": 25.0, "right": 100.0}, variation=var)
    for side, fs in (("left", 25.0), ("right", 100.0)):
        leg = sim.recording.legs[side]
        steps = np.diff(leg.t_s)
        assert leg.fs_hz == fs and (steps >= 0).all()
        assert np.median(steps) == pytest.approx(1 / fs, rel=0.05)
        assert 0.0005 < np.std(steps) < 0.004  # jitter, capped at 0.2 / fs
        assert leg.n_samples == pytest.approx(3600 * fs, rel=0.01)


def test_timestamps_follow_the_clock_model_in_truth():
    var = SimVariation(timestamp_jitter_s=0.0, drift_ppm={"left": 100.0, "right": -80.0})
    sim = simulate("plmd", seed=6, hours=1.0, rate_hz=50.0, variation=var)
    truth, start = sim.truth, sim.recording.start_s
    for side, leg in sim.recording.legs.items():
        lt = truth.legs[side]
        assert lt.true_fs_hz == pytest.approx(50.0 / (1 + lt.drift_ppm * 1e-6))
        first_true_s = truth.variation["start_lag_s"][side] + truth.hypnogram_start_s
        expected = (1 + lt.drift_ppm * 1e-6) * first_true_s + lt.offset_s
        assert truth.recorded_s(first_true_s, side) == pytest.approx(expected)
        if not (lt.gaps_s.size and lt.gaps_s[0, 0] <= first_true_s):
            assert leg.t_s[0] - start == pytest.approx(expected, abs=1e-5)


def _signal_onset(leg, t_from, t_to, noise_g):
    """Recorded time at which the acceleration first departs from its value before ``t_from``."""
    m = (leg.t_s >= t_from) & (leg.t_s <= t_to)
    base = leg.accel_g[(leg.t_s > t_from - 1.0) & (leg.t_s < t_from)].mean(axis=0)
    dev = np.linalg.norm(leg.accel_g[m] - base, axis=1)
    return leg.t_s[m][np.argmax(dev > 8 * noise_g)]


def test_clock_drift_shifts_events_in_the_recorded_signal():
    zero = {"left": 0.0, "right": 0.0}
    var = SimVariation.ideal(drift_ppm={"left": 100.0, "right": -100.0}, clock_offset_s=zero, noise_g=0.001)
    sim = simulate("plmd", seed=8, hours=3.0, rate_hz=100.0, variation=var)
    truth, start = sim.truth, sim.recording.start_s
    lms = truth.events[(truth.events["type"] == "lm") & (truth.events["peak_g"] > 0.3)]
    late = lms[lms["onset_s"] > truth.duration_s - 5000]
    assert len(late) > 0
    for _, lm in late.groupby("side").head(2).iterrows():
        lt = truth.legs[lm["side"]]
        predicted = start + (1 + lt.drift_ppm * 1e-6) * lm["onset_s"] + lt.offset_s
        seen = _signal_onset(sim.recording.legs[lm["side"]], predicted - 2.0, predicted + 3.0, 0.001)
        assert predicted - 0.02 <= seen <= predicted + 0.3  # ignoring drift would be off by ~0.7-1 s here


def test_gaps_remove_samples_and_are_reported():
    var = SimVariation(gaps_per_h=6.0, timestamp_jitter_s=0.0)
    sim = simulate("plmd", seed=9, hours=2.0, rate_hz=25.0, variation=var)
    truth, start = sim.truth, sim.recording.start_s
    total_gap_s = 0.0
    for side, leg in sim.recording.legs.items():
        lt = truth.legs[side]
        assert lt.gaps_s.shape[0] > 0 and len(leg.gaps) > 0
        for a, b in lt.gaps_s:
            rec_a = start + (1 + lt.drift_ppm * 1e-6) * a + lt.offset_s
            rec_b = start + (1 + lt.drift_ppm * 1e-6) * b + lt.offset_s
            assert not ((leg.t_s > rec_a + 0.05) & (leg.t_s < rec_b - 0.05)).any()
            total_gap_s += b - a
        assert all(g.end_s - g.start_s > 1.0 and g.cause == "disconnected" for g in leg.gaps)
    assert truth.analysis_h < truth.time_in_bed_h
    unobserved = truth.events[~truth.events["observed"]]
    assert len(unobserved) > 0 and len(truth.lms()) == ((truth.events["type"] == "lm") & truth.events["observed"]).sum()


def test_one_leg_truth_covers_only_that_leg():
    sim = simulate("plmd", seed=1, hours=1.0, rate_hz=25.0, sides=("right",))
    assert sim.recording.sides == ("right",)
    assert set(sim.truth.events["side"]) <= {"right"}
    assert set(sim.truth.legs) == {"right"}


def test_hypnogram_covers_the_night_and_sleep_is_in_bed(make_night):
    truth = make_night("rls", seed=1, hours=2.0, rate_hz=25.0).truth
    assert len(truth.stages) * EPOCH_S >= truth.duration_s
    stages = np.asarray(truth.stages)
    t = truth.hypnogram_start_s + np.arange(stages.size) * EPOCH_S
    asleep = stages != "W"
    assert (t[asleep] >= truth.lights_out_s).all() and (t[asleep] <= truth.lights_on_s).all()
    assert set(stages) <= {"W", "N1", "N2", "N3", "R"}


@pytest.mark.parametrize(("kwargs", "match"), [({"profile": "sleepy"}, "profile"), ({"hours": 0.1}, "600 s"),
                                               ({"rate_hz": 5.0}, "rate_hz"), ({"sides": ("middle",)}, "sides")])
def test_bad_arguments_are_rejected(kwargs, match):
    with pytest.raises(ValueError, match=match):
        simulate(**{"hours": 1.0, **kwargs})
