"""Driver for DIY sensors running the lrm open protocol (``firmware_protocol/SPEC.md``).

Start sequence: read INFO (tick rate, supported rates/ranges) -> indications on CONTROL, notifications on
DATA -> SET_CONFIG(rate, range, batch) -> TIME_SYNC -> START. Every control write is answered by an
indication ``[0x80, opcode, status, ...]``; a non-success status raises :class:`DriverError`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from typing import TYPE_CHECKING, Any

from lrm.ble.drivers.base import (
    Driver, DriverError, OnPacket, StreamInfo, choose_setting, client_mtu, safe_stop_notify,
)
from lrm.ble.protocols import lrm_open as p

if TYPE_CHECKING:
    from bleak import BleakClient
    from bleak.backends.scanner import AdvertisementData

__all__ = ["LrmOpenDriver"]

log = logging.getLogger(__name__)
RESPONSE_TIMEOUT_S = 5.0
MANUFACTURER_ID = 0xFFFF            # SIG "no company / testing" id; payload b"lrm" + protocol version
BATCH_MS = 500


class LrmOpenDriver(Driver):
    """Seeed XIAO nRF52840 Sense / Arduino Nano 33 BLE with the lrm reference firmware."""

    family = p.FAMILY
    display_name = "lrm open sensor (DIY)"
    rates_hz = tuple(sorted(set(p.ODR_HZ)))
    ranges_g = p.RANGE_G
    default_rate_hz = 52.0
    default_range_g = 8.0
    name_patterns = (re.compile(r"^LRM[-_ ]", re.IGNORECASE),)
    service_uuids = (p.SERVICE_UUID,)

    def __init__(self, *, rate_hz: float | None = None, range_g: float | None = None) -> None:
        super().__init__(rate_hz=rate_hz, range_g=range_g)
        self._requested_rate_hz = rate_hz
        self._tick_hz = 32768
        self.time_sync: tuple[int, int, int] | None = None   # (host Unix ns at write, device tick, sample index)
        self.session_id: int | None = None

    @classmethod
    def matches(cls, name: str | None, adv: AdvertisementData | None) -> bool:
        if adv is not None and adv.manufacturer_data.get(MANUFACTURER_ID, b"")[:3] == b"lrm":
            return True
        return super().matches(name, adv)

    def decoder_config(self) -> dict[str, Any]:
        return {"tick_hz": float(self._tick_hz), "rate_hz": self.rate_hz}

    async def start(self, client: BleakClient, on_packet: OnPacket) -> StreamInfo:
        info = p.parse_info(await client.read_gatt_char(p.INFO_UUID))
        self._tick_hz = info.tick_hz
        if info.rates_hz:   # the firmware's own list decides (an LSM6DS3 has 52/104 Hz, not 50/100)
            self.rate_hz = choose_setting(self.display_name, "rate", self._requested_rate_hz or self.rate_hz,
                                          info.rates_hz, self.rate_hz, "Hz", self.rate_tolerance)
        if info.ranges_g:
            self.range_g = choose_setting(self.display_name, "range", self.range_g, info.ranges_g, self.range_g, "g")
        responses: asyncio.Queue[bytes] = asyncio.Queue()
        await client.start_notify(p.CONTROL_UUID, lambda _c, data: responses.put_nowait(bytes(data)))
        await client.start_notify(p.DATA_UUID, lambda _c, data: on_packet(bytes(data)))
        await self._command(client, responses, p.Command(p.OP_SET_CONFIG, (
            p.odr_code_for(self.rate_hz), p.range_code_for(self.range_g), BATCH_MS)))
        host_ns = time.time_ns()
        sync = await self._command(client, responses, p.Command(p.OP_TIME_SYNC, (host_ns // 1000,)))
        if len(sync.params) == 2:
            self.time_sync = (host_ns, sync.params[0], sync.params[1])
        started = await self._command(client, responses, p.Command(p.OP_START))
        self.session_id = started.params[0] if started.params else None
        return self.stream_info(p.DATA_UUID, client_mtu(client))

    async def _command(self, client: BleakClient, responses: asyncio.Queue[bytes], cmd: p.Command) -> p.Response:
        await client.write_gatt_char(p.CONTROL_UUID, p.encode_command(cmd), response=True)
        deadline = asyncio.get_running_loop().time() + RESPONSE_TIMEOUT_S
        while True:
            remaining = deadline - asyncio.get_running_loop().time()
            try:
                raw = await asyncio.wait_for(responses.get(), max(remaining, 0.0))
            except TimeoutError:
                raise DriverError(self.display_name, f"no response to control opcode {cmd.opcode:#04x} "
                                  f"within {RESPONSE_TIMEOUT_S:g} s") from None
            try:
                resp = p.parse_response(raw)
            except p.MalformedPacket as exc:
                log.warning("%s: ignoring malformed control response: %s", self.display_name, exc)
                continue
            if resp.opcode != cmd.opcode:
                continue
            if resp.status != p.STATUS_SUCCESS:
                name = p.STATUS_NAMES[resp.status] if resp.status < len(p.STATUS_NAMES) else str(resp.status)
                raise DriverError(self.display_name, f"control opcode {cmd.opcode:#04x} failed: {name}",
                                  "check the firmware supports the requested --rate/--range, then power-cycle it")
            return resp

    async def stop(self, client: BleakClient) -> None:
        try:
            if client.is_connected:
                await client.write_gatt_char(p.CONTROL_UUID, p.encode_command(p.Command(p.OP_STOP)), response=True)
        except Exception as exc:  # noqa: BLE001 - stop must not raise on a dying link
            log.debug("%s: STOP failed: %s", self.display_name, exc)
        await safe_stop_notify(client, p.DATA_UUID)
        await safe_stop_notify(client, p.CONTROL_UUID)

    async def read_battery(self, client: BleakClient) -> int | None:
        level = await super().read_battery(client)
        if level is not None:
            return level
        try:
            status = p.parse_status(await client.read_gatt_char(p.STATUS_UUID))
        except Exception as exc:  # noqa: BLE001
            log.debug("%s: status read failed: %s", self.display_name, exc)
            return None
        return status.battery_pct if status.battery_pct <= 100 else None
