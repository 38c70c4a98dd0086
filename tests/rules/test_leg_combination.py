"""Same-leg merge, minimum duration, CLM duration limits and bilateral combination (§1.2 steps 1-4, §1.3)."""

import numpy as np
import pandas as pd
import pytest

from lrm.rules.bilateral import combine_legs
from lrm.rules.merge import drop_short, merge_same_leg
from lrm.rules.rulesets import AASM, WASM2016
from lrm.rules.score import score_lms


def lms(*rows):
    return pd.DataFrame(rows, columns=["onset_s", "offset_s", "side"])


@pytest.mark.parametrize(("duration_s", "kept"), [(0.49, False), (0.5, True)])
def test_minimum_lm_duration(duration_s, kept):
    assert len(drop_short(lms((100.0, 100.0 + duration_s, "left")))) == int(kept)


@pytest.mark.parametrize(("duration_s", "is_clm"), [(10.0, True), (10.01, False)])
def test_monolateral_clm_maximum_duration(duration_s, is_clm):
    out = combine_legs(lms((100.0, 100.0 + duration_s, "left")))
    assert out["is_clm"].tolist() == [is_clm]


@pytest.mark.parametrize(("gap_s", "merged"), [(0.49, True), (0.5, False)])
def test_same_leg_gap_merge(gap_s, merged):
    out = merge_same_leg(lms((10.0, 11.0, "right"), (11.0 + gap_s, 12.5, "right")))
    assert len(out) == (1 if merged else 2)
    if merged:
        assert out[["onset_s", "offset_s"]].to_numpy().tolist() == [[10.0, 12.5]]


@pytest.mark.parametrize(("gap_s", "bilateral"), [(0.49, True), (0.5, False)])
def test_bilateral_gap(gap_s, bilateral):
    out = combine_legs(lms((10.0, 11.0, "left"), (11.0 + gap_s, 12.0, "right")))
    assert out["side"].tolist() == (["bilateral"] if bilateral else ["left", "right"])


def test_overlapping_legs_combine_into_one_bilateral_lm():
    out = combine_legs(lms((10.0, 13.0, "left"), (11.0, 12.0, "right")))
    assert out[["onset_s", "offset_s", "n_components"]].to_numpy().tolist() == [[10.0, 13.0, 2]]
    assert out["is_clm"].tolist() == [True]


def _chain(n):
    """n single-leg LMs alternating legs, each overlapping the next (chaining)."""
    onset = np.arange(n) * 1.0
    return lms(*[(o, o + 1.5, "left" if i % 2 == 0 else "right") for i, o in enumerate(onset)])


@pytest.mark.parametrize(("n", "is_clm"), [(4, True), (5, False)])
def test_bilateral_component_limit(n, is_clm):
    out = combine_legs(_chain(n))
    assert out["n_components"].tolist() == [n] and out["is_clm"].tolist() == [is_clm]


@pytest.mark.parametrize(("duration_s", "is_clm"), [(15.0, True), (15.01, False)])
def test_bilateral_maximum_duration(duration_s, is_clm):
    out = combine_legs(lms((0.0, 8.0, "left"), (7.0, duration_s, "right")))
    assert out["side"].tolist() == ["bilateral"] and out["is_clm"].tolist() == [is_clm]


def test_bilateral_with_a_long_component_is_a_non_clm():
    out = combine_legs(lms((0.0, 10.5, "left"), (1.0, 3.0, "right")))
    assert out["is_clm"].tolist() == [False]


@pytest.mark.parametrize(("delta_s", "one"), [(4.99, True), (5.0, False)])
def test_aasm_onsets_less_than_5_s_apart_count_as_one(delta_s, one):
    out = combine_legs(lms((0.0, 1.0, "left"), (delta_s, delta_s + 1.0, "right")), AASM)
    assert len(out) == (1 if one else 2)


def test_aasm_does_not_join_the_same_leg():
    assert len(combine_legs(lms((0.0, 1.0, "left"), (3.0, 4.0, "left")), AASM)) == 2


def test_non_clm_breaks_series_but_dropped_short_lm_does_not():
    onsets = np.arange(8) * 20.0
    base = [(o, o + 2.0, "left") for o in onsets]
    with_long = score_lms(lms(*base[:4], (65.0, 75.5, "right"), *base[4:]), hours=1.0)
    with_short = score_lms(lms(*base[:4], (70.0, 70.4, "right"), *base[4:]), hours=1.0)
    assert with_short.summary.plm_count == 8 and with_short.summary.dropped_short_lm_count == 1
    assert with_short.summary.plm_series_count == 1
    # the 10.5 s LM at 65 s splits 0-60 (4 CLMs) and 80-140 (4 CLMs): both still series of 4
    assert with_long.summary.plm_count == 8 and with_long.summary.plm_series_count == 2
    assert with_long.summary.non_clm_count == 1
