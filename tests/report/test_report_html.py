from __future__ import annotations

import json
import re

import html5lib
import numpy as np
import pandas as pd
import pytest
from markupsafe import escape
from report_fixtures import write_night_dir

from lrm.errors import InputError, OutputExistsError
from lrm.report.figures import night_figures
from lrm.report.html import write_report
from lrm.result import load_night
from lrm.report.tables import format_value

MAX_REPORT_BYTES = 3_000_000


def parse_strict(path):
    parser = html5lib.HTMLParser(strict=True)
    return parser.parse(path.read_bytes())  # raises html5lib.html5parser.ParseError on invalid HTML


def element_ids(text):
    return set(re.findall(r'\bid="([^"]+)"', text))


def test_night_report_is_valid_self_contained_html(night_dir):
    report = write_report(night_dir)
    assert report == night_dir / "report.html"
    parse_strict(report)
    text = report.read_text(encoding="utf-8")
    assert report.stat().st_size < MAX_REPORT_BYTES
    assert '<meta name="viewport"' in text and "@media print" in text and "size: A4" in text
    assert "<script" not in text.lower() and "http://" not in text and "https://" not in text
    assert len(re.findall(r'<img src="data:image/svg\+xml;base64,', text)) == 4  # chart, IMI, durations, zoom
    # the stable ids a script can check; no sleep stages and no diary on this night
    assert {"summary", "night-chart", "series", "imi", "quality", "review", "appendix"} <= element_ids(text)
    assert "stages" not in element_ids(text) and "diary" not in element_ids(text)


def test_summary_comes_first_with_each_value_against_its_norm(night_dir):
    summary = json.loads((night_dir / "summary.json").read_text())
    text = write_report(night_dir).read_text(encoding="utf-8")
    first = text.index('id="summary"')
    assert first < text.index('id="night-chart"') < text.index('id="series"') < text.index('id="imi"') \
        < text.index('id="quality"') < text.index('id="appendix"')
    block = text[first:text.index('id="meaning"')]
    plm = f"{summary['plm_count']} · {summary['plm_index']:.1f}/h"
    assert plm in block and "≤ 15/h (adult; age not given)" in block
    assert "above" in block  # a PLMD night: the PLM index is flagged against 15/h
    assert "Data coverage" in block and "Detection limit" in block
    limits = [q["detection_limit_g"] for q in summary["quality"].values() if q.get("detection_limit_g") is not None]
    assert limits and all(f"{1000 * v:.0f} mg" in block for v in limits)  # each leg's stated limit (issue 11), in mg
    assert re.search(r"\d\.\d+ g\b", block) is None  # as the text above it says it: mg, not 0.0225 g
    briefs = [q["detection_limit_brief_g"] for q in summary["quality"].values() if q.get("detection_limit_brief_g")]
    assert "Detection limit for brief twitch-like LMs" in block and all(f"{1000 * v:.0f} mg" in block for v in briefs)
    assert "Hypnic jerks (not counted as PLMs)" in block and "Physician review" in block
    assert f"{summary['periodicity_index']:.2f}" in block


def test_appendix_keeps_every_index_key_parameters_and_hashes(night_dir):
    summary = json.loads((night_dir / "summary.json").read_text())
    text = write_report(night_dir).read_text(encoding="utf-8")
    appendix = text[text.index('id="appendix"'):]
    for key in ("hypnic_jerk_count", "lm_index", "clm_index", "plm_series_count", "periodicity_index"):
        assert f'<td class="key">{key}</td>' in appendix
    assert '<td class="key">plms_index</td>' not in appendix  # null: no hypnogram, so left out
    assert "wasm2016" in appendix and "imi_max_s" in appendix and "detect.min_threshold_g" in appendix
    assert summary["params_digest"] in appendix and summary["input_files"]["left"]["sha256"] in appendix
    assert "right.csv" in appendix
    assert f"lrm {summary['lrm_version']}" in appendix
    assert "<th class=\"num\">bilateral</th>" in appendix
    quality = text[text.index('id="quality"'):text.index('id="appendix"')]
    right = summary["quality"]["right"]
    assert f"{right['coverage_pct']:.1f} %" in quality and "ppm" in quality and "detection limit" in quality
    assert "detection limit, brief-pulse LMs" in quality


