"""Local clock time end to end (issue 15): a night across a DST change and a night in a zone with a half-hour
offset give the same indices as the same night in UTC, and show local clock times everywhere (terminal,
summary.json, events.csv, report). Generated nights (lrm.sim), written as native recordings whose manifest
names the zone, and as generic CSVs with ISO times carrying their offsets (pandas' to_csv layout)."""

from __future__ import annotations

import json
import warnings
from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from lrm.cli import main
from lrm.io.native import write_native

INDEX_KEYS = ("plm_index", "plm_count", "lm_count", "lm_index", "plm_series_count", "hypnic_jerk_count",
              "time_in_bed_h", "left_lm_count", "right_lm_count", "bilateral_lm_count")


def _moved(rec, start_s: float, **zone):
    """The recording with its first sample at Unix time ``start_s`` (every leg and gap shifted alike)."""
    shift = start_s - rec.start_s
    legs = {side: replace(leg, t_s=leg.t_s + shift,
                          gaps=tuple(replace(g, start_s=g.start_s + shift, end_s=g.end_s + shift) for g in leg.gaps))
            for side, leg in rec.legs.items()}
    return replace(rec, legs=legs, **zone)


def _analyze(capsys, source, out, *args):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["analyze", str(source), "--out", str(out), *args]) == 0, capsys.readouterr().err
    terminal = capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    events = pd.read_csv(out / "events.csv")
    return summary, events, terminal, (out / "report.html").read_text()


@pytest.fixture(scope="module")
def night():
    from lrm.sim.night import simulate

    return simulate("plmd", seed=4, hours=4.5, rate_hz=25.0).recording


@pytest.fixture(scope="module")
def short_night():
    from lrm.sim.night import simulate

    return simulate("plmd", seed=5, hours=1.5, rate_hz=25.0).recording


def test_a_night_across_the_dst_change_reads_in_local_time_with_the_same_indices(tmp_path, capsys, night):
    """Europe/Berlin, 2024-10-26 23:30 CEST (21:30 UTC) to 03:00 CET: clocks go back at 03:00 CEST (01:00 UTC)."""
    start = datetime(2024, 10, 26, 23, 30, tzinfo=ZoneInfo("Europe/Berlin")).timestamp()
    write_native(_moved(night, start), tmp_path / "utc")
    write_native(_moved(night, start, timezone="Europe/Berlin", timezone_source="file"), tmp_path / "berlin")
    utc = _analyze(capsys, tmp_path / "utc", tmp_path / "out-utc", "--lights-out", "22:00", "--lights-on", "01:20")
    local = _analyze(capsys, tmp_path / "berlin", tmp_path / "out-local", "--lights-out", "00:00",
                     "--lights-on", "2024-10-27T02:20+01:00")                   # 02:20 CET, the second 02:20
    (s_utc, e_utc, t_utc, _), (s_loc, e_loc, t_loc, html) = utc, local
    assert {k: s_loc[k] for k in INDEX_KEYS} == {k: s_utc[k] for k in INDEX_KEYS} and s_loc["plm_count"] > 0
    assert s_loc["lights_out_s"] == s_utc["lights_out_s"] == 1800.0 and s_loc["lights_on_s"] == s_utc["lights_on_s"]
    assert s_loc["lights_on_s"] == 3 * 3600.0 + 50 * 60.0
    # summary.json: the zone and local clock times with the offset of their moment
    assert (s_loc["timezone"], s_loc["timezone_source"]) == ("Europe/Berlin", "file")
    assert s_loc["recording_start_local"] == "2024-10-26T23:30:00+02:00"
    assert s_loc["lights_out_local"] == "2024-10-27T00:00:00+02:00"
    assert s_loc["lights_on_local"] == "2024-10-27T02:20:00+01:00"                  # after the change: CET
    assert s_utc["timezone"] is None and s_utc["lights_on_local"] == "2024-10-27T01:20:00+00:00"
    # events.csv: every onset in local time, its offset changing with DST, equal to start + onset_s
    pd.testing.assert_series_equal(e_loc["onset_s"], e_utc["onset_s"])
    onsets = pd.to_datetime(e_loc["onset_local"].tolist(), format="ISO8601", utc=True)
    expected = pd.Timestamp(start, unit="s", tz="UTC") + pd.to_timedelta(e_loc["onset_s"], unit="s")
    assert (abs(onsets - pd.DatetimeIndex(expected)) <= pd.Timedelta("1ms")).all()
    offsets = e_loc["onset_local"].str[-6:]
    before = e_loc["onset_s"] < 3.5 * 3600.0                                       # 01:00 UTC is 03:00 CEST
    assert set(offsets[before]) == {"+02:00"} and set(offsets[~before]) == {"+01:00"} and (~before).sum() > 0
    assert set(e_utc["onset_local"].str[-6:]) == {"+00:00"}
    # terminal and report: local clock time with the zone
    assert "clock times       Europe/Berlin (from the file)" in t_loc
    assert "lights out 00:00 CEST, on 02:20 CET" in t_loc
    assert "UTC; the time zone is unknown" in t_utc and "lights out 22:00 UTC, on 01:20 UTC" in t_utc
    assert "Recorded 2024-10-26 23:30 CEST to" in html and "Europe/Berlin, UTC+02:00" in html


