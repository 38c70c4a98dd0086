"""bleak backends over virtual sensors: pass them with bleak's own ``backend=`` parameter.

    radio = VirtualRadio(timebase)
    radio.add(PolarVeritySense(name="Polar Sense B5E2A31C", address="A0:9E:1A:B5:E2:31", source_g=acc))
    devices = await BleakScanner.discover(5.0, backend=VirtualBleakScanner, radio=radio)
    async with BleakClient(devices[0], backend=VirtualBleakClient, radio=radio) as client:
        ...

bleak's real ``BleakScanner``/``BleakClient`` front-ends are used unchanged (UUID normalisation,
callback wrapping, service lookup); only the platform layer underneath is virtual. Nothing is
monkeypatched. Like BlueZ, the client asks for a large ATT MTU (247) on connect; the sensor may cap it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, AdvertisementDataCallback, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError

from lrm.ble.timebase import REAL_TIME, Timebase
from lrm.ble.virtual.gatt import CCCD_UUID, AttError, VChar, VirtualLink
from lrm.ble.virtual.sensor import VirtualSensor

__all__ = ["VirtualRadio", "VirtualBleakClient", "VirtualBleakScanner", "CENTRAL_MTU"]

CENTRAL_MTU = 247          # what BlueZ/CoreBluetooth ask for on connect
ADVERTISING_INTERVAL_S = 0.1


class VirtualRadio:
    """The air between the virtual sensors and the host: who is there, on one timebase."""

    def __init__(self, timebase: Timebase = REAL_TIME) -> None:
        self.timebase = timebase
        self.sensors: dict[str, VirtualSensor] = {}

    def add(self, sensor: VirtualSensor) -> VirtualSensor:
        if sensor.tb is not self.timebase:
            raise ValueError("the sensor must use the radio's timebase")
        self.sensors[sensor.address.upper()] = sensor
        return sensor

    def find(self, address: str) -> VirtualSensor | None:
        return self.sensors.get(address.upper())

    async def close(self) -> None:
        """Drop every link and stop every stream (end of a test or of a simulated night)."""
        for sensor in self.sensors.values():
            if sensor.link is not None:
                sensor.link.drop("power off")
            sensor.stop_stream()


class VirtualBleakScanner(BaseBleakScanner):
    """Receives the advertisements of the radio's sensors every 100 ms (sensor time) while scanning."""

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: str = "active",
        *,
        radio: VirtualRadio,
        **kwargs: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self._radio = radio
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.seen_devices = {}
        self._task = asyncio.get_running_loop().create_task(self._receive())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _receive(self) -> None:
        while True:
            for sensor in list(self._radio.sensors.values()):
                if not sensor.advertising:
                    continue
                uuids, manufacturer = sensor.advertisement()
                if not self.is_allowed_uuid(uuids):
                    continue
                adv = AdvertisementData(
                    local_name=sensor.name, manufacturer_data=dict(manufacturer), service_data={},
                    service_uuids=list(uuids), tx_power=0,
                    rssi=int(sensor.rssi + sensor.rng.gauss(0.0, 2.0)), platform_data=(sensor,),
                )
                device = self.create_or_update_device(sensor.address, sensor.address, sensor.name, sensor, adv)
                self.call_detection_callbacks(device, adv)
            await asyncio.sleep(ADVERTISING_INTERVAL_S)


