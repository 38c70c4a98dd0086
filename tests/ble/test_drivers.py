"""Drivers: recognition from realistic advertisements, settings validation, and the start/stop byte
sequences against a tiny scripted fake client (a test double used only here)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import numpy as np
import pytest
from bleak.backends.scanner import AdvertisementData

from lrm.ble.drivers import DRIVERS, DriverError, UnsupportedSettingError, driver_for
from lrm.ble.drivers.base import BATTERY_LEVEL_UUID
from lrm.ble.drivers.lrm_open import LrmOpenDriver
from lrm.ble.drivers.movesense import MovesenseDriver
from lrm.ble.drivers.polar import PolarH10Driver, PolarOH1Driver, PolarVeritySenseDriver
from lrm.ble.drivers.thingy52 import Thingy52Driver
from lrm.ble.drivers.witmotion import WitMotionDriver
from lrm.ble.protocols import lrm_open, make_decoder, movesense_gsp, polar_pmd, thingy52, witmotion


def adv(name: str | None = None, uuids: tuple[str, ...] = (), mfr: dict[int, bytes] | None = None) -> AdvertisementData:
    return AdvertisementData(local_name=name, manufacturer_data=mfr or {}, service_data={},
                             service_uuids=list(uuids), tx_power=None, rssi=-60, platform_data=())


# -- recognition ------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("name", "advert", "expected"), [
    ("Polar Sense 0A1B2C3D", adv("Polar Sense 0A1B2C3D", ("0000180d-0000-1000-8000-00805f9b34fb",)),
     PolarVeritySenseDriver),
    ("Polar H10 12345678", adv("Polar H10 12345678", ("0000180d-0000-1000-8000-00805f9b34fb",),
                               {0x006B: b"\x33\x1e\x3f"}), PolarH10Driver),
    ("Polar OH1 A1B2C3D4", None, PolarOH1Driver),
    ("Movesense 174630000192", adv("Movesense 174630000192", (movesense_gsp.SERVICE_UUID,)), MovesenseDriver),
    (None, adv(None, (movesense_gsp.SERVICE_UUID,)), MovesenseDriver),
    ("WT901BLE67", adv("WT901BLE67", (witmotion.SERVICE_UUID,)), WitMotionDriver),
    ("WT9011DCL-BT50", adv("WT9011DCL-BT50"), WitMotionDriver),
    ("Thingy", adv("Thingy", (thingy52.CONFIGURATION_SERVICE_UUID,)), Thingy52Driver),
    ("LRM-Ankle-3F2A", adv("LRM-Ankle-3F2A", (lrm_open.SERVICE_UUID,), {0xFFFF: b"lrm\x01"}), LrmOpenDriver),
    (None, adv(None, (), {0xFFFF: b"lrm\x01"}), LrmOpenDriver),
    ("XIAO nRF52840", adv("XIAO nRF52840", (lrm_open.SERVICE_UUID.upper(),)), LrmOpenDriver),
])
def test_driver_for_recognises_each_family(name, advert, expected):
    assert driver_for(name, advert) is expected


@pytest.mark.parametrize(("name", "advert"), [
    ("JBL Flip 5", adv("JBL Flip 5", ("0000fe2c-0000-1000-8000-00805f9b34fb",))),
    (None, adv(None, ("0000ffe5-0000-1000-8000-00805f9b34fb",))),   # SIG base ffe5: not WitMotion's
    ("Polar Loop", adv("Polar Loop")),
    (None, None),
    (None, adv(None, (), {0xFFFF: b"xyz"})),
])
def test_driver_for_rejects_unsupported_devices(name, advert):
    assert driver_for(name, advert) is None


def test_every_driver_declares_its_interface():
    for driver in DRIVERS:
        assert driver.default_rate_hz in driver.rates_hz and driver.default_range_g in driver.ranges_g
        d = driver(rate_hz=None, range_g=None)
        assert d.new_decoder().family == driver.family


# -- settings validation ----------------------------------------------------------------------------------
def test_requested_rate_snaps_to_a_supported_rate_within_5_percent():
    assert PolarVeritySenseDriver(rate_hz=50, range_g=8).rate_hz == 52.0
    assert LrmOpenDriver(rate_hz=100, range_g=None).rate_hz == 100.0


def test_unsupported_rate_is_a_clear_error():
    with pytest.raises(UnsupportedSettingError, match=r"Polar H10 cannot stream at rate 75 Hz .*--rate with one of 25, 50, 100, 200"):
        PolarH10Driver(rate_hz=75, range_g=8)
    with pytest.raises(UnsupportedSettingError, match=r"range 16 g"):
        PolarH10Driver(rate_hz=50, range_g=16)


# -- a scripted fake client ---------------------------------------------------------------------------------
class FakeChar:
    def __init__(self, uuid: str) -> None:
        self.uuid = uuid


class FakeServices:
    def __init__(self, uuids: set[str]) -> None:
        self.uuids = uuids

    def get_characteristic(self, uuid: str) -> FakeChar | None:
        return FakeChar(uuid) if uuid in self.uuids else None


class FakeClient:
    """Records writes; `respond(uuid, data) -> [(uuid, payload), ...]` scripts the sensor's answers."""

    def __init__(self, reads: dict[str, bytes], respond: Callable[[str, bytes], list[tuple[str, bytes]]]) -> None:
        self.reads, self.respond = reads, respond
        self.writes: list[tuple[str, bytes]] = []
        self.callbacks: dict[str, Callable] = {}
        self.services = FakeServices(set(reads))
        self.is_connected, self.mtu_size = True, 247

    async def read_gatt_char(self, char: str | FakeChar) -> bytearray:
        return bytearray(self.reads[getattr(char, "uuid", char)])

    async def write_gatt_char(self, uuid: str, data: bytes, response: bool = False) -> None:
        self.writes.append((uuid, bytes(data)))
        for target, payload in self.respond(uuid, bytes(data)):
            asyncio.get_running_loop().call_soon(self.callbacks[target], FakeChar(target), bytearray(payload))

    async def start_notify(self, uuid: str, callback: Callable) -> None:
        self.callbacks[uuid] = callback

    async def stop_notify(self, uuid: str) -> None:
        self.callbacks.pop(uuid)

    def push(self, uuid: str, payload: bytes) -> None:
        self.callbacks[uuid](FakeChar(uuid), bytearray(payload))


