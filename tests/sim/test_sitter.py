"""The simulated SIT sitter (lrm.sim.sitter): deterministic, the two profiles differ, breaks are placed."""

from __future__ import annotations

import numpy as np
import pytest

from lrm.rules.sit import score_sit
from lrm.sim.sitter import simulate_sit


def test_same_seed_same_sitter_and_two_legs_in_g():
    a, b = simulate_sit("rls", seed=3, minutes=10), simulate_sit("rls", seed=3, minutes=10)
    assert a.truth.lms.equals(b.truth.lms) and np.array_equal(a.accel_g["left"], b.accel_g["left"])
    assert set(a.accel_g) == {"left", "right"} and a.accel_g["left"].dtype == np.float32
    g = np.linalg.norm(a.accel_g["left"][:100].astype(float), axis=1)
    assert abs(g.mean() - 1.0) < 0.1                      # standing still: gravity only


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rls_sitters_exceed_the_published_cutoff_and_healthy_ones_stay_far_below(seed):
    for profile, lo, hi in (("rls", 40.0, 200.0), ("healthy", 0.0, 20.0)):
        t = simulate_sit(profile, seed=seed).truth
        s = score_sit(t.lms, window_s=(t.settled_s + 20, t.settled_s + 3620))
        assert lo <= s.original.plm_index <= hi and (profile == "healthy" or s.original.plm_index > lo), seed


def test_breaks_and_discomfort():
    sim = simulate_sit("rls", seed=0, minutes=30, breaks=[(10, 60)])
    t = sim.truth
    assert t.breaks_s.shape == (1, 2) and 60 < t.breaks_s[0, 1] - t.breaks_s[0, 0] < 75
    assert not ((t.lms["onset_s"] > t.breaks_s[0, 0]) & (t.lms["onset_s"] < t.breaks_s[0, 1])).any()
    assert t.discomfort(t.settled_s) <= t.discomfort(t.settled_s + 3600)
    with pytest.raises(ValueError, match="does not fit"):
        simulate_sit("rls", minutes=10, breaks=[(30, 60)])
    with pytest.raises(ValueError, match="profile"):
        simulate_sit("plmd")  # type: ignore[arg-type]
