"""ActiGraph ``.gt3x`` files (zip archives), parsed from ActiGraph's published format documentation.

Two layouts exist (github.com/actigraph/GT3X-File-Format and NHANES-GT3X-File-Format):

* **log.bin** (current devices): a stream of log records ``0x1E, type, uint32 LE timestamp (local Unix s),
  uint16 LE payload size, payload, checksum`` (the XOR of header and payload, inverted). ``ACTIVITY``
  (type 0x00) payloads hold one second of 12-bit two's-complement samples packed big-endian in Y, X, Z
  order; ``ACTIVITY2`` (0x1A) payloads hold little-endian int16 X, Y, Z. A 1-byte ACTIVITY/ACTIVITY2 marks
  a USB connection (docking), not samples. Zero bytes between records are documented padding.
* **activity.bin** (GT3X+ "NEO"/"MRA" firmware <= 2.5.0): the same 12-bit Y, X, Z packing for the whole
  recording from ``Start Date`` at ``Sample Rate``.

**Idle sleep mode.** Devices with idle sleep on stop recording after ~10 s without movement and log an
``EVENT`` record with payload 0x08; the first movement logs 0x09 and recording resumes. ActiLife's CSV
export and ActiGraph's pygt3x fill those seconds with the last sample (checked on the shared TAS1H30182785
file against its ActiLife CSV: identical samples). lrm does the same: the seconds from the last recorded
second to the 0x09 event (or the next recorded second, the next USB connection, or the log's end) get the
last sample, and ``Leg.filled`` lists them (``cause="idle-sleep"``). Missing seconds with no idle-sleep
event around them stay gaps: ActiLife writes zeros there (after a USB connection), which are not samples.

Counts are divided by ``Acceleration Scale`` from info.txt (else 256 LSB/g for MOS/TAS serials, 341 for
NEO/CLE ones) to give g. Times: info.txt dates are .NET ticks of local time; with ``TimeZone`` in info.txt
they are converted to UTC. lrm does not use pygt3x: it is GPL-3.0 and lrm is MIT, and the documented
format is small enough to decode with numpy.

Memory: :func:`open_source` walks the records once (8 MiB at a time; a stored log.bin is read in place, a
deflated one is inflated to a temporary file first) and keeps ~20 bytes per recorded second;
:meth:`Gt3xFile.read` decodes the seconds of a window into float32 samples and float64 times.
"""

from __future__ import annotations

import struct
import tempfile
import zipfile
from pathlib import Path
from typing import BinaryIO

import numpy as np
import numpy.typing as npt

from lrm.errors import InputError
from lrm.io.format_tools import (LOCAL_AS_UTC, empty_populated, keep_window, make_recording, parse_utc_offset_s,
                                 to_g, with_file_offset)
from lrm.io.plausibility import read_zip_member, zip_member_limit
from lrm.io.recording import Gap, Recording

__all__ = ["sniff", "read", "open_source", "Gt3xFile", "DESCRIPTION", "unpack_12bit_yxz", "plan_seconds", "walk_records"]

DESCRIPTION = "ActiGraph .gt3x (zip with log.bin or NHANES-style activity.bin; counts -> g; idle sleep filled)"
TICKS_AT_UNIX_EPOCH = 621_355_968_000_000_000  # .NET ticks (100 ns since 0001-01-01) at 1970-01-01
RECORD_SEPARATOR, ACTIVITY, EVENT, ACTIVITY2 = 0x1E, 0x00, 0x03, 0x1A
IDLE_ENTER, IDLE_EXIT = 0x08, 0x09
SCAN_BYTES, WALK_BYTES, DECODE_SECONDS = 8 << 20, 1 << 20, 4096
MAX_SPAN_DAYS = 400                             # longer than any device's memory: a corrupt timestamp
FILL_PER_RECORDED, FILL_MIN_BUDGET_S = 20, 2 * 86400   # idle-sleep fill allowed: 20x the recorded seconds, >= 2 days
FIX = "copy the .gt3x again from the device (ActiLife/CentrePoint), or export a raw CSV"
UNIT_SCALES = {"auto": 1.0, "g": 1.0, "mg": 1e-3, "m/s^2": 1.0 / 9.80665}


