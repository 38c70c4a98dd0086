"""The crash-safe, append-only packet journal of one recorded night (``NIGHT_DIR/journal/journal.lrmj``).

Every notification the recorder receives is appended with its host monotonic and wall-clock times (ns),
the device time of its first and last sample (s, NaN when the family has no device clock) and the raw
payload; connections (with the driver's ``StreamInfo``, enough to re-decode), link losses and gaps with
their cause, battery readings and the end of the night are appended as small JSON records. The writer
flushes and fsyncs at least every 2 s (the recorder does it every second), so a power cut or ``kill -9``
loses at most the last 2 s; ``lrm recover`` rebuilds the recording from what is on disk.

Format (version 1), all integers little-endian::

    file    := b"LRMJOURNAL\\x01\\n" record*
    record  := b"\\xA5\\x5A" type:u8 length:u32 crc32:u32 body[length]
               (crc32 over the type byte and the body)
    type 1 META    body = UTF-8 JSON: {"version": 1, "created_wall_ns", "legs": {side: {...}}, ...}
    type 2 STREAM  body = JSON {"side", "conn", "wall_ns", "mono_ns", "info": StreamInfo.to_dict()}
    type 3 PACKET  body = side:u8 (0 left, 1 right) conn:u32 mono_ns:i64 wall_ns:i64
                          first_s:f64 last_s:f64 n:u16 payload[...]
    type 4 GAP     body = JSON {"side", "start_wall_ns", "end_wall_ns", "cause", "detail"}
    type 5 EVENT   body = JSON {"side", "kind", "wall_ns", ...}  (link-lost, battery, malformed, stop)

A torn last record (short length or CRC mismatch at the end of the file) is ignored and reported; a
damaged record in the middle is skipped by searching for the next sync marker whose record checks out.
"""

from __future__ import annotations

import json
import os
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

__all__ = [
    "FILE_MAGIC", "JOURNAL_NAME", "META", "STREAM", "PACKET", "GAP", "EVENT",
    "PacketRecord", "JsonRecord", "JournalWriter", "ReadStats", "read_journal", "journal_path",
]

FILE_MAGIC = b"LRMJOURNAL\x01\n"
JOURNAL_NAME = "journal.lrmj"
SYNC = b"\xa5\x5a"
META, STREAM, PACKET, GAP, EVENT = 1, 2, 3, 4, 5
_HEAD = struct.Struct("<2sBII")
_PACKET = struct.Struct("<BIqqddH")
SIDE_CODE = {"left": 0, "right": 1}
SIDE_NAME = {0: "left", 1: "right"}
MAX_BODY = 1 << 20


def journal_path(night_dir: str | os.PathLike[str]) -> Path:
    """Where the journal of a night directory lives."""
    return Path(night_dir) / "journal" / JOURNAL_NAME


@dataclass(frozen=True, slots=True)
class PacketRecord:
    """One received notification as journaled."""

    side: str
    conn: int
    mono_ns: int
    wall_ns: int
    first_s: float
    last_s: float
    n: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class JsonRecord:
    kind: int
    data: dict[str, Any]


def _frame(kind: int, body: bytes) -> bytes:
    crc = zlib.crc32(body, zlib.crc32(bytes([kind])))
    return _HEAD.pack(SYNC, kind, len(body), crc) + body


def encode_packet(rec: PacketRecord) -> bytes:
    body = _PACKET.pack(SIDE_CODE[rec.side], rec.conn, rec.mono_ns, rec.wall_ns, rec.first_s, rec.last_s, rec.n)
    return _frame(PACKET, body + rec.payload)


def encode_json(kind: int, data: dict[str, Any]) -> bytes:
    return _frame(kind, json.dumps(data, separators=(",", ":"), allow_nan=True).encode("utf-8"))


