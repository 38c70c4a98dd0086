"""score_lms end to end: pass-through types, staging, CLMr / PLMSnr, arousals, indices, periodicity."""

import numpy as np
import pandas as pd
import pytest

from lrm.io.hypnogram import Hypnogram
from lrm.rules.events import EVENT_COLUMNS
from lrm.rules.periodicity import periodicity_index
from lrm.rules.score import score_lms


def train(onsets, side="left", duration_s=2.0):
    onsets = np.asarray(onsets, float)
    return pd.DataFrame({"onset_s": onsets, "offset_s": onsets + duration_s, "side": side})


def test_worked_example_under_both_rule_sets():
    lms = train([0, 20, 40, 45, 65, 85, 105])
    wasm, aasm = score_lms(lms, hours=1.0), score_lms(lms, hours=1.0, rules="aasm")
    assert (wasm.summary.plm_count, aasm.summary.plm_count) == (4, 7)
    assert wasm.events["in_plm_series"].tolist() == [0, 0, 0, 1, 1, 1, 1]


def test_events_table_has_the_contract_columns_in_order():
    events = score_lms(train([0, 20, 40, 60]), hours=1.0).events
    assert list(events.columns[: len(EVENT_COLUMNS)]) == list(EVENT_COLUMNS)
    assert events["series_id"].tolist() == [1, 1, 1, 1]
    assert events["stage"].isna().all() and events["respiratory"].isna().all()


def test_empty_input_gives_empty_table_and_zero_counts():
    result = score_lms(train([]), hours=8.0)
    assert result.events.empty and list(result.events.columns[:3]) == ["onset_s", "offset_s", "duration_s"]
    assert result.summary.lm_count == 0 and result.summary.plm_index == 0.0


def test_other_types_pass_through_unscored_and_are_counted():
    lms = pd.concat([train([0, 20, 40, 60]),
                     pd.DataFrame({"onset_s": [30.0], "offset_s": [30.2], "side": ["left"], "type": ["hypnic_jerk"],
                                   "peak_g": [0.8]})], ignore_index=True)
    result = score_lms(lms, hours=1.0)
    jerk = result.events[result.events["type"] == "hypnic_jerk"]
    assert len(jerk) == 1 and jerk["is_clm"].item() == 0 and jerk["peak_g"].item() == 0.8
    assert result.summary.hypnic_jerk_count == 1 and result.summary.plm_count == 4  # the jerk breaks nothing


def test_indices_are_per_hour_of_the_analysis_period():
    s = score_lms(train(np.arange(10) * 20.0), hours=2.0).summary
    assert (s.lm_index, s.clm_index, s.plm_index) == (5.0, 5.0, 5.0)


def test_period_drops_events_outside_it():
    s = score_lms(train(np.arange(10) * 20.0), hours=1.0, period=(0.0, 100.0)).summary
    assert s.lm_count == 5


def test_plms_plmw_by_onset_epoch_and_wake_does_not_break_series():
    hyp = Hypnogram(0.0, 30.0, ("N2", "N2", "W", "W", "N2", "N2"))  # 0-60 N2, 60-120 W, 120-180 N2
    result = score_lms(train([0, 20, 40, 60, 80, 100, 120, 140]), hours=180 / 3600, hypnogram=hyp)
    s = result.summary
    assert s.plm_count == 8 and s.plm_series_count == 1  # the wake epochs did not split the series
    assert (s.plms_count, s.plmw_count) == (5, 3)
    assert s.total_sleep_time_h == pytest.approx(120 / 3600) and s.wake_time_h == pytest.approx(60 / 3600)
    assert s.plms_index == pytest.approx(5 / (120 / 3600)) and s.plmw_index == pytest.approx(3 / (60 / 3600))
    assert result.events["stage"].tolist() == ["N2", "N2", "N2", "W", "W", "W", "N2", "N2"]
    assert s.plms_n2_index == pytest.approx(s.plms_index) and s.plms_rem_index is None


