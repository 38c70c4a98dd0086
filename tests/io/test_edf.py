"""EDF+ export round trip, read back with a different library (pyedflib), and EDF+ scoring input."""

from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from lrm.errors import InputError, OutputExistsError
from lrm.io.edf import write_edf
from lrm.io.edf_scoring import read_edf_scoring, read_scoring_hypnogram
from lrm.io.recording import Leg, Recording

pyedflib = pytest.importorskip("pyedflib")


def _night(start=1_700_000_000.2):
    t_l = start + np.arange(0, 120, 1 / 50)
    t_l = np.delete(t_l, np.s_[2000:2500])                  # a 10-s gap on the left leg
    t_r = start + 0.5 + np.arange(0, 119, 1 / 25)
    rng = np.random.default_rng(0)
    acc_l = (rng.normal(0, 0.05, (t_l.size, 3)) + [0, 0, 1]).astype(np.float32)
    acc_r = (rng.normal(0, 0.05, (t_r.size, 3)) + [0, 1, 0]).astype(np.float32)
    return Recording(legs={"left": Leg("left", t_l, acc_l, 50.0, range_g=8.0),
                           "right": Leg("right", t_r, acc_r, 25.0, range_g=16.0)})


EVENTS = pd.DataFrame({"onset_s": [10.0, 30.5, 55.0], "offset_s": [11.5, 31.0, 55.3],
                       "side": ["left", "right", "bilateral"], "type": ["lm", "lm", "hypnic_jerk"],
                       "in_plm_series": [1, 0, 0]})


def test_edf_round_trip_samples_and_annotations(tmp_path):
    rec = _night()
    path = write_edf(rec, tmp_path / "night.edf", EVENTS)
    with pyedflib.EdfReader(str(path)) as edf:
        labels = edf.getSignalLabels()
        assert labels == ["MISC ACC_L_X", "MISC ACC_L_Y", "MISC ACC_L_Z", "MISC ACC_R_X", "MISC ACC_R_Y", "MISC ACC_R_Z"]
        assert list(edf.getSampleFrequencies()) == [50, 50, 50, 25, 25, 25]
        assert all(edf.getPhysicalDimension(i) == "g" for i in range(6))
        # 1.7e9 s: the zone is unknown, so the start is written in UTC and the recording field says so
        assert edf.getStartdatetime().replace(tzinfo=None) == datetime(2023, 11, 14, 22, 13, 20)
        assert "lrm-tz=unknown-utc" in edf.getHeader()["recording_additional"]
        left_z = edf.readSignal(2)
        right_y = edf.readSignal(4)
        onsets, durations, texts = edf.readAnnotations()
    shift = 0.2                                           # EDF starts at the whole second before the first sample
    i = 20                                                 # sample at t = start + 0.4 s -> grid index (0.2 + 0.4) * 50 = 30
    grid = int(round((shift + i / 50) * 50))
    assert left_z[grid] == pytest.approx(rec.legs["left"].accel_g[i, 2], abs=16 / 65535 + 1e-6)
    assert np.median(right_y[50:2000]) == pytest.approx(1.0, abs=0.01)
    assert np.all(left_z[int((shift + 41) * 50): int((shift + 49) * 50)] == pytest.approx(0.0, abs=1e-3))   # gap -> 0
    found = dict(zip(texts, zip(onsets, durations)))
    assert found["Periodic leg movement - left|PLM (Left)"] == pytest.approx((10.0 + shift, 1.5), abs=1e-3)
    assert found["Limb movement - right|Limb Movement (Right)"] == pytest.approx((30.5 + shift, 0.5), abs=1e-3)
    assert found["Hypnic jerk"][0] == pytest.approx(55.0 + shift, abs=1e-3)
    gaps = [(o, d) for o, d, t in zip(onsets, durations, texts) if t == "Gap (left)"]
    assert any(o == pytest.approx(shift + 40.0, abs=0.05) and d == pytest.approx(10.0, abs=0.05) for o, d in gaps)


def test_edf_export_round_trips_through_lrm(tmp_path):
    """Issue 15: 'lrm export --edf' wrote a file lrm could not read back. Both legs, their rates, values within
    the int16 quantisation, the gap, and the zone come back."""
    from dataclasses import replace

    from lrm.io.registry import read

    rec = replace(_night(), timezone="Europe/Berlin", timezone_source="file")
    path = write_edf(rec, tmp_path / "night.edf", EVENTS)
    with pyedflib.EdfReader(str(path)) as edf:            # EDF's start is the local clock time: 23:13:20 in Berlin
        assert edf.getStartdatetime().replace(tzinfo=None) == datetime(2023, 11, 14, 23, 13, 20)
    back = read(path)
    assert back.meta["format"] == "edf" and set(back.legs) == {"left", "right"}
    assert (back.timezone, back.timezone_source, back.clock) == ("Europe/Berlin", "file", "utc")
    leg, orig = back.legs["left"], rec.legs["left"]
    assert leg.fs_hz == 50.0 and abs(leg.t_s[0] - orig.t_s[0]) < 1 / 50
    # the EDF grid starts at the whole second before the first sample: at 50 Hz it holds the left leg's sample
    # times (0.2 s = 10 samples after it), so the values come back within the int16 step of +-8 g
    hi = np.clip(np.searchsorted(leg.t_s, orig.t_s), 1, leg.n_samples - 1)
    k = np.where(np.abs(leg.t_s[hi - 1] - orig.t_s) < np.abs(leg.t_s[hi] - orig.t_s), hi - 1, hi)   # nearest
    same = np.abs(leg.t_s[k] - orig.t_s) < 1e-4
    assert same.mean() > 0.99
    assert np.abs(leg.accel_g[k[same]] - orig.accel_g[same]).max() <= 16 / 65535 + 1e-6
    right = back.legs["right"]                                             # 25 Hz, half a sample off the grid
    assert right.fs_hz == 25.0 and np.median(right.accel_g[:, 1]) == pytest.approx(1.0, abs=0.01)
    (gap,) = back.legs["left"].gaps
    assert gap.start_s == pytest.approx(rec.legs["left"].t_s[1999], abs=0.05) and gap.duration_s == pytest.approx(10, abs=0.05)
    assert not (np.diff(back.legs["left"].t_s) > 1.0).sum() == 0          # the gap's samples are gone


