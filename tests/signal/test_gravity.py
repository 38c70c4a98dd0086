"""lrm.signal.gravity: resting orientation vs dynamic acceleration (docs/scoring.md §6: an LM is an excursion of
the shank that returns; a roll-over is a lasting change)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrm.signal.gravity import (
    dynamic_magnitude,
    estimate_gravity_1s,
    gravity_and_median_1s,
    gravity_on_grid,
    gravity_reach_s,
    per_second_mean,
    remove_gravity,
    split_gravity,
)


def _unit(v) -> np.ndarray:
    v = np.asarray(v, np.float64)
    return (v / np.linalg.norm(v)).astype(np.float32)


def _still(n: int, g: np.ndarray, noise_g: float, rng: np.random.Generator) -> np.ndarray:
    return (g[None, :] + rng.normal(0.0, noise_g, (n, 3))).astype(np.float32)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), fs=st.sampled_from([10, 25, 50, 100]),
       noise_g=st.floats(0.0, 0.015), window_s=st.sampled_from([21, 41]))
def test_still_leg_is_all_gravity(seed, fs, noise_g, window_s):
    rng = np.random.default_rng(seed)
    g = _unit(rng.normal(size=3))
    a = _still(120 * fs, g, noise_g, rng)
    gravity, dynamic = split_gravity(a, np.ones(len(a), bool), fs_hz=fs, window_s=window_s)
    assert gravity.shape == (120, 3)
    # the 1 s mean of white noise has sd noise/sqrt(fs); the median over the window narrows it further
    assert np.abs(gravity - g).max() <= 5 * noise_g / np.sqrt(fs) + 1e-5
    assert np.abs(dynamic.mean(axis=0)).max() <= 5 * noise_g / np.sqrt(len(a)) + 2 * noise_g / np.sqrt(fs) + 1e-5


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), fs=st.sampled_from([10, 25, 64, 100]),
       duration_s=st.floats(0.5, 10.0), shift_g=st.floats(0.02, 0.6))
def test_an_excursion_that_returns_stays_whole_in_the_dynamic_part(seed, fs, duration_s, shift_g):
    """A 0.5-10 s excursion (an LM's whole length, tonic hold included) is shorter than half the 41 s
    window: the resting orientation does not follow it, so the dynamic part holds the full shift."""
    rng = np.random.default_rng(seed)
    g = _unit(rng.normal(size=3))
    a = _still(90 * fs, g, 0.0, rng)
    direction = _unit(np.cross(g, rng.normal(size=3)))
    on = 40 * fs + int(rng.integers(0, fs))
    off = on + max(1, int(round(duration_s * fs)))
    a[on:off] += shift_g * direction
    gravity, dynamic = split_gravity(a, np.ones(len(a), bool), fs_hz=fs, window_s=41)
    assert np.abs(gravity - g).max() < 1e-5
    np.testing.assert_allclose(np.linalg.norm(dynamic[on:off], axis=1), shift_g, rtol=1e-4)
    assert np.abs(dynamic[:on]).max() < 1e-5 and np.abs(dynamic[off:]).max() < 1e-5


@pytest.mark.parametrize("fs", [10, 25, 100])
def test_a_lasting_change_leaves_the_dynamic_part_within_two_seconds(fs):
    """A roll-over changes the orientation for good: it is not a movement that goes on for half a window."""
    rng = np.random.default_rng(fs)
    before, after = _unit([0.1, 0.2, 1.0]), _unit([0.7, 0.1, 0.7])
    a = np.concatenate([_still(60 * fs, before, 0.003, rng), _still(60 * fs, after, 0.003, rng)])
    gravity, dynamic = split_gravity(a, np.ones(len(a), bool), fs_hz=fs, window_s=41)
    mag = np.linalg.norm(dynamic, axis=1)
    assert np.abs(gravity[:59] - before).max() < 0.01 and np.abs(gravity[62:] - after).max() < 0.01
    assert mag[62 * fs:].max() < 0.03 and mag[: 59 * fs].max() < 0.03


def test_gaps_are_bridged_for_the_median_only():
    rng = np.random.default_rng(3)
    g = _unit([0.0, 0.3, 1.0])
    fs = 25
    a = _still(100 * fs, g, 0.002, rng)
    valid = np.ones(len(a), bool)
    valid[30 * fs:50 * fs] = False
    a[30 * fs:50 * fs] = 0.0                      # what a gap holds on the grid
    mean_1s, ok_1s = per_second_mean(a, valid, fs_hz=fs)
    kept = mean_1s.copy()
    gravity = estimate_gravity_1s(mean_1s, ok_1s, window_s=41)
    np.testing.assert_array_equal(mean_1s, kept)  # the caller's means are not changed
    assert not ok_1s[30:50].any() and ok_1s[:30].all()
    assert np.abs(gravity - g).max() < 0.01       # the zeros in the gap never pull the orientation


def test_per_second_mean_needs_whole_hz():
    with pytest.raises(ValueError, match="whole number of Hz"):
        per_second_mean(np.zeros((10, 3), np.float32), np.ones(10, bool), fs_hz=12.5)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), fs=st.integers(1, 120), seconds=st.integers(1, 30),
       extra=st.integers(0, 119), start_s=st.integers(0, 20))
def test_grid_values_repeat_each_second_so_a_window_from_a_whole_second_matches_the_night(seed, fs, seconds, extra,
                                                                                           start_s):
    rng = np.random.default_rng(seed)
    g1 = rng.normal(size=(seconds + start_s + 2, 3)).astype(np.float32)
    n = (seconds + start_s) * fs + extra % fs
    whole = gravity_on_grid(g1, n, fs_hz=fs)
    part = gravity_on_grid(g1[start_s:], n - start_s * fs, fs_hz=fs)
    # the window's first second has no second before it: from its centre on the values agree
    from_centre = (fs + 1) // 2
    np.testing.assert_allclose(part[from_centre:], whole[start_s * fs + from_centre:], atol=1e-5)
    # and the grid is the linear interpolation between second centres
    t = np.arange(n) / fs
    centres = np.arange(g1.shape[0]) + 0.5
    for c in range(3):
        expected = np.interp(t, centres, g1[:, c])
        np.testing.assert_allclose(whole[:, c], expected, atol=1e-4)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), fs=st.sampled_from([2, 10, 25, 50]), seconds=st.integers(1, 40))
def test_dynamic_magnitude_is_the_norm_of_remove_gravity(seed, fs, seconds):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(seconds * fs + int(rng.integers(0, fs)), 3)).astype(np.float32)
    g1 = rng.normal(size=(seconds + 1, 3)).astype(np.float32)
    expected = np.linalg.norm(remove_gravity(a, g1, fs_hz=fs), axis=1)
    np.testing.assert_allclose(dynamic_magnitude(a, g1, fs_hz=fs), expected, rtol=1e-5, atol=1e-6)


def test_reach_is_one_odd_window_each_way():
    assert [gravity_reach_s(w) for w in (1, 20, 21, 41, 0.2)] == [1.0, 21.0, 21.0, 41.0, 1.0]


def _edge_preserving_reference(g1: np.ndarray, w: int, step_g: float) -> np.ndarray:
    """The edge-preserving median chosen for every second (the definition; lrm chooses only near steps)."""
    from lrm.signal.gravity import _running_median

    centred = _running_median(g1, w)
    idx = np.arange(g1.shape[0])
    before = centred[np.clip(idx - w // 2, 0, g1.shape[0] - 1)]
    after = centred[np.clip(idx + w // 2, 0, g1.shape[0] - 1)]
    step = np.sqrt(((before - after) ** 2).sum(axis=1)) > step_g
    d_before, d_after = ((g1 - before) ** 2).sum(axis=1), ((g1 - after) ** 2).sum(axis=1)
    d_centred = ((g1 - centred) ** 2).sum(axis=1)
    side = np.where((d_before <= d_after)[:, None], before, after)
    side = np.where((d_centred < np.minimum(d_before, d_after))[:, None], centred, side)
    return np.where(step[:, None], side, centred).astype(np.float32)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), seconds=st.integers(3, 1500), n_steps=st.integers(0, 8),
       window_s=st.sampled_from([5, 21, 41]))
def test_gravity_near_steps_is_the_edge_preserving_median_of_every_second(seed, seconds, n_steps, window_s):
    rng = np.random.default_rng(seed)
    g1 = np.tile(_unit([0.2, 0.1, 1.0]), (seconds, 1)) + rng.normal(0.0, 0.003, (seconds, 3)).astype(np.float32)
    for at in rng.integers(0, seconds, n_steps):                         # roll-overs: lasting changes
        g1[at:] += rng.normal(0.0, 0.2, 3).astype(np.float32)
    from lrm.signal.gravity import STEP_G

    got = estimate_gravity_1s(g1, np.ones(seconds, bool), window_s=window_s)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got, _edge_preserving_reference(g1, window_s, STEP_G))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), seconds=st.integers(1, 3000), n_masks=st.integers(0, 60),
       window_s=st.sampled_from([5, 21, 41]), gaps=st.integers(0, 2), zeros=st.booleans())
def test_resting_median_from_the_gravity_median_is_the_same_array(seed, seconds, n_masks, window_s, gaps, zeros):
    """The resting vector's estimate with ``like`` (only the seconds near a masked movement computed anew)
    equals, bit for bit, the whole estimate over the still seconds: masks at the night's ends, overlapping
    windows, a few or most seconds masked, gaps (none, some, all), and exact zeros (-0.0 and +0.0 compare equal:
    then the whole median runs)."""
    rng = np.random.default_rng(seed)
    mean_1s = (np.tile(_unit([0.2, 0.1, 1.0]), (seconds, 1))
               + rng.normal(0.0, 0.01, (seconds, 3))).astype(np.float32)
    if zeros:
        mean_1s[rng.integers(0, seconds, 5), rng.integers(0, 3, 5)] = rng.choice(np.float32([0.0, -0.0]), 5)
    ok = np.full(seconds, gaps < 2)
    if gaps == 1:
        ok[rng.integers(0, seconds, max(1, seconds // 50))] = False
    still = ok.copy()
    for at, length in zip(rng.integers(-20, seconds + 20, n_masks), rng.integers(1, 18, n_masks)):
        still[max(at, 0):max(at + length, 0)] = False
    gravity, first = gravity_and_median_1s(mean_1s, ok, window_s=window_s)
    got, median = gravity_and_median_1s(mean_1s, still, window_s=window_s, like=first)
    whole, whole_median = gravity_and_median_1s(mean_1s, still, window_s=window_s)
    np.testing.assert_array_equal(got.view(np.uint32), whole.view(np.uint32))
    np.testing.assert_array_equal(median.centred.view(np.uint32), whole_median.centred.view(np.uint32))
    expected = estimate_gravity_1s(mean_1s, ok, window_s=window_s)
    np.testing.assert_array_equal(gravity.view(np.uint32), expected.view(np.uint32))
    assert median.mean_1s is mean_1s and first.centred is not median.centred


def test_bridging_interpolates_only_the_invalid_seconds_with_the_full_interpolations_bits():
    from lrm.signal.gravity import _bridged

    rng = np.random.default_rng(7)
    mean_1s = rng.normal(0, 0.3, (500, 3)).astype(np.float32)
    ok = rng.random(500) > 0.2
    ok[:5] = ok[-7:] = False                                  # ends held at the nearest valid second
    good, idx = np.flatnonzero(ok), np.arange(500)
    full = np.column_stack([np.interp(idx, good, mean_1s[good, k]) for k in range(3)]).astype(np.float32)
    out = _bridged(mean_1s, ok)
    assert np.array_equal(out.view(np.uint32), full.view(np.uint32))
    assert np.array_equal(out[ok], mean_1s[ok]) and out is not mean_1s