def test_series_table_in_local_clock_time_with_links_to_close_ups(tmp_path):
    night = write_night_dir(tmp_path / "n", recording_start="2026-03-01T21:14:05Z")
    summary = json.loads((night / "summary.json").read_text())
    summary["timezone"] = "Europe/Berlin"
    (night / "summary.json").write_text(json.dumps(summary))
    loaded = load_night(night)
    text = write_report(night).read_text(encoding="utf-8")
    series = text[text.index('id="series"'):text.index('id="imi"')]
    first = loaded.events[loaded.events["in_plm_series"] == 1].iloc[0]
    clock = (pd.Timestamp("2026-03-01T21:14:05Z") + pd.Timedelta(seconds=first["onset_s"])).tz_convert("Europe/Berlin")
    assert f'<td class="t">{clock:%H:%M:%S}</td>' in series  # 22:.. in Berlin (UTC+1), not 21:.. UTC
    assert "Europe/Berlin, UTC+01:00" in text and "UTC (time zone unknown)" not in text
    n_series = loaded.summary.plm_series_count
    assert series.count('<tr><td class="num">') == n_series  # one row per series
    ids = element_ids(text)
    linked = set(re.findall(r'href="#(event-\d+)"', series))
    assert linked and linked <= ids  # every link lands on a close-up


def test_every_close_up_is_an_inline_svg_of_the_stored_signal(night_dir):
    night = load_night(night_dir)
    text = write_report(night_dir).read_text(encoding="utf-8")
    review = text[text.index('id="review"'):text.index('id="quality"')]
    assert night.snippets is not None and len(night.snippets) > 0
    assert review.count("<svg ") == len(night.snippets)
    jerks = int((night.events["type"] == "hypnic_jerk").sum())
    assert review.count("<strong>hypnic jerk</strong>") == jerks
    assert review.count("PLM 1 of ") >= 1 and 'class="extra"' in review


def test_no_absolute_input_path_reaches_the_report(tmp_path):
    """summary.json keeps the paths as given; the report names files only (paths name users' folders)."""
    secret = "/home/ann smith/private nights"
    night = write_night_dir(tmp_path / "n", input_name=f"{secret}/left.csv")
    summary = json.loads((night / "summary.json").read_text())
    for side in summary["quality"]:
        summary["quality"][side]["source"] = f"{secret}/{side}.csv"
        summary["quality"][side]["repairs"] = [f"{secret}/{side}.csv: 3 duplicate timestamps dropped"]
    summary["warnings"] = [f"left: {secret}/left.csv covers only 70% of the recording"]
    (night / "summary.json").write_text(json.dumps(summary))
    text = write_report(night).read_text(encoding="utf-8")
    assert "ann smith" not in text and "/home" not in text and "private nights" not in text
    assert "left.csv" in text and "3 duplicate timestamps dropped" in text and "covers only 70%" in text


def test_input_text_is_escaped(tmp_path):
    evil = '<script>alert("x")</script>'
    evil_file = "<img src=x onerror=alert(1)>.csv"  # a file name cannot hold "/"
    night = write_night_dir(tmp_path / "n", subject_id=f'{evil}" </style>', input_name=evil_file)
    events = pd.read_csv(night / "events.csv")
    events.loc[0, "side"] = "<b>left</b>"
    events.to_csv(night / "events.csv", index=False)
    report = write_report(night)
    text = report.read_text(encoding="utf-8")
    assert "<script>" not in text and "<b>left</b>" not in text and "<img src=x" not in text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in text
    assert "&lt;img src=x onerror=alert(1)&gt;.csv" in text
    assert text.count("</style>") == 1  # the running header (CSS) is escaped for CSS, not cut short
    assert "\\00003c script\\00003e" in text[:text.index("</style>")]
    parse_strict(report)


def test_directory_without_trace_omits_signal_figures(tmp_path):
    night = write_night_dir(tmp_path / "scored", with_trace=False, recording_start=None)
    report = write_report(night)
    parse_strict(report)
    text = report.read_text(encoding="utf-8")
    assert "no movement signal" in text
    assert "peak acceleration" not in text  # the envelope caption belongs to the trace figure only
    assert text.count("<img ") == 4  # chart of the events, IMI, duration, zoom on the event list
    assert "<svg " not in text  # no signal, no close-ups
    assert "time since the recording started" in text  # no absolute start: elapsed time, never a made-up clock


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
        assert "not available" in text[text.index('id="summary"'):text.index('id="meaning"')]


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
    assert "<svg " not in text


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


