"""Driver for Movesense sensors over the GATT SensorData Protocol (PROTOCOLS.md §A2).

Start: notifications on the GSP data characteristic, then ``SUBSCRIBE /Meas/Acc/<rate>``. Movesense
drops every subscription when the link goes, so the recorder must run :meth:`start` again after each
reconnect (``resubscribe_on_reconnect``). Responses "are not guaranteed" by the protocol: a missing
subscribe result is accepted once data arrives.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING, Any

from lrm.ble.drivers.base import Driver, DriverError, OnPacket, StreamInfo, client_mtu, safe_stop_notify
from lrm.ble.protocols import movesense_gsp as p

if TYPE_CHECKING:
    from bleak import BleakClient

__all__ = ["MovesenseDriver"]

log = logging.getLogger(__name__)
RESPONSE_TIMEOUT_S = 5.0
REF = 99   # client-chosen subscription reference (1-255)


class MovesenseDriver(Driver):
    """Movesense sensor (firmware >= 2.3 with GSP, or Movesense MD)."""

    family = p.FAMILY
    display_name = "Movesense"
    rates_hz = (13.0, 26.0, 52.0, 104.0, 208.0)
    # GSP has no PUT for /Meas/Acc/Config; samples arrive in m/s², so decoding does not depend on the range,
    # which stays at the sensor's default (±8 g [3rd-party]).
    ranges_g = (8.0,)
    default_rate_hz, default_range_g = 52.0, 8.0
    name_patterns = (re.compile(r"^Movesense\b", re.IGNORECASE),)
    service_uuids = (p.SERVICE_UUID,)
    resubscribe_on_reconnect = True

    def decoder_config(self) -> dict[str, Any]:
        return {"rate_hz": self.rate_hz, "ref": REF}

    async def start(self, client: BleakClient, on_packet: OnPacket) -> StreamInfo:
        loop = asyncio.get_running_loop()
        result: asyncio.Future[int] = loop.create_future()

        def on_notify(_char: object, data: bytearray) -> None:
            payload = bytes(data)
            if payload[:1] == bytes([p.RESP_COMMAND_RESULT]) and len(payload) >= 4 and payload[1] == REF:
                if not result.done():
                    result.set_result(p.parse_command_result(payload)[1])
                return
            if payload[:1] in (bytes([p.RESP_DATA]), bytes([p.RESP_DATA_PART2])):
                if not result.done():
                    result.set_result(200)          # data is the answer when the result got lost
                on_packet(payload)

        await client.start_notify(p.DATA_UUID, on_notify)
        await client.write_gatt_char(p.COMMAND_UUID, p.encode_subscribe(REF, p.acc_path(self.rate_hz)), response=True)
        try:
            status = await asyncio.wait_for(result, RESPONSE_TIMEOUT_S)
        except TimeoutError:
            raise DriverError(self.display_name, f"no answer to SUBSCRIBE {p.acc_path(self.rate_hz)} within "
                              f"{RESPONSE_TIMEOUT_S:g} s", "check the sensor runs GSP firmware (>= 2.3)") from None
        if status >= 300:
            raise DriverError(self.display_name, f"SUBSCRIBE {p.acc_path(self.rate_hz)} failed with status {status}",
                              "no free subscription slot (507) or unsupported rate: power-cycle the sensor")
        return self.stream_info(p.DATA_UUID, client_mtu(client))

    async def stop(self, client: BleakClient) -> None:
        try:
            if client.is_connected:
                await client.write_gatt_char(p.COMMAND_UUID, p.encode_unsubscribe(REF), response=True)
        except Exception as exc:  # noqa: BLE001
            log.debug("%s: unsubscribe failed: %s", self.display_name, exc)
        await safe_stop_notify(client, p.DATA_UUID)
