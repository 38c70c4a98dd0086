"""The self-contained HTML night report, drawn from the typed night (:class:`lrm.result.NightResult`).

``write_night_report(result, name, FILE)`` writes one file with inline CSS and figures as SVG data URIs,
no script and no network access (a Content-Security-Policy forbids both); ``write_report(DIR)`` reads a
night directory back (:func:`lrm.result.load_night`) and writes DIR/report.html. ``score-events``
directories have no trace: the signal figures are then left out. Values that do not apply (None) show
as "not available". The figures are :func:`lrm.report.figures.night_figures`, for the HTML and the PDF.

``write_multi_night_report([DIR1, DIR2, ...], FILE)`` combines analysed nights: a night-by-night table,
the mean PLM index and the night-to-night spread (docs/scoring.md §2.6).

All text from input files (subject id, file names, column text) goes through Jinja2's autoescaping.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import jinja2
import numpy as np
from matplotlib.figure import Figure

from lrm._version import __version__
from lrm.errors import OutputExistsError
from lrm.result import NightResult, load_night
from lrm.report import plots, text
from lrm.io.atomic import write_text_atomic
from lrm.report.figures import ReportFigure, night_figures
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
    rules_table,
    side_table,
)
from lrm.report.text import as_number, render_findings, render_multi_night_findings

__all__ = ["render_night_html", "write_report", "write_night_report", "write_multi_night_report"]

GENERATOR = f"lrm {__version__}"
PdfEngine = Literal["auto", "chromium", "matplotlib"]

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("lrm.report", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


# ---------------------------------------------------------------- rendering


def _night_context(night: NightResult, name: str, figures: list[ReportFigure]) -> dict[str, Any]:
    summary = night.summary.to_dict()
    start = parse_start(night.summary.recording_start, night.summary.timezone)
    rules_name, rules_rows = rules_table(night.rules)
    quality = quality_table(summary)
    side_columns, side_rows = side_table(night.events)
    file_columns, file_rows = input_file_table(summary)
    series = plots.densest_series(night.events)
    return {
        "generator": GENERATOR,
        "generated_at": _now_local(),
        "subject": night.summary.subject,
        "night_name": name,
        "recording_start": _start_text(night, start),
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
        "figures": [{"id": f.id, "title": f.title, "caption": f.caption, "src": plots.figure_to_data_uri(f.figure)}
                    for f in figures],
    }


def _now_local() -> str:
    """This computer's clock time, with its zone (when the report was written)."""
    return datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M %Z")


def _start_text(night: NightResult, start: datetime | None) -> str | None:
    """When the recording started, in its local clock time and zone, saying what is not known."""
    if start is None:
        return night.summary.recording_start
    when = start.strftime("%Y-%m-%d %H:%M")
    if start.tzinfo is None:
        return f"{when} local time (the files state no time zone)"
    if night.summary.timezone is None:
        return f"{when} UTC (time zone unknown)"
    return f"{when} {start.strftime('%Z')} ({night.summary.timezone})"


def render_night_html(night: NightResult, name: str = "night") -> str:
    """The complete report.html text for one night (``name``: the night's name, e.g. its directory's)."""
    return _ENV.get_template("night.html.j2").render(**_night_context(night, name, night_figures(night)))


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
    directory = Path(out_dir)
    night = load_night(directory)
    return write_night_report(night, directory.resolve().name, out_path if out_path is not None
                              else directory / "report.html", pdf=pdf, pdf_engine=pdf_engine)


def write_night_report(night: NightResult, name: str, out_path: str | os.PathLike[str], *, pdf: bool = False,
                       pdf_engine: PdfEngine = "auto") -> Path:
    """Write the report of the typed night ``night`` to ``out_path`` (HTML; with ``pdf`` also ``.pdf``).

    One list of figures (:func:`lrm.report.figures.night_figures`) serves both. An existing file is
    replaced only if lrm wrote it. Returns the HTML path.
    """
    target = Path(out_path)
    _check_overwrite(target)
    figures = night_figures(night)
    context = _night_context(night, name, figures)
    write_text_atomic(target, _ENV.get_template("night.html.j2").render(**context))
    if pdf:
        from lrm.report.pdf import write_pdf

        write_pdf(target, target.with_suffix(".pdf"), engine=pdf_engine,
                  fallback=lambda p: _night_pdf(context, [f.figure for f in figures], p))
    return target


def _night_pdf(context: dict[str, Any], figures: list[Figure], pdf_path: Path) -> None:
    from lrm.report.pdf import write_pdf_with_matplotlib

    findings = context["findings"]
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


def _night_row(night: NightResult, out_dir: Path, link_from: Path) -> dict[str, Any]:
    summary = night.summary.to_dict()
    start = parse_start(night.summary.recording_start, night.summary.timezone)
    coverage = [q.coverage_pct for q in night.summary.quality.values()]
    report = out_dir / "report.html"
    return {
        "name": out_dir.resolve().name,
        "subject": night.summary.subject,
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
        "rules": night.rules.name,
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
    nights = [(load_night(d), Path(d)) for d in dirs]
    _check_overwrite(target)
    rows = [_night_row(night, directory, target) for night, directory in nights]
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
        generated_at=_now_local(),
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
    write_text_atomic(target, html_text)
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
