"""Polar Measurement Data (PMD) codec: accelerometer frames and the control point (PROTOCOLS.md §A1).

Frames on the PMD Data characteristic: ``[meas_type, u64 LE ns since 2000-01-01 of the LAST sample,
frame_type, payload]``. Bit 7 of ``frame_type`` marks a delta-compressed frame (§A1.4). Raw frames hold
mG (H10); compressed TYPE0 frames hold counts of FACTOR g, the FACTOR coming from the start response
(Verity Sense). Frames carry no counter: losses come from timestamps (§A1.5), judged against the sample
period measured from them. The sensor may end the stream itself (``01 <types>`` on the control point,
:func:`parse_stopped`).

>>> frame = encode_acc_frame(np.array([[0, 0, 1000], [0, 10, 990]]), timestamp_ns=10**18, compressed=True)
>>> Decoder(rate_hz=50, factor=0.001).decode(frame).accel_g.tolist()
[[0.0, 0.0, 1.0], [0.0, 0.009999999776482582, 0.9900000095367432]]
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from lrm.ble.protocols.samples import MalformedPacket, Samples

__all__ = [
    "FAMILY", "SERVICE_UUID", "CP_UUID", "DATA_UUID", "EPOCH_2000_UNIX_S", "Frame", "CpResponse", "Decoder",
    "parse_frame", "encode_frame", "decode_acc_counts", "decode_delta", "encode_delta", "encode_acc_frame",
    "encode_get_settings", "encode_start", "encode_stop", "parse_cp_response", "encode_cp_response",
    "parse_settings", "encode_settings", "parse_features", "encode_features", "parse_stopped", "encode_stopped",
]

FAMILY = "polar-pmd"
SERVICE_UUID = "fb005c80-02e7-f387-1cad-8acd2d8df0c8"
CP_UUID = "fb005c81-02e7-f387-1cad-8acd2d8df0c8"     # read, write, indicate
DATA_UUID = "fb005c82-02e7-f387-1cad-8acd2d8df0c8"   # notify
EPOCH_2000_UNIX_S = 946_684_800

MEAS_ACC, MEAS_SDK_MODE = 2, 9
OP_GET_SETTINGS, OP_START, OP_STOP, OP_GET_SDK_MODE_SETTINGS = 1, 2, 3, 4
CP_RESPONSE, CP_STOPPED, CP_FEATURES = 0xF0, 0x01, 0x0F
STATUS_NAMES = ("success", "invalid op code", "invalid measurement type", "not supported", "invalid length",
                "invalid parameter", "already in state", "invalid resolution", "invalid sample rate",
                "invalid range", "invalid MTU", "invalid number of channels", "invalid state",
                "device in charger", "disk full")
SAMPLE_RATE, RESOLUTION, RANGE, RANGE_MILLIUNIT, CHANNELS, FACTOR, SECURITY = 0, 1, 2, 3, 4, 5, 6
SETTING_SIZES = {SAMPLE_RATE: 2, RESOLUTION: 2, RANGE: 2, RANGE_MILLIUNIT: 4, CHANNELS: 1, FACTOR: 4,
                 SECURITY: 16}
HEADER = 10
RAW_BYTES = {0: 1, 1: 2, 2: 3}         # raw ACC frame types: bytes per channel value
COMPRESSED_RESOLUTION = {0: 16, 1: 16}  # compressed ACC frame types: reference resolution in bits


def _bad(problem: str) -> MalformedPacket:
    return MalformedPacket(FAMILY, problem)


# -- data frames ------------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Frame:
    """A PMD data frame: measurement type, last-sample timestamp in ns since 2000, frame type, payload."""

    meas_type: int
    timestamp_ns: int
    frame_type: int
    compressed: bool
    data: bytes


def parse_frame(payload: bytes) -> Frame:
    payload = bytes(payload)
    if len(payload) < HEADER:
        raise _bad(f"truncated: frame of {len(payload)} bytes is shorter than the {HEADER}-byte header")
    (ts,) = struct.unpack_from("<Q", payload, 1)
    return Frame(payload[0] & 0x3F, ts, payload[9] & 0x7F, bool(payload[9] & 0x80), payload[HEADER:])


def encode_frame(frame: Frame) -> bytes:
    return (bytes([frame.meas_type]) + struct.pack("<Q", frame.timestamp_ns)
            + bytes([frame.frame_type | (0x80 if frame.compressed else 0)]) + frame.data)


def _signed(values: npt.NDArray[np.int64], bits: int) -> npt.NDArray[np.int64]:
    return np.where(values >= 1 << (bits - 1), values - (1 << bits), values)


def _read_ints(data: bytes, width: int, count: int) -> npt.NDArray[np.int64]:
    """`count` little-endian two's-complement integers of `width` bytes each."""
    raw = np.frombuffer(data[: width * count], dtype=np.uint8).reshape(count, width).astype(np.int64)
    values = (raw << (8 * np.arange(width, dtype=np.int64))).sum(axis=1)
    return _signed(values, 8 * width)


