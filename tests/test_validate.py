"""The validation harness: seeds and splits, aggregation (mean, worst decile, worst night), recall by band,
the detection-limit calibration, and a smoke run of ``python -m lrm.validate`` on one short night."""

import math

import numpy as np
import pandas as pd
import pytest

from lrm.validate import (AMPLITUDE_BANDS_G, SPLITS, brief_calibration, expected_legs_below, limit_calibration, main,
                          missed_calibration, night_plan, recall_by, report, summarize)


def test_dev_and_heldout_seeds_never_overlap_and_one_night_in_five_is_hard():
    dev, heldout = night_plan("dev", 100), night_plan("heldout", 100)
    assert {s for _, s, _ in dev}.isdisjoint({s for _, s, _ in heldout})
    assert dev[0] == ("healthy", SPLITS["dev"], "wide") and [f for _, _, f in dev].count("hard") == 20
    assert {p for p, _, f in dev if f == "hard"} == {"healthy", "plmd", "rls", "hypnic"}
    assert {f for _, _, f in night_plan("dev", 10, "hard")} == {"hard"}
    with pytest.raises(ValueError, match="split"):
        night_plan("test", 3)


def _nights(f1s, errors):
    return pd.DataFrame({"seed": range(len(f1s)), "status": "ok", "lm_f1": f1s, "plmi_abs_err": errors})


def test_the_worst_decile_is_the_night_one_in_ten_is_worse_than():
    f1 = np.linspace(0.70, 0.99, 20)
    summary = summarize(_nights(f1, np.linspace(0.0, 9.5, 20))).set_index("metric")
    assert summary.loc["lm_f1", "mean"] == pytest.approx(f1.mean())
    assert summary.loc["lm_f1", "worst_decile"] == pytest.approx(f1[1])  # 10th percentile, an actual night
    assert summary.loc["lm_f1", "worst"] == pytest.approx(0.70) and summary.loc["lm_f1", "worst_seed"] == 0
    assert summary.loc["plmi_abs_err", "worst_decile"] == pytest.approx(9.0) and summary.loc["plmi_abs_err", "worst"] == 9.5
    assert math.isnan(summary.loc["hj_recall", "mean"]) and summary.loc["hj_recall", "nights"] == 0


def _lms(limit=np.nan):
    peaks = np.array([0.005, 0.015, 0.04, 0.04, 0.08, 0.2, 0.5] * 2)
    return pd.DataFrame({"seed": np.repeat([1, 2], 7), "side": "left", "peak_g": peaks, "limit_g": limit,
                         "found": peaks >= 0.04, "shape": "rotation", "noise_mg": 5.0, "rate_hz": 50.0, "family": "wide"})


def test_recall_by_amplitude_band():
    bands = recall_by(_lms(), "peak_g", AMPLITUDE_BANDS_G)
    assert bands["true"].sum() == 14 and bands.loc[bands["recall"] == 0, "true"].sum() == 4
    assert bands["group"].astype(str).tolist() == ["[0.0, 0.01)", "[0.01, 0.02)", "[0.03, 0.05)", "[0.05, 0.1)",
                                                    "[0.15, 0.3)", "[0.3, 1.0)"]
    by_class = recall_by(_lms(), "shape")
    assert by_class.iloc[0]["recall"] == pytest.approx(10 / 14) and by_class.iloc[0]["worst_night_recall"] == pytest.approx(5 / 7)


def test_detection_limit_calibration_is_na_without_a_stated_limit():
    assert limit_calibration(_lms()) == {"stated": False}
    cal = limit_calibration(_lms(limit=0.03))
    assert cal["stated"] and cal["above_n"] == 10 and cal["above_recall"] == 1.0 and cal["below_recall"] == 0.0
    assert cal["legs_above_recall_below_90"] == 0
    text = report(_nights([0.9, 0.8], [1.0, 2.0]).assign(family="wide", profile="plmd", tp=9, fp=1, fn=1, hj_tp=0,
                                                         hj_fp=0, hj_fn=0, tib_err_min=1.0), _lms(),
                  split="dev", hours=8.0)
    assert "Detection limit: n/a" in text and "| LM F1 | 0.850 | 0.800 | 0.800 (1) | 2 |" in text


def test_legs_expected_below_90_by_chance_are_binomial():
    # n = 10 at recall 0.9: a leg finds <= 8 (below 90 %) with P = 1 - 0.9**10 - 10 * 0.1 * 0.9**9 = 0.2639
    assert expected_legs_below([10], 0.9) == pytest.approx(1 - 0.9 ** 10 - 10 * 0.1 * 0.9 ** 9)
    # n = 20: 18 of 20 is exactly 90 %, not below, so below means <= 17
    p17 = sum(math.comb(20, k) * 0.95 ** k * 0.05 ** (20 - k) for k in range(18))
    assert expected_legs_below([20, 20], 0.95) == pytest.approx(2 * p17)
    assert 0.4 < expected_legs_below([100], 0.9) < 0.5 and expected_legs_below([100], 0.95) < 0.03


