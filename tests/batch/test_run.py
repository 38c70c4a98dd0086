"""One night of a batch: atomic outputs, skip when finished, failures as rows; and the cohort table."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from lrm.batch.cohort import LEADING_COLUMNS, TRAILING_COLUMNS, cohort_frame, write_cohort
from lrm.batch.discover import NightSpec
from lrm.batch.run import PARTIAL_DIR, CohortRow, run_night
from lrm.errors import InputError


def fake_analysis(spec: NightSpec, params, out_dir: Path) -> None:
    """Test double for the pipeline: 'analyses' a night by counting the lines of its left file."""
    lines = Path(spec.left).read_text().count("\n")
    if lines == 0:
        raise InputError(spec.left, "line 1", "no header", "export the file again")
    (out_dir / "events.csv").write_text("onset_s,offset_s\n")
    summary = {"plm_index": float(lines), "rules": "wasm2016", "params_digest": "abc123", "lrm_version": "9.9",
               "quality": {"left": {"coverage_pct": 99.5}}, "imi_histogram": [1, 2]}
    (out_dir / "summary.json").write_text(json.dumps(summary))


def crashing_analysis(spec, params, out_dir: Path) -> None:
    (out_dir / "events.csv").write_text("half written")
    raise ZeroDivisionError("boom")


@pytest.fixture
def spec(tmp_path) -> NightSpec:
    left = tmp_path / "in" / "n1_left.csv"
    left.parent.mkdir()
    left.write_text("time,x,y,z\n1,0,0,1\n")
    return NightSpec("n1", left=str(left))


def test_a_night_is_written_into_place_and_its_row_read_back(tmp_path, spec):
    row = run_night(spec, None, tmp_path / "out", report=False, analyze_night=fake_analysis)
    assert (row.status, row.error, row.output) == ("ok", "", str(tmp_path / "out" / "n1"))
    assert row.values["plm_index"] == 2.0 and row.values["quality_left_coverage_pct"] == 99.5
    assert row.values["imi_histogram"] == "[1,2]"
    assert sorted(p.name for p in (tmp_path / "out" / "n1").iterdir()) == ["events.csv", "summary.json"]
    assert list((tmp_path / "out" / PARTIAL_DIR).iterdir()) == []


def test_a_finished_night_is_skipped_unless_forced(tmp_path, spec):
    run_night(spec, None, tmp_path / "out", report=False, analyze_night=fake_analysis)
    Path(spec.left).write_text("time,x,y,z\n1,0,0,1\n2,0,0,1\n3,0,0,1\n")
    skipped = run_night(spec, None, tmp_path / "out", report=False, analyze_night=fake_analysis)
    assert (skipped.status, skipped.values["plm_index"], skipped.elapsed_s) == ("skipped", 2.0, 0.0)
    forced = run_night(spec, None, tmp_path / "out", True, report=False, analyze_night=fake_analysis)
    assert (forced.status, forced.values["plm_index"]) == ("ok", 4.0)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [PARTIAL_DIR, "n1"]


def test_a_bad_file_fails_its_row_with_the_message_and_leaves_nothing(tmp_path, spec):
    Path(spec.left).write_text("")
    row = run_night(spec, None, tmp_path / "out", report=False, analyze_night=fake_analysis)
    assert row.status == "failed" and row.values == {} and row.output == "" and row.detail == ""
    assert row.error == f"{spec.left}: line 1: no header. Fix: export the file again"
    assert not (tmp_path / "out" / "n1").exists()


def test_a_crash_is_a_failed_row_with_a_traceback_and_the_old_result_survives(tmp_path, spec):
    run_night(spec, None, tmp_path / "out", report=False, analyze_night=fake_analysis)
    row = run_night(spec, None, tmp_path / "out", True, report=False, analyze_night=crashing_analysis)
    assert row.status == "failed" and row.error.startswith("internal error: ZeroDivisionError: boom")
    assert "Traceback" in row.detail
    assert json.loads((tmp_path / "out" / "n1" / "summary.json").read_text())["plm_index"] == 2.0
    assert list((tmp_path / "out" / PARTIAL_DIR).iterdir()) == []


def test_an_analysis_that_writes_no_summary_does_not_count_as_done(tmp_path, spec):
    row = run_night(spec, None, tmp_path / "out", report=False, analyze_night=lambda s, p, d: None)
    assert row.status == "failed" and "wrote no summary.json" in row.error
    assert not (tmp_path / "out" / "n1").exists()


def test_a_missing_input_fails_only_its_row(tmp_path):
    row = run_night(NightSpec("gone", left=str(tmp_path / "gone_left.csv")), None, tmp_path / "out",
                    report=False, analyze_night=fake_analysis)
    assert row.status == "failed" and "gone_left.csv" in row.error and "Fix: check the path" in row.error


def test_the_cohort_table_has_one_typed_row_per_night(tmp_path, spec):
    ok = run_night(spec, None, tmp_path / "out", report=False, analyze_night=fake_analysis)
    bad = CohortRow("a0", "failed", NightSpec("a0", right="/x/a0_right.csv"), error="x: bad. Fix: y")
    frame = write_cohort([ok, bad], tmp_path / "out")
    assert list(frame["night_id"]) == ["a0", "n1"]
    assert list(frame.columns[: len(LEADING_COLUMNS)]) == list(LEADING_COLUMNS)
    assert list(frame.columns[-len(TRAILING_COLUMNS):]) == list(TRAILING_COLUMNS)
    assert frame["plm_index"].dtype == "float64" and pd.isna(frame.loc[0, "plm_index"])
    assert (frame.loc[1, "params_digest"], frame.loc[1, "lrm_version"]) == ("abc123", "9.9")
    assert "quality_left_coverage_pct" in frame.columns and "lrm_version" not in frame.columns[:-len(TRAILING_COLUMNS)]
    back = pd.read_parquet(tmp_path / "out" / "cohort.parquet")
    pd.testing.assert_frame_equal(back, frame)
    csv = pd.read_csv(tmp_path / "out" / "cohort.csv", keep_default_na=False)
    assert list(csv["status"]) == ["failed", "ok"] and csv.loc[0, "error"] == "x: bad. Fix: y"
    assert csv.loc[0, "right"] == "/x/a0_right.csv"


def test_an_empty_cohort_still_has_the_columns():
    assert list(cohort_frame([]).columns) == [*LEADING_COLUMNS, *TRAILING_COLUMNS]


def test_a_report_that_cannot_be_drawn_leaves_the_night_ok_with_a_note(tmp_path, spec):
    row = run_night(spec, None, tmp_path / "out", analyze_night=fake_analysis)  # the double's summary is too thin
    assert row.status == "ok" and row.error.startswith("report.html not written (")
    assert (tmp_path / "out" / "n1" / "summary.json").exists()
