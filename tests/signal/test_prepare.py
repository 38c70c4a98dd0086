import numpy as np
import pytest

from lrm.errors import InputError, LrmWarning
from lrm.io.recording import Leg
from lrm.params import PrepareParams
from lrm.signal.prepare import find_gaps, prepare_leg


def _leg(t, acc=None, fs=50.0):
    acc = np.tile(np.array([0, 0, 1], np.float32), (t.size, 1)) if acc is None else acc
    return Leg("left", t.astype(np.float64), acc.astype(np.float32), fs, source="left.csv")


def test_gap_is_kept_as_invalid_never_interpolated():
    t = np.concatenate((np.arange(0, 100, 0.02), np.arange(110, 200, 0.02)))
    prep = prepare_leg(_leg(t), origin_s=0.0, n_grid=int(200 * 25))
    assert prep.gaps_s.shape == (1, 2)
    assert prep.gaps_s[0, 1] - prep.gaps_s[0, 0] == pytest.approx(10.02, abs=0.03)
    assert not prep.valid[int(105 * 25)]
    assert not prep.valid[int(100.5 * 25)]  # margin
    assert prep.valid[int(50 * 25)] and prep.valid[int(150 * 25)]


def test_backwards_timestamps_are_sorted_with_a_warning():
    t = np.arange(0, 100, 0.02)
    t[100], t[101] = t[101], t[100]
    with pytest.warns(LrmWarning, match="backwards"):
        prep = prepare_leg(_leg(t), origin_s=0.0, n_grid=2500)
    assert any("backwards" in r for r in prep.repairs)


def test_nan_samples_are_dropped_with_a_warning():
    t = np.arange(0, 100, 0.02)
    acc = np.tile(np.array([0, 0, 1], np.float32), (t.size, 1))
    acc[10] = np.nan
    with pytest.warns(LrmWarning, match="NaN"):
        prepare_leg(_leg(t, acc), origin_s=0.0, n_grid=2500)


def test_data_that_is_not_in_g_is_rejected():
    t = np.arange(0, 100, 0.02)
    acc = np.tile(np.array([0, 0, 9.81], np.float32), (t.size, 1))
    with pytest.raises(InputError, match="not about 1"):
        prepare_leg(_leg(t, acc), origin_s=0.0, n_grid=2500)


def test_block_means_keep_the_value_on_the_grid():
    t = np.arange(0, 60, 0.01)
    acc = np.zeros((t.size, 3), np.float32)
    acc[:, 2] = 1.0
    acc[:, 0] = np.where(t > 30, 0.5, 0.0)
    prep = prepare_leg(_leg(t, acc, fs=100.0), origin_s=0.0, n_grid=1500, params=PrepareParams())
    assert prep.accel_g[10 * 25, 0] == pytest.approx(0.0, abs=1e-6)
    assert prep.accel_g[40 * 25, 0] == pytest.approx(0.5, abs=1e-6)
    assert prep.raw_fs_hz == pytest.approx(100.0, rel=1e-3)


def test_find_gaps():
    assert find_gaps(np.array([0.0, 1.0, 2.5, 3.0]), 1.0).tolist() == [[1.0, 2.5]]


def test_a_known_gap_and_its_hole_in_the_timestamps_count_once():
    """The recorder's gap ends differ from the samples' by a fraction of a period (native recordings, demo):
    one gap, its duration once, and the rate of the samples (not inflated by the gap counted twice)."""
    from dataclasses import replace

    from lrm.io.recording import Gap

    t = np.concatenate((np.arange(0, 100, 0.04), np.arange(140, 300, 0.04)))
    last_before = float(t[np.searchsorted(t, 100) - 1])
    leg = replace(_leg(t, fs=25.0), gaps=(Gap(last_before + 0.0003, 140.0, "disconnected"),))
    prep = prepare_leg(leg, origin_s=0.0, n_grid=int(300 * 25))
    assert prep.gaps_s.shape == (1, 2)
    assert prep.gaps_s[0, 1] - prep.gaps_s[0, 0] == pytest.approx(140.0 - last_before, abs=1e-9)
    assert prep.raw_fs_hz == pytest.approx(25.0, rel=1e-9)


def test_a_short_dropout_known_to_the_recorder_stays_a_gap_of_its_own():
    from dataclasses import replace

    from lrm.io.recording import Gap

    t = np.arange(0, 300, 0.02)
    t = np.delete(t, [5000, 5001])                      # two samples lost on a live link: 0.06 s hole
    leg = replace(_leg(t), gaps=(Gap(float(t[4999]) + 0.02, float(t[5000]), "dropped"),))
    prep = prepare_leg(leg, origin_s=0.0, n_grid=300 * 25)
    assert prep.gaps_s.shape == (1, 2) and prep.gaps_s[0, 1] - prep.gaps_s[0, 0] == pytest.approx(0.04, abs=1e-9)
    assert prep.raw_fs_hz == pytest.approx(50.0, rel=1e-9)


