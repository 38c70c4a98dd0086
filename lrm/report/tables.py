"""Tables and value formatting of the report, from the summary.json mapping and the events table.

Every summary key is optional: a missing or null value shows as "not available" (core indices) or is
left out (values that do not apply, such as sleep-stage indices without a hypnogram). Units come from
the key's suffix (STYLE.md §2: ``_s``, ``_h``, ``_pct``, ``_hz``, ``_ppm``...).
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd

from lrm.rules.rulesets import RuleSet
from lrm.report import plots
from lrm.report.redact import file_name

__all__ = [
    "INDEX_ROWS",
    "format_value",
    "unit_for",
    "flatten",
    "rows_of",
    "index_rows",
    "other_value_rows",
    "side_table",
    "input_file_table",
    "rules_table",
]

# (summary key, label, unit) for the indices table, in clinical reading order (formats.md §5.1); keys as
# written by lrm.rules.summary.NightSummary and lrm.pipeline.NightResult.summary_dict.
INDEX_ROWS: tuple[tuple[str, str, str], ...] = (
    ("duration_h", "Recording length", "h"),
    ("time_in_bed_gross_h", "Time in bed (lights out to lights on)", "h"),
    ("time_in_bed_h", "Analysis period (time in bed with data on every leg)", "h"),
    ("rest_period_source", "Time in bed taken from", ""),
    ("estimated_sleep_h", "Estimated sleep (from movement; not a hypnogram)", "h"),
    ("sleep_latency_min", "Estimated time to fall asleep", "min"),
    ("total_sleep_time_h", "Total sleep time (hypnogram)", "h"),
    ("wake_time_h", "Wake within the period (hypnogram)", "h"),
    ("n1_time_h", "N1 sleep", "h"),
    ("n2_time_h", "N2 sleep", "h"),
    ("n3_time_h", "N3 sleep", "h"),
    ("rem_time_h", "REM sleep", "h"),
    ("lm_count", "Leg movements (LM)", "count"),
    ("left_lm_count", "LM on the left leg only", "count"),
    ("right_lm_count", "LM on the right leg only", "count"),
    ("bilateral_lm_count", "LM on both legs (bilateral)", "count"),
    ("dropped_short_lm_count", "Movements shorter than 0.5 s (not counted)", "count"),
    ("non_clm_count", "LM too long or too complex to be candidates (non-CLM)", "count"),
    ("lm_index", "LM index", "per h"),
    ("clm_count", "Candidate leg movements (CLM)", "count"),
    ("clm_index", "CLM index", "per h"),
    ("short_imi_clm_count", "CLM after a short interval (< 10 s)", "count"),
    ("isolated_clm_count", "Isolated CLM (not in a series)", "count"),
    ("short_imi_index", "Short-interval CLM index", "per h"),
    ("isolated_lm_index", "Isolated LM index", "per h"),
    ("plm_count", "Periodic limb movements (PLM)", "count"),
    ("plm_index", "PLM index", "per h in bed"),
    ("clms_index", "CLMS index (CLMs in sleep)", "per h of sleep"),
    ("plms_index", "PLMS index (PLMs in sleep)", "per h of sleep"),
    ("plmw_index", "PLMW index (PLMs in wake)", "per h of wake"),
    ("plms_n1_index", "PLMS index in N1", "per h of N1"),
    ("plms_n2_index", "PLMS index in N2", "per h of N2"),
    ("plms_n3_index", "PLMS index in N3", "per h of N3"),
    ("plms_nrem_index", "PLMS index in NREM sleep", "per h of NREM"),
    ("plms_rem_index", "PLMS index in REM sleep", "per h of REM"),
    ("respiratory_event_count", "Respiratory events given", "count"),
    ("clmr_count", "Respiratory-related CLM (CLMr)", "count"),
    ("clm_nr_index", "CLM index, respiratory-related removed", "per h"),
    ("plm_nr_index", "PLM index, respiratory-related removed", "per h"),
    ("plms_nr_index", "PLMS index, respiratory-related removed", "per h of sleep"),
    ("arousal_count", "Arousals given", "count"),
    ("plm_arousal_index", "PLM-arousal index", "per h"),
    ("plms_arousal_index", "PLMS-arousal index", "per h of sleep"),
    ("plm_series_count", "PLM series", "count"),
    ("plm_series_mean_length", "Mean series length", "movements"),
    ("periodicity_index", "Periodicity index (Ferri, share of intervals in periodic runs, 0-1)", "ratio"),
    ("plm_clm_ratio", "PLM / CLM ratio (movement form of the periodicity index)", "ratio"),
    ("plm_imi_geometric_mean_s", "Typical interval in PLM series (geometric mean)", "s"),
    ("plm_imi_log_sd", "SD of ln(interval) in PLM series", "ln s"),
    ("imi_log_mean", "Mean ln(IMI), 10-90 s", "ln s"),
    ("imi_log_sd", "SD of ln(IMI), 10-90 s", "ln s"),
    ("lm_duration_mean_s", "LM duration, mean", "s"),
    ("lm_duration_median_s", "LM duration, median", "s"),
    ("lm_duration_sd_s", "LM duration, SD", "s"),
    ("plm_duration_mean_s", "PLM duration, mean", "s"),
    ("plm_duration_median_s", "PLM duration, median", "s"),
    ("hypnic_jerk_count", "Hypnic jerks (not counted as LM)", "count"),
    ("posture_change_count", "Posture changes", "count"),
)
CORE_INDEX_KEYS = frozenset({"time_in_bed_h", "lm_count", "lm_index", "plm_count", "plm_index", "plm_series_count",
                             "periodicity_index", "hypnic_jerk_count"})
# Keys shown in their own sections (not repeated under "Other values").
OWN_SECTION_KEYS = frozenset(
    {"rules", "rules_description", "params", "quality", "input_files", "lrm_version", "subject_id", "subject",
     "recording_start", "schema_version", "params_digest", "warnings", "clock", "timezone"}
)
SUFFIX_UNITS = (
    ("_pct", "%"), ("_ppm", "ppm"), ("_hz", "Hz"), ("_h", "h"), ("_min", "min"), ("_s", "s"), ("_g", "g"),
    ("_index", "per h"),
    ("_count", "count"), ("_bytes", "bytes"),
)
TYPE_LABELS = {"periodic": "PLM (in a series)", "isolated": "Other leg movements", "hypnic_jerk": "Hypnic jerks",
               "posture_change": "Posture changes", "other": "Other movements"}


def format_value(value: Any, unit: str = "", *, na: str = "not available") -> str:
    """A summary value as text: numbers rounded for reading, ``None``/NaN as "not available".

    >>> format_value(12.3456, "per h"), format_value(None), format_value(3, "count"), format_value(0.000123)
    ('12.3 per h', 'not available', '3', '0.000123')
    """
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return na
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}".replace(",", " ") + ("" if unit in ("", "count") else f" {unit}")
    if isinstance(value, float):
        digits = 2 if unit in ("ratio", "ln s") else 1
        if abs(value) >= 1000 or value == 0 or abs(value) >= 10 ** (-digits):
            text_ = f"{value:.{digits}f}" if abs(value) < 1e6 else f"{value:.4g}"
        else:
            text_ = f"{value:.3g}"
        return text_ if unit in ("", "count", "ratio") else f"{text_} {unit}"
    if isinstance(value, list | tuple) and not value:
        return "none"
    if isinstance(value, list | tuple):
        return ", ".join(format_value(v) for v in value) if all(not isinstance(v, dict | list) for v in value) \
            else json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value) + (f" {unit}" if unit not in ("", "count") else "")


def unit_for(key: str) -> str:
    """Unit implied by a summary key's suffix (STYLE.md §2): ``gap_total_s`` -> ``s``."""
    for suffix, unit in SUFFIX_UNITS:
        if key.endswith(suffix):
            return unit
    return ""


