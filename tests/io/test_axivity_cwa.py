import csv
import struct
from datetime import datetime, timezone

import numpy as np
import pytest

from lrm.errors import InputError
from lrm.io.registry import ReadOptions, read_file
from tests.conftest import shared_file
from tests.io._formats_helpers import median_g, read_one


def _first_block(path):
    raw = path.read_bytes()
    header = raw[1024:1024 + 32]
    ts, = struct.unpack_from("<I", header, 14)
    offset, count = struct.unpack_from("<hH", header, 26)
    when = datetime(2000 + (ts >> 26), (ts >> 22) & 15, (ts >> 17) & 31, (ts >> 12) & 31, (ts >> 6) & 63, ts & 63,
                    tzinfo=timezone.utc).timestamp()
    return (len(raw) - 1024) // 512, count, when - offset / 100.0, raw[25 + 1024]


@pytest.mark.parametrize("name, device, blocks", [("ax3_testfile.cwa", "Axivity AX3", 145), ("ax6_testfile.cwa", "Axivity AX6", 283)])
def test_cwa_sample_matches_hand_decoded_header(name, device, blocks):
    path = shared_file(f"app_exports/axivity/{name}")
    n_blocks, per_block, first_time, _ = _first_block(path)
    fmt, leg, _ = read_one(path)
    assert fmt == "axivity-cwa" and leg.device == device
    assert n_blocks == blocks
    assert leg.n_samples == n_blocks * per_block
    assert leg.fs_hz == 100.0
    assert leg.t_s[0] == pytest.approx(first_time, abs=1e-6)
    assert np.all(np.diff(leg.t_s) > 0)
    assert np.median(np.diff(leg.t_s)) == pytest.approx(0.01, rel=0.03)
    assert median_g(leg) == pytest.approx(1.0, abs=0.08)


def test_ax6_cwa_agrees_with_omgui_csv_of_the_same_session():
    with shared_file("app_exports/axivity/ax6_testfile_formatted_timestamps.csv").open(newline="") as fh:
        rows = list(csv.reader(fh))
    expected = np.array([[float(v) for v in r[1:4]] for r in rows])
    first = datetime.strptime(rows[0][0], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc).timestamp()
    _, leg, _ = read_one(shared_file("app_exports/axivity/ax6_testfile.cwa"))
    np.testing.assert_allclose(leg.accel_g[: len(rows)], expected, atol=1e-5)
    assert leg.t_s[0] == pytest.approx(first, abs=0.002)


def test_truncated_cwa_reads_whole_blocks_and_says_so(tmp_path):
    path = tmp_path / "cut.cwa"
    path.write_bytes(shared_file("app_exports/axivity/ax3_testfile.cwa").read_bytes()[: 1024 + 512 * 10 + 100])
    _, leg, _ = read_one(path)
    assert leg.n_samples == 10 * 120
    assert any("truncated" in note for note in leg.notes)


def test_cwa_header_only_is_a_clear_error(tmp_path):
    path = tmp_path / "empty.cwa"
    path.write_bytes(shared_file("app_exports/axivity/ax3_testfile.cwa").read_bytes()[:1024])
    with pytest.raises(InputError, match="no data blocks"):
        read_file(path, ReadOptions())


def test_cwa_corrupt_block_is_dropped(tmp_path):
    raw = bytearray(shared_file("app_exports/axivity/ax3_testfile.cwa").read_bytes())
    raw[1024 + 512 * 3 + 100] ^= 0xFF          # breaks block 4's checksum
    path = tmp_path / "bad.cwa"
    path.write_bytes(bytes(raw))
    _, leg, _ = read_one(path)
    assert leg.n_samples == 144 * 120
    assert any("checksum" in note for note in leg.notes)