def test_pdf_without_a_browser_is_a4_with_page_numbers_and_says_so(night_dir):
    import pypdf

    write_report(night_dir, pdf=True, pdf_engine="matplotlib")
    reader = pypdf.PdfReader(night_dir / "report.pdf")
    assert len(reader.pages) >= 5  # text pages, then one per figure
    for number, page in enumerate(reader.pages, start=1):
        assert [round(float(v)) for v in page.mediabox.upper_right] == [595, 842]  # A4 in pt
        words = page.extract_text()
        assert f"Page {number} of {len(reader.pages)}" in words and "S01" in words  # running header
    assert "made without a browser" in reader.pages[0].extract_text()


def test_auto_pdf_without_chromium_warns_that_the_fallback_was_used(night_dir, monkeypatch):
    from lrm.errors import LrmWarning

    monkeypatch.setenv("LRM_CHROMIUM", str(night_dir / "no-such-browser"))
    with pytest.warns(LrmWarning, match="no Chromium found: report.pdf is lrm's simplified A4 layout"):
        write_report(night_dir, pdf=True)
    assert (night_dir / "report.pdf").read_bytes()[:5] == b"%PDF-"


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
    for axes in imi.figure.axes:  # both conventions mark AASM's range
        assert [line.get_xdata()[0] for line in axes.get_lines()] == [5.0, 90.0]
    assert report.with_suffix(".pdf").read_bytes()[:5] == b"%PDF-"


def test_an_accelerometer_night_with_a_hypnogram_gets_the_stage_chart_and_table(tmp_path):
    """lrm analyze --hypnogram: the stages are kept in the night directory and drawn above the signal."""
    import warnings

    from lrm.io.hypnogram import Hypnogram
    from lrm.pipeline import analyze
    from lrm.sim.night import simulate

    sim = simulate("plmd", seed=3, hours=1.0)
    hyp = Hypnogram(0.0, 30.0, tuple(["W"] * 20 + ["N1"] * 10 + ["N2"] * 60 + ["R"] * 30))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = analyze(sim.recording, hypnogram=hyp)
    out = result.save(tmp_path / "night")
    text = write_report(out).read_text(encoding="utf-8")
    assert "stages" in element_ids(text) and (out / "hypnogram.csv").is_file()
    assert "Total sleep time (hypnogram)" in text and "PLMS index (PLMs in sleep per hour of sleep)" in text
    chart = next(f for f in night_figures(load_night(out)) if f.id == "night-chart").figure
    assert [t.get_text() for t in chart.axes[0].get_yticklabels()] == ["N3", "N2", "N1", "REM", "Wake"]
    assert len(chart.axes) == 5  # stages, events, left, right, position


def test_the_review_says_when_not_every_hypnic_jerk_has_a_close_up(night_dir):
    events = pd.read_csv(night_dir / "events.csv")
    jerks = pd.DataFrame({"onset_s": 100.0 + 7.0 * np.arange(45), "type": "hypnic_jerk", "side": "bilateral"})
    jerks["offset_s"] = jerks["onset_s"] + 0.3
    pd.concat([events, jerks]).sort_values("onset_s").to_csv(night_dir / "events.csv", index=False)
    night = load_night(night_dir)
    stored = sum(night.snippets.nearest(t) is not None for t in jerks["onset_s"])
    total = int((night.events["type"] == "hypnic_jerk").sum())
    text = write_report(night_dir).read_text(encoding="utf-8")
    shown = text.count("<strong>hypnic jerk</strong>")
    assert stored == 0 and shown < total
    assert f"{shown} of {total}\n    hypnic jerks have a close-up" in text


