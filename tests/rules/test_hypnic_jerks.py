import numpy as np
import pandas as pd

from lrm.rules.hypnic_jerks import classify_hypnic_jerks


def _moves(rows):
    return pd.DataFrame(rows, columns=["onset_s", "offset_s", "side", "type", "peak_g", "half_peak_s"])


def test_brief_large_bilateral_isolated_jerk_after_lights_out_is_a_hypnic_jerk():
    m = _moves([(600.0, 600.5, "left", "lm", 0.8, 0.2), (600.1, 600.6, "right", "lm", 0.5, 0.2),
                (900.0, 903.0, "left", "lm", 0.15, 2.5)])
    out = classify_hypnic_jerks(m, [300.0])
    assert out["type"].tolist() == ["hypnic_jerk", "lm"]
    assert out["side"].iloc[0] == "bilateral"
    assert out["offset_s"].iloc[0] == 600.6


def test_a_jerk_inside_a_periodic_series_stays_an_lm():
    onsets = 600.0 + 20.0 * np.arange(6)
    rows = [(t, t + 2.0, "left", "lm", 0.15, 1.5) for t in onsets]
    rows[3] = (onsets[3], onsets[3] + 0.5, "left", "lm", 0.9, 0.2)
    out = classify_hypnic_jerks(_moves(rows), [500.0])
    assert (out["type"] == "lm").all()


def test_a_long_or_small_or_crowded_movement_is_not_a_jerk():
    m = _moves([(600.0, 603.0, "left", "lm", 0.9, 2.0),          # long
                (700.0, 700.4, "left", "lm", 0.03, 0.2),         # small
                (800.0, 800.4, "left", "lm", 0.9, 0.2), (805.0, 807.0, "right", "lm", 0.2, 1.0)])  # not isolated
    assert (classify_hypnic_jerks(m, [550.0])["type"] == "lm").all()


def test_far_from_any_wake_to_sleep_transition_is_not_a_jerk():
    m = _moves([(9000.0, 9000.4, "left", "lm", 0.9, 0.2), (9000.1, 9000.5, "right", "lm", 0.9, 0.2)])
    assert (classify_hypnic_jerks(m, [300.0])["type"] == "lm").all()


def test_unilateral_jerk_must_be_twice_as_large_with_two_legs():
    m = _moves([(600.0, 600.4, "left", "lm", 0.08, 0.2)])
    assert classify_hypnic_jerks(m, [500.0])["type"].iloc[0] == "lm"
    assert classify_hypnic_jerks(m, [500.0], n_legs=1)["type"].iloc[0] == "hypnic_jerk"


def _bilateral_jerk(angle_deg):
    m = _moves([(600.0, 600.4, "left", "lm", 0.5, 0.2), (600.05, 600.45, "right", "lm", 0.4, 0.2)])
    return m.assign(angle_deg=angle_deg)


def test_a_brief_movement_that_leaves_the_leg_turned_is_a_fidget_not_a_jerk():
    assert (classify_hypnic_jerks(_bilateral_jerk(3.0), [500.0])["type"] == "lm").all()
    assert classify_hypnic_jerks(_bilateral_jerk(0.1), [500.0])["type"].tolist() == ["hypnic_jerk"]


def test_a_roll_over_seconds_before_is_wake_evidence_not_a_neighbour():
    roll = pd.DataFrame([(590.0, 594.0, "left", "posture_change", 0.9, 2.0)], columns=_moves([]).columns)
    m = pd.concat([roll.assign(angle_deg=40.0), _bilateral_jerk(0.1)], ignore_index=True)
    out = classify_hypnic_jerks(m, [])
    assert out["type"].tolist() == ["posture_change", "hypnic_jerk"]
    touching = m.assign(offset_s=m["offset_s"].where(m["type"] != "posture_change", 598.0))
    assert classify_hypnic_jerks(touching, [])["type"].tolist() == ["posture_change", "lm", "lm"]


def test_a_bilateral_jerk_where_a_series_starts_is_still_a_jerk():
    rows = [(t, t + 2.0, "left", "lm", 0.15, 1.5) for t in 620.0 + 20.0 * np.arange(6)]
    m = pd.concat([_bilateral_jerk(0.0), _moves(rows).assign(angle_deg=0.0)], ignore_index=True)
    assert classify_hypnic_jerks(m, [500.0])["type"].tolist()[0] == "hypnic_jerk"
