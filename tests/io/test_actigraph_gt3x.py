import csv
import struct
import warnings
import zipfile
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from lrm.errors import InputError, LrmWarning
from lrm.io.actigraph_gt3x import unpack_12bit_yxz
from lrm.io.registry import ReadOptions, read_file
from tests.conftest import shared_file
from tests.io._formats_helpers import median_g, read_one


def test_gt3x_sample_matches_actilife_export():
    path = shared_file("app_exports/actigraph/neo.gt3x")
    with shared_file("app_exports/actigraph/neo.csv").open(newline="") as fh:
        expected = np.array([[float(v) for v in row] for row in list(csv.reader(fh.read().splitlines()[11:]))])
    info = dict(line.split(": ", 1) for line in zipfile.ZipFile(path).read("info.txt").decode().splitlines())
    local = datetime(1, 1, 1) + timedelta(microseconds=int(info["Start Date"]) // 10)
    fmt, leg, _ = read_one(path)
    assert fmt == "actigraph-gt3x"
    assert leg.n_samples == expected.shape[0] == 18004
    assert leg.fs_hz == float(info["Sample Rate"]) == 30.0
    np.testing.assert_allclose(np.round(leg.accel_g.astype(np.float64), 3), expected, atol=1.5e-3)
    assert leg.t_s[0] == (local.replace(tzinfo=timezone.utc) + timedelta(hours=6)).timestamp()  # TimeZone -06:00
    assert median_g(leg) == pytest.approx(1.0, abs=0.05)


def test_unpack_matches_documented_example():
    # actigraph/NHANES-GT3X-File-Format activity.bin.md example: Y, X, Z of three samples
    counts = unpack_12bit_yxz(bytes.fromhex("006008EBD007009EBF007008EBF0"))
    assert counts.tolist() == [[8, 6, -323], [9, 7, -321], [8, 7, -321]]


def _record(rtype, ts, payload):
    body = bytes([0x1E, rtype]) + struct.pack("<IH", ts, len(payload)) + payload
    checksum = 0xFF
    for b in body:
        checksum ^= b
    return body + bytes([checksum])


def test_log_bin_activity2_with_idle_gap(tmp_path):
    fs, t0 = 30, 1_700_000_000
    second = np.tile(np.array([0, 0, 256], "<i2"), fs).tobytes()   # 1 g on z, MOS scale 256/g
    log = _record(0x1A, t0, second) + _record(0x1A, t0 + 1, second) + _record(0x1A, t0 + 1, b"\x01") + _record(0x1A, t0 + 5, second)
    path = tmp_path / "MOS.gt3x"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("info.txt", "Serial Number: MOS2E22180349\nDevice Type: wGT3XBT\nSample Rate: 30\n"
                    "Start Date: 638356968000000000\nTimeZone: 01:00:00\nAcceleration Scale: 256.0\n")
        zf.writestr("log.bin", log)
    fmt, leg, _ = read_one(path)
    assert fmt == "actigraph-gt3x" and leg.n_samples == 3 * fs
    np.testing.assert_allclose(leg.accel_g[:, 2], 1.0)
    assert leg.t_s[0] == t0 - 3600 and leg.t_s[-1] == pytest.approx(t0 + 5 - 3600 + 29 / 30)
    assert np.max(np.diff(leg.t_s)) == pytest.approx(3 + 1 / 30)          # idle-sleep seconds stay a gap


def test_truncated_gt3x_is_a_clear_error(tmp_path):
    path = tmp_path / "cut.gt3x"
    path.write_bytes(shared_file("app_exports/actigraph/neo.gt3x").read_bytes()[:5000])
    with pytest.raises(InputError, match="cut.gt3x"):
        read_file(path, ReadOptions())


# --- idle sleep (issue 12): filled as ActiLife fills it, true gaps kept --------------------------------------
TAS = "app_exports/actigraph/TAS1H30182785_2019-09-17"


def _actilife_rows():
    import gzip

    with gzip.open(shared_file(TAS + ".csv.gz"), "rt") as fh:
        lines = fh.read().splitlines()[11:]
    return np.array([[float(v) for v in line.split(",")] for line in lines])


def test_idle_sleep_seconds_are_filled_with_actilifes_samples():
    expected = _actilife_rows()                              # 240,500 rows from 18:40:00 local, 100 Hz
    _, leg, rec = read_one(shared_file(TAS + ".gt3x"))
    start_local = datetime(2019, 9, 17, 18, 40, tzinfo=timezone.utc).timestamp()
    row = np.rint((leg.t_s - 4 * 3600 - start_local) * 100).astype(int)   # UTC = local + 4 h
    assert row[0] == 0 and np.all(np.diff(row) > 0)
    np.testing.assert_allclose(leg.accel_g, expected[row], atol=5.01e-4)   # ActiLife rounds to 3 decimals
    recorded_by_actilife = ~np.all(expected == 0, axis=1)   # its zero rows: nothing recorded (docked on USB)
    assert recorded_by_actilife[row].all()
    assert abs(leg.n_samples - recorded_by_actilife.sum()) <= 0.01 * recorded_by_actilife.sum()   # 100 of 215,300
    assert sum(g.duration_s for g in leg.filled) == 1822.0 and {g.cause for g in leg.filled} == {"idle-sleep"}
    assert rec.meta["idle_sleep"] and any("idle sleep filled" in n for n in leg.notes)


def test_idle_sleep_file_gives_actilifes_coverage_and_time_in_bed(tmp_path):
    import gzip

    from lrm.io.registry import read
    from lrm.pipeline import analyze

    csv_path = tmp_path / "tas.csv"
    csv_path.write_bytes(gzip.decompress(shared_file(TAS + ".csv.gz").read_bytes()))
    results = []
    for path in (shared_file(TAS + ".gt3x"), csv_path):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LrmWarning)     # data-quality notes are not what is tested here
            results.append(analyze(read(path, side="left")))
    gt3x, actilife = results
    assert gt3x.summary.time_in_bed_h == pytest.approx(actilife.summary.time_in_bed_h, rel=0.01)
    assert gt3x.summary.time_in_bed_h > 0.5                 # was 0.02 h with idle seconds as gaps
    # ActiLife's export does not say which rows it filled; its reader finds them (whole seconds of repeats): the
    # same coverage as the .gt3x (was 99.5 %)
    assert actilife.quality["left"].coverage_pct == pytest.approx(gt3x.quality["left"].coverage_pct, abs=0.1)
    q = gt3x.quality["left"]
    assert any("1822 s not recorded (idle-sleep) filled" in r for r in q.repairs)   # summary.json says so
    # the filled seconds are not recorded: coverage leaves them out (was 99.5 %), and a warning says so
    assert q.coverage_pct == pytest.approx(100 * (2159 - 1822 - 7) / 2159, abs=1.0)
    assert any("84% of the recording was not recorded" in w for w in q.warnings)
    assert any("84% of the recording was not recorded" in w for w in gt3x.summary.warnings)
    # noise and detection limit from the recorded samples (were 0.0 mg and 12 mg, measured on the repeats)
    assert 0.002 < q.noise_g < 0.006 and q.lsb_g == pytest.approx(1 / 256, rel=1e-3)
    assert q.detection_limit_g == pytest.approx(0.0102, abs=0.001)


