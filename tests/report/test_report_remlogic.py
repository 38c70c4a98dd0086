"""The report of the real technician-scored RemLogic night G20877 (``lrm score-events``): hypnogram chart,
per-stage table, PLM series table, EMG wording. Data: ../shared/data/lm_ground_truth/matplm_score."""

from __future__ import annotations

import re

import numpy as np
import pytest
from matplotlib.patches import StepPatch
from test_report_html import element_ids, parse_strict

from lrm.cli import main
from lrm.report.figures import night_figures
from lrm.result import load_night
from tests.conftest import shared_file

EVENTS = "lm_ground_truth/matplm_score/G20877_V1N2_AidRLS-Events.txt"


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    out = tmp_path_factory.mktemp("remlogic") / "G20877"
    assert main(["score-events", str(shared_file(EVENTS)), "--out", str(out)]) == 0
    return out


@pytest.fixture(scope="module")
def html(scored):
    parse_strict(scored / "report.html")
    return (scored / "report.html").read_text(encoding="utf-8")


def test_the_night_directory_keeps_the_hypnogram_and_the_psg_events(scored):
    night = load_night(scored)
    assert night.hypnogram is not None and len(night.hypnogram.stages) == 961  # 08:00:30 of 30 s epochs
    assert night.hypnogram.stages[:18] == ("W",) * 17 + ("N1",)  # 23:50:12 to 23:58:42 wake, then S1
    assert len(night.respiratory) == 10 and len(night.arousals) == 57
    assert night.trace is None and night.snippets is None


def test_hypnogram_chart_over_the_scored_events(scored):
    chart = next(f for f in night_figures(load_night(scored)) if f.id == "night-chart").figure
    hypnogram, events = chart.axes
    levels = next(p for p in hypnogram.patches if isinstance(p, StepPatch)).get_data().values
    counts = {label: int(np.sum(levels == value)) for label, value in (("W", 4), ("R", 3), ("N1", 2), ("N2", 1), ("N3", 0))}
    assert counts == {"W": 458, "R": 113, "N1": 31, "N2": 275, "N3": 84}  # the export's SLEEP-* epochs
    assert [t.get_text() for t in events.get_yticklabels()] == ["respiratory", "arousal", "other LM", "PLM"]
    assert chart.axes[-1].get_xlabel() == "clock time (local time (time zone not stated))"


def test_the_summary_speaks_of_emg_scoring_and_shows_clock_times(html):
    assert {"summary", "night-chart", "series", "stages", "imi", "review", "quality", "appendix"} <= element_ids(html)
    summary = html[html.index('id="summary"'):html.index('id="meaning"')]
    assert "technician-scored PSG leg movements (EMG)" in html and "G20877_V1N2_AidRLS-Events.txt" in html
    assert "Night of <strong>Wednesday 15 April 2015</strong>" in html and "Recorded 2015-04-15 23:50 to 07:50" in html
    assert "local time (time zone not stated)" in html and "UTC" not in summary
    assert "8.0 h (23:50 to 07:50)" in summary and "66.8/h" in summary and "52 %" in summary  # TST 4.19 of 8.01 h
    assert "Hypnic jerks were not assessed" in summary and "looked like hypnic jerks" not in html
    assert "motion sensor" not in html and "EMG" in html[html.index('id="meaning"'):]
    assert "Detection limit" not in summary  # an accelerometer's row
    assert re.search(r"Technician-scored events scored with lrm \d", html)  # lrm_version recorded


def test_the_series_table_lists_the_ten_series_in_clock_time(html):
    series = html[html.index('id="series"'):html.index('id="stages"')]
    rows = re.findall(r'<tr><td class="num">(\d+)</td><td class="t">([0-9:]+)</td><td class="t">([0-9:]+)</td><td class="num">[0-9.]+</td>'
                      r'\s*<td class="num">(\d+)</td>', series)
    assert [int(r[0]) for r in rows] == list(range(1, 11))
    assert sum(int(r[3]) for r in rows) == 280  # every PLM in a series
    assert rows[0][1] == "00:06:32" and rows[1][1:3] == ("01:28:00", "02:32:36") and rows[1][3] == "139"
    assert "Close-ups" not in series  # EMG-scored: no signal to show


def test_the_stage_table_has_matplm_scores_layout_and_values(html):
    stages = html[html.index('id="stages"'):html.index('id="imi"')]
    assert re.findall(r'<th class="num">(\w+)</th>', stages) == ["TIB", "TST", "W", "N1", "N2", "N3", "REM", "NREM"]
    names = re.findall(r"<tr><th>([^<]+)<span", stages)
    assert names == ["Time in stage", "CLMnr", "PLMnr", "PLMnr_a", "PInr", "IMInr", "IMInr", "CLM", "PLM", "PLMa", "PI",
                     "IMI", "IMI"]  # MATPLM-Score's rows, in its order
    cells = lambda label: re.search(rf"<tr><th>{label}<span.*?</tr>", stages, re.S).group(0)  # noqa: E731
    time_row = re.findall(r'<td class="num">([0-9:]+)</td>', cells("Time in stage"))
    assert time_row == ["8:00:30", "4:11:30", "3:49:00", "0:15:30", "2:17:30", "0:42:00", "0:56:30", "3:15:00"]  # = reference
    clm = re.findall(r'<td class="num">([0-9.-]+)</td>', cells("CLM"))
    plm = re.findall(r'<td class="num">([0-9.-]+)</td>', cells("PLM"))
    assert clm[0] == "35.6" and plm[0] == "35.0"  # TIB: 35.5879 and 34.9636 in the reference
    assert plm[1] == "66.8"  # PLMS index per hour of sleep; MATPLM's stretched clock gives 65.8 (golden test)
