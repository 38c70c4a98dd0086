"""Write acceleration as the vendors' binary files: Axivity ``.cwa``, ActiGraph ``.gt3x``, GENEActiv ``.bin``.

Used to make realistic week-long test and benchmark files (``lrm/sim/multiday.py``, ``benchmarks/``). Each
writer streams: it takes an iterable of :class:`Segment` (contiguous samples at the nominal rate from a start
time) and never holds more than one segment in memory. The layouts follow the vendors' documentation, checked
field by field against the real files in ``../shared/data/app_exports`` (``tests/io/test_device_writers.py``):

* AX3 ``.cwa`` (Open Movement ``cwa.h``): a 1024-byte ``MD`` header, then 512-byte ``AX`` blocks of 120 samples
  in the packed 32-bit format (three 10-bit values and a shared 2-bit exponent, 1/256 g), a packed RTC
  timestamp with its sample index (``timestampOffset``) and a 15-bit fraction, light, temperature, battery,
  the rate code (0x4A: 100 Hz, +-8 g as in the sample), and a 16-bit checksum that makes the words sum to 0.
* ``.gt3x`` (ActiGraph GT3X-File-Format, log.bin layout of the GT9X Link / wGT3X-BT): a zip holding
  ``log.bin`` (stored, as ActiLife writes it) and ``info.txt``. Records ``0x1E, type, uint32 time, uint16
  size, payload, checksum``: METADATA and PARAMETERS first (idle-sleep feature bit set when asked), one
  ACTIVITY2 record (int16 X, Y, Z at 256 LSB/g) per second, BATTERY and CAPSENSE every minute, and with idle
  sleep on, EVENT 0x08 when the device falls idle after 10 s without movement and 0x09 when it wakes: the
  idle seconds in between carry no record, as on the device.
* GENEActiv ``.bin``: the text header (Device Identity ... Memory Status), then pages of 300 samples: nine
  header lines (``Page Time:YYYY-MM-DD hh:mm:ss:mmm``, temperature, ...) and 3600 upper-case hex digits (12-bit
  x, y, z in raw units, ``raw = (g * gain + offset) / 100``, 10-bit light, button, reserved), CRLF line ends.

Times in a :class:`Segment` are the device's local wall clock expressed as Unix seconds (as lrm reads them
back when a file states no zone); ``.gt3x`` and ``.bin`` also state ``tz_offset_s`` in their headers.
"""

from __future__ import annotations

import json
import struct
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import numpy.typing as npt

from lrm.io.axivity_cwa import BLOCK

__all__ = ["Segment", "write_cwa", "write_gt3x", "write_geneactiv_bin"]

TICKS_AT_UNIX_EPOCH = 621_355_968_000_000_000   # .NET ticks at 1970-01-01
CWA_PER_BLOCK, GA_PER_PAGE = 120, 300


@dataclass(frozen=True, slots=True)
class Segment:
    """Contiguous samples: ``accel_g`` (n, 3) in g at the writer's nominal rate from ``start_s`` (wall-clock
    Unix s). ``worn`` says whether the device was on the body (sets skin vs room temperature where the format
    records it)."""

    start_s: float
    accel_g: npt.NDArray[np.floating]
    worn: bool = True


def _iso(t_s: float, sep: str = " ") -> str:
    return datetime.fromtimestamp(t_s, tz=timezone.utc).strftime(f"%Y-%m-%d{sep}%H:%M:%S")


