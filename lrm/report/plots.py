"""Building blocks of the report's figures, and the figures drawn from the events table alone.

Each ``plot_*`` returns a :class:`matplotlib.figure.Figure` built without pyplot (safe in Dask workers and
threads); :func:`figure_to_data_uri` turns one into an ``<img>`` source. The night chart is
:mod:`lrm.report.night_chart`, the interval histograms :mod:`lrm.report.imi_plots`.

Every figure is :data:`FIG_WIDTH_IN` wide with text of at least :data:`FONT_PT`: on a 390 px phone the
figure is shown about 364 px wide (0.76 of its 480 px), so 11 pt (14.7 px) text reads at 11 px; a desktop
shows it at most 600 px wide (18 px text).
Times on the x axes are local clock times of the recording's zone (:class:`lrm.report.clock.NightClock`),
with the zone named in the axis label; elapsed time when the recording's times are relative.
"""

from __future__ import annotations

import base64
import io

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch, StepPatch
from matplotlib.path import Path
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator

from lrm.report.clock import NightClock
from lrm.rules.rulesets import WASM2016

__all__ = [
    "CATEGORY_COLORS",
    "CATEGORY_LABELS",
    "FIG_WIDTH_IN",
    "FONT_PT",
    "event_categories",
    "figure_to_data_uri",
    "plot_duration_histogram",
    "plot_densest_series",
    "densest_series",
    "plot_nightly_index",
]

CATEGORY_LABELS = {
    "periodic": "PLM (periodic)",
    "isolated": "other leg movement",
    "hypnic_jerk": "hypnic jerk",
    "posture_change": "posture change",
    "other": "other movement",
}
#: row labels of the event rasters: short, so that 11 pt text fits the 1.25 in left margin
ROW_LABELS = {"periodic": "PLM", "isolated": "other LM", "hypnic_jerk": "hypnic jerk", "posture_change": "posture",
              "other": "other"}
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
FIG_WIDTH_IN = 5.0
"""Figure width in inches (480 CSS px): shown at most 1.25x on a desktop, 0.76x on a 390 px phone."""
FONT_PT = 11.0
"""Smallest text in a figure, in points: 11 px on a 390 px phone (module docstring)."""
LEFT_IN = 1.25
RIGHT_IN = 0.25
"""Right margin of a figure in inches."""
TICK_HALF_LABEL_IN = 0.4
"""Half the width in inches of an HH:MM:SS tick label at FONT_PT (8 characters of ~0.6 em: ~0.73 in), rounded up."""
ENVELOPE_BIN_S = 30.0  # the night chart shows the peak envelope per 30 s ...
MAX_ENVELOPE_BINS = 400  # ... or coarser: about one bin per pixel of the 3.6 in plot width at 110 dpi


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


def _new_figure(height_in: float, *, top_in: float = 0.2, bottom_in: float = 0.62, hspace: float = 0.12,
                left_in: float = LEFT_IN) -> Figure:
    """A white figure FIG_WIDTH_IN wide with fixed margins in inches (room for the longest row label);
    fixed margins instead of a layout engine keep a report under a second of drawing."""
    fig = Figure(figsize=(FIG_WIDTH_IN, height_in))
    fig.set_facecolor("white")
    fig.subplots_adjust(left=left_in / FIG_WIDTH_IN, right=1 - RIGHT_IN / FIG_WIDTH_IN, bottom=bottom_in / height_in,
                        top=1 - top_in / height_in, hspace=hspace)
    return fig


def style_axes(*axes) -> None:  # noqa: ANN002 - matplotlib Axes
    """Tick labels at FONT_PT on every axis given (also for ticks created later, at drawing)."""
    for ax in axes:
        ax.tick_params(labelsize=FONT_PT)


def hour_axis(ax, clock: NightClock, end_h: float) -> None:  # noqa: ANN001
    """x in hours since the start: ticks on whole clock hours (every 2 h beyond 6 h, so 11 pt labels do not
    touch on a phone), labelled in the recording's local time, the zone named in the axis label."""
    step_h = 2.0 if end_h > 6 else (1.0 if end_h > 2 else 0.25)
    first = 0.0
    if clock.start is not None:
        past_h = clock.start.minute / 60 + clock.start.second / 3600
        first = (step_h - past_h % step_h) % step_h
    ax.xaxis.set_major_locator(FixedLocator(np.arange(first, end_h + 1e-9, step_h)))
    if clock.has_clock:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: clock.format(x * 3600.0, "%H:%M")))
        ax.set_xlabel(f"clock time ({clock.zone})", fontsize=FONT_PT)
    else:
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:g} h"))
        ax.set_xlabel("time since the recording started", fontsize=FONT_PT)


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


