"""MetaBase, Sensor Logger, phyphox, Movesense and WitMotion: synthetic files built from formats.md's headers."""

import json
import zipfile

import numpy as np
import pytest

from lrm.errors import InputError
from lrm.io.registry import ReadOptions, read, read_file
from tests.io._formats_helpers import median_g, read_one


def test_metabase_ios_packed_timestamps_are_spread(tmp_path):
    path = tmp_path / "MetaWear_2018-01-14T18.39.29.561_D5A1B2C3D4E5_Accelerometer.csv"
    rows = [f"{1515983969561 + (i // 3) * 60},2018-01-14T18.39.29.561,{(i // 3) * 0.06:.3f},0.010,-0.020,0.998"
            for i in range(300)]
    path.write_text("epoc (ms),timestamp (-0800),elapsed (s),x-axis (g),y-axis (g),z-axis (g)\n" + "\n".join(rows) + "\n")
    fmt, leg, rec = read_one(path)
    assert fmt == "metabase" and rec.meta["metabase_variant"] == "iOS/macOS"
    assert leg.n_samples == 300 and leg.t_s[0] == 1515983969.561
    np.testing.assert_allclose(np.diff(leg.t_s), 0.02, atol=1e-6)
    assert leg.fs_hz == pytest.approx(50) and leg.serial == "D5A1B2C3D4E5"
    assert median_g(leg) == pytest.approx(0.998, abs=1e-3)


def test_metabase_android_and_gyro_refused(tmp_path):
    path = tmp_path / "acc.csv"
    path.write_text("epoch (ms),time (-05:00),elapsed (s),x-axis (g),y-axis (g),z-axis (g)\n"
                    + "".join(f"{1600000000000 + i * 10},2020-09-13T07:26:40.000,{i / 100:.3f},0,0,1\n" for i in range(100)))
    fmt, leg, _ = read_one(path)
    assert fmt == "metabase" and leg.fs_hz == pytest.approx(100)
    gyro = tmp_path / "gyro.csv"
    gyro.write_text("epoch (ms),time (-05:00),elapsed (s),x-axis (deg/s),y-axis (deg/s),z-axis (deg/s)\n1,a,0,1,2,3\n")
    with pytest.raises(InputError, match="gyroscope"):
        read_file(gyro, ReadOptions())


def test_sensor_logger_zyx_order_and_units(tmp_path):
    path = tmp_path / "TotalAcceleration.csv"
    path.write_text("time,seconds_elapsed,z,y,x\n" + "".join(
        f"{1700000000000000000 + i * 10_000_000},{i / 100},9.80665,0.0,1.0\n" for i in range(200)))
    fmt, leg, _ = read_one(path)
    assert fmt == "sensor-logger" and leg.n_samples == 200
    assert leg.t_s[0] == 1.7e9 and leg.fs_hz == pytest.approx(100)
    np.testing.assert_allclose(leg.accel_g[0], [1 / 9.80665, 0.0, 1.0], rtol=1e-6)   # x, y, z


def _phyphox_csv(n=200):
    return ('"Time (s)","Acceleration x (m/s^2)","Acceleration y (m/s^2)","Acceleration z (m/s^2)",'
            '"Absolute acceleration (m/s^2)"\n' + "".join(f"{i * 0.01:.9E},0.0E0,0.0E0,9.80665E0,9.80665E0\n" for i in range(n)))


TIME_CSV = '"event","experiment time","system time","system time text"\n"START",0.0E0,1.7E9,"2023-11-14 22:13:20.000 UTC+00:00"\n'


def test_phyphox_csv_zip_and_folder(tmp_path):
    plain = tmp_path / "Raw Data.csv"
    plain.write_text(_phyphox_csv())
    fmt, leg, rec = read_one(plain)
    assert fmt == "phyphox" and not rec.time_is_absolute and leg.t_s[0] == 0.0
    assert median_g(leg) == pytest.approx(1.0)
    _, leg, rec = read_one(plain, start_s=1.6e9)
    assert rec.time_is_absolute and leg.t_s[0] == 1.6e9
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("Raw Data.csv", _phyphox_csv())
        zf.writestr("meta/time.csv", TIME_CSV)
        zf.writestr("meta/device.csv", '"property","value"\n')
    fmt, leg, rec = read_one(archive)
    assert fmt == "phyphox" and rec.time_is_absolute and leg.t_s[0] == 1.7e9 and leg.n_samples == 200
    folder = tmp_path / "export"
    (folder / "meta").mkdir(parents=True)
    (folder / "Raw Data.csv").write_text(_phyphox_csv())
    (folder / "meta" / "time.csv").write_text(TIME_CSV)
    rec = read(folder)
    assert rec.meta["format"] == "phyphox-folder" and rec.legs["left"].t_s[0] == 1.7e9


def test_phyphox_decimal_comma_semicolon(tmp_path):
    path = tmp_path / "Raw Data.csv"
    path.write_text(_phyphox_csv(50).replace(",", ";").replace(".", ","))
    _, leg, _ = read_one(path)
    assert leg.n_samples == 50 and leg.t_s[1] == pytest.approx(0.01) and median_g(leg) == pytest.approx(1.0)


def test_movesense_json(tmp_path):
    path = tmp_path / "acc.json"
    packets = [{"acc": {"Timestamp": 1000 + 80 * k, "ArrayAcc": [{"x": 0.0, "y": 9.80665, "z": 0.0}] * 4}} for k in range(25)]
    path.write_text(json.dumps({"data": packets}))
    fmt, leg, rec = read_one(path)
    assert fmt == "movesense-json" and leg.n_samples == 100 and not rec.time_is_absolute
    assert leg.t_s[0] == 1.0 and leg.fs_hz == pytest.approx(50)
    assert median_g(leg) == pytest.approx(1.0)
    bad = tmp_path / "cut.json"
    bad.write_text(json.dumps({"data": packets})[:500])
    with pytest.raises(InputError, match="invalid JSON"):
        read_file(bad, ReadOptions())


def test_witmotion_tab_record_crossing_midnight(tmp_path):
    path = tmp_path / "20240101.txt"
    lines = ["Chiptime\tax(g)\tay(g)\taz(g)\twx(rad/s)"]
    for i in range(200):
        s = 86399.0 + i * 0.01
        s -= 86400.0 if s >= 86400 else 0.0
        lines.append(f"{int(s // 3600):02d}:{int(s % 3600 // 60):02d}:{s % 60:06.3f}\t0.0\t0.0\t1.0\t0.1")
    path.write_text("\n".join(lines) + "\n")
    fmt, leg, rec = read_one(path)
    assert fmt == "witmotion-txt" and leg.n_samples == 200 and not rec.time_is_absolute
    assert np.all(np.diff(leg.t_s) > 0) and leg.fs_hz == pytest.approx(100, rel=1e-3)
    assert median_g(leg) == pytest.approx(1.0)
