"""The leg-movement detector (lrm.signal.detect): event logic, thresholds against the leg's own noise, and its
behaviour on randomised still legs and movements (tests/signal/synthetic_leg.py, independent of lrm.sim)."""

from __future__ import annotations

import numpy as np
import pytest

from lrm.errors import InputError
from lrm.params import DetectParams, Params
from lrm.signal.detect import LegThresholds, check_rate, detection_limit_g, find_lm_intervals, runs
from lrm.signal.leg import detect_leg_movements, leg_signals
from lrm.signal.noise import SensorNoise
from lrm.signal.prepare import prepare_leg
from lrm.validate import match_onsets

from synthetic_leg import LegSpec, make_leg

FS = 25.0


def detect(leg, params: Params = Params()):  # noqa: ANN001, ANN201
    """One leg through the pipeline's per-leg chain (lrm.signal.leg); the table with the LMs the rules keep
    (>= 0.5 s, morphology), and the detection."""
    fs = params.prepare.work_fs_hz
    n = int(np.floor((leg.t_s[-1] - leg.t_s[0]) * fs)) + 1
    prep = prepare_leg(leg, origin_s=leg.t_s[0], n_grid=n, params=params.prepare, warn=False)
    det = detect_leg_movements(leg_signals(prep, params), params, side=leg.side)
    t = det.moves
    return t.loc[((t["offset_s"] - t["onset_s"]) >= 0.5) & t["morphology_ok"]], det


def test_runs_of_true():
    assert runs(np.array([1, 1, 0, 0, 1], bool)).tolist() == [[0, 2], [4, 5]]
    assert runs(np.zeros(3, bool)).shape == (0, 2)


@pytest.mark.parametrize(("gap_s", "n_lms"), [(0.4, 1), (0.6, 2)])
def test_same_leg_bursts_closer_than_half_a_second_are_one_lm(gap_s, n_lms):
    z = np.zeros(500, np.float32)
    a = 100
    b = a + 25 + int(round(gap_s * FS))
    z[a : a + 25] = z[b : b + 25] = 3.0
    out = find_lm_intervals(z, z, np.ones(500, bool), fs_hz=FS)
    assert out.shape[0] == n_lms
    assert out[0, 0] == a


def test_onset_needs_the_onset_threshold_and_the_offset_uses_the_quiet_one():
    hi, lo = np.zeros(300, np.float32), np.zeros(300, np.float32)
    lo[50:60] = 2.0                          # above the offset threshold only, then quiet: no LM
    hi[150:160], lo[140:200] = 2.0, 2.0      # the excursion starts at 140 and lasts while above the quiet band
    out = find_lm_intervals(hi, lo, np.ones(300, bool), fs_hz=FS)
    assert out.tolist() == [[140, 200]]


def test_an_isolated_noise_blip_before_a_movement_is_not_its_onset():
    hi, lo = np.zeros(300, np.float32), np.zeros(300, np.float32)
    lo[100] = 2.0                            # one sample of noise above the quiet band, 0.4 s before
    hi[110:130], lo[110:140] = 2.0, 2.0
    assert find_lm_intervals(hi, lo, np.ones(300, bool), fs_hz=FS).tolist() == [[110, 140]]


def test_gaps_hide_movements():
    z = np.full(300, 5.0, np.float32)
    assert find_lm_intervals(z, z, np.zeros(300, bool), fs_hz=FS).shape == (0, 2)


@pytest.mark.parametrize(("fs_hz", "ok"), [(9.4, False), (9.6, True), (10.0, True)])   # 5 % tolerance
def test_rates_below_10_hz_are_refused(fs_hz, ok):
    if ok:
        assert "below 20 Hz" in check_rate(fs_hz, "phone.csv")
    else:
        with pytest.raises(InputError, match=r"phone\.csv: .*below the 10 Hz"):
            check_rate(fs_hz, "phone.csv")


