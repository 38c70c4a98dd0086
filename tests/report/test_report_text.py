from __future__ import annotations

import pytest

from lrm.report.text import classify_index, render_findings, render_multi_night_findings


@pytest.mark.parametrize(("index", "level"), [(0.0, "low"), (5.0, "low"), (5.1, "borderline"), (15.0, "borderline"),
                                              (15.01, "elevated"), (None, "unknown")])
def test_classify_index_uses_the_adult_limit_of_15_per_hour(index, level):
    assert classify_index(index) == level


def test_headline_is_per_hour_in_bed_without_a_hypnogram():
    findings = render_findings({"plm_index": 22.64, "plm_count": 173, "time_in_bed_h": 7.65, "hypnic_jerk_count": 3})
    assert findings.index_basis == "in bed" and findings.index_per_h == pytest.approx(22.64)
    assert findings.level == "elevated"
    assert "173 periodic limb movements" in findings.sentences[0] and "22.6 per hour" in findings.sentences[0]
    assert any("No sleep stages" in s for s in findings.sentences)
    assert findings.hypnic_jerks.startswith("3 movements looked like hypnic jerks")
    assert "harmless normal variant" in findings.hypnic_jerks


def test_headline_is_per_hour_of_sleep_when_a_hypnogram_gave_sleep_time():
    findings = render_findings({"plm_index": 9.0, "plms_index": 11.5, "total_sleep_time_h": 6.0, "plm_count": 70,
                                "plms_count": 69, "time_in_bed_h": 7.8})
    assert "69 periodic limb movements" in findings.sentences[0] and "6.0 hours of sleep" in findings.sentences[0]
    assert findings.index_basis == "of sleep" and findings.index_per_h == 11.5 and findings.level == "borderline"
    assert "Counted per hour in bed instead, it is 9.0 per hour." in findings.sentences


def test_caveats_cite_night_to_night_variability_and_say_not_a_diagnosis():
    findings = render_findings({"plm_index": 3.0})
    text = " ".join(findings.caveats)
    assert "not a diagnosis" in text and "25 per hour" in text and "34%" in text and "63%" in text
    assert "See a doctor" in findings.see_a_doctor


@pytest.mark.parametrize("summary", [{}, {"plm_index": None, "plm_count": None, "hypnic_jerk_count": None},
                                     {"plm_index": float("nan"), "plm_count": "x", "periodicity_index": "n/a"}])
def test_partial_summaries_never_crash(summary):
    findings = render_findings(summary)
    assert findings.level == "unknown" and findings.index_per_h is None
    assert findings.headline == "PLM index: not available"


def test_single_hypnic_jerk_is_singular():
    one = render_findings({"hypnic_jerk_count": 1}).hypnic_jerks
    assert one.startswith("1 movement looked like a hypnic jerk and was not counted")
    assert render_findings({"hypnic_jerk_count": 0}).hypnic_jerks.startswith("No movement looked like")


def test_multi_night_sentences_give_the_spread_and_the_share_above_the_limit():
    sentences = render_multi_night_findings([10.0, 20.0, None, 30.0])
    assert sentences[0] == "Over 3 nights the PLM index was 10.0 to 30.0 per hour (median 20.0, mean 20.0)."
    assert sentences[1].startswith("2 of 3 nights were above 15 per hour (67%), the limit sleep clinics use for adults")
    assert "1 night had no PLM index" in sentences[2]
    child = render_multi_night_findings([4.0, 6.0], limit_per_h=5.0, what="PLMS index")
    assert child[1].startswith("1 of 2 nights was above 5 per hour (50%), the limit sleep clinics use for children")


def test_a_childs_night_is_judged_against_5_per_hour():
    findings = render_findings({"plm_index": 7.0, "plm_count": 50, "time_in_bed_h": 7.1}, limit_per_h=5.0, group="child")
    assert findings.level == "elevated" and "above 5 per hour, the limit sleep clinics use for children" in " ".join(
        findings.sentences)
    assert "18 of 100 healthy sleepers" not in " ".join(findings.sentences)  # an adult study


