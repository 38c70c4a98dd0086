"""The device-file writers (benchmark and multi-day test files) against the real files' structure, and the
binary readers' windowed reading against their whole-file reading."""

import struct
import zipfile

import numpy as np
import pytest

from lrm.io import actigraph_gt3x, axivity_cwa, geneactiv_bin
from lrm.io.axivity_cwa import BLOCK
from lrm.io.device_writers import Segment, write_cwa, write_geneactiv_bin, write_gt3x
from lrm.io.registry import ReadOptions
from tests.conftest import shared_file
from tests.io._formats_helpers import read_one

T0 = 1_700_000_000.0          # 2023-11-14 22:13:20 wall clock


def _signal(seconds: int, seed: int = 0, fs: int = 100) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n = seconds * fs
    accel = np.array([0.1, -0.2, 0.97]) + rng.normal(0, 0.02, (n, 3))
    for b in rng.integers(0, n - fs, 20):
        accel[b:b + fs // 2] += rng.normal(0, 1.5, 3)                  # brief movements up to a few g
    accel[n // 3: n // 3 + 60 * fs] = [0.0, 1.0, 0.0]                 # a minute lying perfectly still
    return np.clip(accel, -7.9, 7.9).astype(np.float32)


@pytest.mark.parametrize(("writer", "resolution_g"), [(write_cwa, 8 / 256), (write_geneactiv_bin, 100 / 25000),
                                                      (write_gt3x, 1 / 256)])
def test_written_file_reads_back_as_written(tmp_path, writer, resolution_g):
    accel = _signal(600)
    path = writer(tmp_path / "f", [Segment(T0, accel[:30000]), Segment(T0 + 300, accel[30000:])])
    _, leg, _ = read_one(path)
    assert leg.n_samples == accel.shape[0]
    np.testing.assert_allclose(leg.t_s, T0 + np.arange(accel.shape[0]) / 100, atol=1e-6)
    err = np.abs(leg.accel_g - accel)
    assert err.max() <= resolution_g / 2 + 1e-6           # the largest step of the format's packing
    assert np.median(err) <= 0.01 / 2 + 1e-6


def test_cwa_writer_fills_every_field_the_real_ax3_file_has(tmp_path):
    real = np.fromfile(shared_file("app_exports/axivity/ax3_testfile.cwa"), np.uint8)
    ours = np.fromfile(write_cwa(tmp_path / "a.cwa", [Segment(T0, _signal(60))]), np.uint8)
    for raw in (real, ours):
        head, blocks = raw[:1024].tobytes(), raw[1024:].view(BLOCK)
        assert head[:4] == b"MD\xfc\x03" and head[36] == 0x4A          # 100 Hz, +-8 g
        assert (blocks["magic"] == b"AX").all() and (blocks["length"] == 508).all()
        assert (blocks["axes_bps"] == 0x30).all() and (blocks["sample_count"] == 120).all()
        assert (raw[1024:].view("<u2").reshape(-1, 256).sum(axis=1, dtype=np.uint16) == 0).all()
        assert (np.diff(blocks["sequence_id"].astype(int)) == 1).all()
        assert (blocks["device_fractional"] & 0x8000).all()            # the fraction field is in use
        assert ((blocks["timestamp_offset"] >= 0) & (blocks["timestamp_offset"] <= 140)).all()


def _records(log: bytes):
    pos, out = 0, []
    while pos + 8 <= len(log):
        assert log[pos] == 0x1E
        rtype, ts, size = log[pos + 1], *struct.unpack_from("<IH", log, pos + 2)
        body = log[pos:pos + 8 + size]
        assert (~np.bitwise_xor.reduce(np.frombuffer(body, np.uint8)) & 0xFF) == log[pos + 8 + size]
        out.append((rtype, ts, log[pos + 8:pos + 8 + size]))
        pos += 9 + size
    assert pos == len(log)
    return out


def test_gt3x_writer_follows_the_real_idle_sleep_file(tmp_path):
    real = zipfile.ZipFile(shared_file("app_exports/actigraph/TAS1H30182785_2019-09-17.gt3x"))
    accel = _signal(600)
    ours = zipfile.ZipFile(write_gt3x(tmp_path / "a.gt3x", [Segment(T0, accel)], idle_sleep=True, tz_offset_s=-14400))
    keys = [{line.split(":")[0] for line in zf.read("info.txt").decode().splitlines()} for zf in (real, ours)]
    assert keys[0] == keys[1]
    assert [i.compress_type for i in ours.infolist()] == [zipfile.ZIP_STORED] * 2
    types = [{r[0] for r in _records(zf.read("log.bin"))} for zf in (real, ours)]
    assert {0x1A, 0x02, 0x03, 0x06, 0x0D, 0x15} <= types[1] and types[1] <= types[0]
    ours_records = _records(ours.read("log.bin"))
    events = [(ts, p) for t, ts, p in ours_records if t == 0x03]
    assert [p for _, p in events] == [b"\x08", b"\x09"]              # idle during the still minute
    assert events[1][0] - events[0][0] == 50                          # 60 s still, idle after 10 s
    _, leg, _ = read_one(tmp_path / "a.gt3x")
    assert leg.n_samples == accel.shape[0] and sum(g.duration_s for g in leg.filled) == 50
    assert leg.t_s[0] == T0 + 14400


def test_geneactiv_writer_matches_the_real_files_lines(tmp_path):
    real = shared_file("app_exports/geneactiv/sleeppy_test_geneactiv.bin").read_bytes()
    ours = write_geneactiv_bin(tmp_path / "a.bin", [Segment(T0, _signal(60))]).read_bytes()

    def layout(raw):
        head, _, body = raw.partition(b"Recorded Data\r\n")
        keys = {line.split(b":")[0] for line in head.split(b"\r\n") if b":" in line}
        page = (b"Recorded Data\r\n" + body).split(b"\r\n")[:10]
        return keys, [line.split(b":")[0] for line in page[:9]], len(page[9])

    assert layout(real) == layout(ours)
    assert ours.count(b"Recorded Data") == 20 and ours.endswith(b"\r\n")


@pytest.mark.parametrize("module, writer", [(axivity_cwa, write_cwa), (geneactiv_bin, write_geneactiv_bin),
                                            (actigraph_gt3x, lambda p, s: write_gt3x(p, s, idle_sleep=True))])
def test_a_window_is_the_slice_of_the_whole_file(tmp_path, module, writer):
    path = writer(tmp_path / "f", [Segment(T0, _signal(900, seed=4))])
    src = module.open_source(path, ReadOptions())
    whole = src.read().legs["left"]
    assert src.start_s == whole.t_s[0] and src.end_s == pytest.approx(whole.t_s[-1])
    for a, b in [(T0 + 100.005, T0 + 400.0), (T0 - 50, T0 + 10), (T0 + 890, T0 + 2000), (T0 + 301.5, T0 + 359.99)]:
        part = src.read(a, b).legs["left"]
        keep = (whole.t_s >= a) & (whole.t_s < b)
        np.testing.assert_array_equal(part.t_s, whole.t_s[keep])
        np.testing.assert_array_equal(part.accel_g, whole.accel_g[keep])
    if module is actigraph_gt3x:                                      # the still minute is idle sleep, filled
        part = src.read(T0 + 320, T0 + 340).legs["left"]
        assert len(part.filled) == 1 and part.filled[0].start_s == T0 + 320 and part.filled[0].end_s == T0 + 340
        assert part.n_samples == 2000 and (part.accel_g == part.accel_g[0]).all()   # the last sample, repeated


def test_a_window_outside_the_recording_is_a_clear_error(tmp_path):
    from lrm.errors import InputError

    src = axivity_cwa.open_source(write_cwa(tmp_path / "a.cwa", [Segment(T0, _signal(60))]), ReadOptions())
    with pytest.raises(InputError, match="no samples in the requested time window"):
        src.read(T0 + 3600, T0 + 7200)


def test_cwa_block_times_stay_on_the_sample_grid_at_any_start(tmp_path):
    # block starts at fractions of a second (25 Hz: 4.8 s blocks) and Unix-time rounding must not shift a block
    for start in (T0, T0 + 0.96, 1_709_760_120.0, 1_709_760_120.04):
        accel = _signal(600, fs=25)
        path = write_cwa(tmp_path / "a.cwa", [Segment(start, accel)], fs_hz=25.0)
        _, leg, _ = read_one(path)
        np.testing.assert_allclose(leg.t_s, start + np.arange(accel.shape[0]) / 25.0, atol=1e-6)
