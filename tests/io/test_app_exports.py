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
    rec = read(folder, side="left")
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


# -- issue 15: real files, real clocks -------------------------------------------------------------------------
def test_metabase_ios_bursts_give_the_true_rate_and_the_header_zone(tmp_path):
    """Generated in the MetaBase iOS layout (``epoc (ms),timestamp (-0800),...``, dotted local times): a sensor at
    201.3 Hz whose packets of 3 samples are stamped on arrival, several packets per BLE connection event (issue
    15: 272.7 Hz reported for 201.3 Hz data)."""
    rng = np.random.default_rng(3)
    fs, n = 201.3, 3 * 4000
    last_of_packet = (np.arange(2, n, 3) / fs)                       # true time of each packet's last sample
    event = np.ceil((last_of_packet + rng.uniform(0.002, 0.02, last_of_packet.size)) / 0.0225) * 0.0225  # 22.5 ms CI
    epoch_ms = np.floor(1515983969.561e3 + event * 1e3).astype(np.int64)
    lines = ["epoc (ms),timestamp (-0800),elapsed (s),x-axis (g),y-axis (g),z-axis (g)"]
    for i in range(n):
        ms = epoch_ms[i // 3]
        lines.append(f"{ms},2018-01-14T10.39.29.561,{(ms - epoch_ms[0]) / 1e3:.3f},0.012,-0.031,0.998")
    path = tmp_path / "MetaWear_2018-01-14T10.39.29.561_D5A1B2C3D4E5_Accelerometer.csv"
    path.write_text("\n".join(lines) + "\n")
    fmt, leg, rec = read_one(path)
    assert fmt == "metabase" and rec.meta["metabase_variant"] == "iOS/macOS"
    assert leg.fs_hz == pytest.approx(fs, rel=0.005)
    assert (rec.timezone, rec.timezone_source, rec.clock) == ("-08:00", "file", "utc")


def _sensor_logger(path, xyz_ms2, fs=100.0, t0_ns=1_700_000_000_000_000_000):
    """A Sensor Logger stream in its documented layout: ``time,seconds_elapsed,z,y,x`` (ns UTC, s, m/s^2 or g)."""
    rows = [f"{t0_ns + int(i * 1e9 / fs)},{i / fs - 0.01:.6f},{z:.6f},{y:.6f},{x:.6f}" for i, (x, y, z) in enumerate(xyz_ms2)]
    path.write_text("time,seconds_elapsed,z,y,x\n" + "\n".join(rows) + "\n")
    return path


def _limb_ms2(n=6000, seed=0, gravity=True):
    """An ankle at rest with leg movements, in m/s^2; without gravity as the OS's user acceleration."""
    rng = np.random.default_rng(seed)
    g_dir = np.array([0.15, -0.3, 0.94]) / np.linalg.norm([0.15, -0.3, 0.94])
    acc = 0.05 * rng.standard_normal((n, 3))
    for start in range(200, n - 100, 900):
        acc[start:start + 80] += 4.0 * np.sin(np.linspace(0, 2 * np.pi, 80))[:, None] * [1.0, 0.4, -0.2]
    return acc + (9.80665 * g_dir if gravity else 0.0)


def test_sensor_logger_gravity_removed_accelerometer_is_refused_as_such(tmp_path):
    """Generated in Sensor Logger's documented layout. Issue 15: Accelerometer.csv (m/s^2, gravity removed) had
    medians of 0.66-1.27, inside lrm's 'g' band, and was analysed without warning. Here a phone moving all the
    time (1.8 Hz swing of 1.3 m/s^2 and noise): median ~1 m/s^2."""
    rng = np.random.default_rng(1)
    t = np.arange(6000) / 100.0
    user = (1.3 * np.sin(2 * np.pi * 1.8 * t)[:, None] * [0.8, 0.5, 0.3] + 0.4 * rng.standard_normal((6000, 3)))
    assert 0.5 < np.median(np.linalg.norm(user, axis=1)) < 2.0            # the trap: looks like g by magnitude
    declared = _sensor_logger(tmp_path / "Accelerometer.csv", user)
    with pytest.raises(InputError, match="Accelerometer.csv holds acceleration with gravity removed"):
        read_file(declared, ReadOptions())
    renamed = _sensor_logger(tmp_path / "left_ankle.csv", user)          # renamed: recognised physically
    with pytest.raises(InputError, match="no gravity in it"):
        read_file(renamed, ReadOptions())
    with pytest.raises(InputError, match="gravity vector alone"):
        read_file(_sensor_logger(tmp_path / "Gravity.csv", _limb_ms2() - user), ReadOptions())


def test_sensor_logger_trusts_what_the_app_declares(tmp_path):
    total = _sensor_logger(tmp_path / "TotalAcceleration.csv", _limb_ms2())
    fmt, leg, rec = read_one(total)
    assert fmt == "sensor-logger" and rec.meta["units_in_file"] == "m/s^2"
    assert np.median(np.linalg.norm(leg.accel_g, axis=1)) == pytest.approx(1.0, abs=0.01)
    assert (rec.timezone, rec.clock) == (None, "utc")                    # UTC ns, no Metadata.csv: zone unknown
    ios = tmp_path / "ios"
    ios.mkdir()
    (ios / "Metadata.csv").write_text("version,device name,recording time,platform,appVersion,recording timezone,"
                                      "standardisation\n3,iPhone 13,2023-11-14_22-13-20,ios,1.40,Europe/London,false\n")
    uncal = _sensor_logger(ios / "AccelerometerUncalibrated.csv", -_limb_ms2() / 9.80665)   # iOS: g, flipped signs
    _, leg, rec = read_one(uncal)
    assert rec.meta["units_in_file"] == "g" and (rec.timezone, rec.timezone_source) == ("Europe/London", "file")
    assert np.median(np.linalg.norm(leg.accel_g, axis=1)) == pytest.approx(1.0, abs=0.01)
    (ios / "Metadata.csv").write_text((ios / "Metadata.csv").read_text().replace(",false", ",true"))
    _sensor_logger(ios / "AccelerometerUncalibrated.csv", _limb_ms2())  # standardised: m/s^2
    assert read_one(ios / "AccelerometerUncalibrated.csv")[2].meta["units_in_file"] == "m/s^2"


def test_sensor_logger_zip_and_folder_take_the_stream_with_gravity(tmp_path):
    folder = tmp_path / "2023-11-14_22-13-20"
    folder.mkdir()
    (folder / "Metadata.csv").write_text("version,device name,recording time,platform,recording timezone\n"
                                         "3,Pixel 7,2023-11-14_22-13-20,android,America/New_York\n")
    _sensor_logger(folder / "Accelerometer.csv", _limb_ms2(gravity=False))
    _sensor_logger(folder / "TotalAcceleration.csv", _limb_ms2())
    rec = read(folder, side="right")
    assert rec.meta["format"] == "sensor-logger-folder" and rec.meta["sensor_logger_stream"] == "TotalAcceleration.csv"
    assert rec.timezone == "America/New_York" and set(rec.legs) == {"right"}
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for p in folder.iterdir():
            zf.write(p, f"{folder.name}/{p.name}")
    fmt, leg, rec = read_one(archive)
    assert fmt == "sensor-logger" and rec.meta["sensor_logger_stream"] == "TotalAcceleration.csv"
    only_linear = tmp_path / "linear.zip"
    with zipfile.ZipFile(only_linear, "w") as zf:
        zf.write(folder / "Metadata.csv", "Metadata.csv")
        zf.write(folder / "Accelerometer.csv", "Accelerometer.csv")
    with pytest.raises(InputError, match="gravity removed"):
        read_file(only_linear, ReadOptions())


def _phyphox_1_1_16(n=3000, sep=";", decimal=",", names=('"Time (s)"', '"X (m/s^2)"', '"Y (m/s^2)"', '"Z (m/s^2)"')):
    """Generated in the layout phyphox's exporters write (DataExport.java / ExperimentExportSet.swift): quoted
    header, values as '0.000000000E0' with the chosen decimal mark and separator."""
    acc = _limb_ms2(n, seed=5)
    fmt = lambda v: f"{v:.9E}".replace("E+0", "E").replace("E-0", "E-").replace("E+", "E").replace(".", decimal)  # noqa: E731
    rows = [sep.join(fmt(v) for v in (i * 0.005, *acc[i])) for i in range(n)]
    return sep.join(names) + "\n" + "\n".join(rows) + "\n"


def _phyphox_time_csv(sep=";", decimal=",", text="2024-05-01 22:40:00.000 UTC+02:00"):
    fmt = lambda v: f"{v:.9E}".replace("E+0", "E").replace("E+", "E").replace(".", decimal)  # noqa: E731
    unix = f"{1714596000.0:.3f}".replace(".", decimal)
    return (sep.join(['"event"', '"experiment time"', '"system time"', '"system time text"']) + "\n"
            + sep.join(['"START"', fmt(0.0), unix, f'"{text}"']) + "\n"
            + sep.join(['"PAUSE"', fmt(15.0), unix.replace("1714596000", "1714596015"), f'"{text}"']) + "\n")


def test_phyphox_1_1_16_semicolon_export_with_its_meta_time_beside_it(tmp_path):
    """Issue 15: phyphox 1.1.16 exports (';', '"X (m/s^2)"' headers, meta/time.csv beside them) were not
    recognised and their absolute start was lost."""
    folder = tmp_path / "Acceleration with g 2024-05-01 22-40-00"
    (folder / "meta").mkdir(parents=True)
    path = folder / "Raw Data.csv"
    path.write_text(_phyphox_1_1_16())
    (folder / "meta" / "time.csv").write_text(_phyphox_time_csv())
    fmt, leg, rec = read_one(path)
    assert fmt == "phyphox" and rec.time_is_absolute and leg.t_s[0] == pytest.approx(1714596000.0)
    assert (rec.timezone, rec.timezone_source) == ("+02:00", "file")
    assert leg.fs_hz == pytest.approx(200.0) and median_g(leg) == pytest.approx(1.0, abs=0.01)
    assert read(folder, side="left").meta["format"] == "phyphox-folder"


@pytest.mark.parametrize(("sep", "decimal"), [(",", "."), ("\t", "."), (";", "."), ("\t", ","), (";", ",")])
def test_phyphox_zip_whose_headers_lack_units(tmp_path, sep, decimal):
    """The five CSV variants phyphox exports, zipped with meta/, columns named without units: phyphox's SI
    m/s^2, checked against the gravity magnitude."""
    archive = tmp_path / "Acceleration with g.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("Accelerometer.csv", _phyphox_1_1_16(sep=sep, decimal=decimal,
                                                         names=('"Time"', '"X"', '"Y"', '"Z"')))
        zf.writestr("meta/device.csv", sep.join(['"property"', '"value"']) + "\n")
        zf.writestr("meta/time.csv", _phyphox_time_csv(sep, decimal, "2024-05-01 21:40:00.000 UTCZ"))
    fmt, leg, rec = read_one(archive)
    assert fmt == "phyphox" and leg.t_s[0] == pytest.approx(1714596000.0) and rec.timezone == "UTC"
    assert median_g(leg) == pytest.approx(1.0, abs=0.01) and rec.meta["units_in_file"] == "m/s^2"


def test_phyphox_linear_acceleration_refused(tmp_path):
    path = tmp_path / "Linear Acceleration.csv"
    path.write_text(_phyphox_1_1_16(names=('"Time (s)"', '"Linear Acceleration x (m/s^2)"',
                                           '"Linear Acceleration y (m/s^2)"', '"Linear Acceleration z (m/s^2)"')))
    with pytest.raises(InputError, match="linear acceleration"):
        read_file(path, ReadOptions())


def test_a_quoted_scientific_csv_with_epoch_times_is_not_phyphox(tmp_path):
    """phyphox's first column is experiment time (s from the start): Unix seconds in that layout are a
    generic CSV (R's write.csv with scientific notation), read with absolute time."""
    path = tmp_path / "r_export.csv"
    path.write_text('"time","x","y","z"\n' + "".join(f"{1.7e9 + i / 50:.15E},0.0E0,0.0E0,9.8E-1\n" for i in range(200)))
    fmt, leg, rec = read_one(path)
    assert fmt == "generic-csv" and rec.time_is_absolute and leg.t_s[0] == pytest.approx(1.7e9)
