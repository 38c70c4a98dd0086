"""Several nights in one report: grouped by subject, night by night, with the night-to-night spread.

One night says little: a single night's PLM index varies a lot from night to night (docs/scoring.md §2.6),
so ``lrm report NIGHT_DIR...`` shows the nights side by side:

- nights are grouped by subject, then by kind: nights from ankle accelerometers and nights of technician-
  scored PSG events are never averaged together (they measure different things), nor are nights scored with
  different rule sets;
- the same night is never counted twice: two directories holding the same input files (same SHA-256) from
  the same start, or the same subject, night date and kind, are refused with both names;
- each group shows its index night by night (PLMS index per hour of sleep when every night has sleep stages,
  else the PLM index per hour in bed), the median, mean, SD and range, and the share of nights above the norm
  (15/h adults, 5/h children);
- a diary (:mod:`lrm.io.diary`) is shown beside each night and in full; the report draws no conclusion from it.

A DIR that holds no night itself but night directories one level down (e.g. the per-night directories of a
multi-day recording, :mod:`lrm.nights`) stands for those nights; the nights its ``nights.csv`` lists as not
scored (not worn, no lying period...) are listed with their reason.
"""

from __future__ import annotations

import os
import statistics
import urllib.parse
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from lrm.errors import InputError
from lrm.io.atomic import write_text_atomic
from lrm.io.night_dir import SUMMARY
from lrm.report import text
from lrm.report.clock import NightClock
from lrm.report.night import ReportOptions, is_scored_events, night_clock
from lrm.report.plots import figure_to_data_uri, plot_nightly_index
from lrm.report.redact import known_paths, redact_paths
from lrm.report.render import check_overwrite, css_string, render_page
from lrm.report.tables import format_value
from lrm.result import NightResult, load_night

__all__ = ["NightEntry", "expand_night_dirs", "load_nights", "group_nights", "unscored_nights", "write_multi_night_report"]

ACCELEROMETER, PSG = "ankle accelerometer", "technician-scored PSG (EMG)"


@dataclass(frozen=True, slots=True, eq=False)
class NightEntry:
    """One night of a multi-night report: where it is, the typed night, its clock, kind, subject and date."""

    directory: Path
    night: NightResult
    clock: NightClock
    kind: str
    subject: str
    date: date | None

    @property
    def digests(self) -> frozenset[str]:
        files = self.night.summary.input_files or {}
        return frozenset(str(v.get("sha256")) for v in files.values() if isinstance(v, dict) and v.get("sha256"))


def expand_night_dirs(dirs: Sequence[str | os.PathLike[str]]) -> list[Path]:
    """The night directories ``dirs`` stand for: each itself, or (without a summary.json) the night
    directories one level below it, in name order."""
    out = []
    for d in dirs:
        path = Path(d)
        if path.is_dir() and not (path / SUMMARY).exists():
            inner = sorted(p for p in path.iterdir() if p.is_dir() and (p / SUMMARY).is_file())
            out += inner or [path]   # none: load_night reports the missing summary.json
        else:
            out.append(path)
    return out


def _describe(entry: NightEntry) -> str:
    day = entry.date.isoformat() if entry.date else "date unknown"
    return f"subject {entry.subject or '(none)'}, night of {day}, {entry.kind}"


def _check_once(entries: list[NightEntry]) -> None:
    """InputError naming both directories when a night would be counted twice."""
    seen: dict[object, NightEntry] = {}
    for entry in entries:
        keys = [("dir", entry.directory.resolve())]
        if entry.digests:  # the same files from the same start: one multi-day file holds many nights
            keys.append(("inputs", entry.digests, entry.night.summary.recording_start, entry.night.summary.lights_out_s))
        if entry.date is not None:
            keys.append(("night", entry.subject, entry.date, entry.kind))
        for key in keys:
            if key in seen:
                first = seen[key]
                raise InputError(str(entry.directory), "", f"the same night as {first.directory} ({_describe(entry)})",
                                 "give each night once (a night counted twice would weigh twice in the spread)")
            seen[key] = entry


def load_nights(dirs: Sequence[str | os.PathLike[str]], options: ReportOptions) -> list[NightEntry]:
    """Load every night (:func:`expand_night_dirs`), in date order; InputError for a night given twice."""
    entries = []
    for directory in expand_night_dirs(dirs):
        night = load_night(directory)
        clock = night_clock(night)
        entries.append(NightEntry(directory, night, clock, PSG if is_scored_events(night) else ACCELEROMETER,
                                  options.subject.subject or night.summary.subject, clock.night_date))
    _check_once(entries)
    return sorted(entries, key=lambda e: (e.date or date.max, str(e.directory)))


