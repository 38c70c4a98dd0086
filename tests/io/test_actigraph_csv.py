import csv
from datetime import datetime, timezone

import numpy as np
import pytest

from lrm.errors import InputError
from lrm.io.registry import ReadOptions, read_file
from tests.conftest import shared_file
from tests.io._formats_helpers import median_g, read_one

HEADER = """------------ Data File Created By ActiGraph wGT3XBT ActiLife v6.13.3 Firmware v1.8.0 date format dd/MM/yyyy at 50 Hz  Filter Normal -----------
Serial Number: MOS2E22180349
Start Time 23:10:00
Start Date 05/03/2024
Epoch Period (hh:mm:ss) 00:00:00
Download Time 08:00:00
Download Date 06/03/2024
Current Memory Address: 0
Current Battery Voltage: 4.10     Mode = 12
--------------------------------------------------
"""


def test_actilife_sample_matches_raw_text():
    path = shared_file("app_exports/actigraph/neo.csv")
    with path.open(newline="") as fh:
        lines = fh.read().splitlines()
    rows = list(csv.reader(lines[11:]))
    assert lines[2] == "Start Time 11:55:00" and lines[3] == "Start Date 12/20/2021"
    fmt, leg, _ = read_one(path)
    assert fmt == "actigraph-csv"
    assert leg.n_samples == len(rows) == 18004
    assert leg.fs_hz == 30.0
    assert leg.t_s[0] == datetime(2021, 12, 20, 11, 55, tzinfo=timezone.utc).timestamp()
    assert leg.t_s[30] - leg.t_s[0] == pytest.approx(1.0)
    np.testing.assert_allclose(leg.accel_g[0], [float(v) for v in rows[0]], rtol=1e-6)
    assert median_g(leg) == pytest.approx(1.0, abs=0.05)
    assert leg.serial == "NEO1C04110003" and leg.range_g == 6.0


def test_actilife_day_first_dates_and_timestamps(tmp_path):
    path = tmp_path / "wrist.csv"
    body = "Timestamp,Accelerometer X,Accelerometer Y,Accelerometer Z\n" + "".join(
        f"05/03/2024 23:10:00.{i * 20:03d},0.0,0.0,1.0\n" for i in range(50))
    path.write_text(HEADER + body)
    fmt, leg, _ = read_one(path)
    assert fmt == "actigraph-csv" and leg.n_samples == 50
    assert leg.t_s[0] == datetime(2024, 3, 5, 23, 10, tzinfo=timezone.utc).timestamp()   # 5 March, not 3 May
    assert leg.t_s[1] - leg.t_s[0] == pytest.approx(0.02)
    assert leg.range_g == 8.0


def test_actilife_count_file_is_refused(tmp_path):
    path = tmp_path / "counts.csv"
    path.write_text(HEADER.replace("00:00:00\n", "00:00:15\n", 1).replace("Epoch Period (hh:mm:ss) 00:00:00", "Epoch Period (hh:mm:ss) 00:00:15") + "10,20,30\n")
    with pytest.raises(InputError, match="epoch/count file"):
        read_file(path, ReadOptions())


def test_actilife_truncated_header(tmp_path):
    path = tmp_path / "cut.csv"
    path.write_text("\n".join(HEADER.splitlines()[:4]) + "\n")
    with pytest.raises(InputError, match="header is incomplete"):
        read_file(path, ReadOptions())


def _counts_copy(tmp_path, scale: float, serial: str | None = None):
    """The real ActiLife export neo.csv (GT3X+ NEO, +-6 g) with its g values turned back into raw ADC counts
    (x scale, rounded): the layout of an ActiLife CSV holding LSB counts (issue 15: 'median 343 g')."""
    lines = shared_file("app_exports/actigraph/neo.csv").read_text().splitlines()
    if serial:
        lines[1] = f"Serial Number: {serial}"
    rows = [",".join(str(int(round(float(v) * scale))) for v in line.split(",")) for line in lines[11:]]
    path = tmp_path / "neo_counts.csv"
    path.write_text("\n".join(lines[:11] + rows) + "\n")
    return path


def test_actilife_csv_of_raw_counts_is_converted_with_the_device_scale(tmp_path):
    original = read_one(shared_file("app_exports/actigraph/neo.csv"))[1]
    fmt, leg, rec = read_one(_counts_copy(tmp_path, 341.0))
    assert fmt == "actigraph-csv" and rec.meta["units_in_file"] == "counts"
    np.testing.assert_allclose(leg.accel_g, original.accel_g, atol=0.5 / 341 + 1e-3)
    assert any("341 LSB/g" in note for note in leg.notes) and median_g(leg) == pytest.approx(1.01, abs=0.02)


