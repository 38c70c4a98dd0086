"""The crash-safe journal: round trip, torn last record at every cut, damaged records, never overwritten."""

from __future__ import annotations

import math

import pytest

from lrm.ble.journal import (
    FILE_MAGIC, GAP, META, JournalWriter, JsonRecord, PacketRecord, ReadStats, read_journal,
)


def _write(path, n=20):
    w = JournalWriter(path)
    w.write_json(META, {"version": 1, "legs": {"left": {"address": "AA"}}})
    for i in range(n):
        w.write_packet(PacketRecord("left" if i % 2 else "right", 1, i * 10, 1_700_000_000_000_000_000 + i,
                                    float(i), float(i) + 0.5, 3, bytes([i]) * (5 + i)))
    w.write_json(GAP, {"side": "left", "start_wall_ns": 1, "end_wall_ns": 2, "cause": "silent"})
    w.close()
    return path


def test_round_trip(tmp_path):
    path = _write(tmp_path / "j.lrmj")
    stats = ReadStats()
    recs = list(read_journal(path, stats))
    assert len(recs) == 22 and stats.packets == 20 and stats.torn_tail_bytes == 0
    pk = [r for r in recs if isinstance(r, PacketRecord)]
    assert pk[3] == PacketRecord("left", 1, 30, 1_700_000_000_000_000_003, 3.0, 3.5, 3, bytes([3]) * 8)
    assert isinstance(recs[-1], JsonRecord) and recs[-1].data["cause"] == "silent"


def test_nan_sensor_time_survives(tmp_path):
    w = JournalWriter(tmp_path / "j.lrmj")
    w.write_packet(PacketRecord("right", 2, 1, 2, math.nan, math.nan, 0, b"\x01"))
    w.close()
    [rec] = list(read_journal(tmp_path / "j.lrmj"))
    assert math.isnan(rec.first_s) and rec.payload == b"\x01"


def test_torn_tail_at_every_cut(tmp_path):
    full = _write(tmp_path / "full.lrmj").read_bytes()
    complete = list(read_journal(tmp_path / "full.lrmj"))
    last_start = full.rindex(b"\xa5\x5a")
    for cut in range(last_start, len(full)):
        p = tmp_path / "cut.lrmj"
        p.write_bytes(full[:cut])
        stats = ReadStats()
        recs = list(read_journal(p, stats))
        assert recs == complete[:-1], cut
        assert stats.torn_tail_bytes == cut - last_start


def test_torn_header_is_an_empty_journal(tmp_path):
    p = tmp_path / "j.lrmj"
    p.write_bytes(FILE_MAGIC[:5])
    assert list(read_journal(p)) == []


def test_damaged_record_in_the_middle_is_skipped(tmp_path):
    path = _write(tmp_path / "j.lrmj")
    data = bytearray(path.read_bytes())
    complete = list(read_journal(path))
    starts = [i for i in range(len(data)) if data[i:i + 2] == b"\xa5\x5a"]
    data[starts[5] + 14] ^= 0xFF                      # flip a payload byte of record 5
    path.write_bytes(bytes(data))
    stats = ReadStats()
    recs = list(read_journal(path, stats))
    assert recs == complete[:5] + complete[6:]
    assert stats.skipped_bytes > 0 and stats.problems


def test_never_overwrites(tmp_path):
    path = _write(tmp_path / "j.lrmj")
    with pytest.raises(FileExistsError):
        JournalWriter(path)


def test_not_a_journal(tmp_path):
    p = tmp_path / "x"
    p.write_bytes(b"hello world, not a journal")
    with pytest.raises(ValueError, match="not an lrm journal"):
        list(read_journal(p))
