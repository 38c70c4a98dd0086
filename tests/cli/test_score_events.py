"""`lrm score-events` end to end through lrm.cli.main."""

import json
from pathlib import Path

import pandas as pd
import pytest

from lrm.cli import main
from lrm.rules.events import EVENT_COLUMNS
from tests.conftest import shared_file

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "sample_data" / "example_events.csv"
EXAMPLE_HYP = REPO / "sample_data" / "example_hypnogram.csv"


def test_bundled_example_writes_events_and_summary(tmp_path, capsys):
    out = tmp_path / "scored"
    assert main(["score-events", str(EXAMPLE), "--hypnogram", str(EXAMPLE_HYP), "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    for key in ("schema_version", "rules", "time_in_bed_h", "total_sleep_time_h", "lm_count", "lm_index", "clm_count",
                "plm_count", "plm_index", "plm_series_count", "periodicity_index", "plms_index", "plmw_index",
                "hypnic_jerk_count"):
        assert key in summary
    assert summary["rules"] == "wasm2016" and summary["time_in_bed_h"] == 2.0 and summary["hypnic_jerk_count"] == 0
    assert summary["plm_count"] <= summary["clm_count"] <= summary["lm_count"] and summary["plm_count"] > 0
    events = pd.read_csv(out / "events.csv")
    assert list(events.columns[: len(EVENT_COLUMNS)]) == list(EVENT_COLUMNS)
    assert len(events) == summary["lm_count"] and events["in_plm_series"].sum() == summary["plm_count"]
    printed = capsys.readouterr().out
    assert "PLM" in printed and "summary.json" in printed


def test_existing_summary_is_not_overwritten_without_force(tmp_path, capsys):
    out = tmp_path / "scored"
    args = ["score-events", str(EXAMPLE), "--hours", "2", "--out", str(out)]
    assert main(args) == 0
    before = (out / "summary.json").read_text()
    assert main([*args, "--rules", "aasm"]) == 2
    err = capsys.readouterr().err
    assert "already exists" in err and "--force" in err and "Traceback" not in err
    assert (out / "summary.json").read_text() == before
    assert main([*args, "--rules", "aasm", "--force"]) == 0
    assert json.loads((out / "summary.json").read_text())["rules"] == "aasm"


@pytest.mark.parametrize(("text", "match"), [
    ("onset_s,offset_s\n1,2\n", "missing column(s) 'side'"),
    ("onset_s,offset_s,side\n1,2,up\n", "line 2, column 'side': unknown side 'up'"),
    ("", "empty file"),
])
def test_bad_input_is_one_line_exit_2(tmp_path, capsys, text, match):
    path = tmp_path / "lms.csv"
    path.write_text(text)
    assert main(["score-events", str(path), "--hours", "8", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lrm: error: ") and match in err and str(path) in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_missing_denominator_and_half_period_are_errors(tmp_path, capsys):
    assert main(["score-events", str(EXAMPLE), "--out", str(tmp_path / "o")]) == 2
    assert "--hours" in capsys.readouterr().err
    assert main(["score-events", str(EXAMPLE), "--start", "0", "--out", str(tmp_path / "o")]) == 2
    assert "--end" in capsys.readouterr().err


def test_remlogic_export_uses_its_stages_arousals_and_respiratory_events(tmp_path, capsys):
    path = shared_file("lm_ground_truth/matplm_score/G20877_V1N2_AidRLS-Events.txt")
    assert main(["score-events", str(path), "--out", str(tmp_path)]) == 0
    s = json.loads((tmp_path / "summary.json").read_text())
    assert s["plm_count"] == 280 and s["clmr_count"] == 2 and s["plms_arousal_index"] is not None
    # the file's wall clock (RemLogic states no zone): a local clock of unstated zone, never labelled UTC
    assert s["recording_start"] == "2015-04-15T23:50:12" and s["recording_start_local"] == "2015-04-15T23:50:12"
    assert s["lrm_version"] and s["lights_out_s"] == 0.0 and s["lights_on_s"] == 961 * 30.0
