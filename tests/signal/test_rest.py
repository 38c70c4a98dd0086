"""The rest period from per-second lying (lrm.signal.rest, docs/scoring.md §5)."""

from __future__ import annotations

import numpy as np
import pytest

from lrm.errors import InputError
from lrm.params import RestParams
from lrm.signal.posture import Posture
from lrm.signal.rest import combine_legs, find_rest_period

H = 3600


def lying_mask(n_s: int, *bouts: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(n_s, bool)
    for a, b in bouts:
        mask[a:b] = True
    return mask


def rest(lying: np.ndarray, **kw: float):
    return find_rest_period(lying, np.ones(lying.size, bool), posture_known=True, **kw)


def test_the_longest_cluster_of_lying_bouts_is_the_night():
    lying = lying_mask(12 * H, (1 * H, 1 * H + 1500), (3 * H, 10 * H))  # a 25 min nap 2 h before bed
    r = rest(lying)
    assert (r.lights_out_s, r.lights_on_s, r.source) == (3 * H, 10 * H, "posture")


def test_an_out_of_bed_trip_is_removed_but_the_night_goes_on():
    lying = lying_mask(12 * H, (2 * H, 6 * H), (6 * H + 600, 10 * H))  # 10 min in the bathroom
    r = rest(lying)
    assert (r.lights_out_s, r.lights_on_s) == (2 * H, 10 * H)
    assert r.gross_h == pytest.approx(8 - 600 / H)


@pytest.mark.parametrize(("back_in_bed_s", "extends"), [(299, False), (300, True), (1500, True)])
def test_a_return_to_bed_after_the_last_trip_extends_the_night(back_in_bed_s, extends):
    # the last lying bout (after a trip before dawn) is shorter than min_bout_s (20 min)
    start = 9 * H + 900
    lying = lying_mask(12 * H, (2 * H, 9 * H), (start, start + back_in_bed_s))
    r = rest(lying)
    assert r.lights_on_s == (start + back_in_bed_s if extends else 9 * H)


def test_lying_long_after_the_final_rising_is_not_the_night():
    join = int(RestParams().join_s)
    lying = lying_mask(14 * H, (2 * H, 9 * H), (9 * H + join + 60, 9 * H + join + 900))
    assert rest(lying).lights_on_s == 9 * H


def test_short_upright_moments_in_bed_are_not_excursions():
    lying = lying_mask(12 * H, (2 * H, 5 * H), (5 * H + 59, 10 * H))  # sitting up for 59 s
    assert rest(lying).in_bed[5 * H : 5 * H + 59].all()


def test_given_ends_override_the_estimate():
    r = rest(lying_mask(12 * H, (2 * H, 10 * H)), lights_out_s=1.5 * H, lights_on_s=9.0 * H)
    assert (r.lights_out_s, r.lights_on_s, r.source) == (1.5 * H, 9.0 * H, "override")


def test_lights_on_before_lights_out_is_an_error():
    with pytest.raises(InputError, match="not after lights-out"):
        rest(lying_mask(12 * H, (2 * H, 10 * H)), lights_on_s=1.0 * H)


def test_gaps_do_not_count_in_the_analysis_hours():
    r = rest(lying_mask(12 * H, (2 * H, 10 * H)))
    valid = np.ones(12 * H, bool)
    valid[4 * H : 5 * H] = False
    assert r.hours_with(valid) == pytest.approx(7.0)


def _posture(lying: np.ndarray, walking: np.ndarray) -> Posture:
    return Posture(lying, np.zeros(lying.size, np.float32), walking, np.array([0.0, 0.0, 1.0]))


@pytest.mark.parametrize(("walk_s", "gap_s", "in_bed"), [(0, 0, True), (10, 0, False), (0, 59, True), (0, 60, False)])
def test_raised_shanks_without_a_step_or_a_long_gap_beside_them_are_still_in_bed(walk_s, gap_s, in_bed):
    # 10 h: walking to bed, 2 h lying, 70 min with the knees up past the lying limit, 4 h 50 min lying; a step in the
    # raised stretch (or a gap of a minute or more next to it, which may hide one) makes it an excursion out of bed
    n = 10 * H
    lying = lying_mask(n, (H, 3 * H), (3 * H + 4200, 9 * H))
    walking = lying_mask(n, (H - 300, H - 10), (3 * H + 100, 3 * H + 100 + walk_s))
    valid = np.ones(n, bool)
    valid[3 * H + 4200:3 * H + 4200 + gap_s] = False
    left = _posture(lying & valid, walking & valid)
    both, any_valid, _, known = combine_legs({"left": left, "right": left}, {"left": valid, "right": valid})
    r = find_rest_period(both, any_valid, posture_known=known)
    assert r.lights_on_s == 9 * H
    if in_bed:
        assert r.lights_out_s == H and r.gross_h == pytest.approx(8)
    else:   # out of bed for 70 min, more than join_s: two nights, the longer kept (a step decides which it was)
        assert r.lights_out_s == 3 * H + 4200 and r.gross_h == pytest.approx(6 - 4200 / H)