def test_detection_limit_uses_the_period_and_rises_with_the_thresholds():
    noise = SensorNoise((0.01, 0.01, 0.01), 0.0, 50.0)
    thr = LegThresholds(10.0, np.float32([0.01, 0.03]), np.float32([0.006, 0.02]), np.float32([0.02, 0.05]),
                        np.float32([0.015, 0.04]), np.float32([0.002, 0.005]), noise)
    quiet, noisy = detection_limit_g(thr, np.array([True, False])), detection_limit_g(thr, np.array([False, True]))
    assert 0.01 < quiet < noisy < 0.2           # above the onset threshold: peaks only partly reach R and D
    assert np.isnan(detection_limit_g(thr, np.array([False, False])))


@pytest.mark.parametrize(("fs_hz", "noise_g", "lsb_g"), [
    (10.0, 0.012, 0.0),      # slow and noisy
    (25.0, 0.0005, 0.016),   # a coarse quantiser on a quiet sensor: toggles between levels
    (64.0, 0.003, 0.010),    # Daphnet-like: 10 mg steps
    (100.0, 0.002, 0.004),
    (200.0, 0.015, 0.001),
])
def test_a_still_leg_gives_no_lms_whatever_its_noise_and_quantisation(fs_hz, noise_g, lsb_g):
    leg, _ = make_leg(LegSpec(fs_hz=fs_hz, duration_s=3600, noise_g=noise_g, lsb_g=lsb_g, lms=False,
                              wander_deg_per_min=0.5), seed=7)
    lms, det = detect(leg)
    assert len(lms) <= 1                     # an hour of still data: at most one (expected ~0.2)
    assert det.thresholds.noise.lsb_g == pytest.approx(lsb_g, abs=1e-6)


def test_movements_above_the_stated_limit_are_found():
    leg, truth = make_leg(LegSpec(fs_hz=50.0, duration_s=1800, noise_g=0.006, lsb_g=0.001, peak_range_g=(0.003, 0.2),
                                  shapes=("rotation",)), seed=3)
    lms, det = detect(leg)
    limit = detection_limit_g(det.thresholds)
    assert 0.01 < limit < 0.04                # ~6 mg noise at 50 Hz
    found, extra = match_onsets(truth["onset_s"].to_numpy(), lms["onset_s"].to_numpy())
    peak = truth.sort_values("onset_s")["peak_g"].to_numpy()
    assert (peak >= limit).sum() > 20 and found[peak >= limit].mean() >= 0.9
    assert found[peak < 0.5 * limit].mean() < 0.5           # and it is a limit: well below it most are missed
    assert (~extra).sum() <= 2


def test_onset_offset_and_peak_of_a_clear_movement():
    leg, truth = make_leg(LegSpec(fs_hz=100.0, duration_s=600, noise_g=0.003, peak_range_g=(0.1, 0.3),
                                  shapes=("rotation",)), seed=11)
    lms, _ = detect(leg)
    t = truth.sort_values("onset_s")
    found, _ = match_onsets(t["onset_s"].to_numpy(), lms["onset_s"].to_numpy(), tol_s=0.3)
    assert found.all()
    first = lms.iloc[0]
    assert first["offset_s"] - first["onset_s"] == pytest.approx(t["offset_s"].iloc[0] - t["onset_s"].iloc[0], abs=0.5)
    # the 0.2 s RMS estimate follows the tonic excursion and takes part of the brief tangential peak
    assert 0.5 * t["peak_g"].iloc[0] <= first["peak_g"] <= 1.1 * t["peak_g"].iloc[0]


def test_a_brief_spike_is_not_an_lm():
    leg, _ = make_leg(LegSpec(fs_hz=100.0, duration_s=300, noise_g=0.003, lms=False), seed=2)
    x = leg.accel_g.copy()
    x[15000:15016, 0] += 0.8                 # 0.16 s knock on the sensor
    from dataclasses import replace

    lms, det = detect(replace(leg, accel_g=x))
    assert len(lms) == 0
    assert len(det.moves) == 1 and det.moves["peak_g"].iloc[0] > 0.3   # seen, but not an LM


