"""Drivers for Polar sensors over PMD (PROTOCOLS.md §A1): Verity Sense, OH1 and H10.

Start sequence: indications on the PMD control point and notifications on PMD data (the sensor refuses
commands otherwise) -> GET_MEASUREMENT_SETTINGS for ACC (``01 02``) to check the requested rate and
range against what this unit offers -> START (``02 02`` + settings TLVs) -> the FACTOR from the start
response goes into the decoder. Polar stops the stream when the link drops, so it is started again on
every connection; the H10 keeps streaming if not told to stop, so :meth:`stop` always sends ``03 02``.
The sensor may also end the stream itself ("online measurement stopped", ``01 02`` indicated on the control
point: charger, low battery, button): :attr:`ended` is set and the recorder reconnects and starts again.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import TYPE_CHECKING, Any, ClassVar

from lrm.ble.drivers.base import (
    Driver, DriverError, OnPacket, StreamInfo, choose_setting, client_mtu, safe_stop_notify,
)
from lrm.ble.protocols import polar_pmd as p

if TYPE_CHECKING:
    from bleak import BleakClient

__all__ = ["PolarDriver", "PolarVeritySenseDriver", "PolarOH1Driver", "PolarH10Driver"]

log = logging.getLogger(__name__)
RESPONSE_TIMEOUT_S = 10.0   # as bleakheart: the Verity Sense can take seconds to answer a start


class PolarDriver(Driver):
    """Shared PMD logic; the subclasses carry each model's rates, ranges and name."""

    family = p.FAMILY
    service_uuids: ClassVar[tuple[str, ...]] = ()   # PMD is not advertised: recognised by name
    start_settings_order: ClassVar[tuple[int, ...]] = (p.SAMPLE_RATE, p.RESOLUTION, p.RANGE, p.CHANNELS)

    def __init__(self, *, rate_hz: float | None = None, range_g: float | None = None) -> None:
        super().__init__(rate_hz=rate_hz, range_g=range_g)
        self.factor: float | None = None

    def decoder_config(self) -> dict[str, Any]:
        return {"rate_hz": self.rate_hz, "factor": self.factor}

    async def start(self, client: BleakClient, on_packet: OnPacket) -> StreamInfo:
        responses: asyncio.Queue[bytes] = asyncio.Queue()
        self.ended.clear()

        def on_cp(_char: object, data: bytearray) -> None:
            stopped = p.parse_stopped(data)
            if stopped is None:
                responses.put_nowait(bytes(data))
            elif p.MEAS_ACC in stopped:           # the sensor ended the ACC stream itself (SDK: BleOnlineStreamClosed)
                log.warning("%s: the sensor stopped the measurement (%s)", self.display_name, bytes(data).hex(" "))
                self.ended.set()

        await client.start_notify(p.CP_UUID, on_cp)
        await client.start_notify(p.DATA_UUID, lambda _c, data: on_packet(bytes(data)))
        offered = p.parse_settings(await self._request(client, responses, p.encode_get_settings(), p.OP_GET_SETTINGS))
        self._check_offered(offered)
        settings = {p.SAMPLE_RATE: int(self.rate_hz), p.RESOLUTION: 16, p.RANGE: int(self.range_g), p.CHANNELS: 3}
        request = p.encode_start([(k, settings[k]) for k in self.start_settings_order if k in offered or k != p.CHANNELS])
        try:
            params = await self._request(client, responses, request, p.OP_START)
        except _AlreadyStreaming:
            await self._request(client, responses, p.encode_stop(), p.OP_STOP)
            params = await self._request(client, responses, request, p.OP_START)
        self.factor = self._factor_from(params)
        return self.stream_info(p.DATA_UUID, client_mtu(client))

    def _factor_from(self, params: bytes) -> float | None:
        """FACTOR (g per count) from start-response parameters; the H10 replies with a lone ``01`` byte."""
        try:
            factor = p.parse_settings(params).get(p.FACTOR)
        except p.MalformedPacket:
            log.debug("%s: start response parameters %s carry no settings", self.display_name, params.hex(" "))
            return None
        return float(factor[0]) if factor and factor[0] > 0 else None

    def _check_offered(self, offered: dict[int, tuple[float, ...]]) -> None:
        """Re-validate rate and range against what this unit reported (firmware versions differ)."""
        if offered.get(p.SAMPLE_RATE):
            rates = tuple(float(r) for r in offered[p.SAMPLE_RATE])
            self.rate_hz = choose_setting(self.display_name, "rate", self.rate_hz, rates, self.rate_hz, "Hz",
                                          self.rate_tolerance)
        if offered.get(p.RANGE):
            ranges = tuple(float(r) for r in offered[p.RANGE])
            self.range_g = choose_setting(self.display_name, "range", self.range_g, ranges, self.range_g, "g")

    async def _request(self, client: BleakClient, responses: asyncio.Queue[bytes], request: bytes, op: int) -> bytes:
        """Write a CP request and return the (joined) parameters of its successful response."""
        await client.write_gatt_char(p.CP_UUID, request, response=True)
        params, loop = b"", asyncio.get_running_loop()
        deadline = loop.time() + RESPONSE_TIMEOUT_S
        while True:
            try:
                raw = await asyncio.wait_for(responses.get(), max(deadline - loop.time(), 0.0))
            except TimeoutError:
                raise DriverError(self.display_name, f"no control-point response to {request.hex(' ')} within "
                                  f"{RESPONSE_TIMEOUT_S:g} s", "disconnect the Polar app/phone, then retry") from None
            if not raw or raw[0] != p.CP_RESPONSE:
                continue                          # not a response
            try:
                resp = p.parse_cp_response(raw)
            except p.MalformedPacket as exc:
                log.warning("%s: ignoring malformed CP response: %s", self.display_name, exc)
                continue
            if resp.op_code != op:
                continue
            if resp.status == 6 and op == p.OP_START:     # ALREADY_IN_STATE
                raise _AlreadyStreaming()
            if resp.status != 0:
                raise DriverError(self.display_name, f"control point refused {request.hex(' ')}: {resp.status_name}",
                                  _fix_for(resp.status))
            params += resp.params
            if not resp.more:
                return params

    async def stop(self, client: BleakClient) -> None:
        try:
            if client.is_connected:
                await client.write_gatt_char(p.CP_UUID, p.encode_stop(), response=True)
        except Exception as exc:  # noqa: BLE001 - stop must not raise on a dying link
            log.debug("%s: stop failed: %s", self.display_name, exc)
        await safe_stop_notify(client, p.DATA_UUID)
        await safe_stop_notify(client, p.CP_UUID)