def flatten(value: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """Nested dicts as (dotted key, leaf) pairs; lists of dicts get their index in the key.

    >>> flatten({"a": {"b": 1, "c": [1, 2]}, "d": [{"e": 3}]})
    [('a.b', 1), ('a.c', [1, 2]), ('d.0.e', 3)]
    """
    if isinstance(value, dict):
        pairs: list[tuple[str, Any]] = []
        for key, item in value.items():
            pairs += flatten(item, f"{prefix}.{key}" if prefix else str(key))
        return pairs or [(prefix, {})]
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        pairs = []
        for index, item in enumerate(value):
            pairs += flatten(item, f"{prefix}.{index}" if prefix else str(index))
        return pairs
    return [(prefix, value)]


def rows_of(pairs: Sequence[tuple[str, Any]]) -> list[tuple[str, str]]:
    return [(key, format_value(value, unit_for(key.rsplit(".", 1)[-1]))) for key, value in pairs]


def index_rows(summary: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """Rows (label, value with unit, key): the core indices always (missing -> "not available"), the
    others when summary.json gives them a value (null means "does not apply": no hypnogram, ...)."""
    return [(label, format_value(summary.get(key), unit), key) for key, label, unit in INDEX_ROWS
            if summary.get(key) is not None or key in CORE_INDEX_KEYS]


def other_value_rows(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    shown = {key for key, _, _ in INDEX_ROWS} | OWN_SECTION_KEYS
    return rows_of([pair for key, value in summary.items()
                  if key not in shown and not key.endswith("_histogram") and value is not None
                  for pair in flatten(value, key)])


def side_table(events: pd.DataFrame) -> tuple[list[str], list[tuple[str, list[int]]]]:
    """Counts by display category (rows) and side (columns: left, right, bilateral, other, total)."""
    categories = plots.event_categories(events)
    sides = ["left", "right", "bilateral"]
    extra = sorted(set(events["side"]) - set(sides) - {""})
    columns = sides + extra + (["unknown"] if (events["side"] == "").any() else [])
    rows = []
    for category, label in TYPE_LABELS.items():
        chosen = events[categories == category]
        if chosen.empty:
            continue
        side = chosen["side"].replace("", "unknown")
        rows.append((label, [int((side == c).sum()) for c in columns] + [len(chosen)]))
    return columns + ["total"], rows


def input_file_table(summary: Mapping[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Input files as a table of file names (never their folders: :mod:`lrm.report.redact`), sizes and
    digests. Accepts {name: {path, sha256, ...}} (the pipeline's), {name: path}, or a list of either."""
    files = summary.get("input_files")
    if isinstance(files, dict):
        files = [{"input": k, **v} if isinstance(v, dict) else {"input": k, "path": v} for k, v in files.items()]
    if not isinstance(files, list) or not files:
        return [], []
    records = [f if isinstance(f, dict) else {"path": f} for f in files]
    columns = list(dict.fromkeys(k for record in records for k in record))
    shown = ["file" if c == "path" else c for c in columns]
    return shown, [[file_name(record[c]) if c == "path" and record.get(c) else format_value(record.get(c), unit_for(c))
                    for c in columns] for record in records]


def rules_table(rules: RuleSet) -> tuple[str, list[tuple[str, str]]]:
    """(rule-set name, its numbers as rows, full precision): the numbers this lrm version scores it with."""
    fields = {k: v for k, v in dataclasses.asdict(rules).items() if k != "name"}
    return rules.name, [(key, "not used" if value is None else (f"{value:g}" + (f" {unit_for(key)}" if unit_for(key) else "")
                                                             if isinstance(value, float) else str(value)))
                        for key, value in fields.items()]