def test_thresholds_follow_the_measured_null_not_a_running_minimum():
    # a quantised sensor that sits on one level and toggles now and then: the thresholds stay above the
    # toggles, where a running minimum of the envelope would fall to zero
    leg, _ = make_leg(LegSpec(fs_hz=50.0, duration_s=1800, noise_g=0.0008, lsb_g=0.01, lms=False,
                              wander_deg_per_min=1.0), seed=5)
    lms, det = detect(leg)
    assert len(lms) == 0
    assert det.thresholds.offset_hi_g.min() >= 0.01          # at least one LSB


def test_params_reject_unknown_detect_keys():
    with pytest.raises(Exception, match="high_g"):
        Params.from_dict({"detect": {"high_g": 0.01}})
    assert DetectParams().window_s == 1.0


def test_brief_flexion_pulses_are_found_through_the_brief_burst_statistic():
    """A phasic LM: two 100 ms pulses 0.45 s apart (one LM by the 0.5 s rule), 60 mg each, on a 12 mg sensor at
    100 Hz. A 1 s window dilutes it to the still leg's D; the 0.2 s statistic B holds it (lrm.signal.envelope)."""
    from dataclasses import replace

    from lrm.signal.detect import detect_leg

    leg, _ = make_leg(LegSpec(fs_hz=100.0, duration_s=600, noise_g=0.012, lms=False), seed=4)
    x = leg.accel_g.copy()
    pulse = (0.06 * np.sin(np.pi * np.arange(10) / 10.0) ** 2).astype(np.float32)
    for start in (30000, 30045):
        x[start:start + 10, 1] += pulse
    moved = replace(leg, accel_g=x)
    lms, det = detect(moved)
    assert len(lms) == 1 and abs(lms["onset_s"].iloc[0] - 300.0) < 0.5
    params = Params()
    fs = params.prepare.work_fs_hz
    prep = prepare_leg(moved, origin_s=leg.t_s[0], n_grid=int(600 * fs), params=params.prepare, warn=False)
    without_b = detect_leg(leg_signals(prep, params).deviation, replace(det.thresholds, burst_hi_g=None, burst_lo_g=None),
                           prep.valid, fs_hz=fs, side="left").moves
    assert not (((without_b["onset_s"] - 300.0).abs() < 1.0) & (without_b["offset_s"] - without_b["onset_s"] >= 0.5)).any()


REANCHOR = Params.from_dict({"detect": {"reanchor_still_s": 1.0}})
"""The re-anchoring of the rest reference after stillness at a turned orientation (lrm.signal.detect.reanchored_offset)."""


def _turn(leg, pieces, seed: int = 0):  # noqa: ANN001, ANN202
    """``leg`` with its shank turned by a piecewise-linear angle (``pieces``: (time s, angle deg) knots, 0 outside)
    about an axis across its resting vector: the gravity projection turns, as in a flexion."""
    from dataclasses import replace

    t = leg.t_s - leg.t_s[0]
    g0 = leg.accel_g[: int(5 * leg.fs_hz)].mean(axis=0).astype(np.float64)
    axis = np.cross(g0, np.random.default_rng(seed).normal(size=3))
    axis /= np.linalg.norm(axis)
    knots_t, knots_deg = zip(*pieces)
    theta = np.radians(np.interp(t, knots_t, knots_deg, left=0.0, right=knots_deg[-1]))
    c, s = np.cos(theta)[:, None], np.sin(theta)[:, None]
    turned = g0 * c + np.cross(axis, g0) * s + axis * (g0 @ axis) * (1 - c)
    return replace(leg, accel_g=(leg.accel_g + (turned - g0)).astype(np.float32))


