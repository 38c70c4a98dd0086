"""Axivity AX3/AX6 ``.cwa`` binary files, decoded with numpy over all blocks at once.

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
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import numpy.typing as npt

from lrm.errors import InputError
from lrm.io.format_tools import LOCAL_AS_UTC, make_recording, to_g
from lrm.io.recording import Recording

__all__ = ["sniff", "read", "DESCRIPTION", "BLOCK", "decode_timestamps"]

DESCRIPTION = "Axivity AX3/AX6 .cwa binary (numpy block decoder; device local time)"
HEADER_BYTES, BLOCK_BYTES = 1024, 512
FIX = "download the .cwa again with OmGui, or export it to CSV with OmGui"

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


def read(path: Path, options) -> Recording:  # noqa: ANN001 - ReadOptions
    """Read a .cwa into a one-leg recording (accelerometer only, in g)."""
    raw = np.fromfile(path, dtype=np.uint8)
    if raw.size < HEADER_BYTES + BLOCK_BYTES:
        raise InputError(str(path), "header", f"only {raw.size} bytes: no data blocks", FIX)
    info = _header_info(raw[:HEADER_BYTES].tobytes())
    n_blocks = (raw.size - HEADER_BYTES) // BLOCK_BYTES
    notes = [f"time: {LOCAL_AS_UTC}"]
    if (raw.size - HEADER_BYTES) % BLOCK_BYTES:
        notes.append(f"{(raw.size - HEADER_BYTES) % BLOCK_BYTES} trailing bytes ignored (truncated file)")
    body = raw[HEADER_BYTES: HEADER_BYTES + n_blocks * BLOCK_BYTES]
    blocks = body.view(BLOCK)
    words = body.view("<u2").reshape(n_blocks, BLOCK_BYTES // 2)
    ok = (blocks["magic"] == b"AX") & (blocks["length"] == 508) & (words.sum(axis=1, dtype=np.uint16) == 0)
    ok &= (blocks["sample_count"] > 0)
    n_bad = int(np.count_nonzero(blocks["magic"] == b"AX") - np.count_nonzero(ok))
    if n_bad:
        notes.append(f"{n_bad} data block(s) with a bad checksum or count dropped")
    blocks = blocks[ok]
    if not blocks.size:
        raise InputError(str(path), "data blocks", "no valid accelerometer data block", FIX)
    axes_bps = blocks["axes_bps"]
    if np.any(axes_bps != axes_bps[0]) or np.any(blocks["rate_code"] != blocks["rate_code"][0]):
        raise InputError(str(path), "data blocks", "the sensor configuration changes within the file", FIX)
    rate_code = int(blocks["rate_code"][0])
    fs = 3200.0 / (1 << (15 - (rate_code & 0x0F)))
    range_g = float(16 >> (rate_code >> 6))
    counts, unit_g, per_block = _samples(blocks, int(axes_bps[0]), path)
    t_s = _sample_times(blocks, per_block, fs, path)
    accel_g, unit = to_g(counts * unit_g, "g", path, options.units)
    return make_recording(path, options, t_s=t_s, accel_g=accel_g, fs_hz=fs, device=str(info["device"]),
                          serial=str(info["serial"]), range_g=range_g, notes=notes,
                          meta={"units_in_file": "counts", "timezone": "local (unknown offset)",
                                "session_id": info["session_id"]})


def _samples(blocks: npt.NDArray, axes_bps: int, path: Path) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], int]:
    """Accelerometer counts (n, 3), g per count (n, 1) and samples per block."""
    n_axes, packing = axes_bps >> 4, axes_bps & 0x0F
    data = blocks["data"]
    if n_axes == 3 and packing == 0:       # AX3 packed: 10-bit x, y, z + 2-bit exponent per uint32
        words = np.ascontiguousarray(data).view("<u4").reshape(len(blocks), 120).astype(np.int64)
        fields = np.stack([(words >> s) & 0x3FF for s in (0, 10, 20)], axis=-1)
        fields = np.where(fields >= 512, fields - 1024, fields) << (words >> 30)[..., None]
        per_block, counts, accel_unit = 120, fields, np.full(len(blocks), 1 / 256)
    elif packing == 2 and n_axes in (3, 6, 9):
        per_block = 480 // (2 * n_axes)
        vals = np.ascontiguousarray(data).view("<i2").reshape(len(blocks), per_block, n_axes)
        first = 0 if n_axes == 3 else 3    # AX6: gyro x, y, z then accel x, y, z
        counts = vals[:, :, first:first + 3].astype(np.int64)
        accel_unit = 1.0 / (1 << (8 + ((blocks["light_scale"].astype(np.int64) >> 13) & 0x07)))
    else:
        raise InputError(str(path), "data blocks", f"unsupported sample packing 0x{axes_bps:02x}", FIX)
    valid = np.arange(per_block)[None, :] < np.minimum(blocks["sample_count"], per_block)[:, None]
    unit = np.broadcast_to(accel_unit[:, None], valid.shape)[valid]
    return counts[valid].astype(np.float64), unit[:, None], per_block


def _sample_times(blocks: npt.NDArray, per_block: int, fs: float, path: Path) -> npt.NDArray[np.float64]:
    wall = decode_timestamps(blocks["timestamp"])
    start = wall - blocks["timestamp_offset"] / fs
    if np.isnan(start).any():
        bad = int(np.flatnonzero(np.isnan(start))[0])
        raise InputError(str(path), f"data block {bad + 1}", "invalid timestamp", FIX)
    count = np.minimum(blocks["sample_count"], per_block).astype(np.int64)
    step = np.full(len(blocks), 1.0 / fs)
    nxt = np.diff(start) / count[:-1]
    seq_ok = np.diff(blocks["sequence_id"].astype(np.int64)) == 1
    plausible = seq_ok & (nxt > 0.5 / fs) & (nxt < 2.0 / fs)
    step[:-1] = np.where(plausible, nxt, step[:-1])
    first = np.repeat(np.cumsum(count) - count, count)
    idx = np.arange(int(count.sum())) - first
    return np.repeat(start, count) + idx * np.repeat(step, count)