def test_actilife_csv_of_counts_that_fit_no_known_scale_is_refused(tmp_path):
    with pytest.raises(InputError, match=r"raw ADC counts, not g \(256 LSB/g for this serial\)"):
        read_file(_counts_copy(tmp_path, 341.0, serial="MOS2E22180349"), ReadOptions())   # +-8 g device: 256
    with pytest.raises(InputError, match="no known scale for serial 'ABC123'"):
        read_file(_counts_copy(tmp_path, 341.0, serial="ABC123"), ReadOptions())
    forced = read_file(_counts_copy(tmp_path, 341.0, serial="ABC123"), ReadOptions(units="g"))
    assert median_g(forced.legs["left"]) > 300                              # --units g: the user's call


def test_actilife_csv_is_local_wall_clock_converted_with_tz():
    path = shared_file("app_exports/actigraph/neo.csv")
    rec = read_file(path, ReadOptions())
    assert (rec.timezone, rec.clock) == (None, "local")
    ny = read_file(path, ReadOptions(tz="America/New_York"))              # 11:55 EST = 16:55 UTC
    assert ny.legs["left"].t_s[0] == datetime(2021, 12, 20, 16, 55, tzinfo=timezone.utc).timestamp()
    assert (ny.timezone, ny.timezone_source, ny.clock) == ("America/New_York", "option", "utc")


# --- idle sleep: ActiLife's whole seconds of the last sample repeated are marked as filled ---------------------

def test_actilife_idle_sleep_fill_is_marked_as_the_gt3x_marks_it(tmp_path):
    # the shared export of TAS1H30182785 (idle sleep on) and the .gt3x it came from: the same five idle-sleep
    # spans to the second (the CSV on local wall clock, the .gt3x in UTC, 4 h apart), plus one second the .gt3x
    # keeps as a gap and ActiLife filled; before, the CSV marked none (noise 0.0 mg, coverage 99.5 %)
    import gzip

    src = shared_file("app_exports/actigraph/TAS1H30182785_2019-09-17.csv.gz")
    path = tmp_path / "TAS1H30182785_2019-09-17.csv"
    path.write_bytes(gzip.decompress(src.read_bytes()))
    leg = read_file(path, ReadOptions(side="left")).legs["left"]
    gt3x = read_file(shared_file("app_exports/actigraph/TAS1H30182785_2019-09-17.gt3x"), ReadOptions(side="left"))
    spans = [(g.start_s - leg.t_s[0], g.end_s - leg.t_s[0]) for g in leg.filled]
    ref = [(g.start_s - leg.t_s[0] - 14400, g.end_s - leg.t_s[0] - 14400) for g in gt3x.legs["left"].filled]
    assert {g.cause for g in leg.filled} == {"idle-sleep"}
    assert spans == ref + [(2140.0, 2141.0)] and sum(b - a for a, b in spans) == 1823.0
    assert any("1823 s of ActiGraph idle sleep" in n for n in leg.notes)


def test_actilife_file_without_idle_sleep_marks_nothing():
    leg = read_file(shared_file("app_exports/actigraph/neo.csv"), ReadOptions()).legs["left"]
    assert leg.filled == ()


@pytest.mark.parametrize(("run_end_s", "marked"), [(4.0, True), (4.5, False)])
def test_repeats_mark_idle_sleep_only_in_whole_seconds(tmp_path, run_end_s, marked):
    # 10 s at 50 Hz with 5 mg noise quantised at 1 mg; a run of one repeated row from 1.98 s to run_end_s. Ending at
    # a second's end it is ActiLife's fill (2-4 s marked); ending mid-second it is no fill, and then no run is
    from lrm.io.actigraph_csv import find_idle_fill

    rng = np.random.default_rng(4)
    x = np.round(np.array([0.0, 0.0, 1.0]) + rng.normal(0, 0.005, (500, 3)), 3)
    x[99: int(run_end_s * 50)] = x[99]
    t = np.arange(500) / 50.0
    filled = find_idle_fill(x, t, fs_hz=50.0)
    assert filled.sum() == (100 if marked else 0) and (filled[100:200].all() if marked else True)
    path = tmp_path / "night.csv"
    path.write_text(HEADER + "Accelerometer X,Accelerometer Y,Accelerometer Z\n"
                    + "".join(f"{a:.3f},{b:.3f},{c:.3f}\n" for a, b, c in x))
    leg = read_file(path, ReadOptions(side="left")).legs["left"]
    assert [(g.start_s - leg.t_s[0], g.end_s - leg.t_s[0]) for g in leg.filled] == ([(2.0, 4.0)] if marked else [])