# -- lrm open -------------------------------------------------------------------------------------------
def lrm_sensor(fail_opcode: int | None = None) -> FakeClient:
    info = lrm_open.Info(imu_part=1, firmware_version=0x0100, tick_hz=32768, odr_mask=0b111111, range_mask=0b1111,
                         max_samples=38, fifo_samples=1024)

    def respond(uuid: str, data: bytes) -> list[tuple[str, bytes]]:
        cmd = lrm_open.parse_command(data)
        if cmd.opcode == fail_opcode:
            return [(lrm_open.CONTROL_UUID, lrm_open.encode_response(lrm_open.Response(cmd.opcode, 3)))]
        params = {lrm_open.OP_START: (0xBEEF,), lrm_open.OP_SET_CONFIG: cmd.params,
                  lrm_open.OP_TIME_SYNC: (123456, 789)}.get(cmd.opcode, ())
        return [(lrm_open.CONTROL_UUID, lrm_open.encode_response(lrm_open.Response(cmd.opcode, 0, params)))]

    return FakeClient({lrm_open.INFO_UUID: lrm_open.encode_info(info), BATTERY_LEVEL_UUID: bytes([87])}, respond)


async def test_lrm_open_start_configures_syncs_and_starts():
    client, packets = lrm_sensor(), []
    driver = LrmOpenDriver(rate_hz=100, range_g=8)       # the LSM6DS3 has 104 Hz, not 100
    info = await driver.start(client, packets.append)
    assert info.rate_hz == 104.0 and info.range_g == 8.0 and info.decoder_config["tick_hz"] == 32768
    opcodes = [lrm_open.parse_command(w).opcode for _, w in client.writes]
    assert opcodes == [lrm_open.OP_SET_CONFIG, lrm_open.OP_TIME_SYNC, lrm_open.OP_START]
    assert lrm_open.parse_command(client.writes[0][1]).params == (3, 2, 500)
    assert driver.session_id == 0xBEEF and driver.time_sync[1:] == (123456, 789)
    pkt = lrm_open.encode_data(lrm_open.DataPacket(seq=1, sample_index=0, tick=0, odr_code=3, range_code=2,
                                                   session_id=0xBEEF, xyz=np.array([[0, 0, 4096]], np.int16)))
    client.push(lrm_open.DATA_UUID, pkt)
    assert packets == [pkt]
    assert make_decoder(info.family, info.decoder_config).decode(packets[0]).accel_g.tolist() == [[0, 0, 1.0]]
    assert await driver.read_battery(client) == 87
    await driver.stop(client)
    assert lrm_open.parse_command(client.writes[-1][1]).opcode == lrm_open.OP_STOP and not client.callbacks


async def test_lrm_open_refused_command_raises_driver_error():
    with pytest.raises(DriverError, match="invalid parameter"):
        await LrmOpenDriver().start(lrm_sensor(fail_opcode=lrm_open.OP_SET_CONFIG), lambda _b: None)


# -- Polar -------------------------------------------------------------------------------------------------
VERITY_SETTINGS = "F0 01 02 00 00 00 01 34 00 01 01 10 00 02 01 08 00 04 01 03"   # PDF fig. 2
H10_SETTINGS = "F0 01 02 00 00 00 04 19 00 32 00 64 00 C8 00 01 01 10 00 02 03 02 00 04 00 08 00"


def polar_sensor(settings_hex: str, start_reply_hex: str, already_streaming: bool = False) -> FakeClient:
    state = {"streaming": already_streaming}

    def respond(uuid: str, data: bytes) -> list[tuple[str, bytes]]:
        assert uuid == polar_pmd.CP_UUID
        if data[0] == polar_pmd.OP_GET_SETTINGS:
            return [(uuid, bytes.fromhex(settings_hex))]
        if data[0] == polar_pmd.OP_START:
            if state["streaming"]:
                return [(uuid, bytes.fromhex("F0 02 02 06 00"))]
            state["streaming"] = True
            return [(uuid, bytes.fromhex(start_reply_hex))]
        state["streaming"] = False
        return [(uuid, bytes.fromhex("F0 03 02 00 00"))]

    return FakeClient({}, respond)


