"""The night report's figures, listed once: the HTML, the PDF and ``NightResult.plot_*`` all draw these.

Each figure reads the typed night (:class:`lrm.result.NightResult`): its events, trace and the rule set it
was scored with, so an AASM night shows AASM's limits (IMI 5-90 s) in every output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from lrm.report import plots
from lrm.report.tables import parse_start

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
    """The night's extent in s: the recording's duration, else the trace's or the last event's end."""
    ends = [result.summary.duration_h * 3600.0] if result.summary.duration_h is not None else []
    if result.trace is not None and len(result.trace):
        ends.append(float(result.trace["t_s"].iloc[-1]) + 1.0)
    if len(result.events):
        ends.append(float(result.events["offset_s"].max()))
    return max(ends) if ends else None


def _start(result: NightResult) -> datetime | None:
    return parse_start(result.summary.recording_start, result.summary.timezone)


def night_axes(result: NightResult) -> Axes:
    """The night-at-a-glance figure's top Axes (``.figure`` is the figure)."""
    fig = plots.plot_night(result.events, trace=result.trace, duration_s=duration_s_of(result), start=_start(result))
    return fig.axes[0]


def imi_figure(result: NightResult) -> Axes:
    """The IMI histogram's Axes, with the night's rule set's periodic range."""
    rules = result.rules
    return plots.plot_imi_histogram(result.events, imi_min_s=rules.imi_min_s, imi_max_s=rules.imi_max_s).axes[0]


def night_figures(result: NightResult) -> list[ReportFigure]:
    """Every figure of a night's report, in order (a figure with nothing to show is left out)."""
    events, trace, rules = result.events, result.trace, result.rules
    start, duration_s = _start(result), duration_s_of(result)
    specs: list[tuple[str, str, str, Callable[[], Figure | None]]] = [
        ("night", "The night at a glance",
         "Per-leg movement (peak acceleration per 30 s, grey where the sensor gave no data), lying and time "
         "in bed, and every detected movement." if trace is not None else
         "Every scored movement across the night (no signal trace for this directory).",
         lambda: plots.plot_night(events, trace=trace, duration_s=duration_s, start=start)),
        ("per-hour", "Movements per hour of the night",
         "PLMs (in periodic series), other leg movements and hypnic jerks in each hour from the start.",
         lambda: plots.plot_plms_per_hour(events, duration_s=duration_s, start=start)),
        ("imi", "Intervals between movements",
         f"Onset-to-onset intervals on a log scale. Periodic movements recur every {rules.imi_min_s:g} to "
         f"{rules.imi_max_s:g} s (dashed lines, orange bars); a peak near 15-30 s is the pattern of periodic "
         "limb movements.",
         lambda: plots.plot_imi_histogram(events, imi_min_s=rules.imi_min_s, imi_max_s=rules.imi_max_s)),
        ("duration", "How long each movement lasted",
         f"Leg movements count from {rules.min_lm_s:g} s and are candidates for periodic movements up to "
         f"{rules.max_clm_one_leg_s:g} s (dashed lines); hypnic jerks are brief.",
         lambda: plots.plot_duration_histogram(events, min_s=rules.min_lm_s, max_s=rules.max_clm_one_leg_s)),
        ("zoom", "Close-up of the densest PLM series",
         "A few minutes of the series with the most movements per minute; numbers give the interval to the "
         "previous movement.",
         lambda: plots.plot_densest_series(events, trace=trace, start=start)),
    ]
    figures = []
    for key, title, caption, build in specs:
        fig = build()
        if fig is not None:
            figures.append(ReportFigure(key, title, caption, fig))
    return figures
