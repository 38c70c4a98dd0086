"""lrm open protocol v1 (``firmware_protocol/SPEC.md``): codec for DIY ankle sensors.

Packets on the DATA characteristic are little-endian. A *full* packet (type 0) has a 16-byte header,
then ``n`` samples of int16 x, y, z; a *compact* packet (type 3, for the 20-byte payload of MTU 23) has an
8-byte header and 2 samples, and is timed from the last full packet (an ``n = 0`` full packet is a time
anchor). The C reference (``firmware_protocol/lrm_protocol.c``) and this module agree on every vector in
``firmware_protocol/test_vectors.json``.

>>> pkt = DataPacket(seq=7, sample_index=100, tick=32768, odr_code=2, range_code=2, session_id=1,
...                  xyz=np.array([[0, 0, 4096]], dtype=np.int16))
>>> Decoder(tick_hz=32768).decode(encode_data(pkt)).accel_g.tolist()
[[0.0, 0.0, 1.0]]
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from lrm.ble.protocols.samples import MalformedPacket, Samples

__all__ = [
    "FAMILY", "SERVICE_UUID", "DATA_UUID", "CONTROL_UUID", "STATUS_UUID", "INFO_UUID", "VERSION",
    "ODR_HZ", "RANGE_G", "DataPacket", "Status", "Info", "Command", "Response", "Decoder",
    "encode_data", "parse_data", "encode_status", "parse_status", "encode_info", "parse_info",
    "encode_command", "parse_command", "encode_response", "parse_response", "odr_code_for", "range_code_for",
]

FAMILY = "lrm-open"
_BASE = "e379{:04x}-a557-47d0-a5e4-aa2f364ebda5"
SERVICE_UUID = _BASE.format(0x0001)
DATA_UUID = _BASE.format(0x0002)      # notify
CONTROL_UUID = _BASE.format(0x0003)   # write with response + indicate
STATUS_UUID = _BASE.format(0x0004)    # read + notify
INFO_UUID = _BASE.format(0x0005)      # read

VERSION = 1
TYPE_SAMPLES, TYPE_COMPACT = 0, 3
FULL_HEADER, COMPACT_HEADER, SAMPLE_BYTES = 16, 8, 6
COMPACT_SAMPLES = 2
MAX_SAMPLES = (512 - FULL_HEADER) // SAMPLE_BYTES   # the ATT attribute maximum is 512 bytes

# fmt byte: bits 0-1 range code, bits 2-3 encoding (0 = int16 xyz), bits 4-7 output-data-rate code
ODR_HZ: tuple[float, ...] = (12.5, 26.0, 52.0, 104.0, 208.0, 416.0, 25.0, 50.0, 100.0, 200.0,
                             14.9, 59.5, 119.0, 238.0)
RANGE_G: tuple[float, ...] = (2.0, 4.0, 8.0, 16.0)

FLAG_DEVICE_OVERFLOW, FLAG_CLIPPED, FLAG_NEW_SESSION, FLAG_TIME_SYNCED, FLAG_LOW_BATTERY = 1, 2, 4, 8, 16

# control point
OP_START, OP_STOP, OP_SET_CONFIG, OP_TIME_SYNC, OP_REQUEST_CONN_PARAMS = 0x01, 0x02, 0x03, 0x04, 0x05
RESPONSE_CODE = 0x80
STATUS_SUCCESS, STATUS_UNKNOWN_OPCODE, STATUS_INVALID_LENGTH = 0, 1, 2
STATUS_INVALID_PARAMETER, STATUS_INVALID_STATE, STATUS_BUSY, STATUS_HARDWARE_ERROR = 3, 4, 5, 6
STATUS_NAMES = ("success", "unknown opcode", "invalid length", "invalid parameter", "invalid state", "busy",
                "hardware error")
# request parameter layout per opcode (struct format after the opcode) and response parameters on success
REQUEST_FORMATS: dict[int, str] = {OP_START: "", OP_STOP: "", OP_SET_CONFIG: "<BBH", OP_TIME_SYNC: "<Q",
                                   OP_REQUEST_CONN_PARAMS: "<HHHH"}
# TIME_SYNC answers the device tick at receipt and the index the next sample will get
RESPONSE_FORMATS: dict[int, str] = {OP_START: "<H", OP_STOP: "", OP_SET_CONFIG: "<BBH", OP_TIME_SYNC: "<II",
                                    OP_REQUEST_CONN_PARAMS: ""}

STATUS_FORMAT = struct.Struct("<BBHHBBIIHH")   # 20 bytes: fits one MTU-23 notification
INFO_FORMAT = struct.Struct("<BBHIHBBHH")      # 16 bytes
_FULL = struct.Struct("<BBHIIBBH")
_COMPACT = struct.Struct("<BBHI")


def odr_code_for(rate_hz: float) -> int:
    """The ODR code of `rate_hz` (exact table value), or ValueError."""
    for code, hz in enumerate(ODR_HZ):
        if abs(hz - rate_hz) < 1e-6:
            return code
    raise ValueError(f"rate_hz must be one of {ODR_HZ}, got {rate_hz}")


def range_code_for(range_g: float) -> int:
    """The range code of ±`range_g` g, or ValueError."""
    if range_g not in RANGE_G:
        raise ValueError(f"range_g must be one of {RANGE_G}, got {range_g}")
    return RANGE_G.index(range_g)


def _bad(problem: str) -> MalformedPacket:
    return MalformedPacket(FAMILY, problem)


@dataclass(frozen=True, slots=True)
class DataPacket:
    """One DATA notification. ``xyz`` is int16 (n, 3) in counts of range/32768 g.

    ``packet_type`` 0 is a full packet (``tick``, ``session_id`` and ``flags`` apply), 3 a compact one
    (2 samples, no tick/flags/session: those fields are 0 when parsed).
    """

    seq: int
    sample_index: int
    xyz: npt.NDArray[np.int16]
    tick: int = 0
    odr_code: int = 2
    range_code: int = 2
    session_id: int = 0
    flags: int = 0
    packet_type: int = TYPE_SAMPLES
    encoding: int = 0
    version: int = VERSION

    @property
    def rate_hz(self) -> float:
        return ODR_HZ[self.odr_code]

    @property
    def range_g(self) -> float:
        return RANGE_G[self.range_code]


def encode_data(pkt: DataPacket) -> bytes:
    """Bytes of a DATA notification (inverse of :func:`parse_data`). ValueError for impossible fields."""
    xyz = np.asarray(pkt.xyz)
    if xyz.ndim != 2 or xyz.shape[1] != 3:
        raise ValueError(f"xyz must be (n, 3), got {xyz.shape}")
    if xyz.size and (xyz.min() < -32768 or xyz.max() > 32767):
        raise ValueError("xyz values must fit int16")
    if not 0 <= pkt.odr_code < 16 or not 0 <= pkt.range_code < 4 or not 0 <= pkt.encoding < 4:
        raise ValueError("odr_code must be 0-15, range_code 0-3, encoding 0-3")
    fmt = pkt.range_code | pkt.encoding << 2 | pkt.odr_code << 4
    body = xyz.astype("<i2").tobytes()
    if pkt.packet_type == TYPE_COMPACT:
        if len(xyz) != COMPACT_SAMPLES:
            raise ValueError(f"a compact packet carries exactly {COMPACT_SAMPLES} samples, got {len(xyz)}")
        return _COMPACT.pack(pkt.version << 4 | TYPE_COMPACT, fmt, pkt.seq & 0xFFFF,
                             pkt.sample_index & 0xFFFFFFFF) + body
    if len(xyz) > MAX_SAMPLES:
        raise ValueError(f"at most {MAX_SAMPLES} samples fit a 512-byte attribute, got {len(xyz)}")
    head = _FULL.pack(pkt.version << 4 | pkt.packet_type, pkt.flags, pkt.seq & 0xFFFF,
                      pkt.sample_index & 0xFFFFFFFF, pkt.tick & 0xFFFFFFFF, fmt, len(xyz), pkt.session_id & 0xFFFF)
    return head + body


def parse_data(payload: bytes) -> DataPacket | None:
    """Parse a DATA notification; None for a v1 packet of a type this version does not know.

    Raises :class:`MalformedPacket` (problem starts with ``bad version``, ``truncated``, ``wrong length``
    or ``bad encoding``) for anything else that is not a valid packet.
    """
    payload = bytes(payload)
    if len(payload) < 1:
        raise _bad("truncated: empty packet")
    version, ptype = payload[0] >> 4, payload[0] & 0x0F
    if version != VERSION:
        raise _bad(f"bad version {version} (this decoder speaks v{VERSION}); update lrm or the firmware")
    if ptype == TYPE_COMPACT:
        return _parse_compact(payload)
    if ptype != TYPE_SAMPLES:
        return None                      # forward compatibility: a later v1 minor may add packet types
    if len(payload) < FULL_HEADER:
        raise _bad(f"truncated: {len(payload)} bytes is shorter than the {FULL_HEADER}-byte header")
    _, flags, seq, index, tick, fmt, n, session = _FULL.unpack_from(payload)
    if len(payload) != FULL_HEADER + SAMPLE_BYTES * n:
        raise _bad(f"wrong length: {len(payload)} bytes for n={n} samples (expected {FULL_HEADER + 6 * n})")
    return _packet(payload[FULL_HEADER:], fmt, seq=seq, sample_index=index, tick=tick, session_id=session,
                   flags=flags, packet_type=TYPE_SAMPLES)


def _parse_compact(payload: bytes) -> DataPacket:
    expected = COMPACT_HEADER + SAMPLE_BYTES * COMPACT_SAMPLES
    if len(payload) < expected:
        raise _bad(f"truncated: compact packet of {len(payload)} bytes (expected {expected})")
    if len(payload) != expected:
        raise _bad(f"wrong length: compact packet of {len(payload)} bytes (expected {expected})")
    _, fmt, seq, index = _COMPACT.unpack_from(payload)
    return _packet(payload[COMPACT_HEADER:], fmt, seq=seq, sample_index=index, packet_type=TYPE_COMPACT)


def _packet(body: bytes, fmt: int, **fields: int) -> DataPacket:
    range_code, encoding, odr_code = fmt & 0x3, fmt >> 2 & 0x3, fmt >> 4
    if encoding != 0:
        raise _bad(f"bad encoding {encoding} (v1 defines only 0 = int16 xyz)")
    if odr_code >= len(ODR_HZ):
        raise _bad(f"bad encoding: output-data-rate code {odr_code} is reserved")
    xyz = np.frombuffer(body, dtype="<i2").astype(np.int16).reshape(-1, 3)
    return DataPacket(xyz=xyz, odr_code=odr_code, range_code=range_code, **fields)


@dataclass
class Decoder:
    """Per-connection lrm-open decoder: unwraps the 32-bit tick, times compact packets, counts losses.

    ``tick_hz`` comes from the INFO characteristic (the driver reads it). Holds the last full packet's
    (tick, sample_index) as the time anchor and the next expected sample index.
    """

    tick_hz: float = 32768.0
    rate_hz: float | None = None      # accepted for make_decoder symmetry; packets carry their own rate
    family: str = field(default=FAMILY, init=False)
    _anchor: tuple[int, int, int] | None = field(default=None, init=False)   # (session, index, unwrapped tick)
    _last_tick: int | None = field(default=None, init=False)
    _next_index: int | None = field(default=None, init=False)
    _session: int | None = field(default=None, init=False)

    def decode(self, payload: bytes) -> Samples:
        """Samples of one DATA notification (none for a time anchor or an unknown packet type)."""
        pkt = parse_data(payload)
        if pkt is None:
            return Samples()
        if pkt.packet_type == TYPE_SAMPLES:
            if self._session is not None and pkt.session_id != self._session:
                self._anchor, self._last_tick, self._next_index = None, None, None
            self._session = pkt.session_id
            tick = self._unwrap(pkt.tick)
            self._anchor = (pkt.session_id, pkt.sample_index, tick)
        n = len(pkt.xyz)
        lost = None if self._next_index is None else max(0, pkt.sample_index - self._next_index)
        self._next_index = max(self._next_index or 0, pkt.sample_index + n)   # an n = 0 anchor sets it too
        scale = pkt.range_g / 32768.0
        accel = (pkt.xyz.astype(np.float64) * scale).astype(np.float32)
        return Samples(accel_g=accel, sensor_time_s=self._times(pkt, n), seq=pkt.seq,
                       sample_index=pkt.sample_index, session_id=self._session, flags=pkt.flags, lost_before=lost)

    def _unwrap(self, tick: int) -> int:
        if self._last_tick is None:
            self._last_tick = tick
        else:
            self._last_tick += (tick - self._last_tick) % 2**32
        return self._last_tick

    def _times(self, pkt: DataPacket, n: int) -> npt.NDArray[np.float64]:
        if self._anchor is None:
            return np.full(n, np.nan)
        _, anchor_index, anchor_tick = self._anchor
        offsets = (pkt.sample_index - anchor_index + np.arange(n)) / pkt.rate_hz
        return anchor_tick / self.tick_hz + offsets


# -- STATUS, INFO, CONTROL ---------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Status:
    """STATUS characteristic (20 bytes). ``battery_pct`` 255 = unknown; errors is a bit field (SPEC §5)."""

    battery_pct: int
    battery_mv: int
    errors: int
    buffer_fill_pct: int
    streaming: bool
    dropped_samples: int
    uptime_s: int
    mtu: int
    session_id: int
    version: int = VERSION


def encode_status(s: Status) -> bytes:
    return STATUS_FORMAT.pack(s.version << 4, s.battery_pct, s.battery_mv, s.errors, s.buffer_fill_pct,
                              int(s.streaming), s.dropped_samples, s.uptime_s, s.mtu, s.session_id)


def parse_status(payload: bytes) -> Status:
    """Parse STATUS; longer payloads are allowed (later minors append fields)."""
    payload = bytes(payload)
    if len(payload) < 1 or payload[0] >> 4 != VERSION:
        raise _bad(f"bad version in status ({payload[:1].hex() or 'empty'})")
    if len(payload) < STATUS_FORMAT.size:
        raise _bad(f"truncated: status of {len(payload)} bytes (expected {STATUS_FORMAT.size})")
    v, pct, mv, err, fill, state, dropped, up, mtu, session = STATUS_FORMAT.unpack_from(payload)
    return Status(pct, mv, err, fill, bool(state & 1), dropped, up, mtu, session, v >> 4)


@dataclass(frozen=True, slots=True)
class Info:
    """INFO characteristic (16 bytes): what the firmware can do."""

    imu_part: int          # 0 unknown, 1 LSM6DS3/LSM6DS3TR-C, 2 LSM9DS1, 3 BMI270
    firmware_version: int  # major << 8 | minor
    tick_hz: int
    odr_mask: int          # bit k: ODR code k supported
    range_mask: int        # bit k: range code k supported
    max_samples: int       # samples per full packet at the current MTU
    fifo_samples: int      # device buffer capacity in samples before overflow
    protocol_minor: int = 0
    version: int = VERSION

    @property
    def rates_hz(self) -> tuple[float, ...]:
        return tuple(hz for k, hz in enumerate(ODR_HZ) if self.odr_mask >> k & 1)

    @property
    def ranges_g(self) -> tuple[float, ...]:
        return tuple(g for k, g in enumerate(RANGE_G) if self.range_mask >> k & 1)


def encode_info(i: Info) -> bytes:
    return INFO_FORMAT.pack(i.version << 4 | i.protocol_minor, i.imu_part, i.firmware_version, i.tick_hz,
                            i.odr_mask, i.range_mask, i.max_samples, i.fifo_samples, 0)


def parse_info(payload: bytes) -> Info:
    payload = bytes(payload)
    if len(payload) < 1 or payload[0] >> 4 != VERSION:
        raise _bad(f"bad version in info ({payload[:1].hex() or 'empty'})")
    if len(payload) < INFO_FORMAT.size:
        raise _bad(f"truncated: info of {len(payload)} bytes (expected {INFO_FORMAT.size})")
    v, part, fw, tick_hz, odr_mask, range_mask, max_n, fifo, _ = INFO_FORMAT.unpack_from(payload)
    if tick_hz == 0:
        raise _bad("bad parameter: tick_hz is 0")
    return Info(part, fw, tick_hz, odr_mask, range_mask, max_n, fifo, v & 0xF, v >> 4)


@dataclass(frozen=True, slots=True)
class Command:
    """A control-point request: ``opcode`` and its parameters in the order of ``REQUEST_FORMATS``."""

    opcode: int
    params: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Response:
    """An indicated control-point response ``[0x80, opcode, status, params...]`` (params only on success)."""

    opcode: int
    status: int
    params: tuple[int, ...] = ()


def encode_command(cmd: Command) -> bytes:
    if cmd.opcode not in REQUEST_FORMATS:
        raise ValueError(f"unknown opcode {cmd.opcode:#x}")
    if len(cmd.params) != len(REQUEST_FORMATS[cmd.opcode]) - (REQUEST_FORMATS[cmd.opcode] != ""):
        raise ValueError(f"opcode {cmd.opcode:#x} takes parameters {REQUEST_FORMATS[cmd.opcode]!r}, got {cmd.params}")
    return bytes([cmd.opcode]) + struct.pack(REQUEST_FORMATS[cmd.opcode], *cmd.params)


def parse_command(payload: bytes) -> Command:
    """Parse a request (the firmware side). ``unknown opcode`` / ``wrong length`` -> MalformedPacket."""
    payload = bytes(payload)
    if not payload:
        raise _bad("truncated: empty command")
    fmt = REQUEST_FORMATS.get(payload[0])
    if fmt is None:
        raise _bad(f"unknown opcode {payload[0]:#04x}")
    if len(payload) - 1 != struct.calcsize(fmt):
        raise _bad(f"wrong length: opcode {payload[0]:#04x} takes {struct.calcsize(fmt)} parameter bytes")
    return Command(payload[0], struct.unpack(fmt, payload[1:]) if fmt else ())


def encode_response(resp: Response) -> bytes:
    head = bytes([RESPONSE_CODE, resp.opcode, resp.status])
    if resp.status != STATUS_SUCCESS or resp.opcode not in RESPONSE_FORMATS:
        return head
    if len(resp.params) != len(RESPONSE_FORMATS[resp.opcode]) - (RESPONSE_FORMATS[resp.opcode] != ""):
        raise ValueError(f"opcode {resp.opcode:#x} responds {RESPONSE_FORMATS[resp.opcode]!r}, got {resp.params}")
    return head + struct.pack(RESPONSE_FORMATS[resp.opcode], *resp.params)


def parse_response(payload: bytes) -> Response:
    """Parse an indicated response. Parameters are decoded only for known opcodes on success."""
    payload = bytes(payload)
    if len(payload) < 3:
        raise _bad(f"truncated: response of {len(payload)} bytes (at least 3)")
    if payload[0] != RESPONSE_CODE:
        raise _bad(f"not a response: first byte {payload[0]:#04x} (expected 0x80)")
    opcode, status = payload[1], payload[2]
    fmt = RESPONSE_FORMATS.get(opcode)
    if status != STATUS_SUCCESS or fmt is None:
        return Response(opcode, status)
    if len(payload) - 3 != struct.calcsize(fmt):
        raise _bad(f"wrong length: response to {opcode:#04x} has {len(payload) - 3} parameter bytes, "
                   f"expected {struct.calcsize(fmt)}")
    return Response(opcode, status, struct.unpack(fmt, payload[3:]) if fmt else ())
