"""Generic scoring inputs: LM CSV, hypnogram, interval CSV, and the errors bad files give."""

import pytest

from lrm.errors import InputError
from lrm.io.scoring_inputs import load_scoring_inputs, read_hypnogram, read_intervals_csv, read_lm_csv


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
    return path


def test_lm_csv_accepts_l_r_and_extra_columns(tmp_path):
    path = write(tmp_path, "lms.csv", "# scored by hand\nonset_s, offset_s, side, peak_g\n1.0,2.5,L,0.3\n4,5,Right,0.4\n")
    lms = read_lm_csv(path)
    assert lms["side"].tolist() == ["left", "right"] and lms["type"].tolist() == ["lm", "lm"]
    assert lms["onset_s"].tolist() == [1.0, 4.0] and lms["peak_g"].tolist() == [0.3, 0.4]


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("onset_s,side\n1,left\n", r"line 1 \(header\): missing column\(s\) 'offset_s'"),
        ("onset_s,offset_s,side\n1,2,left\n5,4,left\n", r"line 3, column 'offset_s': offset 4 s is before onset 5 s"),
        ("onset_s,offset_s,side\n1,NaN,left\n", r"line 2, column 'offset_s': not a finite number"),
        ("onset_s,offset_s,side\n1,,left\n", r"line 2, column 'offset_s'"),
        ("onset_s,offset_s,side\n1,2,left\n3,4,X\n", r"line 3, column 'side': unknown side 'X'. Fix: use left/right or L/R"),
        ("", r"empty file"),
        ("onset_s;offset_s;side\n1;2;left\n", r"separated by ';', not commas"),
        ("onset_s\toffset_s\tside\n1\t2\tleft\n", r"separated by tab"),
        ("onset_s,offset_s,side\n1,2,left,9\n", r"line 2: row has 4 fields, the header 3"),
    ],
)
def test_bad_lm_csv_names_file_line_and_fix(tmp_path, text, match):
    path = write(tmp_path, "lms.csv", text)
    with pytest.raises(InputError, match=match) as info:
        read_lm_csv(path)
    assert str(path) in str(info.value) and "Fix:" in str(info.value)


def test_non_utf8_file_names_the_line(tmp_path):
    path = write(tmp_path, "lms.csv", b"onset_s,offset_s,side\n1,2,left\n3,4,gauche\xe9\n")
    with pytest.raises(InputError, match=r"line 3: not UTF-8"):
        read_lm_csv(path)


def test_hypnogram_onset_layout_fills_missing_epochs(tmp_path):
    hyp = read_hypnogram(write(tmp_path, "h.csv", "onset_s,stage\n0,W\n30,n1\n90,REM\n"))
    assert hyp.stages == ("W", "N1", "?", "R") and hyp.start_s == 0.0 and hyp.end_s == 120.0


def test_hypnogram_one_stage_per_line(tmp_path):
    assert read_hypnogram(write(tmp_path, "h.txt", "W\nN2\nN3\n")).stages == ("W", "N2", "N3")
    assert read_hypnogram(write(tmp_path, "h2.txt", "stage\nW\nR\n")).stages == ("W", "R")


@pytest.mark.parametrize(("text", "match"), [
    ("onset_s,stage\n0,W\n30,S5\n", r"line 3, column 'stage': unknown sleep stage 'S5'"),
    ("onset_s,stage\n0,W\n45,N1\n", r"line 3, column 'onset_s': epoch onset 45 s is not a new multiple of 30 s"),
    ("", r"no epochs"),
])
def test_bad_hypnogram(tmp_path, text, match):
    with pytest.raises(InputError, match=match):
        read_hypnogram(write(tmp_path, "h.csv", text))


def test_hypnogram_shorter_than_the_events_is_an_error(tmp_path):
    lms = write(tmp_path, "lms.csv", "onset_s,offset_s,side\n10,12,left\n95,97,left\n")
    hyp = write(tmp_path, "h.csv", "onset_s,stage\n0,W\n30,N2\n60,N2\n")
    with pytest.raises(InputError, match=r"h.csv: 3 epochs: the hypnogram covers 0-90 s but a leg movement starts at 95 s"):
        load_scoring_inputs(lms, hypnogram=hyp)


def test_analysis_period_rules(tmp_path):
    lms = write(tmp_path, "lms.csv", "onset_s,offset_s,side\n10,12,left\n70,72,left\n")
    hyp = write(tmp_path, "h.csv", "onset_s,stage\n0,W\n30,N2\n60,?\n90,N2\n")
    assert load_scoring_inputs(lms, hypnogram=hyp).hours == pytest.approx(90 / 3600)  # "?" epochs excluded
    assert load_scoring_inputs(lms, hours=7.5).hours == 7.5
    inputs = load_scoring_inputs(lms, start_s=0, end_s=60)
    assert inputs.hours == pytest.approx(60 / 3600) and inputs.period == (0.0, 60.0)
    with pytest.raises(InputError, match="no analysis period.*--hours"):
        load_scoring_inputs(lms)
    with pytest.raises(InputError, match="--hours"):
        load_scoring_inputs(lms, hours=0)


