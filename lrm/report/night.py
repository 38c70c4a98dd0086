"""What one night's report shows, from the typed night (:class:`lrm.result.NightResult`) to template values.

Sections, in order, with their element ids (stable, for scripts): ``summary`` (the printable one-page
summary: plain-language headline, key values against their norms, sign-off), ``night-chart``, ``series``,
``stages`` (when the night has sleep stages), ``imi``, ``review`` (event close-ups), ``quality``, ``diary``
(when a diary is given) and ``appendix`` (rule set, parameters, hashes, every summary.json key).

Input-aware: a night of technician-scored PSG events (``lrm score-events``: no signal trace, no per-leg
quality) is described as EMG scoring, with no hypnic-jerk claim and no accelerometer rows. No absolute
input path reaches the page (:mod:`lrm.report.redact`); clock times are in the recording's zone, named.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lrm.io.diary import Diary
from lrm.report import text
from lrm.report.clock import NightClock
from lrm.report.event_tables import jerk_rows, series_rows, stage_rows
from lrm.report.redact import file_name, known_paths, redact_paths
from lrm.report.render import css_string
from lrm.report.review import close_ups
from lrm.report.subject import Norm, ReportSubject
from lrm.report.tables import (
    flatten,
    format_value,
    index_rows,
    input_file_table,
    other_value_rows,
    rows_of,
    rules_table,
    side_table,
)
from lrm.result import NightResult

__all__ = ["ReportOptions", "is_scored_events", "night_clock", "night_context", "summary_rows"]

PERIODICITY_REFERENCE = "about 0.5 separates RLS from controls"   # docs/scoring.md §2.2 (secondary source)
MIN_COVERAGE_PCT = 80.0   # lrm.signal.quality.MIN_COVERAGE_PCT: a leg below it is warned about


@dataclass(frozen=True, slots=True)
class ReportOptions:
    """What the person asking for the report adds: who it is about (``--subject``, ``--dob``/``--age``) and
    their diary (``--diary``)."""

    subject: ReportSubject = field(default_factory=ReportSubject)
    diary: Diary | None = None


def is_scored_events(night: NightResult) -> bool:
    """A night of technician-scored events (``lrm score-events``): no signal trace and no per-leg quality."""
    return night.trace is None and not night.summary.quality


def night_clock(night: NightResult) -> NightClock:
    """The night's clock (:class:`NightClock`) from its summary."""
    s = night.summary
    return NightClock.of(s.recording_start, s.timezone)


def _per_h(value: Any, basis: str = "") -> str:
    return format_value(text.as_number(value), "", na="not available") + (f"/h{basis}" if text.as_number(value) is not None else "")


def _flag(value: Any, norm: Norm, *, may_be_higher: bool = False) -> str:
    """"above" or "within" the norm; no flag for a value below it that is probably too low (``may_be_higher``:
    :func:`lrm.report.text.index_may_be_higher`), which cannot be called within."""
    number = text.as_number(value)
    if number is None or (may_be_higher and number <= norm.limit_per_h):
        return ""
    return "above" if number > norm.limit_per_h else "within"


def _sleep_rows(s: dict[str, Any]) -> list[dict[str, str]]:
    tst, tib = text.as_number(s.get("total_sleep_time_h")), text.as_number(s.get("time_in_bed_h"))
    if tst is None:
        if s.get("estimated_sleep_h") is None:
            return []
        return [{"label": "Estimated sleep (from movement, not a hypnogram)", "value": format_value(s["estimated_sleep_h"], "h")}]
    efficiency = f"{100 * tst / tib:.0f} %" if tib else "not available"
    return [{"label": "Total sleep time (hypnogram)", "value": format_value(tst, "h")},
            {"label": "Sleep efficiency (sleep / time in bed)", "value": efficiency}]


def _index_rows(s: dict[str, Any], norm: Norm, staged: bool) -> list[dict[str, str]]:
    count = lambda key: format_value(s.get(key), na="-")  # noqa: E731
    low = text.index_may_be_higher(s)     # LMs below the detection limit: a value under the norm is no "within"
    rows = [{"label": "Leg movements (LM)", "value": f"{count('lm_count')} · {_per_h(s.get('lm_index'))}"},
            {"label": "Candidate leg movements (CLM)", "value": f"{count('clm_count')} · {_per_h(s.get('clm_index'))}"},
            {"label": "Periodic limb movements (PLM), per hour in bed",
             "value": f"{count('plm_count')} · {_per_h(s.get('plm_index'))}",
             **({} if staged else {"reference": f"≤ {norm.text}",
                                   "flag": _flag(s.get("plm_index"), norm, may_be_higher=low)})}]
    if staged:
        rows += [{"label": "PLMS index (PLMs in sleep per hour of sleep)", "value": _per_h(s.get("plms_index")),
                  "reference": f"≤ {norm.text}", "flag": _flag(s.get("plms_index"), norm, may_be_higher=low)},
                 {"label": "PLMW index (PLMs in wake per hour of wake)", "value": _per_h(s.get("plmw_index"))}]
    if s.get("arousal_count") is not None:
        key = "plms_arousal_index" if staged else "plm_arousal_index"
        rows.append({"label": f"{'PLMS' if staged else 'PLM'}-arousal index", "value": _per_h(s.get(key))})
    if s.get("respiratory_event_count") is not None:
        key = "plms_nr_index" if staged else "plm_nr_index"
        rows.append({"label": f"{'PLMS' if staged else 'PLM'} index without respiratory-related movements",
                     "value": _per_h(s.get(key)), "reference": f"≤ {norm.text}", "flag": _flag(s.get(key), norm)})
    rows += [{"label": "Periodicity index (Ferri)", "value": format_value(s.get("periodicity_index"), "ratio"),
              "reference": PERIODICITY_REFERENCE},
             {"label": "PLM series", "value": f"{count('plm_series_count')}" + (
                 f" (mean {s['plm_series_mean_length']:.0f} PLMs)" if s.get("plm_series_mean_length") else "")}]
    return rows