def test_the_jerk_table_shows_each_jerks_confidence_and_why_it_was_classed(night_dir):
    events = pd.read_csv(night_dir / "events.csv")
    events = events[events["type"] != "hypnic_jerk"]
    reason = ("burst 0.12 s, energy within 0.20 s, 3.1x the night's median LM, both legs, 2.0 min after the first "
              "sleep onset, nearest movement 45 s away")
    jerks = pd.DataFrame({"onset_s": [100.0, 400.0], "offset_s": [100.4, 400.3], "type": "hypnic_jerk",
                          "side": "bilateral", "jerk_confidence": [0.75, np.nan],
                          "jerk_reason": [f"{reason}; weakest: size", pd.NA]})   # 2nd: from before lrm said why
    pd.concat([events, jerks]).sort_values("onset_s").to_csv(night_dir / "events.csv", index=False)
    text = write_report(night_dir).read_text(encoding="utf-8")
    review = text[text.index('<section id="review">'):text.index("<h3>Close-ups</h3>")]
    assert "<th>Why classed</th>" in review and '<td class="num">0.75</td>' in review
    assert f"{reason} (weakest: size)".replace("'", "&#39;") in review
    assert '<td class="num">-</td>' in review and "the weakest one sets the confidence" in review
    assert "Time in UTC (time zone unknown)." in review     # the jerks' clock times name their zone, as the series'


def test_the_nights_warnings_are_on_the_summary_page_not_only_under_data_quality(night_dir):
    # a clinician who prints the one-page summary must see that the index is unreliable (a short night, LMs
    # near the detection limit: an underestimate, no lying period): the warnings stand in the summary itself
    summary = json.loads((night_dir / "summary.json").read_text())
    assert summary["warnings"]  # the 2 h fixture night warns at least that it is shorter than 4 h
    text = write_report(night_dir).read_text(encoding="utf-8")
    block = text[text.index('id="summary"'):text.index('id="meaning"')]
    assert 'id="summary-warnings"' in block
    for warning in summary["warnings"]:
        assert str(escape(warning)) in block   # as the autoescaping template writes it


def test_a_night_without_a_lying_period_shows_no_time_in_bed_of_zero_hours(night_dir):
    summary_path = night_dir / "summary.json"
    summary = json.loads(summary_path.read_text())
    summary.update(rest_period_source="none", time_in_bed_h=0.0, time_in_bed_gross_h=0.0, estimated_sleep_h=0.0,
                   lights_out_s=None, lights_on_s=None, plm_index=None, lm_index=None, clm_index=None)
    summary_path.write_text(json.dumps(summary))
    text = write_report(night_dir).read_text(encoding="utf-8")
    block = text[text.index('id="summary"'):text.index('id="meaning"')]
    assert "none found (no lying period seen)" in block
    assert "0.0 h" not in block and "Estimated sleep" not in block


def test_pdf_without_a_browser_gives_the_warnings_before_the_summary_table(night_dir):
    # the summary table says the warnings are "listed above the table": in the browserless PDF too
    import pypdf

    summary = json.loads((night_dir / "summary.json").read_text())
    write_report(night_dir, pdf=True, pdf_engine="matplotlib")
    text = " ".join(page.extract_text() for page in pypdf.PdfReader(night_dir / "report.pdf").pages)
    text = re.sub(r"\s+", " ", text)
    first = re.sub(r"\s+", " ", summary["warnings"][0])
    assert f"Warning: {first[:40]}" in text
    assert text.index(f"Warning: {first[:40]}") < text.index("listed above the table")


def test_a_plm_index_under_the_norm_with_many_lms_below_the_limit_is_not_flagged_within():
    from lrm.report.night import _index_rows
    from lrm.report.subject import Norm

    norm = Norm(15.0, "adult", False)
    leg = {"missed_share_estimate": 0.73, "missed_share_range": [0.24, None]}
    s = {"plm_index": 3.1, "plm_count": 7, "lm_count": 43, "clm_count": 43, "quality": {"left": leg}}
    plm_row = next(r for r in _index_rows(s, norm, False) if r["label"].startswith("Periodic limb movements"))
    assert plm_row["flag"] == ""                          # probably too low: not "within"
    leg["missed_share_estimate"] = 0.05
    plm_row = next(r for r in _index_rows(s, norm, False) if r["label"].startswith("Periodic limb movements"))
    assert plm_row["flag"] == "within"
    s["plm_index"], leg["missed_share_estimate"] = 30.0, 0.73
    plm_row = next(r for r in _index_rows(s, norm, False) if r["label"].startswith("Periodic limb movements"))
    assert plm_row["flag"] == "above"