def test_a_clock_time_of_the_repeated_hour_is_its_first_pass(tmp_path, capsys, night):
    """02:55 happens twice that night (CEST, then CET): as lights-on after lights-out it is the first, 00:55 UTC."""
    start = datetime(2024, 10, 26, 23, 30, tzinfo=ZoneInfo("Europe/Berlin")).timestamp()
    write_native(_moved(night, start, timezone="Europe/Berlin", timezone_source="file"), tmp_path / "berlin")
    summary, _, terminal, _ = _analyze(capsys, tmp_path / "berlin", tmp_path / "out", "--lights-out", "23:45",
                                       "--lights-on", "02:55")
    assert summary["lights_on_s"] == 3 * 3600.0 + 25 * 60.0 and summary["lights_on_local"] == "2024-10-27T02:55:00+02:00"
    assert "on 02:55 CEST" in terminal


def test_a_night_with_a_half_hour_offset_as_generic_csv(tmp_path, capsys, short_night):
    """Asia/Kolkata (+05:30): the files are generic CSVs with ISO 8601 times carrying their offset.
    Lights-out given as local clock time agrees with the same night in UTC, lights given in seconds."""
    start = datetime(2024, 3, 10, 22, 0, tzinfo=ZoneInfo("Asia/Kolkata")).timestamp()
    rec = _moved(short_night, start)
    for side, leg in rec.legs.items():           # ISO 8601 local time with its offset, to the microsecond
        local = np.datetime_as_string(((leg.t_s + 5.5 * 3600) * 1e6).astype("datetime64[us]"), unit="us")
        pd.DataFrame({"time": np.char.add(local, "+05:30"), "x": leg.accel_g[:, 0], "y": leg.accel_g[:, 1],
                      "z": leg.accel_g[:, 2]}).to_csv(tmp_path / f"{side}.csv", index=False, float_format="%.5f")
    assert "+05:30" in (tmp_path / "left.csv").read_text()[:200]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["analyze", "--left", str(tmp_path / "left.csv"), "--right", str(tmp_path / "right.csv"),
                     "--lights-out", "22:15", "--lights-on", "23:25", "--out", str(tmp_path / "local")]) == 0
        write_native(rec, tmp_path / "utc-rec")
        assert main(["analyze", str(tmp_path / "utc-rec"), "--lights-out", "900", "--lights-on", "5100",
                     "--out", str(tmp_path / "utc")]) == 0
    terminal = capsys.readouterr().out
    local = json.loads((tmp_path / "local" / "summary.json").read_text())
    utc = json.loads((tmp_path / "utc" / "summary.json").read_text())
    assert local["plm_count"] > 0
    for key in INDEX_KEYS:   # the CSV's values have 5 decimals (1e-5 g), the recording's are float32
        assert local[key] == pytest.approx(utc[key], rel=1e-9, abs=1e-9), key
    assert (local["timezone"], local["lights_out_local"]) == ("+05:30", "2024-03-10T22:15:00+05:30")
    assert "lights out 22:15 UTC+05:30, on 23:25 UTC+05:30" in terminal
    assert pd.read_csv(tmp_path / "local" / "events.csv")["onset_local"].str.endswith("+05:30").all()