def _mg(value_g: float | None) -> str:
    """A detection limit (g) as people read it beside the summary's text: whole mg ("22 mg")."""
    return "not available" if value_g is None else f"{1000 * value_g:.0f} mg"


def _quality_summary(night: NightResult) -> list[dict[str, str]]:
    quality = night.summary.quality
    cover = ", ".join(f"{side} {q.coverage_pct:.1f} %" for side, q in quality.items())
    gaps = sum(q.gap_count for q in quality.values())
    gap_min = sum(q.gap_total_s for q in quality.values()) / 60
    low = any(q.coverage_pct < MIN_COVERAGE_PCT for q in quality.values())
    limits = [(side, getattr(q, "detection_limit_g", None)) for side, q in quality.items()]
    limit = ", ".join(f"{side} {_mg(v)}" for side, v in limits if v is not None) or "not available"
    briefs = [(side, getattr(q, "detection_limit_brief_g", None)) for side, q in quality.items()]
    brief = ", ".join(f"{side} {_mg(v)}" for side, v in briefs if v is not None) or "not available"
    return [{"label": "Data coverage", "value": f"{cover} · {gaps} gap{'s' if gaps != 1 else ''} ({gap_min:.1f} min)",
             "reference": f"≥ {MIN_COVERAGE_PCT:g} % per leg", "flag": "above" if low else "within"},
            {"label": "Detection limit (smallest LM found with ≥ 90 % probability)", "value": limit},
            {"label": "Detection limit for brief twitch-like LMs (pulses of 80-300 ms)", "value": brief}]


def summary_rows(night: NightResult, clock: NightClock, norm: Norm) -> list[dict[str, str]]:
    """The one-page summary's rows: label, value, reference (the norm, where one applies), flag (above/within)."""
    s = night.summary.to_dict()
    scored = is_scored_events(night)
    out, off, on = [], s.get("lights_out_s"), s.get("lights_on_s")
    span = f" ({clock.format(off, '%H:%M')} to {clock.format(on, '%H:%M')})" if off is not None and on is not None else ""
    no_rest = s.get("rest_period_source") == "none"
    out.append({"label": "Time in bed" + (", lights out to on" if span else ""),
                "value": "none found (no lying period seen)" if no_rest else
                format_value(s.get("time_in_bed_gross_h") or s.get("time_in_bed_h"), "h") + span})
    gross = text.as_number(s.get("time_in_bed_gross_h"))
    if gross is not None and abs(gross - float(s["time_in_bed_h"])) > 1 / 120:
        out.append({"label": "Analysis period (time in bed with data on every leg)", "value": format_value(s["time_in_bed_h"], "h")})
    out += ([] if no_rest else _sleep_rows(s)) + _index_rows(s, norm, s.get("total_sleep_time_h") is not None)
    if scored:
        out.append({"label": "Hypnic jerks", "value": "not assessed", "reference": "EMG-scored night: no movement signal"})
    else:
        out.append({"label": "Hypnic jerks (not counted as PLMs)", "value": format_value(s.get("hypnic_jerk_count")),
                    "reference": "a harmless normal variant"})
        out += _quality_summary(night)
    if s.get("warnings"):
        out.append({"label": "Warnings", "value": f"{len(s['warnings'])} (listed above the table)", "flag": "above"})
    return [{"reference": "", "flag": "", **row} for row in out]


