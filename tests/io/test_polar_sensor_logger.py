import csv

import numpy as np
import pytest

from lrm.errors import InputError
from lrm.io.registry import ReadOptions, read_file
from tests.conftest import shared_file
from tests.io._formats_helpers import median_g, read_one

SAMPLE = "app_exports/polar_sensor_logger/Polar_Sense_ACC.txt"


def test_polar_sample_matches_raw_text():
    path = shared_file(SAMPLE)
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh, delimiter=";"))[1:]
    fmt, leg, rec = read_one(path)
    assert fmt == "polar-sensor-logger"
    assert leg.n_samples == len(rows) == 26526
    assert leg.t_s[0] == pytest.approx(946684800 + int(rows[0][1]) / 1e9, abs=1e-6)
    assert leg.t_s[-1] == pytest.approx(946684800 + int(rows[-1][1]) / 1e9, abs=1e-6)
    np.testing.assert_allclose(leg.accel_g[0], [int(v) / 1000 for v in rows[0][2:5]], rtol=1e-6)
    span = (int(rows[-1][1]) - int(rows[0][1])) / 1e9
    assert leg.fs_hz == pytest.approx((len(rows) - 1) / span, rel=1e-6)
    assert 51 < leg.fs_hz < 53                                   # Verity Sense "52 Hz"
    assert median_g(leg) == pytest.approx(1.0, abs=0.05)
    assert leg.device.startswith("Polar")


def test_polar_wrong_extension_is_still_detected(tmp_path):
    target = tmp_path / "night.csv"
    target.write_bytes(shared_file(SAMPLE).read_bytes()[:20000].rsplit(b"\n", 1)[0] + b"\n")
    fmt, leg, _ = read_one(target)
    assert fmt == "polar-sensor-logger" and leg.n_samples > 100


def test_polar_other_stream_gets_clear_error(tmp_path):
    path = tmp_path / "Polar_H10_ABCDEF12_20220425_113936_GYRO.txt"
    path.write_text("Phone timestamp;sensor timestamp [ns];X [dps];Y [dps];Z [dps]\n2022-04-25T11:39:36.978;704201974831254116;1;2;3\n")
    with pytest.raises(InputError, match="not an accelerometer"):
        read_file(path, ReadOptions())


def test_polar_non_numeric_value_names_row(tmp_path):
    path = tmp_path / "Polar_ACC.txt"
    path.write_bytes(b"Phone timestamp;sensor timestamp [ns];X [mg];Y [mg];Z [mg]\n"
                     b"2022-04-25T11:39:36.978;704201974831254116;-777;436;-499\n"
                     b"2022-04-25T11:39:36.997;704201974850594517;-7\xff\xfe8;437;-498\n")
    with pytest.raises(InputError) as info:
        read_file(path, ReadOptions())
    assert str(path) in str(info.value)
