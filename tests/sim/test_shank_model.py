"""The shank model's physics: gravity projection under rotation, tangential acceleration, peak scaling,
the sensor's low-pass, and which movements are rotation- or acceleration-dominant."""

import numpy as np
import pytest

from lrm.sim.families import draw_family_variation
from lrm.sim.movements import FINE_HZ, G, Shape
from lrm.sim.plan_wide import WidePlanner
from lrm.sim.profiles import PROFILES
from lrm.sim.shank import (change_from_rest_g, peak_change_g, pose_after, render, rest_force_g, scale_to_peak,
                           sensor_lowpass, window_force_g)
from lrm.sim.timeline import build_timeline


def _ramp_shape(theta_rad: float, *, local: bool, axial: bool = False) -> Shape:
    """A slow (5 s) rotation to ``theta_rad`` with no acceleration of the sensor point (pivot at the sensor)."""
    t = np.arange(int(5 * FINE_HZ) + 1) / FINE_HZ
    angle = theta_rad * np.clip(t / 4.0, 0.0, 1.0)
    zero = np.zeros_like(t)
    return Shape(t, zero if axial else angle, angle if axial else zero, np.zeros((t.size, 3)), local=local)


@pytest.mark.parametrize("theta_deg", [1.0, 5.0, 10.0, 30.0])
def test_flexion_lying_on_the_back_shifts_gravity_by_2_sin_half_theta(theta_deg):
    delta = change_from_rest_g(_ramp_shape(np.radians(theta_deg), local=True), 0.0, 0.0)
    expected = 2 * np.sin(np.radians(theta_deg) / 2)  # 5 deg -> 87 mg
    assert peak_change_g(delta) == pytest.approx(expected, rel=1e-9)
    assert delta[-1] == pytest.approx([-np.sin(np.radians(theta_deg)), 0.0, np.cos(np.radians(theta_deg)) - 1.0])


def test_flexion_lying_on_the_side_leaves_gravity_where_it_was():
    # roll 90 deg: the shank's lateral axis is vertical, so flexion turns the leg in the horizontal plane
    delta = change_from_rest_g(_ramp_shape(np.radians(20.0), local=True), 0.0, np.radians(90.0))
    assert peak_change_g(delta) < 1e-12
    # the same rotation about the world's horizontal (the classic pitch) does change it
    world = change_from_rest_g(_ramp_shape(np.radians(20.0), local=False), 0.0, np.radians(90.0))
    assert peak_change_g(world) == pytest.approx(2 * np.sin(np.radians(10.0)), rel=1e-9)


def test_axial_rotation_of_a_supine_shank_rolls_gravity_into_the_lateral_axis():
    delta = change_from_rest_g(_ramp_shape(np.radians(12.0), local=True, axial=True), np.radians(20.0), 0.0)
    g0 = rest_force_g(np.radians(20.0), 0.0)
    assert peak_change_g(delta) == pytest.approx(2 * np.sin(np.radians(6.0)) * np.hypot(g0[1], g0[2]), rel=1e-9)


def test_a_brief_flexion_pulse_seen_on_the_side_is_its_tangential_acceleration():
    width, radius, amp = 0.15, 0.4, np.radians(1.0)
    params = {"duration_s": width, "variant": 0.0, "amp": amp, "radius_m": radius, "sign": 1.0, "rebound": 0.5,
              "rebound_width": 1.0, "lasting_rad": 0.0, "ring_rel": 0.0, "ring_hz": 10.0, "ring_tau_s": 0.05, "roll_ratio": 0.0}
    delta = change_from_rest_g(render("jerk", params), 0.0, np.radians(90.0))
    tangential = amp * 2 * np.pi**2 / width**2 * radius / G  # peak of r * theta'' for a sin^2 pulse
    assert peak_change_g(delta) == pytest.approx(tangential, rel=0.05)


def test_scaling_meets_the_target_peak_and_stops_at_what_a_leg_can_do():
    planner = _planner()
    params = planner.rotation_params(3.0, 0.08)
    scaled = scale_to_peak(_kind("lm_rotation"), params, 0.08, 0.1, 0.0, max_amp=np.radians(45))
    assert peak_change_g(change_from_rest_g(render("lm_rotation", scaled), 0.1, 0.0)) == pytest.approx(0.08, rel=0.05)
    capped = scale_to_peak(_kind("lm_rotation"), params, 5.0, 0.1, 0.0, max_amp=np.radians(45))
    assert capped["amp"] == pytest.approx(np.radians(45))


def test_a_lasting_flexion_moves_the_resting_pose():
    pitch, roll = pose_after(Shape(np.zeros(1), np.zeros(1), np.zeros(1), np.zeros((1, 3)), np.radians(8.0), 0.0,
                                   local=True), np.radians(10.0), 0.0)
    assert (np.degrees(pitch), np.degrees(roll)) == pytest.approx((18.0, 0.0))
    assert window_force_g(_ramp_shape(0.0, local=True), 0.3, 0.2)[0] == pytest.approx(rest_force_g(0.3, 0.2))


def test_the_sensor_low_pass_softens_a_brief_jerk_at_low_rates():
    params = {"duration_s": 0.1, "variant": 0.0, "amp": np.radians(1.0), "radius_m": 0.4, "sign": 1.0, "rebound": 0.5,
              "rebound_width": 1.0, "lasting_rad": 0.0, "ring_rel": 0.0, "ring_hz": 10.0, "ring_tau_s": 0.05, "roll_ratio": 0.0}
    shape = render("jerk", params)
    raw = peak_change_g(change_from_rest_g(shape, 0.0, 0.0))
    at_10_hz = peak_change_g(change_from_rest_g(shape, 0.0, 0.0, sensor_lowpass(10.0, 2.5), 0.6))
    at_200_hz = peak_change_g(change_from_rest_g(shape, 0.0, 0.0, sensor_lowpass(200.0, 80.0), 0.1))
    assert at_10_hz < 0.5 * raw and at_200_hz == pytest.approx(raw, rel=0.1)
    with pytest.raises(ValueError, match="bandwidth_hz"):
        sensor_lowpass(10.0, 20.0)


def _kind(name):
    from lrm.sim.shank import SHANK_KINDS

    return SHANK_KINDS[name]


def _planner(seed: int = 0) -> WidePlanner:
    rng = np.random.default_rng(seed)
    var = draw_family_variation(rng, PROFILES["plmd"], "wide")
    return WidePlanner(rng, PROFILES["plmd"], var, build_timeline(rng, PROFILES["plmd"], 3600.0))


@pytest.mark.parametrize(("cls", "dominant"), [("rotation", "gravity"), ("twitch", "motion")])
def test_rotation_lms_are_rotation_dominant_and_twitches_acceleration_dominant(cls, dominant):
    planner, ratios = _planner(1), []
    for _ in range(40):
        shape = render(f"lm_{cls}", getattr(planner, f"{cls}_params")(3.0, 0.1))
        still = Shape(shape.t_s, shape.pitch_rad, shape.roll_rad, np.zeros_like(shape.lin_g), local=True)
        gravity = peak_change_g(change_from_rest_g(still, 0.0, 0.0))
        ratios.append(np.abs(shape.lin_g).max() / gravity)
    ratio = float(np.median(ratios))
    assert (ratio < 0.5) if dominant == "gravity" else (ratio > 2.0)
