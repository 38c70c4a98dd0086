"""Figures of the night report. Each ``plot_*`` returns a :class:`matplotlib.figure.Figure` built without
pyplot (safe in Dask workers and threads); :func:`figure_to_data_uri` turns one into an ``<img>`` source.

Inputs are the files of an output directory: ``events`` is the events.csv table (times in s since the
recording start), ``trace`` the optional 1 Hz trace.parquet table (``t_s``, ``<side>_envelope_g``,
``<side>_lying``, ``<side>_valid``, ``in_bed``). ``start`` is the recording start as an aware datetime
(axis labels then show clock time in its UTC offset) or ``None`` (hours since the start).
"""

from __future__ import annotations

import base64
import io
import math
from datetime import datetime

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch, StepPatch
from matplotlib.path import Path
from matplotlib.ticker import FixedLocator, FuncFormatter, LogLocator, MultipleLocator, NullFormatter, NullLocator

from lrm.io.timezones import advance, zone_name
from lrm.rules.rulesets import WASM2016

__all__ = [
    "CATEGORY_COLORS",
    "CATEGORY_LABELS",
    "event_categories",
    "figure_to_data_uri",
    "plot_night",
    "plot_plms_per_hour",
    "plot_imi_histogram",
    "plot_duration_histogram",
    "plot_densest_series",
    "densest_series",
    "plot_nightly_plm_index",
]

CATEGORY_LABELS = {
    "periodic": "PLM (periodic)",
    "isolated": "other leg movement",
    "hypnic_jerk": "hypnic jerk",
    "posture_change": "posture change",
    "other": "other movement",
}
# Colour-blind safe (Okabe-Ito).
CATEGORY_COLORS = {
    "periodic": "#D55E00",
    "isolated": "#0072B2",
    "hypnic_jerk": "#E69F00",
    "posture_change": "#CC79A7",
    "other": "#999999",
}
SIDE_COLORS = {"left": "#0072B2", "right": "#009E73"}
GAP_COLOR = "#BBBBBB"
FIG_WIDTH_IN = 9.0
LEFT_IN = 1.7
ENVELOPE_BIN_S = 30.0  # the night overview shows the peak envelope per 30 s ...
MAX_ENVELOPE_BINS = 720  # ... or coarser: about one bin per pixel of the 7 in plot width at 100 dpi (8 h -> 40 s)


def event_categories(events: pd.DataFrame) -> pd.Series:
    """Display category of each event: periodic, isolated, hypnic_jerk, posture_change or other.

    >>> ev = pd.DataFrame({"type": ["lm", "lm", "hypnic_jerk", "walking"], "in_plm_series": [1, 0, 0, 0]})
    >>> event_categories(ev).tolist()
    ['periodic', 'isolated', 'hypnic_jerk', 'other']
    """
    n = len(events)
    kind = events["type"].to_numpy(dtype=object, na_value="") if "type" in events else np.full(n, "lm", dtype=object)
    in_series = (
        pd.to_numeric(events["in_plm_series"], errors="coerce").to_numpy(dtype=float, na_value=0.0) != 0
        if "in_plm_series" in events
        else np.zeros(n, bool)
    )
    lm = kind == "lm"
    category = np.select([lm & in_series, lm, kind == "hypnic_jerk", kind == "posture_change"],
                         ["periodic", "isolated", "hypnic_jerk", "posture_change"], "other").astype(object)
    return pd.Series(category, index=events.index, dtype=object)


def figure_to_data_uri(fig: Figure, *, fmt: str = "svg") -> str:
    """``data:`` URI of ``fig`` as SVG (text kept as text, no timestamp) or PNG (110 dpi)."""
    buffer = io.BytesIO()
    if fmt == "svg":
        with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "lrm"}):
            fig.savefig(buffer, format="svg", metadata={"Date": None})
        mime = "image/svg+xml"
    elif fmt == "png":
        fig.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
        mime = "image/png"
    else:
        raise ValueError(f"fmt must be 'svg' or 'png', got {fmt!r}")
    return f"data:{mime};base64,{base64.b64encode(buffer.getvalue()).decode('ascii')}"