def test_an_lm_that_leaves_the_leg_turned_ends_where_the_leg_is_still_again():
    """An LM that leaves the shank 2 deg turned (the foot settles elsewhere), then another 20 s later that takes it
    back: two LMs with their own ends. Against the old rest the first would never end and swallow the second."""
    leg, _ = make_leg(LegSpec(fs_hz=50.0, duration_s=300, noise_g=0.003, lms=False, wander_deg_per_min=0.1), seed=7)
    moved = _turn(leg, [(0, 0), (100, 0), (100.4, 10), (102, 10), (102.6, 2), (122, 2), (122.4, 12), (124, 12),
                        (124.6, 0)])
    lms, _ = detect(moved, REANCHOR)
    assert len(lms) == 2, lms
    # off (the default), two as well since the resting vector holds the orientation before a masked movement and
    # takes the one after it (lrm.signal.leg.bridge_movements_1s; before, the first swallowed the second)
    assert len(detect(moved)[0]) == 2
    first, second = lms.iloc[0], lms.iloc[1]
    # the first ends within 0.6 s of where the leg is still again (102.6 s): the resting vector takes the new
    # orientation where the movement ends (lrm.signal.leg.bridge_movements_1s); when it switched only in the masked
    # stretch's trailing second the offset came at 103.9 s
    assert first["onset_s"] == pytest.approx(100.0, abs=0.5) and 102.0 <= first["offset_s"] <= 102.6 + 0.6
    assert detect(moved)[0]["offset_s"].iloc[0] <= 102.6 + 0.6
    # the second ends back at the old rest, up to 1.5 s late: the resting vector (a 41 s median of the still
    # seconds, lrm.signal.leg) is pulled part-way towards the 20 s the leg lay turned
    assert second["onset_s"] == pytest.approx(122.0, abs=0.5) and 124.0 <= second["offset_s"] <= 126.1


def test_a_tonic_hold_that_returns_to_rest_stays_one_lm():
    """Rise, a 3 s motionless hold at 4 deg, release to the old rest: one LM (the hold is not a new rest)."""
    leg, _ = make_leg(LegSpec(fs_hz=50.0, duration_s=300, noise_g=0.003, lms=False, wander_deg_per_min=0.1), seed=8)
    lms, _ = detect(_turn(leg, [(0, 0), (100, 0), (100.4, 4), (103.4, 4), (104, 0)]), REANCHOR)
    assert len(lms) == 1
    assert lms["onset_s"].iloc[0] == pytest.approx(100.0, abs=0.5)
    assert lms["offset_s"].iloc[0] == pytest.approx(104.0, abs=0.6)


def test_a_still_leg_at_its_rest_is_never_reanchored():
    """Re-anchoring changes R only after stillness away from the resting vector: on a still leg R is untouched."""
    from lrm.signal.detect import reanchored_offset

    leg, _ = make_leg(LegSpec(fs_hz=50.0, duration_s=600, noise_g=0.004, lsb_g=0.004, lms=False), seed=9)
    params = REANCHOR
    fs = params.prepare.work_fs_hz
    prep = prepare_leg(leg, origin_s=leg.t_s[0], n_grid=int(600 * fs), params=params.prepare, warn=False)
    sig = leg_signals(prep, params)
    from lrm.signal.envelope import estimate_deviation

    dev = estimate_deviation(prep.accel_g, sig.rest_1s, fs_hz=fs, keep_means=True, window_s=params.detect.window_s)
    before = dev.offset_g.copy()
    reanchored_offset(dev, dev.means_g, sig.thresholds, prep.valid, fs_hz=fs, params=params.detect)
    assert np.array_equal(dev.offset_g, before)


def test_a_run_of_brief_flexion_pulses_is_one_lm():
    """A twitch run (docs/scoring.md §6): four 80-300 ms pulses < 0.5 s apart with little net rotation are one LM
    spanning them (the 0.5 s rule joins them), not four brief ones."""
    from dataclasses import replace

    leg, _ = make_leg(LegSpec(fs_hz=100.0, duration_s=600, noise_g=0.004, lms=False), seed=10)
    x = leg.accel_g.copy()
    start = 30000
    for width, gap in ((15, 30), (8, 40), (30, 25), (12, 0)):
        x[start:start + width, 2] += (0.15 * np.sin(np.pi * np.arange(width) / width) ** 2).astype(np.float32)
        start += width + gap
    lms, _ = detect(replace(leg, accel_g=x))
    assert len(lms) == 1
    assert lms["onset_s"].iloc[0] == pytest.approx(300.0, abs=0.5)
    assert lms["offset_s"].iloc[0] == pytest.approx(start / 100.0, abs=0.6)


