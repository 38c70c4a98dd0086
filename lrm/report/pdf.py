"""report.pdf next to report.html (``--pdf``).

Choice: the PDF is the HTML report printed by a headless Chromium (``--print-to-pdf``) when one is
installed, so the PDF is the same document as the HTML, laid out by its ``@media print`` CSS on A4
pages, with the running header (subject, night) and "Page i of N" in the page margins (CSS ``@page``
margin boxes). Where no Chromium is found (or it fails), lrm falls back to matplotlib's ``PdfPages``:
A4 text pages with the findings and the main tables, then one A4 page per figure, each with the header
and page number; its first page and a warning say the fallback was used. That needs nothing beyond the
core dependencies, so ``--pdf`` always gives a PDF.

Chromium is looked up as ``$LRM_CHROMIUM``, then ``chromium``, ``chromium-browser``, ``google-chrome``
on PATH. It runs with no network (``--disable-background-networking`` and friends), a fresh profile in a
temporary directory, and ``--no-sandbox`` only when running as root (where Chromium requires it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import textwrap
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

from matplotlib.figure import Figure

from lrm.errors import LrmError, LrmWarning
from lrm.io.atomic import write_atomic

__all__ = ["find_chromium", "chromium_command", "print_to_pdf", "write_pdf", "write_pdf_with_matplotlib"]

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
CHROMIUM_TIMEOUT_S = 120.0
A4_IN = (8.27, 11.69)


def find_chromium() -> str | None:
    """Path of a Chromium to drive headless: ``$LRM_CHROMIUM`` if set, else the first on PATH, else None."""
    configured = os.environ.get("LRM_CHROMIUM")
    if configured:
        return configured if Path(configured).is_file() else shutil.which(configured)
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium_command(chromium: str, profile_dir: str | os.PathLike[str], *extra: str) -> list[str]:
    """Command line for a headless, offline Chromium with its own empty profile in ``profile_dir``."""
    command = [
        chromium, "--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
        "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-quic",
        "--disable-extensions", "--mute-audio", f"--user-data-dir={os.fspath(profile_dir)}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--no-sandbox")
    return command + list(extra)


def print_to_pdf(html_path: Path, pdf_path: Path, *, chromium: str) -> None:
    """Print ``html_path`` to ``pdf_path`` (A4 by the page's CSS) with headless Chromium; LrmError on failure."""
    html_path, pdf_path = Path(html_path).resolve(), Path(pdf_path)
    with tempfile.TemporaryDirectory(prefix="lrm-chromium-") as profile:
        tmp_pdf = Path(profile) / "out.pdf"
        command = chromium_command(chromium, Path(profile) / "profile", "--no-pdf-header-footer",
                                   f"--print-to-pdf={tmp_pdf}", html_path.as_uri())
        try:
            done = subprocess.run(command, capture_output=True, timeout=CHROMIUM_TIMEOUT_S, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise LrmError(f"{chromium}: could not print {html_path.name} to PDF ({exc})") from None
        if not tmp_pdf.is_file() or tmp_pdf.read_bytes()[:5] != b"%PDF-":
            last = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no output"]
            raise LrmError(f"{chromium}: printing {html_path.name} gave no PDF (exit {done.returncode}: {last[0]})")
        pdf_path.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(tmp_pdf, pdf_path.with_name(f".{pdf_path.name}.tmp"))
        os.replace(pdf_path.with_name(f".{pdf_path.name}.tmp"), pdf_path)


FALLBACK_NOTICE = (
    "This PDF was made without a browser (no Chromium was found, or it failed): it is lrm's simplified layout "
    "of the report's text, tables and figures on A4 pages. The HTML report beside it has the full layout, the "
    "event close-ups and the links."
)
_STYLES = {"title": dict(size=13, weight="bold"), "heading": dict(size=10.5, weight="bold"),
           "mono": dict(size=7.5, family="monospace"), "text": dict(size=9), "blank": dict(size=9),
           "notice": dict(size=8.5, style="italic")}


def _text_pages(title: str, paragraphs: Sequence[str],
                tables: Sequence[tuple[str, Sequence[tuple[str, str]]]]) -> list[Figure]:
    """A4 pages of wrapped text: the title, the fallback notice, paragraphs, then each table as key/value lines."""
    lines: list[tuple[str, str]] = [("title", line) for line in textwrap.wrap(title, 80)] + [("blank", "")]
    lines += [("notice", line) for line in textwrap.wrap(FALLBACK_NOTICE, 105)] + [("blank", "")]
    for paragraph in paragraphs:
        lines += [("text", line) for line in textwrap.wrap(paragraph, 100)] + [("blank", "")]
    for heading, rows in tables:
        if not rows:
            continue
        lines += [("heading", heading)]
        for key, value in rows:
            lines += [("mono", line) for line in textwrap.wrap(f"{key[:44]:<45} {value}", 105,
                                                                subsequent_indent=" " * 46)]
        lines += [("blank", "")]
    pages, per_page = [], 60
    for first in range(0, len(lines), per_page):
        fig = Figure(figsize=A4_IN)
        y = 0.93
        for kind, line in lines[first:first + per_page]:
            fig.text(0.08, y, line, va="top", **_STYLES[kind])
            y -= 0.0142
        pages.append(fig)
    return pages


def _figure_page(figure: Figure) -> Figure:
    """``figure`` drawn onto an A4 page (as an image, 160 dpi), as wide as the text and at most 3/4 of the height."""
    import io

    from matplotlib.image import imread

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=160)
    buffer.seek(0)
    image = imread(buffer)
    page = Figure(figsize=A4_IN)
    height_in, width_in = image.shape[0] / 160, image.shape[1] / 160
    scale = min(0.84 * A4_IN[0] / width_in, 0.75 * A4_IN[1] / height_in)
    w, h = width_in * scale / A4_IN[0], height_in * scale / A4_IN[1]
    ax = page.add_axes((0.08, 0.93 - h, w, h))
    ax.imshow(image, interpolation="antialiased")
    ax.set_axis_off()
    return page


def write_pdf_with_matplotlib(
    pdf_path: Path, *, title: str, paragraphs: Sequence[str],
    tables: Sequence[tuple[str, Sequence[tuple[str, str]]]], figures: Sequence[Figure], header: str = "",
) -> None:
    """A PDF without a browser: A4 text pages (``paragraphs``, ``tables`` of (key, value)), then one A4 page per
    figure; each page carries the running ``header`` and "Page i of N", and the first says the fallback was used."""
    from matplotlib.backends.backend_pdf import PdfPages

    pages = _text_pages(title, paragraphs, tables) + [_figure_page(f) for f in figures]
    for number, page in enumerate(pages, start=1):
        page.text(0.08, 0.975, header or title, va="top", size=7.5, color="#5a5a5a")
        page.text(0.92, 0.025, f"Page {number} of {len(pages)}", ha="right", size=7.5, color="#5a5a5a")

    def write(handle) -> None:  # noqa: ANN001 - a binary file
        with PdfPages(handle, metadata={"Title": title, "Creator": "lrm"}) as pdf:
            for page in pages:
                pdf.savefig(page)

    write_atomic(Path(pdf_path), write, binary=True)   # lrm.io.atomic: a full disk names the file


def write_pdf(
    html_path: Path, pdf_path: Path, *, engine: Literal["auto", "chromium", "matplotlib"] = "auto",
    fallback: Callable[[Path], None],
) -> str:
    """Write ``pdf_path`` from the report at ``html_path``; returns the engine used ("chromium"/"matplotlib").

    ``engine="auto"`` prints with Chromium when one is found and falls back to ``fallback(pdf_path)`` (the
    matplotlib PDF) otherwise, with an :class:`LrmWarning` saying so (and why: none found, or it failed).
    ``"chromium"`` raises :class:`LrmError` when none is found or printing fails.
    """
    if engine not in ("auto", "chromium", "matplotlib"):
        raise ValueError(f"engine must be 'auto', 'chromium' or 'matplotlib', got {engine!r}")
    if engine != "matplotlib":
        chromium = find_chromium()
        if chromium is None and engine == "chromium":
            raise LrmError("no Chromium found for --pdf. Fix: install chromium, or set LRM_CHROMIUM to its path")
        if chromium is not None:
            try:
                print_to_pdf(html_path, pdf_path, chromium=chromium)
                return "chromium"
            except LrmError as exc:
                if engine == "chromium":
                    raise
                warnings.warn(f"{exc}; writing a simpler PDF with matplotlib instead", LrmWarning, stacklevel=2)
        else:
            warnings.warn(f"no Chromium found: {Path(pdf_path).name} is lrm's simplified A4 layout (install chromium, "
                          "or set LRM_CHROMIUM, for the full one)", LrmWarning, stacklevel=2)
    fallback(Path(pdf_path))
    return "matplotlib"
