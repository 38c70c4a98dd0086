"""Several nights in one report: grouped by subject and kind, each night once, the spread, the diary beside."""

from __future__ import annotations

import json
import re
import shutil
import statistics

import pytest
from report_fixtures import write_night_dir
from test_report_html import MAX_REPORT_BYTES, element_ids, parse_strict

from lrm.errors import InputError
from lrm.io.diary import read_diary
from lrm.report.html import ReportOptions, write_multi_night_report, write_report
from lrm.report.subject import ReportSubject


@pytest.fixture
def nights(tmp_path):
    """Four accelerometer nights of S01 (1-4 March 2026), of which the first has its own report."""
    dirs = [write_night_dir(tmp_path / f"night{i}", seed=i, plm_series=i % 3, hours=1.0) for i in (1, 2, 3, 4)]
    write_report(dirs[0])
    return dirs


def plm_indices(dirs):
    return [json.loads((d / "summary.json").read_text())["plm_index"] for d in dirs]


def test_nights_side_by_side_with_the_spread_and_the_share_above_15_per_hour(tmp_path, nights):
    out = write_multi_night_report(nights, tmp_path / "all" / "nights.html")
    parse_strict(out)
    text = out.read_text(encoding="utf-8")
    assert out.stat().st_size < MAX_REPORT_BYTES
    assert {"summary", "nights"} <= element_ids(text) and "diary" not in element_ids(text)
    indices = plm_indices(nights)
    assert f"{statistics.median(indices):.1f}" in text and f"{statistics.stdev(indices):.1f}" in text
    assert f"{min(indices):.1f} to {max(indices):.1f}" in text
    above = sum(v > 15 for v in indices)
    assert f"{above} of 4 ({100 * above / 4:.0f} %)" in text
    for day, index in zip(("Sun 2026-03-01", "Mon 2026-03-02", "Tue 2026-03-03", "Wed 2026-03-04"), indices, strict=True):
        assert day in text and f"{index:.1f}" in text
    assert text.index("Sun 2026-03-01") < text.index("Wed 2026-03-04")  # in date order
    assert 'href="../night1/report.html"' in text and 'href="../night2/report.html"' not in text


def test_the_same_night_is_never_counted_twice(tmp_path, nights):
    with pytest.raises(InputError, match=r"night1: the same night as .*night1 .*Fix: give each night once"):
        write_multi_night_report([nights[0], nights[1], nights[0]], tmp_path / "x.html")
    copy = tmp_path / "copy-of-night2"
    shutil.copytree(nights[1], copy)  # the same files analysed again: same digests
    with pytest.raises(InputError, match=r"copy-of-night2: the same night as .*night2 \(subject S01, night of 2026-03-02"):
        write_multi_night_report([*nights, copy], tmp_path / "x.html")
    assert not (tmp_path / "x.html").exists()


def test_accelerometer_and_psg_scored_nights_are_never_averaged_together(tmp_path, nights):
    scored = write_night_dir(tmp_path / "psg", seed=5, with_trace=False, hours=1.0)
    summary = json.loads((scored / "summary.json").read_text())
    summary |= {"plms_index": 40.0, "total_sleep_time_h": 0.8}
    (scored / "summary.json").write_text(json.dumps(summary))
    text = write_multi_night_report([*nights, scored], tmp_path / "mixed.html").read_text(encoding="utf-8")
    assert "shown apart" in text and text.count('<section id="group-') == 2
    accel = text[text.index('id="group-1"'):text.index('id="group-2"')]
    psg = text[text.index('id="group-2"'):]
    assert "ankle accelerometer" in accel and "Sun 2026-03-01" in accel and "Thu 2026-03-05" not in accel
    assert "technician-scored PSG (EMG)" in psg and "Thu 2026-03-05" in psg and "PLMS index" in psg
    mixed_mean = statistics.fmean([*plm_indices(nights), 40.0])
    assert f"mean {mixed_mean:.1f}" not in text


def test_each_subject_gets_its_own_group(tmp_path):
    dirs = [write_night_dir(tmp_path / "a", seed=1, subject_id="S01", hours=1.0),
            write_night_dir(tmp_path / "b", seed=1, subject_id="S02", hours=1.0)]
    text = write_multi_night_report(dirs, tmp_path / "x.html").read_text(encoding="utf-8")
    assert "different subjects" in text and text.count('<section id="group-') == 2
    assert "S01: ankle accelerometer" in text and "S02: ankle accelerometer" in text


