from __future__ import annotations

import base64
import re

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import StepPatch

from lrm.io.hypnogram import Hypnogram
from lrm.report import plots
from lrm.report.clock import NightClock
from lrm.report.imi_plots import interval_sets, plot_imi_histograms
from lrm.report.night_chart import plot_night_chart
from lrm.rules.histogram import clm_imis
from lrm.rules.rulesets import WASM2016


def steps(ax):
    return [patch for patch in ax.patches if isinstance(patch, StepPatch)]


def _events(onsets, *, series=None, types=None, in_series=None):
    onsets = np.asarray(onsets, float)
    n = len(onsets)
    events = pd.DataFrame({
        "onset_s": onsets, "offset_s": onsets + 2.0, "side": ["left"] * n,
        "type": types or ["lm"] * n,
        "in_plm_series": in_series if in_series is not None
        else [1 if s is not None else 0 for s in (series or [None] * n)],
        "series_id": pd.array(series or [None] * n, dtype="Int64"),
    })
    events["imi_s"] = events["onset_s"].diff()
    return events


def test_densest_series_prefers_more_movements_per_minute():
    slow = list(np.arange(0, 4 * 60, 60.0))  # series 0: 4 PLMs 60 s apart
    fast = list(1000 + np.arange(0, 6 * 15, 15.0))  # series 1: 6 PLMs 15 s apart
    events = _events(slow + fast, series=[0] * 4 + [1] * 6)
    best = plots.densest_series(events)
    assert best is not None and len(best) == 6 and best["onset_s"].min() == 1000


def test_no_series_means_no_zoom_figure():
    events = _events([0, 100, 400])
    assert plots.densest_series(events) is None
    assert plots.plot_densest_series(events) is None


def test_imi_histograms_count_the_intervals_between_consecutive_clms_as_the_summary_does():
    onsets = np.cumsum([0, 5, 20, 25, 30, 200, 0.6])
    events = _events(onsets)
    events["is_clm"] = [1, 1, 1, 0, 1, 1, 1]  # the 4th LM is no CLM: it breaks two pairs
    fig = plot_imi_histograms(events, rules=WASM2016)
    linear, log = fig.axes
    pairs = clm_imis(events["onset_s"].to_numpy(), events["is_clm"].to_numpy(bool))
    assert pairs.tolist() == pytest.approx([5.0, 20.0, 200.0, 0.6])
    assert steps(linear)[0].get_data().values.sum() == 4  # 0.6, 5, 20 in 2 s bins; 200 in the > 90 s bar
    assert steps(linear)[0].get_data().values[-1] == 1
    assert steps(log)[0].get_data().values.sum() == 2  # 0.6 s < 1 s and 200 s > 148 s fall outside the log bins
    assert log.get_xscale() == "log"
    for axes in fig.axes:
        assert sorted(line.get_xdata()[0] for line in axes.lines) == [10.0, 90.0]


def test_imi_histograms_without_respiratory_related_clms_recompute_the_intervals():
    events = _events([0.0, 20.0, 40.0, 60.0])
    events["is_clm"] = 1
    events["respiratory"] = pd.array([0, 1, 0, 0], dtype="Int8")
    sets = interval_sets(events, respiratory_scored=True)
    assert sets["all"].tolist() == [20.0, 20.0, 20.0] and sets["nr"].tolist() == [40.0, 20.0]
    fig = plot_imi_histograms(events, rules=WASM2016, respiratory_scored=True)
    assert fig.axes[0].get_legend() is not None and len(steps(fig.axes[0])) == 2  # all (filled) + nr (outline)


def test_duration_histogram_marks_the_wasm_limits_and_counts_lms():
    events = _events([0, 30, 60], types=["lm", "lm", "hypnic_jerk"])
    fig = plots.plot_duration_histogram(events)
    ax = fig.axes[0]
    assert sorted(line.get_xdata()[0] for line in ax.lines) == [0.5, 10.0]
    assert sum(p.get_data().values.sum() for p in ax.patches) == 3


