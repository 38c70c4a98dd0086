"""GENEActiv ``.bin`` files (Activinsights): a text file with a header and 10-line data pages.

The header (``Device Identity``, ``Configuration Info``, ``Calibration Data``, ``Memory Status`` ...) holds
the serial, ``Time Zone:GMT -04:00``, the per-axis ``gain``/``offset`` and ``Number of Pages``. Each page
is ``Recorded Data``, serial, sequence number, ``Page Time:YYYY-MM-DD hh:mm:ss:mmm`` (device local time),
unassigned, temperature, battery voltage, device status, ``Measurement Frequency`` and one line of 3600
hex digits: 300 samples of 48 bits (x, y, z as 12-bit two's complement, 10-bit light, button, reserved).
Acceleration in g is ``(raw * 100 - offset) / gain``. Sample times are page time + i / frequency, converted
to UTC with the header's time zone. A truncated file (fewer pages than the header declares) is read up to
its last complete page and the leg notes say how much is missing.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import numpy.typing as npt

from lrm.errors import InputError
from lrm.io.format_tools import LOCAL_AS_UTC, make_recording, parse_datetimes, parse_utc_offset_s, to_g
from lrm.io.recording import Recording

__all__ = ["sniff", "read", "DESCRIPTION", "decode_page_hex"]

DESCRIPTION = "GENEActiv .bin (text header + hex pages; calibrated to g; UTC from the header time zone)"
PAGE_LINES, SAMPLES_PER_PAGE = 10, 300
FIX = "extract the .bin again with GENEActiv PC software"


def sniff(head: bytes, suffix: str) -> bool:
    start = head[:64].lstrip(b"\xef\xbb\xbf")
    return start.startswith(b"Device Identity") and b"GENEActiv" in head[:2048]


def decode_page_hex(hex_bytes: bytes) -> npt.NDArray[np.int16]:
    """Hex sample text -> raw int16 counts (n, 3) of x, y, z (12-bit two's complement).

    >>> decode_page_hex(b"009EFDFED040").tolist()
    [[9, -259, -19]]
    """
    raw = np.frombuffer(bytes.fromhex(hex_bytes.decode("ascii")), dtype=np.uint8)
    b = raw[: raw.size // 6 * 6].reshape(-1, 6).astype(np.uint64)
    v = np.zeros(b.shape[0], dtype=np.uint64)
    for k in range(6):
        v = (v << np.uint64(8)) | b[:, k]
    xyz = np.stack([((v >> np.uint64(s)) & np.uint64(0xFFF)).astype(np.int32) for s in (36, 24, 12)], axis=1)
    return np.where(xyz >= 2048, xyz - 4096, xyz).astype(np.int16)


def _header(lines: list[bytes], path: Path) -> tuple[dict[str, str], int]:
    info: dict[str, str] = {}
    for i, line in enumerate(lines):
        text = line.decode("latin-1").replace("\x00", "").strip()
        if text == "Recorded Data":
            return info, i
        key, sep, value = text.partition(":")
        if sep and key not in info:
            info[key.strip()] = value.strip()
    raise InputError(str(path), "header", "no 'Recorded Data' page", FIX)


def read(path: Path, options) -> Recording:  # noqa: ANN001 - ReadOptions
    """Read a GENEActiv .bin into a one-leg recording (g; UTC when the header gives the time zone)."""
    lines = path.read_bytes().splitlines()
    info, first = _header(lines, path)
    try:
        gain = np.array([float(info[f"{a} gain"]) for a in "xyz"])
        offset = np.array([float(info[f"{a} offset"]) for a in "xyz"])
    except (KeyError, ValueError):
        raise InputError(str(path), "Calibration Data", "missing or invalid gain/offset", FIX) from None
    if np.any(gain == 0):
        raise InputError(str(path), "Calibration Data", "a gain of 0", FIX)
    body = lines[first:]
    n_pages = len(body) // PAGE_LINES
    notes: list[str] = []
    pages = [body[i * PAGE_LINES:(i + 1) * PAGE_LINES] for i in range(n_pages)]
    good = [p for p in pages if p[0].strip() == b"Recorded Data" and len(p[9].strip()) == SAMPLES_PER_PAGE * 12]
    declared = info.get("Number of Pages", "")
    if declared.isdigit() and int(declared) > len(good):
        notes.append(f"truncated: the header declares {declared} pages, the file holds {len(good)} complete page(s)")
    elif len(good) < n_pages or len(body) % PAGE_LINES:
        notes.append(f"{n_pages - len(good) + (1 if len(body) % PAGE_LINES else 0)} damaged or partial page(s) skipped")
    if not good:
        raise InputError(str(path), f"line {first + 1}", "no complete data page (the file is truncated)", FIX)
    try:
        counts = decode_page_hex(b"".join(p[9].strip() for p in good))
    except (ValueError, UnicodeDecodeError):
        raise InputError(str(path), "data pages", "invalid hex sample data", FIX) from None
    page_time = [p[3].decode("latin-1").partition(":")[2].strip() for p in good]
    t_page = parse_datetimes(page_time, path, "Page Time", fmt="%Y-%m-%d %H:%M:%S:%f")
    freq = np.array([_page_freq(p[8], path) for p in good])
    t_local = (t_page[:, None] + np.arange(SAMPLES_PER_PAGE)[None, :] / freq[:, None]).ravel()
    tz_offset = parse_utc_offset_s(info.get("Time Zone", ""))
    if tz_offset is None:
        t_s, tz = t_local, "local (unknown offset)"
        notes.append(f"time: {LOCAL_AS_UTC}")
    else:
        t_s, tz = t_local - tz_offset, info["Time Zone"]
        notes.append(f"time: device local time converted to UTC with time zone {tz}")
    accel_g, unit = to_g((counts * 100.0 - offset) / gain, "g", path, options.units)
    m = re.search(r"(\d+(?:\.\d+)?)\s*to\s*(\d+(?:\.\d+)?)", info.get("Accelerometer Range", ""))
    return make_recording(path, options, t_s=t_s, accel_g=accel_g, fs_hz=float(np.median(freq)), device="GENEActiv",
                          serial=info.get("Device Unique Serial Code", ""), range_g=float(m.group(2)) if m else 8.0,
                          notes=notes, meta={"units_in_file": "counts", "timezone": tz,
                                             "location": info.get("Device Location Code", "")})


def _page_freq(line: bytes, path: Path) -> float:
    try:
        value = float(line.decode("latin-1").partition(":")[2])
    except ValueError:
        value = 0.0
    if not value > 0:
        raise InputError(str(path), "page header", f"invalid measurement frequency {line[:60]!r}", FIX)
    return value
