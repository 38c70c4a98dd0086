"""PLM series boundaries (docs/scoring.md §1.2 steps 6-8, §1.3)."""

import numpy as np
import pytest

from lrm.rules.rulesets import AASM, WASM2016
from lrm.rules.series import compute_imi, mark_series, number_series

WORKED_ONSETS = np.array([0, 20, 40, 45, 65, 85, 105.0])


@pytest.mark.parametrize(("imi_s", "in_series"), [(9.99, False), (10.0, True), (90.0, True), (90.01, False)])
def test_imi_limits_are_inclusive_wasm2016(imi_s, in_series):
    onset_s = 1000.0 + np.arange(4) * imi_s
    assert mark_series(onset_s, np.ones(4, bool), WASM2016).all() == in_series
    assert mark_series(onset_s, np.ones(4, bool), WASM2016).any() == in_series


@pytest.mark.parametrize(("imi_s", "in_series"), [(4.99, False), (5.0, True), (90.0, True), (90.01, False)])
def test_imi_limits_are_inclusive_aasm(imi_s, in_series):
    assert mark_series(np.arange(4) * imi_s, np.ones(4, bool), AASM).all() == in_series


@pytest.mark.parametrize(("n", "expected"), [(3, 0), (4, 4), (5, 5)])
def test_series_needs_four_clms(n, expected):
    assert int(mark_series(np.arange(n) * 20.0, np.ones(n, bool)).sum()) == expected


def test_worked_example_wasm2016_gives_4_plms_starting_after_the_short_imi():
    flags = mark_series(WORKED_ONSETS, np.ones(7, bool), WASM2016)
    assert flags.tolist() == [False, False, False, True, True, True, True]


def test_worked_example_aasm_gives_7_plms():
    assert mark_series(WORKED_ONSETS, np.ones(7, bool), AASM).sum() == 7


def test_non_clm_breaks_a_series_and_is_never_a_plm():
    is_clm = np.array([True, True, True, False, True, True, True, True])
    flags = mark_series(np.arange(8) * 20.0, is_clm)
    assert flags.tolist() == [False, False, False, False, True, True, True, True]


def test_series_are_numbered_in_time_order():
    onset_s = np.r_[np.arange(4) * 20.0, 500 + np.arange(5) * 30.0]
    assert number_series(onset_s, np.ones(9, bool)).tolist() == [1, 1, 1, 1, 2, 2, 2, 2, 2]


def test_imi_is_onset_to_onset_and_nan_first():
    imi = compute_imi(np.array([3.0, 13.0, 40.5]))
    assert np.isnan(imi[0]) and imi[1:].tolist() == [10.0, 27.5]


def test_empty_input_gives_empty_flags():
    assert mark_series(np.zeros(0), np.zeros(0, bool)).shape == (0,)