def test_a_local_clock_of_unstated_zone_is_never_called_utc(tmp_path, capsys, short_night):
    """A device clock without a zone (clock 'local'): times shown as local, without an offset, lights-out read on
    that clock, and no 'UTC' label anywhere."""
    wall = datetime(2024, 5, 1, 22, 0).replace(tzinfo=ZoneInfo("UTC")).timestamp()   # 22:00 on the device clock
    write_native(_moved(short_night, wall, clock="local"), tmp_path / "rec")
    summary, events, terminal, html = _analyze(capsys, tmp_path / "rec", tmp_path / "out", "--lights-out", "22:30")
    assert summary["recording_start"] == "2024-05-01T22:00:00" and summary["lights_out_local"] == "2024-05-01T22:30:00"
    assert summary["lights_out_s"] == 1800.0 and not events["onset_local"].str.contains(r"[+-]\d\d:\d\d$|Z$").any()
    assert "local time; the files state no time zone" in terminal and "lights out 22:30 local" in terminal
    assert "UTC" not in terminal.split("clock times")[1].split("\n")[0]
    header = html[html.index("<header>"):html.index("</header>")]
    assert "Recorded 2024-05-01 22:00 to" in header and "Times: local time (time zone not stated)" in header
    assert "UTC" not in html[:html.index("<footer>")].split("</style>")[1]   # the footer: when it was written


def _relative_csv(path, n=50 * 120):
    path.write_text("time,x,y,z\n" + "".join(f"{i / 50:.2f},0.01,0.02,0.99\n" for i in range(n)))
    return path


def test_start_without_an_offset_needs_the_zone(tmp_path, capsys):
    path = _relative_csv(tmp_path / "night_left.csv")
    assert main(["info", str(path)]) == 0
    capsys.readouterr()
    assert main(["analyze", str(path), "--start", "2024-05-01T22:30", "--out", str(tmp_path / "a")]) == 2
    assert "states no time zone. Fix: add its UTC offset" in capsys.readouterr().err
    from lrm.io.registry import read
    from lrm.io.times import parse_start_time

    start = parse_start_time("2024-05-01T22:30", tz="Europe/Berlin")
    rec = read(path, start_s=start, tz="Europe/Berlin")
    assert rec.start_s == datetime(2024, 5, 1, 20, 30, tzinfo=ZoneInfo("UTC")).timestamp()
    assert (rec.timezone, rec.timezone_source) == ("Europe/Berlin", "option")


def test_a_single_file_without_side_is_asked_for_on_a_terminal(tmp_path, capsys, monkeypatch):
    """Issue 15: a single file without --side was silently the left leg."""
    import sys

    path = _relative_csv(tmp_path / "ankle.csv", n=50 * 60 * 35)
    assert main(["analyze", str(path), "--out", str(tmp_path / "a")]) == 2            # not a terminal: stop
    assert "which ankle this file is from is not stated" in capsys.readouterr().err

    class Terminal:
        def isatty(self) -> bool:
            return True

    answers = iter(["both", "r"])
    monkeypatch.setattr(sys, "stdin", Terminal())
    monkeypatch.setattr("builtins.input", lambda prompt: next(answers))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["analyze", str(path), "--out", str(tmp_path / "b")]) == 0
    summary = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert list(summary["quality"]) == ["right"]
