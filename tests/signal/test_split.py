"""Splitting a movement at a still gap where a new LM rose from the pose the leg held (lrm.signal.split)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lrm.params import DetectParams
from lrm.signal.detect import LegThresholds, detect_leg, find_lm_intervals, normalised_activity
from lrm.signal.envelope import estimate_deviation
from lrm.signal.noise import SensorNoise
from lrm.signal.split import choose_pieces, find_still_splits, with_split_pieces

FS = 25.0
SPLIT = DetectParams(split_still=True)


def _leg(knots: list[tuple[float, float]], duration_s: float = 200.0):  # noqa: ANN202
    """Deviation of a leg whose x axis follows ``knots`` ((time s, g), piecewise linear, 0 outside), measured
    against a fixed rest [0, 0, 1] (the resting vector that has not yet followed a lasting turn), and thresholds
    (R 6 / 4 mg, D 5 / 4 mg, as in ``reanchored_offset``'s example)."""
    n = int(duration_s * FS)
    t = np.arange(n) / FS
    a = np.tile(np.float32([0, 0, 1]), (n, 1))
    kt, kv = zip(*knots)
    a[:, 0] += np.interp(t, kt, kv, left=0.0, right=kv[-1]).astype(np.float32)
    dev = estimate_deviation(a, np.float32([[0, 0, 1]] * int(duration_s)), fs_hz=FS, keep_means=True)
    b = int(np.ceil(duration_s / 10.0))
    thr = LegThresholds(10.0, *(np.full(b, v, np.float32) for v in (0.006, 0.004, 0.005, 0.004, 0.001)),
                        SensorNoise((0.001,) * 3, 0.0, 25.0))
    return dev, thr, np.ones(n, bool)


def _split(dev, thr, valid):  # noqa: ANN001, ANN202
    hi, lo = normalised_activity(dev, thr, fs_hz=FS)
    iv = find_lm_intervals(hi, lo, valid, fs_hz=FS)
    return iv, find_still_splits(iv, dev, thr, valid, hi, lo, fs_hz=FS, params=SPLIT)


# an LM that leaves the leg 20 mg (~1.1 deg) turned, 3.5 s still there, then an LM from that pose back to it
PAIR = [(100.0, 0.0), (100.5, 0.15), (101.5, 0.15), (102.0, 0.02), (106.0, 0.02), (106.5, 0.15), (107.5, 0.15),
        (108.0, 0.02)]


def test_an_lm_from_the_pose_the_leg_held_is_split_off():
    dev, thr, valid = _leg(PAIR)
    iv, (pieces, resumed) = _split(dev, thr, valid)
    assert len(iv) == 1 and iv[0, 1] / FS > 108.0            # against the old rest: one movement
    assert len(pieces) == 2 and resumed.tolist() == [False, True]
    (on1, off1), (on2, off2) = pieces / FS
    assert on1 == pytest.approx(iv[0, 0] / FS) and 102.0 <= off1 <= 103.0     # ends where the leg is still
    assert 105.0 <= on2 <= 106.5 and 108.0 <= off2 <= 109.0                    # the second LM, 0.5-10 s


def test_the_pieces_are_extra_rows_beside_the_movement():
    dev, thr, valid = _leg(PAIR)
    det = detect_leg(dev, thr, valid, fs_hz=FS, side="left", params=SPLIT)
    before = det.moves.copy()
    assert len(before) == 1                                                 # the detector itself never splits
    moves = with_split_pieces(det, dev, valid, fs_hz=FS, side="left", params=SPLIT)
    assert moves["split_piece"].tolist() == [False, True, True] and moves["split_id"].tolist() == [0, 0, 0]
    assert moves["resumed"].tolist() == [False, False, True]
    assert choose_pieces(moves).equals(before)                              # the movement, as without the split
    assert choose_pieces(moves, np.ones(3, bool))["onset_s"].size == 2       # its two pieces


def test_a_leg_without_a_split_gets_the_columns_and_no_rows():
    dev, thr, valid = _leg([(100.0, 0.0), (100.5, 0.15), (101.5, 0.15), (102.0, 0.0)])
    det = detect_leg(dev, thr, valid, fs_hz=FS, side="left")
    before = det.moves.copy()
    moves = with_split_pieces(det, dev, valid, fs_hz=FS, side="left", params=SPLIT)
    assert len(moves) == 1 and moves["split_id"].tolist() == [-1] and choose_pieces(moves).equals(before)


def test_a_tonic_hold_is_not_split():
    """Rise, 3 s held at the peak turn, release to rest: the gap holds the peak (no return), one movement."""
    dev, thr, valid = _leg([(100.0, 0.0), (100.5, 0.15), (104.0, 0.15), (104.5, 0.0)])
    iv, (pieces, resumed) = _split(dev, thr, valid)
    assert np.array_equal(pieces, iv) and not resumed.any()


def test_what_follows_the_gap_must_be_lm_long():
    """After the still gap the leg moves for 12 s: longer than an LM (docs/scoring.md §1.2 step 2), no split."""
    dev, thr, valid = _leg(PAIR[:5] + [(106.5, 0.15), (118.0, 0.15), (118.5, 0.02)])
    iv, (pieces, resumed) = _split(dev, thr, valid)
    assert np.array_equal(pieces, iv) and not resumed.any()


def test_choose_pieces_keeps_a_split_only_where_every_resumed_piece_is_kept():
    m = pd.DataFrame({"onset_s": [1.0, 20.0, 40.0, 1.0, 5.0, 20.0, 25.0, 30.0],
                      "split_id": [0, 1, -1, 0, 0, 1, 1, 1],
                      "split_piece": [False, False, False, True, True, True, True, True],
                      "resumed": [False, False, False, False, True, False, True, True]})
    assert choose_pieces(m)["onset_s"].tolist() == [1.0, 20.0, 40.0]
    keep = np.array([False, False, False, False, True, False, True, False])    # movement 1's last piece refused
    assert choose_pieces(m, keep)["onset_s"].tolist() == [20.0, 40.0, 1.0, 5.0]             # rows keep their order
    assert list(choose_pieces(m, keep).columns) == ["onset_s"]
    assert choose_pieces(m.iloc[:3, :1]).equals(m.iloc[:3, :1])
    both = pd.concat([m.assign(side="left"), m.assign(side="right")], ignore_index=True)   # a movement per leg
    assert choose_pieces(both, np.r_[keep, np.ones(8, bool)])["onset_s"].tolist() == [
        20.0, 40.0, 1.0, 5.0, 40.0, 1.0, 5.0, 20.0, 25.0, 30.0]