def group_nights(entries: list[NightEntry]) -> list[list[NightEntry]]:
    """Nights grouped by (subject, kind, rule set), groups in order of their first night."""
    groups: dict[tuple[str, str, str], list[NightEntry]] = {}
    for entry in entries:
        groups.setdefault((entry.subject, entry.kind, entry.night.summary.rules), []).append(entry)
    return list(groups.values())


def _index_of(group: list[NightEntry]) -> tuple[str, str, str]:
    """(summary key, name, basis) of the group's index: PLMS when every night has sleep stages."""
    if all(e.night.summary.plms_index is not None for e in group):
        return "plms_index", "PLMS index", "per hour of sleep"
    return "plm_index", "PLM index", "per hour in bed"


def _row(entry: NightEntry, key: str, link_from: Path, options: ReportOptions) -> dict[str, Any]:
    s = entry.night.summary
    coverage = [q.coverage_pct for q in s.quality.values()]
    report = entry.directory / "report.html"
    diary = options.diary.entry(entry.date) if options.diary is not None else None
    return {
        "date": entry.date.strftime("%a %Y-%m-%d") if entry.date else "date unknown",
        "start": entry.clock.format(s.lights_out_s if s.lights_out_s is not None else 0.0, "%H:%M")
        if entry.clock.has_clock else "-",
        "name": entry.directory.resolve().name, "index": text.as_number(getattr(s, key)),
        "index_text": format_value(text.as_number(getattr(s, key)), na="-"),
        "time_in_bed": format_value(text.as_number(s.time_in_bed_h), "h", na="-"),
        "sleep": format_value(text.as_number(s.total_sleep_time_h), "h", na="-"),
        "plm_count": s.plm_count, "periodicity": format_value(text.as_number(s.periodicity_index), "ratio", na="-"),
        "hypnic": "-" if entry.kind == PSG else s.hypnic_jerk_count,
        "coverage": format_value(min(coverage), "%") if coverage else "-", "diary": diary,
        "warnings": [redact_paths(str(w), known_paths(s.to_dict())) for w in s.warnings or ()],
        "link": urllib.parse.quote(Path(os.path.relpath(report, link_from.parent)).as_posix()) if report.is_file() else None,
    }


def _stats(values: list[float | None], limit: float) -> dict[str, str]:
    known = [v for v in values if v is not None]
    if not known:
        return {}
    above = sum(v > limit for v in known)
    return {"n": str(len(known)), "median": f"{statistics.median(known):.1f}", "mean": f"{statistics.fmean(known):.1f}",
            "sd": f"{statistics.stdev(known):.1f}" if len(known) > 1 else "-",
            "range": f"{min(known):.1f} to {max(known):.1f}",
            "above": f"{above} of {len(known)} ({100 * above / len(known):.0f} %)" if len(known) > 1 else
            ("above" if above else "not above")}


def _group_context(group: list[NightEntry], link_from: Path, options: ReportOptions, number: int) -> dict[str, Any]:
    key, name, basis = _index_of(group)
    norm = options.subject.norm_at(group[0].date)
    rows = [_row(e, key, link_from, options) for e in group]
    values = [r["index"] for r in rows]
    figure = None
    if sum(v is not None for v in values) > 1:  # one night's bar shows nothing the table does not
        labels = [e.date.strftime("%d %b") if e.date else e.directory.name for e in group]
        figure = figure_to_data_uri(plot_nightly_index(labels, values, limit_per_h=norm.limit_per_h,
                                                       ylabel=f"{name} (/h)"))
    return {"id": f"group-{number}", "subject": group[0].subject, "kind": group[0].kind, "rules": group[0].night.summary.rules,
            "accelerometer": group[0].kind == ACCELEROMETER,
            "has_sleep": any(e.night.summary.total_sleep_time_h is not None for e in group),
            "index_name": name, "basis": basis, "norm": norm, "rows": rows, "stats": _stats(values, norm.limit_per_h),
            "sentences": text.render_multi_night_findings(values, limit_per_h=norm.limit_per_h, what=name),
            "figure": figure, "zone": group[0].clock.zone, "warned": sum(bool(r["warnings"]) for r in rows)}


