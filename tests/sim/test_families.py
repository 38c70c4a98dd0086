"""The wide and hard night families: drawn ranges, what the sensor delivers, and the truth's peak."""

import numpy as np
import pytest

from lrm.io.registry import read
from lrm.sim.families import HARD_RATES_HZ, OUTPUT_RATES_HZ, draw_family_variation
from lrm.sim.night import simulate
from lrm.sim.profiles import PROFILES, SimVariation
from lrm.sim.sample_night import SAMPLE_RECIPE, SAMPLE_VARIATION, sample_night_dir

ZERO = {"left": 0.0, "right": 0.0}


@pytest.mark.parametrize("family", ["wide", "hard"])
def test_every_night_is_drawn_within_the_stated_ranges(family):
    hard = family == "hard"
    for seed in range(40):
        v = draw_family_variation(np.random.default_rng(seed), PROFILES["plmd"], family)
        assert (0.005 if hard else 0.001) <= v.noise_g <= 0.015
        assert v.range_g / 32768 <= v.lsb_g <= 0.016 and (not hard or v.lsb_g >= 0.006)
        assert set(v.rate_hz.values()) <= set(HARD_RATES_HZ if hard else OUTPUT_RATES_HZ)
        assert 0.015 <= v.lm_peak_median_g <= (0.06 if hard else 0.3)
        assert v.mounting == "shank" and 0.25 <= v.bandwidth_ratio <= 0.5
        assert sum(v.lm_shape_mix.values()) == pytest.approx(1.0)
        assert (1.0 if hard else 0.0) <= v.gaps_per_h <= (4.0 if hard else 1.5)


def test_pinning_one_value_keeps_the_others_and_classic_ignores_the_new_draws():
    free = draw_family_variation(np.random.default_rng(3), PROFILES["rls"], "wide")
    pinned = draw_family_variation(np.random.default_rng(3), PROFILES["rls"], "wide",
                                   SimVariation(noise_g=0.002, rate_hz={"left": 64.0}))
    assert pinned.noise_g == 0.002 and pinned.rate_hz["left"] == 64.0 and pinned.rate_hz["right"] == free.rate_hz["right"]
    assert pinned.lm_peak_median_g == free.lm_peak_median_g and pinned.plm_index_per_h == free.plm_index_per_h
    classic = draw_family_variation(np.random.default_rng(3), PROFILES["rls"], "classic")
    assert classic.lsb_g is None and classic.rate_hz is None and classic.mounting == "random"
    with pytest.raises(ValueError, match="family"):
        draw_family_variation(np.random.default_rng(3), PROFILES["rls"], "easy")  # type: ignore[arg-type]


def test_the_quantisation_step_and_the_rate_are_honoured():
    var = SimVariation(lsb_g=0.0073, range_g=8.0, rate_hz={"left": 13.0, "right": 104.0}, timestamp_jitter_s=0.0, gaps_per_h=0.0)
    sim = simulate("plmd", seed=2, hours=0.5, variation=var, family="wide")
    for side, fs in (("left", 13.0), ("right", 104.0)):
        leg = sim.recording.legs[side]
        counts = leg.accel_g.astype(np.float64) / 0.0073
        np.testing.assert_allclose(counts, np.round(counts), atol=1e-3)
        assert leg.fs_hz == fs and np.median(np.diff(leg.t_s)) == pytest.approx(1 / fs, rel=2e-4)
        assert sim.truth.legs[side].scale_g == 0.0073 and sim.truth.legs[side].bandwidth_hz <= fs / 2
    with pytest.raises(ValueError, match="int16"):
        simulate("plmd", seed=2, hours=0.5, variation=SimVariation(lsb_g=1e-5, range_g=8.0), family="wide")


def test_the_drawn_rate_is_used_when_none_is_given():
    sim = simulate("healthy", seed=11, hours=0.25, family="hard")
    assert {leg.fs_hz for leg in sim.recording.legs.values()} <= set(HARD_RATES_HZ)
    assert sim.truth.variation["rate_hz"] == {s: leg.fs_hz for s, leg in sim.recording.legs.items()}