@pytest.mark.parametrize(("lm_offset_after_end_s", "clmr"), [(-2.01, False), (-2.0, True), (10.25, True)])
def test_clmr_window_edges_wasm(lm_offset_after_end_s, clmr):
    # a 1 s LM whose offset (first case, second case) or onset (third) touches the window edge
    end = 200.0
    onset = end + lm_offset_after_end_s - 1.0 if lm_offset_after_end_s < 0 else end + lm_offset_after_end_s
    resp = pd.DataFrame({"onset_s": [180.0], "offset_s": [end]})
    events = score_lms(train([onset], duration_s=1.0), hours=1.0, respiratory=resp).events
    assert events["respiratory"].tolist() == [int(clmr)]


def test_clmr_window_upper_edge_excluded_just_after():
    resp = pd.DataFrame({"onset_s": [180.0], "offset_s": [200.0]})
    events = score_lms(train([210.26], duration_s=1.0), hours=1.0, respiratory=resp).events
    assert events["respiratory"].tolist() == [0]


@pytest.mark.parametrize(("onset_s", "clmr"), [(94.49, False), (95.0, True), (120.5, True), (120.51, False)])
def test_aasm_respiratory_window_is_half_a_second_around_the_event(onset_s, clmr):
    # a 4.5 s LM against an apnea 100-120 s: window [99.5, 120.5] s
    resp = pd.DataFrame({"onset_s": [100.0], "offset_s": [120.0]})
    events = score_lms(train([onset_s], duration_s=4.5), hours=1.0, rules="aasm", respiratory=resp).events
    assert events["respiratory"].tolist() == [int(clmr)]


def test_plmsnr_removes_clmr_and_recomputes_series():
    # 0, 20, 25 (CLMr), 40, 60: with the CLMr the 5 s IMI breaks the run; without it 0-20-40-60 is a series
    lms = train([0, 20, 25, 40, 60])
    resp = pd.DataFrame({"onset_s": [10.0], "offset_s": [24.5]})  # window [22.5, 34.75] hits only the LM at 25
    result = score_lms(lms, hours=1.0, respiratory=resp)
    assert result.events["respiratory"].tolist() == [0, 0, 1, 0, 0]
    assert result.summary.plm_count == 0 and result.summary.plm_nr_count == 4 and result.summary.clmr_count == 1
    assert result.events["in_plm_series_nr"].tolist() == [1, 1, 0, 1, 1]


@pytest.mark.parametrize(("gap_s", "associated"), [(0.49, True), (0.5, False)])
@pytest.mark.parametrize("arousal_first", [True, False])
def test_arousal_association_either_order(gap_s, associated, arousal_first):
    lm_on, lm_off = 100.0, 102.0
    if arousal_first:
        ar = pd.DataFrame({"onset_s": [lm_on - gap_s - 3.0], "offset_s": [lm_on - gap_s]})
    else:
        ar = pd.DataFrame({"onset_s": [lm_off + gap_s], "offset_s": [lm_off + gap_s + 3.0]})
    events = score_lms(train([lm_on], duration_s=2.0), hours=1.0, arousals=ar).events
    assert events["arousal"].tolist() == [int(associated)]


def test_plms_arousal_index_counts_plms_with_an_arousal_per_hour_of_sleep():
    hyp = Hypnogram(0.0, 30.0, ("N2",) * 6)
    ar = pd.DataFrame({"onset_s": [21.0, 150.0], "offset_s": [24.0, 160.0]})
    s = score_lms(train([0, 20, 40, 60]), hours=0.05, hypnogram=hyp, arousals=ar).summary
    assert s.plms_arousal_count == 1 and s.plms_arousal_index == pytest.approx(1 / 0.05)


def test_periodicity_index_interval_form():
    # IMIs 20, 20, 20 (a run of 3 periodic) then 100 (not): 3 of 4 intervals are periodic
    assert periodicity_index(np.array([0, 20, 40, 60, 160.0]), np.ones(5, bool)) == 0.75
    # only 2 periodic IMIs in a row: not a run
    assert periodicity_index(np.array([0, 20, 40.0]), np.ones(3, bool)) == 0.0


def test_interval_and_duration_statistics():
    s = score_lms(train([0, 20, 40, 60], duration_s=3.0), hours=1.0).summary
    assert s.plm_imi_geometric_mean_s == pytest.approx(20.0) and s.plm_duration_mean_s == 3.0
    assert sum(s.clm_imi_histogram["counts"]) == 3 and s.clm_imi_histogram["counts"][10] == 3  # 20-22 s bin
    assert sum(s.clm_imi_log_histogram["counts"]) == 3


