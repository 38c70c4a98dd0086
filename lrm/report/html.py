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

import os
import tempfile
import urllib.parse
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import jinja2
import numpy as np

from lrm._version import __version__
from lrm.errors import OutputExistsError
from lrm.report import plots, text
from lrm.report.night_files import NightFiles, load_night
from lrm.report.tables import (
    flatten,
    format_value,
    hypnic_jerk_rows,
    index_rows,
    input_file_table,
    other_value_rows,
    parse_start,
    quality_table,
    rows_of,
    rule_number,
    rules_table,
    side_table,
)
from lrm.report.text import as_number, render_findings, render_multi_night_findings

__all__ = ["NightFiles", "load_night", "render_night_html", "write_report", "write_multi_night_report"]

GENERATOR = f"lrm {__version__}"
PdfEngine = Literal["auto", "chromium", "matplotlib"]

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("lrm.report", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


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
    imi_min = rule_number(summary, ("imi_min_s", "min_imi_s"), 10.0)
    imi_max = rule_number(summary, ("imi_max_s", "max_imi_s"), 90.0)
    min_lm_s = rule_number(summary, ("min_lm_s", "lm_min_duration_s"), 0.5)
    max_lm_s = rule_number(summary, ("max_clm_one_leg_s", "lm_max_duration_s"), 10.0)
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
    rules_name, rules_rows = rules_table(summary)
    quality = quality_table(summary)
    side_columns, side_rows = side_table(night.events)
    file_columns, file_rows = input_file_table(summary)
    series = plots.densest_series(night.events)
    return {
        "generator": GENERATOR,
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "subject": summary.get("subject_id") or summary.get("subject"),
        "night_name": night.out_dir.resolve().name,
        "recording_start": start.strftime("%Y-%m-%d %H:%M %Z").strip() if start else summary.get("recording_start"),
        "findings": render_findings(summary),
        "index_rows": index_rows(summary),
        "side_columns": side_columns,
        "side_rows": side_rows,
        "hypnic_jerks": hypnic_jerk_rows(night.events, start),
        "quality_by_leg": quality if isinstance(quality, tuple) else None,
        "quality_rows": quality if isinstance(quality, list) else [],
        "rules_name": rules_name,
        "rules_rows": rules_rows,
        "rules_description": summary.get("rules_description"),
        "warnings": [str(w) for w in warnings if w] if isinstance(warnings := summary.get("warnings"), list) else [],
        "param_rows": rows_of(flatten(summary.get("params"), "")) if summary.get("params") is not None else [],
        "params_digest": summary.get("params_digest"),
        "lrm_version": summary.get("lrm_version"),
        "schema_version": summary.get("schema_version"),
        "file_columns": file_columns,
        "file_rows": file_rows,
        "other_rows": other_value_rows(summary),
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
        "rules": rules_table(summary)[0],
        "link": urllib.parse.quote(Path(os.path.relpath(report, link_from.parent)).as_posix())
        if report.is_file() else None,
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
