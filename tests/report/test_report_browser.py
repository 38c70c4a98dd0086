"""The report in a real headless browser (Debian's Chromium; .ci/run installs it). Skipped without one.

Chromium logs every console message (errors, CSP violations, failed loads) to stderr as ``CONSOLE`` lines
with ``--enable-logging=stderr``; the report has no script, so any such line is a defect. The layout is
measured by a probe script in a copy of the report (its CSP widened for that script only): at 1100 px (a
desktop) and 390 px (a phone) no figure may stick out sideways, and no text may be smaller than 9 px,
counting the text inside the SVG figures (font size x the figure's scale on screen).
"""

from __future__ import annotations

import json
import os
import re
import struct
import subprocess
from pathlib import Path

import pytest
from report_fixtures import write_night_dir

from lrm.report.html import write_multi_night_report, write_report
from lrm.report.pdf import chromium_command, find_chromium
from tests.conftest import shared_file

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed (.ci/run installs Debian's chromium)")
REMLOGIC = "lm_ground_truth/matplm_score/G20877_V1N2_AidRLS-Events.txt"
PHONE_PX, DESKTOP_PX, MIN_TEXT_PX = 390, 1100, 9.0

PROBE = """<script>
window.addEventListener("load", () => {
  const viewW = document.documentElement.clientWidth;
  const visible = el => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden";
  let htmlMin = 1e9, htmlWhere = "";
  for (const el of document.querySelectorAll("body *")) {
    if (el.closest("svg") || !visible(el)) continue;
    const own = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    const size = parseFloat(getComputedStyle(el).fontSize);
    if (own && size < htmlMin) { htmlMin = size; htmlWhere = el.tagName + ": " + el.textContent.slice(0, 40); }
  }
  const figures = [];
  for (const img of document.images) {
    const box = img.getBoundingClientRect();
    let fontMin = null;
    if (img.src.startsWith("data:image/svg+xml;base64,")) {
      const svg = atob(img.src.split(",")[1]);
      const vb = svg.match(/viewBox="0 0 ([0-9.]+)/);
      const sizes = [...svg.matchAll(/font-size: ([0-9.]+)px/g)].map(m => parseFloat(m[1]));
      if (vb && sizes.length) fontMin = Math.min(...sizes) * box.width / parseFloat(vb[1]);
    }
    figures.push({kind: "img", left: box.left, right: box.right, w: box.width, h: box.height,
                  natural_w: img.naturalWidth, complete: img.complete, font_px: fontMin});
  }
  for (const svg of document.querySelectorAll("main svg")) {
    if (!visible(svg)) continue;
    const box = svg.getBoundingClientRect();
    const scale = box.width / svg.viewBox.baseVal.width;
    const sizes = [...svg.querySelectorAll("text")].map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
    figures.push({kind: "svg", left: box.left, right: box.right, w: box.width, h: box.height,
                  font_px: sizes.length ? Math.min(...sizes) : null});
  }
  const out = document.createElement("pre");
  out.id = "probe";
  out.textContent = JSON.stringify({figures: figures, scroll_w: document.documentElement.scrollWidth,
                                    view_w: viewW, html_min_px: htmlMin, html_min_where: htmlWhere,
                                    ids: [...document.querySelectorAll("[id]")].map(e => e.id)});
  document.body.appendChild(out);
  if (window.parent !== window) window.parent.postMessage(out.textContent, "*");
});
</script>"""
# Headless Chromium lays a window out at least 500 px wide: the report is measured in an iframe of the exact
# width (its media queries see that width), which posts the probe's result to this page.
HARNESS = """<!DOCTYPE html><html><body style="margin:0"><pre id="probe"></pre>
<iframe src="{src}" style="width:{width}px;height:900px;border:0"></iframe>
<script>addEventListener("message", e => {{ document.getElementById("probe").textContent = e.data; }});</script>
</body></html>"""


def run_chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    command = chromium_command(CHROMIUM, profile, "--enable-logging=stderr", "--v=0", "--hide-scrollbars", *args)
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)


def console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def probe(tmp_path: Path, html: Path, *, width: int) -> dict:
    """Load a copy of ``html`` with the measuring script (its CSP widened to allow only that inline script)."""
    text = html.read_text(encoding="utf-8")
    assert "default-src 'none'" in text
    text = text.replace("default-src 'none';", "default-src 'none'; script-src 'unsafe-inline';", 1)
    copy = html.with_name(f"probe-{width}-{html.name}")
    copy.write_text(text.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    harness = html.with_name(f"harness-{width}-{html.name}")
    harness.write_text(HARNESS.format(src=copy.name, width=width), encoding="utf-8")
    done = run_chromium(tmp_path, f"--window-size={max(width, 500) + 40},1000", "--virtual-time-budget=8000",
                        "--dump-dom", harness.as_uri())
    match = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout, re.S)
    assert match, done.stderr[-2000:]
    return json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&").replace("&lt;", "<").replace("&gt;", ">"))


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def check_layout(result: dict, width: int) -> None:
    """No sideways scrolling, no figure beyond the screen, every text (figures' included) >= 9 px."""
    assert result["view_w"] == width
    assert result["scroll_w"] <= result["view_w"]
    assert result["figures"]
    for figure in result["figures"]:
        assert 0 <= figure["left"] and figure["right"] <= result["view_w"] + 0.5, figure
        if figure["font_px"] is not None:
            assert figure["font_px"] >= MIN_TEXT_PX, figure
    assert result["html_min_px"] >= MIN_TEXT_PX, result["html_min_where"]