class VirtualBleakClient(BaseBleakClient):
    """A bleak client backend connected through a :class:`VirtualRadio` (keyword ``radio=``)."""

    def __init__(
        self,
        address_or_ble_device: BLEDevice | str,
        *,
        radio: VirtualRadio,
        disconnected_callback: Callable[[], None] | None = None,
        timeout: float = 10.0,
        mtu: int = CENTRAL_MTU,
        **kwargs: Any,
    ) -> None:
        super().__init__(address_or_ble_device, disconnected_callback=disconnected_callback, timeout=timeout)
        self._radio = radio
        self._link: VirtualLink | None = None
        self._sensor: VirtualSensor | None = None
        self._requested_mtu = mtu
        self._intentional = False

    # -- connection ---------------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        sensor = self._radio.find(self.address)
        return sensor.name if sensor else self.address

    @property
    def mtu_size(self) -> int:
        return self._link.mtu if self._link is not None else 23

    @property
    def is_connected(self) -> bool:
        return self._link is not None and self._link.connected

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        sensor = self._radio.find(self.address)
        if sensor is None:
            raise BleakDeviceNotFoundError(self.address, f"Device with address {self.address} was not found.")
        tb = self._radio.timebase
        await asyncio.sleep(0.05)  # connection establishment takes a few connection events
        verdict = sensor.connection_request()
        if verdict == "unreachable":
            await asyncio.sleep(min(self._timeout, 10.0))
            raise TimeoutError(f"connecting to {self.address} timed out")
        if verdict == "refused":
            raise BleakError(f"{self.address}: le-connection-abort-by-local")
        self._intentional = False
        self._link = VirtualLink(sensor, min(self._requested_mtu, sensor.max_mtu), self._on_lost, rng=sensor.rng)
        self._sensor = sensor
        sensor.attach(self._link)
        self.services = self._discover(sensor)

    def _discover(self, sensor: VirtualSensor) -> BleakGATTServiceCollection:
        coll = BleakGATTServiceCollection()
        for vs in sensor.services:
            service = BleakGATTService(vs, vs.handle, vs.uuid)
            coll.add_service(service)
            for vc in vs.characteristics:
                char = BleakGATTCharacteristic(
                    vc, vc.handle, vc.uuid, list(vc.properties), lambda: self.mtu_size - 3, service
                )
                coll.add_characteristic(char)
                if vc.notifies:
                    coll.add_descriptor(BleakGATTDescriptor(vc, vc.cccd_handle, CCCD_UUID, char))
        return coll

    def _on_lost(self, reason: str) -> None:
        if self._sensor is not None:
            self._sensor.detach()
        self._link = None
        if self._disconnected_callback is not None and not self._intentional:
            asyncio.get_running_loop().call_soon(self._disconnected_callback)

    async def disconnect(self) -> None:
        self._intentional = True
        if self._link is not None:
            self._link.close()
            self._link = None
        if self._sensor is not None:
            self._sensor.detach()
            self._sensor = None
        await asyncio.sleep(0)

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError("virtual sensors do not pair (none of the supported sensors needs it)")

    async def unpair(self) -> None:
        raise NotImplementedError("virtual sensors do not pair")

    # -- GATT ---------------------------------------------------------------------------------------------
    def _require_link(self) -> VirtualLink:
        if self._link is None or not self._link.connected:
            raise BleakError("Not connected")
        return self._link

    async def read_gatt_char(self, characteristic: BleakGATTCharacteristic, **kwargs: Any) -> bytearray:
        try:
            return bytearray(await self._require_link().read(characteristic.obj))
        except AttError as exc:
            raise BleakError(str(exc)) from None

    async def read_gatt_descriptor(self, descriptor: BleakGATTDescriptor, **kwargs: Any) -> bytearray:
        link = self._require_link()
        vc: VChar = descriptor.obj
        return bytearray((1 if link.is_subscribed(vc) else 0).to_bytes(2, "little"))

    async def write_gatt_char(self, characteristic: BleakGATTCharacteristic, data: Any, response: bool) -> None:
        try:
            await self._require_link().write(characteristic.obj, bytes(data), response)
        except AttError as exc:
            raise BleakError(str(exc)) from None

    async def write_gatt_descriptor(self, descriptor: BleakGATTDescriptor, data: Any) -> None:
        raise BleakError("virtual sensors have no writable descriptors besides the CCCD (use start_notify)")

    async def start_notify(self, characteristic: BleakGATTCharacteristic, callback: Callable[[bytearray], None], **kwargs: Any) -> None:
        link = self._require_link()
        vc: VChar = characteristic.obj
        if not vc.notifies:
            raise BleakError(f"characteristic {vc.uuid} does not support notifications or indications")
        link.subscribe(vc, callback)
        hook = getattr(link.peripheral, "on_subscribe", None)
        if hook is not None:
            hook(vc, True)

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        link = self._require_link()
        vc: VChar = characteristic.obj
        link.unsubscribe(vc)
        hook = getattr(link.peripheral, "on_subscribe", None)
        if hook is not None:
            hook(vc, False)
