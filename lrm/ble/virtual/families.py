"""Virtual sensors of each supported family, speaking its real GATT layout and byte protocol.

The packet bytes come from the family codecs' ``encode_*`` functions in :mod:`lrm.ble.protocols` (the
exact inverses of the decoders the drivers use); this module adds the device side: GATT table,
advertisement, control-point state machine and packet sizing for the negotiated ATT MTU.
"""

from __future__ import annotations

import random
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from lrm.ble.virtual.gatt import VChar, VService
from lrm.ble.virtual.sensor import VirtualSensor

__all__ = ["LrmOpenSensor", "FAMILIES", "LRM_OPEN_RATES_HZ", "make_sensor", "advertised_name", "streamed_rate_hz"]

#: output data rates (Hz) the virtual lrm-open sensor accepts: those of its LSM6DS3 IMU (firmware_protocol/SPEC.md)
LRM_OPEN_RATES_HZ: tuple[float, ...] = (12.5, 26.0, 52.0, 104.0, 208.0, 416.0)


def _counts(accel_g: npt.NDArray[np.float32], g_per_count: float) -> npt.NDArray[np.int16]:
    return np.clip(np.round(accel_g / g_per_count), -32768, 32767).astype(np.int16)


class LrmOpenSensor(VirtualSensor):
    """A DIY ankle sensor running the lrm open firmware (``firmware_protocol/SPEC.md``).

    Full packets batch ``batch_ms`` of samples (capped by the MTU); with the default 23-byte MTU it sends
    a time-anchor full packet (n = 0) and then compact 2-sample packets, re-anchoring every 50 packets.
    """

    family = "lrm-open"
    display_name = "lrm open sensor"
    default_rate_hz = 52.0
    TICK_HZ: ClassVar[int] = 32768
    ANCHOR_EVERY: ClassVar[int] = 50

    def build_gatt(self) -> list[VService]:
        from lrm.ble.protocols import lrm_open as p

        self._p = p
        self.odr_code, self.range_code, self.batch_ms = p.odr_code_for(self.rate_hz), p.range_code_for(8.0), 500
        self.control = VChar(p.CONTROL_UUID, ("write", "indicate"), on_write=self._on_control)
        self._data = VChar(p.DATA_UUID, ("notify",))
        self.status = VChar(p.STATUS_UUID, ("read", "notify"), on_read=self._status_bytes)
        self.info = VChar(p.INFO_UUID, ("read",), on_read=self._info_bytes)
        self._seq = 0
        self._session = 0
        self._since_anchor = self.ANCHOR_EVERY
        self._new_session = False
        return [VService(p.SERVICE_UUID, [self._data, self.control, self.status, self.info])]

    @property
    def data_char(self) -> VChar:
        return self._data

    def advertisement(self) -> tuple[list[str], dict[int, bytes]]:
        return [self._p.SERVICE_UUID], {0xFFFF: b"lrm\x01"}

    def on_connect(self) -> None:
        self._since_anchor = self.ANCHOR_EVERY

    # -- control point ---------------------------------------------------------------------------------
    def _respond(self, opcode: int, status: int, params: tuple[int, ...] = ()) -> None:
        p = self._p
        if self.link is not None:
            self.link.notify(self.control, p.encode_response(p.Response(opcode, status, params)))

    def _on_control(self, data: bytes, response: bool) -> None:
        p = self._p
        try:
            cmd = p.parse_command(data)
        except p.MalformedPacket as exc:
            code = p.STATUS_UNKNOWN_OPCODE if "opcode" in exc.problem else p.STATUS_INVALID_LENGTH
            self._respond(data[0] if data else 0, code)
            return
        if cmd.opcode == p.OP_SET_CONFIG:
            odr, rng, batch = cmd.params
            if odr >= len(p.ODR_HZ) or rng >= len(p.RANGE_G) or p.ODR_HZ[odr] not in LRM_OPEN_RATES_HZ:
                self._respond(cmd.opcode, p.STATUS_INVALID_PARAMETER)
                return
            if self.streaming:
                self._respond(cmd.opcode, p.STATUS_INVALID_STATE)
                return
            self.odr_code, self.range_code, self.batch_ms = odr, rng, max(20, batch)
            self.rate_hz = p.ODR_HZ[odr]
            self._respond(cmd.opcode, p.STATUS_SUCCESS, (odr, rng, self.batch_ms))
        elif cmd.opcode == p.OP_START:
            self._session = random.Random(self.rng.random()).randrange(1, 0xFFFF)
            self._new_session, self._since_anchor = True, self.ANCHOR_EVERY
            self.start_stream()
            self._respond(cmd.opcode, p.STATUS_SUCCESS, (self._session,))
        elif cmd.opcode == p.OP_STOP:
            self.stop_stream()
            self._respond(cmd.opcode, p.STATUS_SUCCESS)
        elif cmd.opcode == p.OP_TIME_SYNC:
            k = int((self.tb.time() - self.power_on_s) * self.fs_true)
            self._respond(cmd.opcode, p.STATUS_SUCCESS, (self._tick(k), k & 0xFFFFFFFF))
        else:
            self._respond(cmd.opcode, p.STATUS_SUCCESS)

    def _status_bytes(self) -> bytes:
        p = self._p
        mtu = self.link.mtu if self.link else 23
        return p.encode_status(p.Status(
            battery_pct=self.battery_pct(), battery_mv=3600 + 6 * self.battery_pct(), errors=0, buffer_fill_pct=0,
            streaming=self.streaming, dropped_samples=self.dropped_samples & 0xFFFFFFFF,
            uptime_s=int(self.tb.time() - self.power_on_s), mtu=mtu, session_id=self._session))

    def _info_bytes(self) -> bytes:
        p = self._p
        mtu = self.link.mtu if self.link else 23
        odr_mask = sum(1 << k for k, hz in enumerate(p.ODR_HZ) if hz in LRM_OPEN_RATES_HZ)
        return p.encode_info(p.Info(imu_part=1, firmware_version=0x0100, tick_hz=self.TICK_HZ, odr_mask=odr_mask,
                                    range_mask=0b1111, max_samples=self._full_capacity(mtu), fifo_samples=1024))

    # -- packets -----------------------------------------------------------------------------------------
    def _tick(self, k: int) -> int:
        return int(round(self.device_time_s(k) * self.TICK_HZ)) & 0xFFFFFFFF

    def _full_capacity(self, mtu: int) -> int:
        return max(0, (mtu - 3 - self._p.FULL_HEADER) // self._p.SAMPLE_BYTES)

    def samples_per_packet(self, mtu: int) -> int:
        cap = self._full_capacity(mtu)
        if cap < 1:
            return self._p.COMPACT_SAMPLES
        return int(max(1, min(cap, round(self.rate_hz * self.batch_ms / 1000.0))))

    def encode(self, k: int, accel_g: npt.NDArray[np.float32]) -> list[bytes]:
        p = self._p
        xyz = _counts(accel_g, p.RANGE_G[self.range_code] / 32768.0)
        flags = p.FLAG_NEW_SESSION if self._new_session else 0
        if self.battery_pct() < 15:
            flags |= p.FLAG_LOW_BATTERY
        self._new_session = False
        common = dict(odr_code=self.odr_code, range_code=self.range_code)
        out: list[bytes] = []
        if self.link is not None and self._full_capacity(self.link.mtu) >= 1:
            out.append(p.encode_data(p.DataPacket(seq=self._next_seq(), sample_index=k, xyz=xyz, tick=self._tick(k),
                                                  session_id=self._session, flags=flags, **common)))
            return out
        if self._since_anchor >= self.ANCHOR_EVERY:          # MTU 23: a time anchor, then compact packets
            out.append(p.encode_data(p.DataPacket(seq=self._next_seq(), sample_index=k,
                                                  xyz=np.zeros((0, 3), np.int16), tick=self._tick(k),
                                                  session_id=self._session, flags=flags, **common)))
            self._since_anchor = 0
        self._since_anchor += 1
        out.append(p.encode_data(p.DataPacket(seq=self._next_seq(), sample_index=k, xyz=xyz,
                                              packet_type=p.TYPE_COMPACT, **common)))
        return out

    def _next_seq(self) -> int:
        self._seq = (self._seq + 1) & 0xFFFF
        return self._seq


def _families() -> dict[str, type[VirtualSensor]]:
    from lrm.ble.virtual.movesense import MovesenseSensor
    from lrm.ble.virtual.polar import PolarH10, PolarOH1, PolarVeritySense
    from lrm.ble.virtual.thingy52 import Thingy52Sensor
    from lrm.ble.virtual.witmotion import WitMotionSensor

    return {"lrm-open": LrmOpenSensor, "polar": PolarVeritySense, "polar-oh1": PolarOH1, "polar-h10": PolarH10,
            "movesense": MovesenseSensor, "witmotion": WitMotionSensor, "thingy52": Thingy52Sensor}


FAMILIES: dict[str, type[VirtualSensor]] = _families()
"""Virtual sensor classes by the name ``lrm record --simulate --sensor`` takes."""

# (advertised name, address) templates per family; {s} is a per-sensor serial (16 bits), realistic prefixes:
# Polar Electro's OUI A0:9E:1A, Suunto/Movesense 0C:8C:DC, random static addresses for the others
_IDENTITY = {
    "lrm-open": ("LRM-Ankle-{s:04X}", "C0:FF:EE:{i:02X}:{hi:02X}:{lo:02X}"),
    "polar": ("Polar Sense B5E2{s:04X}", "A0:9E:1A:B5:{hi:02X}:{lo:02X}"),
    "polar-oh1": ("Polar OH1 7C10{s:04X}", "A0:9E:1A:7C:{hi:02X}:{lo:02X}"),
    "polar-h10": ("Polar H10 9A3C{s:04X}", "A0:9E:1A:9A:{hi:02X}:{lo:02X}"),
    "movesense": ("Movesense 2130300{s:05d}", "0C:8C:DC:30:{hi:02X}:{lo:02X}"),
    "witmotion": ("WT901BLE{lo:02X}", "E4:{i:02X}:5B:3A:{hi:02X}:{lo:02X}"),
    "thingy52": ("Thingy-{s:04X}", "D2:{i:02X}:52:A1:{hi:02X}:{lo:02X}"),
}


def _identity(family: str, side_index: int) -> tuple[str, str]:
    serial = 0x3F2A + 0x111 * side_index
    name, address = _IDENTITY[family]
    fields = {"s": serial, "i": side_index, "hi": serial >> 8, "lo": serial & 0xFF}
    return name.format(**fields), address.format(**fields)


def advertised_name(family: str, side_index: int = 0) -> str:
    """The name the virtual ``family`` sensor number ``side_index`` advertises.

    >>> advertised_name("polar"), advertised_name("thingy52", 1)
    ('Polar Sense B5E23F2A', 'Thingy-403B')
    """
    if family not in FAMILIES:
        raise ValueError(f"no virtual sensor for family {family!r}; known: {', '.join(FAMILIES)}")
    return _identity(family, side_index)[0]


def make_sensor(family: str, *, side_index: int = 0, **kwargs: object) -> VirtualSensor:
    """A virtual sensor of ``family`` (a key of ``FAMILIES``) with a realistic name and address
    (``side_index`` makes them unique).

    Keyword arguments go to :class:`~lrm.ble.virtual.sensor.VirtualSensor` (``source_g``, ``timebase``,
    ``faults``, ``power_on_s``, ``rate_hz``, ...).

    >>> make_sensor("movesense", source_g=[[0.0, 0.0, 1.0]]).name
    'Movesense 213030016170'
    """
    if family not in FAMILIES:
        raise ValueError(f"no virtual sensor for family {family!r}; known: {', '.join(FAMILIES)}")
    name, address = _identity(family, side_index)
    kwargs.setdefault("name", name)
    kwargs.setdefault("address", address)
    return FAMILIES[family](**kwargs)  # type: ignore[arg-type]


def streamed_rate_hz(family: str, rate_hz: float | None, range_g: float | None = None) -> float:
    """The rate (Hz) a virtual sensor of ``family`` really streams when ``rate_hz`` is asked for.

    A simulated night must be generated at this rate: the lrm-open driver learns the sensor's rates at
    connection and picks the nearest (50 Hz asked -> 52 Hz), so a night simulated at 50 Hz and streamed at
    52 Hz would play 4 % fast. Raises the driver's UnsupportedSettingError for a rate it cannot set.

    >>> streamed_rate_hz("lrm-open", 50.0), streamed_rate_hz("lrm-open", None)
    (52.0, 52.0)
    """
    from lrm.ble.drivers import driver_for
    from lrm.ble.drivers.base import choose_setting

    driver = driver_for(advertised_name(family, 0), None)(rate_hz=rate_hz, range_g=range_g)  # type: ignore[misc]
    rate = float(driver.rate_hz)
    if family == "lrm-open":
        rate = choose_setting(driver.display_name, "rate", rate, LRM_OPEN_RATES_HZ, rate, "Hz", driver.rate_tolerance)
    return rate
