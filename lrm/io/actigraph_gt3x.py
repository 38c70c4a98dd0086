"""ActiGraph ``.gt3x`` files (zip archives), parsed from ActiGraph's published format documentation.

Two layouts exist (github.com/actigraph/GT3X-File-Format and NHANES-GT3X-File-Format):

* **log.bin** (current devices): a stream of log records ``0x1E, type, uint32 LE timestamp (local Unix s),
  uint16 LE payload size, payload, checksum``. ``ACTIVITY`` (type 0x00) payloads hold one second of
  12-bit two's-complement samples packed big-endian in Y, X, Z order; ``ACTIVITY2`` (0x1A) payloads
  hold little-endian int16 X, Y, Z (a 1-byte ACTIVITY2 marks a USB event and is ignored). Seconds the
  device spent in idle-sleep mode have no record and become gaps (no samples invented).
* **activity.bin** (GT3X+ "NEO"/"MRA" firmware <= 2.5.0): the same 12-bit Y, X, Z packing for the whole
  recording from ``Start Date`` at ``Sample Rate``.

Counts are divided by ``Acceleration Scale`` from info.txt (else 256 LSB/g for MOS/TAS serials, 341 for
NEO/CLE ones) to give g. Times: info.txt dates are .NET ticks of local time; with ``TimeZone`` in info.txt
they are converted to UTC. lrm does not use pygt3x: it is GPL-3.0 and lrm is MIT, and the documented
format is small enough to decode with numpy.
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import numpy as np
import numpy.typing as npt

from lrm.errors import InputError
from lrm.io.format_tools import LOCAL_AS_UTC, make_recording, parse_utc_offset_s, to_g
from lrm.io.recording import Recording

__all__ = ["sniff", "read", "DESCRIPTION", "unpack_12bit_yxz"]

DESCRIPTION = "ActiGraph .gt3x (zip with log.bin or NHANES-style activity.bin; counts -> g)"
TICKS_AT_UNIX_EPOCH = 621_355_968_000_000_000  # .NET ticks (100 ns since 0001-01-01) at 1970-01-01
RECORD_SEPARATOR, ACTIVITY, ACTIVITY2 = 0x1E, 0x00, 0x1A
FIX = "copy the .gt3x again from the device (ActiLife/CentrePoint), or export a raw CSV"


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


def _info(zf: zipfile.ZipFile, path: Path) -> dict[str, str]:
    try:
        text = zf.read("info.txt").decode("utf-8", "replace")
    except KeyError:
        raise InputError(str(path), "info.txt", "missing from the archive", FIX) from None
    info = {}
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep:
            info[key.strip()] = value.strip()
    return info


def _number(info: dict[str, str], key: str, path: Path) -> float:
    try:
        return float(info[key])
    except KeyError:
        raise InputError(str(path), "info.txt", f"no '{key}'", FIX) from None
    except ValueError:
        raise InputError(str(path), f"info.txt '{key}'", f"not a number: {info[key]!r}", FIX) from None


def _log_records(data: bytes, path: Path, fs_hz: float) -> tuple[npt.NDArray[np.int16], npt.NDArray[np.float64], int]:
    """Counts (n, 3) and local Unix times of every ACTIVITY/ACTIVITY2 sample in log.bin; plus bad records."""
    blocks, times, pos, bad, size = [], [], 0, 0, len(data)
    step = 1.0 / fs_hz
    while pos + 8 <= size:
        if data[pos] != RECORD_SEPARATOR:
            nxt = data.find(bytes([RECORD_SEPARATOR]), pos + 1)   # resynchronise after corruption
            bad += 1
            if nxt < 0:
                break
            pos = nxt
            continue
        rtype, ts, length = data[pos + 1], *struct.unpack_from("<IH", data, pos + 2)
        payload = data[pos + 8: pos + 8 + length]
        pos += 9 + length
        if len(payload) < length:
            bad += 1
            break
        if rtype == ACTIVITY and length:
            counts = unpack_12bit_yxz(payload)
        elif rtype == ACTIVITY2 and length > 1:
            counts = np.frombuffer(payload[: length - length % 6], dtype="<i2").reshape(-1, 3)
        else:
            continue
        blocks.append(counts)
        times.append(ts + np.arange(counts.shape[0]) * step)
    if not blocks:
        return np.empty((0, 3), np.int16), np.empty(0), bad
    return np.concatenate(blocks), np.concatenate(times), bad


def read(path: Path, options) -> Recording:  # noqa: ANN001 - ReadOptions
    """Read a .gt3x into a one-leg recording (g; UTC when info.txt gives the time zone)."""
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise InputError(str(path), "archive", f"not a readable zip/gt3x ({exc})", FIX) from None
    with zf:
        info = _info(zf, path)
        fs = _number(info, "Sample Rate", path)
        serial = info.get("Serial Number", "")
        scale = float(info.get("Acceleration Scale", 256.0 if serial.startswith(("MOS", "TAS")) else 341.0))
        range_g = float(info["Acceleration Max"]) if "Acceleration Max" in info else (8.0 if scale == 256.0 else 6.0)
        start_local = (_number(info, "Start Date", path) - TICKS_AT_UNIX_EPOCH) / 1e7
        names = set(zf.namelist())
        notes = []
        try:
            if "log.bin" in names:
                counts, t_local, bad = _log_records(zf.read("log.bin"), path, fs)
                layout = "log.bin"
                if bad:
                    notes.append(f"{bad} corrupt or truncated log record(s) skipped")
            elif "activity.bin" in names:
                counts = unpack_12bit_yxz(zf.read("activity.bin"))
                t_local = start_local + np.arange(counts.shape[0], dtype=np.float64) / fs
                layout = "activity.bin"
            else:
                raise InputError(str(path), "archive", "neither log.bin nor activity.bin inside", FIX)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError) as exc:
            raise InputError(str(path), "archive", f"corrupt or truncated ({exc})", FIX) from None
    if counts.shape[0] == 0:
        raise InputError(str(path), "log.bin", "no acceleration records", FIX)
    offset = parse_utc_offset_s(info.get("TimeZone", ""))
    if offset is None:
        t_s, tz = t_local, "local (unknown offset)"
        notes.append(f"time: {LOCAL_AS_UTC}")
    else:
        t_s, tz = t_local - offset, info["TimeZone"]
        notes.append(f"time: device local time converted to UTC with TimeZone {tz}")
    accel_g, unit = to_g(counts.astype(np.float64) / scale, "g", path, options.units)
    device = {"GT3XPlus": "ActiGraph GT3X+"}.get(info.get("Device Type", ""), f"ActiGraph {info.get('Device Type', '')}".strip())
    return make_recording(path, options, t_s=t_s, accel_g=accel_g, fs_hz=fs, device=device, serial=serial,
                          range_g=range_g, notes=notes,
                          meta={"units_in_file": "counts", "timezone": tz, "gt3x_layout": layout, "scale_lsb_per_g": scale})