def test_edf_of_a_local_clock_recording_keeps_it_local(tmp_path):
    from dataclasses import replace

    from lrm.io.registry import read

    rec = replace(_night(), clock="local")
    back = read(write_edf(rec, tmp_path / "n.edf"))
    assert (back.timezone, back.clock) == (None, "local")
    assert back.legs["left"].t_s[0] == pytest.approx(rec.legs["left"].t_s[0], abs=0.02)
    converted = read(tmp_path / "n.edf", tz="+02:00")                        # the user gives the zone
    assert converted.legs["left"].t_s[0] == pytest.approx(rec.legs["left"].t_s[0] - 7200, abs=0.02)


def test_mne_sees_accelerometer_channels_in_g(tmp_path):
    """MNE types EDF channels from their label's type word (infer_types=True): misc, not EEG, named ACC_L_X;
    its data are the physical values in g (MNE rescales only V, mV and uV; its table of BIDS units has no g,
    so ``_orig_units`` reads 'n/a' while the file's physical dimension, which EDFbrowser shows, is 'g')."""
    mne = pytest.importorskip("mne")
    path = write_edf(_night(), tmp_path / "night.edf", EVENTS)
    raw = mne.io.read_raw_edf(path, infer_types=True, preload=True, verbose="error")
    acc = [ch for ch in raw.ch_names if ch.startswith("ACC_")]
    assert acc == ["ACC_L_X", "ACC_L_Y", "ACC_L_Z", "ACC_R_X", "ACC_R_Y", "ACC_R_Z"]
    assert set(raw.get_channel_types(picks=acc)) == {"misc"}
    z = raw.get_data(picks="ACC_L_Z")[0]
    assert np.median(z[100:1500]) == pytest.approx(1.0, abs=0.02)


def test_edf_never_overwrites_without_force(tmp_path):
    path = tmp_path / "x.edf"
    path.write_bytes(b"keep")
    with pytest.raises(OutputExistsError):
        write_edf(_night(), path)
    assert path.read_bytes() == b"keep"
    write_edf(_night(), path, force=True)
    assert path.read_bytes()[:8] == b"0       "


def test_edf_scoring_reads_stages_respiratory_arousals_lms(tmp_path):
    from edfio import Edf, EdfAnnotation, EdfSignal

    notes = [EdfAnnotation(0, 60, "Sleep stage W"), EdfAnnotation(60, 30, "Sleep stage 1"),
             EdfAnnotation(90, 90, "Stage 2 sleep|2"), EdfAnnotation(180, 30, "REM sleep|5"),
             EdfAnnotation(100, 12, "Obstructive apnea|Obstructive Apnea"), EdfAnnotation(115, 3, "Arousal|Arousal ()"),
             EdfAnnotation(120, 1.5, "Limb movement - right|Limb Movement (Right)")]
    path = tmp_path / "psg.edf"
    Edf([EdfSignal(np.zeros(2100), 10, label="EEG")], annotations=notes).write(path)
    scoring = read_edf_scoring(path)
    assert scoring.hypnogram.stages == ("W", "W", "N1", "N2", "N2", "N2", "R")
    assert scoring.hypnogram.epoch_s == 30.0 and scoring.hypnogram.start_s == 0.0
    assert scoring.respiratory[["onset_s", "offset_s"]].values.tolist() == [[100.0, 112.0]]
    assert scoring.arousals[["onset_s", "offset_s"]].values.tolist() == [[115.0, 118.0]]
    assert scoring.lms[["side", "type"]].values.tolist() == [["right", "lm"]]
    shifted = read_edf_scoring(path, recording_start_s=scoring.edf_start_s - 60.0)
    assert shifted.hypnogram.start_s == 60.0
    assert read_scoring_hypnogram(path).stages[2] == "N1"


def test_edf_scoring_rejects_non_edf(tmp_path):
    path = tmp_path / "fake.edf"
    path.write_text("not an edf")
    with pytest.raises(InputError, match="not an EDF"):
        read_edf_scoring(path)


def test_a_one_leg_export_names_its_side_and_lrm_analyzes_it(tmp_path):
    from dataclasses import replace

    from lrm.io.registry import read

    one = _night()
    one = replace(one, legs={"right": replace(one.legs["right"])})
    back = read(write_edf(one, tmp_path / "night.edf"))            # no --side: the labels ACC_R_* say right
    assert set(back.legs) == {"right"}