async def test_polar_verity_start_matches_the_documented_bytes_and_reads_the_factor():
    client = polar_sensor(VERITY_SETTINGS, "F0 02 02 00 00 05 01 40 DA 7F 39")
    driver = PolarVeritySenseDriver(rate_hz=None, range_g=None)
    info = await driver.start(client, lambda _b: None)
    assert client.writes[1][1] == bytes.fromhex("02 02 00 01 34 00 01 01 10 00 02 01 08 00 04 01 03")
    assert info.decoder_config["factor"] == pytest.approx(2.44e-4)
    assert await driver.read_battery(client) is None          # no Battery Service in this fake
    await driver.stop(client)
    assert client.writes[-1][1] == bytes.fromhex("03 02")


async def test_polar_h10_start_bytes_warning_and_already_streaming_recovery():
    client = polar_sensor(H10_SETTINGS, "F0 02 02 00 00 01", already_streaming=True)
    info = await PolarH10Driver(rate_hz=200, range_g=8).start(client, lambda _b: None)
    sent = [w for _, w in client.writes]
    start = bytes.fromhex("02 02 02 01 08 00 00 01 C8 00 01 01 10 00")      # PDF: ±8 G, 200 Hz, 16 bit
    assert sent == [bytes.fromhex("01 02"), start, bytes.fromhex("03 02"), start]
    assert info.decoder_config["factor"] is None and "strap" in info.warnings[0]


async def test_polar_refusal_names_the_status():
    client = polar_sensor(H10_SETTINGS, "F0 02 02 0D 00")
    with pytest.raises(DriverError, match="device in charger.*off its charger"):
        await PolarH10Driver().start(client, lambda _b: None)


async def test_polar_rate_is_rechecked_against_what_the_unit_offers():
    client = polar_sensor(H10_SETTINGS.replace("00 04 19 00 32 00 64 00 C8 00", "00 02 19 00 32 00"), "F0 02 02 00 00")
    with pytest.raises(UnsupportedSettingError, match="supported: 25, 50 Hz"):
        await PolarH10Driver(rate_hz=200).start(client, lambda _b: None)


# -- Movesense, WitMotion, Thingy --------------------------------------------------------------------------
async def test_movesense_subscribes_forwards_data_and_unsubscribes():
    data = movesense_gsp.encode_acc_data(99, 1000, np.array([[0, 0, 9.80665]]))[0]

    def respond(uuid: str, cmd: bytes) -> list[tuple[str, bytes]]:
        return [(movesense_gsp.DATA_UUID, movesense_gsp.encode_command_result(99, 200)), (movesense_gsp.DATA_UUID, data)]

    client, packets = FakeClient({}, respond), []
    driver = MovesenseDriver(rate_hz=52)
    info = await driver.start(client, packets.append)
    assert client.writes[0][1] == bytes.fromhex("01 63 2F 4D 65 61 73 2F 41 63 63 2F 35 32")
    await asyncio.sleep(0)
    assert packets == [data]       # the command result is not forwarded, the data is
    assert make_decoder(info.family, info.decoder_config).decode(packets[0]).accel_g.tolist() == [[0, 0, 1.0]]
    await driver.stop(client)
    assert client.writes[-1][1] == bytes.fromhex("02 63")


async def test_movesense_lost_result_is_fine_once_data_flows_but_507_is_an_error():
    data = movesense_gsp.encode_acc_data(99, 0, np.zeros((1, 3)))[0]
    client = FakeClient({}, lambda u, c: [(movesense_gsp.DATA_UUID, data)])
    await MovesenseDriver().start(client, lambda _b: None)
    full = FakeClient({}, lambda u, c: [(movesense_gsp.DATA_UUID, bytes.fromhex("01 63 01 FB"))])   # BE 507
    with pytest.raises(DriverError, match="status 507"):
        await MovesenseDriver().start(full, lambda _b: None)


async def test_witmotion_unlocks_and_sets_the_rate():
    client = FakeClient({}, lambda u, c: [])
    info = await WitMotionDriver(rate_hz=100).start(client, lambda _b: None)
    assert [w for _, w in client.writes] == [bytes.fromhex("FF AA 69 88 B5"), bytes.fromhex("FF AA 03 09 00")]
    assert not info.has_device_clock and client.writes[0][0] == witmotion.WRITE_UUID


async def test_thingy_writes_the_motion_rate_and_keeps_other_fields():
    current = thingy52.encode_config(thingy52.Config(2000, 3000, 500, 10, False))
    client = FakeClient({thingy52.CONFIG_UUID: current}, lambda u, c: [])
    await Thingy52Driver(rate_hz=100).start(client, lambda _b: None)
    assert thingy52.parse_config(client.writes[0][1]) == thingy52.Config(2000, 3000, 500, 100, False)
    assert thingy52.RAW_UUID in client.callbacks
