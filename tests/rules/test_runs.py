"""aggregate_runs must equal pandas' groupby aggregation on runs of consecutive rows."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrm.rules.runs import aggregate_runs


@st.composite
def tables_and_runs(draw):
    n = draw(st.integers(1, 30))
    floats = draw(st.lists(st.one_of(st.floats(-1e3, 1e3), st.just(float("nan"))), min_size=n, max_size=n))
    ints = draw(st.lists(st.integers(-5, 5), min_size=n, max_size=n))
    flags = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    labels = draw(st.lists(st.sampled_from(["a", "b", None]), min_size=n, max_size=n))
    table = pd.DataFrame({"f": floats, "i": ints, "b": flags, "s": labels})
    cuts = draw(st.sets(st.integers(1, n - 1), max_size=n - 1)) if n > 1 else set()
    return table, np.array(sorted({0, *cuts}), dtype=np.intp)


@settings(max_examples=200, deadline=None)
@given(tables_and_runs(), st.sampled_from(["first", "min", "max"]))
def test_numeric_and_first_aggregations_match_pandas(case, fn):
    table, run_start = case
    group = np.repeat(np.arange(run_start.size), np.diff(np.r_[run_start, len(table)]))
    columns = ["f", "i", "b", "s"] if fn == "first" else ["f", "i", "b"]
    how = dict.fromkeys(columns, fn)
    expected = table.groupby(group, sort=True).agg(how).reset_index(drop=True)
    pd.testing.assert_frame_equal(aggregate_runs(table, run_start, how), expected)


@settings(max_examples=100, deadline=None)
@given(tables_and_runs())
def test_sum_all_any_match_pandas(case):
    table, run_start = case
    group = np.repeat(np.arange(run_start.size), np.diff(np.r_[run_start, len(table)]))
    how = {"i": "sum", "b": "all"}
    expected = table.groupby(group, sort=True).agg(how).reset_index(drop=True)
    pd.testing.assert_frame_equal(aggregate_runs(table, run_start, how), expected)
    any_expected = table.groupby(group, sort=True)["b"].any().reset_index(drop=True)
    pd.testing.assert_series_equal(aggregate_runs(table, run_start, {"b": "any"})["b"], any_expected)


def test_nullable_integers_go_through_pandas():
    table = pd.DataFrame({"n": pd.array([1, pd.NA, 3], dtype="Int64")})
    out = aggregate_runs(table, np.array([0, 1]), {"n": "max"})
    assert out["n"].dtype == "Int64" and out["n"].tolist() == [1, 3]


def test_unknown_aggregation_is_an_error():
    with pytest.raises(ValueError, match="unknown aggregation 'median'"):
        aggregate_runs(pd.DataFrame({"a": [1.0]}), np.array([0]), {"a": "median"})


@settings(max_examples=100, deadline=None)
@given(tables_and_runs(), st.booleans())
def test_first_of_string_columns_matches_pandas_also_when_every_run_is_one_row(case, single_rows):
    """'first' takes each run's first present value from the column's array (an arrow-backed string column,
    missing values included); with runs of one row each (merging found nothing) every row keeps its own value."""
    table, run_start = case
    table = table.assign(s=table["s"].astype("string"), t=table["s"].astype("str"))
    if single_rows:
        run_start = np.arange(len(table), dtype=np.intp)
    group = np.repeat(np.arange(run_start.size), np.diff(np.r_[run_start, len(table)]))
    how = {"s": "first", "t": "first", "f": "first"}
    expected = table.groupby(group, sort=True).agg(how).reset_index(drop=True)
    pd.testing.assert_frame_equal(aggregate_runs(table, run_start, how), expected)