def decode_delta(data: bytes, resolution: int = 16, channels: int = 3) -> npt.NDArray[np.int64]:
    """Samples (n, channels) of a delta-compressed payload (PROTOCOLS.md §A1.4, ``parseDeltaFramesAll``)."""
    width = math.ceil(resolution / 8)
    if len(data) < width * channels:
        raise _bad(f"truncated: delta frame of {len(data)} bytes has no {width * channels}-byte reference sample")
    reference = _signed(_read_ints(data, width, channels) & ((1 << resolution) - 1), resolution)
    blocks, pos = [reference[None, :]], width * channels
    while pos < len(data):
        if pos + 2 > len(data):
            raise _bad(f"truncated: delta block header at byte {pos} is cut off")
        bits, count = data[pos], data[pos + 1]
        if not 1 <= bits <= 32:
            raise _bad(f"bad delta width {bits} bits at byte {pos} (1-32)")
        nbytes = math.ceil(bits * channels * count / 8)
        body = data[pos + 2 : pos + 2 + nbytes]
        if len(body) < nbytes:
            raise _bad(f"truncated: delta block at byte {pos} needs {nbytes} bytes, has {len(body)}")
        bit_array = np.unpackbits(np.frombuffer(body, np.uint8), bitorder="little")[: bits * channels * count]
        weights = np.left_shift(np.int64(1), np.arange(bits, dtype=np.int64))
        deltas = _signed(bit_array.reshape(-1, bits).astype(np.int64) @ weights, bits)
        blocks.append(deltas.reshape(count, channels))
        pos += 2 + nbytes
    return np.cumsum(np.concatenate(blocks), axis=0)


def _bits_needed(deltas: npt.NDArray[np.int64]) -> int:
    if deltas.size == 0:
        return 1
    hi = int(max(deltas.max(), -deltas.min() - 1, 0))
    return max(1, hi.bit_length() + 1)


def encode_delta(samples: npt.ArrayLike, resolution: int = 16, block: int = 255) -> bytes:
    """Delta-compress integer samples (n, channels), n >= 1: the exact inverse of :func:`decode_delta`.

    Blocks of up to `block` (<= 255) samples, each with the narrowest delta width that fits.
    """
    s = np.asarray(samples, dtype=np.int64)
    if s.ndim != 2 or len(s) == 0:
        raise ValueError(f"samples must be (n >= 1, channels), got {s.shape}")
    width = math.ceil(resolution / 8)
    ref = s[0] & ((1 << (8 * width)) - 1)
    out = bytearray(b"".join(int(v).to_bytes(width, "little") for v in ref))
    deltas = np.diff(s, axis=0)
    for start in range(0, len(deltas), min(block, 255)):
        chunk = deltas[start : start + min(block, 255)]
        bits = _bits_needed(chunk)
        if bits > 32:
            raise ValueError("deltas wider than 32 bits cannot be encoded")
        words = chunk.reshape(-1) & ((1 << bits) - 1)
        bit_array = ((words[:, None] >> np.arange(bits)) & 1).astype(np.uint8).reshape(-1)
        out += bytes([bits, len(chunk)]) + np.packbits(bit_array, bitorder="little").tobytes()
    return bytes(out)


