import csv
import struct
import zipfile
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from lrm.errors import InputError
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