def test_calibration_counts_legs_against_chance_and_without_brief_pulse_lms():
    # one leg (seed 3) of 10 LMs above a 0.03 g limit: 7 rotations found, 3 twitches missed (70 %)
    leg = pd.DataFrame({"seed": 3, "side": "left", "peak_g": 0.1, "limit_g": 0.03, "found": [True] * 7 + [False] * 3,
                        "shape": ["rotation"] * 7 + ["twitch"] * 3})
    cal = limit_calibration(pd.concat([_lms(limit=0.03), leg], ignore_index=True))
    assert cal["legs"] == 3 and cal["legs_above_recall_below_90"] == 1
    assert cal["legs_expected_below_90"][0] == pytest.approx(expected_legs_below([5, 5, 10], 0.9))
    assert cal["legs_expected_below_90"][1] == pytest.approx(expected_legs_below([5, 5, 10], 0.95))
    sf = cal["stated_for"]
    assert sf["above_n"] == 17 and sf["above_recall"] == 1.0 and sf["legs"] == 3 and sf["below_90"] == 0
    text = report(_nights([0.9], [1.0]).assign(family="wide", profile="plmd", tp=9, fp=1, fn=1, hj_tp=0, hj_fp=0,
                                               hj_fn=0, tib_err_min=1.0), pd.concat([_lms(limit=0.03), leg], ignore_index=True),
                  split="dev", hours=8.0)
    assert "1 of 3 legs (>= 5 LMs above) found fewer than 90 % above their limit, where 1.1 would by chance" in text
    assert "Without brief-pulse LMs (twitch" in text and "0 of 3 legs below 90 %" in text


def test_brief_limit_calibration_counts_twitch_lms_only():
    lms = _lms(limit=0.03)
    assert brief_calibration(lms) == {"stated": False}
    lms = lms.assign(limit_brief_g=0.07, shape=["twitch"] * 7 + ["rotation"] * 7)
    cal = brief_calibration(lms)
    # twitch peaks 0.005, 0.015, 0.04, 0.04, 0.08, 0.2, 0.5 (found from 0.04 g): 3 at or above 0.07 g, all found
    assert cal["stated"] and cal["above_n"] == 3 and cal["above_recall"] == 1.0
    assert cal["below_n"] == 4 and cal["below_recall"] == 0.5
    assert cal["main_above_n"] == 5 and cal["main_above_recall"] == 1.0
    assert cal["ratio_median"] == pytest.approx(0.07 / 0.03)
    by = {(iv.left, iv.right): (m, n) for iv, m, n in cal["by_multiple"]}
    assert by[(0.0, 0.5)] == (0.0, 1) and by[(0.5, 1.0)] == (0.0, 1) and by[(1.0, 1.5)] == (1.0, 2) and by[(3.0, math.inf)] == (1.0, 2)
    text = report(_nights([0.9], [1.0]).assign(family="wide", profile="plmd", tp=9, fp=1, fn=1, hj_tp=0, hj_fp=0,
                                               hj_fn=0, tib_err_min=1.0), lms, split="dev", hours=8.0)
    assert "recall 1.000 of 3 at or above the leg's `detection_limit_brief_g`" in text


def test_a_short_night_runs_end_to_end(tmp_path, capsys):
    csv, lm_csv, md = tmp_path / "nights.csv", tmp_path / "lms.csv", tmp_path / "report.md"
    assert main(["--nights", "1", "--hours", "0.6", "--csv", str(csv), "--lm-csv", str(lm_csv), "--markdown", str(md)]) == 0
    nights = pd.read_csv(csv)
    assert nights.loc[0, "status"] == "ok" and nights.loc[0, "seed"] == SPLITS["dev"]
    assert 0.0 <= nights.loc[0, "lm_recall"] <= 1.0 and nights.loc[0, "lm_true"] == nights.loc[0, "tp"] + nights.loc[0, "fn"]
    lms = pd.read_csv(lm_csv)
    assert len(lms) == nights.loc[0, "lm_true"] and set(lms["shape"]) <= {"rotation", "twitch", "tremor"}
    text = md.read_text()
    assert "| LM F1 |" in text and "| true peak |" in text and "| LM class |" in text
    assert text.strip() in capsys.readouterr().out


def test_a_night_the_pipeline_refuses_is_reported_not_dropped(monkeypatch):
    import lrm.validate as validate
    from lrm.errors import InputError

    def refuse(recording):
        raise InputError("left.csv", "", "the sample rate is below 10 Hz", "record at 10 Hz or more")

    monkeypatch.setattr(validate, "_analyze", refuse)
    row, lms = validate.evaluate_night("plmd", 5, "hard", 0.6)
    assert row["status"].startswith("error: InputError: left.csv") and lms.empty
    nights = pd.DataFrame([row | {"profile": "plmd"}])
    assert "**1 night(s) failed**" in report(nights, lms, split="dev", hours=0.6)


def test_the_missed_lm_statement_is_counted_against_the_truth():
    nights = pd.DataFrame({
        "status": ["ok"] * 4, "seed": [1, 2, 3, 4],
        "plmi_true": [40.0, 20.0, 10.0, 30.0], "plmi_est": [10.0, 19.5, 9.8, 20.0],
        "missed_warned": [True, True, False, True],
        "missed_plmi_upper": [float("inf"), 25.0, 12.0, 25.0],
        "missed_plmi_upper_held": [True, True, True, False]})
    cal = missed_calibration(nights)
    assert (cal["warned"], cal["under"], cal["under_warned"], cal["warned_within_10"]) == (3, 2, 2, 1)
    assert (cal["held"], cal["bounded"], cal["bounded_held"], cal["not_held"]) == (2, 2, 1, [4])
    assert cal["under_not_warned"] == [] and not missed_calibration(nights.drop(columns="missed_warned"))["stated"]
