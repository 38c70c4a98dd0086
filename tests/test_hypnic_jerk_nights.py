"""End to end: hypnic jerks on whole nights through lrm.analyze (docs/scoring.md §3.1, §5).

Nights from tests/jerk_nights.py (written independently of lrm.sim) and from lrm.sim; the counts on the
seeds below were checked by hand against each night's truth.
"""

import warnings

import numpy as np
import pandas as pd
import pytest

import lrm
from jerk_nights import analyze_night, make_night, score_jerks
from lrm.errors import LrmWarning
from lrm.io.recording import Leg, Recording
from lrm.result import load_night


def _quietly(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


@pytest.mark.slow
@pytest.mark.parametrize(("seed", "n_jerks"), [(107, 2), (110, 3), (119, 1)])
def test_jerks_at_sleep_onset_are_found_and_nothing_else_is_called_a_jerk(seed, n_jerks):
    night = make_night(seed, 1.5)                       # 20, 64 and 50 Hz; lights-out estimated, given, estimated
    result = _quietly(analyze_night, night, diary=seed % 2 == 0)
    assert score_jerks(night, result.events) == {"tp": n_jerks, "fn": 0, "fp": 0, "false_kinds": []}
    jerks = result.events[result.events["type"] == "hypnic_jerk"]
    assert jerks["jerk_confidence"].between(0.5, 1.0).all()
    assert jerks["jerk_reason"].str.contains("sleep onset").all()
    assert result.summary.hypnic_jerk_count == len(jerks)


@pytest.mark.slow
def test_each_jerk_of_a_simulated_hypnic_night_lies_at_an_estimated_transition(make_night):
    sim = make_night("hypnic", seed=2, hours=4.0, rate_hz=50.0)
    result = _quietly(lrm.analyze, sim.recording)
    jerks = result.events[result.events["type"] == "hypnic_jerk"]
    onsets = np.asarray(result.summary.sleep_onsets_s)
    assert len(jerks) >= 4 and onsets.size
    for t in jerks["onset_s"]:
        dt = t - onsets
        assert ((dt >= -900.0) & (dt <= 900.0)).any()
    true = sim.truth.events
    true_on = true.loc[true["type"] == "hypnic_jerk", "onset_s"].to_numpy()
    assert all(np.abs(true_on - t).min() < 1.5 for t in jerks["onset_s"])   # every jerk found is a true one
    assert not (result.events["in_plm_series"].astype(bool) & (result.events["type"] == "hypnic_jerk")).any()


def _bed_night(fs_hz=50.0, minutes=45.0):
    """Sensors strapped on in bed by someone already lying still: no walking, no lying-down, no movement
    before two large bilateral bursts 20 min in."""
    t = np.arange(int(minutes * 60 * fs_hz)) / fs_hz
    rng = np.random.default_rng(3)
    legs = {}
    for side in ("left", "right"):
        a = np.zeros((t.size, 3))
        a[:, 2] = 1.0
        for start in (1200.0, 1500.0):
            tau = t - start
            a[:, 0] += np.where((tau >= 0) & (tau <= 0.15), 0.9 * np.sin(2 * np.pi * tau / 0.15), 0.0)
        a += rng.normal(0, 0.003, a.shape)
        legs[side] = Leg(side, t + 1.7e9, a.astype(np.float32), fs_hz, range_g=8.0, source=f"{side}.csv")
    return Recording(legs)


def test_without_an_observed_wake_to_sleep_transition_no_jerk_is_classed_and_the_night_says_so(tmp_path):
    with pytest.warns(LrmWarning) as caught:
        result = lrm.analyze(_bed_night())
    assert any("hypnic jerks were not classified" in str(w.message) for w in caught)
    assert result.summary.hypnic_jerk_count is None
    assert not (result.events["type"] == "hypnic_jerk").any()
    assert result.summary.sleep_latency_min is None                    # the onset was not observed
    result.save(tmp_path / "night")
    assert load_night(tmp_path / "night").summary.hypnic_jerk_count is None


def test_the_jerk_columns_survive_events_csv(tmp_path):
    night = make_night(110, 1.5)
    result = _quietly(analyze_night, night, diary=True)
    result.save(tmp_path / "night")
    events = pd.read_csv(tmp_path / "night" / "events.csv")
    jerks = events[events["type"] == "hypnic_jerk"]
    assert len(jerks) == 3 and jerks["jerk_confidence"].between(0.5, 1.0).all() and jerks["jerk_reason"].notna().all()
    assert events.loc[events["type"] != "hypnic_jerk", "jerk_confidence"].isna().all()
