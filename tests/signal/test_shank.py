"""The SIT posture check (lrm.signal.shank) on synthetic orientation series."""

from __future__ import annotations

import numpy as np

from lrm.signal import shank

AXIS = np.array([1.0, 0.0, 0.0])             # the tibia axis in sensor coordinates (standing: gravity along x)


def _series(n, elevation_deg, roll_deg=0.0):
    """Unit gravity directions for a shank at ``elevation_deg`` (array or scalar) above horizontal."""
    e = np.radians(np.broadcast_to(np.asarray(elevation_deg, float), (n,)))
    r = np.radians(np.broadcast_to(np.asarray(roll_deg, float), (n,)))
    return np.column_stack([np.sin(e), np.cos(e) * np.sin(r), np.cos(e) * np.cos(r)])


def test_elevation_from_the_calibrated_axis():
    standing = _series(10, 88.0)
    axis = shank.tibia_axis(standing, np.ones(10, bool))
    assert np.allclose(shank.elevation_deg(_series(3, [0, 20, 45]), axis), [2, 22, 47], atol=0.01)


def test_standing_up_for_a_minute_is_one_break_that_ends_when_settled_back():
    elev = np.full(1200, 5.0)
    elev[300:360] = 85.0                                  # standing beside the bed for 60 s
    breaks = shank.find_posture_breaks(_series(1200, elev), start_s=0, end_s=1200, axis=AXIS)
    assert len(breaks) == 1 and breaks[0].cause == "shank raised" and breaks[0].ended
    assert 298 <= breaks[0].start_s <= 303 and 357 <= breaks[0].end_s <= 365


def test_a_leg_movement_raising_the_shank_for_8_s_is_not_a_break():
    elev = np.full(600, 5.0)
    elev[200:208] = 40.0
    assert shank.find_posture_breaks(_series(600, elev), start_s=0, end_s=600, axis=AXIS) == []


def test_without_calibration_a_roll_is_a_turn_and_a_leg_that_never_returns_is_marked():
    roll = np.zeros(900)
    roll[400:] = 80.0                                     # rolled onto the side and stays
    breaks = shank.find_posture_breaks(_series(900, 5.0, roll), start_s=0, end_s=900, axis=None)
    assert [(b.cause, b.ended) for b in breaks] == [("leg turned", False)]
    assert breaks[0].end_s == 900


def test_settled_needs_ten_still_seconds_and_orientation_ignores_brief_spikes():
    o = _series(30, 5.0)
    o[12] = _series(1, 60.0)[0]
    assert shank.settled(o)[:12].sum() == 2 and not shank.settled(o)[15]
    smooth = shank.orientation_1s(o, np.ones(30, bool))
    assert np.degrees(np.arccos(np.clip(smooth[12] @ o[0], -1, 1))) < 1.0