def test_every_plot_is_a_figure_without_pyplot_with_text_of_at_least_11_pt(tmp_path):
    from report_fixtures import write_night_dir

    night = write_night_dir(tmp_path / "n", hours=2.0)
    events = pd.read_csv(night / "events.csv")
    trace = pd.read_parquet(night / "trace.parquet")
    clock = NightClock.of("2026-03-01T21:14:05Z", "Europe/Berlin")
    figures = [
        plot_night_chart(events, clock=clock, trace=trace), plot_night_chart(events, clock=NightClock.of(None, None)),
        plot_imi_histograms(events, rules=WASM2016), plots.plot_duration_histogram(events),
        plots.plot_densest_series(events, trace=trace, clock=clock), plots.plot_densest_series(events),
        plots.plot_nightly_index(["a", "b"], [3.0, None]),
    ]
    for fig in figures:
        assert isinstance(fig, Figure) and fig.get_figwidth() == plots.FIG_WIDTH_IN
        uri = plots.figure_to_data_uri(fig)
        assert uri.startswith("data:image/svg+xml;base64,") and len(uri) > 1000
        sizes = [float(v) for v in re.findall(r"font-size: ([0-9.]+)px", base64.b64decode(uri.split(",", 1)[1]).decode())]
        assert sizes and min(sizes) >= plots.FONT_PT  # 11 px on a 390 px phone (plots' docstring)
    assert len(figures[0].axes) == 4 and len(figures[1].axes) == 1  # events, left, right, position / events
    assert plots.figure_to_data_uri(figures[2], fmt="png").startswith("data:image/png;base64,iVBOR")


def test_night_chart_draws_the_hypnogram_and_the_psg_markers_on_top():
    hyp = Hypnogram(0.0, 30.0, ("W", "W", "N1", "N2", "N3", "R", "?", "W"))
    events = _events([65.0, 100.0], series=[None, None])
    chart = plot_night_chart(events, clock=NightClock.of("2026-03-01T22:00:00Z", "UTC"), hypnogram=hyp,
                             arousals=pd.DataFrame({"onset_s": [70.0], "offset_s": [75.0]}),
                             respiratory=pd.DataFrame({"onset_s": [120.0], "offset_s": [140.0]}))
    top, markers = chart.axes
    assert [t.get_text() for t in top.get_yticklabels()] == ["N3", "N2", "N1", "REM", "Wake"]
    levels = steps(top)[0].get_data().values  # the hypnogram's step line, "?" as a gap
    assert levels[:6].tolist() == [4, 4, 2, 1, 0, 3] and np.isnan(levels[6])
    assert [t.get_text() for t in markers.get_yticklabels()] == ["respiratory", "arousal", "other LM", "PLM"]


def test_night_chart_ticks_fall_on_whole_local_clock_hours_and_name_the_zone():
    clock = NightClock.of("2026-03-01T21:14:00Z", "Europe/Berlin")
    fig = plot_night_chart(_events([0, 9000]), clock=clock, duration_s=4 * 3600)
    fig.canvas.draw()
    labels = [t.get_text() for t in fig.axes[-1].get_xticklabels()]
    assert labels[:3] == ["23:00", "00:00", "01:00"]  # 22:14 local start
    assert fig.axes[-1].get_xlabel() == "clock time (Europe/Berlin, UTC+01:00)"


def test_figure_format_is_checked():
    with pytest.raises(ValueError, match="fmt"):
        plots.figure_to_data_uri(Figure(), fmt="gif")


