from __future__ import annotations

from report_fixtures import write_night_dir

from lrm.cli import main


def test_lrm_report_one_directory(tmp_path, capsys):
    night = write_night_dir(tmp_path / "night", hours=2.0)
    assert main(["report", str(night)]) == 0
    assert (night / "report.html").is_file()
    assert capsys.readouterr().out.strip() == str(night / "report.html")


def test_lrm_report_several_directories_with_pdf(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LRM_CHROMIUM", str(tmp_path / "no-such-browser"))  # force the matplotlib PDF
    dirs = [str(write_night_dir(tmp_path / f"n{i}", seed=i, hours=1.0)) for i in (1, 2)]
    out = tmp_path / "both.html"
    assert main(["report", *dirs, "--out", str(out), "--pdf"]) == 0
    assert out.is_file() and out.with_suffix(".pdf").read_bytes()[:5] == b"%PDF-"


def test_lrm_report_on_a_wrong_directory_is_a_one_line_error(tmp_path, capsys):
    assert main(["report", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lrm: error: ") and "not a directory" in err and "Traceback" not in err
