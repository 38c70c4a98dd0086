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
