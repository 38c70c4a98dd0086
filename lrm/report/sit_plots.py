"""Figures of the SIT report: the test minute by minute, movements per 10 min, several SITs side by side.

Each ``plot_*`` returns a matplotlib Figure built without pyplot (safe anywhere); times are minutes since
the test start. Inputs are the files of a SIT directory (sit.json, sit_events.csv, sit_bins.csv).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

__all__ = ["plot_sit_timeline", "plot_sit_bins", "plot_sits"]

SIDE_ROWS = {"left": 2.0, "right": 1.0, "bilateral": 1.5}
PLM_COLOR, LM_COLOR, EXCLUDED_COLOR, RATING_COLOR = "#D55E00", "#0072B2", "#BBBBBB", "#7B3294"


def _figure(height_in: float) -> Figure:
    fig = Figure(figsize=(9.0, height_in), dpi=100)
    fig.subplots_adjust(left=0.1, right=0.9, top=0.92, bottom=0.2)
    return fig


def plot_sit_timeline(summary: dict[str, Any], events: pd.DataFrame) -> Figure:
    """Every scored movement over the test (PLMs orange), left-out stretches grey, discomfort answers."""
    fig = _figure(3.2)
    ax = fig.add_subplot(1, 1, 1)
    elapsed = float(summary.get("elapsed_min") or 0.0)
    for b in summary.get("posture", {}).get("breaks", []):
        ax.axvspan(b["start_min"], b["end_min"], color=EXCLUDED_COLOR, alpha=0.5, lw=0)
    if len(events):
        t = events["test_min"].to_numpy(float)
        d = events["duration_s"].to_numpy(float) / 60.0
        y = events["side"].map(SIDE_ROWS).fillna(1.5).to_numpy(float)
        plm = events["in_plm_series"].to_numpy(bool)
        for mask, color in ((~plm, LM_COLOR), (plm, PLM_COLOR)):
            ax.hlines(y[mask], t[mask], t[mask] + d[mask], color=color, lw=4)
            ax.scatter(t[mask], y[mask], marker="|", s=300, color=color, linewidths=1.5)
    ax.set_yticks([1.0, 1.5, 2.0], ["right", "both", "left"])
    ax.set_ylim(0.5, 2.5)
    ax.set_xlim(0, max(elapsed, 1.0))
    ax.set_xlabel("minutes since the test started")
    ratings = [r for r in summary.get("ratings", []) if isinstance(r, dict)]
    if ratings:
        ax2 = ax.twinx()
        m = np.array([r["minute"] for r in ratings], float)
        v = np.array([np.nan if r["value"] is None else r["value"] for r in ratings], float)
        ok = np.isfinite(v)
        ax2.plot(m[ok], v[ok], "o-", color=RATING_COLOR, lw=1.5, ms=5)
        ax2.plot(m[~ok], np.zeros((~ok).sum()), "x", color=RATING_COLOR, ms=7)
        ax2.set_ylim(-0.5, 10.5)
        ax2.set_ylabel("leg discomfort (0-10)", color=RATING_COLOR)
    ax.set_title("Orange: periodic (in a series), blue: other movements, grey: left out, purple: your answers "
                 "(x: no answer)", fontsize=9)
    return fig


def plot_sit_bins(bins: pd.DataFrame) -> Figure | None:
    """Movements per hour in each 10 min of the test (LMs and PLMs), over the valid time of each bin."""
    if bins is None or not len(bins):
        return None
    fig = _figure(2.8)
    ax = fig.add_subplot(1, 1, 1)
    centre = (bins["start_min"] + bins["end_min"]).to_numpy(float) / 2
    width = (bins["end_min"] - bins["start_min"]).to_numpy(float) * 0.4
    lm = pd.to_numeric(bins["lm_index"], errors="coerce").to_numpy(float)
    plm = pd.to_numeric(bins["plm_index"], errors="coerce").to_numpy(float)
    ax.bar(centre - width / 2, np.nan_to_num(lm), width=width, color=LM_COLOR, label="all movements")
    ax.bar(centre + width / 2, np.nan_to_num(plm), width=width, color=PLM_COLOR, label="periodic (WASM 2016)")
    ax.set_xlabel("minutes since the test started")
    ax.set_ylabel("per hour")
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    return fig


def plot_sits(names: list[str], original: list[float | None], wasm: list[float | None],
              discomfort: list[float | None], *, cutoff: float = 40.0) -> Figure:
    """SIT-PLM index per test (original intervals, with the 40/h line, and WASM 2016) and mean discomfort."""
    fig = _figure(3.0)
    ax = fig.add_subplot(1, 1, 1)
    x = np.arange(len(names))
    ax.bar(x - 0.2, [np.nan if v is None else v for v in original], width=0.4, color=PLM_COLOR,
           label="SIT-PLM index, original intervals (4-90 s)")
    ax.bar(x + 0.2, [np.nan if v is None else v for v in wasm], width=0.4, color=LM_COLOR,
           label="SIT-PLM index, WASM 2016 (10-90 s)")
    ax.axhline(cutoff, color="k", ls="--", lw=1)
    ax.set_xticks(x, names, rotation=0 if len(names) < 6 else 30, fontsize=8)
    ax.set_ylabel("per hour of valid time")
    ax.legend(fontsize=8, frameon=False, loc="upper left")
    if any(v is not None for v in discomfort):
        ax2 = ax.twinx()
        ax2.plot(x, [np.nan if v is None else v for v in discomfort], "o", color=RATING_COLOR, ms=7)
        ax2.set_ylim(-0.5, 10.5)
        ax2.set_ylabel("mean leg discomfort (0-10)", color=RATING_COLOR)
    return fig