def _header(night: NightResult, name: str, clock: NightClock, options: ReportOptions) -> dict[str, Any]:
    s = night.summary
    subject = options.subject.subject or s.subject
    day: date | None = clock.night_date
    end_s = s.duration_h * 3600 if s.duration_h else (night.hypnogram.end_s if night.hypnogram is not None else None)
    recorded = (f"{clock.format(0, '%Y-%m-%d %H:%M %Z').strip()} to {clock.format(end_s, '%H:%M %Z').strip()}"
                if clock.has_clock and end_s else
                (clock.format(0, "%Y-%m-%d %H:%M %Z").strip() if clock.has_clock else "start time not known"))
    if is_scored_events(night):
        kind = "technician-scored PSG leg movements (EMG)"
        files = s.input_files.get("events") if isinstance(s.input_files, dict) else None
        source = file_name(files.get("path")) if isinstance(files, dict) and files.get("path") else ""
    else:
        kind = "ankle accelerometer" + (f" ({' + '.join(s.quality)})" if s.quality else "")
        source = ", ".join(sorted({file_name(q.source) for q in s.quality.values() if q.source}))
    return {"subject": subject, "subject_detail": options.subject.describe(day), "night_name": name,
            "night_date": day.strftime("%A %d %B %Y") if day else "date not known", "recorded": recorded,
            "zone": clock.zone, "input_kind": kind, "input_source": source, "rules_name": s.rules,
            "running_header": css_string(" · ".join(p for p in ("Leg-movement report", subject or name,
                                                              f"night of {day.isoformat()}" if day else "") if p))}


def _quality_rows(night: NightResult) -> tuple[list[str], list[tuple[str, list[str]]]]:
    quality, known = night.summary.quality, known_paths(night.summary.to_dict())
    legs = list(quality)
    def row(label: str, get) -> tuple[str, list[str]]:  # noqa: ANN001
        return label, [get(quality[leg]) for leg in legs]
    rows = [row("file", lambda q: file_name(q.source)), row("coverage", lambda q: f"{q.coverage_pct:.1f} %"),
            row("gaps", lambda q: f"{q.gap_count} ({q.gap_total_s:.0f} s)"),
            row("clipping", lambda q: format_value(q.clipping_pct, "%")), row("sample rate", lambda q: f"{q.fs_hz:g} Hz"),
            row("clock correction", lambda q: f"{q.clock_offset_s:+.3f} s, {q.clock_drift_ppm:+.0f} ppm"
                + ("" if getattr(q, "clock_drift_sd_ppm", None) is None else f" +- {q.clock_drift_sd_ppm:.0f}")),
            row("detection limit", lambda q: _mg(getattr(q, "detection_limit_g", None))),
            row("detection limit, brief-pulse LMs", lambda q: _mg(getattr(q, "detection_limit_brief_g", None))),
            row("LMs below the detection limit (estimate)", lambda q: text.missed_share_text(
                getattr(q, "missed_share_estimate", None), getattr(q, "missed_share_range", None))),
            row("repairs", lambda q: "; ".join(redact_paths(r, known) for r in q.repairs) or "none")]
    return legs, rows


def night_context(night: NightResult, name: str, options: ReportOptions, figures: list[Any]) -> dict[str, Any]:
    """Every value the night template shows (see the module docstring for the sections)."""
    s, clock = night.summary.to_dict(), night_clock(night)
    scored = is_scored_events(night)
    header = _header(night, name, clock, options)
    norm = options.subject.norm_at(clock.night_date)
    reviews = close_ups(night.events, night.snippets, clock)
    known = known_paths(s)
    stage_columns, stages = stage_rows(night.events, night.hypnogram, s, night.rules) if night.hypnogram else ([], [])
    file_columns, file_rows = input_file_table(s)
    side_columns, side_counts = side_table(night.events)
    entry = options.diary.entry(clock.night_date) if options.diary is not None else None
    return {
        **header, "scored_events": scored, "norm": norm,
        "findings": text.render_findings(s, scored_events=scored, limit_per_h=norm.limit_per_h, group=norm.group,
                                         imi_range_s=(night.rules.imi_min_s, night.rules.imi_max_s)),
        "summary_rows": summary_rows(night, clock, norm), "figures": {f["id"]: f for f in figures},
        "series_rows": series_rows(night.events, clock, reviews), "stage_columns": stage_columns, "stage_rows": stages,
        "jerk_rows": [] if scored else jerk_rows(night.events, clock, reviews), "close_ups": reviews,
        "jerk_close_ups": sum(c.kind == "hypnic jerk" for c in reviews),
        "has_snippets": night.snippets is not None, "has_trace": night.trace is not None,
        "quality": _quality_rows(night) if night.summary.quality else None,
        "warnings": [redact_paths(str(w), known) for w in s.get("warnings") or []],
        "diary": options.diary, "diary_entry": entry,
        "rules_rows": rules_table(night.rules)[1], "rules_description": s.get("rules_description"),
        "param_rows": rows_of(flatten(s.get("params"), "")) if s.get("params") is not None else [],
        "params_digest": s.get("params_digest"), "lrm_version": s.get("lrm_version"),
        "schema_version": s.get("schema_version"), "file_columns": file_columns, "file_rows": file_rows,
        "index_rows": index_rows(s), "other_rows": other_value_rows(s), "side_columns": side_columns,
        "side_rows": side_counts,
    }
