"""The self-contained HTML night report, built from an output directory's files alone.

``write_report(DIR)`` reads DIR/summary.json, DIR/events.csv and (optional) DIR/trace.parquet and
writes DIR/report.html: one file with inline CSS and figures as SVG data URIs, no script and no
network access (a Content-Security-Policy forbids both). ``score-events`` directories have no trace:
the signal figures are then left out. Every key of summary.json is optional (``null`` or missing values
show as "not available"), so a partial summary never stops the report.

``write_multi_night_report([DIR1, DIR2, ...], FILE)`` combines analysed nights: a night-by-night table,
the mean PLM index and the night-to-night spread (SCORING.md §2.6).

All text from input files (subject id, file names, column text) goes through Jinja2's autoescaping.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Literal

import jinja2
import numpy as np
import pandas as pd

from lrm._version import __version__
from lrm.errors import InputError, OutputExistsError
from lrm.report import plots
from lrm.report.text import as_number, render_findings, render_multi_night_findings
from lrm.report import text

__all__ = ["NightFiles", "load_night", "render_night_html", "write_report", "write_multi_night_report"]

REQUIRED_EVENT_COLUMNS = ("onset_s", "offset_s", "type")
GENERATOR = f"lrm {__version__}"
PdfEngine = Literal["auto", "chromium", "matplotlib"]

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
     "recording_start", "schema_version", "params_digest", "warnings"}
)
SUFFIX_UNITS = (
    ("_pct", "%"), ("_ppm", "ppm"), ("_hz", "Hz"), ("_h", "h"), ("_min", "min"), ("_s", "s"), ("_g", "g"),
    ("_index", "per h"),
    ("_count", "count"), ("_bytes", "bytes"),
)
TYPE_LABELS = {"periodic": "PLM (in a series)", "isolated": "Other leg movements", "hypnic_jerk": "Hypnic jerks",
               "posture_change": "Posture changes", "other": "Other movements"}

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("lrm.report", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


@dataclass(frozen=True)
class NightFiles:
    """The files of one analysed-night directory. ``trace`` is ``None`` when there is no trace.parquet."""

    out_dir: Path
    summary: dict[str, Any]
    events: pd.DataFrame
    trace: pd.DataFrame | None


# ---------------------------------------------------------------- reading


def _read_summary(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise InputError(str(path), "", "no summary.json in this directory",
                         "give a directory written by 'lrm analyze' or 'lrm score-events'")
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(str(path), f"line {exc.lineno}, column {exc.colno}", f"not valid JSON ({exc.msg})",
                         "re-run the analysis to rewrite it") from None
    except UnicodeDecodeError:
        raise InputError(str(path), "", "not UTF-8 text", "re-run the analysis to rewrite it") from None
    if not isinstance(summary, dict):
        raise InputError(str(path), "top level", "expected a JSON object", "re-run the analysis to rewrite it")
    return summary


def _read_events(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(str(path), "", "no events.csv in this directory",
                         "give a directory written by 'lrm analyze' or 'lrm score-events'")
    try:
        events = pd.read_csv(path, dtype={"side": str, "type": str, "stage": str}, keep_default_na=True)
    except pd.errors.EmptyDataError:
        raise InputError(str(path), "", "the file is empty", "re-run the analysis to rewrite it") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(str(path), "", f"not a readable CSV table ({exc})", "re-run the analysis") from None
    missing = [c for c in REQUIRED_EVENT_COLUMNS if c not in events]
    if missing:
        raise InputError(str(path), "header", f"missing column {missing[0]!r}",
                         "re-run the analysis; events.csv needs onset_s, offset_s and type")
    for column in ("onset_s", "offset_s"):
        values = pd.to_numeric(events[column], errors="coerce")
        bad = values.isna() & events[column].notna() | events[column].isna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 2  # 1-based, after the header line
            raise InputError(str(path), f"row {row}, column {column!r}", f"not a number: {events[column].iloc[row - 2]!r}",
                             "re-run the analysis to rewrite events.csv")
        events[column] = values.astype(float)
    if "side" not in events:
        events["side"] = ""
    events["side"] = events["side"].fillna("").astype(str)
    events["type"] = events["type"].fillna("lm").astype(str)
    return events.sort_values("onset_s", kind="stable", ignore_index=True)


def _read_trace(path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    try:
        trace = pd.read_parquet(path)
    except (OSError, ValueError) as exc:
        raise InputError(str(path), "", f"not a readable Parquet file ({exc})", "re-run the analysis") from None
    if "t_s" not in trace:
        raise InputError(str(path), "columns", "missing column 't_s'", "re-run the analysis to rewrite it")
    return trace.sort_values("t_s", ignore_index=True)


def load_night(out_dir: str | os.PathLike[str]) -> NightFiles:
    """Read an analysed-night directory; a missing or malformed file raises :class:`InputError`."""
    directory = Path(out_dir)
    if not directory.is_dir():
        raise InputError(str(directory), "", "not a directory",
                         "give the output directory of 'lrm analyze' or 'lrm score-events'")
    return NightFiles(
        out_dir=directory,
        summary=_read_summary(directory / "summary.json"),
        events=_read_events(directory / "events.csv"),
        trace=_read_trace(directory / "trace.parquet"),
    )


# ---------------------------------------------------------------- formatting


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


def _rows(pairs: Sequence[tuple[str, Any]]) -> list[tuple[str, str]]:
    return [(key, format_value(value, unit_for(key.rsplit(".", 1)[-1]))) for key, value in pairs]


def parse_start(value: Any) -> datetime | None:
    """``recording_start`` (ISO 8601) as an aware datetime; naive times are taken as UTC; else ``None``."""
    if not isinstance(value, str) or not value:
        return None
    try:
        start = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return start if start.tzinfo is not None else start.replace(tzinfo=UTC)


def format_elapsed(seconds: float) -> str:
    """Seconds as h:mm:ss.

    >>> format_elapsed(3725.4)
    '1:02:05'
    """
    whole = int(round(seconds))
    return f"{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _clock(start: datetime | None, seconds: float) -> str:
    return "" if start is None else (start + timedelta(seconds=float(seconds))).strftime("%H:%M:%S")


# ---------------------------------------------------------------- tables from the files


def _index_table(summary: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """Rows (label, value with unit, key): the core indices always (missing -> "not available"), the
    others when summary.json gives them a value (null means "does not apply": no hypnogram, ...)."""
    return [(label, format_value(summary.get(key), unit), key) for key, label, unit in INDEX_ROWS
            if summary.get(key) is not None or key in CORE_INDEX_KEYS]


def _other_values(summary: Mapping[str, Any]) -> list[tuple[str, str]]:
    shown = {key for key, _, _ in INDEX_ROWS} | OWN_SECTION_KEYS
    return _rows([pair for key, value in summary.items()
                  if key not in shown and not key.endswith("_histogram") for pair in flatten(value, key)])


def _side_table(events: pd.DataFrame) -> tuple[list[str], list[tuple[str, list[int]]]]:
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


def _hypnic_jerks(events: pd.DataFrame, start: datetime | None) -> list[dict[str, str]]:
    jerks = events[events["type"] == "hypnic_jerk"]
    return [
        {
            "clock": _clock(start, onset),
            "elapsed": format_elapsed(onset),
            "duration": f"{offset - onset:.2f} s",
            "side": side or "unknown",
            "peak": format_value(as_number(peak), "g") if peak is not None else "",
        }
        for onset, offset, side, peak in zip(
            jerks["onset_s"], jerks["offset_s"], jerks["side"],
            jerks["peak_g"] if "peak_g" in jerks else [None] * len(jerks), strict=True,
        )
    ]


def _quality(summary: Mapping[str, Any]) -> tuple[list[str], list[tuple[str, list[str]]]] | list[tuple[str, str]]:
    """Per-leg quality as a (legs, rows) table when it is a dict of per-leg dicts, else flat key/value rows."""
    quality = summary.get("quality")
    if isinstance(quality, dict) and quality and all(isinstance(v, dict) for v in quality.values()):
        legs = list(quality)
        per_leg = {leg: dict(flatten(quality[leg])) for leg in legs}
        keys = list(dict.fromkeys(k for leg in legs for k in per_leg[leg]))
        return legs, [
            (key, [format_value(per_leg[leg].get(key), unit_for(key.rsplit(".", 1)[-1])) for leg in legs])
            for key in keys
        ]
    return _rows(flatten(quality, "quality")) if quality is not None else []


def _input_files(summary: Mapping[str, Any]) -> tuple[list[str], list[list[str]]]:
    """Input files as a table. Accepts a list of dicts ({path, sha256, ...}), a list of names, a mapping
    {leg: file name} (the pipeline's) or {name: {sha256: ...}}."""
    files = summary.get("input_files")
    if isinstance(files, dict):
        files = [{"input": k, **v} if isinstance(v, dict) else {"input": k, "file": v} for k, v in files.items()]
    if not isinstance(files, list) or not files:
        return [], []
    records = [f if isinstance(f, dict) else {"file": f} for f in files]
    columns = list(dict.fromkeys(k for record in records for k in record))
    return columns, [[format_value(record.get(c), unit_for(c)) for c in columns] for record in records]


def _rule_fields(summary: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """(rule-set name, its parameters): a dict in summary.json as given; a rule-set name is expanded with
    lrm's own RuleSet of that name (the numbers this lrm version scores with)."""
    rules = summary.get("rules")
    if isinstance(rules, dict):
        name = rules.get("name") or rules.get("ruleset") or "unnamed rule set"
        return str(name), {k: v for k, v in rules.items() if k != "name"}
    if not rules:
        return "not recorded", {}
    try:
        from lrm.rules.rulesets import get_ruleset

        ruleset = get_ruleset(str(rules))
    except (ImportError, LookupError, ValueError, TypeError):
        return str(rules), {}
    return str(rules), {k: v for k, v in dataclasses.asdict(ruleset).items() if k != "name"}


def _rules(summary: Mapping[str, Any]) -> tuple[str, list[tuple[str, str]]]:
    name, fields = _rule_fields(summary)
    return name, _rows(flatten(fields)) if fields else []


def _rule_number(summary: Mapping[str, Any], keys: Sequence[str], default: float) -> float:
    fields = _rule_fields(summary)[1]
    for key in keys:
        number = as_number(fields.get(key))
        if number is not None:
            return number
    return default


def _duration_s(night: NightFiles) -> float | None:
    ends = [as_number(night.summary.get("recording_duration_s"))]
    if night.trace is not None and len(night.trace):
        ends.append(float(night.trace["t_s"].iloc[-1]) + 1.0)
    if len(night.events):
        ends.append(float(night.events["offset_s"].max()))
    known = [e for e in ends if e is not None]
    return max(known) if known else None


# ---------------------------------------------------------------- figures


def _figures(night: NightFiles, start: datetime | None) -> list[dict[str, str]]:
    events, trace, summary = night.events, night.trace, night.summary
    duration_s = _duration_s(night)
    imi_min = _rule_number(summary, ("imi_min_s", "min_imi_s"), 10.0)
    imi_max = _rule_number(summary, ("imi_max_s", "max_imi_s"), 90.0)
    min_lm_s = _rule_number(summary, ("min_lm_s", "lm_min_duration_s"), 0.5)
    max_lm_s = _rule_number(summary, ("max_clm_one_leg_s", "lm_max_duration_s"), 10.0)
    specs = [
        ("night", "The night at a glance",
         "Per-leg movement (peak acceleration per 30 s, grey where the sensor gave no data), lying and time "
         "in bed, and every detected movement." if trace is not None else
         "Every scored movement across the night (no signal trace for this directory).",
         lambda: plots.plot_night(events, trace=trace, duration_s=duration_s, start=start)),
        ("per-hour", "Movements per hour of the night",
         "PLMs (in periodic series), other leg movements and hypnic jerks in each hour from the start.",
         lambda: plots.plot_plms_per_hour(events, duration_s=duration_s, start=start)),
        ("imi", "Intervals between movements",
         f"Onset-to-onset intervals on a log scale. Periodic movements recur every {imi_min:g} to {imi_max:g} s "
         "(dashed lines, orange bars); a peak near 15-30 s is the pattern of periodic limb movements.",
         lambda: plots.plot_imi_histogram(events, imi_min_s=imi_min, imi_max_s=imi_max)),
        ("duration", "How long each movement lasted",
         f"Leg movements count from {min_lm_s:g} s and are candidates for periodic movements up to {max_lm_s:g} s "
         "(dashed lines); hypnic jerks are brief.",
         lambda: plots.plot_duration_histogram(
             events, min_s=min_lm_s, max_s=max_lm_s)),
        ("zoom", "Close-up of the densest PLM series",
         "A few minutes of the series with the most movements per minute; numbers give the interval to the "
         "previous movement.",
         lambda: plots.plot_densest_series(events, trace=trace, start=start)),
    ]
    figures = []
    for key, title, caption, build in specs:
        fig = build()
        if fig is None:
            continue
        figures.append({"id": key, "title": title, "caption": caption, "src": plots.figure_to_data_uri(fig)})
    return figures


# ---------------------------------------------------------------- rendering


def _night_context(night: NightFiles) -> dict[str, Any]:
    summary = night.summary
    start = parse_start(summary.get("recording_start"))
    rules_name, rules_rows = _rules(summary)
    quality = _quality(summary)
    side_columns, side_rows = _side_table(night.events)
    file_columns, file_rows = _input_files(summary)
    series = plots.densest_series(night.events)
    return {
        "generator": GENERATOR,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "subject": summary.get("subject_id") or summary.get("subject"),
        "night_name": night.out_dir.resolve().name,
        "recording_start": start.strftime("%Y-%m-%d %H:%M %Z").strip() if start else summary.get("recording_start"),
        "findings": render_findings(summary),
        "index_rows": _index_table(summary),
        "side_columns": side_columns,
        "side_rows": side_rows,
        "hypnic_jerks": _hypnic_jerks(night.events, start),
        "quality_by_leg": quality if isinstance(quality, tuple) else None,
        "quality_rows": quality if isinstance(quality, list) else [],
        "rules_name": rules_name,
        "rules_rows": rules_rows,
        "rules_description": summary.get("rules_description"),
        "warnings": [str(w) for w in summary.get("warnings") or [] if w] if isinstance(summary.get("warnings"), list) else [],
        "param_rows": _rows(flatten(summary.get("params"), "")) if summary.get("params") is not None else [],
        "params_digest": summary.get("params_digest"),
        "lrm_version": summary.get("lrm_version"),
        "schema_version": summary.get("schema_version"),
        "file_columns": file_columns,
        "file_rows": file_rows,
        "other_rows": _other_values(summary),
        "has_trace": night.trace is not None,
        "densest_series_size": None if series is None else len(series),
        "figures": _figures(night, start),
    }


def render_night_html(night: NightFiles) -> str:
    """The complete report.html text for one night."""
    return _ENV.get_template("night.html.j2").render(**_night_context(night))


def _write_atomic(path: Path, text_: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text_)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def is_lrm_report(path: Path) -> bool:
    """Whether ``path`` is a report this program wrote (safe to regenerate)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return b'<meta name="generator" content="lrm ' in head


def _check_overwrite(path: Path) -> None:
    if path.exists() and not is_lrm_report(path):
        raise OutputExistsError(str(path), "choose another --out; only reports written by lrm are replaced")


def write_report(
    out_dir: str | os.PathLike[str], *, pdf: bool = False, out_path: str | os.PathLike[str] | None = None,
    pdf_engine: PdfEngine = "auto",
) -> Path:
    """Write DIR/report.html (or ``out_path``) from DIR's summary.json, events.csv and trace.parquet.

    With ``pdf`` also writes the same name with ``.pdf`` (see :mod:`lrm.report.pdf` for ``pdf_engine``).
    Returns the HTML path. An existing file is replaced only if lrm wrote it.
    """
    night = load_night(out_dir)
    target = Path(out_path) if out_path is not None else night.out_dir / "report.html"
    _check_overwrite(target)
    _write_atomic(target, render_night_html(night))
    if pdf:
        from lrm.report.pdf import write_pdf

        write_pdf(target, target.with_suffix(".pdf"), engine=pdf_engine, fallback=lambda p: _night_pdf(night, p))
    return target


def _night_pdf(night: NightFiles, pdf_path: Path) -> None:
    from lrm.report.pdf import write_pdf_with_matplotlib

    context = _night_context(night)
    findings = context["findings"]
    start = parse_start(night.summary.get("recording_start"))
    figures = [f for f in (
        plots.plot_night(night.events, trace=night.trace, duration_s=_duration_s(night), start=start),
        plots.plot_plms_per_hour(night.events, duration_s=_duration_s(night), start=start),
        plots.plot_imi_histogram(night.events), plots.plot_duration_histogram(night.events),
        plots.plot_densest_series(night.events, trace=night.trace, start=start),
    ) if f is not None]
    write_pdf_with_matplotlib(
        pdf_path,
        title=f"Leg-movement night report: {context['night_name']}",
        paragraphs=[findings.headline, *findings.sentences, findings.hypnic_jerks, *findings.caveats,
                    findings.see_a_doctor],
        tables=[("Indices", [(label, value) for label, value, _ in context["index_rows"]]),
                ("Data quality", context["quality_rows"] or [
                    (key, " / ".join(values)) for key, values in (context["quality_by_leg"] or ([], []))[1]]),
                (f"Rule set: {context['rules_name']}", context["rules_rows"]),
                ("Parameters", context["param_rows"])],
        figures=figures,
    )


# ---------------------------------------------------------------- several nights


def _night_row(night: NightFiles, link_from: Path) -> dict[str, Any]:
    summary = night.summary
    start = parse_start(summary.get("recording_start"))
    quality = summary.get("quality")
    coverage = []
    if isinstance(quality, dict):
        coverage = [as_number(v.get("coverage_pct")) for v in quality.values() if isinstance(v, dict)]
    coverage = [c for c in coverage if c is not None]
    report = night.out_dir / "report.html"
    return {
        "name": night.out_dir.resolve().name,
        "subject": summary.get("subject_id") or summary.get("subject"),
        "date": start.strftime("%Y-%m-%d %H:%M") if start else "",
        "time_in_bed": format_value(as_number(summary.get("time_in_bed_h")), "h", na="-"),
        "sleep": format_value(as_number(summary.get("total_sleep_time_h")), "h", na="-"),
        "plm_count": format_value(summary.get("plm_count"), na="-"),
        "plm_index": as_number(summary.get("plm_index")),
        "plms_index": as_number(summary.get("plms_index")),
        "plm_index_text": format_value(as_number(summary.get("plm_index")), na="-"),
        "plms_index_text": format_value(as_number(summary.get("plms_index")), na="-"),
        "periodicity": format_value(as_number(summary.get("periodicity_index")), "ratio", na="-"),
        "hypnic": format_value(summary.get("hypnic_jerk_count"), na="-"),
        "coverage": format_value(min(coverage), "%") if coverage else "-",
        "rules": _rules(summary)[0],
        "link": os.path.relpath(report, link_from.parent) if report.is_file() else None,
    }


def write_multi_night_report(
    dirs: Sequence[str | os.PathLike[str]], out_path: str | os.PathLike[str], *, pdf: bool = False,
    pdf_engine: PdfEngine = "auto",
) -> Path:
    """Combine analysed nights into one report at ``out_path``: night-by-night table, mean PLM index."""
    if not dirs:
        raise ValueError("dirs must name at least one analysed-night directory")
    target = Path(out_path)
    nights = [load_night(d) for d in dirs]
    _check_overwrite(target)
    rows = [_night_row(night, target) for night in nights]
    indices = [row["plm_index"] for row in rows]
    known = [v for v in indices if v is not None]
    plms = [row["plms_index"] for row in rows if row["plms_index"] is not None]
    subjects = sorted({str(r["subject"]) for r in rows if r["subject"]})
    rule_sets = sorted({r["rules"] for r in rows})
    figure = None
    if known:
        figure = plots.figure_to_data_uri(plots.plot_nightly_plm_index([r["name"] for r in rows], indices))
    html_text = _ENV.get_template("multi.html.j2").render(
        generator=GENERATOR,
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        rows=rows,
        n_nights=len(rows),
        mean_plm_index=format_value(float(np.mean(known)) if known else None, na="n/a"),
        sd_plm_index=format_value(float(np.std(known, ddof=1)) if len(known) > 1 else None, "per h", na=""),
        mean_plms_index=format_value(float(np.mean(plms)) if plms else None, na="-"),
        n_plms_nights=len(plms),
        sentences=render_multi_night_findings(indices),
        caveats=(text.NOT_A_DIAGNOSIS, text.NIGHTS_VARY),
        see_a_doctor=text.SEE_A_DOCTOR,
        subjects=subjects,
        rule_sets=rule_sets,
        figure=figure,
    )
    _write_atomic(target, html_text)
    if pdf:
        from lrm.report.pdf import write_pdf, write_pdf_with_matplotlib

        def fallback(pdf_path: Path) -> None:
            write_pdf_with_matplotlib(
                pdf_path, title=f"Leg-movement report, {len(rows)} nights",
                paragraphs=[*render_multi_night_findings(indices), text.NOT_A_DIAGNOSIS, text.NIGHTS_VARY],
                tables=[("Nights", [(r["name"], f"PLM index {r['plm_index_text']} per h, time in bed "
                                              f"{r['time_in_bed']}") for r in rows])],
                figures=[plots.plot_nightly_plm_index([r["name"] for r in rows], indices)] if known else [],
            )

        write_pdf(target, target.with_suffix(".pdf"), engine=pdf_engine, fallback=fallback)
    return target
