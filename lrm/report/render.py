"""What every lrm report page shares: the autoescaping templates, the generator stamp, the overwrite rule.

All text from input files (subject id, file names, diary notes, column text) goes through Jinja2's
autoescaping; the one value placed in CSS (the printed pages' running header) is escaped for CSS
(:func:`css_string`). A report is replaced only if lrm wrote it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2

from lrm._version import __version__
from lrm.errors import OutputExistsError
from lrm.report.plots import figure_to_data_uri

__all__ = ["GENERATOR", "css_string", "render_page", "is_lrm_report", "check_overwrite", "figure_dicts"]

GENERATOR = f"lrm {__version__}"

_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("lrm.report", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)


def css_string(value: str) -> str:
    """``value`` as the body of a CSS string: every character but letters, digits, space and a few marks as a
    CSS escape, so no input text can end the string or the style sheet.

    >>> css_string('Ann "A" </style>')
    'Ann \\\\000022 A\\\\000022  \\\\00003c \\\\00002f style\\\\00003e '
    """
    return re.sub(r"[^A-Za-z0-9 .,:()+-]", lambda m: f"\\{ord(m.group(0)):06x} ", value)


def render_page(template: str, **context: Any) -> str:
    """Render ``template`` with ``context`` plus the generator stamp and the time of writing (this computer's
    clock, its zone named)."""
    stamp = {"generator": GENERATOR, "generator_css": css_string(f"{GENERATOR} - open software"),
             "generated_at": datetime.now(UTC).astimezone().strftime("%Y-%m-%d %H:%M %Z")}
    return _ENV.get_template(template).render(**stamp, **context)


def figure_dicts(figures: list[Any]) -> dict[str, dict[str, str]]:
    """ReportFigures as template values by id: title, caption and the SVG data URI."""
    return {f.id: {"id": f.id, "title": f.title, "caption": f.caption, "src": figure_to_data_uri(f.figure)}
            for f in figures}


def is_lrm_report(path: Path) -> bool:
    """Whether ``path`` is a report this program wrote (safe to regenerate)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(4096)
    except OSError:
        return False
    return b'<meta name="generator" content="lrm ' in head


def check_overwrite(path: Path) -> None:
    """OutputExistsError when ``path`` exists and lrm did not write it."""
    if path.exists() and not is_lrm_report(path):
        raise OutputExistsError(str(path), "choose another --out; only reports written by lrm are replaced")
