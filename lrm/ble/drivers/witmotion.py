"""Driver for WitMotion BLE 5.0 IMUs (WT901BLECL, BWT901BLE5.0, WT9011DCL; PROTOCOLS.md §A3).

Start: notifications on ``ffe4`` (vendor base ``...9a34fb``), then unlock (``FF AA 69 88 B5``) and set the
output rate (register 0x03); the setting is not saved to flash. Frames carry no timestamp or counter, so
samples are timed on the host (see :mod:`lrm.ble.protocols.witmotion` for the uncertainty).
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

from lrm.ble.drivers.base import Driver, OnPacket, StreamInfo, client_mtu, safe_stop_notify
from lrm.ble.protocols import witmotion as p

if TYPE_CHECKING:
    from bleak import BleakClient

__all__ = ["WitMotionDriver"]

log = logging.getLogger(__name__)


class WitMotionDriver(Driver):
    """WitMotion WT901BLE family: acceleration always scaled to ±16 g, 10-200 Hz output."""

    family = p.FAMILY
    display_name = "WitMotion WT901BLE"
    rates_hz = (10.0, 50.0, 100.0, 200.0)
    ranges_g = (16.0,)
    default_rate_hz, default_range_g = 50.0, 16.0
    name_patterns = (re.compile(r"^(B?WT9|WT\d{3,})", re.IGNORECASE),)
    service_uuids = (p.SERVICE_UUID,)
    has_device_clock = False
    warnings = ("WitMotion frames carry no timestamps or counters: samples are timed on arrival "
                "(about ±50 ms) and lost notifications cannot be counted exactly",)

    async def start(self, client: BleakClient, on_packet: OnPacket) -> StreamInfo:
        await client.start_notify(p.NOTIFY_UUID, lambda _c, data: on_packet(bytes(data)))
        for command in (p.encode_unlock(), p.encode_set_rate(self.rate_hz)):
            await client.write_gatt_char(p.WRITE_UUID, command, response=True)
        return self.stream_info(p.NOTIFY_UUID, client_mtu(client))

    async def stop(self, client: BleakClient) -> None:
        await safe_stop_notify(client, p.NOTIFY_UUID)
