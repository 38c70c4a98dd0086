from __future__ import annotations

import pytest
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


def test_lrm_report_subject_and_age_set_the_header_and_the_childrens_norm(tmp_path, capsys):
    night = write_night_dir(tmp_path / "night", hours=1.0)
    assert main(["report", str(night), "--subject", "P-017", "--dob", "2017-05-01"]) == 0
    text = (night / "report.html").read_text(encoding="utf-8")
    summary = text[text.index('id="summary"'):text.index('id="meaning"')]
    assert "P-017" in text and "born 2017-05-01, 8 years at this night" in text  # night of 2026-03-01
    assert "≤ 5/h (child)" in summary and "limit sleep clinics use for children" in summary
    assert main(["report", str(night), "--age", "45"]) == 0
    assert "≤ 15/h (adult)" in (night / "report.html").read_text(encoding="utf-8")


@pytest.mark.parametrize(("args", "message"), [
    (["--dob", "01.05.2017"], "--dob: not a date: '01.05.2017'. Fix: give the date of birth as YYYY-MM-DD"),
    (["--age", "ten"], "--age: not a number of years: 'ten'"),
    (["--age", "300"], "--age: 300 years is out of range"),
])
def test_lrm_report_bad_subject_values_are_one_line_errors(tmp_path, capsys, args, message):
    night = write_night_dir(tmp_path / "night", hours=1.0)
    assert main(["report", str(night), *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_lrm_report_with_a_diary_shows_the_nights_entry(tmp_path, capsys):
    night = write_night_dir(tmp_path / "night", hours=1.0)
    diary = tmp_path / "diary.csv"
    diary.write_text("date;note;alcohol\n2026-03-01;visited friends;2 glasses\n", encoding="utf-8")
    assert main(["report", str(night), "--diary", str(diary)]) == 0
    text = (night / "report.html").read_text(encoding="utf-8")
    assert 'id="diary"' in text and "visited friends" in text and "2 glasses" in text
    diary.write_text("date,note\n2026-13-01,x\n", encoding="utf-8")
    assert main(["report", str(night), "--diary", str(diary)]) == 2
    assert "diary.csv: line 2, column 'date': not a date: '2026-13-01'" in capsys.readouterr().err