# ----------------------------------------------------------------------------------------------- Axivity
def _cwa_time(t_s: npt.NDArray[np.int64]) -> npt.NDArray[np.uint32]:
    """Whole wall-clock seconds -> packed CWA RTC values (YYYYYYMM MMDDDDDh hhhhmmmm mmssssss)."""
    days = t_s // 86400
    d = days.astype("datetime64[D]")
    year = d.astype("datetime64[Y]").astype(np.int64) + 1970
    month = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    day = (d - d.astype("datetime64[M]")).astype(np.int64) + 1
    sod = t_s - days * 86400
    packed = (((year - 2000) << 26) | (month << 22) | (day << 17) | ((sod // 3600) << 12)
              | (((sod // 60) % 60) << 6) | (sod % 60))
    return packed.astype(np.uint32)


def _cwa_header(device_id: int, session_id: int, start_s: float, rate_code: int, annotation: str) -> bytes:
    head = bytearray(b"\xff" * 1024)
    head[0:4] = b"MD" + struct.pack("<H", 1020)
    head[4] = 0x00                                   # hardware type: AX3 (0x64 would be AX6)
    struct.pack_into("<HI", head, 5, device_id & 0xFFFF, session_id)
    struct.pack_into("<H", head, 11, (device_id >> 16) if device_id > 0xFFFF else 0xFFFF)
    first = int(_cwa_time(np.array([int(start_s)]))[0])
    struct.pack_into("<III", head, 13, first, 0x80000000 | first, 0)   # logging start, end (always), capacity
    head[25:36] = bytes([0xFF, 0x00] + [0xFF] * 9)
    head[36] = rate_code
    struct.pack_into("<I", head, 37, first)          # last change
    head[41] = 44                                     # firmware revision (the sample's)
    struct.pack_into("<h", head, 42, -1)              # time zone: unknown
    head[44:64] = b"\xff" * 20
    head[64:512] = annotation.encode("ascii").ljust(448, b" ")[:448]
    return bytes(head)


def _cwa_pack(counts: npt.NDArray[np.int32]) -> npt.NDArray[np.uint32]:
    """(n, 3) counts at 1/256 g -> packed words: 10-bit mantissas sharing the smallest exponent that fits."""
    peak = np.abs(counts).max(axis=1)
    exp = np.zeros(peak.shape, np.int64)
    for e in (1, 2, 3):
        exp[peak > (511 << (e - 1))] = e
    mant = (counts >> exp[:, None]).astype(np.int64) & 0x3FF        # arithmetic shift keeps the sign
    return (mant[:, 0] | (mant[:, 1] << 10) | (mant[:, 2] << 20) | (exp << 30)).astype(np.uint32)


def _cwa_blocks(counts: npt.NDArray[np.int32], first_t: npt.NDArray[np.float64], seq0: int, session_id: int,
                fs_hz: float, worn: bool, rate_code: int = 0x4A) -> npt.NDArray:
    n = first_t.shape[0]
    blocks = np.zeros(n, BLOCK)
    blocks["magic"], blocks["length"], blocks["session_id"] = b"AX", 508, session_id
    blocks["sequence_id"] = seq0 + np.arange(n)
    end_t = first_t + CWA_PER_BLOCK / fs_hz
    whole = np.floor(end_t - 0.5 / fs_hz).astype(np.int64)       # the last whole second reached in the block
    offset = np.ceil((whole - first_t) * fs_hz - 1e-3).astype(np.int64)   # (Unix times carry ~1e-5 sample of rounding)
    frac = first_t + offset / fs_hz - whole                       # in [0, 1/fs)
    blocks["timestamp"] = _cwa_time(whole)
    blocks["timestamp_offset"] = offset
    blocks["device_fractional"] = 0x8000 | (np.clip(frac, 0, 0.999) * 32768).astype(np.int64) & 0x7FFF
    rng = np.random.default_rng(seq0)
    blocks["light_scale"] = rng.integers(250, 350, n) if worn else rng.integers(400, 600, n)
    blocks["temperature"] = int(round((32.0 if worn else 22.0) + 50) * 256 / 75)   # T = raw * 75 / 256 - 50
    blocks["battery"], blocks["rate_code"], blocks["axes_bps"] = 190, rate_code, 0x30
    blocks["sample_count"] = CWA_PER_BLOCK
    blocks["data"] = _cwa_pack(counts).view(np.uint8).reshape(n, 480)
    words = blocks.view("<u2").reshape(n, 256)
    blocks["checksum"] = (-words[:, :255].sum(axis=1, dtype=np.uint64)).astype(np.uint16)
    return blocks


def write_cwa(path: str | Path, segments: Iterable[Segment], *, fs_hz: float = 100.0, device_id: int = 43210,
              session_id: int = 1, annotation: str = "_sc=lrm&_p=left+ankle") -> Path:
    """Write an AX3 ``.cwa`` (+-8 g, packed samples; ``fs_hz`` one of the device's rates 3200 / 2^k: 6.25 to
    3200 Hz; 100 Hz is rate code 0x4A). A segment's samples beyond a whole block are carried into the next
    block when the next segment continues it, else dropped; the stream's last samples end in a partial block
    (its sample count says how many). Returns ``path``."""
    k = 15 - np.log2(3200.0 / fs_hz)
    if not (k == int(k) and 6 <= k <= 15):
        raise ValueError(f"fs_hz must be 3200 / 2^k Hz (6.25, 12.5, 25, 50, 100, ... 3200), got {fs_hz}")
    rate_code = 0x40 | int(k)
    path, seq = Path(path), 0
    carry_t, carry = None, np.empty((0, 3), np.float32)
    with path.open("wb") as out:
        header_written = False
        for seg in segments:
            if carry.shape[0] and carry_t is not None and abs(carry_t + carry.shape[0] / fs_hz - seg.start_s) < 0.5 / fs_hz:
                accel, start = np.concatenate([carry, np.asarray(seg.accel_g, np.float32)]), carry_t
            else:
                accel, start = np.asarray(seg.accel_g, np.float32), seg.start_s
            if not header_written:
                out.write(_cwa_header(device_id, session_id, start, rate_code, annotation))
                header_written = True
            n_blocks = accel.shape[0] // CWA_PER_BLOCK
            counts = np.clip(np.rint(accel[: n_blocks * CWA_PER_BLOCK] * 256.0), -4088, 4088).astype(np.int32)
            first_t = start + np.arange(n_blocks) * CWA_PER_BLOCK / fs_hz
            _cwa_blocks(counts, first_t, seq, session_id, fs_hz, seg.worn, rate_code).tofile(out)
            seq += n_blocks
            carry, carry_t = accel[n_blocks * CWA_PER_BLOCK:], start + n_blocks * CWA_PER_BLOCK / fs_hz
        if not header_written:
            raise ValueError("no samples to write")
        if carry.shape[0]:                     # the last, partial block: its sample count says how many are valid
            counts = np.zeros((CWA_PER_BLOCK, 3), np.int32)
            counts[: carry.shape[0]] = np.clip(np.rint(carry * 256.0), -4088, 4088)
            block = _cwa_blocks(counts, np.array([carry_t]), seq, session_id, fs_hz, True, rate_code)
            block["sample_count"] = carry.shape[0]
            words = block.view("<u2").reshape(1, 256)
            block["checksum"] = (-words[:, :255].sum(axis=1, dtype=np.uint64)).astype(np.uint16)
            block.tofile(out)
    return path


# ----------------------------------------------------------------------------------------------- ActiGraph
def _gt3x_records(rtype: int, ts: npt.NDArray[np.int64], payloads: npt.NDArray[np.uint8]) -> bytes:
    """Records of one type with equal payload sizes, built at once: (k, 8 + size + 1) bytes."""
    k, size = payloads.shape
    rec = np.empty((k, 9 + size), np.uint8)
    rec[:, 0], rec[:, 1] = 0x1E, rtype
    rec[:, 2:6] = ts.astype("<u4").view(np.uint8).reshape(k, 4)
    rec[:, 6:8] = np.frombuffer(struct.pack("<H", size), np.uint8)
    rec[:, 8:8 + size] = payloads
    rec[:, -1] = ~np.bitwise_xor.reduce(rec[:, :-1], axis=1)
    return rec.tobytes()


def _gt3x_record(rtype: int, ts: int, payload: bytes) -> bytes:
    return _gt3x_records(rtype, np.array([ts]), np.frombuffer(payload, np.uint8)[None, :])


def _still_seconds(counts: npt.NDArray[np.int16], fs: int, idle_after_s: int) -> npt.NDArray[np.bool_]:
    """Seconds the device sleeps through: after ``idle_after_s`` seconds whose samples all stay within
    +-2 counts (~8 mg at 256 LSB/g) of the second's first sample, until a second that moves."""
    sec = counts.reshape(-1, fs, 3)
    still = (np.abs(sec - sec[:, :1]).max(axis=(1, 2)) <= 2)
    # length of the still run ending at each second
    idx = np.flatnonzero(~still)
    breaks = np.zeros(still.shape[0] + 1, np.int64)
    breaks[idx + 1] = idx + 1
    run = np.arange(1, still.shape[0] + 1) - np.maximum.accumulate(breaks)[1:]
    return still & (run > idle_after_s)


def write_gt3x(path: str | Path, segments: Iterable[Segment], *, fs_hz: float = 100.0, serial: str = "TAS1H30100001",
               tz_offset_s: float = 0.0, idle_sleep: bool = False, idle_after_s: int = 10) -> Path:
    """Write a ``.gt3x`` (log.bin layout, ACTIVITY2 int16 at 256 LSB/g, +-8 g). With ``idle_sleep`` the seconds
    spent idle are not recorded and EVENT records mark entering (0x08) and leaving (0x09) idle sleep.
    Segments must start on whole seconds; a trailing partial second is dropped. Returns ``path``."""
    fs = int(fs_hz)
    if fs != fs_hz or not 30 <= fs <= 100:
        raise ValueError(f"fs_hz must be a whole rate in [30, 100] Hz, got {fs_hz}")
    path = Path(path)
    first_ts = last_ts = None
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        with zf.open("log.bin", "w", force_zip64=True) as log:
            for seg in segments:
                t0 = int(round(seg.start_s))
                if abs(seg.start_s - t0) > 1e-6:
                    raise ValueError(f"gt3x segments start on whole seconds, got {seg.start_s}")
                if first_ts is None:
                    first_ts = t0
                    log.write(_gt3x_head(t0, serial, fs, idle_sleep))
                n_sec = seg.accel_g.shape[0] // fs
                counts = np.clip(np.rint(np.asarray(seg.accel_g[: n_sec * fs], np.float64) * 256.0), -2048, 2047).astype("<i2")
                log.write(_gt3x_seconds(counts, t0, fs, seg.worn, idle_sleep, idle_after_s))
                last_ts = t0 + n_sec
            if first_ts is None:
                raise ValueError("no samples to write")
            log.write(_gt3x_record(0x1A, last_ts, b"\x5a"))             # USB connection (docked for download)
        start_ticks = TICKS_AT_UNIX_EPOCH + first_ts * 10_000_000
        end_ticks = TICKS_AT_UNIX_EPOCH + last_ts * 10_000_000
        sign = "-" if tz_offset_s < 0 else ""
        tz = f"{sign}{int(abs(tz_offset_s)) // 3600:02d}:{int(abs(tz_offset_s)) % 3600 // 60:02d}:00"
        info = (f"Serial Number: {serial}\nDevice Type: Link\nFirmware: 1.7.2\nBattery Voltage: 4.18\n"
                f"Sample Rate: {fs}\nStart Date: {start_ticks}\nStop Date: 0\nLast Sample Time: {end_ticks}\n"
                f"TimeZone: {tz}\nDownload Date: {end_ticks}\nBoard Revision: 8\nUnexpected Resets: 0\n"
                "Acceleration Scale: 256.0\nAcceleration Min: -8.0\nAcceleration Max: 8.0\nSubject Name: lrm\n")
        zf.writestr("info.txt", info.replace("\n", "\r\n"))
    return path


def _gt3x_head(t0: int, serial: str, fs: int, idle_sleep: bool) -> bytes:
    meta = json.dumps({"MetadataType": "Bio", "SubjectName": "lrm", "Limb": "Ankle", "Side": "Left"}).encode()
    params = struct.pack("<HHI", 0, 6, 2) + struct.pack("<HHI", 0, 8, 8)           # battery normal, board rev 8
    params += struct.pack("<HHI", 0, 55, 0x09400000)                                # ACCEL_SCALE 256 LSB/g
    params += struct.pack("<HHI", 1, 2, 0x04 if idle_sleep else 0x00)               # FEATURE_ENABLE bit 2: sleep mode
    params += struct.pack("<HHI", 1, 10, fs) + struct.pack("<HHI", 1, 12, t0)       # SAMPLE_RATE, TARGET_START_TIME
    return _gt3x_record(0x06, t0 - 44, meta) + _gt3x_record(0x15, t0 - 44, params)


def _gt3x_seconds(counts: npt.NDArray[np.int16], t0: int, fs: int, worn: bool, idle_sleep: bool,
                  idle_after_s: int) -> bytes:
    """ACTIVITY2 records of whole seconds (skipping idle ones, with their events), BATTERY and CAPSENSE
    records at each whole minute, in time order."""
    n_sec = counts.shape[0] // fs
    if n_sec == 0:
        return b""
    ts = t0 + np.arange(n_sec, dtype=np.int64)
    idle = _still_seconds(counts, fs, idle_after_s) if idle_sleep else np.zeros(n_sec, bool)
    payload = counts.reshape(n_sec, fs * 3).view(np.uint8)
    recs = {"act": (ts[~idle], _gt3x_records(0x1A, ts[~idle], payload[~idle]), fs * 6 + 9)}
    enter = np.flatnonzero(idle & ~np.r_[False, idle[:-1]])
    leave = np.flatnonzero(~idle & np.r_[False, idle[:-1]])
    minute = ts[ts % 60 == 0]
    battery = np.tile(np.frombuffer(struct.pack("<H", 4100), np.uint8), (minute.size, 1))
    cap = np.tile(np.frombuffer(bytes.fromhex("9b179b17") + (b"\x01" if worn else b"\x00") + b"\xc8", np.uint8),
                  (minute.size, 1))
    streams = [  # (times, records of one size, order within a second: events, battery, capsense, then data)
        (ts[enter], _gt3x_records(0x03, ts[enter], np.full((enter.size, 1), 8, np.uint8)), 10, 0),
        (ts[leave], _gt3x_records(0x03, ts[leave], np.full((leave.size, 1), 9, np.uint8)), 10, 0),
        (minute, _gt3x_records(0x02, minute, battery), 11, 1), (minute, _gt3x_records(0x0D, minute, cap), 15, 2),
        recs["act"] + (4,)]
    keys = np.concatenate([times * 8 + order for times, _, _, order in streams])
    rows = [row.tobytes() for times, blob, size, _ in streams if times.size
            for row in np.frombuffer(blob, np.uint8).reshape(-1, size)]
    return b"".join(rows[i] for i in np.argsort(keys, kind="stable"))


# ----------------------------------------------------------------------------------------------- GENEActiv
GA_GAIN, GA_OFFSET = np.array([25292.0, 25227.0, 25118.0]), np.array([454.0, -591.0, 779.0])   # the sample's


def _ga_header(serial: str, start_s: float, fs_hz: float, tz_offset_s: float, n_pages: int) -> str:
    sign = "-" if tz_offset_s < 0 else "+"
    tz = f"GMT {sign}{int(abs(tz_offset_s)) // 3600:02d}:{int(abs(tz_offset_s)) % 3600 // 60:02d}"
    lines = [
        "Device Identity", f"Device Unique Serial Code:{serial}", "Device Type:GENEActiv", "Device Model:1.1",
        "Device Firmware Version:Ver4.08a date14Jul14", "Calibration Date:2016-11-11 09:40:03:000", "",
        "Device Capabilities", "Accelerometer Range:-8 to 8", "Accelerometer Resolution:0.0039",
        "Accelerometer Units:g", "Light Meter Range:0 to 5000", "Light Meter Resolution:5", "Light Meter Units:lux",
        "Temperature Sensor Range:0 to 70", "Temperature Sensor Resolution:0.1", "Temperature Sensor Units:deg. C", "",
        "Configuration Info", f"Measurement Frequency:{fs_hz:g} Hz", "Measurement Period:168 Hours",
        f"Start Time:{_iso(start_s)}:000", f"Time Zone:{tz}", "", "Trial Info", "Study Centre:001", "Study Code:lrm",
        "Investigator ID:", "Exercise Type:", "Config Operator ID:", f"Config Time:{_iso(start_s - 60)}:000",
        "Config Notes:", "Extract Operator ID:", f"Extract Time:{_iso(start_s)}:000", "Extract Notes:", "",
        "Subject Info", "Device Location Code:left ankle", "Subject Code:lrm", "Date of Birth:1900-1-1", "Sex:",
        "Height:", "Weight:", "Handedness Code:", "Subject Notes:", "", "Calibration Data",
        *(f"{a} {k}:{int(v)}" for a, g, o in zip("xyz", GA_GAIN, GA_OFFSET) for k, v in (("gain", g), ("offset", o))),
        "Volts:51", "Lux:1010", "", "Memory Status", f"Number of Pages:{n_pages}", "",
    ]
    return "\r\n".join(lines) + "\r\n"


_HEX = np.frombuffer(b"0123456789ABCDEF", np.uint8)


def _ga_pages(accel: npt.NDArray[np.floating], first_t: npt.NDArray[np.float64], seq0: int, serial: str,
              fs_hz: float, worn: bool) -> bytes:
    n = first_t.shape[0]
    raw = np.clip(np.rint((accel.reshape(n * GA_PER_PAGE, 3) * GA_GAIN + GA_OFFSET) / 100.0), -2048, 2047).astype(np.int64)
    light = 30 if worn else 200
    word = ((raw[:, 0] & 0xFFF) << 36) | ((raw[:, 1] & 0xFFF) << 24) | ((raw[:, 2] & 0xFFF) << 12) | (light << 2)
    nibbles = (word[:, None] >> np.arange(44, -1, -4)) & 0xF
    hexes = _HEX[nibbles].reshape(n, GA_PER_PAGE * 12)
    ms = np.rint((first_t - np.floor(first_t)) * 1000).astype(np.int64)
    temp = 31.5 if worn else 22.4
    out = []
    for i in range(n):
        t = float(np.floor(first_t[i]))
        out.append(f"Recorded Data\r\nDevice Unique Serial Code:{serial}\r\nSequence Number:{seq0 + i}\r\n"
                   f"Page Time:{_iso(t)}:{ms[i]:03d}\r\nUnassigned:\r\nTemperature:{temp}\r\nBattery voltage:4.1493\r\n"
                   f"Device Status:Recording\r\nMeasurement Frequency:{fs_hz:.1f}\r\n".encode("ascii"))
        out.append(hexes[i].tobytes() + b"\r\n")
    return b"".join(out)


def write_geneactiv_bin(path: str | Path, segments: Iterable[Segment], *, fs_hz: float = 100.0, serial: str = "035645",
                        tz_offset_s: float = 0.0, n_pages_hint: int | None = None) -> Path:
    """Write a GENEActiv ``.bin``: header then pages of 300 samples (a partial last page is dropped). The
    header's ``Number of Pages`` is ``n_pages_hint`` (the file is streamed, so it is stated up front) or the
    page count of the first segment's length when not given. Returns ``path``."""
    path, seq = Path(path), 0
    with path.open("wb") as out:
        for seg in segments:
            accel = np.asarray(seg.accel_g, np.float64)
            n = accel.shape[0] // GA_PER_PAGE
            if seq == 0:
                out.write(_ga_header(serial, seg.start_s, fs_hz, tz_offset_s, n_pages_hint or n).encode("ascii"))
            first_t = seg.start_s + np.arange(n) * GA_PER_PAGE / fs_hz
            for k in range(0, n, 2000):                                   # bounded memory per write
                m = min(2000, n - k)
                out.write(_ga_pages(accel[k * GA_PER_PAGE:(k + m) * GA_PER_PAGE], first_t[k:k + m], seq + k, serial,
                                    fs_hz, seg.worn))
            seq += n
        if seq == 0:
            raise ValueError("no samples to write")
    return path
