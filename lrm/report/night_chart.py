"""The time-aligned night chart: hypnogram, event markers, each leg's movement and lying/upright, one time axis.

Panels, top to bottom, each only when the night has its data:

1. **Sleep stage** (a hypnogram from RemLogic, EDF+ or ``--hypnogram``): Wake, REM, N1, N2, N3 as a step line,
   REM epochs as a thick red bar, unscored epochs ("?") left blank; the clinical hypnogram layout.
2. **Events**: every PLM, other leg movement, hypnic jerk and posture change as a bar from onset to offset,
   then the PSG's arousals and respiratory events.
3. **Movement per leg** (accelerometer nights): the envelope's peak per 30 s bin in g, gaps greyed.
4. **Position** (accelerometer nights): lying (blue) or upright (orange) per leg, and time in bed.

The x axis is local clock time of the recording's zone, named in its label (:class:`lrm.report.clock.NightClock`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import NullLocator

from lrm.io.hypnogram import Hypnogram
from lrm.report.clock import NightClock
from lrm.report.plots import (
    CATEGORY_COLORS,
    ENVELOPE_BIN_S,
    FONT_PT,
    GAP_COLOR,
    MAX_ENVELOPE_BINS,
    ROW_LABELS,
    SIDE_COLORS,
    _add_bars,
    _binned_envelope,
    _new_figure,
    _sides,
    _spans,
    _stairs,
    event_categories,
    hour_axis,
    style_axes,
)

__all__ = ["plot_night_chart", "HYPNOGRAM_LEVELS", "LYING_COLOR", "UPRIGHT_COLOR"]

#: hypnogram rows, bottom (0) to top: the clinical order with wake on top
HYPNOGRAM_LEVELS = {"N3": 0, "N2": 1, "N1": 2, "R": 3, "W": 4}
REM_COLOR = "#C0392B"
AROUSAL_COLOR, RESPIRATORY_COLOR = "#56B4E9", "#6A3D9A"
LYING_COLOR, UPRIGHT_COLOR, IN_BED_COLOR = "#0072B2", "#E69F00", "#555555"
ROW_IN = 0.3            # height of one bar row (events, position) in inches


def _hypnogram_panel(ax, hyp: Hypnogram) -> None:  # noqa: ANN001
    """Stage levels as one step line (NaN for "?": a blank), REM as a thick red bar."""
    levels = np.array([HYPNOGRAM_LEVELS.get(s, np.nan) for s in hyp.stages], float)
    starts_h = hyp.epoch_starts_s / 3600.0
    x = np.append(starts_h, hyp.end_s / 3600.0)
    ax.stairs(levels, x, baseline=None, color="black", linewidth=1.0)
    rem = np.array([s == "R" for s in hyp.stages])
    _add_bars(ax, starts_h[rem], starts_h[rem] + hyp.epoch_s / 3600.0, 2.8, 3.2, color=REM_COLOR)
    ax.set_yticks([0, 1, 2, 3, 4], ["N3", "N2", "N1", "REM", "Wake"])
    ax.set_ylim(-0.5, 4.5)


def _event_rows(events: pd.DataFrame, respiratory: pd.DataFrame | None,
                arousals: pd.DataFrame | None) -> list[tuple[str, np.ndarray, np.ndarray, str]]:
    """(label, onset_s, offset_s, colour) per row, top to bottom."""
    categories = event_categories(events)
    rows = []
    for category in ("periodic", "isolated", "hypnic_jerk", "posture_change"):
        chosen = events[categories == category]
        if len(chosen) or category == "periodic":
            rows.append((ROW_LABELS[category], chosen["onset_s"].to_numpy(float), chosen["offset_s"].to_numpy(float),
                         CATEGORY_COLORS[category]))
    for label, table, color in (("arousal", arousals, AROUSAL_COLOR), ("respiratory", respiratory, RESPIRATORY_COLOR)):
        if table is not None:
            rows.append((label, table["onset_s"].to_numpy(float), table["offset_s"].to_numpy(float), color))
    return rows


def _bar_rows(ax, rows: list[tuple[str, np.ndarray, np.ndarray, str]], min_width_h: float) -> None:  # noqa: ANN001
    for row, (_label, onset_s, offset_s, color) in enumerate(reversed(rows)):
        start_h = onset_s / 3600.0
        _add_bars(ax, start_h, np.maximum(offset_s / 3600.0, start_h + min_width_h), row - 0.35, row + 0.35,
                  color=color, edge_width=0.5)
    ax.set_yticks(range(len(rows)), [r[0] for r in reversed(rows)])
    ax.set_ylim(-0.6, len(rows) - 0.4)


def _movement_panel(ax, t_h: np.ndarray, trace: pd.DataFrame, side: str) -> None:  # noqa: ANN001
    n_bins = int(np.clip(np.ceil((t_h[-1] - t_h[0]) * 3600 / ENVELOPE_BIN_S), 1, MAX_ENVELOPE_BINS)) if t_h.size else 1
    edges, peak = _binned_envelope(t_h, trace[f"{side}_envelope_g"].to_numpy(float), n_bins)
    if edges.size:
        _stairs(ax, np.nan_to_num(peak), edges, color=SIDE_COLORS[side], linewidth=0)
    valid = trace.get(f"{side}_valid")
    gaps = np.array(_spans(t_h, ~valid.to_numpy(bool)) if valid is not None else []).reshape(-1, 2)
    _add_bars(ax, gaps[:, 0], gaps[:, 1], 0, 1, color=GAP_COLOR, alpha=0.6, axes_y=True)
    ax.set_ylabel(f"{side} leg (g)", fontsize=FONT_PT, rotation=0, ha="right", va="center", labelpad=6)
    ax.set_ylim(bottom=0)
    ax.locator_params(axis="y", nbins=2)


def _position_rows(ax, t_h: np.ndarray, trace: pd.DataFrame, sides: list[str]) -> None:  # noqa: ANN001
    """Per leg lying (blue) / upright (orange) where it had data, then time in bed (grey)."""
    labels = []
    n_rows = len(sides) + ("in_bed" in trace)
    for k, side in enumerate(sides):
        row = n_rows - 1 - k
        lying = trace.get(f"{side}_lying")
        valid = trace.get(f"{side}_valid")
        if lying is None:
            continue
        lie = lying.to_numpy(bool)
        ok = valid.to_numpy(bool) if valid is not None else np.ones_like(lie)
        for mask, color in ((lie & ok, LYING_COLOR), (~lie & ok, UPRIGHT_COLOR)):
            bars = np.array(_spans(t_h, mask)).reshape(-1, 2)
            _add_bars(ax, bars[:, 0], bars[:, 1], row - 0.3, row + 0.3, color=color)
        labels.append((row, f"{side} leg"))  # lying blue, upright orange (the caption says so)
    if "in_bed" in trace:
        bars = np.array(_spans(t_h, trace["in_bed"].to_numpy(bool))).reshape(-1, 2)
        _add_bars(ax, bars[:, 0], bars[:, 1], -0.3, 0.3, color=IN_BED_COLOR, alpha=0.8)
        labels.append((0, "in bed"))
    ax.set_yticks([r for r, _ in labels], [label for _, label in labels])
    ax.set_ylim(-0.6, n_rows - 0.4)


def plot_night_chart(events: pd.DataFrame, *, clock: NightClock, trace: pd.DataFrame | None = None,
                     hypnogram: Hypnogram | None = None, respiratory: pd.DataFrame | None = None,
                     arousals: pd.DataFrame | None = None, duration_s: float | None = None) -> Figure:
    """The night chart (module docstring). ``events``: the events table (s since the recording start);
    ``trace``: the 1 Hz trace (accelerometer nights); ``duration_s``: the x extent in s."""
    sides = _sides(trace) if trace is not None and len(trace) else []
    rows = _event_rows(events, respiratory, arousals)
    panels: list[tuple[str, float]] = ([("hypnogram", 1.25)] if hypnogram is not None else [])
    panels += [("events", ROW_IN * len(rows) + 0.15)] + [(f"leg:{s}", 0.8) for s in sides]
    if sides:
        panels.append(("position", ROW_IN * (len(sides) + ("in_bed" in trace)) + 0.15))
    heights = [h for _, h in panels]
    fig = _new_figure(sum(heights) + 0.12 * (len(panels) - 1) + 0.85, hspace=0.12 * len(panels) / sum(heights))
    axes = fig.subplots(len(panels), 1, height_ratios=heights, squeeze=False)[:, 0]
    style_axes(*axes)
    end_h = max((duration_s or 0.0) / 3600.0, float(events["offset_s"].max()) / 3600.0 if len(events) else 0.0,
                hypnogram.end_s / 3600.0 if hypnogram is not None else 0.0, 1 / 60)
    t_h = trace["t_s"].to_numpy(float) / 3600.0 if sides else np.array([])
    for ax, (kind, _h) in zip(axes, panels, strict=True):
        if kind == "hypnogram":
            _hypnogram_panel(ax, hypnogram)
        elif kind == "events":
            _bar_rows(ax, rows, min_width_h=end_h / 500)
        elif kind.startswith("leg:"):
            _movement_panel(ax, t_h, trace, kind[4:])
        else:
            _position_rows(ax, t_h, trace, sides)
    last = axes[-1]
    hour_axis(last, clock, end_h)
    hours = last.xaxis.get_major_locator()()
    for ax in axes:
        ax.set_xlim(0, end_h)
        ax.set_axisbelow(True)
        if ax is not last:  # the hour grid as lines: hidden tick labels would still cost drawing time
            ax.xaxis.set_major_locator(NullLocator())
            ax.vlines(hours, 0, 1, transform=ax.get_xaxis_transform(), color="#dddddd", linewidth=0.6, zorder=0.5)
        else:
            ax.grid(axis="x", color="#dddddd", linewidth=0.6)
    return fig