def sniff(head: bytes, suffix: str) -> bool:
    """A zip archive whose first member is one of the gt3x files (or named *.gt3x)."""
    if not head.startswith(b"PK\x03\x04"):
        return False
    return suffix == ".gt3x" or any(name in head[:4096] for name in (b"info.txt", b"log.bin", b"activity.bin"))


def unpack_12bit_yxz(raw: bytes | npt.NDArray[np.uint8]) -> npt.NDArray[np.int16]:
    """Unpack big-endian 12-bit two's-complement Y, X, Z triplets into int16 counts (n, 3) in X, Y, Z order.

    >>> unpack_12bit_yxz(bytes.fromhex("006008EBD007009EBF007008EBF0")).tolist()
    [[8, 6, -323], [9, 7, -321], [8, 7, -321]]
    """
    b = np.frombuffer(raw, dtype=np.uint8) if isinstance(raw, bytes) else raw
    n_values = (b.size * 2) // 3                 # 12 bits each
    n_samples = n_values // 3
    n_values = n_samples * 3
    pad = np.zeros(((n_values + 1) // 2) * 3, dtype=np.uint16)
    take = min(b.size, pad.size)
    pad[:take] = b[:take]
    trip = pad.reshape(-1, 3)
    vals = np.empty(trip.shape[0] * 2, dtype=np.int32)
    vals[0::2] = (trip[:, 0] << 4) | (trip[:, 1] >> 4)
    vals[1::2] = ((trip[:, 1] & 0x0F) << 8) | trip[:, 2]
    vals = vals[:n_values]
    vals = np.where(vals > 2047, vals - 4096, vals).astype(np.int16).reshape(-1, 3)
    return vals[:, [1, 0, 2]]


def plan_seconds(data_ts: npt.NDArray[np.int64], enter_ts: npt.NDArray[np.int64], exit_ts: npt.NDArray[np.int64],
                 usb_ts: npt.NDArray[np.int64], log_end_ts: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Which seconds to fill after each recorded second (ActiGraph idle sleep, as ActiLife and pygt3x do).

    ``data_ts``: the recorded seconds (ascending, unique); ``enter_ts``/``exit_ts``: idle-sleep EVENT 0x08 /
    0x09 times; ``usb_ts``: USB connections; ``log_end_ts``: the last record's time. Returns, per recorded
    second, how many following seconds get its last sample, and the fill's end (exclusive). After recorded
    second ``a`` (next recorded ``b``), an idle-sleep entry in ``(a, b]`` fills ``a + 1`` up to the first exit
    event after the entry, ``b``, or a USB connection, whichever is first.

    >>> n, _ = plan_seconds(np.array([0, 9, 14, 20]), np.array([10]), np.array([14]), np.array([], int), 25)
    >>> n.tolist()          # 10-13 filled with second 9's last sample; 15-19 stay a gap
    [0, 4, 0, 0]
    """
    never = np.iinfo(np.int64).max
    nxt = np.append(data_ts[1:], never)
    first_enter = _next_time(enter_ts, data_ts, "right")                     # the first entry after each second
    has_idle = (first_enter <= np.minimum(nxt, log_end_ts))
    end = np.minimum.reduce([_next_time(exit_ts, np.minimum(first_enter, never - 1), "left"), nxt,
                             _next_time(usb_ts, data_ts, "right"), np.full(data_ts.shape, log_end_ts + 1)])
    end = np.where(has_idle, np.maximum(end, data_ts + 1), data_ts + 1)
    return end - data_ts - 1, end


def _next_time(times: npt.NDArray[np.int64], after: npt.NDArray[np.int64], side: str) -> npt.NDArray[np.int64]:
    """The first of ``times`` (ascending) at (side="left") or after (side="right") each of ``after``; int64 max
    where there is none."""
    never = np.iinfo(np.int64).max
    if not times.size:
        return np.full(after.shape, never)
    i = np.searchsorted(times, after, side=side)
    return np.where(i < times.size, times[np.minimum(i, times.size - 1)], never)


def walk_records(arr: npt.NDArray[np.uint8], start: int, window: int) -> tuple[npt.NDArray[np.int64], int]:
    """Follow the log records' size fields from the record at ``start`` without a per-record Python loop.

    Every separator byte (0x1E) in ``arr[start:start + window]`` is a candidate record start; each candidate
    points at the candidate its size field leads to, and the chain from ``start`` is read off with binary
    lifting (log2(candidates) vectorised steps). Returns the starts of the complete records on the chain and
    where the chain stops: after its last record (the next is outside the window, not a separator, or cut
    by the end of ``arr``) or at a record cut by the end of ``arr``.

    >>> log = bytes([0x1E, 0x1A, 0, 0, 0, 0, 2, 0, 0x1E, 0x1E, 0]) + bytes([0x1E, 3, 0, 0, 0, 0, 1, 0, 8, 0])
    >>> starts, stop = walk_records(np.frombuffer(log, np.uint8), 0, 1 << 20)
    >>> starts.tolist(), stop
    ([0, 11], 21)
    """
    end = min(arr.size, start + window)
    cand = np.flatnonzero(arr[start:max(start, end - 7)] == RECORD_SEPARATOR).astype(np.int64) + start
    if not cand.size or cand[0] != start:
        return np.empty(0, np.int64), start
    nxt = cand + 9 + (arr[cand + 6].astype(np.int64) | (arr[cand + 7].astype(np.int64) << 8))
    j = np.searchsorted(cand, nxt)
    ok = (j < cand.size) & (cand[np.minimum(j, cand.size - 1)] == nxt)
    ptr = np.append(np.where(ok, j, cand.size), cand.size)                   # cand.size: the chain ends
    distance, node, k = np.arange(cand.size), np.zeros(cand.size, np.int64), 0
    while (1 << k) < cand.size:
        node = np.where((distance >> k) & 1 == 1, ptr[node], node)
        ptr, k = ptr[ptr], k + 1
    path = node[node < cand.size]
    last = int(path[-1])
    if nxt[last] > arr.size:                                                   # the last record is cut
        path = path[:-1]
        return cand[path], int(cand[last])
    return cand[path], int(nxt[last])


def _record_fields(arr: npt.NDArray[np.uint8], starts: npt.NDArray[np.int64], base: int) -> tuple[npt.NDArray, ...]:
    """Type, timestamp, payload size, payload offset (in the log) and first payload byte of the (complete)
    records at ``starts``."""
    ts = (arr[starts + 2].astype(np.int64) | (arr[starts + 3].astype(np.int64) << 8)
          | (arr[starts + 4].astype(np.int64) << 16) | (arr[starts + 5].astype(np.int64) << 24))
    size = arr[starts + 6].astype(np.int64) | (arr[starts + 7].astype(np.int64) << 8)
    first = np.where(size > 0, arr[np.minimum(starts + 8, arr.size - 1)], 0)
    return arr[starts + 1].copy(), ts, size, starts + base + 8, first


class Gt3xFile:
    """An opened ``.gt3x``: info.txt facts, the per-second plan (recorded and filled seconds), :meth:`read`."""

    def __init__(self, path: Path, options) -> None:  # noqa: ANN001 - ReadOptions
        self.path, self.options = Path(path), options
        self._tmp: BinaryIO | None = None
        try:
            zf = zipfile.ZipFile(self.path)
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            raise InputError(str(path), "archive", f"not a readable zip/gt3x ({exc})", FIX) from None
        with zf:
            self._read_info(zf)
            names = set(zf.namelist())
            self.notes: list[str] = []
            try:
                if "log.bin" in names:
                    self.layout = "log.bin"
                    self._log, self._log_at, self._log_size = self._open_log(zf)
                    self._scan()
                elif "activity.bin" in names:
                    self.layout = "activity.bin"
                    counts = unpack_12bit_yxz(read_zip_member(zf, "activity.bin", source=str(path)))
                    self._whole = counts
                else:
                    raise InputError(str(path), "archive", "neither log.bin nor activity.bin inside", FIX)
            except (zipfile.BadZipFile, EOFError, OSError, ValueError, struct.error) as exc:
                raise InputError(str(path), "archive", f"corrupt or truncated ({exc})", FIX) from None
        if self.layout == "activity.bin":
            if not self._whole.shape[0]:
                raise InputError(str(path), "activity.bin", "no acceleration samples", FIX)
            self.start_s = self.start_local - self.tz_offset_s
            self.end_s = self.start_s + (self._whole.shape[0] - 1) / self.fs_hz
        else:
            self.start_s = float(self.sec_ts[0]) - self.tz_offset_s
            self.end_s = float(self.sec_ts[-1]) + (self.sec_count[-1] - 1) / self.fs_hz - self.tz_offset_s

    # ---------------------------------------------------------------------------------------- info.txt
    def _read_info(self, zf: zipfile.ZipFile) -> None:
        try:
            text = zf.read("info.txt").decode("utf-8", "replace")
        except KeyError:
            raise InputError(str(self.path), "info.txt", "missing from the archive", FIX) from None
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise InputError(str(self.path), "info.txt", f"unreadable ({exc})", FIX) from None
        info = {}
        for line in text.splitlines():
            key, sep, value = line.partition(":")
            if sep:
                info[key.strip()] = value.strip()
        self.info = info
        self.fs_hz = self._number("Sample Rate")
        if not (1.0 <= self.fs_hz <= 1000.0 and self.fs_hz == int(self.fs_hz)):
            raise InputError(str(self.path), "info.txt 'Sample Rate'", f"{self.fs_hz:g} Hz is not a device rate", FIX)
        self.fs = int(self.fs_hz)
        serial = info.get("Serial Number", "")
        self.serial = serial
        self.scale = self._number("Acceleration Scale") if "Acceleration Scale" in info else (
            256.0 if serial.startswith(("MOS", "TAS")) else 341.0)
        self.range_g = self._number("Acceleration Max") if "Acceleration Max" in info else (
            8.0 if self.scale == 256.0 else 6.0)
        if not 1.0 <= self.scale <= 1e5:
            raise InputError(str(self.path), "info.txt 'Acceleration Scale'", f"implausible scale {self.scale:g} LSB/g", FIX)
        if not 0 < self.range_g <= 1000:
            raise InputError(str(self.path), "info.txt 'Acceleration Max'", f"implausible range {self.range_g:g} g", FIX)
        self.start_local = (self._number("Start Date") - TICKS_AT_UNIX_EPOCH) / 1e7
        offset = parse_utc_offset_s(info.get("TimeZone", ""))
        self.tz_offset_s = 0.0 if offset is None else offset
        self.tz = "local (unknown offset)" if offset is None else info["TimeZone"]

    def _number(self, key: str) -> float:
        try:
            value = float(self.info[key])
        except KeyError:
            raise InputError(str(self.path), "info.txt", f"no '{key}'", FIX) from None
        except ValueError:
            raise InputError(str(self.path), f"info.txt '{key}'", f"not a number: {self.info[key]!r}", FIX) from None
        if not np.isfinite(value):
            raise InputError(str(self.path), f"info.txt '{key}'", f"not a finite number: {self.info[key]!r}", FIX)
        return value

    # ---------------------------------------------------------------------------------------- log.bin
    def _open_log(self, zf: zipfile.ZipFile) -> tuple[Path | BinaryIO, int, int]:
        """Where log.bin's bytes are: (file, offset, size) in the .gt3x itself when stored, else in a
        temporary file it is inflated to (chunk by chunk)."""
        member = zf.getinfo("log.bin")
        if member.compress_type == zipfile.ZIP_STORED:
            with self.path.open("rb") as fh:
                fh.seek(member.header_offset)
                local = fh.read(30)
            if len(local) < 30 or local[:4] != b"PK\x03\x04":
                raise InputError(str(self.path), "archive", "corrupt zip entry for log.bin", FIX)
            name_len, extra_len = struct.unpack_from("<HH", local, 26)
            return self.path, member.header_offset + 30 + name_len + extra_len, member.file_size
        limit = zip_member_limit(member)     # a deflate bomb (kB expanding to GB) stops here, not on the disk
        if member.file_size > limit:
            raise InputError(str(self.path), "log.bin", f"expands to {member.file_size} bytes from "
                             f"{member.compress_size}: not sensor records", FIX)
        tmp = tempfile.TemporaryFile()
        self._tmp = tmp
        with zf.open(member) as src:
            while block := src.read(SCAN_BYTES):
                tmp.write(block)
                if tmp.tell() > limit:
                    raise InputError(str(self.path), "log.bin", "expands to more than its directory says", FIX)
        return tmp, 0, tmp.tell()

    def _chunks(self):  # noqa: ANN202 - yields (absolute offset in the log, bytes)
        fh = self._log if not isinstance(self._log, Path) else self._log.open("rb")
        try:
            pos = 0
            while pos < self._log_size:
                fh.seek(self._log_at + pos)
                block = fh.read(min(SCAN_BYTES, self._log_size - pos))
                if not block:
                    break
                yield pos, block
                pos += len(block)
        finally:
            if isinstance(self._log, Path):
                fh.close()

    def _scan(self) -> None:
        """Walk the records: recorded seconds (time, offset, size, type), idle-sleep events, USB connections."""
        parts: list[tuple[npt.NDArray, ...]] = []
        bad = 0
        carry = b""
        for at, block in self._chunks():
            buf = carry + block
            base = at - len(carry)
            arr = np.frombuffer(buf, np.uint8)
            pos = 0
            while pos + 8 <= arr.size:
                if arr[pos] != RECORD_SEPARATOR:                 # resynchronise at the next separator
                    nxt = buf.find(b"\x1e", pos + 1)
                    if np.any(arr[pos: nxt if nxt >= 0 else arr.size]):   # zero padding is documented
                        bad += 1
                    pos = nxt if nxt >= 0 else arr.size
                    continue
                starts, stop = walk_records(arr, pos, WALK_BYTES)
                if not starts.size:
                    break                                      # a record cut by the chunk's end
                parts.append(_record_fields(arr, starts, base))
                pos = stop
            carry = buf[pos:]
        if carry.strip(b"\x00"):
            bad += 1
            self.notes.append("the log ends in a truncated record")
        if not parts:
            raise InputError(str(self.path), "log.bin", "no log records", FIX)
        rtype, ts, size, off, first = (np.concatenate([p[k] for p in parts]) for k in range(5))
        samples = ((rtype == ACTIVITY) | (rtype == ACTIVITY2)) & (size > 1)
        usb = np.sort(ts[((rtype == ACTIVITY) | (rtype == ACTIVITY2)) & (size == 1)])
        is_event = (rtype == EVENT) & (size == 1)
        events = list(zip(ts[is_event].tolist(), first[is_event].tolist()))
        self._index(ts[samples], off[samples], size[samples], rtype[samples], events, usb,
                    int(ts.max()), bad)

    def _index(self, ts: npt.NDArray[np.int64], off: npt.NDArray[np.int64], size: npt.NDArray[np.int64],
               rtype: npt.NDArray[np.uint8], events: list[tuple[int, int]], usb: npt.NDArray[np.int64],
               last_ts: int, bad: int) -> None:
        if not ts.size:
            raise InputError(str(self.path), "log.bin", "no acceleration records", FIX)
        ok = self._checksums_ok(off, size)
        if not ok.all():
            bad += int(np.count_nonzero(~ok))
            ts, off, size, rtype = ts[ok], off[ok], size[ok], rtype[ok]
        order = np.argsort(ts, kind="stable")
        ts, off, size, rtype = ts[order], off[order], size[order], rtype[order]
        first = np.r_[True, np.diff(ts) > 0]
        if not first.all():
            self.notes.append(f"{int(np.count_nonzero(~first))} repeated second(s) dropped (kept the first record)")
            ts, off, size, rtype = ts[first], off[first], size[first], rtype[first]
        if bad:
            self.notes.append(f"{bad} corrupt or truncated log record(s) skipped")
        if ts.size and (ts[-1] - ts[0]) > MAX_SPAN_DAYS * 86400:
            raise InputError(str(self.path), "log.bin", f"record times span {(ts[-1] - ts[0]) / 86400:.0f} days "
                             "(a corrupt timestamp)", FIX)
        count = np.minimum(np.where(rtype == ACTIVITY2, size // 6, (size * 2) // 9), self.fs)
        if not np.all(count > 0):
            ts, off, size, rtype, count = (a[count > 0] for a in (ts, off, size, rtype, count))
            if not ts.size:
                raise InputError(str(self.path), "log.bin", "no acceleration records", FIX)
        enter = np.array(sorted(t for t, code in events if code == IDLE_ENTER), np.int64)
        exit_ = np.array(sorted(t for t, code in events if code == IDLE_EXIT), np.int64)
        n_fill, _ = plan_seconds(ts, enter, exit_, usb, min(last_ts, int(ts[-1]) + MAX_SPAN_DAYS * 86400))
        budget = max(FILL_MIN_BUDGET_S, FILL_PER_RECORDED * ts.size)   # memory bounded by the file's own size
        if int(n_fill.sum()) > budget:
            over = np.cumsum(n_fill) > budget
            self.notes.append(f"{int(n_fill[over].sum())} s of idle sleep beyond {FILL_PER_RECORDED}x the recorded "
                              "time left as gaps (implausible for a worn device; check the file)")
            n_fill = np.where(over, 0, n_fill)
        self.rec_ts, self.rec_off, self.rec_size, self.rec_type, self.rec_count = ts, off, size, rtype, count
        # the seconds in time order: recorded ones (source = their record), then their fills (source = -1 - record)
        reps = 1 + n_fill
        rec_of = np.repeat(np.arange(ts.size), reps)
        k = np.arange(rec_of.size) - np.repeat(np.cumsum(reps) - reps, reps)
        self.sec_ts = ts[rec_of] + k
        self.sec_src = np.where(k == 0, rec_of, -1 - rec_of)
        self.sec_count = np.where(k == 0, count[rec_of], self.fs)
        n_filled = int(n_fill.sum())
        self.idle_sleep = bool(enter.size)
        if n_filled:
            self.notes.append(f"{n_filled} s of ActiGraph idle sleep filled with the last sample, as ActiLife does")

    def _checksums_ok(self, off: npt.NDArray[np.int64], size: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        """Each activity record's checksum (records of the common size at once, the rest one by one)."""
        ok = np.ones(off.size, bool)
        fh = self._log if not isinstance(self._log, Path) else self._log.open("rb")
        try:
            for lo in range(0, off.size, DECODE_SECONDS):
                sel = np.arange(lo, min(off.size, lo + DECODE_SECONDS))
                rows, _ = self._rows(fh, off[sel] - 8, size[sel] + 9)
                for i, row in rows:
                    ok[sel[i]] = (~np.bitwise_xor.reduce(row[:, :-1], axis=1) & 0xFF) == row[:, -1]
        finally:
            if isinstance(self._log, Path):
                fh.close()
        return ok

    def _rows(self, fh: BinaryIO, start: npt.NDArray[np.int64], length: npt.NDArray[np.int64]):  # noqa: ANN202
        """Read the span covering the records and return [(indices, (k, length) uint8 rows)] per record length."""
        base = int(start.min())
        fh.seek(self._log_at + base)
        raw = np.frombuffer(fh.read(int((start + length).max()) - base), np.uint8)
        out = []
        for ln in np.unique(length):
            idx = np.flatnonzero(length == ln)
            rel = start[idx] - base                                  # rows copied out of a zero-copy window view
            rows = np.lib.stride_tricks.sliding_window_view(raw, int(ln))[rel]
            out.append((idx, rows))
        return out, base

    # ---------------------------------------------------------------------------------------- samples
    def read(self, start_s: float | None = None, end_s: float | None = None) -> Recording:
        """Samples with ``start_s <= t < end_s`` (all without bounds) as a one-leg Recording (g, float32)."""
        if self.layout == "activity.bin":
            return self._read_activity_bin(start_s, end_s)
        lo_t = -np.inf if start_s is None else start_s + self.tz_offset_s
        hi_t = np.inf if end_s is None else end_s + self.tz_offset_s
        sel = np.flatnonzero((self.sec_ts + 1 > lo_t) & (self.sec_ts < hi_t))
        counts = self.sec_count[sel]
        n = int(counts.sum())
        accel, t_s = empty_populated((n, 3), np.float32), empty_populated(n, np.float64)
        pos = np.cumsum(counts) - counts
        scale = UNIT_SCALES.get(self.options.units)
        if scale is None:
            raise InputError(str(self.path), "units", f"unknown acceleration unit {self.options.units!r}", "use g, mg or m/s^2")
        per_count = np.float32(scale / self.scale)
        fh = self._log if not isinstance(self._log, Path) else self._log.open("rb")
        try:
            src = self.sec_src[sel]
            recorded = np.flatnonzero(src >= 0)
            for lo in range(0, recorded.size, DECODE_SECONDS):
                part = recorded[lo:lo + DECODE_SECONDS]
                self._decode(fh, self.sec_src[sel[part]], pos[part], accel, per_count)
            filled = np.flatnonzero(src < 0)
            if filled.size:
                before = -1 - src[filled]                          # the record whose last sample fills it
                recs = np.unique(before)
                last = self._last_samples(fh, recs, per_count)
                accel[pos[filled][:, None] + np.arange(self.fs)] = last[np.searchsorted(recs, before)][:, None, :]
        finally:
            if isinstance(self._log, Path):
                fh.close()
        if np.all(counts == self.fs):                                  # whole seconds: a (seconds, fs) grid
            grid = t_s.reshape(-1, self.fs)
            np.divide(np.arange(self.fs, dtype=np.float64)[None, :], self.fs_hz, out=grid)
            grid += (self.sec_ts[sel] - self.tz_offset_s)[:, None]
        else:
            within = np.arange(n) - np.repeat(pos, counts)
            np.divide(within, self.fs_hz, out=t_s)
            t_s += np.repeat(self.sec_ts[sel] - self.tz_offset_s, counts)
        t_s, accel = keep_window(t_s, accel, lo_t - self.tz_offset_s, hi_t - self.tz_offset_s, True)
        if not t_s.size:
            raise InputError(str(self.path), "log.bin", "no samples in the requested time window",
                             "choose a window within the recording")
        return self._recording(t_s, accel, self._filled_spans(sel))

    def _decode(self, fh: BinaryIO, rec: npt.NDArray[np.int64], at: npt.NDArray[np.int64], accel: npt.NDArray[np.float32],
                per_count: np.float32) -> None:
        rows, _ = self._rows(fh, self.rec_off[rec], self.rec_size[rec])
        for idx, view in rows:
            for kind in (ACTIVITY2, ACTIVITY):
                which = idx[self.rec_type[rec[idx]] == kind]
                if not which.size:
                    continue
                sub = view[np.searchsorted(idx, which)] if which.size != idx.size else view
                c = int(self.rec_count[rec[which[0]]])
                if kind == ACTIVITY2:
                    counts = np.ascontiguousarray(sub[:, : c * 6]).view("<i2").reshape(-1, c, 3)
                elif (c * 9) % 2 == 0:
                    counts = unpack_12bit_yxz(np.ascontiguousarray(sub[:, : c * 9 // 2]).reshape(-1)).reshape(-1, c, 3)
                else:
                    counts = np.stack([unpack_12bit_yxz(np.ascontiguousarray(r))[:c] for r in sub])
                first = int(at[which[0]])
                if np.all(np.diff(at[which]) == c):                     # consecutive in the output: no scatter
                    np.multiply(counts.reshape(-1, 3), per_count, out=accel[first:first + which.size * c])
                else:
                    accel[(at[which][:, None] + np.arange(c)[None, :]).reshape(-1)] = counts.reshape(-1, 3) * per_count

    def _last_samples(self, fh: BinaryIO, recs: npt.NDArray[np.int64], per_count: np.float32) -> npt.NDArray[np.float32]:
        """The last sample (g) of each of the records ``recs``: (len(recs), 3)."""
        out = np.empty((recs.size, 3), np.float32)
        for i, r in enumerate(recs.tolist()):
            one = np.empty((int(self.rec_count[r]), 3), np.float32)
            self._decode(fh, np.array([r]), np.array([0]), one, per_count)
            out[i] = one[-1]
        return out

    def _filled_spans(self, sel: npt.NDArray[np.int64]) -> tuple[Gap, ...]:
        filled = sel[self.sec_src[sel] < 0]
        if not filled.size:
            return ()
        ts = self.sec_ts[filled]
        breaks = np.flatnonzero(np.diff(ts) > 1)
        starts, ends = ts[np.r_[0, breaks + 1]], ts[np.r_[breaks, ts.size - 1]] + 1
        return tuple(Gap(float(a) - self.tz_offset_s, float(b) - self.tz_offset_s, "idle-sleep",
                         "not recorded (device still); last sample repeated") for a, b in zip(starts.tolist(), ends.tolist()))

    def _recording(self, t_s: npt.NDArray[np.float64], accel: npt.NDArray[np.float32],
                   filled: tuple[Gap, ...] = ()) -> Recording:
        notes = list(self.notes)
        if self.tz_offset_s or self.tz != "local (unknown offset)":
            notes.append(f"time: device local time converted to UTC with TimeZone {self.tz}")
        else:
            notes.append(f"time: {LOCAL_AS_UTC}")
        device_type = self.info.get("Device Type", "")
        device = {"GT3XPlus": "ActiGraph GT3X+"}.get(device_type, f"ActiGraph {device_type}".strip())
        rec = make_recording(self.path, self.options, t_s=t_s, accel_g=accel, fs_hz=self.fs_hz, device=device,
                             serial=self.serial, range_g=self.range_g, notes=notes, filled=filled,
                             meta={"units_in_file": "counts", "timezone": self.tz, "gt3x_layout": self.layout,
                                   "scale_lsb_per_g": self.scale, "idle_sleep": getattr(self, "idle_sleep", False)},
                             times_checked=True)
        return with_file_offset(rec, self.tz_offset_s if self.tz != "local (unknown offset)" else None, self.options)

    def _read_activity_bin(self, start_s: float | None, end_s: float | None) -> Recording:
        counts = self._whole
        t_s = self.start_s + np.arange(counts.shape[0], dtype=np.float64) / self.fs_hz
        lo = 0 if start_s is None else int(np.searchsorted(t_s, start_s))
        hi = counts.shape[0] if end_s is None else int(np.searchsorted(t_s, end_s))
        if hi <= lo:
            raise InputError(str(self.path), "activity.bin", "no samples in the requested time window",
                             "choose a window within the recording")
        accel, _ = to_g(counts[lo:hi].astype(np.float64) / self.scale, "g", self.path, self.options.units)
        return self._recording(t_s[lo:hi], accel)

    def __del__(self) -> None:
        if self._tmp is not None:
            self._tmp.close()


def open_source(path: Path, options) -> Gt3xFile:  # noqa: ANN001 - ReadOptions
    """Open a ``.gt3x`` (index its records and idle-sleep seconds) for windowed reading."""
    return Gt3xFile(path, options)


def read(path: Path, options) -> Recording:  # noqa: ANN001 - ReadOptions
    """Read a .gt3x into a one-leg recording (g; UTC when info.txt gives the time zone; idle sleep filled)."""
    return Gt3xFile(path, options).read()
