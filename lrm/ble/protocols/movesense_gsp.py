"""Movesense GATT SensorData Protocol (GSP) codec for ``/Meas/Acc/<rate>`` (PROTOCOLS.md §A2).

Commands (client -> sensor, Command characteristic): ``[cmd, ref, data...]``. Notifications
(sensor -> client, Data characteristic): ``[type, ref, ...]`` where type 1 is a command result
(``u16`` LE status, big-endian in old firmware), 2 DATA and 3 DATA_PART2 (continuation: concatenate
``part1 + part2[2:]``). An Acc DATA body is ``u32`` ms timestamp of the FIRST sample (uptime clock,
wraps after 49.7 days) then N x 3 ``float32`` LE in m/s².

>>> [pkt.hex(" ") for pkt in encode_acc_data(99, 1000, np.array([[0.0, 0.0, 9.80665]]))]
['02 63 e8 03 00 00 00 00 00 00 00 00 00 00 0a e8 1c 41']
>>> Decoder(rate_hz=52).decode(bytes.fromhex("0263e803000000000000000000000ae81c41")).accel_g.tolist()
[[0.0, 0.0, 1.0]]
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from lrm.ble.protocols.samples import MalformedPacket, Samples

__all__ = [
    "FAMILY", "SERVICE_UUID", "COMMAND_UUID", "DATA_UUID", "STANDARD_GRAVITY", "ACC_RATES_HZ", "Decoder",
    "encode_command", "parse_command", "encode_hello", "encode_subscribe", "encode_unsubscribe", "encode_get",
    "acc_path", "encode_command_result", "parse_command_result", "encode_acc_data",
]

FAMILY = "movesense-gsp"
SERVICE_UUID = "34802252-7185-4d5d-b431-630e7050e8f0"
COMMAND_UUID = "34800001-7185-4d5d-b431-630e7050e8f0"   # write
DATA_UUID = "34800002-7185-4d5d-b431-630e7050e8f0"      # notify
STANDARD_GRAVITY = 9.80665                              # m/s² per g
ACC_RATES_HZ = (13.0, 26.0, 52.0, 104.0, 208.0, 416.0, 833.0, 1666.0)

CMD_HELLO, CMD_SUBSCRIBE, CMD_UNSUBSCRIBE, CMD_GET = 0, 1, 2, 4
RESP_COMMAND_RESULT, RESP_DATA, RESP_DATA_PART2 = 1, 2, 3
ACC_HEADER, ACC_SAMPLE = 6, 12   # type, ref, u32 timestamp; 3 x float32


def _bad(problem: str) -> MalformedPacket:
    return MalformedPacket(FAMILY, problem)


def acc_path(rate_hz: float) -> str:
    """``/Meas/Acc/52`` for 52 Hz."""
    return f"/Meas/Acc/{int(round(rate_hz))}"


def encode_command(cmd: int, ref: int, data: bytes = b"") -> bytes:
    if not 1 <= ref <= 255:
        raise ValueError(f"ref must be 1-255, got {ref}")
    return bytes([cmd, ref]) + data


def parse_command(payload: bytes) -> tuple[int, int, bytes]:
    """(cmd, ref, data) of a command (the sensor side)."""
    payload = bytes(payload)
    if len(payload) < 2:
        raise _bad(f"truncated: command of {len(payload)} bytes")
    return payload[0], payload[1], payload[2:]


def encode_hello(ref: int) -> bytes:
    return encode_command(CMD_HELLO, ref)


def encode_subscribe(ref: int, path: str) -> bytes:
    """e.g. ``encode_subscribe(99, "/Meas/Acc/52")`` -> ``01 63 2F 4D ...``."""
    return encode_command(CMD_SUBSCRIBE, ref, path.encode("ascii"))


def encode_unsubscribe(ref: int) -> bytes:
    return encode_command(CMD_UNSUBSCRIBE, ref)


def encode_get(ref: int, path: str) -> bytes:
    return encode_command(CMD_GET, ref, path.encode("ascii"))


def encode_command_result(ref: int, status: int, payload: bytes = b"") -> bytes:
    return bytes([RESP_COMMAND_RESULT, ref]) + struct.pack("<H", status) + payload


def parse_command_result(payload: bytes) -> tuple[int, int, bytes]:
    """(ref, HTTP-like status, payload) of a type-1 result; accepts old firmware's big-endian status."""
    payload = bytes(payload)
    if len(payload) < 4 or payload[0] != RESP_COMMAND_RESULT:
        raise _bad(f"not a command result: {payload[:6].hex(' ') or 'empty'}")
    le, be = struct.unpack_from("<H", payload, 2)[0], struct.unpack_from(">H", payload, 2)[0]
    status = le if 100 <= le < 600 or not 100 <= be < 600 else be
    return payload[1], status, payload[4:]


