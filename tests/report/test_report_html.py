from __future__ import annotations

import json
import re

import html5lib
import pandas as pd
import pytest
from report_fixtures import write_night_dir

from lrm.errors import InputError, OutputExistsError
from lrm.report.html import write_multi_night_report, write_report
from lrm.result import load_night
from lrm.report.tables import format_value

MAX_REPORT_BYTES = 3_000_000


def parse_strict(path):
    parser = html5lib.HTMLParser(strict=True)
    return parser.parse(path.read_bytes())  # raises html5lib.html5parser.ParseError on invalid HTML


def test_night_report_is_valid_self_contained_html(night_dir):
    report = write_report(night_dir)
    assert report == night_dir / "report.html"
    parse_strict(report)
    text = report.read_text(encoding="utf-8")
    assert report.stat().st_size < MAX_REPORT_BYTES
    assert '<meta name="viewport"' in text and "@media print" in text and "size: A4" in text
    assert "<script" not in text.lower() and "http://" not in text and "https://" not in text
    assert len(re.findall(r'<img src="data:image/svg\+xml;base64,', text)) == 5


def test_night_report_shows_every_index_with_units_and_the_tables(night_dir):
    summary = json.loads((night_dir / "summary.json").read_text())
    text = write_report(night_dir).read_text(encoding="utf-8")
    assert f"{summary['plm_index']:.1f} per h in bed" in text
    assert f"<td class=\"num\">{summary['plm_count']}</td>" in text
    assert "Periodicity index" in text and f"{summary['periodicity_index']:.2f}" in text
    assert f"{summary['plm_series_mean_length']:.1f} movements" in text
    for key in ("hypnic_jerk_count", "lm_index", "clm_index", "plm_series_count", "periodicity_index"):
        assert f'<td class="key">{key}</td>' in text
    assert '<td class="key">plms_index</td>' not in text  # null: no hypnogram, so left out
    # data quality per leg, rule set, parameters, version, inputs and hashes
    right = summary["quality"]["right"]
    assert "coverage_pct" in text and f"{right['coverage_pct']:.1f} %" in text and "clock_drift_ppm" in text
    assert "wasm2016" in text and "imi_max_s" in text and "detect.high_g" in text
    assert summary["params_digest"] in text and "a" * 64 in text and "right.csv" in text
    assert f"lrm {summary['lrm_version']}" in text
    # left/right/bilateral counts from events.csv
    assert "<th class=\"num\">bilateral</th>" in text


def test_input_text_is_escaped(tmp_path):
    evil = '<script>alert("x")</script>'
    night = write_night_dir(tmp_path / "n", subject_id=evil, input_name=f"{evil}.csv")
    events = pd.read_csv(night / "events.csv")
    events.loc[0, "side"] = "<b>left</b>"
    events.to_csv(night / "events.csv", index=False)
    report = write_report(night)
    text = report.read_text(encoding="utf-8")
    assert "<script>" not in text and "<b>left</b>" not in text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;.csv" in text
    parse_strict(report)


def test_multi_night_report_escapes_directory_names_and_subjects(tmp_path):
    evil = '<script>alert("x")</script>'
    night = write_night_dir(tmp_path / "a<script>b", subject_id=evil, hours=1.0)
    write_report(night)
    other = write_night_dir(tmp_path / "c", subject_id="S02", hours=1.0)
    out = write_multi_night_report([night, other], tmp_path / "m.html")
    text = out.read_text(encoding="utf-8")
    assert "<script>" not in text and "a&lt;script&gt;b" in text
    assert 'href="a%3Cscript%3Eb/report.html"' in text
    parse_strict(out)


def test_directory_without_trace_omits_signal_figures(tmp_path):
    night = write_night_dir(tmp_path / "scored", with_trace=False, recording_start=None)
    report = write_report(night)
    parse_strict(report)
    text = report.read_text(encoding="utf-8")
    assert "no signal trace" in text
    assert "peak acceleration" not in text  # the envelope caption belongs to the trace figure only
    assert text.count("<img ") == 5  # event raster, per hour, IMI, duration, zoom on the event list


@pytest.mark.parametrize("key", ["plm_index", "periodicity_index", "recording_start", "sleep_latency_min"])
def test_values_that_do_not_apply_show_as_not_available(tmp_path, key):
    night = write_night_dir(tmp_path / "n", hours=1.0)
    summary = json.loads((night / "summary.json").read_text())
    (night / "summary.json").write_text(json.dumps({**summary, key: None}))
    report = write_report(night)
    parse_strict(report)
    if key == "plm_index":
        text = report.read_text(encoding="utf-8")
        assert '<div class="number">n/a' in text
        assert re.search(r"<td>PLM index</td><td class=\"num\">not available</td>", text)


def test_a_summary_without_its_rule_set_is_an_input_error(tmp_path):
    night = write_night_dir(tmp_path / "n", hours=1.0)
    summary = json.loads((night / "summary.json").read_text())
    del summary["rules"]
    (night / "summary.json").write_text(json.dumps(summary))
    with pytest.raises(InputError, match=r"summary.json: key 'rules': missing"):
        write_report(night)