def unscored_nights(dirs: Sequence[str | os.PathLike[str]]) -> list[dict[str, str]]:
    """The nights a multi-day directory's ``nights.csv`` (:mod:`lrm.nights`) lists as not scored: date, status,
    reason. A file that cannot be read is listed as such rather than ignored."""
    rows = []
    for d in dirs:
        table_path = Path(d) / "nights.csv"
        if not table_path.is_file() or (Path(d) / SUMMARY).exists():
            continue
        try:
            table = pd.read_csv(table_path, usecols=["date", "status", "reason"], dtype=str, keep_default_na=False)
        except (ValueError, OSError, pd.errors.ParserError) as exc:
            rows.append({"date": "", "status": "unreadable nights.csv", "reason": f"{Path(d).name}: {exc}"})
            continue
        rows += table[table["status"] != "ok"].to_dict("records")
    return rows


def _diary_rows(entries: list[NightEntry], options: ReportOptions) -> list[dict[str, Any]]:
    if options.diary is None:
        return []
    nights = {e.date for e in entries}
    return [{"date": day.strftime("%a %Y-%m-%d"), "entry": entry, "night": day in nights}
            for day, entry in options.diary.entries.items()]


def write_multi_night_report(
    dirs: Sequence[str | os.PathLike[str]], out_path: str | os.PathLike[str], *, pdf: bool = False,
    pdf_engine: str = "auto", options: ReportOptions | None = None,
) -> Path:
    """Combine nights into one report at ``out_path`` (module docstring). Returns the HTML path."""
    if not dirs:
        raise ValueError("dirs must name at least one analysed-night directory")
    options = options or ReportOptions()
    target = Path(out_path)
    entries = load_nights(dirs, options)
    check_overwrite(target)
    groups = [_group_context(g, target, options, k) for k, g in enumerate(group_nights(entries), start=1)]
    subjects = sorted({g["subject"] for g in groups if g["subject"]})
    dates = [e.date for e in entries if e.date]
    context = {"groups": groups, "n_nights": len(entries), "subjects": subjects,
               "subject_detail": options.subject.describe(dates[0] if dates else None, "at the first night"),
               "period": f"{min(dates).isoformat()} to {max(dates).isoformat()}" if dates else "dates unknown",
               "kinds": sorted({g["kind"] for g in groups}), "rule_sets": sorted({g["rules"] for g in groups}),
               "diary": options.diary, "diary_rows": _diary_rows(entries, options), "unscored": unscored_nights(dirs),
               "caveats": (text.NIGHTS_VARY,), "see_a_doctor": text.SEE_A_DOCTOR,
               "running_header": _running_header(subjects, dates)}
    write_text_atomic(target, render_page("multi.html.j2", **context))
    if pdf:
        _multi_pdf(target, groups, context, pdf_engine, entries)
    return target


def _running_header(subjects: list[str], dates: list[date]) -> str:
    span = f"{min(dates).isoformat()} to {max(dates).isoformat()}" if dates else ""
    return css_string(" - ".join(p for p in ("Leg movements over several nights", ", ".join(subjects), span) if p))


def _multi_pdf(target: Path, groups: list[dict[str, Any]], context: dict[str, Any], engine: str,
               entries: list[NightEntry]) -> None:
    from lrm.report.pdf import write_pdf, write_pdf_with_matplotlib

    def fallback(pdf_path: Path) -> None:
        tables = [(f"{g['subject'] or 'subject not given'}: {g['kind']} ({g['rules']}), {g['index_name']} {g['basis']}",
                   [(r["date"], f"{r['index_text']}/h, time in bed {r['time_in_bed']}"
                     + (f", diary: {r['diary'].get('note', '')}" if r["diary"] else "")) for r in g["rows"]])
                  for g in groups]
        figures = [plot_nightly_index([e.date.strftime("%d %b") if e.date else e.directory.name for e in grp],
                                      [r["index"] for r in g["rows"]], limit_per_h=g["norm"].limit_per_h)
                   for g, grp in zip(groups, group_nights(entries), strict=True) if g["figure"]]
        write_pdf_with_matplotlib(pdf_path, title=f"Leg movements over {context['n_nights']} nights",
                                  header=f"Leg movements over several nights - {', '.join(context['subjects'])}",
                                  paragraphs=[s for g in groups for s in g["sentences"]] + list(context["caveats"]),
                                  tables=tables, figures=figures)

    write_pdf(target, target.with_suffix(".pdf"), engine=engine, fallback=fallback)  # type: ignore[arg-type]