def encode_acc_data(ref: int, timestamp_ms: int, accel_ms2: npt.ArrayLike, mtu: int | None = None) -> list[bytes]:
    """DATA notification(s) for samples (n, 3) in m/s²: one packet, or DATA + DATA_PART2 if it exceeds
    the ``mtu - 3`` payload (ValueError if it needs more than two parts)."""
    a = np.asarray(accel_ms2, dtype="<f4")
    if a.ndim != 2 or a.shape[1] != 3:
        raise ValueError(f"accel_ms2 must be (n, 3), got {a.shape}")
    whole = bytes([RESP_DATA, ref]) + struct.pack("<I", timestamp_ms & 0xFFFFFFFF) + a.tobytes()
    room = None if mtu is None else mtu - 3
    if room is None or len(whole) <= room:
        return [whole]
    part2 = bytes([RESP_DATA_PART2, ref]) + whole[room:]
    if len(part2) > room:
        raise ValueError(f"{len(a)} samples need more than two {room}-byte notifications")
    return [whole[:room], part2]


@dataclass
class Decoder:
    """Per-connection GSP Acc decoder: joins DATA + DATA_PART2, unwraps the ms clock, times samples at
    ``rate_hz``, estimates losses from the timestamps (``t_next = t + n*1000/rate_hz``, ±1 ms).

    ``ref`` (optional) restricts decoding to the subscription's reference; results and HELLO replies
    yield no samples.

    Two-part packets: a first part that is not ``6 + 12n`` bytes long is held until its DATA_PART2. A
    first part cut at the MTU can also be exactly ``6 + 12n`` bytes (e.g. 30 bytes at MTU 33 for a
    4-sample packet): it is indistinguishable from a whole packet until the next notification, so its
    samples are returned at once (their times do not depend on it) and a DATA_PART2 that follows is
    taken as its continuation when (PROTOCOLS.md §A2) it has the same ``ref``, the first part filled
    the longest DATA notification seen (first parts always fill the MTU), the rest is whole samples and
    the joined sample count matches the packets seen so far (the firmware's batch for the rate: learnt
    from joined packets, shorter packets, and full-length ones whose successor's timestamp shows they
    were whole). If that DATA_PART2 is lost, the next packet's timestamp reports its samples as lost.
    GSP has no sequence counter, so a lost second part followed by a lost first part whose second part
    arrives cannot be told from one packet (the stray samples would be timed one packet early).
    """

    rate_hz: float = 52.0
    ref: int | None = None
    family: str = field(default=FAMILY, init=False)
    _pending: bytes | None = field(default=None, init=False)
    _last_raw_ms: int | None = field(default=None, init=False)
    _unwrapped_ms: int = field(default=0, init=False)
    _next_ms: float | None = field(default=None, init=False)
    _open: tuple[int, int, int] | None = field(default=None, init=False)   # (ref, bytes, samples) of a maybe-first part
    _longest: int = field(default=0, init=False)                           # longest DATA notification (bytes)
    _batch: int | None = field(default=None, init=False)                   # samples per whole packet, once known

    def __post_init__(self) -> None:
        if not self.rate_hz > 0:
            raise ValueError(f"rate_hz must be > 0, got {self.rate_hz}")

    def decode(self, payload: bytes) -> Samples:
        payload = bytes(payload)
        if len(payload) < 2:
            raise _bad(f"truncated: notification of {len(payload)} bytes")
        kind, ref = payload[0], payload[1]
        if kind not in (RESP_DATA, RESP_DATA_PART2):
            return Samples()            # command result or HELLO reply: not data
        if self.ref is not None and ref != self.ref:
            return Samples()            # another subscription's data
        opened, self._open = self._open, None
        if kind == RESP_DATA_PART2:
            if self._pending is not None and self._pending[1] == ref:
                whole, self._pending = self._pending + payload[2:], None
                if (len(whole) - ACC_HEADER) % ACC_SAMPLE:
                    raise _bad(f"wrong length: joined DATA of {len(whole)} bytes is not 6 + 12*n")
                self._batch = (len(whole) - ACC_HEADER) // ACC_SAMPLE
                return self._samples(whole)
            if opened is not None and self._continues(opened, ref, payload):
                return self._continuation(opened[2], payload[2:])
            raise _bad("DATA_PART2 without its first part (the first part was lost)")
        if len(payload) < ACC_HEADER:
            raise _bad(f"truncated: DATA of {len(payload)} bytes has no timestamp")
        self._longest = max(self._longest, len(payload))
        if (len(payload) - ACC_HEADER) % ACC_SAMPLE:
            self._pending = payload     # first part of a split notification; wait for DATA_PART2
            return Samples()
        self._pending = None
        n = (len(payload) - ACC_HEADER) // ACC_SAMPLE
        out = self._samples(payload)
        if opened is not None and out.lost_before == 0:
            self._batch = opened[2]     # the previous full-length packet ended where this one starts: whole
        if len(payload) < self._longest:
            self._batch = n             # shorter than a full notification: certainly a whole packet
        else:
            self._open = (ref, len(payload), n)
        return out

    def _continues(self, opened: tuple[int, int, int], ref: int, part2: bytes) -> bool:
        """Whether ``part2`` completes the aligned DATA just decoded (see the class docstring)."""
        ref1, length, n = opened
        rest = len(part2) - 2
        return (ref1 == ref and length == self._longest and rest > 0 and rest % ACC_SAMPLE == 0
                and (self._batch is None or n + rest // ACC_SAMPLE == self._batch))

    def _continuation(self, first_n: int, rest: bytes) -> Samples:
        """Samples ``first_n...`` of the packet whose first part was returned as a whole packet."""
        values = np.frombuffer(rest, dtype="<f4").astype(np.float64).reshape(-1, 3)
        if not np.isfinite(values).all():
            raise _bad("non-finite acceleration value")
        n, period_ms = len(values), 1000.0 / self.rate_hz
        self._batch = first_n + n
        self._next_ms = self._unwrapped_ms + self._batch * period_ms
        times_s = (self._unwrapped_ms + period_ms * (first_n + np.arange(n))) / 1000.0
        return Samples(accel_g=(values / STANDARD_GRAVITY).astype(np.float32), sensor_time_s=times_s, lost_before=0)

    def _samples(self, whole: bytes) -> Samples:
        (raw_ms,) = struct.unpack_from("<I", whole, 2)
        values = np.frombuffer(whole[ACC_HEADER:], dtype="<f4").astype(np.float64).reshape(-1, 3)
        if not np.isfinite(values).all():
            raise _bad("non-finite acceleration value")
        if self._last_raw_ms is None:
            self._unwrapped_ms = raw_ms
        else:
            self._unwrapped_ms += (raw_ms - self._last_raw_ms + 2**31) % 2**32 - 2**31
        self._last_raw_ms = raw_ms
        n, period_ms = len(values), 1000.0 / self.rate_hz
        lost = None if self._next_ms is None else max(0, round((self._unwrapped_ms - self._next_ms) / period_ms))
        self._next_ms = self._unwrapped_ms + n * period_ms
        times_s = (self._unwrapped_ms + period_ms * np.arange(n)) / 1000.0
        accel = (values / STANDARD_GRAVITY).astype(np.float32)
        return Samples(accel_g=accel, sensor_time_s=times_s, lost_before=lost)