def decode_acc_counts(frame: Frame, channels: int = 3) -> npt.NDArray[np.int64]:
    """Integer ACC samples (n, channels) of a frame, raw or compressed."""
    if frame.compressed:
        if frame.frame_type not in COMPRESSED_RESOLUTION:
            raise _bad(f"unknown compressed ACC frame type {frame.frame_type}")
        return decode_delta(frame.data, COMPRESSED_RESOLUTION[frame.frame_type], channels)
    width = RAW_BYTES.get(frame.frame_type)
    if width is None:
        raise _bad(f"unknown raw ACC frame type {frame.frame_type}")
    if len(frame.data) % (width * channels):
        raise _bad(f"wrong length: raw frame type {frame.frame_type} payload of {len(frame.data)} bytes "
                   f"is not a multiple of {width * channels}")
    return _read_ints(frame.data, width, len(frame.data) // width).reshape(-1, channels)


def encode_acc_frame(counts: npt.ArrayLike, *, timestamp_ns: int, compressed: bool = False,
                     frame_type: int | None = None) -> bytes:
    """An ACC frame for integer `counts` (n, 3); `timestamp_ns` (since 2000) is that of the last sample.

    Defaults: raw TYPE1 (int16 mG, H10) or compressed TYPE0 (Verity Sense).
    """
    c = np.asarray(counts, dtype=np.int64)
    if frame_type is None:
        frame_type = 0 if compressed else 1
    if compressed:
        data = encode_delta(c, COMPRESSED_RESOLUTION[frame_type])
    else:
        width = RAW_BYTES[frame_type]
        lo, hi = -(1 << (8 * width - 1)), (1 << (8 * width - 1)) - 1
        if c.size and (c.min() < lo or c.max() > hi):
            raise ValueError(f"counts must fit {8 * width}-bit integers")
        data = b"".join(int(v & ((1 << 8 * width) - 1)).to_bytes(width, "little") for v in c.reshape(-1))
    return encode_frame(Frame(MEAS_ACC, timestamp_ns, frame_type, compressed, data))


FRAME_TIME_JITTER_NS = 1_000_000
"""Uncertainty (ns) of one frame timestamp. Polar stamps a frame in the sensor's FIFO interrupt from a 32 768 Hz
timer (30.5 us ticks; polar-ble-sdk issue #597); 1 ms allows ~30 ticks of interrupt latency."""

INITIAL_RATE_TOLERANCE = 0.10
"""Relative error allowed between the true and the configured sample rate until the decoder has measured it:
MEMS accelerometers derive their output data rate from an internal oscillator specified to a few % (the
rate Polar reports is nominal; issue 15 saw > 0.7 %). A loss must exceed this much of a frame before the
rate is known: notifications lost on the link take whole frames, far more."""


@dataclass
class Decoder:
    """Per-connection PMD ACC decoder.

    ``rate_hz`` is the configured (nominal) rate; ``factor`` is the FACTOR from the start response, None when
    absent. Scaling follows the SDK's ``AccData`` per frame type: raw frames hold mG and ignore FACTOR;
    compressed TYPE0 holds counts of FACTOR g (``sample * factor * 1000`` mG); compressed TYPE1 holds mG,
    times FACTOR when it is not 1. A missing FACTOR counts as 1.0, as in the SDK (``getFactor``).

    Sample times follow ``PmdTimeStampUtils``: a frame's samples are spread evenly between the previous
    frame's timestamp (same frame type) and its own. The true sample period is measured from the device
    timestamps of frames that follow each other without loss (total time over total samples): a sensor
    whose rate is off nominal is not mistaken for losing samples. A frame is preceded by lost samples only
    when its interval exceeds its own samples by more than half a period plus what the rate's uncertainty
    allows (:data:`INITIAL_RATE_TOLERANCE` of the frame until the first interval is measured, then the
    timestamps' jitter); ``lost_before`` then counts them, and the frame is timed back from its last sample
    at the measured period. ``rate_estimate_hz`` is the measured rate (the nominal one before any interval).
    """

    rate_hz: float = 52.0
    factor: float | None = None
    family: str = field(default=FAMILY, init=False)
    _prev_ts: dict[int, int] = field(default_factory=dict, init=False)
    _sum_dt_ns: float = field(default=0.0, init=False)
    _sum_n: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        if not self.rate_hz > 0:
            raise ValueError(f"rate_hz must be > 0, got {self.rate_hz}")

    @property
    def period_ns(self) -> float:
        """The sample period in ns on the device clock: measured, else nominal."""
        return self._sum_dt_ns / self._sum_n if self._sum_n else 1e9 / self.rate_hz

    @property
    def rate_estimate_hz(self) -> float:
        return 1e9 / self.period_ns

    def scale_g(self, frame: Frame) -> float:
        """g per count of ``frame`` (the SDK's ``AccData`` conversions, in g)."""
        factor = 1.0 if self.factor is None else float(self.factor)
        if not frame.compressed:
            return 1e-3
        if frame.frame_type == 0:
            return factor
        return factor * 1e-3

    def decode(self, payload: bytes) -> Samples:
        frame = parse_frame(payload)
        if frame.meas_type != MEAS_ACC:
            return Samples()
        counts = decode_acc_counts(frame)
        n = len(counts)
        if n == 0:                                   # an empty raw frame: nothing to time
            return Samples()
        accel = (counts.astype(np.float64) * self.scale_g(frame)).astype(np.float32)
        times_ns, lost = self._times_ns(frame.frame_type, frame.timestamp_ns, n)
        return Samples(accel_g=accel, sensor_time_s=times_ns / 1e9 + EPOCH_2000_UNIX_S, lost_before=lost)

    def _times_ns(self, frame_type: int, ts: int, n: int) -> tuple[npt.NDArray[np.float64], int | None]:
        prev = self._prev_ts.get(frame_type)
        self._prev_ts[frame_type] = ts
        period = self.period_ns
        back = ts - period * np.arange(n - 1, -1, -1, dtype=np.float64)
        if prev is None or ts <= prev:               # first frame, or the device clock was set back
            return back, None
        dt = float(ts - prev)
        uncertainty = 2 * FRAME_TIME_JITTER_NS / self._sum_dt_ns if self._sum_n else INITIAL_RATE_TOLERANCE
        excess = dt - n * period
        if excess > 0.5 * period + uncertainty * n * period + 2 * FRAME_TIME_JITTER_NS:
            return back, max(1, round(excess / period))
        if abs(excess) <= 0.5 * period + uncertainty * n * period + 2 * FRAME_TIME_JITTER_NS:
            self._sum_dt_ns += dt                    # a contiguous interval: it measures the rate
            self._sum_n += n
        return prev + dt / n * np.arange(1, n + 1, dtype=np.float64), 0


# -- control point ----------------------------------------------------------------------------------------
def encode_get_settings(meas_type: int = MEAS_ACC) -> bytes:
    return bytes([OP_GET_SETTINGS, meas_type])


def encode_start(settings: Iterable[tuple[int, int]], meas_type: int = MEAS_ACC) -> bytes:
    """Start request: ``02 <type>`` then ``type, 0x01, value`` per setting, in the given order."""
    out = bytearray([OP_START, meas_type])
    for kind, value in settings:
        out += bytes([kind, 1]) + int(value).to_bytes(SETTING_SIZES[kind], "little")
    return bytes(out)


def encode_stop(meas_type: int = MEAS_ACC) -> bytes:
    return bytes([OP_STOP, meas_type])


def parse_settings(params: bytes) -> dict[int, tuple[float, ...]]:
    """Settings TLVs ``type, count, count x value`` -> {type: values}; FACTOR values are float32."""
    out: dict[int, tuple[float, ...]] = {}
    pos = 0
    while pos < len(params):
        if pos + 2 > len(params):
            raise _bad(f"truncated: setting header at byte {pos}")
        kind, count = params[pos], params[pos + 1]
        size = SETTING_SIZES.get(kind)
        if size is None:
            raise _bad(f"unknown setting type {kind} at byte {pos}")
        body = params[pos + 2 : pos + 2 + size * count]
        if len(body) < size * count:
            raise _bad(f"truncated: setting {kind} needs {size * count} bytes")
        if kind == FACTOR:
            values = struct.unpack(f"<{count}f", body)
        elif kind == SECURITY:
            values = tuple(int.from_bytes(body[i : i + size], "little") for i in range(0, len(body), size))
        else:
            values = tuple(int.from_bytes(body[i : i + size], "little") for i in range(0, len(body), size))
        out[kind] = tuple(values)
        pos += 2 + size * count
    return out


def encode_settings(settings: Mapping[int, Sequence[float]]) -> bytes:
    out = bytearray()
    for kind, values in settings.items():
        out += bytes([kind, len(values)])
        for v in values:
            out += struct.pack("<f", v) if kind == FACTOR else int(v).to_bytes(SETTING_SIZES[kind], "little")
    return bytes(out)


@dataclass(frozen=True, slots=True)
class CpResponse:
    """``F0, op_code, meas_type, status, more, params...`` (params only on success)."""

    op_code: int
    meas_type: int
    status: int
    more: bool = False
    params: bytes = b""

    @property
    def status_name(self) -> str:
        return STATUS_NAMES[self.status] if self.status < len(STATUS_NAMES) else f"status {self.status}"


def parse_cp_response(payload: bytes) -> CpResponse:
    payload = bytes(payload)
    if len(payload) < 4 or payload[0] != CP_RESPONSE:
        raise _bad(f"not a control-point response: {payload[:8].hex(' ') or 'empty'}")
    more = len(payload) > 4 and payload[4] != 0
    params = payload[5:] if payload[3] == 0 else b""
    return CpResponse(payload[1], payload[2] & 0x3F, payload[3], more, params)


def encode_cp_response(resp: CpResponse) -> bytes:
    return bytes([CP_RESPONSE, resp.op_code, resp.meas_type, resp.status, int(resp.more)]) + resp.params


def parse_stopped(payload: bytes) -> frozenset[int] | None:
    """The measurement types a sensor-initiated "online measurement stopped" indication names, else None.

    The control point's only sensor-initiated message: ``01`` then one byte per stopped measurement type
    (``PmdControlPointCommandServiceToClient.ONLINE_MEASUREMENT_STOPPED``; the SDK ends those streams).

    >>> sorted(parse_stopped(bytes([0x01, 0x02]))), parse_stopped(bytes.fromhex("F0 02 02 00 00"))
    ([2], None)
    """
    payload = bytes(payload)
    if not payload or payload[0] != CP_STOPPED:
        return None
    return frozenset(b & 0x3F for b in payload[1:])


def encode_stopped(types: Iterable[int]) -> bytes:
    return bytes([CP_STOPPED, *types])


def parse_features(payload: bytes) -> frozenset[int]:
    """Measurement types of a feature read (``0F`` + bitmask bytes)."""
    payload = bytes(payload)
    if len(payload) < 2 or payload[0] != CP_FEATURES:
        raise _bad(f"not a feature read: {payload[:4].hex(' ') or 'empty'}")
    return frozenset(8 * i + b for i, byte in enumerate(payload[1:]) for b in range(8) if byte >> b & 1)


def encode_features(types: Iterable[int]) -> bytes:
    mask = bytearray(2)
    for t in types:
        while t // 8 >= len(mask):
            mask.append(0)
        mask[t // 8] |= 1 << (t % 8)
    return bytes([CP_FEATURES]) + bytes(mask)