def test_emg_scored_nights_speak_of_emg_and_claim_nothing_about_hypnic_jerks():
    findings = render_findings({"plms_index": 20.0, "total_sleep_time_h": 6.0, "plms_count": 120,
                                "hypnic_jerk_count": 0}, scored_events=True, imi_range_s=(5.0, 90.0))
    assert "not assessed" in findings.hypnic_jerks and "No movement looked like" not in findings.hypnic_jerks
    assert "EMG" in findings.caveats[0] and "motion sensor" not in findings.caveats[0]
    assert "every 5 to 90 seconds" in findings.sentences[0]


def test_a_night_without_a_lying_period_gives_no_per_hour_in_bed_explanation():
    # no index was computed: the sentence on why the index is per hour in bed does not apply, and the one on
    # the missing lying period points at the warnings that say why lrm found none
    findings = render_findings({"plm_index": None, "plm_count": 0, "time_in_bed_h": 0.0, "rest_period_source": "none",
                                "hypnic_jerk_count": None})
    assert findings.index_per_h is None and findings.level == "unknown"
    assert not any("No sleep stages" in s for s in findings.sentences)
    assert any(s.startswith("lrm found no period lying down") and "see the warnings" in s for s in findings.sentences)



def test_a_rest_period_from_posture_says_what_an_ankle_cannot_tell_from_bed():
    # an ankle sees the shank: a sofa before bed or sitting up with the legs out reads as lying (tests/rest_stress.py)
    night = {"plm_index": 8.0, "plm_count": 64, "time_in_bed_h": 8.0, "hypnic_jerk_count": 0}
    from_posture = render_findings({**night, "rest_period_source": "posture"})
    given = render_findings({**night, "rest_period_source": "override"})
    assert any("found from the legs' posture" in s and "sofa" in s for s in from_posture.sentences)
    assert not any("legs' posture" in s for s in given.sentences)

def test_a_leg_missing_many_lms_is_said_to_make_the_index_too_low():
    leg = {"detection_limit_g": 0.04, "missed_share_estimate": 0.45, "missed_share_range": [0.3, None]}
    summary = {"plm_index": 8.0, "plm_count": 64, "time_in_bed_h": 8.0,
               "quality": {"left": leg, "right": {"detection_limit_g": 0.04, "missed_share_estimate": 0.1,
                                                  "missed_share_range": [0.05, 0.15]}}}
    text = " ".join(render_findings(summary).sentences)
    assert ("smaller than the sensor detects (on the left leg 45 % (at least 30 %; no upper bound can be stated), "
            "judged from") in text
    assert "right leg" not in text and "probably too low" in text
    leg["missed_share_estimate"] = 0.15          # below the night's note level (0.2): nothing said
    assert "probably too low" not in " ".join(render_findings(summary).sentences)


def test_an_index_below_the_norm_that_is_probably_too_low_is_not_called_well_below_it():
    missing = {"detection_limit_g": 0.07, "missed_share_estimate": 0.73, "missed_share_range": [0.24, None]}
    summary = {"plm_index": 3.1, "plm_count": 7, "time_in_bed_h": 2.2, "quality": {"left": missing}}
    text = " ".join(render_findings(summary).sentences)
    assert "well below" not in text and "As detected, that is below 15 per hour" in text
    assert "the true index may be above that limit" in text
    assert render_findings(summary).shown_level == "unknown"      # the headline is not coloured as fine
    missing["missed_share_estimate"] = 0.1                       # under the note level: the plain verdict
    assert "That is well below 15 per hour" in " ".join(render_findings(summary).sentences)
    summary["plm_index"], missing["missed_share_estimate"] = 30.0, 0.73   # above the norm: said as before
    assert "That is above 15 per hour" in " ".join(render_findings(summary).sentences)