def _time_formatter(start: datetime | None) -> FuncFormatter:
    """x tick labels: clock time HH:MM from ``start`` (x in hours since start), else elapsed h."""
    if start is None:
        return FuncFormatter(lambda x, _pos: f"{x:g} h")
    return FuncFormatter(lambda x, _pos: advance(start, float(x) * 3600.0).strftime("%H:%M"))


def _xlabel(start: datetime | None) -> str:
    if start is None:
        return "time since the recording started"
    return f"clock time ({zone_name(start)})"


def _set_hour_ticks(ax, start: datetime | None, end_h: float, step_h: float = 1.0) -> None:  # noqa: ANN001
    """Major ticks every ``step_h`` hours, on whole clock hours when ``start`` is known (x in h since start)."""
    first = 0.0
    if start is not None:
        past_hour_h = start.minute / 60 + start.second / 3600
        first = (step_h - past_hour_h % step_h) % step_h
    ax.xaxis.set_major_locator(FixedLocator(np.arange(first, end_h + 1e-9, step_h)))
    ax.xaxis.set_major_formatter(_time_formatter(start))


def _new_figure(height_in: float, *, top_in: float = 0.2, bottom_in: float = 0.6, hspace: float = 0.12) -> Figure:
    """A white figure FIG_WIDTH_IN wide with fixed margins in inches (room for the longest row label);
    fixed margins instead of a layout engine keep a report under a second of drawing."""
    fig = Figure(figsize=(FIG_WIDTH_IN, height_in))
    fig.set_facecolor("white")
    fig.subplots_adjust(left=LEFT_IN / FIG_WIDTH_IN, right=1 - 0.3 / FIG_WIDTH_IN, bottom=bottom_in / height_in,
                        top=1 - top_in / height_in, hspace=hspace)
    return fig


def _sides(trace: pd.DataFrame) -> list[str]:
    return [side for side in ("left", "right") if f"{side}_envelope_g" in trace]