def _draw_event_raster(ax, events: pd.DataFrame, *, x_scale: float, min_width: float = 0.0) -> None:  # noqa: ANN001
    """One row per category; each event a bar from onset to offset (x = time / x_scale), at least
    ``min_width`` wide so a brief event stays visible on a whole night's axis."""
    categories = event_categories(events)
    rows = [c for c in CATEGORY_LABELS if (categories == c).any()] or ["periodic"]
    for row, category in enumerate(reversed(rows)):
        chosen = events[categories == category]
        onset = chosen["onset_s"].to_numpy(float) / x_scale
        offset = np.maximum(chosen["offset_s"].to_numpy(float) / x_scale, onset + min_width)
        _add_bars(ax, onset, offset, row - 0.35, row + 0.35, color=CATEGORY_COLORS[category], edge_width=0.6)
    ax.set_yticks(range(len(rows)), [ROW_LABELS[c] for c in reversed(rows)])
    ax.set_ylim(-0.6, len(rows) - 0.4)


def plot_duration_histogram(events: pd.DataFrame, *, min_s: float = WASM2016.min_lm_s,
                            max_s: float = WASM2016.max_clm_one_leg_s) -> Figure:
    """Histogram of movement durations (s) in 0.25 s bins: leg movements and, overlaid, hypnic jerks;
    the leg-movement limits ``min_s`` and ``max_s`` (s) of the rule set are marked."""
    categories = event_categories(events)
    duration = (events["offset_s"] - events["onset_s"]).to_numpy(float)
    top = max(15.0, float(np.nanmax(duration)) if duration.size else 0.0)
    edges = np.arange(0, min(top, 60.0) + 0.25, 0.25)
    fig = _new_figure(2.9, left_in=0.85)
    ax = fig.add_subplot()
    style_axes(ax)
    for category in ("periodic", "isolated", "hypnic_jerk"):
        values = np.clip(duration[(categories == category).to_numpy()], 0, edges[-1])
        if values.size:
            counts, _ = np.histogram(values, bins=edges)
            _stairs(ax, counts, edges, color=CATEGORY_COLORS[category], alpha=0.75,
                    label=CATEGORY_LABELS[category])
    for limit in (min_s, max_s):
        ax.axvline(limit, color="black", linestyle="--", linewidth=1)
    ax.set_xlabel("movement duration (s)", fontsize=FONT_PT)
    ax.set_ylabel("movements", fontsize=FONT_PT)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    ax.set_xlim(0, edges[-1])
    if len(ax.get_legend_handles_labels()[0]):
        ax.legend(frameon=False, fontsize=FONT_PT)
    else:
        ax.text(0.5, 0.5, "no movements", transform=ax.transAxes, ha="center", va="center", color="#555555",
                fontsize=FONT_PT)
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


