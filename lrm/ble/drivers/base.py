"""The driver interface every BLE sensor family implements (STYLE.md §9).

A driver knows one family's GATT layout and start sequence: it recognises the sensor from its
advertisement, configures rate and range, starts notifications, hands every raw payload of the data
characteristic to ``on_packet`` (never blocking), reads the battery and stops cleanly. Decoding is not done
here: :meth:`Driver.new_decoder` returns the family's pure decoder (``lrm.ble.protocols``), so the journal
can store raw payloads and ``lrm recover`` can re-decode them with
``lrm.ble.protocols.make_decoder(info.family, info.decoder_config)``.

Lifecycle, per connection (a *fresh* ``BleakClient`` and a fresh decoder every time)::

    driver = PolarDriver(rate_hz=52, range_g=8)          # validates the settings (UnsupportedSettingError)
    info = await driver.start(client, on_packet)         # configure + start_notify; returns StreamInfo
    decoder = driver.new_decoder()                       # or make_decoder(info.family, info.decoder_config)
    ... on_packet(payload) -> decoder.decode(payload) -> Samples ...
    await driver.stop(client)                            # stop the stream on the device, stop_notify
"""

from __future__ import annotations

import abc
import asyncio
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from lrm.ble.protocols import make_decoder
from lrm.errors import LrmError

if TYPE_CHECKING:
    from bleak import BleakClient
    from bleak.backends.scanner import AdvertisementData

    from lrm.ble.protocols.samples import Decoder

__all__ = [
    "BATTERY_LEVEL_UUID",
    "BATTERY_SERVICE_UUID",
    "Driver",
    "DriverError",
    "StreamInfo",
    "UnsupportedSettingError",
    "choose_setting",
    "sig_uuid",
]

log = logging.getLogger(__name__)

OnPacket = Callable[[bytes], None]


def sig_uuid(short: int) -> str:
    """The normalised 128-bit form of a 16-bit Bluetooth SIG UUID, e.g. ``0x2A19``."""
    return f"{short:08x}-0000-1000-8000-00805f9b34fb"


BATTERY_SERVICE_UUID = sig_uuid(0x180F)
BATTERY_LEVEL_UUID = sig_uuid(0x2A19)

RATE_TOLERANCE = 0.05  # a requested rate within 5 % of a supported one selects it (50 -> 52, 100 -> 104)


class UnsupportedSettingError(LrmError):
    """A requested rate or range that the sensor family cannot do; lists what it can."""

    def __init__(self, device: str, setting: str, requested: float, supported: tuple[float, ...], unit: str) -> None:
        super().__init__(device, setting, float(requested), tuple(float(s) for s in supported), unit)

    def __str__(self) -> str:
        device, setting, requested, supported, unit = self.args
        choices = ", ".join(f"{s:g}" for s in sorted(supported))
        flag = "--rate" if setting == "rate" else "--range"
        return (
            f"{device} cannot stream at {setting} {requested:g} {unit} (supported: {choices} {unit}). "
            f"Fix: pass {flag} with one of {choices}"
        )


class DriverError(LrmError):
    """The sensor answered the start sequence with an error or an unexpected reply."""

    def __init__(self, device: str, problem: str, fix: str = "power-cycle the sensor and try again") -> None:
        super().__init__(device, problem, fix)

    def __str__(self) -> str:
        return f"{self.args[0]}: {self.args[1]}. Fix: {self.args[2]}"


def choose_setting(
    device: str, setting: str, requested: float | None, supported: tuple[float, ...], default: float, unit: str,
    tolerance: float = 0.0,
) -> float:
    """The supported value nearest `requested` if within relative `tolerance`, else raise.

    ``None`` selects `default`.

    >>> choose_setting("Verity Sense", "rate", 50, (52.0,), 52.0, "Hz", tolerance=0.05)
    52.0
    >>> choose_setting("Verity Sense", "rate", None, (52.0,), 52.0, "Hz")
    52.0
    """
    if requested is None:
        return float(default)
    nearest = min(supported, key=lambda s: abs(s - requested))
    if abs(nearest - requested) <= tolerance * nearest + 1e-9:
        return float(nearest)
    raise UnsupportedSettingError(device, setting, requested, supported, unit)