@pytest.mark.parametrize("turn_deg", [1.5, 2.5])
def test_a_movement_that_leaves_the_leg_slightly_turned_starts_where_the_leg_starts_to_move(turn_deg):
    """A movement after which the shank rests turned by less than the posture-change angle (3 deg: a restless
    adjustment, an LM leaving the foot elsewhere) is masked out of the resting vector's median; the resting vector
    must hold the orientation before it until it ends. A linear bridge across the masked seconds turned the
    resting vector from the last still second on, and R crossed its onset threshold 1-2 s before the leg moved
    (docs/validation.md, "False LMs near movements (2026-12-04)")."""
    leg, _ = make_leg(LegSpec(fs_hz=50.0, duration_s=300, noise_g=0.002, lms=False, wander_deg_per_min=0.1), seed=11)
    moved = _turn(leg, [(0, 0), (100.0, 0), (100.4, 8), (101.6, 8), (102.2, turn_deg)])
    lms, _ = detect(moved)
    assert len(lms) == 1, lms
    assert lms["onset_s"].iloc[0] == pytest.approx(100.0, abs=0.5)
    assert lms["offset_s"].iloc[0] <= 102.2 + 1.5


def test_the_resting_vector_holds_the_orientation_before_a_masked_movement():
    """bridge_movements_1s: the masked seconds take the last still second's mean, the trailing one the next's;
    seconds without data and unmasked seconds are left alone."""
    from lrm.signal.leg import bridge_movements_1s

    m = np.zeros((12, 3), np.float32)
    m[:, 2] = 1.0
    m[4:7, 0] = 0.3               # the movement
    m[7:, 0] = 0.03               # the leg rests 30 mg turned after it
    moving = np.zeros(12, bool)
    moving[3:8] = True            # its seconds 4-6, one margin second each side
    ok = np.ones(12, bool)
    ok[10] = False                # a gap second elsewhere
    out = bridge_movements_1s(m, ok, moving)
    assert out[3:7, 0].tolist() == [0.0] * 4
    assert out[7, 0] == pytest.approx(0.03) and out[8, 0] == pytest.approx(0.03)
    assert np.array_equal(out[~moving], m[~moving])
    assert np.array_equal(bridge_movements_1s(m, ok, np.zeros(12, bool)), m)


@pytest.mark.parametrize(("end_s", "first_new"), [(6.3, 6), (6.7, 7), (7.0, 7)])
def test_the_resting_vector_switches_where_the_movement_ends(end_s, first_new):
    """With the movement's end given, the first second taking the orientation after it is the first whose centre
    lies at or after the end (the grid's 1 s ramp between second centres then holds the end), not the stretch's
    trailing margin second (up to 1.5 s after the end: the LM's offset came late, docs/scoring.md §1.2 step 1)."""
    from lrm.signal.leg import bridge_movements_1s

    m = np.zeros((12, 3), np.float32)
    m[:, 2] = 1.0
    m[4:7, 0] = 0.3               # the movement, seconds 4-6
    m[7:, 0] = 0.03               # the leg rests 30 mg turned after it
    moving = np.zeros(12, bool)
    moving[3:9] = True            # one margin second before, the end's second and one after
    out = bridge_movements_1s(m, np.ones(12, bool), moving, ends_s=np.array([end_s]), onsets_s=np.array([4.0]))
    assert np.all(out[3:first_new, 0] == 0.0)
    assert out[first_new:9, 0] == pytest.approx([0.03] * (9 - first_new))
    # a movement shorter than 1 s never turns the resting vector before its onset: the ramp from the previous
    # second's centre starts at or after the onset
    brief = bridge_movements_1s(m, np.ones(12, bool), moving, ends_s=np.array([4.2]), onsets_s=np.array([4.0]))
    assert brief[4, 0] == 0.0 and brief[5, 0] == pytest.approx(0.03)
    late = bridge_movements_1s(m, np.ones(12, bool), moving, ends_s=np.array([4.2]), onsets_s=np.array([4.6]))
    assert late[5, 0] == 0.0 and late[6, 0] == pytest.approx(0.03)


