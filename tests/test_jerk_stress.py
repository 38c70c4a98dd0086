"""The stress generator plants what it says it plants (tests/jerk_stress.py), and its scoring counts a jerk
found on a planted confounder as a false jerk of that kind."""

import numpy as np
import pandas as pd
import pytest

from jerk_stress import RATES_HZ, make_stress_night, score_onsets, score_stress


@pytest.fixture(scope="module", params=[3, 11])
def night(request):
    return make_stress_night(request.param, hours=3.0)


def _first_leg(truth, kind):
    return truth[truth["kind"] == kind].groupby("group").head(1)


def test_the_true_jerks_are_brief_timed_by_an_onset_isolated_and_sized_against_the_nights_lms(night):
    t = night.truth
    jerks = _first_leg(t, "jerk")
    assert len(jerks) >= 1
    assert jerks["width_s"].between(0.1, 0.5).all()
    ratio = jerks["peak_g"] / night.lm_median_g
    assert ratio.between(0.8, 25.0).all()          # 1-20x the median as drawn, measured on the rendered night
    onsets = np.asarray(night.onsets_s)
    for _, row in jerks.iterrows():
        dt = row["onset_s"] - onsets
        assert ((dt >= -120.0) & (dt <= 180.0)).any()
        others = t[t["group"] != row["group"]]
        gap = np.maximum(others["onset_s"] - (row["onset_s"] + row["width_s"]), row["onset_s"] - others["offset_s"])
        assert gap.min() >= 10.0 - 1e-6


def test_the_confounders_have_the_stated_durations_sizes_and_places(night):
    t = night.truth
    onsets = np.asarray(night.onsets_s)
    members = _first_leg(t, "plm_member")
    assert len(members) >= 1
    assert ((members["offset_s"] - members["onset_s"]).between(0.9, 3.0)).all()
    assert members["peak_g"].between(0.05 * 0.95, 0.3 * 1.05).all()
    for x in members["onset_s"]:   # 30 min or more after the onset before them, 20 min before the next awakening
        assert x - onsets[onsets < x].max() >= 1800.0 - 1e-6
        assert (onsets[onsets > x] - x >= 1200.0).all()
    assert (t[t["kind"] == "plm_member"].groupby("group")["side"].nunique() == 2).all()   # bilateral
    fidgets = _first_leg(t, "onset_fidget")
    assert ((fidgets["offset_s"] - fidgets["onset_s"]).between(0.8, 1.2)).all()
    assert fidgets["peak_g"].between(0.5 * 0.95, 0.7 * 1.05).all()
    restless = t[t["kind"] == "restless"]
    assert len(restless) >= 3 and (restless["onset_s"] < onsets.max()).all()
    assert night.fs_hz in RATES_HZ and 0.001 <= night.noise_g <= 0.015


def test_a_jerk_found_on_a_planted_confounder_is_a_false_jerk_of_that_kind(night):
    t = night.truth
    jerk = _first_leg(t, "jerk").iloc[0]
    fidget = _first_leg(t, "restless").iloc[0]
    events = pd.DataFrame({"onset_s": [jerk["onset_s"] + 0.3, fidget["onset_s"] + 0.2, 5.0],
                           "offset_s": [jerk["onset_s"] + 0.5, fidget["onset_s"] + 0.4, 5.2],
                           "type": ["hypnic_jerk", "hypnic_jerk", "hypnic_jerk"], "side": "bilateral",
                           "jerk_reason": ["x", "y", "z"]})
    groups, other = score_stress(night, events)
    assert groups.loc[groups["group"] == jerk["group"], "jerk"].item()
    assert groups.loc[groups["group"] == fidget["group"], "jerk"].item()
    assert groups.loc[groups["kind"] == "jerk", "jerk"].sum() == 1
    assert other["onset_s"].tolist() == [5.0] and other["what"].tolist() == ["nothing"]


@pytest.mark.parametrize(("found_s", "expected"), [
    ([1000.0 + 900.0, 5000.0], {"first_err_min": 15.0, "far": 0, "missed": 0, "true": 2}),   # 15 min: inclusive
    ([1000.0 + 901.0, 5000.0], {"first_err_min": 901.0 / 60.0, "far": 1, "missed": 1, "true": 2}),
    ([], {"first_err_min": float("nan"), "far": 0, "missed": 2, "true": 2}),
])
def test_onset_scoring_counts_estimates_beyond_the_jerk_window_as_far_and_their_true_onsets_as_missed(found_s,
                                                                                                      expected):
    got = score_onsets([1000.0, 5000.0], found_s)
    counts = ("far", "missed", "true")
    assert {k: got[k] for k in counts} == {k: expected[k] for k in counts}
    assert got["first_err_min"] == pytest.approx(expected["first_err_min"], nan_ok=True)
