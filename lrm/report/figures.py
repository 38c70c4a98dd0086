"""The night report's figures, listed once: the HTML, the PDF and ``NightResult.plot_*`` all draw these.

Each figure reads the typed night (:class:`lrm.result.NightResult`): its events, trace, PSG scoring and the
rule set it was scored with, so an AASM night shows AASM's limits (IMI 5-90 s) in every output, and every
time axis is in the recording's zone (:class:`lrm.report.clock.NightClock`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from lrm.report import plots
from lrm.report.clock import NightClock
from lrm.report.imi_plots import plot_imi_histograms
from lrm.report.night_chart import plot_night_chart

if TYPE_CHECKING:  # the typed night draws itself with these figures (NightResult.plot_*)
    from lrm.result import NightResult

__all__ = ["ReportFigure", "night_figures", "night_axes", "imi_figure", "duration_s_of"]


@dataclass(frozen=True, slots=True, eq=False)
class ReportFigure:
    """One figure of the report: an id (HTML anchor), its title and caption, and the matplotlib Figure."""

    id: str
    title: str
    caption: str
    figure: Figure


def duration_s_of(result: NightResult) -> float | None:
    """The night's extent in s: the recording's duration, else the trace's, the hypnogram's or the last event's end."""
    ends = [result.summary.duration_h * 3600.0] if result.summary.duration_h is not None else []
    if result.trace is not None and len(result.trace):
        ends.append(float(result.trace["t_s"].iloc[-1]) + 1.0)
    if result.hypnogram is not None:
        ends.append(result.hypnogram.end_s)
    if len(result.events):
        ends.append(float(result.events["offset_s"].max()))
    return max(ends) if ends else None


def _clock(result: NightResult) -> NightClock:
    s = result.summary
    return NightClock.of(s.recording_start, s.timezone)


def night_chart(result: NightResult) -> Figure:
    """The time-aligned night chart (:func:`lrm.report.night_chart.plot_night_chart`)."""
    return plot_night_chart(result.events, clock=_clock(result), trace=result.trace, hypnogram=result.hypnogram,
                            respiratory=result.respiratory, arousals=result.arousals, duration_s=duration_s_of(result))


def imi_histograms(result: NightResult) -> Figure:
    """Both IMI histograms with the night's rule set's periodic range (and without CLMr when scored)."""
    return plot_imi_histograms(result.events, rules=result.rules,
                               respiratory_scored=result.summary.respiratory_event_count is not None)


def night_axes(result: NightResult) -> Axes:
    """The night chart's top Axes (``.figure`` is the figure)."""
    return night_chart(result).axes[0]


def imi_figure(result: NightResult) -> Axes:
    """The linear IMI histogram's Axes (the log one is ``.figure.axes[1]``)."""
    return imi_histograms(result).axes[0]


def _chart_caption(result: NightResult) -> str:
    parts = []
    if result.hypnogram is not None:
        parts.append("sleep stages (REM in red)")
    parts.append("every scored movement (PLM: in a periodic series; other LM: leg movements outside series)"
                 + (", arousal and respiratory event" if result.arousals is not None or result.respiratory is not None
                    else ""))
    if result.trace is not None:
        parts.append("each leg's movement (peak acceleration per 30 s, grey where the sensor gave no data) and "
                     "its position (blue lying, orange upright) with the time in bed (grey)")
    return "One time axis for the whole night: " + "; ".join(parts) + "."


def night_figures(result: NightResult) -> list[ReportFigure]:
    """Every figure of a night's report, in order (a figure with nothing to show is left out)."""
    events, rules = result.events, result.rules
    respiratory = result.summary.respiratory_event_count is not None
    specs: list[tuple[str, str, str, Callable[[], Figure | None]]] = [
        ("night-chart", "The night at a glance", _chart_caption(result), lambda: night_chart(result)),
        ("imi", "Intervals between candidate leg movements",
         f"Onset-to-onset intervals between consecutive CLMs, in 2 s bins (top) and on a log scale (bottom). "
         f"Periodic movements recur every {rules.imi_min_s:g} to {rules.imi_max_s:g} s (shaded, dashed lines); a "
         "peak near 15-30 s is the pattern of periodic limb movements"
         + ("; the black outline leaves out respiratory-related CLMs." if respiratory else "."),
         lambda: imi_histograms(result)),
        ("duration", "How long each movement lasted",
         f"Leg movements count from {rules.min_lm_s:g} s and are candidates for periodic movements up to "
         f"{rules.max_clm_one_leg_s:g} s on one leg (dashed lines); hypnic jerks are brief.",
         lambda: plots.plot_duration_histogram(events, min_s=rules.min_lm_s, max_s=rules.max_clm_one_leg_s)),
        ("zoom", "Close-up of the densest PLM series",
         "A few minutes of the series with the most movements per minute; the numbers above give each "
         "movement's interval (s) from the previous one.",
         lambda: plots.plot_densest_series(events, trace=result.trace, clock=_clock(result))),
    ]
    figures = []
    for key, title, caption, build in specs:
        fig = build()
        if fig is not None:
            figures.append(ReportFigure(key, title, caption, fig))
    return figures
