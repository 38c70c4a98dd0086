"""The virtual backend through bleak's real BleakScanner/BleakClient: adverts, GATT rules, MTU, faults."""

from __future__ import annotations

import asyncio

import numpy as np
import pytest
from bleak import BleakClient, BleakScanner
from bleak.exc import BleakError

from lrm.ble.drivers import driver_for
from lrm.ble.protocols import lrm_open as p
from lrm.ble.timebase import SimulatedTime
from lrm.ble.virtual.backend import VirtualBleakClient, VirtualBleakScanner, VirtualRadio
from lrm.ble.virtual.faults import Faults, FaultSyntaxError, parse_faults
from lrm.ble.virtual.families import make_sensor

SRC = np.tile(np.float32([[0.0, 0.0, 1.0]]), (100, 1))


def _radio(**faults):
    tb = SimulatedTime(start_wall_s=1.7e9)
    radio = VirtualRadio(tb)
    sensor = radio.add(make_sensor("lrm-open", source_g=SRC, timebase=tb, faults=Faults(**faults)))
    return tb, radio, sensor


def test_scanner_sees_a_supported_sensor():
    tb, radio, sensor = _radio()
    found = tb.run(BleakScanner.discover(1.0, return_adv=True, backend=VirtualBleakScanner, radio=radio))
    device, adv = found[sensor.address]
    assert device.name == sensor.name and p.SERVICE_UUID in adv.service_uuids
    assert driver_for(adv.local_name, adv).family == "lrm-open"


def test_gatt_semantics_and_mtu():
    tb, radio, sensor = _radio(mtu=23)

    async def main():
        got = []
        async with BleakClient(sensor.address, backend=VirtualBleakClient, radio=radio) as client:
            assert client.mtu_size == 23
            with pytest.raises(BleakError, match="not readable"):
                await client.read_gatt_char(p.DATA_UUID)
            with pytest.raises(BleakError, match="write-without-response"):
                await client.write_gatt_char(p.CONTROL_UUID, b"\x02", response=False)
            assert sensor.link.notify(sensor.data_char, b"x" * 20) is False      # not subscribed: nothing sent
            with pytest.raises(ValueError, match="does not fit ATT MTU 23"):
                sensor.link.notify(sensor.data_char, b"x" * 21)
            await client.start_notify(p.DATA_UUID, lambda _c, d: got.append(bytes(d)))
            assert sensor.link.notify(sensor.data_char, b"y" * 20)
            await asyncio.sleep(0.1)
        return got

    assert tb.run(main()) == [b"y" * 20]


def test_drop_refuse_and_disconnected_callback():
    tb, radio, sensor = _radio(disconnects=((5.0, 3.0),), refuse_reconnects=1)

    async def main():
        lost = asyncio.Event()
        async with BleakClient(sensor.address, backend=VirtualBleakClient, radio=radio,
                               disconnected_callback=lambda _c: lost.set()) as client:
            await client.start_notify(p.DATA_UUID, lambda _c, d: None)
            await client.write_gatt_char(p.CONTROL_UUID, p.encode_command(p.Command(p.OP_START)), response=True)
            await asyncio.wait_for(lost.wait(), 20)
            assert not client.is_connected
        with pytest.raises(TimeoutError):                         # out of range until t = 8 s
            await BleakClient(sensor.address, backend=VirtualBleakClient, radio=radio, timeout=1).connect()
        await asyncio.sleep(5)
        with pytest.raises(BleakError, match="abort"):          # then one refused attempt
            await BleakClient(sensor.address, backend=VirtualBleakClient, radio=radio).connect()
        client = BleakClient(sensor.address, backend=VirtualBleakClient, radio=radio)
        await client.connect()
        assert client.is_connected
        await client.disconnect()

    tb.run(main())
    assert sensor.refused == 1 and sensor.connections == 2


def test_fault_syntax():
    plan = parse_faults("disconnect@600+45,stall@100+5,drop=0.01,right:mtu=23")
    assert plan["left"].stalls == ((100.0, 5.0),) and plan["left"].mtu is None and plan["right"].mtu == 23
    with pytest.raises(FaultSyntaxError, match="cannot parse"):
        parse_faults("explode@3")
    plan = parse_faults("left:odr=-1.5,left:sensorstop@900,right:odr=+2%")
    assert (plan["left"].odr_error_pct, plan["right"].odr_error_pct) == (-1.5, 2.0)
    assert plan["left"].sensor_stops == (900.0,) and plan["right"].sensor_stops == ()
    with pytest.raises(FaultSyntaxError, match="odr must be"):
        parse_faults("odr=25")
