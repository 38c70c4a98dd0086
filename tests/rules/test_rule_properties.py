"""Hypothesis properties of the rule engine (issue 2, "Must show")."""

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from lrm.rules.score import score_lms
from lrm.rules.series import mark_series, number_series

# single-leg LMs: onset in s (ms resolution), duration 0.3-12 s, either leg
lm_rows = st.lists(
    st.tuples(st.integers(0, 3_600_000), st.integers(300, 12_000), st.sampled_from(["left", "right"])),
    min_size=0, max_size=60,
)
rule_names = st.sampled_from(["wasm2016", "aasm"])


def frame(rows):
    onset = np.array([r[0] for r in rows], float) / 1000
    return pd.DataFrame({"onset_s": onset, "offset_s": onset + np.array([r[1] for r in rows], float) / 1000,
                         "side": pd.Series([r[2] for r in rows], dtype=object)})


def flags(result):
    cols = ["onset_s", "offset_s", "side", "is_clm", "in_plm_series", "series_id", "imi_s", "n_components"]
    return result.events[cols].reset_index(drop=True)


@settings(max_examples=25, deadline=None)
@given(lm_rows, rule_names, st.randoms(use_true_random=False))
def test_row_order_never_changes_the_result(rows, rules, rnd):
    shuffled = list(rows)
    rnd.shuffle(shuffled)
    a, b = score_lms(frame(rows), hours=1.0, rules=rules), score_lms(frame(shuffled), hours=1.0, rules=rules)
    pd.testing.assert_frame_equal(flags(a), flags(b))
    assert a.summary.to_dict() == b.summary.to_dict()


@settings(max_examples=25, deadline=None)
@given(lm_rows, rule_names)
def test_every_series_has_at_least_four_members_and_plm_le_clm_le_lm(rows, rules):
    result = score_lms(frame(rows), hours=1.0, rules=rules)
    sizes = result.events["series_id"].dropna().value_counts()
    assert (sizes >= 4).all()
    s = result.summary
    assert s.plm_count <= s.clm_count <= s.lm_count
    assert s.plm_count == int(sizes.sum()) and s.plm_series_count == len(sizes)
    plm = result.events["in_plm_series"] == 1
    assert (result.events.loc[plm, "is_clm"] == 1).all()


@settings(max_examples=25, deadline=None)
@given(lm_rows, rule_names, st.floats(90.01, 1000.0))
def test_an_lm_more_than_90_s_after_the_last_never_changes_earlier_flags(rows, rules, delay_s):
    before = score_lms(frame(rows), hours=1.0, rules=rules)
    last_onset = before.events["onset_s"].max() if len(before.events) else 0.0
    last_offset = frame(rows)["offset_s"].max() if rows else 0.0
    onset = max(last_onset + delay_s, last_offset + 1.0)  # also clear of every earlier LM (no merging)
    extra = pd.DataFrame({"onset_s": [onset], "offset_s": [onset + 2.0], "side": ["left"]})
    after = score_lms(pd.concat([frame(rows), extra], ignore_index=True), hours=1.0, rules=rules)
    pd.testing.assert_frame_equal(flags(before), flags(after).iloc[: len(before.events)])


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0, 3600, allow_nan=False), min_size=1, max_size=100), st.lists(st.booleans(), min_size=100, max_size=100))
def test_mark_series_append_far_after(onsets, clm):
    onset_s, is_clm = np.sort(onsets), np.array(clm[: len(onsets)])
    after = mark_series(np.append(onset_s, onset_s[-1] + 90.5), np.append(is_clm, True))
    assert (after[:-1] == mark_series(onset_s, is_clm)).all()
    ids = number_series(onset_s, is_clm)
    assert all(np.sum(ids == k) >= 4 for k in np.unique(ids[ids > 0]))