def test_interval_csv(tmp_path):
    frame = read_intervals_csv(write(tmp_path, "a.csv", "onset_s,offset_s,type\n5,20,apnea\n"), "respiratory events")
    assert frame.to_numpy().tolist() == [[5.0, 20.0]]
    with pytest.raises(InputError, match="empty file"):
        read_intervals_csv(write(tmp_path, "b.csv", ""), "arousals")


def _lms_csv(tmp_path, onsets, name="lms.csv"):
    rows = "".join(f"{t},{t + 1.5},left\n" for t in onsets)
    return write(tmp_path, name, "onset_s,offset_s,side\n" + rows)


def test_lms_in_an_unscored_gap_leave_numerator_and_denominator_alike(tmp_path):
    """8 h of stages with 3 h unscored in the middle; LMs every 20 s all night. The gap left the denominator
    but its LMs stayed in the numerator (an index 8/5 too high)."""
    from lrm.api import score_events

    stages = ["N2"] * 300 + ["?"] * 360 + ["N2"] * 300                        # 2.5 h, 3 h unscored, 2.5 h
    hyp = write(tmp_path, "hyp.csv", "onset_s,stage\n" + "".join(f"{30 * i},{s}\n" for i, s in enumerate(stages)))
    lms = _lms_csv(tmp_path, [20.0 * k for k in range(1440)])                 # 8 h, 180 per hour
    with pytest.warns(UserWarning, match="540 LM\\(s\\) in unscored epochs"):
        scored = score_events(lms, hypnogram=hyp)
    s = scored.summary
    assert s.time_in_bed_h == 5.0 and s.lm_count == 900 and s.lm_index == 180.0
    with_hours = score_events(lms, hypnogram=hyp, hours=8.0).summary        # the whole period, gap included
    assert with_hours.lm_count == 1440 and with_hours.lm_index == 180.0


def test_hours_shorter_than_the_lms_span_is_an_error(tmp_path):
    """--hours 1 with LMs over 4.3 h reported 600/h without a word."""
    lms = _lms_csv(tmp_path, [10.0 + 26.0 * k for k in range(600)])
    with pytest.raises(InputError, match=r"--hours: the leg movements span 4.33 h .* the analysis period is 1 h"):
        load_scoring_inputs(lms, hours=1.0)
    assert load_scoring_inputs(lms, hours=4.4).hours == 4.4


@pytest.mark.parametrize("hours", [float("inf"), float("nan"), 0.0, 100.0])
def test_absurd_hours_are_refused(tmp_path, hours):
    with pytest.raises(InputError, match="--hours"):
        load_scoring_inputs(_lms_csv(tmp_path, [10.0]), hours=hours)


def test_zero_lms_in_a_csv_is_a_night_with_none(tmp_path):
    from lrm.api import score_events

    s = score_events(write(tmp_path, "none.csv", "onset_s,offset_s,side\n"), hours=7.5).summary
    assert s.lm_count == 0 and s.lm_index == 0.0 and s.plm_index == 0.0


@pytest.mark.parametrize(("text", "match"), [
    ("onset_s,offset_s,side\n10,12,left\n30,1000000030,right\n", r"line 3, column 'offset_s': an event lasting 1e\+09 s"),
    ("onset_s,offset_s,side\n10,12,left\n1705000000,1705000002,right\n", r"line 3: time 1.705e\+09 s is not within 48 h"),
])
def test_absurd_lm_values_are_refused_with_the_line(tmp_path, text, match):
    with pytest.raises(InputError, match=match):
        read_lm_csv(write(tmp_path, "lms.csv", text))


def test_hypnogram_onset_typo_is_refused_not_gridded(tmp_path):
    """An epoch at 3e9 s made a 10^8-epoch table."""
    path = write(tmp_path, "hyp.csv", "onset_s,stage\n0,W\n30,N1\n3000000060,N2\n")
    with pytest.raises(InputError, match=r"line 4: time 3e\+09 s is not within 48 h"):
        read_hypnogram(path)


def test_headerless_hypnogram_longer_than_a_night_is_refused(tmp_path):
    path = write(tmp_path, "stages.txt", "W\n" * 6000)
    with pytest.raises(InputError, match="6000 epochs of 30 s: 50.0 h"):
        read_hypnogram(path)
