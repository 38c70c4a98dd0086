"""Histograms of the intervals between candidate leg movements, in both conventions.

Top: 2 s bins over 0-90 s, with the intervals above 90 s in one last bar (the linear histogram of SOMAS and
MATPLM-Score). Bottom: Ferri's log-scale histogram (bins of 0.25 in ln IMI from 1 s to 148 s; docs/scoring.md
§2.1). The intervals are those between consecutive CLMs, as summary.json's ``clm_imi_histogram`` and
``clm_imi_log_histogram`` count them. When respiratory events were scored the histogram is drawn twice:
all CLMs (filled) and without the respiratory-related CLMs (CLMr left out and the intervals recomputed,
§1.2 step 10; a black outline). The rule set's periodic range is shaded.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter, MaxNLocator, NullFormatter

from lrm.report.plots import FONT_PT, _new_figure, _stairs, style_axes
from lrm.rules.histogram import LINEAR_IMI_EDGES_S, LOG_IMI_EDGES_S, clm_imis
from lrm.rules.rulesets import RuleSet

__all__ = ["interval_sets", "plot_imi_histograms", "OVERFLOW_WIDTH_S"]

OVERFLOW_WIDTH_S = 6.0
"""Width (s) of the linear histogram's last bar, which holds every interval above 90 s."""
ALL_COLOR, NR_COLOR, RANGE_COLOR = "#0072B2", "black", "#FBE3D6"


def interval_sets(events: pd.DataFrame, *, respiratory_scored: bool) -> dict[str, np.ndarray]:
    """IMIs (s) between consecutive CLMs: ``"all"``, and ``"nr"`` (without CLMr) when respiratory events were scored."""
    lms = events[events["type"].astype(str) == "lm"].sort_values("onset_s", kind="stable")
    onset_s, is_clm = lms["onset_s"].to_numpy(float), lms["is_clm"].to_numpy(bool)
    sets = {"all": clm_imis(onset_s, is_clm)}
    if respiratory_scored:
        resp = pd.to_numeric(lms.get("respiratory", pd.Series(0, index=lms.index)), errors="coerce").fillna(0).to_numpy() == 1
        sets["nr"] = clm_imis(onset_s, is_clm, removed=resp & is_clm)
    return sets


def _linear_counts(imi_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    edges = np.append(LINEAR_IMI_EDGES_S, LINEAR_IMI_EDGES_S[-1] + OVERFLOW_WIDTH_S)
    counts, _ = np.histogram(np.minimum(imi_s, edges[-1] - 1e-9), bins=edges)
    return counts, edges


def _panel(ax, sets: dict[str, np.ndarray], counts_of, rules: RuleSet) -> None:  # noqa: ANN001
    ax.axvspan(rules.imi_min_s, rules.imi_max_s, color=RANGE_COLOR, zorder=0, linewidth=0)
    counts, edges = counts_of(sets["all"])
    _stairs(ax, counts, edges, color=ALL_COLOR, alpha=0.75, label="all CLMs" if "nr" in sets else None)
    if "nr" in sets:
        nr, _ = counts_of(sets["nr"])
        ax.stairs(nr, edges, color=NR_COLOR, linewidth=1.3, label="without respiratory-related")
    for limit in (rules.imi_min_s, rules.imi_max_s):
        ax.axvline(limit, color="black", linestyle="--", linewidth=1)
    ax.set_ylabel("intervals", fontsize=FONT_PT)
    ax.yaxis.set_major_locator(MaxNLocator(nbins=4, integer=True))
    if not sets["all"].size:
        ax.text(0.5, 0.5, "no intervals between CLMs", transform=ax.transAxes, ha="center", va="center",
                color="#555555", fontsize=FONT_PT)


def plot_imi_histograms(events: pd.DataFrame, *, rules: RuleSet, respiratory_scored: bool = False) -> Figure:
    """The two IMI histograms (module docstring), stacked; the rule set's range ``imi_min_s``-``imi_max_s`` shaded."""
    sets = interval_sets(events, respiratory_scored=respiratory_scored)
    fig = _new_figure(5.4, top_in=0.45 if "nr" in sets else 0.2, bottom_in=0.62, hspace=0.55, left_in=0.85)
    linear, log = fig.subplots(2, 1)
    style_axes(linear, log)
    _panel(linear, sets, _linear_counts, rules)
    linear.set_xlim(0, LINEAR_IMI_EDGES_S[-1] + OVERFLOW_WIDTH_S)
    linear.xaxis.set_major_locator(FixedLocator([0, 10, 20, 30, 40, 50, 60, 70, 80, 93]))
    linear.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: ">90" if x > 90 else f"{x:g}"))
    linear.set_xlabel("interval between CLM onsets (s), 2 s bins", fontsize=FONT_PT)
    _panel(log, sets, lambda imi: np.histogram(imi, bins=LOG_IMI_EDGES_S), rules)
    log.set_xscale("log")
    log.set_xlim(LOG_IMI_EDGES_S[0], LOG_IMI_EDGES_S[-1])
    log.xaxis.set_major_locator(FixedLocator([1, 2, 5, 10, 20, 50, 100]))
    log.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:g}"))
    log.xaxis.set_minor_formatter(NullFormatter())
    log.set_xlabel("interval between CLM onsets (s), log scale", fontsize=FONT_PT)
    if "nr" in sets:
        linear.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), ncols=2, frameon=False, fontsize=FONT_PT)
    return fig
