import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrm.signal.nonwear import NonwearParams, concat_seconds, find_nonwear, summarize_seconds

FS = 10.0


def _still(seconds: float, rng, tilt=(0.0, 0.0, 1.0), noise_g=0.004) -> np.ndarray:
    n = int(seconds * FS)
    return np.asarray(tilt) + rng.normal(0, noise_g, (n, 3))


def _worn_in_bed(seconds: float, rng, turn_every_s=1800.0, lm_every_s=40.0) -> np.ndarray:
    """Lying still except posture changes (a tilt of 20-60 degrees) and leg movements of 30-200 mg."""
    a = _still(seconds, rng, tilt=(0.0, 1.0, 0.0))
    t = np.arange(a.shape[0]) / FS
    for turn in np.arange(turn_every_s * rng.uniform(0.3, 1.0), seconds, turn_every_s):
        angle = np.deg2rad(rng.uniform(20, 60))
        k = slice(int(turn * FS), None)
        a[k] = a[k] @ np.array([[1, 0, 0], [0, np.cos(angle), -np.sin(angle)],
                                                [0, np.sin(angle), np.cos(angle)]])
    for lm in np.arange(rng.uniform(0, lm_every_s), seconds - 2, lm_every_s):
        k = slice(int(lm * FS), int(lm * FS) + int(2 * FS))
        a[k] += rng.uniform(0.03, 0.2) * np.sin(np.pi * (t[k] - t[k][0]) / 2)[:, None] * rng.normal(0, 1, 3)
    return a


def _find(accel: np.ndarray, params=NonwearParams()) -> np.ndarray:
    t = np.arange(accel.shape[0]) / FS
    return find_nonwear(summarize_seconds(t, accel, origin_s=0.0, n_seconds=int(np.ceil(t[-1] + 1e-9))), params)


def test_a_day_on_the_table_between_worn_nights_is_found_to_the_minute():
    rng = np.random.default_rng(1)
    accel = np.concatenate([_worn_in_bed(3 * 3600, rng), _still(10 * 3600, rng, tilt=(0.02, -0.01, -1.0)),
                            _worn_in_bed(3 * 3600, rng)])
    (start, end), = _find(accel)
    assert abs(start - 3 * 3600) <= 60 and abs(end - 13 * 3600) <= 60


@pytest.mark.parametrize("seed", range(5))
def test_a_worn_ankle_in_bed_is_never_non_wear(seed):
    rng = np.random.default_rng(seed)
    # quiet sleep: posture changes only every 40 min and leg movements every 5 min
    assert _find(_worn_in_bed(8 * 3600, rng, turn_every_s=2400, lm_every_s=300)).size == 0


@pytest.mark.parametrize(("minutes", "found"), [(85, False), (95, True)])
def test_only_still_stretches_longer_than_90_min_count(minutes, found):
    rng = np.random.default_rng(2)
    accel = np.concatenate([_worn_in_bed(2 * 3600, rng), _still(minutes * 60, rng), _worn_in_bed(2 * 3600, rng)])
    runs = _find(accel)
    assert (runs.shape[0] == 1) == found
    if found:
        assert abs((runs[0, 1] - runs[0, 0]) - minutes * 60) <= 120


def test_missing_data_is_not_non_wear():
    rng = np.random.default_rng(3)
    accel = _worn_in_bed(6 * 3600, rng)
    t = np.arange(accel.shape[0]) / FS
    keep = (t < 3600) | (t > 4 * 3600)                               # a 3 h gap
    sums = summarize_seconds(t[keep], accel[keep], origin_s=0.0, n_seconds=6 * 3600)
    assert find_nonwear(sums).size == 0


def test_summaries_of_consecutive_windows_concatenate_to_the_whole():
    rng = np.random.default_rng(4)
    accel = np.concatenate([_worn_in_bed(2 * 3600, rng), _still(3 * 3600, rng)])
    t = np.arange(accel.shape[0]) / FS
    whole = summarize_seconds(t, accel, origin_s=0.0, n_seconds=5 * 3600)
    half = t < 7000
    parts = concat_seconds([summarize_seconds(t[half], accel[half], origin_s=0.0, n_seconds=7000),
                            summarize_seconds(t[~half], accel[~half], origin_s=7000.0, n_seconds=5 * 3600 - 7000)])
    for field in ("count", "total", "squares", "low", "high"):
        np.testing.assert_allclose(getattr(parts, field), getattr(whole, field))
    np.testing.assert_array_equal(find_nonwear(parts), find_nonwear(whole))


@settings(max_examples=25, deadline=None)
@given(st.floats(0.03, 0.5), st.integers(0, 2**31 - 1))
def test_a_signal_moving_by_more_than_the_range_every_hour_is_never_non_wear(step_g, seed):
    # every 20 min the sensor's z reading steps by more than GGIR's 50 mg range on two axes
    rng = np.random.default_rng(seed)
    accel = _still(4 * 3600, rng)
    t = np.arange(accel.shape[0]) / FS
    levels = np.floor(t / 1200) % 2
    accel[:, 0] += levels * (0.05 + step_g)
    accel[:, 1] += levels * (0.05 + step_g)
    assert _find(accel).size == 0
