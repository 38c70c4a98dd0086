"""Event review: a close-up of each leg's acceleration around every hypnic jerk and a sample of PLMs per series.

The way a scorer checks an event: the signal from 5 s before to 15 s after its onset, the event shaded. The
windows come from the night directory's snippets (:mod:`lrm.signal.snippets`, cut at analysis time; the
events are chosen by :func:`lrm.rules.review.select_review_events`). Each close-up is a small inline SVG
written here, not a matplotlib figure: eighty of them draw in milliseconds, their text stays text, and with
a 360-unit view box and 11-unit text they read at 11 px on a 390 px phone.

Each axis (x, y, z) is drawn as its change from the median of the window's first second (gravity
removed, so the three axes share one scale around zero); the scale (g) is common to both legs of a
close-up, so their amplitudes compare, and fits the event and 1 s either side of it: a larger movement
elsewhere in the window (a roll-over turning the leg by ~1 g of gravity) is drawn clipped at the panel's
edge instead of flattening the event to a line. Where more samples than drawing units fall in a window, the sample
farthest from zero in each pair is kept, so a brief jerk is never thinned away.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import pandas as pd
from markupsafe import Markup, escape

from lrm.report.clock import NightClock
from lrm.report.plots import CATEGORY_COLORS, event_categories
from lrm.signal.snippets import Snippets

__all__ = ["CloseUp", "close_ups", "render_close_up", "AXIS_COLORS"]

AXIS_COLORS = ("#0072B2", "#D55E00", "#009E73")   # x, y, z (Okabe-Ito)
WIDTH, LEFT, RIGHT, PANEL_H, GAP, AXIS_H = 360, 60, 8, 62, 8, 18
FONT = 11
PLOT_W = WIDTH - LEFT - RIGHT


@dataclass(frozen=True, slots=True)
class CloseUp:
    """One close-up: its anchor id (``event-K``), what the event is, when, and the inline SVG."""

    id: str
    onset_s: float
    kind: str
    clock: str
    detail: str
    svg: Markup
    in_print: bool = True        # the printed report keeps every jerk and one PLM per series
    link_text: str = "view"      # what a table's link to it reads: a PLM's rank in its series


def _decimate(values: npt.NDArray[np.float64], factor: int) -> npt.NDArray[np.float64]:
    """Keep, of every ``factor`` samples, the one farthest from zero (NaN when all are NaN).

    >>> _decimate(np.array([0.1, -0.5, 0.2, np.nan, np.nan, np.nan]), 2).tolist()
    [-0.5, 0.2, nan]
    """
    if factor <= 1:
        return values
    n = values.size // factor * factor
    blocks = values[:n].reshape(-1, factor)
    size = np.where(np.isnan(blocks), -1.0, np.abs(blocks))
    return blocks[np.arange(blocks.shape[0]), np.argmax(size, axis=1)]


def _change(window: npt.NDArray[np.float32], rest: int) -> npt.NDArray[np.float64]:
    """Each axis minus its median over the first ``rest`` samples (over the whole window if those are
    missing): the movement, without gravity. All NaN stays NaN."""
    values = window.astype(np.float64)
    for part in (values[:rest], values):
        if np.isfinite(part).any(axis=0).all():
            return values - np.nanmedian(part, axis=0)
    return values


def _path(x: npt.NDArray[np.float64], y: npt.NDArray[np.float64]) -> str:
    """SVG path data through (x, y), broken where y is NaN; whole units (one unit ~ one px on a phone).

    >>> _path(np.array([0.0, 1, 2, 3]), np.array([5.0, np.nan, 7.2, 8]))
    'M0 5M2 7L3 8'
    """
    ok = np.isfinite(y)
    start = ok & ~np.concatenate(([False], ok[:-1]))
    xs, ys = np.round(x[ok]).astype(int).tolist(), np.round(y[ok]).astype(int).tolist()
    pens = np.where(start[ok], "M", "L").tolist()
    return "".join([f"{p}{a} {b}" for p, a, b in zip(pens, xs, ys, strict=True)])


def render_close_up(windows: dict[str, npt.NDArray[np.float32]], *, fs_hz: float, pre_s: float, duration_s: float,
                    color: str, label: str) -> Markup:
    """The inline SVG of one close-up. ``windows``: per leg (n, 3) acceleration in g; the event lasts
    ``duration_s`` from ``pre_s`` s into the window; ``label`` is the SVG's accessible name."""
    legs = list(windows)
    n = next(iter(windows.values())).shape[0] if windows else 0
    change = {leg: _change(w, max(1, int(round(fs_hz)))) for leg, w in windows.items()}
    # the scale fits the event (shaded) and 1 s either side of it: a roll-over a few seconds later, ~1 g of
    # gravity turning, would otherwise flatten a 20 mg LM to a line; larger movement is drawn clipped
    first = max(0, int(round((pre_s - 1.0) * fs_hz)))
    last = min(n, int(math.ceil((pre_s + max(duration_s, 0.04) + 1.0) * fs_hz)))
    around = [c[first:last] for c in change.values() if np.isfinite(c[first:last]).any()]
    around = around or [c for c in change.values() if np.isfinite(c).any()]   # no data at the event itself
    peak = max([float(np.nanmax(np.abs(c))) for c in around] + [0.005])
    span_s = n / fs_hz if fs_hz else 1.0
    to_x = lambda t_s: LEFT + t_s / span_s * PLOT_W  # noqa: E731 - t_s from the window's start
    height = len(legs) * (PANEL_H + GAP) + AXIS_H
    out = [f'<svg viewBox="0 0 {WIDTH} {height}" role="img" aria-label="{escape(label)}" font-size="{FONT}">']
    x0, x1 = to_x(pre_s), to_x(min(pre_s + max(duration_s, 0.04), span_s))
    out.append(f'<rect x="{x0:.1f}" y="0" width="{max(x1 - x0, 1.0):.1f}" height="{height - AXIS_H}" fill="{color}" '
               'fill-opacity="0.18"/>')
    factor = max(1, math.ceil(n / PLOT_W))
    x = to_x((np.arange(n // factor) * factor + factor / 2) / fs_hz) if n else np.array([])
    for row, leg in enumerate(legs):
        top = row * (PANEL_H + GAP)
        mid = top + PANEL_H / 2
        out.append(f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{mid}" y2="{mid}" stroke="#cccccc" stroke-width="0.6"/>')
        out.append(f'<text x="2" y="{top + 14}" fill="#1b1b1b">{escape(leg)}</text>')
        out.append(f'<text x="2" y="{top + 30}" fill="#5a5a5a">&#177;{peak:.2g} g</text>')
        if not np.isfinite(change[leg]).any():
            out.append(f'<text x="{LEFT + 8}" y="{mid + 4}" fill="#5a5a5a">no data</text>')
            continue
        for axis in range(3):
            y = mid - np.clip(_decimate(change[leg][:, axis], factor) / peak, -1.0, 1.0) * (PANEL_H / 2 - 2)
            out.append(f'<path d="{_path(x, y)}" fill="none" stroke="{AXIS_COLORS[axis]}" stroke-width="1.1"/>')
    base = len(legs) * (PANEL_H + GAP)
    for t_s in np.arange(0.0, span_s + 1e-9, 5.0):
        tick = t_s - pre_s
        text = f"{tick:+.0f} s" if tick else "onset"
        anchor = "start" if t_s == 0 else ("end" if t_s >= span_s - 1e-9 else "middle")
        out.append(f'<text x="{to_x(t_s):.1f}" y="{base + 12}" text-anchor="{anchor}" fill="#5a5a5a">{text}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def _describe(category: str, series_id: float, position: tuple[int, int] | None) -> str:
    if category == "hypnic_jerk":
        return "hypnic jerk"
    if category == "periodic":
        return f"PLM {position[0]} of {position[1]}, series {int(series_id)}" if position and np.isfinite(series_id) else "PLM"
    return {"isolated": "leg movement", "posture_change": "posture change"}.get(category, "movement")


def _series_positions(categories: pd.Series, series_id: npt.NDArray[np.float64]) -> dict[int, tuple[int, int]]:
    """Row position -> (rank within its PLM series, the series' length)."""
    out: dict[int, tuple[int, int]] = {}
    rows = np.flatnonzero((categories == "periodic").to_numpy() & np.isfinite(series_id))
    for sid in np.unique(series_id[rows]):
        members = rows[series_id[rows] == sid]
        out.update({int(r): (k, members.size) for k, r in enumerate(members, start=1)})
    return out


def _detail(duration_s: float, side: str, peak_g: float) -> str:
    parts = [f"{duration_s:.2f} s"]
    if side:
        parts.append(f"{side} leg" if side in ("left", "right") else side)
    if np.isfinite(peak_g):
        parts.append(f"peak {peak_g:.2g} g")
    return ", ".join(parts)


def close_ups(events: pd.DataFrame, snippets: Snippets | None, clock: NightClock) -> list[CloseUp]:
    """A close-up per stored window, matched to its event by onset (1 ms), hypnic jerks first, then by time;
    the printed report keeps every jerk and the first close-up of each PLM series (``in_print``)."""
    if snippets is None or not len(snippets) or not snippets.accel_g:
        return []
    categories = event_categories(events)
    onset, offset = events["onset_s"].to_numpy(float), events["offset_s"].to_numpy(float)
    series_id = pd.to_numeric(events["series_id"], errors="coerce").to_numpy(float) if "series_id" in events \
        else np.full(len(events), np.nan)
    side = events["side"].astype(str).to_numpy() if "side" in events else np.full(len(events), "")
    peak = pd.to_numeric(events["peak_g"], errors="coerce").to_numpy(float) if "peak_g" in events \
        else np.full(len(events), np.nan)
    positions = _series_positions(categories, series_id)
    items = []
    for k, anchor in enumerate(snippets.onset_s):
        near = np.flatnonzero(np.abs(onset - anchor) <= 1e-3)
        i = int(near[0]) if near.size else None
        category = str(categories.iloc[i]) if i is not None else "other"
        kind = _describe(category, series_id[i], positions.get(i)) if i is not None else "event"
        duration = float(offset[i] - onset[i]) if i is not None else 0.0
        svg = render_close_up({s: values[k] for s, values in snippets.accel_g.items()}, fs_hz=snippets.fs_hz,
                              pre_s=snippets.pre_s, duration_s=duration, color=CATEGORY_COLORS.get(category, "#999999"),
                              label=f"{kind} at {clock.format(anchor)}")
        detail = _detail(duration, side[i] if i is not None and side[i] not in ("", "<NA>", "nan") else "",
                         peak[i] if i is not None else np.nan)
        rank = positions.get(i) if i is not None and category == "periodic" else None
        items.append(CloseUp(f"event-{k + 1}", float(anchor), kind, clock.format(anchor), detail, svg,
                             link_text=str(rank[0]) if rank else "view"))
    items.sort(key=lambda c: (c.kind != "hypnic jerk", c.onset_s))
    seen: set[str] = set()
    for k, item in enumerate(items):
        series = item.kind.rpartition("series ")[2] if item.kind.startswith("PLM") else ""
        if series:
            items[k] = replace(item, in_print=series not in seen)
            seen.add(series)
    return items
