"""``lrm.sit.analyze_sit`` on simulated sitters: the result against the sitter's truth, posture breaks,
lost data, partial tests, one leg."""

from __future__ import annotations

import warnings
from dataclasses import replace

import numpy as np
import pytest

from lrm.io.recording import Leg, Recording
from lrm.io.sit_session import Rating, SitProtocol
from lrm.rules.sit import score_sit
from lrm.sim.sitter import simulate_sit
from lrm.sit import analyze_sit, write_sit

T0 = 1_704_139_200.0


def _run(sim, **proto):
    t = sim.truth
    protocol = SitProtocol(planned_min=proto.pop("planned_min", 60.0),
                           calibration_wall_s=(T0 + t.standing_s[0], T0 + t.standing_s[1]), **proto)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return analyze_sit(sim.to_recording(T0), protocol)


def _truth_score(sim, result):
    s = result.summary
    w = (s["test_start_s"], s["test_end_s"])
    ex = [[w[0] + b["start_min"] * 60, w[0] + b["end_min"] * 60] for b in s["posture"]["breaks"]]
    return score_sit(sim.truth.lms, window_s=w, excluded_s=np.asarray(ex).reshape(-1, 2))


def _match(a, b, tol=1.0):
    return sum(np.min(np.abs(b - x)) <= tol for x in a) if len(a) and len(b) else 0


@pytest.mark.parametrize(("profile", "seed"), [("rls", 0), ("rls", 5), ("healthy", 0)])
def test_result_against_the_simulated_truth(profile, seed):
    sim = simulate_sit(profile, seed=seed)
    res = _run(sim)
    s, truth = res.summary, _truth_score(sim, res)
    assert s["status"] == "complete" and s["valid_min"] == pytest.approx(60.0, abs=0.5)
    assert s["posture"]["calibrated"] and s["posture"]["breaks"] == []
    # the test starts once the sitter has settled in bed (the sim's settle time, +-30 s)
    assert abs(s["test_start_s"] - sim.truth.settled_s) < 30
    det, tru = res.score.events["onset_s"].to_numpy(), truth.events["onset_s"].to_numpy()
    assert _match(tru, det) >= 0.85 * len(tru) and _match(det, tru) >= 0.93 * len(det)   # onsets within 1 s
    assert s["sit_lm_index"] == pytest.approx(truth.counts["both"].lm_index, abs=max(3.0, 0.1 * truth.counts["both"].lm_index))
    # detection errors (merged or split wake LMs) break series: PLM indices come out lower, never higher
    assert truth.original.plm_index - 35 <= s["sit_plm_index_original_criteria"] <= truth.original.plm_index + 2
    for side in ("left", "right"):
        assert 0.002 < s["legs"][side]["detection_limit_g"] < 0.05


def test_rls_and_healthy_sitters_are_told_apart():
    rls, healthy = _run(simulate_sit("rls", seed=1)).summary, _run(simulate_sit("healthy", seed=1)).summary
    assert rls["sit_plm_index_original_criteria"] > 40 > 10 > healthy["sit_plm_index_original_criteria"]
    assert rls["sit_plm_index"] > 3 * max(healthy["sit_plm_index"], 5.0)


def test_standing_up_mid_test_is_found_and_left_out():
    sim = simulate_sit("rls", seed=2, breaks=[(25, 90)])
    res = _run(sim)
    s = res.summary
    breaks = s["posture"]["breaks"]
    assert {b["side"] for b in breaks} == {"left", "right"} and {b["cause"] for b in breaks} == {"shank raised"}
    true = (sim.truth.breaks_s[0] - s["test_start_s"] - 0.0) / 60.0 + (T0 - res.summary["test_start_s"] * 0) * 0
    start_min = min(b["start_min"] for b in breaks)
    end_min = max(b["end_min"] for b in breaks)
    true_min = (sim.truth.breaks_s[0] - s["test_start_s"]) / 60.0
    assert start_min <= true_min[0] + 0.2 and end_min >= true_min[1] - 0.2          # the whole break is out
    assert end_min - start_min < true_min[1] - true_min[0] + 1.0                    # and not much more
    assert s["valid_min"] == pytest.approx(60 - (end_min - start_min), abs=0.1)
    assert s["posture"]["compliance_pct"] < 100 and true is not None
    assert not ((res.events["test_min"] > start_min) & (res.events["test_min"] < end_min)).any()


def test_a_disconnect_is_excluded_and_the_test_is_partial_when_stopped():
    sim = simulate_sit("rls", seed=0, minutes=30)
    rec = sim.to_recording(T0)
    legs = {}
    for side, leg in rec.legs.items():                   # 60 s without data on the left leg, 10 min in
        t = leg.t_s
        cut = np.ones(t.size, bool)
        if side == "left":
            a = t[0] + sim.truth.settled_s + 600
            cut = (t < a) | (t >= a + 60)
        legs[side] = Leg(side, t[cut], leg.accel_g[cut], leg.fs_hz, range_g=8.0)
    rec = Recording(legs, subject="gap")
    tr = sim.truth
    stop = T0 + tr.settled_s + 20 * 60
    protocol = SitProtocol(planned_min=30, calibration_wall_s=(T0 + tr.standing_s[0], T0 + tr.standing_s[1]),
                           stop_wall_s=stop, stop_reason="interrupted",
                           ratings=(Rating(None, 10, 3.0, "typed"), Rating(None, 20, None, "missing")))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = analyze_sit(rec, protocol).summary
    assert s["status"] == "partial" and s["partial"] and s["stop_reason"] == "interrupted"
    assert s["elapsed_min"] < 20.5
    gaps = [b for b in s["posture"]["breaks"] if b["cause"] == "no data"]
    assert len(gaps) == 1 and gaps[0]["side"] == "left" and 1.0 <= gaps[0]["end_min"] - gaps[0]["start_min"] <= 1.3
    assert s["excluded_min_by_cause"]["no data"] == pytest.approx(gaps[0]["end_min"] - gaps[0]["start_min"])
    assert s["discomfort"]["n_prompts"] == 2 and s["discomfort"]["n_answered"] == 1
    assert any("Ctrl-C" in w for w in s["warnings"])


def test_one_leg_and_no_calibration_still_score_with_the_limits_said(tmp_path):
    sim = simulate_sit("healthy", seed=4, minutes=20)
    rec = sim.to_recording(T0)
    one = Recording({"left": rec.legs["left"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = analyze_sit(one, SitProtocol(planned_min=20))
    s = res.summary
    assert not s["posture"]["calibrated"] and "turns" in s["posture"]["reference"]
    assert any("one leg only" in w for w in s["warnings"]) and set(s["legs"]) == {"left"}
    assert s["sit_lm_index"] is not None and "sitting up and lying flat" in s["posture"]["note"]
    write_sit(res, tmp_path)
    from lrm.errors import OutputExistsError

    with pytest.raises(OutputExistsError):
        write_sit(res, tmp_path)


def test_too_short_gives_no_indices():
    sim = simulate_sit("rls", seed=0, minutes=10)
    tr = sim.truth
    res = _run(sim, planned_min=10, stop_wall_s=T0 + tr.settled_s + 200)
    assert res.summary["sit_plm_index"] is None and res.summary["partial"]
    assert replace(SitProtocol(), planned_min=5).planned_min == 5
