"""The report's clinical tables built from the events: PLM series, hypnic jerks and the per-stage table.

Times are local clock times (:class:`lrm.report.clock.NightClock`); each row links to the close-ups of its
events (``#event-K``, :mod:`lrm.report.review`) when the night stored them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from lrm.io.hypnogram import Hypnogram
from lrm.report.clock import NightClock
from lrm.report.plots import event_categories
from lrm.report.review import CloseUp
from lrm.rules.rulesets import RuleSet
from lrm.rules.stage_table import STAGE_COLUMNS, stage_table

__all__ = ["series_rows", "jerk_rows", "stage_rows", "STAGE_ROW_LABELS"]

#: per-stage table rows: key -> (label as MATPLM-Score prints it, plain meaning, unit, decimals)
STAGE_ROW_LABELS: dict[str, tuple[str, str, str, int]] = {
    "time_h": ("Time in stage", "hours in the column's stage(s)", "h:mm:ss", 0),
    "clm_nr_index": ("CLMnr", "candidate LMs, respiratory-related removed", "/h", 1),
    "plm_nr_index": ("PLMnr", "PLMs, respiratory-related removed", "/h", 1),
    "plm_nr_arousal_index": ("PLMnr_a", "of those, with an arousal", "/h", 1),
    "pi_nr": ("PInr", "PLMnr / CLMnr", "ratio", 2),
    "imi_nr_geo_mean_s": ("IMInr", "interval in series, geometric mean", "s", 1),
    "imi_nr_geo_sd": ("IMInr", "interval in series, geometric SD", "x", 2),
    "clm_index": ("CLM", "candidate leg movements", "/h", 1),
    "plm_index": ("PLM", "periodic limb movements", "/h", 1),
    "plm_arousal_index": ("PLMa", "PLMs with an arousal", "/h", 1),
    "pi": ("PI", "PLM / CLM", "ratio", 2),
    "imi_geo_mean_s": ("IMI", "interval in series, geometric mean", "s", 1),
    "imi_geo_sd": ("IMI", "interval in series, geometric SD", "x", 2),
}
_SIDE_SHORT = {"left": "L", "right": "R", "bilateral": "both"}


def _links(onsets: np.ndarray, anchors: Mapping[float, tuple[str, str]]) -> list[tuple[str, str]]:
    """(id, link text) of the close-ups of the events at ``onsets`` (s) that have one."""
    keys = np.array(sorted(anchors)) if anchors else np.array([])
    out = []
    for onset in onsets:
        if keys.size:
            k = int(np.argmin(np.abs(keys - onset)))
            if abs(keys[k] - onset) <= 1e-3:
                out.append(anchors[float(keys[k])])
    return out


def series_rows(events: pd.DataFrame, clock: NightClock, close_ups: Sequence[CloseUp] = ()) -> list[dict[str, Any]]:
    """One row per PLM series: start and end (clock), minutes, PLMs, mean IMI (s), sides, stages, close-ups."""
    plm = events[(event_categories(events) == "periodic").to_numpy()]
    series = pd.to_numeric(plm["series_id"], errors="coerce") if "series_id" in plm else pd.Series(dtype=float)
    anchors = {c.onset_s: (c.id, c.link_text) for c in close_ups}
    rows = []
    for sid, group in plm.groupby(series):
        onset_s = group["onset_s"].to_numpy(float)
        imi = pd.to_numeric(group["imi_s"], errors="coerce").to_numpy(float)[1:]  # the first IMI leads into the series
        sides = group["side"].astype(str).value_counts()
        stages = group["stage"].dropna().astype(str).value_counts() if "stage" in group else pd.Series(dtype=int)
        rows.append({
            "id": int(sid), "start": clock.format(onset_s[0]), "end": clock.format(float(group["offset_s"].max())),
            "minutes": f"{(float(group['offset_s'].max()) - onset_s[0]) / 60:.1f}", "plms": len(group),
            "mean_imi": f"{np.nanmean(imi):.1f}" if np.isfinite(imi).any() else "-",
            "sides": ", ".join(f"{_SIDE_SHORT.get(k, k or '?')} {v}" for k, v in sides.items()),
            "stages": ", ".join(f"{'REM' if k == 'R' else k} {v}" for k, v in stages.items()),
            "links": _links(onset_s, anchors),
        })
    return rows


def jerk_rows(events: pd.DataFrame, clock: NightClock, close_ups: Sequence[CloseUp] = ()) -> list[dict[str, Any]]:
    """One row per hypnic jerk: clock time, duration (s), side, peak (g), confidence (0.5-1, the weakest of the
    criteria of docs/scoring.md §3.1), why it was classed (its ``jerk_reason``, the weakest criterion named
    apart) and its close-up. A night directory written before lrm stated them shows "-" and no reason."""
    jerks = events[events["type"].astype(str) == "hypnic_jerk"]
    anchors = {c.onset_s: (c.id, c.link_text) for c in close_ups}
    rows = []
    for _, jerk in jerks.iterrows():
        peak, conf = pd.to_numeric(pd.Series([jerk.get("peak_g"), jerk.get("jerk_confidence")]), errors="coerce")
        reason, weakest = _jerk_reason(jerk.get("jerk_reason"))
        rows.append({"clock": clock.format(jerk["onset_s"]), "duration": f"{jerk['offset_s'] - jerk['onset_s']:.2f}",
                     "side": str(jerk.get("side") or "unknown"), "peak": "" if pd.isna(peak) else f"{peak:.2g}",
                     "confidence": "-" if pd.isna(conf) else f"{conf:.2f}", "reason": reason, "weakest": weakest,
                     "links": _links(np.array([jerk["onset_s"]]), anchors)})
    return rows


def _jerk_reason(value: object) -> tuple[str, str]:
    """(why a jerk was classed, its weakest criterion) from a ``jerk_reason`` cell ("" for a missing one).

    >>> _jerk_reason("burst 0.12 s, both legs; weakest: size")
    ('burst 0.12 s, both legs', 'size')
    """
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "", ""
    text, _, weakest = str(value).partition("; weakest: ")
    return text, weakest


def _cell(value: float, unit: str, decimals: int) -> str:
    if not np.isfinite(value):
        return "-"
    if unit == "h:mm:ss":
        whole = int(round(value * 3600))
        return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"
    return f"{value:.{decimals}f}"


def stage_rows(events: pd.DataFrame, hypnogram: Hypnogram, summary: Mapping[str, Any],
               rules: RuleSet) -> tuple[list[str], list[dict[str, Any]]]:
    """(columns, rows) of the per-stage table (:func:`lrm.rules.stage_table.stage_table`), formatted."""
    period = (summary.get("lights_out_s"), summary.get("lights_on_s"))
    table = stage_table(events, hypnogram, rules=rules, time_in_bed_h=float(summary["time_in_bed_h"]),
                        period=period if None not in period else None,
                        respiratory_scored=summary.get("respiratory_event_count") is not None,
                        arousals_scored=summary.get("arousal_count") is not None)
    rows = []
    for key, values in table.iterrows():
        name, meaning, unit, decimals = STAGE_ROW_LABELS[str(key)]
        rows.append({"key": key, "name": name, "meaning": meaning, "unit": unit,
                     "values": [_cell(float(v), unit, decimals) for v in values]})
    return list(STAGE_COLUMNS), rows