def test_the_resting_vector_switches_after_the_movement_that_turned_the_leg():
    """A masked stretch can hold several movements (a first pass's false ones while its plain median lags a
    lasting turn: a real 64 Hz shank recording, docs/validation.md "False LMs near movements"). The new orientation
    is taken from the first end after which the leg lies nearer its new rest than its old one, not from the last
    end of the stretch: else the old orientation is held over seconds where the leg already rests turned, and the
    LM runs on for seconds (9.2 s instead of 1.5 s on that recording)."""
    from lrm.signal.leg import bridge_movements_1s

    m = np.zeros((16, 3), np.float32)
    m[:, 2] = 1.0
    m[4:6, 0] = 0.2               # the movement, seconds 4-5
    m[6:, 0] = 0.04               # the leg rests 40 mg turned after it (2.3 deg)
    m[9, 0] = 0.045               # a later masked "movement" at the new rest
    moving = np.zeros(16, bool)
    moving[3:12] = True           # one stretch: both movements with their margin seconds
    out = bridge_movements_1s(m, np.ones(16, bool), moving, ends_s=np.array([5.8, 10.4]),
                              onsets_s=np.array([4.0, 9.0]))
    assert np.all(out[3:6, 0] == 0.0)                      # the old rest until the turning movement ends
    assert out[6:12, 0] == pytest.approx([0.04] * 6)       # the new rest from there, over the later one too
    # where the leg is nearer its old rest after the first end, the switch waits for the next one
    m2 = m.copy()
    m2[6:10, 0] = -0.1                                      # held turned the other way until the second one
    out2 = bridge_movements_1s(m2, np.ones(16, bool), moving, ends_s=np.array([5.8, 10.4]),
                               onsets_s=np.array([4.0, 9.0]))
    assert np.all(out2[3:10, 0] == 0.0) and out2[10:12, 0] == pytest.approx([0.04, 0.04])


def test_the_second_pass_takes_the_first_passes_spread_medians_unchanged():
    from lrm.signal.detect import block_medians
    from lrm.signal.envelope import Deviation

    rng = np.random.default_rng(4)
    n, fs = 25 * 10 * 30, 25.0                                 # 30 blocks of 10 s
    dev = Deviation(rng.random(n).astype(np.float32), rng.random(n).astype(np.float32), np.zeros(n, np.float32))
    valid = rng.random(n) > 0.02
    valid[: 25 * 10 * 2] = False                               # two blocks without data: NaN in both columns
    own = block_medians(dev, valid, fs_hz=fs)
    again = block_medians(dev, valid, fs_hz=fs, spread_medians=own[:, 1])
    assert np.isnan(own[:2]).all()
    assert np.array_equal(again.view(np.uint32), own.view(np.uint32))
    taken = block_medians(dev, valid, fs_hz=fs, spread_medians=own[:, 1] + np.float32(1.0))   # D is not sorted again
    assert np.array_equal(taken[2:, 1], own[2:, 1] + np.float32(1.0)) and np.array_equal(taken[:, 0], own[:, 0],
                                                                                           equal_nan=True)


