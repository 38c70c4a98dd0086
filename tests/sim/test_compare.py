"""The validation's per-night comparison, checked with a stand-in result built from the truth (a test
double: what a perfect detector would return), then spoiled one way at a time."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from lrm.sim.compare import compare_night, match_onsets
from lrm.sim.night import simulate
from lrm.sim.profiles import SimVariation


@pytest.fixture(scope="module")
def night():
    return simulate("hypnic", seed=21, hours=1.5, family="wide", variation=SimVariation(gaps_per_h=0.0, hypnic_jerks=4))


def _on_first_clock(truth, t_s):
    leg = truth.legs["left"]
    return (1 + leg.drift_ppm * 1e-6) * np.asarray(t_s, float) + leg.offset_s


def _perfect(sim, *, extra_left=(), drop_left=0, limit_g=None):
    """What a perfect analysis would return, on the first leg's clock (the pipeline's convention)."""
    truth = sim.truth
    ev = truth.events
    onsets = {side: np.sort(_on_first_clock(truth, ev.loc[(ev["type"] == "lm") & (ev["side"] == side), "onset_s"]))
              for side in ("left", "right")}
    onsets["left"] = np.sort(np.concatenate([onsets["left"][drop_left:], extra_left]))
    jerks = _on_first_clock(truth, ev.loc[ev["type"] == "hypnic_jerk", "onset_s"])
    events = pd.DataFrame({"onset_s": jerks, "type": "hypnic_jerk", "side": "bilateral"})
    a, b = truth.legs["left"], truth.legs["right"]
    ratio = (1 + b.drift_ppm * 1e-6) / (1 + a.drift_ppm * 1e-6)
    quality = {"left": SimpleNamespace(clock_offset_s=0.0, clock_drift_ppm=0.0),
               "right": SimpleNamespace(clock_offset_s=b.offset_s - ratio * a.offset_s, clock_drift_ppm=(ratio - 1) * 1e6)}
    if limit_g is not None:
        for q in quality.values():
            q.detection_limit_g = limit_g
    summary = SimpleNamespace(plm_index=truth.plm_index, time_in_bed_h=truth.analysis_h)
    return SimpleNamespace(events=events, summary=summary, quality=quality, context={"single_leg_onsets": onsets})


def test_a_perfect_analysis_scores_perfectly(night):
    result = compare_night(night, _perfect(night))
    row = result.row
    assert row["lm_true"] > 20 and row["tp"] == row["lm_true"] and row["fp"] == row["fn"] == 0
    assert row["lm_f1"] == 1.0 and row["plmi_abs_err"] == 0.0 and row["tib_abs_err_min"] == 0.0
    assert row["hj_true"] >= 3 and row["hj_precision"] == row["hj_recall"] == 1.0
    assert row["clock_err_s"] < 1e-6 and row["still_fp"] == 0 and row["still_h"] > 0.3
    assert result.lms["found"].all() and len(result.lms) == row["lm_true"]
    assert set(result.lms["shape"]) <= {"rotation", "twitch", "tremor"} and result.lms["limit_g"].isna().all()


def test_misses_false_movements_on_still_legs_and_the_stated_limit_are_counted(night):
    truth = night.truth
    ev = truth.events
    mine = ev[ev["side"].isin(["left", "bilateral"])]
    grid = np.arange(truth.lights_out_s + 60, truth.lights_on_s - 60, 1.0)
    far = np.min(np.abs(grid[:, None] - mine[["onset_s", "offset_s"]].to_numpy().ravel()[None, :]), axis=1) > 30
    inside = ~np.any((grid[:, None] > truth.out_of_bed_s[:, 0] - 30) & (grid[:, None] < truth.out_of_bed_s[:, 1] + 30), axis=1)
    still_t = _on_first_clock(truth, grid[far & inside][:1])
    row = compare_night(night, _perfect(night, extra_left=still_t, drop_left=2, limit_g=0.03)).row
    assert row["fp"] == 1 and row["still_fp"] == 1 and row["fn"] == 2
    assert row["still_fp_per_h"] == pytest.approx(1 / row["still_h"])
    assert row["lm_recall"] == pytest.approx((row["lm_true"] - 2) / row["lm_true"])
    assert row["limit_left_g"] == 0.03


def test_a_detection_on_a_fidget_counts_neither_way(night):
    ev = night.truth.events
    fidgets = ev[(ev["type"] == "fidget") & ev["side"].isin(["left", "bilateral"])]
    if fidgets.empty:
        pytest.skip("no fidget on the left leg in this night")
    on_fidget = _on_first_clock(night.truth, fidgets["onset_s"].to_numpy()[:1] + 0.2)
    row = compare_night(night, _perfect(night, extra_left=on_fidget)).row
    assert row["fp"] == 0 and row["lm_f1"] == 1.0


def test_matching_is_one_to_one_within_a_second():
    t, f = match_onsets(np.array([10.0, 10.5, 30.0]), np.array([10.2, 31.5]))
    assert t.tolist() == [True, False, False] and f.tolist() == [True, False]
