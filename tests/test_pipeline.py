import dataclasses
import json
import warnings

import numpy as np
import pandas as pd
import pytest

from lrm.errors import InputError, OutputExistsError
from lrm.io.recording import Leg, Recording
from lrm.params import Params
from lrm.result import load_night
from lrm.pipeline import analyze
from lrm.rules.events import EVENT_COLUMNS


@pytest.fixture(scope="module")
def night():
    from lrm.sim.night import simulate

    return simulate("plmd", seed=11, hours=1.5, rate_hz=25.0)


@pytest.fixture(scope="module")
def result(night):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return analyze(night.recording)


def test_plm_index_and_time_in_bed_close_to_truth(night, result):
    assert result.summary.plm_index == pytest.approx(night.truth.plm_index, abs=8.0)
    assert result.summary.time_in_bed_h == pytest.approx(night.truth.analysis_h, abs=0.15)
    assert result.summary.lights_out_s == pytest.approx(night.truth.lights_out_s, abs=120)


def test_events_follow_the_contract(result):
    assert list(result.events.columns[: len(EVENT_COLUMNS)]) == list(EVENT_COLUMNS)
    assert set(result.events["type"]) <= {"lm", "hypnic_jerk", "posture_change", "walking"}
    assert (result.events["type"] == "posture_change").any()


def test_trace_and_quality(result):
    tr = result.trace
    assert {"t_s", "left_envelope_g", "right_lying", "left_valid", "in_bed"} <= set(tr.columns)
    assert tr["in_bed"].mean() > 0.5
    q = result.quality["right"]
    assert 90 <= q.coverage_pct <= 100 and q.clock_residual_s is not None


def test_save_refuses_to_overwrite(result, tmp_path):
    result.save(tmp_path / "n")
    summary = json.loads((tmp_path / "n" / "summary.json").read_text())
    assert summary["params_digest"] == Params().digest()
    assert summary["plm_index"] == pytest.approx(result.summary.plm_index)
    assert summary["time_in_bed_h"] == result.summary.time_in_bed_h < summary["time_in_bed_gross_h"]
    assert len(pd.read_parquet(tmp_path / "n" / "trace.parquet")) == len(result.trace)
    with pytest.raises(OutputExistsError):
        result.save(tmp_path / "n")


def test_a_saved_night_loads_back_as_the_same_typed_result(result, tmp_path):
    loaded = load_night(result.save(tmp_path / "n"))
    assert loaded.summary == result.summary and loaded.summary.to_dict() == result.summary.to_dict()
    assert loaded.params == result.params and loaded.summary.quality["right"] == result.quality["right"]
    pd.testing.assert_frame_equal(loaded.trace, result.trace)
    same = result.events.round({c: 6 for c in result.events.select_dtypes("float").columns})
    pd.testing.assert_frame_equal(loaded.events.drop(columns="onset"), same.drop(columns="onset"),
                                  check_exact=False, atol=1e-6)
    assert (loaded.events["onset"] - result.events["onset"]).abs().max() <= pd.Timedelta("1us")
    assert str(loaded.events["onset"].dtype) == "datetime64[ns, UTC]"
    assert repr(loaded).startswith("<NightResult wasm2016:") and "\n" not in repr(loaded)


def test_one_leg_night(night):
    rec = Recording(legs={"left": night.recording.legs["left"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = analyze(rec)
    assert res.summary.right_lm_count == 0 and res.summary.lm_count > 0


def test_lights_override(night):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = analyze(night.recording, lights_out_s=1000.0, lights_on_s=4000.0)
    assert res.summary.lights_out_s == 1000.0 and res.summary.rest_period_source == "override"
    assert (res.events.loc[res.events["type"] == "lm", "onset_s"] >= 1000.0).all()


def test_too_short_recording_is_an_error():
    t = np.arange(0, 600, 0.04)
    acc = np.tile(np.array([0, 0, 1], np.float32), (t.size, 1))
    rec = Recording(legs={"left": Leg("left", t + 1.7e9, acc, 25.0, source="short.csv")})
    with pytest.raises(InputError, match="less than 30 min"):
        analyze(rec)


def test_params_toml_roundtrip(tmp_path):
    cfg = tmp_path / "p.toml"
    cfg.write_text('rules = "aasm"\n[detect]\nhigh-g = 0.02\n')
    p = Params.from_toml(cfg)
    assert p.rules.name == "aasm" and p.rules.imi_min_s == 5.0 and p.detect.high_g == 0.02
    assert p.digest() != Params().digest() and Params.from_dict(p.to_dict()) == p
    cfg.write_text("[detect]\nnope = 1\n")
    with pytest.raises(InputError, match="unknown parameter"):
        Params.from_toml(cfg)


def test_result_does_not_depend_on_threads(night):
    """The legs run in threads by default; one thread must give the very same night, repairs warned alike."""
    legs = dict(night.recording.legs)
    t = legs["right"].t_s.copy()
    t[100], t[101] = t[101], t[100]  # one pair of timestamps out of order on the right leg: a repair
    legs["right"] = dataclasses.replace(legs["right"], t_s=t, source="right.csv")
    rec = dataclasses.replace(night.recording, legs=legs)
    runs = {}
    for threads in (1, 2):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            runs[threads] = (analyze(rec, threads=threads), [str(w.message) for w in caught])
    (one, warned_one), (two, warned_two) = runs[1], runs[2]
    pd.testing.assert_frame_equal(one.events, two.events)
    pd.testing.assert_frame_equal(one.trace, two.trace)
    assert one.summary_dict() == two.summary_dict()
    assert warned_one == warned_two
    assert any("right.csv: sorted 1 timestamps that went backwards" in w for w in warned_two)


def test_errors_come_in_leg_order_with_threads(night):
    """Both legs unusable: the left leg's error is raised, with threads as without."""
    legs = {side: dataclasses.replace(leg, accel_g=leg.accel_g * 1000.0, source=f"{side}.csv")
            for side, leg in night.recording.legs.items()}  # milli-g read as g: not accelerometer data in g
    rec = dataclasses.replace(night.recording, legs=legs)
    for threads in (1, 2):
        with pytest.raises(InputError, match="left.csv"):
            analyze(rec, threads=threads)