class JournalWriter:
    """Appends records to a new journal file. Only the recorder's writer task uses it.

    ``write_*`` buffer in memory; :meth:`sync` flushes and fsyncs (call it at least every 2 s).
    Refuses to open an existing journal (``FileExistsError``): a journal is never overwritten.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._f: BinaryIO = open(self.path, "xb")  # noqa: SIM115 - closed in close()
        self._f.write(FILE_MAGIC)
        self.sync()
        self._dir_synced = False
        self.bytes_written = len(FILE_MAGIC)

    def write_packet(self, rec: PacketRecord) -> None:
        self._write(encode_packet(rec))

    def write_json(self, kind: int, data: dict[str, Any]) -> None:
        self._write(encode_json(kind, data))

    def _write(self, frame: bytes) -> None:
        self._f.write(frame)
        self.bytes_written += len(frame)

    def sync(self, *, fsync: bool = True) -> None:
        """Flush Python's buffer to the OS (survives ``kill -9``) and fsync (survives power loss)."""
        self._f.flush()
        if not fsync:
            return
        os.fsync(self._f.fileno())
        if not getattr(self, "_dir_synced", True):
            fd = os.open(self.path.parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            self._dir_synced = True

    def close(self) -> None:
        if not self._f.closed:
            self.sync()
            self._f.close()


@dataclass
class ReadStats:
    """What reading a journal found: record counts, a torn tail, skipped damaged bytes."""

    records: int = 0
    packets: int = 0
    torn_tail_bytes: int = 0
    skipped_bytes: int = 0
    problems: list[str] = field(default_factory=list)


def _parse(kind: int, body: bytes) -> PacketRecord | JsonRecord:
    if kind == PACKET:
        side, conn, mono, wall, first, last, n = _PACKET.unpack_from(body)
        return PacketRecord(SIDE_NAME[side], conn, mono, wall, first, last, n, bytes(body[_PACKET.size:]))
    return JsonRecord(kind, json.loads(body.decode("utf-8")))


def read_journal(path: str | os.PathLike[str], stats: ReadStats | None = None) -> Iterator[PacketRecord | JsonRecord]:
    """Yield the journal's records in order, tolerating a torn last record and damaged ones.

    Raises ``ValueError`` if the file is not a journal (wrong magic). ``stats`` is filled in as it reads.
    """
    stats = stats if stats is not None else ReadStats()
    data = Path(path).read_bytes()
    if not data.startswith(FILE_MAGIC):
        if FILE_MAGIC.startswith(data):      # torn before the magic was complete: an empty journal
            stats.torn_tail_bytes = len(data)
            return
        raise ValueError(f"{path}: not an lrm journal (bad magic)")
    pos, end = len(FILE_MAGIC), len(data)
    while pos < end:
        ok, kind, body, nxt = _try_record(data, pos)
        if ok:
            try:
                rec = _parse(kind, body)
            except (ValueError, KeyError, struct.error, UnicodeDecodeError) as exc:
                stats.problems.append(f"byte {pos}: undecodable record ({exc})")
            else:
                stats.records += 1
                stats.packets += kind == PACKET
                yield rec
            pos = nxt
            continue
        # damaged or torn: is there any valid record later on?
        resync = _resync(data, pos + 1)
        if resync is None:
            stats.torn_tail_bytes = end - pos
            return
        stats.skipped_bytes += resync - pos
        stats.problems.append(f"byte {pos}: damaged record, skipped {resync - pos} bytes")
        pos = resync


def _try_record(data: bytes, pos: int) -> tuple[bool, int, bytes, int]:
    if pos + _HEAD.size > len(data):
        return False, 0, b"", pos
    sync, kind, length, crc = _HEAD.unpack_from(data, pos)
    start = pos + _HEAD.size
    if sync != SYNC or kind not in (META, STREAM, PACKET, GAP, EVENT) or length > MAX_BODY or start + length > len(data):
        return False, 0, b"", pos
    body = data[start:start + length]
    if zlib.crc32(body, zlib.crc32(bytes([kind]))) != crc:
        return False, 0, b"", pos
    return True, kind, body, start + length


def _resync(data: bytes, pos: int) -> int | None:
    while True:
        pos = data.find(SYNC, pos)
        if pos < 0:
            return None
        if _try_record(data, pos)[0]:
            return pos
        pos += 1