def keep_screenshots(tmp_path: Path, report: Path, name: str) -> None:
    """Screenshots at both widths; LRM_KEEP_SCREENSHOTS=/some/dir keeps them to look at."""
    for kind, size in (("desktop", f"{DESKTOP_PX},6000"), ("phone", f"{PHONE_PX},9000")):
        shot = tmp_path / f"{name}-{kind}.png"
        done = run_chromium(tmp_path, f"--window-size={size}", f"--screenshot={shot}", report.as_uri())
        assert shot.is_file(), done.stderr[-2000:]
        assert png_size(shot)[0] == int(size.split(",")[0]) and console_messages(done.stderr) == []
        keep = os.environ.get("LRM_KEEP_SCREENSHOTS")
        if keep:
            Path(keep).mkdir(parents=True, exist_ok=True)
            (Path(keep) / shot.name).write_bytes(shot.read_bytes())


def test_console_check_catches_errors(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><title>x</title><script>console.error('boom'); missing();</script>")
    done = run_chromium(tmp_path, "--dump-dom", bad.as_uri())
    assert any("boom" in line for line in console_messages(done.stderr))


def test_the_probe_catches_small_text_and_wide_figures(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text('<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src '
                   "'none'; style-src 'unsafe-inline'\"></head><body><main><p style=\"font-size:7px\">tiny</p>"
                   '<svg viewBox="0 0 100 10" style="width:1500px"><text font-size="5">x</text></svg></main></body></html>')
    result = probe(tmp_path, bad, width=PHONE_PX)
    assert result["html_min_px"] == 7 and result["scroll_w"] > result["view_w"]
    with pytest.raises(AssertionError):
        check_layout(result, PHONE_PX)


def test_night_report_in_the_browser_at_desktop_and_phone_width(tmp_path):
    report = write_report(write_night_dir(tmp_path / "night"))
    done = run_chromium(tmp_path, "--dump-dom", report.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    assert console_messages(done.stderr) == []
    for width in (DESKTOP_PX, PHONE_PX):
        result = probe(tmp_path, report, width=width)
        check_layout(result, width)
        images = [f for f in result["figures"] if f["kind"] == "img"]
        assert len(images) == 4 and all(f["complete"] and f["natural_w"] > 0 and f["h"] > 100 for f in images)
        assert sum(f["kind"] == "svg" for f in result["figures"]) > 5  # the close-ups
        assert {"summary", "night-chart", "series", "imi", "review", "quality", "appendix"} <= set(result["ids"])
    keep_screenshots(tmp_path, report, "accelerometer-night")


def test_remlogic_night_in_the_browser_at_desktop_and_phone_width(tmp_path):
    from lrm.api import score_events

    night = score_events(shared_file(REMLOGIC)).save(tmp_path / "remlogic")
    report = write_report(night)
    for width in (DESKTOP_PX, PHONE_PX):
        result = probe(tmp_path, report, width=width)
        check_layout(result, width)
        assert "stages" in result["ids"]
    keep_screenshots(tmp_path, report, "remlogic-night")


def test_multi_night_report_in_the_browser(tmp_path):
    dirs = [write_night_dir(tmp_path / f"n{i}", seed=i, plm_series=i, hours=1.0) for i in range(1, 4)]
    for d in dirs:
        write_report(d)
    report = write_multi_night_report(dirs, tmp_path / "nights.html")
    done = run_chromium(tmp_path, "--dump-dom", report.as_uri())
    assert console_messages(done.stderr) == []
    for width in (DESKTOP_PX, PHONE_PX):
        result = probe(tmp_path, report, width=width)
        check_layout(result, width)
        assert "nights" in result["ids"]
    keep_screenshots(tmp_path, report, "nights")


def test_pdf_printed_by_chromium_is_a4_with_page_numbers_and_a_running_header(tmp_path):
    import pypdf

    night = write_night_dir(tmp_path / "night")
    write_report(night, pdf=True, pdf_engine="chromium")
    reader = pypdf.PdfReader(night / "report.pdf")
    pages = [page.extract_text() for page in reader.pages]
    assert len(pages) >= 3
    for number, (page, words) in enumerate(zip(reader.pages, pages, strict=True), start=1):
        assert [round(float(v)) for v in page.mediabox.upper_right] == [595, 842]  # A4 in pt
        assert f"Page {number} of {len(pages)}" in words
        assert "Leg-movement report · S01 · night of 2026-03-01" in words
    assert "Physician review" in pages[0] and "PLMs per hour" in pages[0]  # the one-page summary
    assert "What this means" not in pages[0]  # ... ends on page 1
    assert str(tmp_path) not in " ".join(pages)  # no absolute path, not even the browser's default footer