def test_merge_intervals_joins_overlaps_and_near_touches_only():
    from lrm.signal.prepare import merge_intervals

    iv = np.array([[5.0, 6.0], [0.0, 2.0], [1.0, 3.0], [3.01, 4.0], [6.5, 7.0]])
    assert merge_intervals(iv, tol_s=0.02).tolist() == [[0.0, 4.0], [5.0, 6.0], [6.5, 7.0]]
    assert merge_intervals(iv).tolist() == [[0.0, 3.0], [3.01, 4.0], [5.0, 6.0], [6.5, 7.0]]


@pytest.mark.parametrize("q", [1, 2, 3, 4, 5, 8, 16])
def test_block_means_are_einsums_bits(q):
    """block_means sums long flat runs (lrm.signal.prepare) in the order np.einsum("mkc->mc") adds a block's
    rows: the same float32 bits, past the size of one pass (2**14 blocks) and with a partial block left over."""
    from lrm.signal.prepare import block_means

    rng = np.random.default_rng(q)
    for n in (0, q - 1, q, 5 * q + 1, (1 << 14) * q + 3 * q + 1):
        for x in (rng.normal(0.0, 0.3, (n, 3)).astype(np.float32),
                  (np.round(rng.normal(0.0, 0.3, (n, 3)) * 256) / 256 + 1.0).astype(np.float32)):
            m = n // q
            expected = np.einsum("mkc->mc", x[: m * q].reshape(m, q, 3))
            expected *= np.float32(1.0 / q)
            got = block_means(x, q)
            assert got.dtype == np.float32 and got.shape == (m, 3)
            assert np.array_equal(got.view(np.uint32), expected.view(np.uint32))


def test_count_clipped_equals_the_whole_array_count():
    """The blockwise count equals the formulation it replaced, across block edges and at the level itself."""
    from lrm.signal.prepare import _STEP_ROWS, count_clipped

    rng = np.random.default_rng(5)
    for rows in (1, 3, _STEP_ROWS - 1, _STEP_ROWS, 2 * _STEP_ROWS + 17):
        x = rng.normal(0.0, 4.0, size=(rows, 3)).astype(np.float32)
        x[rng.random((rows, 3)) < 0.01] = np.float32(8.0)
        x[rng.random((rows, 3)) < 0.01] = np.float32(-8.0)
        for level in (8.0, 7.6, 100.0):
            assert count_clipped(x, level) == np.count_nonzero(x >= level) + np.count_nonzero(x <= -level)


def test_clipped_values_are_counted_on_both_sides_and_nan_is_not():
    from lrm.signal.prepare import count_clipped

    x = np.random.default_rng(2).normal(0, 3, (200_000, 3)).astype(np.float32)
    x[5, 1], x[6, 2], x[7, 0] = np.nan, np.inf, -np.inf
    assert count_clipped(x, 4.0) == np.count_nonzero(x >= 4.0) + np.count_nonzero(x <= -4.0)


def _filled_leg(filled_from_s: float, seed: int = 5):
    """1 h at 50 Hz with 5 mg white noise; from ``filled_from_s`` on, the last sample repeated (idle sleep)."""
    from lrm.io.recording import Gap

    rng = np.random.default_rng(seed)
    t = np.arange(0, 3600, 0.02)
    acc = (np.array([0, 0, 1], np.float32) + rng.normal(0, 0.005, (t.size, 3))).astype(np.float32)
    first = int(filled_from_s * 50)
    acc[first:] = acc[first - 1]
    leg = Leg("left", t, acc, 50.0, source="left.gt3x", filled=(Gap(filled_from_s, 3600.0, "idle-sleep"),))
    return leg


def test_filled_samples_are_not_the_sensors_noise_nor_recorded():
    # 75 % of the hour is the last sample repeated: the noise was read off the repeats (0 mg), coverage 100 %
    prep = prepare_leg(_filled_leg(900.0), origin_s=0.0, n_grid=int(3600 * 25) + 1)
    assert any("2700 s not recorded (idle-sleep)" in r for r in prep.repairs)
    assert max(prep.noise.white_g) == pytest.approx(0.005, rel=0.1)
    assert prep.valid[25:-25].all()                          # still analysed, as the vendor's software shows it
    assert prep.filled_pct == pytest.approx(75.0, abs=0.1)
    assert prep.coverage_pct == pytest.approx(25.0, abs=0.1)
    assert not prep.filled[int(899 * 25)] and prep.filled[int(901 * 25)]


def test_a_leg_without_fill_has_no_filled_mask():
    prep = prepare_leg(_leg(np.arange(0, 100, 0.02)), origin_s=0.0, n_grid=2500)
    assert prep.filled is None and prep.filled_pct == 0.0 and prep.coverage_pct > 99


@pytest.mark.parametrize(("filled_from_s", "warned"), [(3600 - 300.0, False), (3600 - 400.0, True)])
def test_a_large_filled_share_is_warned_about(filled_from_s, warned):
    from lrm.signal.align import ClockFit
    from lrm.signal.quality import MAX_FILLED_PCT, leg_quality

    prep = prepare_leg(_filled_leg(filled_from_s), origin_s=0.0, n_grid=int(3600 * 25) + 1)
    assert (prep.filled_pct > MAX_FILLED_PCT) == warned     # 8.3 % and 11.1 % of the hour
    q = leg_quality({"left": prep}, ClockFit())["left"]
    assert any("was not recorded" in w for w in q.warnings) == warned