def test_empty_events_table_still_gives_a_report(tmp_path):
    night = write_night_dir(tmp_path / "n", hours=1.0, with_trace=False)
    (night / "events.csv").write_text("onset_s,offset_s,duration_s,side,type,is_clm,in_plm_series,series_id,imi_s\n")
    text = write_report(night).read_text(encoding="utf-8")
    assert "No movements were recorded" in text and "No PLM series was found" in text


def test_missing_summary_is_a_clear_input_error(tmp_path):
    night = write_night_dir(tmp_path / "n", hours=1.0)
    (night / "summary.json").unlink()
    with pytest.raises(InputError, match=r"summary.json: no summary.json in this directory. Fix: give a directory"):
        write_report(night)


def test_broken_json_names_the_line(tmp_path):
    night = write_night_dir(tmp_path / "n", hours=1.0)
    (night / "summary.json").write_text('{\n "plm_index": 3,\n oops\n}')
    with pytest.raises(InputError, match=r"summary.json: line 3, column 2: not valid JSON"):
        load_night(night)


def test_events_without_a_required_column_or_with_text_times_are_input_errors(tmp_path):
    night = write_night_dir(tmp_path / "n", hours=1.0)
    (night / "events.csv").write_text("onset_s,side\n1.0,left\n")
    with pytest.raises(InputError, match=r"events.csv: header: missing column 'offset_s'"):
        load_night(night)
    (night / "events.csv").write_text("onset_s,offset_s,type\n1.0,2.0,lm\nsoon,3.0,lm\n")
    with pytest.raises(InputError, match=r"events.csv: row 3, column 'onset_s': not a number: 'soon'"):
        load_night(night)


def test_a_file_not_written_by_lrm_is_never_overwritten(tmp_path, night_dir):
    precious = tmp_path / "notes.html"
    precious.write_text("<p>my notes</p>")
    with pytest.raises(OutputExistsError, match="notes.html: already exists"):
        write_report(night_dir, out_path=precious)
    assert precious.read_text() == "<p>my notes</p>"
    write_report(night_dir)
    write_report(night_dir)  # its own report is regenerated


def test_multi_night_report_has_a_row_per_night_and_the_mean(tmp_path):
    dirs = [write_night_dir(tmp_path / f"night{i}", seed=i, plm_series=i, hours=3.0) for i in (1, 2, 3)]
    write_report(dirs[0])
    indices = [json.loads((d / "summary.json").read_text())["plm_index"] for d in dirs]
    out = write_multi_night_report(dirs, tmp_path / "all" / "nights.html")
    parse_strict(out)
    text = out.read_text(encoding="utf-8")
    assert out.stat().st_size < MAX_REPORT_BYTES
    mean = sum(indices) / 3
    assert f'<div class="number">{mean:.1f} ' in text and f'<th class="num">{mean:.1f}</th>' in text
    for d, index in zip(dirs, indices, strict=True):
        assert f">{d.name}<" in text and f"{index:.1f}" in text
    assert 'href="../night1/report.html"' in text  # only night1 has its own report
    assert 'href="../night2/report.html"' not in text


def test_multi_night_report_warns_about_different_subjects(tmp_path):
    dirs = [write_night_dir(tmp_path / "a", subject_id="S01", hours=1.0),
            write_night_dir(tmp_path / "b", subject_id="S02", hours=1.0)]
    text = write_multi_night_report(dirs, tmp_path / "x.html").read_text(encoding="utf-8")
    assert "different subjects" in text


def test_pdf_without_a_browser_falls_back_to_matplotlib(night_dir):
    write_report(night_dir, pdf=True, pdf_engine="matplotlib")
    pdf = (night_dir / "report.pdf").read_bytes()
    assert pdf[:5] == b"%PDF-" and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type /Page ") >= 6


@pytest.mark.parametrize(("value", "unit", "text"), [
    (None, "h", "not available"), (float("nan"), "", "not available"), (True, "", "yes"),
    (1234567, "count", "1 234 567"), (0.5, "ratio", "0.50"), (7.25, "h", "7.2 h"), ([1, 2], "", "1, 2"),
])
def test_format_value(value, unit, text):
    assert format_value(value, unit) == text


def test_an_aasm_night_shows_the_aasm_limits_in_the_html_and_the_pdf(tmp_path):
    """End to end on the real producers: simulated night -> analyze (AASM) -> save -> report; the HTML and the
    PDF draw one figure list, so both mark AASM's 5-90 s periodic range."""
    import warnings

    from lrm.params import Params
    from lrm.pipeline import analyze
    from lrm.report.figures import night_figures
    from lrm.sim.night import simulate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = analyze(simulate("plmd", seed=5, hours=1.0).recording, Params(rules="aasm"))
    out = result.save(tmp_path / "night")
    report = write_report(out, pdf=True, pdf_engine="matplotlib")
    parse_strict(report)
    text = report.read_text(encoding="utf-8")
    assert f"{result.summary.plm_index:.1f}" in text and "aasm" in text and "every 5 to 90 s" in text
    imi = next(f for f in night_figures(load_night(out)) if f.id == "imi")
    assert [line.get_xdata()[0] for line in imi.figure.axes[0].get_lines()] == [5.0, 90.0]
    assert report.with_suffix(".pdf").read_bytes()[:5] == b"%PDF-"
