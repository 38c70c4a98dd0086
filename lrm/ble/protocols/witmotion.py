"""WitMotion WT901BLECL / BWT901BLE5.0 / WT9011DCL codec (PROTOCOLS.md §A3).

Notifications are a byte stream of 20-byte frames ``55 61`` + 9 x int16 LE (acc, gyro, angle). The
decoder resyncs on ``55 61`` / ``55 71`` and cuts 20-byte frames, as the vendor parser does; register
replies (``55 71``) carry no acceleration. Acceleration is always scaled ``v / 32768 * 16`` g.

Timing: frames carry **no timestamp and no counter**, so ``sensor_time_s`` is NaN and the recorder uses
host arrival time. The uncertainty of each sample's time is about one BLE connection interval plus host
scheduling jitter (typically ±30-50 ms with Linux defaults, worse when notifications are coalesced), and
lost notifications cannot be detected exactly, only from arrival gaps longer than the output period.

>>> frame = encode_frame(np.array([0.0, 0.0, 1.0]), angle_deg=np.array([0.0, 0.0, 90.0]))
>>> frame.hex(" ")
'55 61 00 00 00 00 00 08 00 00 00 00 00 00 00 00 00 00 00 40'
>>> Decoder().decode(frame).accel_g.tolist()
[[0.0, 0.0, 1.0]]
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from lrm.ble.protocols.samples import MalformedPacket, Samples

__all__ = [
    "FAMILY", "SERVICE_UUID", "NOTIFY_UUID", "WRITE_UUID", "RATE_CODES", "Decoder", "encode_frame",
    "encode_unlock", "encode_save", "encode_set_rate", "encode_read_register", "parse_command",
]

FAMILY = "witmotion"
# the vendor's non-standard base ...-00805f9a34fb (not the SIG ...9b34fb): a 16-bit "ffe4" will not match
SERVICE_UUID = "0000ffe5-0000-1000-8000-00805f9a34fb"
NOTIFY_UUID = "0000ffe4-0000-1000-8000-00805f9a34fb"
WRITE_UUID = "0000ffe9-0000-1000-8000-00805f9a34fb"

FRAME_BYTES, ACC_FLAG, REGISTER_FLAG = 20, 0x61, 0x71
ACC_SCALE_G, GYRO_SCALE_DPS, ANGLE_SCALE_DEG = 16 / 32768, 2000 / 32768, 180 / 32768
RATE_CODES = {1.0: 0x03, 5.0: 0x05, 10.0: 0x06, 50.0: 0x08, 100.0: 0x09, 200.0: 0x0B}   # register 0x03
REG_SAVE, REG_RATE, REG_READ, REG_UNLOCK = 0x00, 0x03, 0x27, 0x69
MAX_BUFFER = 4 * FRAME_BYTES


def _bad(problem: str) -> MalformedPacket:
    return MalformedPacket(FAMILY, problem)


def _int16(values: npt.ArrayLike, scale: float) -> npt.NDArray[np.int16]:
    raw = np.round(np.asarray(values, dtype=np.float64).reshape(3) / scale)
    return np.clip(raw, -32768, 32767).astype("<i2")


def encode_frame(accel_g: npt.ArrayLike, gyro_dps: npt.ArrayLike = (0, 0, 0),
                 angle_deg: npt.ArrayLike = (0, 0, 0)) -> bytes:
    """One 20-byte ``55 61`` frame (values are rounded to the nearest count and clipped to int16)."""
    body = np.concatenate([_int16(accel_g, ACC_SCALE_G), _int16(gyro_dps, GYRO_SCALE_DPS),
                           _int16(angle_deg, ANGLE_SCALE_DEG)])
    return bytes([0x55, ACC_FLAG]) + body.tobytes()


def _write_register(reg: int, value: int) -> bytes:
    return bytes([0xFF, 0xAA, reg]) + struct.pack("<H", value)


def encode_unlock() -> bytes:
    """``FF AA 69 88 B5``: unlock register writes for about 10 s."""
    return _write_register(REG_UNLOCK, 0xB588)


def encode_save() -> bytes:
    return _write_register(REG_SAVE, 0)


def encode_set_rate(rate_hz: float) -> bytes:
    """``FF AA 03 <code> 00``; ValueError for a rate the sensor does not have."""
    if rate_hz not in RATE_CODES:
        raise ValueError(f"rate_hz must be one of {tuple(RATE_CODES)}, got {rate_hz}")
    return _write_register(REG_RATE, RATE_CODES[rate_hz])


def encode_read_register(reg: int) -> bytes:
    return _write_register(REG_READ, reg)


def parse_command(payload: bytes) -> tuple[int, int]:
    """(register, u16 value) of a ``FF AA reg lo hi`` write (the sensor side)."""
    payload = bytes(payload)
    if len(payload) != 5 or payload[:2] != b"\xff\xaa":
        raise _bad(f"not a register write: {payload.hex(' ') or 'empty'}")
    return payload[2], struct.unpack_from("<H", payload, 3)[0]


@dataclass
class Decoder:
    """Resyncing stream decoder. Keeps at most one partial frame between notifications.

    Junk bytes before a frame start are dropped; a notification that yields no frame and only junk raises
    :class:`MalformedPacket` (the junk is dropped either way).
    """

    rate_hz: float | None = None      # not needed to decode; accepted for make_decoder symmetry
    family: str = field(default=FAMILY, init=False)
    _buffer: bytes = field(default=b"", init=False)

    def decode(self, payload: bytes) -> Samples:
        data = self._buffer + bytes(payload)
        frames, junk, pos = [], 0, 0
        while pos + 2 <= len(data):
            if data[pos] != 0x55 or data[pos + 1] not in (ACC_FLAG, REGISTER_FLAG):
                pos, junk = pos + 1, junk + 1
                continue
            if pos + FRAME_BYTES > len(data):
                break
            if data[pos + 1] == ACC_FLAG:
                frames.append(data[pos + 2 : pos + FRAME_BYTES])
            pos += FRAME_BYTES
        rest = data[pos:]
        if rest == b"\x55" or (len(rest) >= 2 and rest[0] == 0x55 and rest[1] in (ACC_FLAG, REGISTER_FLAG)):
            self._buffer = rest[-MAX_BUFFER:]
        else:
            self._buffer, junk = b"", junk + len(rest)
        if junk and not frames:
            raise _bad(f"{junk} byte(s) that are not a 0x55 0x61 frame")
        if not frames:
            return Samples()
        raw = np.frombuffer(b"".join(frames), dtype="<i2").reshape(-1, 9)[:, :3]
        accel = (raw.astype(np.float64) * ACC_SCALE_G).astype(np.float32)
        return Samples(accel_g=accel, sensor_time_s=np.full(len(accel), np.nan))