def test_the_diary_is_shown_beside_each_night_as_written_and_in_full(tmp_path, nights):
    diary_csv = tmp_path / "diary.csv"
    diary_csv.write_text("date,note,caffeine,evening symptoms\n"
                         "2026-03-01,late dinner <b>&</b>,2 cups,6\n"
                         "2026-03-03,,none,2\n"
                         "2026-03-09,holiday,,0\n", encoding="utf-8")
    options = ReportOptions(diary=read_diary(diary_csv))
    out = write_multi_night_report(nights, tmp_path / "d.html", options=options)
    parse_strict(out)
    text = out.read_text(encoding="utf-8")
    assert "diary" in element_ids(text)
    table = text[text.index('id="group-1"'):text.index('id="diary"')]
    row_0301 = re.search(r"<tr><td class=\"t\">(?:<a [^>]*>)?Sun 2026-03-01<.*?</tr>", table, re.S).group(0)
    assert "late dinner &lt;b&gt;&amp;&lt;/b&gt;" in row_0301 and "2 cups" in row_0301 and "<td>6</td>" in row_0301
    row_0302 = re.search(r"<tr><td class=\"t\">(?:<a [^>]*>)?Mon 2026-03-02<.*?</tr>", table, re.S).group(0)
    assert "cups" not in row_0302  # no diary entry: empty cells, nothing invented
    diary = text[text.index('id="diary"'):]
    assert "Mon 2026-03-09" in diary and "holiday" in diary  # every diary row, also without a night
    assert "does not show that the entry caused it" in text
    for claim in ("caused by", "because of", "due to", "improved", "worsened"):
        assert claim not in text


def test_a_folder_of_night_directories_stands_for_its_nights(tmp_path, nights):
    text = write_multi_night_report([tmp_path], tmp_path / "folder.html").read_text(encoding="utf-8")
    assert "Leg movements over 4 nights" in text


def test_a_childs_nights_are_judged_against_5_per_hour(tmp_path, nights):
    options = ReportOptions(ReportSubject("C-7", age_y=9.0))
    text = write_multi_night_report(nights, tmp_path / "child.html", options=options).read_text(encoding="utf-8")
    indices = plm_indices(nights)
    above = sum(v > 5 for v in indices)
    assert f"{above} of 4" in text and "limit 5 per hour" in text and "C-7" in text and "9 years" in text


def test_multi_night_report_escapes_directory_names_and_subjects(tmp_path):
    evil = '<script>alert("x")</script>'
    night = write_night_dir(tmp_path / "a<script>b", subject_id=evil, hours=1.0)
    write_report(night)
    other = write_night_dir(tmp_path / "c", seed=2, subject_id="S02", hours=1.0)
    out = write_multi_night_report([night, other], tmp_path / "m.html")
    text = out.read_text(encoding="utf-8")
    assert "<script>" not in text and "a&lt;script&gt;b" in text and text.count("</style>") == 1
    assert 'href="a%3Cscript%3Eb/report.html"' in text
    parse_strict(out)


def test_a_multi_day_directory_renders_its_nights_and_lists_those_not_scored(tmp_path):
    """lrm.nights writes DIR/<date>/ per scored night and DIR/nights.csv for every night: one multi-day file, so
    every night has the same input digests; they are different nights (their starts differ), never refused."""
    out = tmp_path / "week"
    for k in (1, 3):
        night = write_night_dir(out / f"2026-03-0{k}", seed=k, hours=1.0)
        summary = json.loads((night / "summary.json").read_text())
        summary["input_files"] = {"left": {"path": "left.cwa", "sha256": "c" * 64}}
        (night / "summary.json").write_text(json.dumps(summary))
    (out / "nights.csv").write_text("date,status,reason,window_start\n2026-03-01,ok,,x\n"
                                    "2026-03-02,non-wear,not worn: still for 24.0 h of the window,x\n2026-03-03,ok,,x\n")
    text = write_multi_night_report([out], tmp_path / "week.html", options=ReportOptions(ReportSubject(age_y=70))).read_text()
    assert "Leg movements over 2 nights" in text and "70 years" in text
    unscored = text[text.index("Nights not scored"):]
    assert "2026-03-02" in unscored and "not worn: still for 24.0 h" in unscored


def test_the_nights_warnings_are_shown_beside_their_spread(tmp_path, nights):
    # four 1 h nights, each shorter than 4 h: the median over them comes with the nights' warnings, not
    # silently (a 48 min recording's 54.6/h weighed like a whole night's)
    from markupsafe import escape

    summaries = [json.loads((d / "summary.json").read_text()) for d in nights]
    summaries[1]["warnings"] = []     # one night without a warning
    (nights[1] / "summary.json").write_text(json.dumps(summaries[1]))
    assert all(s["warnings"] for k, s in enumerate(summaries) if k != 1)
    text = write_multi_night_report(nights, tmp_path / "all" / "nights.html").read_text(encoding="utf-8")
    headline = text[text.index('id="summary"'):text.index('id="nights"')]
    assert "<strong>3 of 4 nights carry warnings</strong>" in re.sub(r"\s+", " ", headline)
    table = text[text.index('id="nights"'):]
    for day, summary in zip(("Sun 2026-03-01", "Tue 2026-03-03", "Wed 2026-03-04"),
                            (summaries[0], summaries[2], summaries[3]), strict=True):
        assert f"<li>{day}: {escape(summary['warnings'][0])}" in table
    assert "<li>Mon 2026-03-02:" not in table
