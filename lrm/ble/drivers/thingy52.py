"""Driver for the Nordic Thingy:52 Motion Service raw stream (PROTOCOLS.md §A4).

Start: write the motion configuration (``motion_freq_hz`` = the rate, 5-200 Hz) keeping the other fields
as read, then enable notifications on raw data (which starts the sensor). One sample per notification,
no timestamps: samples are timed on the host.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from typing import TYPE_CHECKING

from lrm.ble.drivers.base import Driver, OnPacket, StreamInfo, client_mtu, safe_stop_notify
from lrm.ble.protocols import thingy52 as p

if TYPE_CHECKING:
    from bleak import BleakClient

__all__ = ["Thingy52Driver"]

log = logging.getLogger(__name__)


class Thingy52Driver(Driver):
    """Nordic Thingy:52 (MPU-9250; the firmware's accelerometer range is not configurable over BLE)."""

    family = p.FAMILY
    display_name = "Nordic Thingy:52"
    rates_hz = (10.0, 20.0, 25.0, 50.0, 100.0, 200.0)
    ranges_g = (2.0,)   # [inferred] MPU-9250 default full scale used by the Thingy firmware
    default_rate_hz, default_range_g = 50.0, 2.0
    name_patterns = (re.compile(r"^Thingy\b", re.IGNORECASE),)
    service_uuids = (p.CONFIGURATION_SERVICE_UUID, p.MOTION_SERVICE_UUID)
    has_device_clock = False
    warnings = ("Thingy:52 raw motion carries no timestamps: samples are timed on arrival (about ±50 ms), "
                "one notification per sample",)

    async def start(self, client: BleakClient, on_packet: OnPacket) -> StreamInfo:
        try:
            config = p.parse_config(await client.read_gatt_char(p.CONFIG_UUID))
        except p.MalformedPacket as exc:
            log.warning("%s: unexpected motion config (%s); writing defaults", self.display_name, exc)
            config = p.Config()
        config = dataclasses.replace(config, motion_freq_hz=int(self.rate_hz))
        await client.write_gatt_char(p.CONFIG_UUID, p.encode_config(config), response=True)
        await client.start_notify(p.RAW_UUID, lambda _c, data: on_packet(bytes(data)))
        return self.stream_info(p.RAW_UUID, client_mtu(client))

    async def stop(self, client: BleakClient) -> None:
        await safe_stop_notify(client, p.RAW_UUID)
