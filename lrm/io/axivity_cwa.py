"""Axivity AX3/AX6 ``.cwa`` binary files: a block index, then numpy decoding of the blocks a window needs.

Layout (Open Movement ``cwa.h``, Apache-2.0 documentation): a 1024-byte ``MD`` header (hardware type at
byte 4: 0x64 = AX6, else AX3; device id, session id, sampling-rate code, time zone) then 512-byte ``AX``
data blocks. Each data block holds a packed RTC timestamp (``YYYYYYMM MMDDDDDh hhhhmmmm mmssssss``,
years from 2000, device local time), an optional 15-bit fraction of a second, the index of the sample the
timestamp belongs to, the sample count, and 480 bytes of samples: AX3 either 3 x int16 or one 32-bit word
per sample (three 10-bit signed values and a 2-bit exponent, 1/256 g units); AX6 6 x int16 (gyro x, y, z
then accel x, y, z; accel units 1/2^(8+n) g with n in the top 3 bits of the ``lightScale`` word).

Sample times: each block's first-sample time is ``timestamp - timestampOffset / rate`` (the whole-second
RTC value belongs to sample ``timestampOffset``; this matches OmGui's CSV export of the shared AX6 sample;
the optional fraction field is not used because its meaning differs between AX3 and AX6 firmware); samples
are spread evenly up to the next consecutive block's first-sample time (the device clock), or at the
nominal rate across a break. Blocks whose 16-bit word sum is not zero (bad checksum) are dropped and
reported. Times are the device's local wall clock (kept as if UTC).

Memory: :func:`open_source` reads the file once in 16 MiB chunks and keeps ~20 bytes per block (a week at 100 Hz:
504,000 blocks, 10 MB); :meth:`CwaFile.read` decodes only the blocks of the window, chunk by chunk, straight
into the float32 samples and float64 times it returns (20 bytes per sample, nothing larger on the way).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from lrm.errors import InputError
from lrm.io.format_tools import LOCAL_AS_UTC, empty_populated, keep_window, make_recording
from lrm.io.recording import Recording

__all__ = ["sniff", "read", "open_source", "CwaFile", "DESCRIPTION", "BLOCK", "decode_timestamps"]

DESCRIPTION = "Axivity AX3/AX6 .cwa binary (numpy block decoder; device local time)"
HEADER_BYTES, BLOCK_BYTES = 1024, 512
CHUNK_BLOCKS = 32768                               # 16 MiB per read when indexing
DECODE_BLOCKS = 4096                               # 2 MiB per decode step: its temporaries stay in the cache
FIX = "download the .cwa again with OmGui, or export it to CSV with OmGui"
AX3_SCALES = np.array([1, 2, 4, 8], np.float32) / np.float32(256)   # g per count for exponents 0-3
UNIT_SCALES = {"auto": 1.0, "g": 1.0, "mg": 1e-3, "m/s^2": 1.0 / 9.80665}

BLOCK = np.dtype({
    "names": ["magic", "length", "device_fractional", "session_id", "sequence_id", "timestamp", "light_scale",
              "temperature", "events", "battery", "rate_code", "axes_bps", "timestamp_offset", "sample_count", "data",
              "checksum"],
    "formats": ["S2", "<u2", "<u2", "<u4", "<u4", "<u4", "<u2", "<u2", "u1", "u1", "u1", "u1", "<i2", "<u2", ("u1", 480),
                "<u2"],
    "offsets": [0, 2, 4, 6, 10, 14, 18, 20, 22, 23, 24, 25, 26, 28, 30, 510],
    "itemsize": BLOCK_BYTES,
})


def sniff(head: bytes, suffix: str) -> bool:
    return head[:2] == b"MD" and len(head) >= 4 and head[2:4] == b"\xfc\x03"


def decode_timestamps(packed: npt.NDArray[np.uint32]) -> npt.NDArray[np.float64]:
    """Packed CWA RTC values -> wall-clock seconds since 1970 (as if UTC); invalid dates -> NaN.

    >>> float(decode_timestamps(np.array([0x4CB4ADC7], np.uint32))[0])  # 2019-02-26 10:55:07
    1551178507.0
    """
    v = packed.astype(np.int64)
    year, month, day = 2000 + ((v >> 26) & 0x3F), (v >> 22) & 0x0F, (v >> 17) & 0x1F
    hour, minute, second = (v >> 12) & 0x1F, (v >> 6) & 0x3F, v & 0x3F
    valid = (month >= 1) & (month <= 12) & (day >= 1) & (hour < 24) & (minute < 60) & (second < 60)
    months = (year - 1970) * 12 + np.clip(month, 1, 12) - 1
    days = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) + day - 1
    t = days * 86400.0 + hour * 3600.0 + minute * 60.0 + second
    return np.where(valid, t, np.nan)


def _header_info(head: bytes) -> dict[str, object]:
    hardware = head[4]
    device_id = int.from_bytes(head[5:7], "little")
    upper = int.from_bytes(head[11:13], "little")
    if upper != 0xFFFF:
        device_id |= upper << 16
    return {"device": "Axivity AX6" if hardware == 0x64 else "Axivity AX3", "serial": str(device_id),
            "session_id": int.from_bytes(head[7:11], "little"), "firmware": head[41]}


@dataclass(frozen=True, slots=True, eq=False)
class _Index:
    """The valid blocks: their position in the file, first-sample time (s), sample spacing (s), sample count,
    first sample's index in the whole leg, and (AX6) accel unit exponent."""

    block: npt.NDArray[np.int64]
    start_s: npt.NDArray[np.float64]
    step_s: npt.NDArray[np.float64]
    count: npt.NDArray[np.int64]
    first: npt.NDArray[np.int64]
    unit_exp: npt.NDArray[np.int8]