def test_the_rest_settles_only_away_from_it_and_never_over_a_tonic_hold():
    """settle_rest_1s: a still stretch of at least SETTLE_MIN_S (10 s) within merged LMs' reach takes its own
    orientation only where it lies away from the resting vector; a shorter one (an LM's tonic hold lasts 0.5-10 s)
    keeps the rest before it."""
    from lrm.signal.leg import settle_rest_1s

    m = np.zeros((40, 3), np.float32)
    m[:, 2] = 1.0
    m[10:16, 0] = 0.1      # seconds 10-15: a hold at 0.1 g, then back to 0.02 g (not quite the old 0)
    m[18:40, 0] = 0.02
    rest = np.zeros((40, 3), np.float32)
    rest[:, 2] = 1.0       # a resting vector stuck at the orientation before
    lying = np.array([[2, 8], [10, 16], [18, 40]])
    after = np.ones(40, bool)
    out = settle_rest_1s(rest, m, lying, after, tol_g=np.full(40, 0.005, np.float32))
    assert np.all(out[2:18, 0] == 0.0)                      # the 6 s hold at 0.1 g keeps the old rest
    assert out[18:, 0] == pytest.approx([0.02] * 22)        # the leg lies still 20 mg away: that is its rest
    same = settle_rest_1s(rest, m, lying, np.zeros(40, bool), tol_g=np.full(40, 0.005, np.float32))
    assert same is rest                                     # no merged LMs: unchanged
    short = settle_rest_1s(rest, m, np.array([[2, 8], [10, 16], [18, 27]]), after, tol_g=np.full(40, 0.005, np.float32))
    assert np.all(short[:, 0] == 0.0)                       # 9 s still at 20 mg: could be a hold, left alone


# --- idle-sleep fill (ActiGraph): the measured null learns the still level from recorded samples only -----------

def _still_deviation(n: int, rng: np.random.Generator, scale_g: float):
    """A still leg whose R is chi(3) of ``scale_g`` per sample (a still level far above the white-noise model, as
    breathing or a band-limited sensor gives) and whose D stays under the model."""
    from lrm.signal.envelope import Deviation

    r = (scale_g * np.sqrt(rng.chisquare(3, n))).astype(np.float32)
    d = np.full(n, 1e-4, np.float32)
    return Deviation(r, d, r.copy())


def test_filled_blocks_leave_the_thresholds_near_the_night_without_them():
    # 20 min recorded, 20 min filled (a repeat: R = D = 0), 10 min recorded; 10 s blocks at 25 Hz
    from lrm.signal.detect import detect_leg, estimate_thresholds
    from lrm.signal.envelope import Deviation

    fs, per_block = 25.0, 250
    rng = np.random.default_rng(11)
    noise = SensorNoise((0.0005,) * 3, 1e-6, 50.0)
    before, after = _still_deviation(20 * 60 * 25, rng, 0.004), _still_deviation(10 * 60 * 25, rng, 0.004)
    n_fill = 20 * 60 * 25
    zero = np.zeros(n_fill, np.float32)
    night = Deviation(*(np.concatenate((a, zero, b)) for a, b in
                        zip((before.offset_g, before.spread_g, before.envelope_g),
                            (after.offset_g, after.spread_g, after.envelope_g))))
    cut = Deviation(*(np.concatenate((a, b)) for a, b in
                      zip((before.offset_g, before.spread_g, before.envelope_g),
                          (after.offset_g, after.spread_g, after.envelope_g))))
    filled = np.zeros(night.offset_g.size, bool)
    filled[before.offset_g.size: before.offset_g.size + n_fill] = True
    valid = np.ones(night.offset_g.size, bool)
    thr = estimate_thresholds(night, valid, noise, fs_hz=fs, filled=filled)
    ref = estimate_thresholds(cut, valid[: cut.offset_g.size], noise, fs_hz=fs)
    recorded = ~filled[::per_block]
    for name in ("offset_hi_g", "offset_lo_g", "spread_hi_g", "spread_lo_g", "offset_scale_g"):
        assert np.array_equal(getattr(thr, name)[:120], getattr(ref, name)[:120]), name     # before the fill
    # after it, each filled block counts as still at the least recorded level of the 5 min before it (the stillest
    # time, its own level unknown): the R onset threshold stays within 15 % of the night without the fill (19.3
    # vs 20.3-21.7 mg; R's still median is 6.2 mg); before the fix the fill's zero medians dropped it to the 4 mg
    # floor for the five minutes after the fill, and those minutes of noise became movements
    assert thr.offset_hi_g[recorded][120:] == pytest.approx(ref.offset_hi_g[120:], rel=0.15)
    assert thr.offset_hi_g[recorded][120:].min() > 0.015
    # the same movements as the night without the fill (one 0.7 s noise crossing at 1128 s, failing the
    # morphology check), none after it; before the fix, 5 min of noise after the fill were movements
    onsets = detect_leg(night, thr, valid, fs_hz=fs, side="left").moves["onset_s"].to_numpy()
    ref_onsets = detect_leg(cut, ref, valid[: cut.offset_g.size], fs_hz=fs, side="left").moves["onset_s"].to_numpy()
    assert np.allclose(np.where(onsets >= 2400, onsets - 1200, onsets), ref_onsets) and (onsets < 1200).all()