def _binned_envelope(t_h: np.ndarray, env_g: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    """Bin edges (n_bins + 1, in h) and the maximum of ``env_g`` in each of ``n_bins`` equal time bins (NaN
    where a bin holds no finite value): every movement peak stays visible at the figure's resolution."""
    if t_h.size == 0:
        return np.array([]), np.array([])
    edges = np.linspace(t_h[0], t_h[-1] + 1e-9, n_bins + 1)
    which = np.clip(np.searchsorted(edges, t_h, side="right") - 1, 0, n_bins - 1)
    peak = np.full(n_bins, np.nan)
    finite = np.isfinite(env_g)
    np.fmax.at(peak, which[finite], env_g[finite])
    return edges, peak


def _spans(t_h: np.ndarray, mask: np.ndarray) -> list[tuple[float, float]]:
    """(start_h, end_h) of each run of True in ``mask`` sampled at ``t_h``."""
    if t_h.size == 0 or not mask.any():
        return []
    padded = np.concatenate(([False], mask, [False])).astype(np.int8)
    change = np.flatnonzero(np.diff(padded))
    step = float(np.median(np.diff(t_h))) if t_h.size > 1 else 1 / 3600
    return [(float(t_h[a]), float(t_h[b - 1] + step)) for a, b in zip(change[::2], change[1::2], strict=True)]


def _add_bars(ax, x0: np.ndarray, x1: np.ndarray, y0: float, y1: float, *, color: str, alpha: float | None = None,  # noqa: ANN001
              edge_width: float = 0.0, axes_y: bool = False) -> None:
    """Rectangles [x0, x1] x [y0, y1] as ONE compound path: one SVG element however many bars (broken_barh and
    axvspan make one element, and one artist, per bar). ``axes_y``: y in axes fraction (a full-height span)."""
    x0, x1 = np.asarray(x0, float), np.asarray(x1, float)
    if not x0.size:
        return
    corners = np.empty((x0.size, 5, 2))
    corners[:, :, 0] = np.stack([x0, x1, x1, x0, x0], axis=1)
    corners[:, :, 1] = [y0, y0, y1, y1, y0]
    codes = np.tile(np.array([Path.MOVETO, Path.LINETO, Path.LINETO, Path.LINETO, Path.CLOSEPOLY], Path.code_type), x0.size)
    transform = ax.get_xaxis_transform() if axes_y else ax.transData
    # add_artist, not add_patch: add_patch walks every segment of the path for the data limits (most of a
    # report's drawing time); the limits of rectangles are their corners, set here.
    ax.add_artist(PathPatch(Path(corners.reshape(-1, 2), codes), facecolor=color, edgecolor=color if edge_width else "none",
                            linewidth=edge_width, alpha=alpha, transform=transform))
    if not axes_y:
        ax.update_datalim(np.column_stack([np.r_[x0, x1], np.r_[np.full(x0.size, y0), np.full(x1.size, y1)]]))


def _stairs(ax, values: np.ndarray, edges: np.ndarray, **style: object) -> StepPatch:  # noqa: ANN001
    """``ax.stairs(values, edges, baseline=0, fill=True, **style)``, its data limits from the bins' extremes:
    add_patch would walk every step of the outline for them (a third of drawing the night overview)."""
    patch = StepPatch(values, edges, baseline=0, fill=True, **style)
    patch.sticky_edges.y.append(0.0)  # as Axes.stairs: no margin below the baseline
    ax.add_artist(patch)
    ax.update_datalim([(float(edges[0]), min(0.0, float(np.min(values)))), (float(edges[-1]), float(np.max(values)))])
    ax.autoscale_view()
    return patch


def _draw_event_raster(ax, events: pd.DataFrame, *, x_scale: float) -> None:  # noqa: ANN001
    """One row per category; each event a bar from onset to offset (x = time / x_scale)."""
    categories = event_categories(events)
    rows = [c for c in CATEGORY_LABELS if (categories == c).any()] or ["periodic"]
    for row, category in enumerate(reversed(rows)):
        chosen = events[categories == category]
        onset = chosen["onset_s"].to_numpy(float) / x_scale
        offset = np.maximum(chosen["offset_s"].to_numpy(float) / x_scale, onset)
        _add_bars(ax, onset, offset, row - 0.35, row + 0.35, color=CATEGORY_COLORS[category], edge_width=0.6)
    ax.set_yticks(range(len(rows)), [CATEGORY_LABELS[c] for c in reversed(rows)])
    ax.set_ylim(-0.6, len(rows) - 0.4)


def plot_night(
    events: pd.DataFrame, *, trace: pd.DataFrame | None = None, duration_s: float | None = None,
    start: datetime | None = None,
) -> Figure:
    """The night at a glance: per-leg movement envelope (g, peak per bin) with gaps greyed, lying/upright
    per leg and time in bed, and every event as a bar coloured periodic / isolated / hypnic jerk / posture
    change. Without ``trace`` only the event rows are drawn. ``duration_s``: x extent in s."""
    sides = _sides(trace) if trace is not None and len(trace) else []
    ratios = [1.3] * len(sides) + ([0.9] if sides else []) + [1.2]
    fig = _new_figure(1.0 + 1.0 * sum(ratios))
    # Panels share the x range but not the x axis: only the bottom panel has ticks, the others get the hour
    # grid as one set of lines (ticks on hidden axes would still be drawn, ~1 ms each).
    axes = fig.subplots(len(ratios), 1, height_ratios=ratios, squeeze=False)[:, 0]
    end_h = (duration_s or 0) / 3600
    if sides:
        t_h = trace["t_s"].to_numpy(float) / 3600
        end_h = max(end_h, float(t_h[-1]) if t_h.size else 0)
        for ax, side in zip(axes, sides, strict=False):
            n_bins = int(np.clip(np.ceil((t_h[-1] - t_h[0]) * 3600 / ENVELOPE_BIN_S), 1, MAX_ENVELOPE_BINS)) if t_h.size else 1
            edges, peak = _binned_envelope(t_h, trace[f"{side}_envelope_g"].to_numpy(float), n_bins)
            if edges.size:  # one filled step outline (no baseline vertices per bin: half the SVG of fill_between)
                _stairs(ax, np.nan_to_num(peak), edges, color=SIDE_COLORS[side], linewidth=0)
            valid = trace.get(f"{side}_valid")
            gaps = np.array(_spans(t_h, ~valid.to_numpy(bool)) if valid is not None else []).reshape(-1, 2)
            _add_bars(ax, gaps[:, 0], gaps[:, 1], 0, 1, color=GAP_COLOR, alpha=0.6, axes_y=True)
            ax.set_ylabel(f"{side} leg\nmovement (g)", fontsize="small")
            ax.set_ylim(bottom=0)
        state = axes[len(sides)]
        rows = []
        for side in sides:
            lying = trace.get(f"{side}_lying")
            if lying is not None:
                rows.append((f"{side}: lying", _spans(t_h, lying.to_numpy(bool)), SIDE_COLORS[side]))
        if "in_bed" in trace:
            rows.append(("in bed", _spans(t_h, trace["in_bed"].to_numpy(bool)), "#555555"))
        for row, (_label, spans, color) in enumerate(reversed(rows)):
            bars = np.array(spans).reshape(-1, 2)
            _add_bars(state, bars[:, 0], bars[:, 1], row - 0.3, row + 0.3, color=color, alpha=0.8)
        state.set_yticks(range(len(rows)), [r[0] for r in reversed(rows)])
        state.set_ylim(-0.6, max(len(rows), 1) - 0.4)
    elif len(events):
        end_h = max(end_h, float(events["offset_s"].max()) / 3600)
    _draw_event_raster(axes[-1], events, x_scale=3600.0)
    last = axes[-1]
    _set_hour_ticks(last, start, end_h, 1.0 if end_h > 3 else 0.25)
    last.set_xlabel(_xlabel(start))
    hours = last.xaxis.get_major_locator()()
    for ax in axes:
        ax.set_xlim(0, max(end_h, 1 / 60))
        ax.set_axisbelow(True)
        if ax is last:
            ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        else:
            ax.xaxis.set_major_locator(NullLocator())
            ax.vlines(hours, 0, 1, transform=ax.get_xaxis_transform(), color="#dddddd", linewidth=0.6, zorder=0.5)
    return fig


def plot_plms_per_hour(
    events: pd.DataFrame, *, duration_s: float | None = None, start: datetime | None = None
) -> Figure:
    """Stacked bars per hour since the recording start: PLMs, other leg movements, hypnic jerks."""
    categories = event_categories(events)
    end_s = max(duration_s or 0.0, float(events["offset_s"].max()) if len(events) else 0.0, 3600.0)
    n_hours = int(math.ceil(end_s / 3600))
    fig = _new_figure(3.0)
    ax = fig.add_subplot()
    bottom = np.zeros(n_hours)
    hour = np.clip((events["onset_s"].to_numpy(float) // 3600).astype(int), 0, n_hours - 1)
    for category in ("periodic", "isolated", "hypnic_jerk"):
        counts = np.bincount(hour[(categories == category).to_numpy()], minlength=n_hours)[:n_hours]
        if not counts.any():
            continue
        ax.bar(np.arange(n_hours) + 0.5, counts, width=0.85, bottom=bottom, color=CATEGORY_COLORS[category],
               label=CATEGORY_LABELS[category])
        bottom += counts
    ax.set_xlim(0, n_hours)
    ax.set_ylim(0, max(float(bottom.max()), 1.0) * 1.15)
    ax.xaxis.set_major_locator(MultipleLocator(1.0))
    ax.xaxis.set_major_formatter(_time_formatter(start))
    ax.set_xlabel(f"hour of the night (start of each hour, {_xlabel(start)})")
    ax.set_ylabel("movements per hour")
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper right", frameon=False, fontsize="small")
    ax.grid(axis="y", color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)
    return fig


def plot_imi_histogram(events: pd.DataFrame, *, imi_min_s: float = WASM2016.imi_min_s,
                       imi_max_s: float = WASM2016.imi_max_s) -> Figure:
    """Histogram of inter-movement intervals (onset to onset, s) on a log axis, bins of 0.1 in ln(IMI)
    (Ferri et al., *Sleep* 2006; docs/scoring.md §2.1), with the periodic range ``imi_min_s``-``imi_max_s`` marked.
    A periodic night shows a peak at 15-30 s; short (< 10 s) intervals pile up on the left."""
    imi = pd.to_numeric(events.get("imi_s", pd.Series(dtype=float)), errors="coerce").to_numpy(float)
    imi = imi[np.isfinite(imi) & (imi > 0)]
    fig = _new_figure(3.0)
    ax = fig.add_subplot()
    low, high = 0.5, max(1000.0, float(imi.max()) * 1.05 if imi.size else 0.0)
    edges = np.exp(np.arange(np.log(low), np.log(high) + 0.1, 0.1))
    counts, _ = np.histogram(np.clip(imi, low, high), bins=edges)
    centers = np.sqrt(edges[:-1] * edges[1:])
    in_range = (centers >= imi_min_s) & (centers <= imi_max_s)
    # One step patch per colour (not one rectangle per bin): the SVG stays small and quick to draw.
    _stairs(ax, np.where(in_range, counts, 0), edges, color="#D55E00", label=f"{imi_min_s:g}-{imi_max_s:g} s")
    _stairs(ax, np.where(in_range, 0, counts), edges, color="#7f7f7f", label="other intervals")
    for limit in (imi_min_s, imi_max_s):
        ax.axvline(limit, color="black", linestyle="--", linewidth=1)
        ax.annotate(f"{limit:g} s", (limit, 1), xycoords=("data", "axes fraction"), xytext=(3, -12),
                    textcoords="offset points", fontsize="small")
    ax.set_xscale("log")
    ax.set_xlim(low, high)
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:g}"))
    # minor ticks at 2 and 5 per decade: enough to read the axis; every drawn tick costs about 1 ms of SVG
    ax.xaxis.set_minor_locator(LogLocator(subs=(2.0, 5.0)))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("interval between movement onsets (s, log scale)")
    ax.set_ylabel("number of intervals")
    if not imi.size:
        ax.text(0.5, 0.5, "no intervals", transform=ax.transAxes, ha="center", va="center", color="#555555")
    return fig


def plot_duration_histogram(events: pd.DataFrame, *, min_s: float = WASM2016.min_lm_s,
                            max_s: float = WASM2016.max_clm_one_leg_s) -> Figure:
    """Histogram of movement durations (s) in 0.25 s bins: leg movements and, overlaid, hypnic jerks;
    the WASM leg-movement limits ``min_s`` and ``max_s`` are marked."""
    categories = event_categories(events)
    duration = (events["offset_s"] - events["onset_s"]).to_numpy(float)
    top = max(15.0, float(np.nanmax(duration)) if duration.size else 0.0)
    edges = np.arange(0, min(top, 60.0) + 0.25, 0.25)
    fig = _new_figure(3.0)
    ax = fig.add_subplot()
    for category in ("periodic", "isolated", "hypnic_jerk"):
        values = np.clip(duration[(categories == category).to_numpy()], 0, edges[-1])
        if values.size:
            counts, _ = np.histogram(values, bins=edges)
            _stairs(ax, counts, edges, color=CATEGORY_COLORS[category], alpha=0.75,
                      label=CATEGORY_LABELS[category])
    for limit in (min_s, max_s):
        ax.axvline(limit, color="black", linestyle="--", linewidth=1)
    ax.set_xlabel("movement duration (s)")
    ax.set_ylabel("number of movements")
    ax.set_xlim(0, edges[-1])
    if len(ax.get_legend_handles_labels()[0]):
        ax.legend(frameon=False, fontsize="small")
    else:
        ax.text(0.5, 0.5, "no movements", transform=ax.transAxes, ha="center", va="center", color="#555555")
    return fig


def densest_series(events: pd.DataFrame) -> pd.DataFrame | None:
    """The PLMs of the series with the most movements per minute (ties: more movements), or ``None``."""
    if "series_id" not in events or not len(events):
        return None
    series = pd.to_numeric(events["series_id"], errors="coerce")
    plms = events[series.notna() & (event_categories(events) == "periodic")]
    if plms.empty:
        return None
    best_key, best = None, None
    for sid, group in plms.groupby(series[plms.index]):
        span_s = float(group["onset_s"].max() - group["onset_s"].min())
        rate = (len(group) - 1) / span_s if span_s > 0 else 0.0
        key = (rate, len(group), -float(sid))
        if best_key is None or key > best_key:
            best_key, best = key, group
    return best


def plot_densest_series(
    events: pd.DataFrame, *, trace: pd.DataFrame | None = None, start: datetime | None = None,
    max_window_s: float = 300.0,
) -> Figure | None:
    """Zoom on the densest PLM series (at most ``max_window_s`` s): per-leg envelope (g) when a trace is
    given, every event as a coloured bar, and each PLM's interval to the previous movement. ``None`` when
    the night has no PLM series."""
    series = densest_series(events)
    if series is None:
        return None
    t0 = float(series["onset_s"].min()) - 20.0
    t1 = min(float(series["offset_s"].max()) + 20.0, t0 + max_window_s)
    window = events[(events["offset_s"] >= t0) & (events["onset_s"] <= t1)]
    sides = _sides(trace) if trace is not None else []
    fig = _new_figure(4.4 if sides else 2.8, top_in=0.55, hspace=0.2)
    axes = fig.subplots(2 if sides else 1, 1, sharex=True, height_ratios=[2, 1] if sides else [1], squeeze=False)[:, 0]
    if sides:
        ax = axes[0]
        near = trace[(trace["t_s"] >= t0) & (trace["t_s"] <= t1)]
        for side in sides:
            ax.plot(near["t_s"] / 60, near[f"{side}_envelope_g"], color=SIDE_COLORS[side], linewidth=1.2,
                    label=f"{side} leg", drawstyle="steps-mid")
        categories = event_categories(window)
        for category in categories.unique():
            chosen = window[categories == category]
            _add_bars(ax, chosen["onset_s"].to_numpy(float) / 60, chosen["offset_s"].to_numpy(float) / 60, 0, 1,
                      color=CATEGORY_COLORS[category], alpha=0.2, axes_y=True)
        ax.set_ylabel("movement (g)")
        ax.set_ylim(bottom=0)
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.08), ncols=2, frameon=False, fontsize="small")
    _draw_event_raster(axes[-1], window, x_scale=60.0)
    imi = pd.to_numeric(series.get("imi_s", pd.Series(dtype=float)), errors="coerce")
    for onset, value in zip(series["onset_s"], imi, strict=True):
        if np.isfinite(value) and t0 <= onset <= t1:
            axes[0].annotate(f"{value:.0f} s", (onset / 60, 1), xycoords=("data", "axes fraction"),
                             xytext=(0, 2), textcoords="offset points", ha="center", va="bottom",
                             fontsize="x-small")
    axes[-1].set_xlim(t0 / 60, t1 / 60)
    if start is None:
        axes[-1].xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{int(x // 60)}:{int(x % 60):02d}"))
        axes[-1].set_xlabel("time since the recording started (h:mm)")
    else:
        clock = "%H:%M:%S" if t1 - t0 <= 900 else "%H:%M"  # a few minutes: ticks fall within one minute
        axes[-1].xaxis.set_major_formatter(
            FuncFormatter(lambda x, _pos: advance(start, float(x) * 60.0).strftime(clock))
        )
        axes[-1].set_xlabel(_xlabel(start))
    return fig


def plot_nightly_plm_index(names: list[str], plm_index: list[float | None], *, elevated: float = 15.0) -> Figure:
    """PLM index (per hour) of each night as bars, the mean as a line and the adult limit ``elevated``
    (15/h, docs/scoring.md §2.2) dashed. Nights without an index are shown as empty slots."""
    values = np.array([np.nan if v is None else v for v in plm_index], float)
    fig = _new_figure(2.8 + (0.6 if len(names) > 6 else 0), bottom_in=1.1 if len(names) > 6 else 0.5)
    ax = fig.add_subplot()
    x = np.arange(len(names))
    ax.bar(x, np.nan_to_num(values), color=np.where(values > elevated, "#D55E00", "#0072B2"), width=0.7)
    ax.axhline(elevated, color="black", linestyle="--", linewidth=1, label=f"{elevated:g}/h adult limit")
    if np.isfinite(values).any():
        ax.axhline(np.nanmean(values), color="#555555", linewidth=1.5, label="mean of the nights")
    ax.set_xticks(x, names, rotation=30 if len(names) > 6 else 0, ha="right" if len(names) > 6 else "center")
    ax.set_ylabel("PLM index (per hour)")
    ax.set_ylim(0, max(float(np.nanmax(values)) if np.isfinite(values).any() else 0, elevated) * 1.15)
    ax.legend(frameon=False, fontsize="small", loc="upper right")
    return fig
