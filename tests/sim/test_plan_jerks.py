"""Where the planner puts hypnic jerks: isolated, at a sleep (re)onset, never one of a run of restless wake."""

import numpy as np
import pytest

import lrm.sim.plan as plan_module
from lrm.sim.families import draw_family_variation
from lrm.sim.plan import RUN_MAX_OTHERS, Component, plan_night, run_neighbours
from lrm.sim.plan_wide import WidePlanner
from lrm.sim.profiles import PROFILES
from lrm.sim.timeline import build_timeline


def _plan(profile: str, seed: int, family: str, hours: float = 3.0):
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(6)[:3]]
    var = draw_family_variation(rngs[0], PROFILES[profile], family)
    tl = build_timeline(rngs[1], PROFILES[profile], hours * 3600.0, bathroom_trips=var.bathroom_trips)
    planner = None if family == "classic" else WidePlanner
    return plan_night(rngs[2], PROFILES[profile], var, tl, planner_class=planner), tl


def _move(mid: int, kind: str, onset_s: float, offset_s: float, side: str = "left") -> Component:
    return Component(mid, kind, side, onset_s, offset_s, {})


def test_run_neighbours_links_movements_by_gaps_of_at_most_30_s_and_skips_trains():
    moves = [_move(1, "fidget", 0.0, 5.0), _move(1, "fidget", 0.2, 6.0, "right"),  # one movement, both legs
             _move(2, "lm", 36.0, 38.0),          # 30 s after the end of 1: linked
             _move(3, "hypnic_jerk", 68.0, 68.2),  # 30 s after 2: linked
             _move(4, "tremor", 80.0, 95.0),       # a hypnagogic train is no wake restlessness: left out
             _move(5, "posture_change", 98.21, 101.0)]  # 30.01 s after the jerk: a new run
    assert run_neighbours(moves) == {1: 2, 2: 2, 3: 2, 5: 0}
    assert run_neighbours(moves, ignore=())[3] == 4  # with the train it bridges the gap to 5


@pytest.mark.parametrize("family", ["classic", "wide", "hard"])
def test_no_planned_jerk_is_one_of_a_run_of_restless_movements_or_near_a_posture_change(family):
    jerks = moved = 0
    for seed in range(16):
        profile = ("hypnic", "rls", "plmd")[seed % 3]
        plan, tl = _plan(profile, 5000 + seed, family)
        others = run_neighbours(plan.components)
        onsets = np.asarray(tl.sleep_onsets_s)
        ids = {c.movement_id for c in plan.components if c.kind == "hypnic_jerk"}
        jerks += len(ids)
        assert all(others[m] <= RUN_MAX_OTHERS for m in ids)
        for m in ids:  # isolated: no other movement, posture changes and walking included, within 10 s
            mine = [c for c in plan.components if c.movement_id == m]
            a, b = min(c.onset_s for c in mine) - 10.0, max(c.offset_s for c in mine) + 10.0
            assert not [c for c in plan.components if c.movement_id != m and c.onset_s < b and c.offset_s > a]
        starts = np.array([c.onset_s for c in plan.components if c.kind == "hypnic_jerk"])
        # still within its onset window (classic -90..+60 s, wide/hard -120..+180 s; leg lag < 0.2 s)
        near = starts[:, None] - onsets[None, :]
        lo, hi = (-90.0, 60.2) if family == "classic" else (-120.0, 180.2)
        assert ((near >= lo) & (near <= hi)).any(axis=1).all()
    assert jerks >= 40


def test_jerks_in_a_run_are_moved_not_left_there(monkeypatch):
    """Without the rule (any number of neighbours allowed) some jerks of these nights lie in runs: the test above
    checks a property the planner enforces, not one the draws happen to have."""
    monkeypatch.setattr(plan_module, "RUN_MAX_OTHERS", 10**6)
    inside = 0
    for seed in range(16):
        plan, _ = _plan(("hypnic", "rls", "plmd")[seed % 3], 5000 + seed, "hard")
        others = run_neighbours(plan.components)
        inside += sum(others[c.movement_id] > RUN_MAX_OTHERS for c in plan.components if c.kind == "hypnic_jerk")
    assert inside >= 3


def test_moving_a_jerk_draws_nothing():
    """The move happens after every draw: the night's other draws (here the LM onsets) stay where they were."""
    plan, _ = _plan("rls", 5003, "hard")
    plan_module_max = plan_module.RUN_MAX_OTHERS
    try:
        plan_module.RUN_MAX_OTHERS = 10**6
        free, _ = _plan("rls", 5003, "hard")
    finally:
        plan_module.RUN_MAX_OTHERS = plan_module_max
    lms = {c.onset_s for c in plan.components if c.kind == "lm"}
    free_lms = {c.onset_s for c in free.components if c.kind == "lm"}
    assert len(lms ^ free_lms) <= 0.05 * len(free_lms)  # only those a moved jerk's 10 s isolation displaces
    assert {c.onset_s for c in plan.components if c.kind == "posture_change"} == \
        {c.onset_s for c in free.components if c.kind == "posture_change"}