class CwaFile:
    """An opened ``.cwa``: header facts, the block index, and :meth:`read` of any time window."""

    def __init__(self, path: Path, options) -> None:  # noqa: ANN001 - ReadOptions
        self.path, self.options = Path(path), options
        size = self.path.stat().st_size
        if size < HEADER_BYTES + BLOCK_BYTES:
            raise InputError(str(path), "header", f"only {size} bytes: no data blocks", FIX)
        with self.path.open("rb") as fh:
            self.info = _header_info(fh.read(HEADER_BYTES))
        self.n_blocks = (size - HEADER_BYTES) // BLOCK_BYTES
        self.notes = [f"time: {LOCAL_AS_UTC}"]
        if (size - HEADER_BYTES) % BLOCK_BYTES:
            self.notes.append(f"{(size - HEADER_BYTES) % BLOCK_BYTES} trailing bytes ignored (truncated file)")
        fields = self._scan()
        self.axes_bps, rate_code = int(fields["axes_bps"][0]), int(fields["rate_code"][0])
        self.fs_hz = 3200.0 / (1 << (15 - (rate_code & 0x0F)))
        self.range_g = float(16 >> (rate_code >> 6))
        n_axes, packing = self.axes_bps >> 4, self.axes_bps & 0x0F
        if n_axes == 3 and packing == 0:
            self.per_block = 120
        elif packing == 2 and n_axes in (3, 6, 9):
            self.per_block = 480 // (2 * n_axes)
        else:
            raise InputError(str(path), "data blocks", f"unsupported sample packing 0x{self.axes_bps:02x}", FIX)
        self.index = self._build_index(fields)
        self.start_s = float(self.index.start_s[0])
        last = self.index.count[-1] - 1
        self.end_s = float(self.index.start_s[-1] + last * self.index.step_s[-1])

    def _scan(self) -> dict[str, npt.NDArray]:
        """Header fields of every block with a valid magic, length, checksum and count (one pass, chunked)."""
        keep = ("timestamp", "timestamp_offset", "sample_count", "sequence_id", "rate_code", "axes_bps", "light_scale")
        parts: dict[str, list[npt.NDArray]] = {k: [] for k in (*keep, "block")}
        n_magic = 0
        with self.path.open("rb") as fh:
            for first in range(0, self.n_blocks, CHUNK_BLOCKS):
                fh.seek(HEADER_BYTES + first * BLOCK_BYTES)
                n = min(CHUNK_BLOCKS, self.n_blocks - first)
                raw = np.fromfile(fh, dtype=np.uint8, count=n * BLOCK_BYTES)
                blocks = raw.view(BLOCK)
                magic = blocks["magic"] == b"AX"
                ok = magic & (blocks["length"] == 508) & (blocks["sample_count"] > 0)
                ok &= raw.view("<u2").reshape(n, BLOCK_BYTES // 2).sum(axis=1, dtype=np.uint16) == 0
                n_magic += int(np.count_nonzero(magic))
                for k in keep:
                    parts[k].append(blocks[k][ok].copy())
                parts["block"].append(first + np.flatnonzero(ok))
        fields = {k: np.concatenate(v) for k, v in parts.items()}
        n_bad = n_magic - fields["block"].size
        if n_bad:
            self.notes.append(f"{n_bad} data block(s) with a bad checksum or count dropped")
        if not fields["block"].size:
            raise InputError(str(self.path), "data blocks", "no valid accelerometer data block", FIX)
        if np.any(fields["axes_bps"] != fields["axes_bps"][0]) or np.any(fields["rate_code"] != fields["rate_code"][0]):
            raise InputError(str(self.path), "data blocks", "the sensor configuration changes within the file", FIX)
        return fields

    def _build_index(self, f: dict[str, npt.NDArray]) -> _Index:
        fs = self.fs_hz
        wall = decode_timestamps(f["timestamp"])
        start = wall - f["timestamp_offset"] / fs
        if np.isnan(start).any():
            bad = int(f["block"][np.flatnonzero(np.isnan(start))[0]])
            raise InputError(str(self.path), f"data block {bad + 1}", "invalid timestamp", FIX)
        count = np.minimum(f["sample_count"], self.per_block).astype(np.int64)
        step = np.full(count.shape, 1.0 / fs)
        nxt = np.diff(start) / count[:-1]
        seq_ok = np.diff(f["sequence_id"].astype(np.int64)) == 1
        plausible = seq_ok & (nxt > 0.5 / fs) & (nxt < 2.0 / fs)
        step[:-1] = np.where(plausible, nxt, step[:-1])
        unit_exp = ((f["light_scale"].astype(np.int64) >> 13) & 0x07).astype(np.int8)
        self.monotonic = bool(np.all(start[1:] >= start[:-1] + (count[:-1] - 1) * step[:-1]))
        return _Index(f["block"].astype(np.int64), start, step, count, np.cumsum(count) - count, unit_exp)

    def read(self, start_s: float | None = None, end_s: float | None = None) -> Recording:
        """Samples with ``start_s <= t < end_s`` (all without bounds) as a one-leg Recording (g, float32)."""
        ix = self.index
        last_t = ix.start_s + (ix.count - 1) * ix.step_s
        lo = 0 if start_s is None else int(np.searchsorted(last_t, start_s, side="left"))
        hi = ix.block.size if end_s is None else int(np.searchsorted(ix.start_s, end_s, side="left"))
        sel = np.arange(lo, max(lo, hi))
        if start_s is not None or end_s is not None:   # blocks out of time order: select by time, not position
            sel = sel[(last_t[sel] >= (start_s if start_s is not None else -np.inf))
                      & (ix.start_s[sel] < (end_s if end_s is not None else np.inf))]
        n = int(ix.count[sel].sum())
        accel = empty_populated((n, 3), np.float32)
        t_s = empty_populated(n, np.float64)
        pos = 0
        with self.path.open("rb") as fh:
            for k in range(0, sel.size, DECODE_BLOCKS):
                pos = self._decode(fh, sel[k:k + DECODE_BLOCKS], accel, t_s, pos)
        scale = UNIT_SCALES.get(self.options.units)
        if scale is None:
            raise InputError(str(self.path), "units", f"unknown acceleration unit {self.options.units!r}", "use g, mg or m/s^2")
        if scale != 1.0:
            accel *= np.float32(scale)
        if start_s is not None or end_s is not None:
            t_s, accel = keep_window(t_s, accel, -np.inf if start_s is None else start_s,
                                     np.inf if end_s is None else end_s, self.monotonic)
        return self._recording(t_s, accel)

    def _recording(self, t_s: npt.NDArray[np.float64], accel: npt.NDArray[np.float32]) -> Recording:
        if not t_s.size:
            raise InputError(str(self.path), "data blocks", "no samples in the requested time window",
                             "choose a window within the recording")
        return make_recording(self.path, self.options, t_s=t_s, accel_g=accel, fs_hz=self.fs_hz,
                              device=str(self.info["device"]), serial=str(self.info["serial"]), range_g=self.range_g,
                              notes=self.notes, meta={"units_in_file": "counts", "timezone": "local (unknown offset)",
                                                      "session_id": self.info["session_id"]},
                              times_checked=self.monotonic)

    def _decode(self, fh, sel: npt.NDArray[np.int64], accel: npt.NDArray[np.float32], t_s: npt.NDArray[np.float64],
                pos: int) -> int:  # noqa: ANN001 - a binary file
        """Decode the index entries ``sel`` (ascending) into ``accel``/``t_s`` from row ``pos``; return the next row."""
        ix = self.index
        first_block, last_block = int(ix.block[sel[0]]), int(ix.block[sel[-1]])
        fh.seek(HEADER_BYTES + first_block * BLOCK_BYTES)
        raw = np.fromfile(fh, dtype=np.uint8, count=(last_block - first_block + 1) * BLOCK_BYTES)
        data = raw.view(BLOCK)["data"][ix.block[sel] - first_block]          # (b, 480) samples of these blocks
        count = ix.count[sel]
        full = bool(np.all(count == self.per_block))
        n = int(count.sum())
        out = accel[pos:pos + n]
        if self.axes_bps == 0x30:                  # AX3 packed: 10-bit x, y, z + 2-bit exponent per uint32
            words = np.ascontiguousarray(data).view("<u4").reshape(-1)
            if not full:
                words = words.reshape(len(sel), 120)[np.arange(120)[None, :] < count[:, None]]
            w = words.view(np.int32)
            scale = AX3_SCALES[words >> 30]                    # 2^exponent / 256 g per count
            tmp, value = np.empty(w.shape, np.int32), np.empty(w.shape, np.float32)
            for axis, shift in enumerate((22, 12, 2)):   # sign-extend each 10-bit field by two shifts
                np.left_shift(w, shift, out=tmp)
                np.right_shift(tmp, 22, out=tmp)
                np.copyto(value, tmp, casting="unsafe")  # (a cast into a strided output is 25x slower)
                np.multiply(value, scale, out=out[:, axis])
        else:
            n_axes = self.axes_bps >> 4
            vals = np.ascontiguousarray(data).view("<i2").reshape(len(sel), self.per_block, n_axes)
            first = 0 if n_axes == 3 else 3        # AX6: gyro x, y, z then accel x, y, z
            valid = np.arange(self.per_block)[None, :] < count[:, None]
            unit = 1.0 / (1 << (8 + ix.unit_exp[sel].astype(np.int64))) if n_axes != 3 else np.full(len(sel), 1 / 256)
            out[:] = vals[:, :, first:first + 3][valid] * np.repeat(unit, count)[:, None].astype(np.float32)
        times = t_s[pos:pos + n]
        if full:                                   # the common case: (blocks, per_block) without repeats
            grid = times.reshape(len(sel), self.per_block)
            np.multiply(np.arange(self.per_block, dtype=np.float64)[None, :], ix.step_s[sel][:, None], out=grid)
            grid += ix.start_s[sel][:, None]
        else:
            within = np.arange(n) - np.repeat(np.cumsum(count) - count, count)
            np.multiply(within, np.repeat(ix.step_s[sel], count), out=times)
            times += np.repeat(ix.start_s[sel], count)
        return pos + n


def open_source(path: Path, options) -> CwaFile:  # noqa: ANN001 - ReadOptions
    """Open a ``.cwa`` (index its blocks) for windowed reading."""
    return CwaFile(path, options)


def read(path: Path, options) -> Recording:  # noqa: ANN001 - ReadOptions
    """Read a .cwa into a one-leg recording (accelerometer only, in g)."""
    return CwaFile(path, options).read()
