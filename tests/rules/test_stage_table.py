"""The per-stage table (MATPLM-Score's layout): by hand on a small night, and against MATPLM-Score's own report
on the real RemLogic night G20877 (../shared/data/lm_ground_truth/matplm_score)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from lrm.io.hypnogram import Hypnogram
from lrm.io.scoring_inputs import load_scoring_inputs
from lrm.rules.rulesets import WASM2016
from lrm.rules.score import score_lms
from lrm.rules.stage_table import STAGE_COLUMNS, stage_table
from tests.conftest import shared_file

EVENTS = "lm_ground_truth/matplm_score/G20877_V1N2_AidRLS-Events.txt"
MATPLM_DAY_S = 86500  # MATPLM-Score's seconds per day (a typo for 86400): see tests/rules/test_golden_remlogic.py

# MATPLM-Score's "Major PLM Statistics" (G20877_V1N2_AidRLS-report_MATPLM-Score_45ce0e1.txt), columns
# TIB TST Wake N1 N2 N3 REM NREM; NaN where it prints NaN.
NAN = float("nan")
REFERENCE = {
    "time_h": [8 + 30 / 3600, 4 + 11.5 / 60, 3 + 49 / 60, 15.5 / 60, 2 + 17.5 / 60, 42 / 60, 56.5 / 60, 3.25],
    "clm_nr_index": [35.4631, 66.5606, 1.3100, 11.6129, 72.8727, 34.2857, 90.2655, 59.6923],
    "plm_nr_index": [34.8387, 65.6064, 1.0480, 11.6129, 72.8727, 34.2857, 86.0177, 59.6923],
    "pi_nr": [0.9824, 0.9857, 0.8000, 1, 1, 1, 0.9529, 1],
    "imi_nr_geo_mean_s": [31.6946, 31.6906, 31.9613, NAN, 33.2122, 52.7769, 24.5591, 35.2463],
    "imi_nr_geo_sd": [1.5511, 1.5470, 1.9754, NAN, 1.4246, 1.2759, 1.5981, 1.4548],
    "clm_index": [35.5879, 66.7992, 1.3100, 11.6129, 73.3091, 34.2857, 90.2655, 60],
    "plm_index": [34.9636, 65.8449, 1.0480, 11.6129, 73.3091, 34.2857, 86.0177, 60],
    "pi": [0.9825, 0.9857, 0.8000, 1, 1, 1, 0.9529, 1],
    "imi_geo_mean_s": [31.5837, 31.5781, 31.9613, NAN, 33.0116, 52.7769, 24.5591, 35.0494],
    "imi_geo_sd": [1.5494, 1.5452, 1.9754, NAN, 1.4233, 1.2759, 1.5981, 1.4549],
}


def test_a_small_night_by_hand():
    hyp = Hypnogram(0.0, 30.0, ("W",) * 4 + ("N2",) * 8 + ("R",) * 4)  # 2 min W, 4 min N2, 2 min REM
    onset = np.array([10.0, 130.0, 150.0, 170.0, 190.0, 215.0, 400.0])
    events = pd.DataFrame({
        "onset_s": onset, "offset_s": onset + 2, "type": "lm", "is_clm": [1, 1, 1, 1, 1, 1, 0],
        "in_plm_series": [0, 1, 1, 1, 1, 1, 0], "series_id": pd.array([None, 1, 1, 1, 1, 1, None], dtype="Int64"),
        "imi_s": np.r_[np.nan, np.diff(onset)], "stage": ["W", "N2", "N2", "N2", "N2", "N2", "R"],
        "arousal": pd.array([0, 1, 0, 0, 0, 0, 0], dtype="Int8"),
    })
    table = stage_table(events, hyp, rules=WASM2016, time_in_bed_h=8 / 60)
    assert list(table.columns) == list(STAGE_COLUMNS)
    assert "clm_nr_index" not in table.index  # no respiratory events: no "nr" rows
    assert table.loc["time_h", "N2"] == pytest.approx(4 / 60) and table.loc["time_h", "TST"] == pytest.approx(6 / 60)
    assert table.loc["clm_index", "N2"] == pytest.approx(5 / (4 / 60))  # 5 CLMs in 4 min
    assert table.loc["plm_index", "W"] == 0 and table.loc["clm_index", "W"] == pytest.approx(1 / (2 / 60))
    assert table.loc["plm_arousal_index", "TIB"] == pytest.approx(1 / (8 / 60))
    assert table.loc["pi", "TIB"] == pytest.approx(5 / 6) and np.isnan(table.loc["pi", "REM"])  # no CLM in REM
    within = np.array([20.0, 20.0, 20.0, 25.0])  # the first PLM's IMI leads into the series: not counted
    assert table.loc["imi_geo_mean_s", "N2"] == pytest.approx(np.exp(np.log(within).mean()))
    assert table.loc["imi_geo_sd", "N2"] == pytest.approx(np.exp(np.log(within).std(ddof=1)))


def _as_matplm_scores_it():
    """G20877 scored the way MATPLM-Score 45ce0e1 computes: LM times stretched by its 86500 s day against the
    30 s epoch grid (rounded to its 500 Hz samples; respiratory events and arousals stay on the true clock, as its
    ``event_assoc`` reads them with ``etime``), and its respiratory window [end - 10.25 s, end + 2 s] (its
    ``event_assoc`` bounds swapped). Everything else, the arousal rule included, is lrm's own scoring."""
    inputs = load_scoring_inputs(shared_file(EVENTS))
    k = MATPLM_DAY_S / 86400

    def stretch(table: pd.DataFrame) -> pd.DataFrame:
        out = table.copy()
        out[["onset_s", "offset_s"]] = np.round(out[["onset_s", "offset_s"]].to_numpy(float) * k * 500) / 500
        return out

    rules = dataclasses.replace(WASM2016, resp_before_s=10.25, resp_after_s=2.0)
    scored = score_lms(stretch(inputs.lms), hours=inputs.hours, rules=rules, hypnogram=inputs.hypnogram,
                       respiratory=inputs.respiratory, arousals=inputs.arousals,
                       period=(inputs.period[0], inputs.period[1] * k))
    return stage_table(scored.events, inputs.hypnogram, rules=rules, time_in_bed_h=inputs.hours, period=inputs.period)


