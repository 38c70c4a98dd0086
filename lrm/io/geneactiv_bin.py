"""GENEActiv ``.bin`` files (Activinsights): a text header and 10-line data pages, read through a page index.

The header (``Device Identity``, ``Configuration Info``, ``Calibration Data``, ``Memory Status`` ...) holds
the serial, ``Time Zone:GMT -04:00``, the per-axis ``gain``/``offset`` and ``Number of Pages``. Each page
is ``Recorded Data``, serial, sequence number, ``Page Time:YYYY-MM-DD hh:mm:ss:mmm`` (device local time),
unassigned, temperature, battery voltage, device status, ``Measurement Frequency`` and one line of 3600
hex digits: 300 samples of 48 bits (x, y, z as 12-bit two's complement, 10-bit light, button, reserved).
Acceleration in g is ``(raw * 100 - offset) / gain``. Sample times are page time + i / frequency, converted
to UTC with the header's time zone. A truncated file (fewer pages than the header declares) is read up to
its last complete page and the leg notes say how much is missing.

Memory: :func:`open_source` finds the pages in 32 MiB chunks (positions of every line break, vectorised) and
keeps 24 bytes per page (a week at 100 Hz: 201,600 pages, 5 MB); :meth:`BinFile.read` decodes the pages of a
window 512 at a time straight into the float32 samples and float64 times it returns.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import numpy.typing as npt

from lrm.errors import InputError
from lrm.io.format_tools import (LOCAL_AS_UTC, empty_populated, keep_window, make_recording, parse_utc_offset_s,
                                 with_file_offset)
from lrm.io.recording import Recording

__all__ = ["sniff", "read", "open_source", "BinFile", "DESCRIPTION", "decode_page_hex"]

DESCRIPTION = "GENEActiv .bin (text header + hex pages; calibrated to g; UTC from the header time zone)"
PAGE_LINES, SAMPLES_PER_PAGE, HEX_CHARS = 10, 300, 3600
SCAN_BYTES, DECODE_PAGES = 32 << 20, 512
FIX = "extract the .bin again with GENEActiv PC software"
PAGE_START = re.compile(rb"Recorded Data\r?\n")
UNIT_SCALES = {"auto": 1.0, "g": 1.0, "mg": 1e-3, "m/s^2": 1.0 / 9.80665}


def sniff(head: bytes, suffix: str) -> bool:
    start = head[:64].lstrip(b"\xef\xbb\xbf")
    return start.startswith(b"Device Identity") and b"GENEActiv" in head[:2048]


def decode_page_hex(hex_bytes: bytes) -> npt.NDArray[np.int16]:
    """Hex sample text -> raw int16 counts (n, 3) of x, y, z (12-bit two's complement).

    >>> decode_page_hex(b"009EFDFED040").tolist()
    [[9, -259, -19]]
    """
    b = np.frombuffer(bytes.fromhex(hex_bytes.decode("ascii")), dtype=np.uint8)
    b = b[: b.size // 6 * 6].reshape(-1, 6).astype(np.int16)
    xyz = np.stack([(b[:, 0] << 4) | (b[:, 1] >> 4), ((b[:, 1] & 0x0F) << 8) | b[:, 2], (b[:, 3] << 4) | (b[:, 4] >> 4)], 1)
    return np.where(xyz >= 2048, xyz - 4096, xyz).astype(np.int16)


def _header(head: bytes, path: Path) -> tuple[dict[str, str], int]:
    """Header fields and the byte offset of the first page."""
    m = PAGE_START.search(head)
    if m is None:
        raise InputError(str(path), "header", "no 'Recorded Data' page", FIX)
    info: dict[str, str] = {}
    for line in head[: m.start()].splitlines():
        key, sep, value = line.decode("latin-1").replace("\x00", "").strip().partition(":")
        if sep and key.strip() not in info:
            info[key.strip()] = value.strip()
    return info, m.start()


def _digits(block: npt.NDArray[np.uint8], cols: slice) -> npt.NDArray[np.int64]:
    d = block[:, cols].astype(np.int64) - 48
    return (d * 10 ** np.arange(d.shape[1] - 1, -1, -1)).sum(axis=1)


def _page_times(text: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.bool_]]:
    """(pages, 23) bytes ``YYYY-MM-DD hh:mm:ss:mmm`` -> wall-clock s (as if UTC) and which were valid."""
    digit_cols = np.r_[0:4, 5:7, 8:10, 11:13, 14:16, 17:19, 20:23]
    seps = text[:, [4, 7, 10, 13, 16, 19]]
    ok = np.all((text[:, digit_cols] >= 48) & (text[:, digit_cols] <= 57), axis=1)
    ok &= np.all(seps == np.frombuffer(b"-- :::", np.uint8), axis=1)
    year, month, day = _digits(text, slice(0, 4)), _digits(text, slice(5, 7)), _digits(text, slice(8, 10))
    hour, minute, second, ms = (_digits(text, slice(a, b)) for a, b in ((11, 13), (14, 16), (17, 19), (20, 23)))
    ok &= (month >= 1) & (month <= 12) & (day >= 1) & (day <= 31) & (hour < 24) & (minute < 60) & (second < 61)
    ok &= (year >= 1970) & (year < 2200)
    months = np.where(ok, (year - 1970) * 12 + month - 1, 0)
    days = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) + day - 1
    return days * 86400.0 + hour * 3600.0 + minute * 60.0 + second + ms / 1000.0, ok


class BinFile:
    """An opened GENEActiv ``.bin``: header facts, the page index, and :meth:`read` of any time window."""

    def __init__(self, path: Path, options) -> None:  # noqa: ANN001 - ReadOptions
        self.path, self.options = Path(path), options
        with self.path.open("rb") as fh:
            head = fh.read(1 << 16)
        self.info, first_page = _header(head, self.path)
        try:
            gain = np.array([float(self.info[f"{a} gain"]) for a in "xyz"])
            offset = np.array([float(self.info[f"{a} offset"]) for a in "xyz"])
        except (KeyError, ValueError):
            raise InputError(str(path), "Calibration Data", "missing or invalid gain/offset", FIX) from None
        if np.any(gain == 0) or not np.all(np.isfinite(gain) & np.isfinite(offset)):
            raise InputError(str(path), "Calibration Data", "a gain of 0 or a non-finite calibration", FIX)
        scale = UNIT_SCALES.get(options.units)
        if scale is None:
            raise InputError(str(path), "units", f"unknown acceleration unit {options.units!r}", "use g, mg or m/s^2")
        self.mul, self.add = (100.0 / gain * scale).astype(np.float32), (-offset / gain * scale).astype(np.float32)
        self.notes: list[str] = []
        self.hex_at, self.t_page, self.freq, n_damaged, partial = self._scan(first_page)
        if not self.hex_at.size:
            raise InputError(str(path), "data pages", "no complete data page (the file is truncated)", FIX)
        declared = self.info.get("Number of Pages", "")
        if declared.isdigit() and int(declared) > self.hex_at.size + n_damaged:
            self.notes.append(f"truncated: the header declares {declared} pages, the file holds "
                              f"{self.hex_at.size} complete page(s)")
        elif n_damaged or partial:
            self.notes.append(f"{n_damaged + partial} damaged or partial page(s) skipped")
        tz_offset = parse_utc_offset_s(self.info.get("Time Zone", ""))
        if tz_offset is None:
            self.tz_offset_s, self.tz = 0.0, "local (unknown offset)"
            self.notes.append(f"time: {LOCAL_AS_UTC}")
        else:
            self.tz_offset_s, self.tz = tz_offset, self.info["Time Zone"]
            self.notes.append(f"time: device local time converted to UTC with time zone {self.tz}")
        self.t_page = self.t_page - self.tz_offset_s
        self.fs_hz = float(np.median(self.freq))
        self.monotonic = bool(np.all(self.t_page[1:] >= self.t_page[:-1] + (SAMPLES_PER_PAGE - 1) / self.freq[:-1]))
        self.start_s = float(self.t_page[0])
        self.end_s = float(self.t_page[-1] + (SAMPLES_PER_PAGE - 1) / self.freq[-1])

    def _scan(self, first_page: int) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.float64], npt.NDArray[np.float64], int, int]:
        """Offsets of the hex lines of complete, well-formed pages, their page times and frequencies; the
        number of damaged pages and of a partial last page."""
        hex_at, times, freqs = [], [], []
        damaged = partial = 0
        freq_cache: dict[bytes, float] = {}
        with self.path.open("rb") as fh:
            base = first_page
            while True:
                fh.seek(base)
                chunk = fh.read(SCAN_BYTES)
                if not chunk:
                    break
                arr = np.frombuffer(chunk, np.uint8)
                starts = np.array([m.start() for m in PAGE_START.finditer(chunk)], np.int64)
                nl = np.flatnonzero(arr == 10)
                k = np.searchsorted(nl, starts)
                complete = k + PAGE_LINES - 1 < nl.size
                at_end = len(chunk) < SCAN_BYTES
                if at_end:
                    partial += int(np.count_nonzero(~complete))
                    next_base = None
                elif not complete.all():                                  # continue at the first cut page
                    next_base = base + int(starts[np.flatnonzero(~complete)[0]])
                elif starts.size:
                    next_base = base + int(nl[k[-1] + PAGE_LINES - 1]) + 1
                else:                                                     # 32 MiB without a page
                    raise InputError(str(self.path), f"byte {base}", "no data page in 32 MiB", FIX)
                if next_base is not None and next_base <= base:
                    raise InputError(str(self.path), f"byte {base}", "a data page longer than 32 MiB", FIX)
                starts, k = starts[complete], k[complete]
                if starts.size:
                    ok, t, f, h = self._pages(chunk, arr, nl, k, freq_cache)
                    damaged += int(np.count_nonzero(~ok))
                    hex_at.append(base + h[ok])
                    times.append(t[ok])
                    freqs.append(f[ok])
                if next_base is None:
                    break
                base = next_base
        cat = (lambda parts, dt: np.concatenate(parts) if parts else np.empty(0, dt))  # noqa: E731
        return cat(hex_at, np.int64), cat(times, np.float64), cat(freqs, np.float64), damaged, partial

    def _pages(self, chunk: bytes, arr: npt.NDArray[np.uint8], nl: npt.NDArray[np.int64], k: npt.NDArray[np.int64],
               freq_cache: dict[bytes, float]) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.float64],
                                                        npt.NDArray[np.float64], npt.NDArray[np.int64]]:
        """Validity, page time, frequency and hex-line offset of the pages whose first line ends at ``nl[k]``."""
        time_at = nl[k + 2] + 1                                       # line 3: "Page Time:..."
        hex_at, hex_end = nl[k + 8] + 1, nl[k + 9]
        hex_len = hex_end - hex_at - (arr[np.maximum(hex_end - 1, 0)] == 13)
        ok = (hex_len == HEX_CHARS) & (time_at + 33 <= arr.size)
        text = arr[np.minimum(time_at, arr.size - 33)[:, None] + np.arange(33)]
        ok &= np.all(text[:, :10] == np.frombuffer(b"Page Time:", np.uint8), axis=1)
        t, t_ok = _page_times(text[:, 10:33])
        ok &= t_ok
        freq = np.empty(k.size)
        for i, (a, b) in enumerate(zip((nl[k + 7] + 1).tolist(), nl[k + 8].tolist())):
            line = chunk[a:b]
            if line not in freq_cache:
                value = line.decode("latin-1").partition(":")[2].strip()
                try:
                    fv = float(value)
                except ValueError:
                    fv = float("nan")
                freq_cache[line] = fv if 0.1 <= fv <= 10000 else float("nan")
            freq[i] = freq_cache[line]
        ok &= np.isfinite(freq)
        return ok, t, freq, hex_at

    def read(self, start_s: float | None = None, end_s: float | None = None) -> Recording:
        """Samples with ``start_s <= t < end_s`` (all without bounds) as a one-leg Recording (g, float32)."""
        last_t = self.t_page + (SAMPLES_PER_PAGE - 1) / self.freq
        lo_t = -np.inf if start_s is None else start_s
        hi_t = np.inf if end_s is None else end_s
        sel = np.flatnonzero((last_t >= lo_t) & (self.t_page < hi_t))
        n = sel.size * SAMPLES_PER_PAGE
        accel, t_s = empty_populated((n, 3), np.float32), empty_populated(n, np.float64)
        with self.path.open("rb") as fh:
            for k in range(0, sel.size, DECODE_PAGES):
                self._decode(fh, sel[k:k + DECODE_PAGES], accel[k * SAMPLES_PER_PAGE:], t_s[k * SAMPLES_PER_PAGE:])
        if start_s is not None or end_s is not None:
            t_s, accel = keep_window(t_s, accel, lo_t, hi_t, self.monotonic)
        if not t_s.size:
            raise InputError(str(self.path), "data pages", "no samples in the requested time window",
                             "choose a window within the recording")
        m = re.search(r"(\d+(?:\.\d+)?)\s*to\s*(\d+(?:\.\d+)?)", self.info.get("Accelerometer Range", ""))
        rec = make_recording(self.path, self.options, t_s=t_s, accel_g=accel, fs_hz=self.fs_hz, device="GENEActiv",
                             serial=self.info.get("Device Unique Serial Code", ""), range_g=float(m.group(2)) if m else 8.0,
                             notes=self.notes, meta={"units_in_file": "counts", "timezone": self.tz,
                                                     "location": self.info.get("Device Location Code", "")},
                             times_checked=self.monotonic)
        return with_file_offset(rec, self.tz_offset_s if self.tz != "local (unknown offset)" else None, self.options)

    def _decode(self, fh, sel: npt.NDArray[np.int64], accel: npt.NDArray[np.float32],
                t_s: npt.NDArray[np.float64]) -> None:  # noqa: ANN001 - a binary file
        base = int(self.hex_at[sel[0]])
        fh.seek(base)
        raw = fh.read(int(self.hex_at[sel[-1]]) + HEX_CHARS - base)
        try:
            data = bytes.fromhex(b"".join(raw[a:a + HEX_CHARS] for a in (self.hex_at[sel] - base).tolist()).decode("ascii"))
        except (ValueError, UnicodeDecodeError):
            raise InputError(str(self.path), f"data pages after byte {base}", "invalid hex sample data", FIX) from None
        b = np.frombuffer(data, np.uint8).reshape(-1, 6)
        n = b.shape[0]
        raw12 = np.empty(n, np.int16)
        out = accel[:n]
        for axis, (hi, lo, shift) in enumerate(((0, 1, 4), (1, 2, 0), (3, 4, 4))):
            if shift:      # x = b0 b1[7:4], z = b3 b4[7:4]
                np.left_shift(b[:, hi], 4, out=raw12, dtype=np.int16)
                raw12 |= b[:, lo] >> 4
            else:          # y = b1[3:0] b2
                np.left_shift(b[:, hi] & 0x0F, 8, out=raw12, dtype=np.int16)
                raw12 |= b[:, lo]
            np.left_shift(raw12, 4, out=raw12)                    # sign-extend 12 -> 16 bits
            np.right_shift(raw12, 4, out=raw12)
            col = raw12.astype(np.float32)
            col *= self.mul[axis]
            col += self.add[axis]
            out[:, axis] = col
        grid = t_s[:n].reshape(sel.size, SAMPLES_PER_PAGE)
        np.divide(np.arange(SAMPLES_PER_PAGE, dtype=np.float64)[None, :], self.freq[sel][:, None], out=grid)
        grid += self.t_page[sel][:, None]


def open_source(path: Path, options) -> BinFile:  # noqa: ANN001 - ReadOptions
    """Open a GENEActiv ``.bin`` (index its pages) for windowed reading."""
    return BinFile(path, options)


def read(path: Path, options) -> Recording:  # noqa: ANN001 - ReadOptions
    """Read a GENEActiv .bin into a one-leg recording (g; UTC when the header gives the time zone)."""
    return BinFile(path, options).read()
