"""PLM series boundaries (docs/scoring.md §1.2 steps 6-8, §1.3)."""

import numpy as np
import pytest

from lrm.rules.rulesets import AASM, WASM2016
from lrm.rules.series import compute_imi, mark_periodic_lms, mark_series, number_series

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


# --- mark_periodic_lms: runs of movements not scored yet, the legs combined as scoring combines them ----------
def _beats(second_leg_at_s, second_leg_s=2.0, first_s=2.0, n=4, every_s=20.0):
    """n beats ``every_s`` apart: the left leg moves ``first_s`` s, the right ``second_leg_s`` s from
    ``second_leg_at_s`` after the left's onset. (onset_s, offset_s, side)."""
    on = np.repeat(np.arange(n) * every_s, 2) + np.tile([0.0, second_leg_at_s], n)
    off = on + np.tile([first_s, second_leg_s], n)
    return on, off, np.tile(["left", "right"], n)


@pytest.mark.parametrize(("at_s", "periodic"), [(2.49, True), (2.5, False)])
def test_periodic_lms_join_the_legs_below_the_wasm_bilateral_gap(at_s, periodic):
    """WASM 2016 §1.2 step 4: the other leg joins when the gap (offset to onset) is < 0.5 s (1 µs resolution);
    from 0.5 s it is a movement of its own 2.5 s later, an IMI < 10 s that breaks the run (step 8)."""
    flags = mark_periodic_lms(*_beats(at_s), WASM2016)
    assert flags.all() if periodic else not flags.any()


def test_periodic_lms_a_bilateral_lm_over_15_s_is_no_clm_and_breaks_the_run():
    """WASM 2016 §1.2 step 4: a bilateral LM over 15 s is no CLM (each leg's part is <= 10 s here, step 3), and a
    non-CLM breaks the run (step 8)."""
    on, off, side = _beats(1.0)
    off[4], on[5] = on[4] + 8.0, on[4] + 7.0    # the third beat: left 8 s, right from 7 s after it...
    off[5] = on[4] + 15.5                       # ...to 15.5 s: a bilateral LM of 15.5 s
    assert not mark_periodic_lms(on, off, side, WASM2016).any()
    off[5] = on[4] + 15.0                       # 15 s is still a CLM (> 15 s is not)
    assert mark_periodic_lms(on, off, side, WASM2016).all()


def test_periodic_lms_aasm_joins_onsets_of_the_two_legs_under_5_s():
    """AASM §1.3: onsets of the two legs < 5 s apart are one LM, overlap or not."""
    assert mark_periodic_lms(*_beats(4.9, second_leg_s=1.0, first_s=1.0), AASM).all()
    assert not mark_periodic_lms(*_beats(4.9, second_leg_s=1.0, first_s=1.0), WASM2016).any()


def test_periodic_lms_a_break_between_two_beats_ends_the_run():
    on, off, side = _beats(1.0, n=8)                # beats at 0-140 s; a posture change at 50 s leaves 3 + 5
    assert mark_periodic_lms(on, off, side, breaks_s=np.array([50.0])).tolist() == [False] * 6 + [True] * 10
