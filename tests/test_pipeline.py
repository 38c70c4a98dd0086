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
    assert set(result.events["type"]) <= {"lm", "hypnic_jerk", "brief_burst", "posture_change", "walking"}
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


def test_what_reading_could_not_decide_is_listed_with_the_nights_warnings(night):
    from lrm.io.recording import READ_WARNINGS

    note = "night1_right.csv: given as the left ankle (--left), but its name says right: check the two ankles"
    rec = dataclasses.replace(night.recording, meta={**dict(night.recording.meta), READ_WARNINGS: (note,)})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = analyze(rec)
    assert note in res.summary.warnings                          # summary.json and the report list it
    assert not any(note in str(w.message) for w in caught)       # warned once, when the files were read


def test_lights_override(night):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = analyze(night.recording, lights_out_s=1000.0, lights_on_s=4000.0)
    assert res.summary.lights_out_s == 1000.0 and res.summary.rest_period_source == "override"
    assert (res.events.loc[res.events["type"] == "lm", "onset_s"] >= 1000.0).all()


def test_an_onset_at_a_fractional_lights_out_is_kept_and_agrees_with_the_latency(night):
    """The sleep estimate stamps an onset at the lying-down itself on its whole-second grid, floor(lights-out): the
    summary keeps it, so the first onset, the latency and the jerk timing read the same onset (a lights-out of
    2400.7 s on this night, asleep by then, gave sleep_onsets_s (3120,) with a latency of 0 min before). This night
    is restless 12 min after that lights-out, which the 30 min rule for a still lying-down
    (``SleepParams.persistent_sleep_s``) reads as the wake before sleep; it is turned off to test the stamp alone."""
    params = Params()
    params = dataclasses.replace(params, sleep=dataclasses.replace(params.sleep, persistent_sleep_s=0.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = analyze(night.recording, params, lights_out_s=2400.7, lights_on_s=5000.0)
    s = res.summary
    assert s.sleep_onset_s is not None and s.sleep_latency_min is not None
    assert s.sleep_onset_s == 2400.0
    assert s.sleep_latency_min == pytest.approx(max(0.0, s.sleep_onset_s - s.lights_out_s) / 60.0)


def test_too_short_recording_is_an_error():
    t = np.arange(0, 600, 0.04)
    acc = np.tile(np.array([0, 0, 1], np.float32), (t.size, 1))
    rec = Recording(legs={"left": Leg("left", t + 1.7e9, acc, 25.0, source="short.csv")})
    with pytest.raises(InputError, match="less than 30 min"):
        analyze(rec)


def test_params_toml_roundtrip(tmp_path):
    cfg = tmp_path / "p.toml"
    cfg.write_text('rules = "aasm"\n[detect]\nmin-threshold-g = 0.02\n')
    p = Params.from_toml(cfg)
    assert p.rules.name == "aasm" and p.rules.imi_min_s == 5.0 and p.detect.min_threshold_g == 0.02
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


def _still_leg(fs_hz: float, hours: float, *, side: str = "left", tilt: float = 0.0, seed: int = 0) -> Leg:
    """A leg lying still (gravity across the sensor, 5 mg noise) for ``hours`` at ``fs_hz``."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(hours * 3600 * fs_hz)) / fs_hz
    g = np.float32([np.sin(tilt), 0.0, np.cos(tilt)])
    acc = g + rng.normal(0.0, 0.005, (t.size, 3)).astype(np.float32)
    return Leg(side, t + 1.7e9, acc, fs_hz, source=f"{side}.csv")


@pytest.mark.parametrize("fs_hz", [5.0, 9.0])
def test_a_rate_below_10_hz_is_refused(fs_hz):
    rec = Recording(legs={"left": _still_leg(fs_hz, 0.6)})
    with pytest.raises(InputError, match=r"left\.csv: sample times: .* below the 10 Hz .*Fix: record at 10 Hz"):
        analyze(rec)


def test_a_rate_below_20_hz_is_warned_and_stated(night):
    legs = {side: dataclasses.replace(leg, t_s=leg.t_s[::2], accel_g=leg.accel_g[::2], fs_hz=12.5)
            for side, leg in night.recording.legs.items()}                 # the 25 Hz night at 12.5 Hz
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = analyze(dataclasses.replace(night.recording, legs=legs))
    assert any("below 20 Hz" in str(w.message) for w in caught)
    assert any("below 20 Hz" in w for w in res.summary.warnings)
    assert res.summary.plm_index is not None


def test_without_walking_or_lying_no_time_in_bed_is_invented():
    """A still leg and no walking: whether it lay cannot be told, so no index (docs/scoring.md §5)."""
    rec = Recording(legs={"left": _still_leg(25.0, 1.0)})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = analyze(rec)
    s = res.summary
    assert s.time_in_bed_h == 0.0 and s.rest_period_source == "none" and s.lights_out_s is None
    assert s.plm_index is None and s.lm_index is None and s.plm_count == 0
    assert any("no time in bed and no index" in str(w.message) for w in caught)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")                                     # (a short night: warned)
        given = analyze(rec, lights_out_s=0.0, lights_on_s=3600.0)         # a diary's times make one
    assert given.summary.rest_period_source == "override" and given.summary.time_in_bed_h > 0.9


def test_upright_all_night_gives_no_rest_period():
    """The shank's axis known (walking) but never lying: no rest period, unless its ends are given."""
    from lrm.signal.rest import find_rest_period

    upright, valid = np.zeros(3600, bool), np.ones(3600, bool)
    rest = find_rest_period(upright, valid, posture_known=True)
    assert rest.source == "none" and rest.lights_out_s is None and not rest.in_bed.any()
    given = find_rest_period(upright, valid, posture_known=True, lights_out_s=600.0)
    assert given.source == "override" and given.lights_out_s == 600.0 and given.in_bed.sum() == 3000


def test_a_short_night_is_warned(result):
    assert result.summary.time_in_bed_h < 4.0
    assert any("shorter than 4 h are less reliable" in w for w in result.summary.warnings)


def test_detection_limit_per_leg_in_quality_and_summary(result, tmp_path):
    for side, q in result.quality.items():
        assert 0.002 < q.detection_limit_g < 0.2, side
        assert q.detection_limit_g < q.detection_limit_brief_g < 10 * q.detection_limit_g, side   # brief pulses
        assert q.noise_g > 0 and q.lsb_g >= 0
    summary = json.loads((result.save(tmp_path / "n") / "summary.json").read_text())
    assert summary["quality"]["left"]["detection_limit_g"] == result.quality["left"].detection_limit_g
    assert summary["quality"]["left"]["detection_limit_brief_g"] == result.quality["left"].detection_limit_brief_g


def test_the_opt_in_pulse_filter_lowers_only_the_brief_limit():
    """``detect.pulses`` (off by default for its cost, lrm.params.DetectParams): on a 100 Hz night it may find more
    brief LMs and lowers the brief-pulse limit, never the stated limit (which holds without it)."""
    from lrm.sim.night import simulate

    night = simulate("plmd", seed=12, hours=0.75, rate_hz=100.0)
    base = Params()
    on = dataclasses.replace(base, detect=dataclasses.replace(base.detect, pulses=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        without, with_p = analyze(night.recording, base), analyze(night.recording, on)
    for side in without.quality:
        a, b = without.quality[side], with_p.quality[side]
        assert b.detection_limit_g == pytest.approx(a.detection_limit_g, rel=0.05), side
        assert b.detection_limit_brief_g < a.detection_limit_brief_g, side
    lms = lambda r: int((r.events["type"] == "lm").sum())
    assert lms(with_p) >= lms(without) > 0


def test_detection_limit_leaves_out_blocks_the_reader_filled():
    # 4 blocks of 10 s in bed; the last 3 filled (idle sleep) with a repeat's low thresholds: the limit is the
    # recorded block's, not the repeats' (was measured mostly on the repeats)
    from types import SimpleNamespace

    from lrm.pipeline import _detection_limit as _limit_over
    from lrm.pipeline import _limit_blocks
    from lrm.signal.detect import LegThresholds
    from lrm.signal.noise import SensorNoise

    def levels(recorded, repeat):
        return np.float32([recorded, repeat, repeat, repeat])

    thr = LegThresholds(10.0, levels(0.008, 0.002), levels(0.005, 0.001), levels(0.012, 0.003),
                        levels(0.010, 0.002), levels(0.0015, 0.0004), SensorNoise((0.004,) * 3, 0.0, 100.0))
    def _detection_limit(thresholds, rest, any_valid, prepared=None):  # noqa: ANN001, ANN202 - the blocks, then the limit
        return _limit_over(thresholds, _limit_blocks(thresholds, rest, any_valid, prepared))

    rest = SimpleNamespace(in_bed=np.ones(40, bool))
    filled = np.zeros(40 * 25, bool)
    filled[10 * 25:] = True
    prepared = SimpleNamespace(filled=filled, fs_hz=25.0)
    recorded_only = _detection_limit(thr, rest, rest.in_bed, prepared)
    everything = _detection_limit(thr, rest, rest.in_bed)
    only_first = _detection_limit(thr, SimpleNamespace(in_bed=np.r_[np.ones(10, bool), np.zeros(30, bool)]),
                                  rest.in_bed)
    assert recorded_only == only_first and recorded_only > 2 * everything
    prepared.filled[:] = True
    assert _detection_limit(thr, rest, rest.in_bed, prepared) is None      # nothing recorded in bed
