"""SIT scoring (lrm.rules.sit): valid time, series ended by exclusions, the two interval rules, discomfort."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lrm.rules.sit import SIT_ORIGINAL, bin_sit, score_sit, summarize_discomfort, valid_segments


def _lms(onsets, side="left", dur=2.0):
    onsets = np.asarray(onsets, float)
    return pd.DataFrame({"onset_s": onsets, "offset_s": onsets + dur, "side": side})


def test_valid_segments_merge_overlapping_exclusions_and_clip_to_window():
    assert valid_segments((0, 100), [[-5, 5], [50, 60], [55, 70]]).tolist() == [[5.0, 50.0], [70.0, 100.0]]
    assert valid_segments((0, 100), [[0, 100]]).shape == (0, 2)


def test_an_exclusion_ends_the_series_and_is_left_out_of_the_denominator():
    onsets = np.arange(0, 300, 20.0)                       # 15 LMs 20 s apart
    whole = score_sit(_lms(onsets), window_s=(0, 300))
    assert whole.counts["both"].plm_count == 15 and whole.counts["both"].plm_series_count == 1
    cut = score_sit(_lms(onsets), window_s=(0, 300), excluded_s=[[125, 135]])   # between LMs 6 and 7
    assert cut.counts["both"].plm_series_count == 2       # the series cannot be followed across the gap
    assert cut.valid_h == pytest.approx(290 / 3600)
    short = score_sit(_lms(onsets), window_s=(0, 300), excluded_s=[[45, 55]])   # leaves 3 LMs before it
    assert short.counts["both"].plm_count == 12           # 0, 20, 40 are too few for a series


@pytest.mark.parametrize(("imi_s", "wasm", "original"), [(9.99, 0, 6), (10.0, 6, 6), (3.99, 0, 0), (4.0, 0, 6)])
def test_sit_intervals_at_11_12_s_mode_need_the_original_4_90_s_rule(imi_s, wasm, original):
    s = score_sit(_lms(np.arange(6) * imi_s, dur=1.0), window_s=(0, 600))
    assert (s.counts["both"].plm_count, s.original.plm_count) == (wasm, original)
    assert SIT_ORIGINAL.imi_min_s == 4.0 and SIT_ORIGINAL.imi_max_s == 90.0


def test_lms_overlapping_an_exclusion_are_dropped_and_legs_are_scored_alone_and_together():
    lms = pd.concat([_lms([10, 30, 50, 70], "left"), _lms([10.2, 30.3, 50.1, 70.4], "right")], ignore_index=True)
    s = score_sit(lms, window_s=(0, 100))
    assert s.counts["both"].lm_count == 4 and s.counts["left"].lm_count == 4 and s.counts["right"].lm_count == 4
    assert (s.events["side"] == "bilateral").all()
    dropped = score_sit(lms, window_s=(0, 100), excluded_s=[[69, 71]])
    assert dropped.counts["both"].lm_count == 3


def test_no_movements_gives_zero_indices_and_an_empty_table():
    s = score_sit(_lms([]), window_s=(0, 3600))
    assert s.counts["both"].plm_index == 0.0 and len(s.events) == 0 and "segment" in s.events


def test_discomfort_summary_skips_missing_answers():
    d = summarize_discomfort([600, 1200, 1800], [2, np.nan, 6])
    assert (d.n_prompts, d.n_answered, d.mean, d.maximum, d.first, d.last) == (3, 2, 4.0, 6.0, 2.0, 6.0)
    assert d.slope_per_h == pytest.approx(4 / (1200 / 3600))
    none = summarize_discomfort([600], [np.nan])
    assert none.mean is None and none.slope_per_h is None
    with pytest.raises(ValueError, match="0-10"):
        summarize_discomfort([600], [11])


def test_bins_count_per_valid_time():
    s = score_sit(_lms(np.arange(0, 1200, 20.0)), window_s=(0, 1200), excluded_s=[[600, 900]])
    bins = bin_sit(s.events, window_s=(0, 1200), segments_s=s.segments_s, bin_s=600)
    assert bins["valid_min"].tolist() == [10.0, 5.0]
    assert bins["lm_count"].tolist() == [30, 15]
    assert bins["lm_index"].tolist() == [180.0, 180.0]