def test_the_truth_peak_is_the_largest_change_from_rest_on_a_noiseless_night():
    """peak_g = max |a(t) - a_rest| (lrm.sim.truth): measured on the recorded samples of a noiseless,
    finely quantised 200 Hz night it agrees within a few percent (sampling and bias drift)."""
    var = SimVariation(noise_g=0.0, lsb_g=4 / 32768, range_g=4.0, gaps_per_h=0.0, timestamp_jitter_s=0.0,
                       drift_ppm=ZERO, clock_offset_s=ZERO, start_lag_s=ZERO, hypnic_jerks=3)
    sim = simulate("plmd", seed=5, hours=0.75, rate_hz=200.0, variation=var, family="wide")
    ev, start = sim.truth.events, sim.recording.start_s
    moves = ev[ev["type"].isin(["lm", "hypnic_jerk"])]
    assert len(moves) > 20 and (ev["type"] == "hypnic_jerk").sum() >= 1
    ratios = []
    for _, e in moves.iterrows():
        seen = 0.0
        for side in (("left", "right") if e["side"] == "bilateral" else (e["side"],)):
            leg = sim.recording.legs[side]
            t = leg.t_s - start
            rest = leg.accel_g[(t >= e["onset_s"] - 0.2) & (t < e["onset_s"])].mean(axis=0)
            during = (t >= e["onset_s"]) & (t <= e["offset_s"] + (1.5 if e["type"] == "hypnic_jerk" else 0.5))
            seen = max(seen, float(np.linalg.norm(leg.accel_g[during] - rest, axis=1).max()))
        ratios.append(seen / e["peak_g"])
    assert np.median(ratios) == pytest.approx(1.0, abs=0.01)
    assert 0.95 < min(ratios) and max(ratios) < 1.05


def test_a_wide_night_has_every_lm_class_the_nights_amplitudes_and_isolated_jerks():
    sim = simulate("hypnic", seed=7, hours=3.0, family="wide", variation=SimVariation(lm_peak_median_g=0.05,
                                                                                       hypnic_jerks=8))
    ev, truth = sim.truth.events, sim.truth
    lms = ev[ev["type"] == "lm"]
    assert set(lms["shape"]) == {"rotation", "twitch", "tremor"}
    assert 0.02 < lms["peak_g"].median() < 0.08 and lms["duration_s"].between(0.5, 20.0).all()
    jerks = ev[ev["type"] == "hypnic_jerk"]
    assert len(jerks) >= 6 and (jerks["duration_s"] <= 0.25).all() and (jerks["side"] == "bilateral").mean() >= 0.5
    assert set(jerks["shape"]) <= {"flexion", "biphasic", "axial", "shift"}
    onsets = np.asarray(truth.sleep_onsets_s)
    assert (np.min(np.abs(jerks["onset_s"].to_numpy()[:, None] - onsets[None, :]), axis=1) <= 181).all()
    others = ev[ev["type"].isin(["lm", "fidget", "tremor", "alma"])]
    for t in jerks["onset_s"]:
        assert not ((others["offset_s"] > t - 9.5) & (others["onset_s"] < t + 9.5)).any()
    assert (ev.loc[ev["type"].isin(["posture_change", "walking", "fidget"]), "shape"] != "").all()


def test_the_hard_family_is_noisier_coarser_and_slower_than_the_wide_one():
    hard = [draw_family_variation(np.random.default_rng(s), PROFILES["rls"], "hard") for s in range(30)]
    wide = [draw_family_variation(np.random.default_rng(s), PROFILES["rls"], "wide") for s in range(30)]
    for key in ("noise_g", "lsb_g", "gaps_per_h", "distractor_scale"):
        assert np.median([getattr(v, key) for v in hard]) > np.median([getattr(v, key) for v in wide])
    assert np.median([getattr(v, "lm_peak_median_g") for v in hard]) < np.median([v.lm_peak_median_g for v in wide])
    assert max(max(v.rate_hz.values()) for v in hard) <= 32.0


def test_the_bundled_sample_night_is_its_recipe_sample_for_sample():
    """The classic family is unchanged: the recipe still rebuilds the bundled night's samples exactly."""
    recipe = dict(SAMPLE_RECIPE)
    sim = simulate(str(recipe.pop("profile")), variation=SAMPLE_VARIATION, **recipe)  # type: ignore[arg-type]
    bundled = read(sample_night_dir())
    for side in ("left", "right"):
        np.testing.assert_array_equal(bundled.legs[side].accel_g, sim.recording.legs[side].accel_g)
        np.testing.assert_allclose(bundled.legs[side].t_s, sim.recording.legs[side].t_s, rtol=0, atol=2e-6)
