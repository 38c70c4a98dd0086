from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure

from lrm.report import plots


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


def test_imi_histogram_counts_every_interval_once():
    events = _events(np.cumsum([0, 5, 20, 25, 30, 200, 0.4]))
    fig = plots.plot_imi_histogram(events)
    heights = sum(patch.get_data().values.sum() for patch in fig.axes[0].patches)
    assert heights == 6  # 7 onsets, 6 intervals (one below 0.5 s is clipped into the first bin)
    in_range = fig.axes[0].patches[0].get_data()
    assert in_range.values.sum() == 3  # 20, 25 and 30 s lie in 10-90 s
    assert fig.axes[0].get_xscale() == "log"
    marked = sorted(line.get_xdata()[0] for line in fig.axes[0].lines)
    assert marked == [10.0, 90.0]


def test_duration_histogram_marks_the_wasm_limits_and_counts_lms():
    events = _events([0, 30, 60], types=["lm", "lm", "hypnic_jerk"])
    fig = plots.plot_duration_histogram(events)
    ax = fig.axes[0]
    assert sorted(line.get_xdata()[0] for line in ax.lines) == [0.5, 10.0]
    assert sum(p.get_data().values.sum() for p in ax.patches) == 3


def test_plms_per_hour_stacks_categories_per_hour():
    events = _events([10, 20, 3700, 3800, 7300], series=[0, 0, None, None, None], types=["lm"] * 4 + ["hypnic_jerk"])
    fig = plots.plot_plms_per_hour(events, duration_s=3 * 3600)
    heights = np.array([p.get_height() for p in fig.axes[0].patches]).reshape(3, 3)  # category x hour
    assert heights.tolist() == [[2, 0, 0], [0, 2, 0], [0, 0, 1]]
    only_plms = plots.plot_plms_per_hour(events.iloc[:2], duration_s=3 * 3600)
    assert len(only_plms.axes[0].patches) == 3  # empty categories are not drawn (nor in the legend)


def test_every_plot_is_a_figure_without_pyplot_and_renders(tmp_path):
    from report_fixtures import write_night_dir

    night = write_night_dir(tmp_path / "n", hours=2.0)
    events = pd.read_csv(night / "events.csv")
    trace = pd.read_parquet(night / "trace.parquet")
    start = datetime(2026, 3, 1, 22, 14, 5, tzinfo=UTC)
    figures = [
        plots.plot_night(events, trace=trace, start=start), plots.plot_night(events),
        plots.plot_plms_per_hour(events, start=start), plots.plot_imi_histogram(events),
        plots.plot_duration_histogram(events), plots.plot_densest_series(events, trace=trace, start=start),
        plots.plot_densest_series(events), plots.plot_nightly_plm_index(["a", "b"], [3.0, None]),
    ]
    for fig in figures:
        assert isinstance(fig, Figure)
        uri = plots.figure_to_data_uri(fig)
        assert uri.startswith("data:image/svg+xml;base64,") and len(uri) > 1000
    assert len(figures[0].axes) == 4 and len(figures[1].axes) == 1  # left, right, lying/in bed, events
    assert plots.figure_to_data_uri(figures[2], fmt="png").startswith("data:image/png;base64,iVBOR")


def test_night_overview_tick_labels_fall_on_whole_clock_hours():
    start = datetime(2026, 3, 1, 22, 14, 0, tzinfo=UTC)
    fig = plots.plot_night(_events([0, 9000]), duration_s=4 * 3600, start=start)
    fig.canvas.draw()
    labels = [t.get_text() for t in fig.axes[-1].get_xticklabels()]
    assert labels[:3] == ["23:00", "00:00", "01:00"]


def test_figure_format_is_checked():
    with pytest.raises(ValueError, match="fmt"):
        plots.figure_to_data_uri(Figure(), fmt="gif")
