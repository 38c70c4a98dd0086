"""Which events get a close-up: every hypnic jerk, then the first/middle/last PLM of each series within a budget."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from lrm.rules.review import select_review_events


def night(series_lengths: list[int], jerks: int = 0) -> pd.DataFrame:
    rows, t = [], 0.0
    for _ in range(jerks):
        rows.append((t, "hypnic_jerk", 0, None))
        t += 100.0
    for sid, length in enumerate(series_lengths, start=1):
        for _ in range(length):
            rows.append((t, "lm", 1, sid))
            t += 20.0
        rows.append((t, "lm", 0, None))   # an isolated LM between series
        t += 200.0
    return pd.DataFrame(rows, columns=["onset_s", "type", "in_plm_series", "series_id"]).astype({"series_id": "Int64"})


def test_every_jerk_and_first_middle_last_of_each_series():
    events = night([5, 4], jerks=2)
    chosen = select_review_events(events)
    onset = events["onset_s"].to_numpy()
    first = events[events["series_id"] == 1]["onset_s"].to_numpy()
    assert set(onset[:2]) <= set(chosen)                       # both jerks
    assert {first[0], first[2], first[4]} <= set(chosen) and first[1] not in chosen
    assert len(chosen) == 2 + 3 + 3 and (np.diff(chosen) > 0).all()


@given(st.lists(st.integers(4, 40), max_size=60), st.integers(0, 60))
@settings(deadline=None)   # no timing in tests: the shared machine's speed swings 2x (docs: benchmarks/)
def test_the_budget_holds_and_every_series_is_seen_while_it_can_be(lengths, jerks):
    events = night(lengths, jerks)
    chosen = select_review_events(events, max_events=80, max_jerks=40)
    assert len(chosen) <= 80 and len(set(chosen)) == len(chosen)
    kinds = events.set_index("onset_s").loc[chosen, "type"]
    assert (kinds == "hypnic_jerk").sum() == min(jerks, 40)
    shown = set(events.set_index("onset_s").loc[chosen, "series_id"].dropna())
    assert len(shown) == min(len(lengths), 80 - min(jerks, 40))
