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
