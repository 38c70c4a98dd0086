"""score-events and analyze take EDF+ scoring files (stages, respiratory events, arousals, LMs)."""

import json

import numpy as np
import pytest

from lrm.cli import main

edfio = pytest.importorskip("edfio")


def _psg_edf(path, *, with_lms: bool) -> None:
    """A 10-minute PSG EDF+: 20 epochs of N2, an apnea, an arousal and (optionally) a periodic LM train."""
    notes = [edfio.EdfAnnotation(30.0 * i, 30.0, "Sleep stage 2") for i in range(20)]
    notes += [edfio.EdfAnnotation(300.0, 15.0, "Obstructive apnea|Obstructive Apnea"),
              edfio.EdfAnnotation(61.0, 3.0, "Arousal|Arousal ()")]
    if with_lms:  # onsets 20, 40, ..., 200 s: 10 LMs 20 s apart -> one series of 10 PLMs
        notes += [edfio.EdfAnnotation(20.0 * k, 2.0, "Limb movement - right|Limb Movement (Right)") for k in range(1, 11)]
    edfio.Edf([edfio.EdfSignal(np.zeros(6000), 10, label="EEG")], annotations=notes).write(path)


def test_score_events_reads_lms_stages_and_events_from_one_psg_edf(tmp_path, capsys):
    _psg_edf(tmp_path / "psg.edf", with_lms=True)
    assert main(["score-events", str(tmp_path / "psg.edf"), "--out", str(tmp_path / "out")]) == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["plm_count"] == 10
    assert summary["total_sleep_time_h"] == pytest.approx(600 / 3600)
    assert summary["plms_index"] == pytest.approx(10 / (600 / 3600))
    assert summary["plm_arousal_count"] == 1  # the LM at 60 s overlaps the arousal at 61-64 s
    assert (tmp_path / "out" / "report.html").is_file()


def test_score_events_takes_an_edf_hypnogram_with_a_csv_of_lms(tmp_path):
    _psg_edf(tmp_path / "stages.edf", with_lms=False)
    lms = "onset_s,offset_s,side\n" + "".join(f"{20 * k},{20 * k + 2},L\n" for k in range(1, 6))
    (tmp_path / "lms.csv").write_text(lms)
    code = main(["score-events", str(tmp_path / "lms.csv"), "--hypnogram", str(tmp_path / "stages.edf"),
                 "--respiratory", str(tmp_path / "stages.edf"), "--out", str(tmp_path / "out")])
    assert code == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["plms_count"] == 5 and summary["total_sleep_time_h"] == pytest.approx(600 / 3600)
    assert summary["respiratory_event_count"] == 1


def test_a_fake_edf_hypnogram_is_a_one_line_error(tmp_path, capsys):
    (tmp_path / "lms.csv").write_text("onset_s,offset_s,side\n20,22,L\n")
    (tmp_path / "bad.edf").write_bytes(b"0       garbage that is not an EDF header")
    code = main(["score-events", str(tmp_path / "lms.csv"), "--hypnogram", str(tmp_path / "bad.edf"),
                 "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    assert code == 2 and err.startswith("lrm: error: ") and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out" / "summary.json").exists()


def test_analyze_aligns_an_edf_hypnogram_on_the_recording_clock(tmp_path, make_night):
    """The EDF+ start time (no zone, read as UTC like the recording) places the epochs on the recording's clock."""
    from datetime import datetime, timezone

    from lrm.sim.night import write_simulation

    sim = make_night("plmd", seed=3, hours=1.0, rate_hz=25.0)
    write_simulation(sim, tmp_path / "night", native=True)
    start = datetime.fromtimestamp(sim.recording.start_s, tz=timezone.utc).replace(tzinfo=None, microsecond=0)
    lag_s = sim.recording.start_s - start.replace(tzinfo=timezone.utc).timestamp()  # EDF starts on a whole second
    n_epochs = 140  # 70 min: 45 min awake (through the first minutes of the night's PLM run), then N2
    notes = [edfio.EdfAnnotation(30.0 * i, 30.0, "Sleep stage W" if i < 90 else "Sleep stage 2") for i in range(n_epochs)]
    edf = edfio.Edf([edfio.EdfSignal(np.zeros(n_epochs * 30), 1, label="EEG")], annotations=notes,
                    starttime=start.time(), recording=edfio.Recording(startdate=start.date()))
    edf.write(tmp_path / "stages.edf")
    code = main(["analyze", str(tmp_path / "night"), "--hypnogram", str(tmp_path / "stages.edf"),
                 "--out", str(tmp_path / "out")])
    assert code == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    import pandas as pd

    plms = pd.read_csv(tmp_path / "out" / "events.csv").query("in_plm_series == 1")
    wake_end_s = 2700.0 - lag_s  # the EDF's 45 min of wake, in seconds since the recording start
    assert len(plms) > 0 and (plms["onset_s"] < wake_end_s - 30).any() and (plms["onset_s"] > wake_end_s + 30).any()
    clear = (plms["onset_s"] - wake_end_s).abs() > 30  # away from the boundary epoch
    expected = plms["onset_s"].lt(wake_end_s).map({True: "W", False: "N2"})
    assert (plms.loc[clear, "stage"] == expected[clear]).all()
    assert summary["plmw_count"] + summary["plms_count"] == summary["plm_count"] and summary["plmw_count"] > 0
    assert 0.0 <= lag_s < 1.0