def test_bad_arguments_raise_value_error():
    with pytest.raises(ValueError, match="rule set"):
        score_lms(train([0.0]), hours=1.0, rules="wasm")
    with pytest.raises(ValueError, match="side"):
        score_lms(train([0.0], side="bilateral"), hours=1.0)


def test_conforming_an_already_conforming_table_changes_nothing_but_the_index_and_attrs():
    """conform_events' shortcut for a table that already conforms gives what rebuilding it gives."""
    from lrm.rules import events as ev

    onsets = np.array([0, 20, 40, 45, 65, 85, 105.0])
    table = score_lms(pd.DataFrame({"onset_s": onsets, "offset_s": onsets + 2.0, "side": "left",
                                    "peak_g": 0.1}), hours=1.0).events
    shuffled = table.iloc[::-1].copy()
    shuffled.attrs["note"] = "x"
    assert ev._conforms(shuffled)
    fast = ev.conform_events(shuffled)
    rebuilt = pd.DataFrame({name: shuffled[name] for name in shuffled.columns}).reset_index(drop=True)
    pd.testing.assert_frame_equal(fast, rebuilt, check_exact=True)
    assert fast.attrs == {} and list(fast.index) == list(range(len(table)))
    assert not ev._conforms(table.drop(columns="stage"))
    assert not ev._conforms(table.astype({"is_clm": "int64"}))


def _conform_with_series(events: pd.DataFrame) -> pd.DataFrame:
    """conform_events as it was written before its columns became arrays: one Series per missing column."""
    from lrm.rules import events as ev

    columns = {}
    for name, dtype in ev._TYPED.items():
        if name in events.columns:
            column = events[name]
            columns[name] = column if column.dtype == ev._PANDAS_DTYPES[name] else column.astype(dtype)
        else:
            missing = ev._DEFAULTS.get(name, float("nan") if dtype == "float64" else pd.NA)
            columns[name] = pd.Series(missing, index=events.index, dtype=dtype)
    for name in events.columns:
        if name not in ev._TYPED:
            columns[name] = events[name]
    return pd.DataFrame(columns, index=events.index).reset_index(drop=True)


@pytest.mark.parametrize("rows", [slice(None), slice(0, 0), slice(2, 5)])
def test_conform_events_rebuilds_a_table_as_the_series_formulation_did(rows):
    """A table missing contract columns, with other dtypes, extra columns and a shuffled index: the same table
    (values, dtypes, column order, index, no attrs) as the Series-per-column formulation it replaced."""
    from lrm.rules.events import conform_events

    onsets = np.array([0, 20, 40, 45, 65, 85, 105.0])
    raw = pd.DataFrame({"onset_s": onsets, "offset_s": onsets + 2.0, "side": ["left", "right"] * 3 + ["left"],
                        "extra": np.arange(7), "is_clm": [True, False] * 3 + [True], "type": "lm",
                        "jerk_reason": [None, "brief"] * 3 + [None]}, index=[6, 2, 4, 0, 1, 5, 3]).iloc[rows]
    raw.attrs["note"] = "x"
    got, expected = conform_events(raw), _conform_with_series(raw)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert got.attrs == {} and list(got.columns) == list(expected.columns)


@pytest.mark.parametrize("extra", [{}, {"peak_g": [0.1, 0.2]}, {"note": np.array(["a", "b"], object)}])
def test_columns_set_at_once_are_the_columns_set_one_by_one(extra):
    from lrm.rules.score import _with_columns

    table = pd.DataFrame({"onset_s": [1.0, 5.0], "imi_s": [0.0, 0.0],
                          "side": pd.array(["left", "right"], dtype="string"), **extra}, index=[7, 3])
    new = {"imi_s": np.array([np.nan, 4.0]), "in_plm_series": np.array([False, True]),
           "series_id": pd.arrays.IntegerArray(np.array([0, 1]), np.array([True, False])),
           "type": np.full(2, "lm", object)}
    one_by_one = table.reset_index(drop=True)
    for name, values in new.items():
        one_by_one[name] = values
    pd.testing.assert_frame_equal(_with_columns(table, new), one_by_one, check_exact=True)
    assert list(_with_columns(table, new).columns)[:4] == ["onset_s", "imi_s", "side", list(table.columns)[3]
                                                           if extra else "in_plm_series"]
