"""RemLogic event export reader (format as in ../shared/data/lm_ground_truth/matplm_score)."""

import pytest

from lrm.errors import InputError
from lrm.io.remlogic import read_remlogic
from lrm.io.scoring_inputs import detect_events_format
from tests.conftest import shared_file

HEADER = "RemLogic Event Export\r\nPatient:\tX\r\n\r\nTime [hh:mm:ss.xxx]\tEvent\tDuration[s]\tLocation\r\n"


def write(tmp_path, body):
    path = tmp_path / "night-Events.txt"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def test_small_export_maps_lms_stages_arousals_and_respiratory(tmp_path):
    body = (
        "2015-04-15T23:59:30.000000\tSLEEP-S0\t30.00\tEEG-F3\r\n"
        "2015-04-16T00:00:00.000000\tSLEEP-S2\t30.00\tEEG-F3\r\n"
        "2015-04-16T00:00:05.500000\tPLM-LM\t2.50\tEMG.Tibialis-Leg.Left\r\n"
        "2015-04-16T00:00:10.000000\tPLM-LM\t1.00\tEMG.Tibialis-Leg.Right\r\n"
        "2015-04-16T00:00:20.000000\tHYPOPNEA\t8.00\tResp.Flow\r\n"
        "2015-04-16T00:00:29.000000\tAROUSAL-LM\t3.00\tEEG-O2\r\n"
        "2015-04-16T00:00:30.000000\tSLEEP-REM\t30.00\tEEG-F3\r\n"
    )
    rem = read_remlogic(write(tmp_path, body))
    assert rem.hypnogram.stages == ("W", "N2", "R") and rem.hypnogram.start_s == 0.0
    assert rem.lms[["onset_s", "offset_s", "side"]].to_numpy().tolist() == [[35.5, 38.0, "left"], [40.0, 41.0, "right"]]
    assert rem.respiratory.to_numpy().tolist() == [[50.0, 58.0]]
    assert rem.arousals.to_numpy().tolist() == [[59.0, 62.0]]
    assert detect_events_format(tmp_path / "night-Events.txt") == "remlogic"


def test_lm_without_a_leg_is_an_error(tmp_path):
    path = write(tmp_path, "2015-04-16T00:00:05.500000\tPLM-LM\t2.50\tEMG.Chin\r\n")
    with pytest.raises(InputError, match=r"line 5, column 'Location': leg movement without a leg"):
        read_remlogic(path)


def test_bad_time_is_an_error(tmp_path):
    path = write(tmp_path, "yesterday\tPLM-LM\t2.50\tEMG.Tibialis-Leg.Left\r\n")
    with pytest.raises(InputError, match=r"line 5, column 'Time': unreadable time 'yesterday'"):
        read_remlogic(path)


def test_g20877_night():
    rem = read_remlogic(shared_file("lm_ground_truth/matplm_score/G20877_V1N2_AidRLS-Events.txt"))
    assert len(rem.lms) == 291 and (rem.lms["side"] == "left").sum() == 36
    assert len(rem.hypnogram.stages) == 961 and rem.hypnogram.stages.count("W") == 458
    assert len(rem.respiratory) == 10 and len(rem.arousals) == 57
    assert rem.start.isoformat() == "2015-04-15T23:50:12"


REAL = "lm_ground_truth/matplm_score/G20877_V1N2_AidRLS-Events.txt"


def _real_lines():
    text = shared_file(REAL).read_bytes().decode("utf-8")
    lines = text.split("\r\n")
    header = next(i for i, ln in enumerate(lines) if ln.startswith("Time ["))
    return lines[: header + 1], [ln for ln in lines[header + 1:] if ln.strip()]


def _write_real(tmp_path, body, head=None):
    head = head if head is not None else _real_lines()[0]
    path = tmp_path / "Events.txt"
    path.write_bytes("\r\n".join([*head, *body, ""]).encode("utf-8"))
    return path


@pytest.mark.parametrize(("right", "left"), [("EMG.Tibialis-Leg.Right", "EMG.Tibialis-Leg.Left"),
                                             ("EMG.Tibialis-Leg-Right", "EMG.Tibialis-Leg-Left"),
                                             ("RAntib1-RAntib2", "LAntib1-LAntib2")])
def test_every_documented_location_spelling_gives_the_same_legs(tmp_path, right, left):
    """formats.md: three spellings in real exports; 'RAntib1-RAntib2' was refused ('leg movement without a leg')."""
    _, body = _real_lines()
    spelled = [ln.replace("EMG.Tibialis-Leg.Right", right).replace("EMG.Tibialis-Leg.Left", left) for ln in body]
    rem = read_remlogic(_write_real(tmp_path, spelled))
    assert len(rem.lms) == 291 and (rem.lms["side"] == "left").sum() == 36