def test_the_remlogic_night_reproduces_matplm_scores_table_to_4_decimals():
    table = _as_matplm_scores_it()
    for key, reference in REFERENCE.items():
        got = table.loc[key].to_numpy(float)
        want = np.array(reference)
        assert np.array_equal(np.isnan(got), np.isnan(want)), key
        ok = ~np.isnan(want)
        assert got[ok] == pytest.approx(want[ok], abs=5e-4), key  # the report prints 4 decimals


def test_the_remlogic_night_arousal_rows_follow_wasm_not_matplm():
    """MATPLM-Score associates an arousal by a 1 s window around its end (``event_assoc`` in candidate_lms.m;
    reproduced to the PLM in tests/rules/test_golden_remlogic.py) and its per-stage PLMa rows count PLMs *without*
    an arousal (``PLMr(:,12) == 0`` in generate_report.m): its PLMa in N2 (69.8182) plus its PLMnr_a (3.4909 =
    8 PLMs / 2.29 h under its own association) gives its PLM (73.3091). lrm applies WASM's rule (overlap or
    < 0.5 s apart, docs/scoring.md §1.2 step 11) and counts PLMs *with* an arousal."""
    table = _as_matplm_scores_it()
    with_arousal = (table.loc["plm_arousal_index"] * table.loc["time_h"]).to_numpy(float)
    plms = (table.loc["plm_index"] * table.loc["time_h"]).to_numpy(float)
    assert with_arousal == pytest.approx(np.round(with_arousal)) and (with_arousal <= plms + 1e-9).all()  # counts
    assert with_arousal[1] == with_arousal[3:6].sum() + with_arousal[6]  # TST = N1 + N2 + N3 + REM
    assert with_arousal[0] > 11  # MATPLM's end-window finds 11 PLMs with an arousal in TIB (1.3736/h); WASM more
    assert 69.8182 + 3.4909 == pytest.approx(REFERENCE["plm_index"][4], abs=1e-4)  # its PLMa(N2) = PLM - PLM_a


def test_the_remlogic_night_as_lrm_stages_it():
    """lrm stages each movement by the epoch of its true onset: TIB and stage times equal the reference, the
    stage columns differ by the movements MATPLM's stretched clock moves into the next epoch (golden test)."""
    from lrm.api import score_events

    night = score_events(shared_file(EVENTS))
    s = night.summary
    table = stage_table(night.events, night.hypnogram, rules=night.rules, time_in_bed_h=s.time_in_bed_h,
                        period=(s.lights_out_s, s.lights_on_s), respiratory_scored=True, arousals_scored=True)
    assert table.loc["time_h"].to_numpy() == pytest.approx(REFERENCE["time_h"])
    for key in ("clm_index", "plm_index", "pi"):
        assert table.loc[key, "TIB"] == pytest.approx(REFERENCE[key][0], abs=5e-4)
    # the table agrees with summary.json
    assert table.loc["plm_index", "TST"] == pytest.approx(s.plms_index)
    assert table.loc["plm_index", "W"] == pytest.approx(s.plmw_index)
    assert table.loc["plm_index", "N2"] == pytest.approx(s.plms_n2_index)
    assert table.loc["plm_index", "REM"] == pytest.approx(s.plms_rem_index)
    assert table.loc["plm_arousal_index", "TST"] == pytest.approx(s.plms_arousal_index)
    assert table.loc["plm_nr_index", "TST"] == pytest.approx(s.plms_nr_index)
    assert table.loc["imi_geo_mean_s", "TIB"] == pytest.approx(s.plm_imi_geometric_mean_s)
