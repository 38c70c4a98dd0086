"""The pipeline's hook for hypnic jerks (docs/scoring.md §3.1, lrm.rules.hypnic_jerks): a brief burst that is no jerk,
fails the LM morphology check and is as large as a jerk may be keeps its row and its reason."""

import pandas as pd

from lrm.params import JerkParams
from lrm.pipeline import _drop_failed_morphology

P = JerkParams()
RATES = {"left": 100.0, "right": 10.0}   # a 10 Hz sensor shows ~1/3 of a brief burst's peak


def test_a_judged_large_brief_burst_failing_the_lm_morphology_keeps_its_reason_as_a_brief_burst():
    table = pd.DataFrame({"onset_s": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0],
                          "side": ["left", "left", "left", "left", "right", "right"],
                          "type": ["lm", "lm", "lm", "posture_change", "lm", "lm"],
                          "morphology_ok": [False, False, True, False, False, False],
                          "burst_peak_g": [0.5, 0.5, 0.5, 0.5, 0.03, 0.02],
                          "jerk_reason": pd.array(["not a jerk: another movement 3.2 s away", None, None, None,
                                                   "not a jerk: one of a run", "not a jerk: burst peak"], dtype="string")})
    out = _drop_failed_morphology(table, RATES, P)
    # the unjudged failed LM (20 s) is dropped; at 10 Hz 0.03 g is a jerk's size (>= 0.08 g x 0.33), 0.02 g is not
    assert out["onset_s"].tolist() == [10.0, 30.0, 40.0, 50.0]
    assert out["type"].tolist() == ["brief_burst", "lm", "posture_change", "brief_burst"]
    assert out["jerk_reason"].iloc[0] == "not a jerk: another movement 3.2 s away"
    assert out["jerk_reason"].iloc[1:3].isna().all()


def test_a_small_blip_failing_the_lm_morphology_is_dropped_with_the_failed_lms():
    table = pd.DataFrame({"onset_s": [10.0], "side": ["left"], "type": ["lm"], "morphology_ok": [False],
                          "burst_peak_g": [P.min_peak_g - 0.001],
                          "jerk_reason": pd.array(["not a jerk: burst peak 0.079 g below 0.080 g"], dtype="string")})
    assert _drop_failed_morphology(table, RATES, P).empty


def test_without_jerk_reasons_every_lm_failing_the_morphology_is_dropped():
    table = pd.DataFrame({"onset_s": [10.0, 20.0], "side": ["left", "left"], "type": ["lm", "lm"],
                          "morphology_ok": [False, True]})
    out = _drop_failed_morphology(table, RATES, P)
    assert out["onset_s"].tolist() == [20.0] and out["type"].tolist() == ["lm"]


def _burst_among_fidgets() -> pd.DataFrame:
    """A bilateral 0.12-0.16 s burst at 150 s among four restless fidgets 55-70 s apart (one leg, 2 s, 0.5 g) that
    each leave the leg 4 deg turned: 0.07 rad kept of a 0.5 g excursion, a repositioning (kept_turn_fraction)."""
    fidgets = [60.0, 115.0, 185.0, 240.0]
    n = len(fidgets)
    return pd.DataFrame({
        "onset_s": fidgets + [150.0, 150.05], "offset_s": [f + 2.0 for f in fidgets] + [150.6, 150.7],
        "side": ["left"] * n + ["left", "right"], "type": "lm",
        "peak_g": [0.5] * n + [0.9, 0.7], "burst_peak_g": [0.5] * n + [0.9, 0.7],
        "burst_high_s": [1.5] * n + [0.12, 0.16], "burst_core_s": [1.8] * n + [0.3, 0.35],
        "angle_deg": [4.0] * n + [0.0, 0.0]})


def test_a_burst_among_fidgets_that_keep_their_turn_is_a_jerk_not_a_member_of_their_series():
    from lrm.params import Params
    from lrm.pipeline import _jerks
    from lrm.rules.hypnic_jerks import classify_hypnic_jerks

    table, onsets = _burst_among_fidgets(), pd.DataFrame({"onset_s": [140.0], "kind": ["first"]})
    rates = {"left": 100.0, "right": 100.0}
    # read as LMs, the fidgets make a run of four at 55-70 s that goes on around the burst (the behaviour until
    # 2026-12-04, when the repositionings were labelled only after the jerks)
    before = classify_hypnic_jerks(table, onsets, P, n_legs=2, rates_hz=rates)
    assert "inside a periodic series" in str(before.loc[before["onset_s"] == 150.0, "jerk_reason"].iloc[0])
    out = _jerks(table, onsets, rates, Params())
    jerk = out[out["type"] == "hypnic_jerk"]
    assert jerk["onset_s"].tolist() == [150.0] and jerk["side"].tolist() == ["bilateral"]
    # the fidgets keep their rows (label_kept_turns labels them posture changes later in lrm.analyze)
    assert out.loc[out["onset_s"] != 150.0, "type"].tolist() == ["lm"] * 4


def test_fidgets_that_return_the_leg_still_make_the_series_a_burst_is_refused_in():
    from lrm.params import Params
    from lrm.pipeline import _jerks

    table = _burst_among_fidgets().assign(angle_deg=0.3)   # 0.005 rad of 0.5 g: they returned the leg, LMs
    onsets = pd.DataFrame({"onset_s": [140.0], "kind": ["first"]})
    out = _jerks(table, onsets, {"left": 100.0, "right": 100.0}, Params())
    assert not (out["type"] == "hypnic_jerk").any()
    assert "inside a periodic series" in str(out.loc[out["onset_s"] == 150.0, "jerk_reason"].iloc[0])