def test_plan_fills_only_between_an_idle_entry_and_its_exit():
    from lrm.io.actigraph_gt3x import plan_seconds

    data = np.array([0, 1, 2, 9, 20, 30])
    n, end = plan_seconds(data, np.array([3, 25]), np.array([8]), np.array([28]), 40)
    assert n.tolist() == [0, 0, 5, 0, 7, 0]        # 3-7 filled (exit at 8); 10-19 a true gap; 21-27 (USB at 28)
    n, _ = plan_seconds(data, np.array([22]), np.array([], int), np.array([27]), 40)
    assert n.tolist() == [0, 0, 0, 0, 6, 0]        # no exit event: filled up to the USB connection


def test_log_bin_with_checksum_error_drops_that_second(tmp_path):
    fs, t0 = 30, 1_700_000_000
    second = np.tile(np.array([0, 0, 256], "<i2"), fs).tobytes()
    bad = bytearray(_record(0x1A, t0 + 1, second))
    bad[-1] ^= 0xFF
    log = _record(0x1A, t0, second) + bytes(bad) + b"\x00\x00" + _record(0x1A, t0 + 2, second)   # zero padding is fine
    path = tmp_path / "MOS.gt3x"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("info.txt", "Serial Number: MOS2E22180349\nSample Rate: 30\nStart Date: 638356968000000000\n")
        zf.writestr("log.bin", log)
    _, leg, _ = read_one(path)
    assert leg.n_samples == 2 * fs
    assert any("1 corrupt" in n for n in leg.notes)
