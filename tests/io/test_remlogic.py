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