def plot_densest_series(events: pd.DataFrame, *, trace: pd.DataFrame | None = None,
                        clock: NightClock = NightClock(None, ""), max_window_s: float = 240.0) -> Figure | None:
    """Zoom on the densest PLM series (at most ``max_window_s`` s): per-leg envelope (g) when a trace is
    given, every event as a coloured bar, and each PLM's interval (s) to the previous movement above it.
    ``None`` when the night has no PLM series."""
    series = densest_series(events)
    if series is None:
        return None
    t0 = float(series["onset_s"].min()) - 15.0
    t1 = min(float(series["offset_s"].max()) + 15.0, t0 + max_window_s)
    window = events[(events["offset_s"] >= t0) & (events["onset_s"] <= t1)]
    sides = _sides(trace) if trace is not None else []
    fig = _new_figure(4.3 if sides else 2.7, top_in=0.6, hspace=0.2)
    axes = fig.subplots(2 if sides else 1, 1, sharex=True, height_ratios=[2, 1] if sides else [1], squeeze=False)[:, 0]
    style_axes(*axes)
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
        ax.set_ylabel("movement (g)", fontsize=FONT_PT)
        ax.set_ylim(bottom=0)
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.12), ncols=2, frameon=False, fontsize=FONT_PT)
    _draw_event_raster(axes[-1], window, x_scale=60.0)
    imi = pd.to_numeric(series.get("imi_s", pd.Series(dtype=float)), errors="coerce")
    shown = [(onset, value) for onset, value in zip(series["onset_s"], imi, strict=True)
             if np.isfinite(value) and t0 <= onset <= t1]
    for k, (onset, value) in enumerate(shown):  # every other label when they would touch (11 pt)
        if len(shown) <= 10 or k % 2 == 0:
            axes[0].annotate(f"{value:.0f}", (onset / 60, 1), xycoords=("data", "axes fraction"), xytext=(0, 2),
                             textcoords="offset points", ha="center", va="bottom", fontsize=FONT_PT)
    axes[-1].set_xlim(t0 / 60, t1 / 60)
    axes[-1].xaxis.set_major_locator(FixedLocator(_zoom_ticks_min(t0, t1, clock)))
    if clock.has_clock:
        axes[-1].xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: clock.format(x * 60.0, "%H:%M:%S")))
        axes[-1].set_xlabel(f"clock time ({clock.zone})", fontsize=FONT_PT)
    else:
        axes[-1].xaxis.set_major_formatter(FuncFormatter(
            lambda x, _pos: f"{int(x // 60)}:{int(x % 60):02d}:{int(round(x * 60)) % 60:02d}"))   # x in min
        axes[-1].set_xlabel("time since the recording started (h:mm:ss)", fontsize=FONT_PT)
    return fig


def _zoom_ticks_min(t0_s: float, t1_s: float, clock: NightClock) -> np.ndarray:
    """Tick positions (min since the start) for the series zoom from ``t0_s`` to ``t1_s`` (s): on whole clock
    half-minutes or minutes (0.5, 1, 2 or 5 min apart, the first that leaves 2 x TICK_HALF_LABEL_IN between
    labels, so HH:MM:SS labels never touch), none within half a label of the right end (it would be cut off
    at the figure's margin)."""
    width_in = FIG_WIDTH_IN - LEFT_IN - RIGHT_IN
    span_min = (t1_s - t0_s) / 60
    step = next((s for s in (0.5, 1.0, 2.0, 5.0) if s / span_min * width_in >= 2 * TICK_HALF_LABEL_IN), 5.0)
    past = 0.0 if clock.start is None else clock.start.minute + (clock.start.second + clock.start.microsecond / 1e6) / 60
    first = np.ceil((t0_s / 60 + past) / step - 1e-9) * step - past
    end_min = t1_s / 60 - TICK_HALF_LABEL_IN * span_min / width_in
    return np.arange(first, end_min + 1e-9, step)


def plot_nightly_index(labels: list[str], index_per_h: list[float | None], *, limit_per_h: float = 15.0,
                       ylabel: str = "PLM index (per hour)") -> Figure:
    """Each night's index (per hour) as a bar (orange above ``limit_per_h``), the median as a solid line and
    the limit (15/h adults, 5/h children; docs/scoring.md §2.2) dashed. Nights without an index are empty
    slots. ``labels``: one short label per night (its date)."""
    values = np.array([np.nan if v is None else v for v in index_per_h], float)
    many = len(labels) > 5
    fig = _new_figure(2.9 + (0.5 if many else 0), bottom_in=1.15 if many else 0.62, left_in=0.85)
    ax = fig.add_subplot()
    style_axes(ax)
    x = np.arange(len(labels))
    ax.bar(x, np.nan_to_num(values), color=np.where(values > limit_per_h, "#D55E00", "#0072B2"), width=0.7)
    ax.axhline(limit_per_h, color="black", linestyle="--", linewidth=1, label=f"{limit_per_h:g}/h limit")
    if np.isfinite(values).any():
        ax.axhline(float(np.nanmedian(values)), color="#555555", linewidth=1.5, label="median")
    step = max(1, int(np.ceil(len(labels) / 12)))  # at most 12 labels: 11 pt dates must not touch
    ax.set_xticks(x[::step], labels[::step], rotation=45 if many else 0, ha="right" if many else "center")
    ax.set_ylabel(ylabel, fontsize=FONT_PT)
    ax.set_ylim(0, max(float(np.nanmax(values)) if np.isfinite(values).any() else 0, limit_per_h) * 1.2)
    ax.legend(frameon=False, fontsize=FONT_PT, loc="upper left", ncols=2)
    return fig
