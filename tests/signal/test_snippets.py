"""Snippets: each leg's acceleration around chosen events, on the first leg's clock, bounded in size."""

from __future__ import annotations

import numpy as np
import pytest

from lrm.rules.review import MAX_REVIEW_EVENTS
from lrm.signal.align import ClockFit
from lrm.signal.prepare import PreparedLeg
from lrm.signal.snippets import SNIPPET_POST_S, SNIPPET_PRE_S, cut_snippets


def leg(side: str, values: np.ndarray, valid: np.ndarray | None = None, fs_hz: float = 25.0) -> PreparedLeg:
    accel = np.repeat(values[:, None], 3, axis=1).astype(np.float32)
    return PreparedLeg(side=side, accel_g=accel, valid=np.ones(values.size, bool) if valid is None else valid,
                       fs_hz=fs_hz, gaps_s=np.zeros((0, 2)), raw_fs_hz=fs_hz, clipping_pct=0.0, repairs=(), source="x")


def test_windows_are_read_at_each_legs_own_clock_and_nan_outside_its_data():
    t = np.arange(0, 600, 1 / 25)
    valid = t < 300.0                                           # the right leg stops at 300 s
    left, right = leg("left", t), leg("right", t + 0.0, valid)  # each sample's value is its own time (s)
    fit = ClockFit(offset_s=2.0, drift_ppm=0.0, ok=True)        # right = left + 2 s
    snip = cut_snippets({"left": left, "right": right}, [100.0, 296.0], fits={"right": fit})
    assert snip.accel_g["left"].shape == (2, int((SNIPPET_PRE_S + SNIPPET_POST_S) * 25), 3)
    assert snip.accel_g["left"][0, 0, 0] == pytest.approx(100.0 - SNIPPET_PRE_S)
    assert snip.accel_g["right"][0, 0, 0] == pytest.approx(100.0 - SNIPPET_PRE_S + 2.0)  # read at t + lag
    late = snip.accel_g["right"][1, :, 0]
    assert np.isnan(late[snip.times_s(1) + 2.0 >= 300.0]).all() and np.isfinite(late[:10]).all()
    assert snip.nearest(296.0) == 1 and snip.nearest(296.5) is None


def test_a_window_past_the_recordings_ends_is_nan_there():
    snip = cut_snippets({"left": leg("left", np.zeros(250))}, [1.0])
    values = snip.accel_g["left"][0, :, 0]
    assert np.isnan(values[snip.times_s(0) < 0]).all() and np.isnan(values[snip.times_s(0) >= 10.0]).all()


def test_the_stored_snippets_stay_within_a_megabyte():
    n = int((SNIPPET_PRE_S + SNIPPET_POST_S) * 25)
    assert MAX_REVIEW_EVENTS * n * 3 * 4 * 2 <= 1_000_000  # events x samples x axes x float32 x legs
