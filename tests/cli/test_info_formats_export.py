"""End-to-end: lrm formats, lrm info, lrm export."""

import json

import numpy as np
import pytest

from lrm.cli import main
from lrm.io.registry import FORMATS
from tests.conftest import shared_file


def test_formats_lists_every_registered_format(capsys):
    assert main(["formats"]) == 0
    out = capsys.readouterr().out
    for fmt in FORMATS:
        assert fmt.name in out and fmt.description in out


def test_info_prints_facts_and_continues_after_a_bad_file(tmp_path, capsys):
    polar = shared_file("app_exports/polar_sensor_logger/Polar_Sense_ACC.txt")
    bad = tmp_path / "broken.cwa"
    bad.write_bytes(b"MD\xfc\x03" + b"\x00" * 100)
    cwa = shared_file("app_exports/axivity/ax3_testfile.cwa")
    assert main(["info", str(polar), str(bad), str(cwa)]) == 2
    captured = capsys.readouterr()
    assert "polar-sensor-logger" in captured.out and "axivity-cwa" in captured.out
    assert "gravity check: median |a| = 1.0" in captured.out
    # start of the Polar sample: its sensor clock's local time; the file states no zone, never called UTC
    assert "2022-04-25T11:39:34.831 [local time (time zone not stated)]" in captured.out
    assert captured.err.count("lrm: error:") == 1 and "broken.cwa" in captured.err


def test_info_json(capsys):
    path = shared_file("app_exports/geneactiv/sleeppy_test_geneactiv.bin")
    assert main(["info", "--json", str(path)]) == 0
    facts = json.loads(capsys.readouterr().out)
    leg = facts["legs"]["left"]
    assert facts["format"] == "geneactiv-bin" and leg["n_samples"] == 19200 and leg["fs_hz"] == 100
    # local clock time with the file's own offset (its header: Time Zone GMT -04:00), 13:32:38 UTC
    assert leg["gravity_ok"] is True and leg["start"].startswith("2018-08-27T09:32:38") and leg["start"].endswith("-04:00")
    # the side its metadata states (Device Location Code: left wrist)
    assert (facts["timezone"], facts["timezone_source"], leg["side_stated"]) == ("-04:00", "file", "left")


def test_export_signals_only_and_refuses_overwrite(tmp_path, capsys):
    pyedflib = pytest.importorskip("pyedflib")
    src = shared_file("app_exports/geneactiv/sleeppy_test_geneactiv.bin")
    out = tmp_path / "night.edf"
    assert main(["export", str(src), "--edf", str(out), "--no-events"]) == 0
    with pyedflib.EdfReader(str(out)) as edf:
        assert edf.getSignalLabels() == ["MISC ACC_L_X", "MISC ACC_L_Y", "MISC ACC_L_Z"]
        z = edf.readSignal(1)
    assert np.median(np.abs(z)) == pytest.approx(1.0, abs=0.05)
    before = out.read_bytes()
    assert main(["export", str(src), "--edf", str(out), "--no-events"]) == 2
    assert "already exists" in capsys.readouterr().err and out.read_bytes() == before


def test_export_from_analysis_directory_events(tmp_path, capsys):
    pyedflib = pytest.importorskip("pyedflib")
    src = shared_file("app_exports/actigraph/neo.csv")
    out_dir = tmp_path / "night1"
    out_dir.mkdir()
    (out_dir / "events.csv").write_text("onset_s,offset_s,side,type,in_plm_series\n12.0,13.0,left,lm,1\n40.0,40.4,left,hypnic_jerk,0\n")
    out = tmp_path / "n.edf"
    assert main(["export", str(out_dir), "--left", str(src), "--edf", str(out)]) == 0
    with pyedflib.EdfReader(str(out)) as edf:
        onsets, _, texts = edf.readAnnotations()
    assert "Periodic leg movement - left|PLM (Left)" in texts and "Hypnic jerk" in texts
    assert onsets[list(texts).index("Hypnic jerk")] == pytest.approx(40.0, abs=1e-3)


def test_info_shows_the_generic_csv_unit_the_file_holds(tmp_path, capsys):
    """Issue 15: 'units in file: g' was printed for every generic CSV, even when its note said m/s^2."""
    path = tmp_path / "night_right.csv"
    path.write_text("time,x,y,z\n" + "".join(f"{1.7e9 + i / 50:.2f},0.1,0.2,9.79\n" for i in range(500)))
    assert main(["info", str(path)]) == 0
    out = capsys.readouterr().out
    assert "units in file: m/s^2 (read as g)" in out and "right (side from its name or metadata)" in out
    assert "[UTC (time zone unknown)]" in out                       # Unix seconds: UTC, and the zone is not known
    assert main(["info", "--tz", "Asia/Kolkata", str(path)]) == 0
    assert "2023-11-15T03:43:20.000+05:30 [Asia/Kolkata]" in capsys.readouterr().out


@pytest.mark.parametrize("command", [["info"], ["analyze", "--out", "OUT"]])
def test_an_unknown_tz_names_the_option_and_its_fix_once(tmp_path, capsys, command):
    path = tmp_path / "night_right.csv"
    path.write_text("time,x,y,z\n" + "".join(f"{1.7e9 + i / 50:.2f},0.1,0.2,0.98\n" for i in range(500)))
    args = [str(tmp_path / "out") if a == "OUT" else a for a in command]
    assert main([*args, "--tz", "Mars/Olympus", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("lrm: error: --tz: unknown time zone 'Mars/Olympus'") and "\n" not in err
    assert err.count("Europe/Berlin") == 1 and "Fix: use an IANA name" in err
    assert not (tmp_path / "out").exists()
