"""The self-contained HTML night report (and its PDF), drawn from the typed night (:class:`lrm.result.NightResult`).

``write_night_report(result, name, FILE)`` writes one file with inline CSS, figures as SVG data URIs and the
event close-ups as inline SVG, no script and no network access (a Content-Security-Policy forbids both);
``write_report(DIR)`` reads a night directory back (:func:`lrm.result.load_night`) and writes DIR/report.html.
What the page shows, section by section, is :mod:`lrm.report.night`; the figures are
:func:`lrm.report.figures.night_figures`, for the HTML and the PDF alike.

``write_multi_night_report([DIR1, DIR2, ...], FILE)`` combines nights (:mod:`lrm.report.multi`).

All text from input files (subject id, file names, column text, diary) goes through Jinja2's autoescaping.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from matplotlib.figure import Figure

from lrm.io.atomic import write_text_atomic
from lrm.report.figures import night_figures
from lrm.report.multi import write_multi_night_report
from lrm.report.night import ReportOptions, night_context
from lrm.report.render import check_overwrite, figure_dicts, is_lrm_report, render_page
from lrm.result import NightResult, load_night

__all__ = ["render_night_html", "write_report", "write_night_report", "write_multi_night_report", "is_lrm_report",
           "ReportOptions"]

PdfEngine = Literal["auto", "chromium", "matplotlib"]


def _context(night: NightResult, name: str, options: ReportOptions) -> tuple[dict[str, Any], list[Figure]]:
    figures = night_figures(night)
    return night_context(night, name, options, list(figure_dicts(figures).values())), [f.figure for f in figures]


def render_night_html(night: NightResult, name: str = "night", options: ReportOptions | None = None) -> str:
    """The complete report.html text for one night (``name``: the night's name, e.g. its directory's)."""
    context, _ = _context(night, name, options or ReportOptions())
    return render_page("night.html.j2", **context)


def write_report(
    out_dir: str | os.PathLike[str], *, pdf: bool = False, out_path: str | os.PathLike[str] | None = None,
    pdf_engine: PdfEngine = "auto", options: ReportOptions | None = None,
) -> Path:
    """Write DIR/report.html (or ``out_path``) from the night directory DIR.

    With ``pdf`` also writes the same name with ``.pdf`` (see :mod:`lrm.report.pdf` for ``pdf_engine``).
    Returns the HTML path. An existing file is replaced only if lrm wrote it.
    """
    directory = Path(out_dir)
    night = load_night(directory)
    return write_night_report(night, directory.resolve().name, out_path if out_path is not None
                              else directory / "report.html", pdf=pdf, pdf_engine=pdf_engine, options=options)


def write_night_report(night: NightResult, name: str, out_path: str | os.PathLike[str], *, pdf: bool = False,
                       pdf_engine: PdfEngine = "auto", options: ReportOptions | None = None) -> Path:
    """Write the report of the typed night ``night`` to ``out_path`` (HTML; with ``pdf`` also ``.pdf``).

    One list of figures (:func:`lrm.report.figures.night_figures`) serves both. An existing file is
    replaced only if lrm wrote it. Returns the HTML path.
    """
    target = Path(out_path)
    check_overwrite(target)
    context, figures = _context(night, name, options or ReportOptions())
    write_text_atomic(target, render_page("night.html.j2", **context))
    if pdf:
        from lrm.report.pdf import write_pdf

        write_pdf(target, target.with_suffix(".pdf"), engine=pdf_engine,
                  fallback=lambda p: _night_pdf(context, figures, p))
    return target


def _night_pdf(context: dict[str, Any], figures: list[Figure], pdf_path: Path) -> None:
    """The PDF without a browser: the summary's text and tables, then the figures, on A4 pages."""
    from lrm.report.pdf import write_pdf_with_matplotlib

    findings = context["findings"]
    who = context["subject"] or context["night_name"]
    rows = [(r["label"], f"{r['value']}" + (f"   [reference {r['reference']}]" if r.get("reference") else "")
             + ("  ABOVE" if r.get("flag") == "above" else "")) for r in context["summary_rows"]]
    series = [(f"series {r['id']}", f"{r['start']} to {r['end']}, {r['plms']} PLMs, mean interval {r['mean_imi']} s, "
               f"{r['sides']}") for r in context["series_rows"]]
    stages = [(f"{r['name']} ({r['unit']})", "  ".join(f"{c} {v}" for c, v in zip(context["stage_columns"], r["values"],
                                                                                 strict=True)))
              for r in context["stage_rows"]]
    write_pdf_with_matplotlib(
        pdf_path,
        title=f"Leg movements during the night: {who}, night of {context['night_date']}",
        header=f"Leg-movement report - {who} - night of {context['night_date']}",
        paragraphs=[f"Clock times: {context['zone']}. Input: {context['input_kind']}. Rules: {context['rules_name']}.",
                    findings.headline, *findings.sentences, findings.hypnic_jerks,
                    *(f"Warning: {w}" for w in context["warnings"]), *findings.caveats,
                    findings.see_a_doctor],
        tables=[("Summary", rows), ("PLM series", series), ("By sleep stage", stages),
                ("Data quality warnings", [(str(k + 1), w) for k, w in enumerate(context["warnings"])]),
                (f"Rule set: {context['rules_name']}", context["rules_rows"]), ("Parameters", context["param_rows"])],
        figures=figures,
    )