def test_a_filled_leg_keeps_its_still_level_after_the_fill():
    # the whole chain: 1 h at 50 Hz lying still with breathing-like wander (0.1-0.6 Hz, 2 mg per axis) over 2 mg of
    # white noise, 20-40 min idle sleep (the last sample repeated, Leg.filled): the five minutes after the fill keep
    # 88 % of the R onset threshold of the recorded minutes before it (7.2 vs 8.1 mg); before the fix they fell to
    # the 4 mg floor (49 %): 9 movements in those 5 min then, 5 now (6 in the 20 min before the fill)
    from scipy import signal as sps

    from lrm.io.recording import Gap, Leg
    from lrm.signal.leg import process_leg

    rng = np.random.default_rng(3)
    t = np.arange(0, 3600, 0.02)
    wander = sps.sosfiltfilt(sps.butter(2, [0.1, 0.6], btype="band", fs=50.0, output="sos"),
                             rng.normal(0, 1, (t.size, 3)), axis=0)
    wander *= 0.002 / wander.std(axis=0)
    acc = (np.array([0.0, 0.5, 0.866]) + wander + rng.normal(0, 0.002, (t.size, 3))).astype(np.float32)
    acc[1200 * 50: 2400 * 50] = acc[1200 * 50 - 1]
    leg = Leg("left", t, acc, 50.0, source="left.gt3x", filled=(Gap(1200.0, 2400.0, "idle-sleep"),))
    thr = process_leg(leg, origin_s=0.0, n_grid=3600 * 25 + 1, params=Params()).thresholds
    at = np.arange(thr.offset_hi_g.size) * thr.block_s
    before = np.median(thr.offset_hi_g[(at >= 900) & (at < 1200)])
    after = np.median(thr.offset_hi_g[(at >= 2400) & (at < 2700)])
    assert before > 0.006 and 0.8 * before < after <= before


def test_a_block_valid_for_exactly_half_its_samples_has_no_median_rather_than_an_infinite_one():
    """An even row of 0.2 s samples with exactly half of them valid put one invalid sample (+inf) among the two
    middle order statistics: the block's null was +inf and the thresholds after it overflowed float32 (seen on a
    52 Hz night after a gap). Such a block has no median, as one with less than half valid."""
    from lrm.signal.detect import block_medians
    from lrm.signal.envelope import Deviation

    fs = 50.0                                                  # 10 s blocks of 500 samples: 50 used, an even row
    n = int(fs * 10 * 4)
    rng = np.random.default_rng(5)
    dev = Deviation(rng.random(n).astype(np.float32), rng.random(n).astype(np.float32), np.zeros(n, np.float32))
    valid = np.ones(n, bool)
    valid[500:750] = False                                     # block 1: exactly half of it valid
    valid[1000:1240] = False                                   # block 2: just over half valid
    out = block_medians(dev, valid, fs_hz=fs)
    assert np.isfinite(out[[0, 2, 3]]).all()
    assert np.isnan(out[1]).all()