def test_montage_location_texts():
    import pandas as pd

    from lrm.io.remlogic import side_of_location

    texts = ["RAntib1-RAntib2", "LAntib1-LAntib2", "RAT1-RAT2", "L-Tib", "Leg/R", "EMG.Chin", "EEG-F3", "Resp.Flow-Cannula.Nasal",
             "LAntib1-RAntib2"]
    assert side_of_location(pd.Series(texts)).tolist() == ["right", "left", "right", "left", "right", "", "", "", ""]


def test_a_night_with_zero_lms_gives_indices_of_zero(tmp_path):
    """A healthy night (no PLM-LM line at all) used to be refused: 'no leg movements in the file'."""
    from lrm.api import score_events

    _, body = _real_lines()
    path = _write_real(tmp_path, [ln for ln in body if "\tPLM-LM\t" not in ln])
    scored = score_events(path)
    s = scored.summary
    assert s.lm_count == 0 and s.lm_index == 0.0 and s.plm_index == 0.0 and s.plms_index == 0.0
    assert abs(s.time_in_bed_h - 8.0) < 0.02


@pytest.mark.parametrize("order", ["reversed", "shuffled"])
def test_line_order_does_not_matter(tmp_path, order):
    """Reversed: 'internal error: IndexError'; shuffled: 6.6 h in bed and PLMS 64.5 instead of 8.0 h and 66.8."""
    import random

    from lrm.api import score_events

    _, body = _real_lines()
    lines = body[::-1] if order == "reversed" else random.Random(7).sample(body, len(body))
    want = score_events(shared_file(REAL)).summary
    got = score_events(_write_real(tmp_path, lines)).summary
    assert got.time_in_bed_h == want.time_in_bed_h and abs(got.time_in_bed_h - 8.0) < 0.02
    assert got.plms_index == want.plms_index and got.plm_index == want.plm_index and got.lm_count == want.lm_count


def test_trailing_tabs_are_harmless_and_extra_values_are_named(tmp_path):
    """Rows with extra TABs gave 'internal error: ParserError'."""
    _, body = _real_lines()
    padded = [ln + "\t\t" if i % 3 == 0 else ln for i, ln in enumerate(body)]
    assert len(read_remlogic(_write_real(tmp_path, padded)).lms) == 291
    shifted = list(body)
    shifted[10] = shifted[10].replace("\t", "\t\t", 1)       # an empty field inside the row moves the values
    with pytest.raises(InputError, match=r"line 47: more TAB-separated values than the 4 columns"):
        read_remlogic(_write_real(tmp_path, shifted))


@pytest.mark.parametrize(("typo", "match"), [("2014-", r"1 event 365.0 days before"), ("2115-", r"1 event 100 years after")])
def test_stage_date_typo_is_refused_with_its_line(tmp_path, typo, match):
    """A year before: 'internal error: IndexError'; a century typo: minutes and > 7 GB."""
    _, body = _real_lines()
    i = next(k for k, ln in enumerate(body) if "\tSLEEP-S2\t" in ln)
    body[i] = body[i].replace("2015-", typo, 1)
    with pytest.raises(InputError, match=rf"line {i + 37}, column 'Time': {match}"):
        read_remlogic(_write_real(tmp_path, body))


def test_lm_lasting_1e9_s_is_refused_with_its_line(tmp_path):
    """Ran for minutes past 7 GB (report axes sized by the value)."""
    _, body = _real_lines()
    i = next(k for k, ln in enumerate(body) if "\tPLM-LM\t" in ln)
    fields = body[i].split("\t")
    fields[2] = "1000000000.00"
    body[i] = "\t".join(fields)
    with pytest.raises(InputError, match=rf"line {i + 37}, column 'Duration\[s\]': an event lasting 1e\+09 s"):
        read_remlogic(_write_real(tmp_path, body))


def test_two_stages_for_one_epoch_are_refused(tmp_path):
    body = ("2015-04-15T23:59:30.000000\tSLEEP-S0\t30.00\tEEG-F3\r\n"
            "2015-04-16T00:00:00.000000\tSLEEP-S2\t30.00\tEEG-F3\r\n"
            "2015-04-16T00:00:00.000000\tSLEEP-REM\t30.00\tEEG-F3\r\n")
    with pytest.raises(InputError, match="line 7: a second sleep stage"):
        read_remlogic(write(tmp_path, body))