@dataclass(frozen=True, slots=True)
class StreamInfo:
    """What a started stream delivers; everything needed to decode its raw payloads again.

    Attributes
    ----------
    family : str
        Codec family (a key of ``lrm.ble.protocols.FAMILY_MODULES``).
    display_name : str
        Human name of the sensor model, e.g. ``"Polar Verity Sense"``.
    rate_hz : float
        Nominal output data rate in Hz that the sensor was configured to (may differ slightly from the
        requested rate, e.g. 52 for 50; the true rate is measured from device time by the clock model).
    range_g : float
        Full-scale range in g (±).
    decoder_config : Mapping[str, Any]
        JSON-safe keyword arguments for the family's ``Decoder`` (``make_decoder(family, config)``).
    has_device_clock : bool
        True when ``Samples.sensor_time_s`` carries device time; False means host arrival timing only.
    data_uuid : str
        The characteristic whose notifications go to ``on_packet``.
    mtu : int | None
        ATT MTU as reported by the client, if known.
    warnings : tuple[str, ...]
        Things the user should know about this sensor (shown in the live status and stored).
    """

    family: str
    display_name: str
    rate_hz: float
    range_g: float
    decoder_config: Mapping[str, Any] = field(default_factory=dict)
    has_device_clock: bool = True
    data_uuid: str = ""
    mtu: int | None = None
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe dict (for recording.json / the journal header)."""
        return {
            "family": self.family, "display_name": self.display_name, "rate_hz": self.rate_hz,
            "range_g": self.range_g, "decoder_config": dict(self.decoder_config),
            "has_device_clock": self.has_device_clock, "data_uuid": self.data_uuid, "mtu": self.mtu,
            "warnings": list(self.warnings),
        }


class Driver(abc.ABC):
    """One sensor family's connection logic. Subclasses set the class attributes and the async methods.

    Class attributes
    ----------------
    family : str
        Codec family, the key used by ``make_decoder``.
    display_name : str
        Human name of the sensor family.
    rates_hz, ranges_g : tuple[float, ...]
        Supported nominal output rates (Hz) and full-scale ranges (±g).
    default_rate_hz, default_range_g : float
        Used when ``None`` is requested.
    rate_tolerance : float
        Relative tolerance when matching a requested rate (``--rate 50`` selects 52 Hz).
    name_patterns : tuple[re.Pattern, ...]
        Advertised local names that identify the family.
    service_uuids : tuple[str, ...]
        Normalised 128-bit service UUIDs that identify the family in an advertisement.
    resubscribe_on_reconnect : bool
        The device forgets its stream on disconnect, so ``start`` must be re-run on every connection
        (true for every supported family; the recorder always calls ``start`` on a fresh client).
    has_device_clock : bool
        Whether notifications carry device timestamps.
    warnings : tuple[str, ...]
        Always-applicable warnings for this family (e.g. Polar H10 leaves its strap).
    """

    family: ClassVar[str]
    display_name: ClassVar[str]
    rates_hz: ClassVar[tuple[float, ...]]
    ranges_g: ClassVar[tuple[float, ...]]
    default_rate_hz: ClassVar[float]
    default_range_g: ClassVar[float]
    rate_tolerance: ClassVar[float] = RATE_TOLERANCE
    name_patterns: ClassVar[tuple[re.Pattern[str], ...]] = ()
    service_uuids: ClassVar[tuple[str, ...]] = ()
    resubscribe_on_reconnect: ClassVar[bool] = True
    has_device_clock: ClassVar[bool] = True
    warnings: ClassVar[tuple[str, ...]] = ()

    def __init__(self, *, rate_hz: float | None = None, range_g: float | None = None) -> None:
        self.rate_hz = choose_setting(
            self.display_name, "rate", rate_hz, self.rates_hz, self.default_rate_hz, "Hz", self.rate_tolerance
        )
        self.range_g = choose_setting(
            self.display_name, "range", range_g, self.ranges_g, self.default_range_g, "g"
        )

    # -- recognition -------------------------------------------------------------------------------
    @classmethod
    def matches(cls, name: str | None, adv: AdvertisementData | None) -> bool:
        """True if a device advertising `name` / `adv` belongs to this family.

        Checks advertised service UUIDs first (exact), then the local name against ``name_patterns``.
        `adv` may be None (name-only lookups); `name` falls back to ``adv.local_name``.
        """
        uuids = {u.lower() for u in (adv.service_uuids if adv is not None else ())}
        if uuids & set(cls.service_uuids):
            return True
        name = name or (adv.local_name if adv is not None else None)
        return bool(name) and any(p.search(name) for p in cls.name_patterns)

    # -- per-connection lifecycle ------------------------------------------------------------------
    @property
    def ended(self) -> asyncio.Event:
        """Set when the sensor itself ended the stream of the current connection (e.g. Polar's "measurement
        stopped"); the recorder then reconnects at once instead of waiting for its silence watchdog. A
        driver clears it in :meth:`start`."""
        event = self.__dict__.get("_ended")
        if event is None:
            event = self.__dict__["_ended"] = asyncio.Event()
        return event

    @abc.abstractmethod
    async def start(self, client: BleakClient, on_packet: OnPacket) -> StreamInfo:
        """Configure rate and range, start the stream and notifications; return what it delivers.

        `on_packet` receives the raw bytes of every notification on the data characteristic, on the
        event-loop thread; it must not block. Raises :class:`DriverError` when the sensor refuses.
        """

    @abc.abstractmethod
    async def stop(self, client: BleakClient) -> None:
        """Stop the stream on the device and notifications; never raises if the link is already gone."""

    async def read_battery(self, client: BleakClient) -> int | None:
        """Battery level in percent from the standard Battery Service (0x2A19), or None if absent."""
        try:
            char = client.services.get_characteristic(BATTERY_LEVEL_UUID)
            if char is None:
                return None
            data = await client.read_gatt_char(char)
        except Exception as exc:  # noqa: BLE001 - battery is best effort; the stream matters more
            log.debug("%s: battery read failed: %s", self.display_name, exc)
            return None
        return int(data[0]) if len(data) >= 1 and data[0] <= 100 else None

    # -- decoding ----------------------------------------------------------------------------------
    def decoder_config(self) -> dict[str, Any]:
        """JSON-safe keyword arguments for this family's ``Decoder`` with the current settings."""
        return {"rate_hz": self.rate_hz}

    def new_decoder(self) -> Decoder:
        """A fresh decoder for one connection's payloads (same as ``make_decoder(family, config)``)."""
        return make_decoder(self.family, self.decoder_config())

    def stream_info(self, data_uuid: str, mtu: int | None, extra_warnings: tuple[str, ...] = ()) -> StreamInfo:
        """The :class:`StreamInfo` for the current settings."""
        return StreamInfo(
            family=self.family, display_name=self.display_name, rate_hz=self.rate_hz, range_g=self.range_g,
            decoder_config=self.decoder_config(), has_device_clock=self.has_device_clock, data_uuid=data_uuid,
            mtu=mtu, warnings=self.warnings + extra_warnings,
        )


async def safe_stop_notify(client: BleakClient, uuid: str) -> None:
    """``stop_notify`` that ignores a link that is already gone (stop must never raise)."""
    try:
        if client.is_connected:
            await client.stop_notify(uuid)
    except Exception as exc:  # noqa: BLE001
        log.debug("stop_notify(%s) failed: %s", uuid, exc)


def client_mtu(client: BleakClient) -> int | None:
    """The client's ATT MTU if the backend reports one."""
    try:
        return int(client.mtu_size)
    except Exception:  # noqa: BLE001
        return None