class _AlreadyStreaming(Exception):
    pass


def _fix_for(status: int) -> str:
    if status == 13:
        return "take the sensor off its charger"
    if status in (8, 9, 7):
        return "choose a --rate/--range listed by 'lrm scan --details' for this sensor"
    return "power-cycle the sensor (or re-pair it) and try again"


class PolarVeritySenseDriver(PolarDriver):
    """Polar Verity Sense: 52 Hz, ±8 g, delta-compressed frames scaled by FACTOR."""

    display_name = "Polar Verity Sense"
    rates_hz = (52.0,)
    ranges_g = (8.0,)
    default_rate_hz, default_range_g = 52.0, 8.0
    name_patterns = (re.compile(r"^Polar (Verity )?Sense\b"),)
    start_settings_order = (p.SAMPLE_RATE, p.RESOLUTION, p.RANGE, p.CHANNELS)


class PolarOH1Driver(PolarDriver):
    """Polar OH1 / OH1+: 50 Hz, ±8 g."""

    display_name = "Polar OH1"
    rates_hz = (50.0,)
    ranges_g = (8.0,)
    default_rate_hz, default_range_g = 50.0, 8.0
    name_patterns = (re.compile(r"^Polar OH1\b"),)


class PolarH10Driver(PolarDriver):
    """Polar H10: 25/50/100/200 Hz, ±2/4/8 g, raw int16 mG frames."""

    display_name = "Polar H10"
    rates_hz = (25.0, 50.0, 100.0, 200.0)
    ranges_g = (2.0, 4.0, 8.0)
    default_rate_hz, default_range_g = 50.0, 8.0
    name_patterns = (re.compile(r"^Polar H10\b"),)
    start_settings_order = (p.RANGE, p.SAMPLE_RATE, p.RESOLUTION)
    warnings = (
        "Polar H10 drops its Bluetooth link about 45 s after it leaves its chest strap: strap it to the "
        "ankle with its own strap and slightly moistened electrodes, or prefer a Verity Sense",
    )
