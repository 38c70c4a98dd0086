"""The sleep diary CSV (lrm.io.diary): dates, notes and free tags as written; bad lines named."""

from __future__ import annotations

from datetime import date

import pytest

from lrm.errors import InputError
from lrm.io.diary import read_diary


def test_dates_notes_and_free_tags_are_kept_as_written(tmp_path):
    path = tmp_path / "diary.csv"
    path.write_text("\ufeffdate,note,caffeine,Evening symptoms,medication\n"
                    "2026-03-02,,1 cup,3,\n"
                    "2026-03-01,\"late dinner, wine\",2 cups,6.5,pramipexole 0.125 mg\n"
                    ",,,,\n", encoding="utf-8")
    diary = read_diary(path)
    assert diary.tags == ("caffeine", "Evening symptoms", "medication") and diary.source == "diary.csv"
    assert list(diary.entries) == [date(2026, 3, 1), date(2026, 3, 2)]  # sorted; the blank line skipped
    assert diary.entry(date(2026, 3, 1)) == {"note": "late dinner, wine", "caffeine": "2 cups",
                                             "Evening symptoms": "6.5", "medication": "pramipexole 0.125 mg"}
    assert diary.entry(date(2026, 3, 2))["note"] == "" and diary.entry(date(2026, 3, 3)) is None


def test_semicolons_and_a_diary_without_notes(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("Date;alcohol\n2026-03-01;2 glasses\n", encoding="utf-8")
    diary = read_diary(path)
    assert diary.tags == ("alcohol",) and diary.entry(date(2026, 3, 1)) == {"note": "", "alcohol": "2 glasses"}


@pytest.mark.parametrize(("text", "message"), [
    ("note,caffeine\nx,y\n", "line 1: no 'date' column in the header"),
    ("date,note\n01/03/2026,x\n", "line 2, column 'date': not a date: '01/03/2026'. Fix: write dates as YYYY-MM-DD"),
    ("date,note\n2026-03-01,a\n2026-03-01,b\n", "line 3: 2026-03-01 appears again (first on line 2)"),
    ("date,symptoms\n2026-03-01,12\n", "line 2, column 'symptoms': '12' is not a 0-10 rating"),
    ("date,date\n2026-03-01,x\n", "line 1: a column name appears twice"),
])
def test_bad_diaries_are_input_errors_naming_the_line(tmp_path, text, message):
    path = tmp_path / "diary.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="diary.csv: " + message.replace("(", r"\(").replace(")", r"\)")):
        read_diary(path)


def test_a_missing_or_binary_diary_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="no-diary.csv"):
        read_diary(tmp_path / "no-diary.csv")
    (tmp_path / "bin.csv").write_bytes(b"date,note\n\xff\xfe\x00")
    with pytest.raises(InputError, match="not UTF-8 text"):
        read_diary(tmp_path / "bin.csv")
