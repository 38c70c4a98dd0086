"""The pipeline's hook for hypnic jerks (docs/scoring.md §3.1, lrm.rules.hypnic_jerks): a brief burst that is no jerk
and fails the LM morphology check keeps its row and its reason."""

import pandas as pd

from lrm.pipeline import _drop_failed_morphology


def test_a_judged_brief_burst_failing_the_lm_morphology_keeps_its_reason_as_a_brief_burst():
    table = pd.DataFrame({"onset_s": [10.0, 20.0, 30.0, 40.0], "type": ["lm", "lm", "lm", "posture_change"],
                          "morphology_ok": [False, False, True, False],
                          "jerk_reason": pd.array(["not a jerk: another movement 3.2 s away", None, None, None],
                                                  dtype="string")})
    out = _drop_failed_morphology(table)
    assert out["onset_s"].tolist() == [10.0, 30.0, 40.0]            # the unjudged failed LM is dropped
    assert out["type"].tolist() == ["brief_burst", "lm", "posture_change"]
    assert out["jerk_reason"].iloc[0] == "not a jerk: another movement 3.2 s away"
    assert out["jerk_reason"].iloc[1:].isna().all()


def test_without_jerk_reasons_every_lm_failing_the_morphology_is_dropped():
    table = pd.DataFrame({"onset_s": [10.0, 20.0], "type": ["lm", "lm"], "morphology_ok": [False, True]})
    out = _drop_failed_morphology(table)
    assert out["onset_s"].tolist() == [20.0] and out["type"].tolist() == ["lm"]
