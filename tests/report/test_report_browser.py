"""The report in a real headless browser (Debian's Chromium; .ci/run installs it). Skipped without one.

Chromium logs every console message (errors, CSP violations, failed loads) to stderr as ``CONSOLE`` lines
with ``--enable-logging=stderr``; the report has no script, so any such line is a defect.
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

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed (.ci/run installs Debian's chromium)")

PROBE = """<script>
window.addEventListener("load", () => {
  const images = [...document.images].map(i => {
    const box = i.getBoundingClientRect();
    return {natural_w: i.naturalWidth, natural_h: i.naturalHeight, w: box.width, h: box.height, complete: i.complete};
  });
  const out = document.createElement("pre");
  out.id = "probe";
  out.textContent = JSON.stringify({images: images, scroll_w: document.documentElement.scrollWidth,
                                    view_w: window.innerWidth});
  document.body.appendChild(out);
});
</script>"""


def run_chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    command = chromium_command(CHROMIUM, profile, "--enable-logging=stderr", "--v=0", "--hide-scrollbars", *args)
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


def probe(tmp_path: Path, html: Path, *, width: int) -> dict:
    """Load a copy of ``html`` with a measuring script (its CSP widened to allow only that inline script)."""
    text = html.read_text(encoding="utf-8")
    assert "default-src 'none'" in text
    text = text.replace("default-src 'none';", "default-src 'none'; script-src 'unsafe-inline';", 1)
    copy = tmp_path / f"probe-{width}.html"
    copy.write_text(text.replace("</body>", PROBE + "</body>"), encoding="utf-8")
    done = run_chromium(tmp_path, f"--window-size={width},900", "--virtual-time-budget=5000", "--dump-dom",
                        copy.as_uri())
    match = re.search(r'<pre id="probe">(.*?)</pre>', done.stdout, re.S)
    assert match, done.stderr[-2000:]
    return json.loads(match.group(1).replace("&quot;", '"').replace("&amp;", "&"))


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_console_check_catches_errors(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text("<!DOCTYPE html><title>x</title><script>console.error('boom'); missing();</script>")
    done = run_chromium(tmp_path, "--dump-dom", bad.as_uri())
    assert any("boom" in line for line in console_messages(done.stderr))


def test_night_report_loads_without_console_errors_and_every_figure_renders(tmp_path):
    report = write_report(write_night_dir(tmp_path / "night"))
    done = run_chromium(tmp_path, "--dump-dom", report.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    assert console_messages(done.stderr) == []
    assert "Leg movements during the night" in done.stdout

    result = probe(tmp_path, report, width=1200)
    assert len(result["images"]) == 5
    for image in result["images"]:
        assert image["complete"] and image["natural_w"] > 0 and image["natural_h"] > 0
        assert image["w"] > 300 and image["h"] > 100


def test_night_report_fits_a_phone_screen(tmp_path):
    report = write_report(write_night_dir(tmp_path / "night"))
    result = probe(tmp_path, report, width=390)  # headless Chromium lays out at least 500 px wide
    assert result["view_w"] <= 500
    assert result["scroll_w"] <= result["view_w"]  # no sideways scrolling of the page
    assert all(0 < image["w"] <= result["view_w"] for image in result["images"])


def test_screenshots_are_taken(tmp_path):
    night = write_night_dir(tmp_path / "night")
    report = write_report(night)
    shots = {}
    for name, size in (("desktop", "1000,5200"), ("phone", "390,2400")):
        shot = tmp_path / f"report-{name}.png"
        done = run_chromium(tmp_path, f"--window-size={size}", f"--screenshot={shot}", report.as_uri())
        assert shot.is_file(), done.stderr[-2000:]
        shots[name] = png_size(shot)
        assert console_messages(done.stderr) == []
    assert shots["desktop"][0] == 1000 and shots["phone"][0] <= 500
    keep = os.environ.get("LRM_KEEP_SCREENSHOTS")  # to look at them: LRM_KEEP_SCREENSHOTS=/some/dir
    if keep:
        for name in shots:
            Path(keep).mkdir(parents=True, exist_ok=True)
            (Path(keep) / f"report-{name}.png").write_bytes((tmp_path / f"report-{name}.png").read_bytes())


def test_multi_night_report_loads_without_console_errors(tmp_path):
    dirs = [write_night_dir(tmp_path / f"n{i}", seed=i, plm_series=i) for i in range(1, 4)]
    for d in dirs:
        write_report(d)
    report = write_multi_night_report(dirs, tmp_path / "nights.html")
    done = run_chromium(tmp_path, "--dump-dom", report.as_uri())
    assert console_messages(done.stderr) == []
    result = probe(tmp_path, report, width=1200)
    assert len(result["images"]) == 1 and result["images"][0]["natural_w"] > 0


def test_pdf_printed_by_chromium(tmp_path):
    night = write_night_dir(tmp_path / "night")
    write_report(night, pdf=True, pdf_engine="chromium")
    pdf = (night / "report.pdf").read_bytes()
    assert pdf[:5] == b"%PDF-"
    assert re.search(rb"/MediaBox ?\[0 0 59[45][.0-9]* 84[12]", pdf)  # A4: 595 x 842 pt