def test_the_series_zoom_cuts_off_no_clock_tick_label_at_the_right_edge():
    # the window ends exactly on a half-minute tick (last offset 1065 s + 15 s = 1080 s = 18:00 on the clock):
    # its HH:MM:SS label, centred on the axis' end, stuck out of the figure ("00:29:0" in a real report)
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    events = _events(988 + np.arange(6) * 15.0, series=[0] * 6)
    clock = NightClock.of("2026-03-01T00:00:00Z", "UTC")
    fig = plots.plot_densest_series(events, clock=clock)
    FigureCanvasAgg(fig).draw()
    renderer = fig.canvas.get_renderer()
    labels = [t for t in fig.axes[-1].get_xticklabels() if t.get_text()]
    assert len(labels) >= 2
    for label in labels:
        box = label.get_window_extent(renderer)
        assert 0 <= box.x0 and box.x1 <= fig.bbox.width, label.get_text()


def test_a_close_up_scales_to_its_event_not_to_a_roll_over_seconds_later():
    # a 20 mg LM at the onset (5 s into the window), then the leg turns by ~1 g of gravity 12 s later: the
    # scale is the LM's (about 0.02 g), the turn is drawn clipped at the panel's edge, inside the panel
    import re as regex

    from lrm.report.review import PANEL_H, render_close_up

    fs_hz, pre_s = 50.0, 5.0
    t_s = np.arange(int(20 * fs_hz)) / fs_hz
    window = np.zeros((t_s.size, 3), np.float32)
    window[:, 2] = 1.0
    lm = (t_s >= pre_s) & (t_s < pre_s + 2.0)
    window[lm, 0] = 0.02 * np.sin(2 * np.pi * 2.0 * t_s[lm])
    window[t_s >= 17.0, 2], window[t_s >= 17.0, 1] = 0.0, 1.0      # the roll-over
    svg = str(render_close_up({"left": window}, fs_hz=fs_hz, pre_s=pre_s, duration_s=2.0, color="#000", label="x"))
    assert "&#177;0.02 g" in svg
    ys = [int(v) for path in regex.findall(r'<path d="([^"]+)"', svg) for v in regex.findall(r"-?\d+ (-?\d+)", path)]
    assert ys and 0 <= min(ys) and max(ys) <= PANEL_H


@pytest.mark.parametrize("n_plms", [6, 9, 12])
def test_the_series_zoom_labels_never_touch_and_sit_on_whole_clock_half_minutes(n_plms):
    # a series of 2.5-4 min (the window is capped at 240 s): 30 s ticks put five 0.7 in HH:MM:SS labels on a
    # 3.5 in axis, which ran together ("04:14:3904:15:09..."), and they sat on the recording's odd seconds
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    events = _events(1000 + np.arange(n_plms) * 20.0, series=[0] * n_plms)
    clock = NightClock.of("2026-03-01T03:00:09Z", "UTC")          # a start 9 s past the minute
    fig = plots.plot_densest_series(events, clock=clock)
    FigureCanvasAgg(fig).draw()
    renderer = fig.canvas.get_renderer()
    labels = [t for t in fig.axes[-1].get_xticklabels() if t.get_text()]
    boxes = sorted((t.get_window_extent(renderer) for t in labels), key=lambda b: b.x0)
    assert len(labels) >= 2
    assert all(a.x1 < b.x0 for a, b in zip(boxes, boxes[1:]))                  # never touching
    assert all(t.get_text().endswith((":00", ":30")) for t in labels)           # whole clock half-minutes
    assert all(0 <= b.x0 and b.x1 <= fig.bbox.width for b in boxes)             # never cut off


def test_the_series_zoom_without_a_clock_gives_each_tick_its_own_label():
    # half-minute ticks labelled h:mm gave "0:16", "0:16", "0:17": the seconds are shown
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    events = _events(960 + np.arange(5) * 15.0, series=[0] * 5)
    fig = plots.plot_densest_series(events)
    FigureCanvasAgg(fig).draw()
    texts = [t.get_text() for t in fig.axes[-1].get_xticklabels() if t.get_text()]
    assert len(texts) >= 2 and len(set(texts)) == len(texts) and "0:16:00" in texts
