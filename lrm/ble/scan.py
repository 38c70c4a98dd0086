"""Find supported sensors nearby (``lrm scan``) and resolve ``--left/--right ADDR_OR_NAME`` to a device.

Scanning uses bleak's ``BleakScanner``; ``backend=``/``backend_kwargs`` select a custom backend (the
virtual sensors of ``lrm record --simulate`` and the tests). Scanning is done once per device lookup and
never concurrently with a connection attempt on the same adapter (PROTOCOLS.md §B4.1).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from lrm.errors import DeviceNotFoundError, LrmError

if TYPE_CHECKING:
    from bleak.backends.device import BLEDevice
    from bleak.backends.scanner import AdvertisementData, BaseBleakScanner

    from lrm.ble.drivers.base import Driver

__all__ = ["FoundSensor", "scan", "resolve", "looks_like_address"]

_ADDRESS = re.compile(r"^([0-9A-F]{2}:){5}[0-9A-F]{2}$|^[0-9A-F]{8}-([0-9A-F]{4}-){3}[0-9A-F]{12}$", re.IGNORECASE)


def looks_like_address(text: str) -> bool:
    """True for a Bluetooth MAC (Linux/Windows) or a CoreBluetooth UUID (macOS).

    >>> looks_like_address("A0:9E:1A:B5:E2:31"), looks_like_address("Polar Sense B5E2A31C")
    (True, False)
    """
    return bool(_ADDRESS.match(text.strip()))


@dataclass(frozen=True)
class FoundSensor:
    """A nearby device, with the driver that supports it (None when lrm does not)."""

    name: str
    address: str
    rssi: int
    device: BLEDevice
    adv: AdvertisementData
    driver: type[Driver] | None

    @property
    def family(self) -> str:
        return self.driver.family if self.driver else ""

    @property
    def model(self) -> str:
        return self.driver.display_name if self.driver else ""


async def scan(
    seconds: float = 5.0,
    *,
    backend: type[BaseBleakScanner] | None = None,
    backend_kwargs: Mapping[str, Any] | None = None,
    include_unsupported: bool = False,
) -> list[FoundSensor]:
    """Scan for ``seconds`` and return the devices seen, supported ones only unless asked, strongest first."""
    from bleak import BleakScanner

    from lrm.ble.drivers import driver_for

    extra = dict(backend_kwargs or {}) if backend is not None else {}
    found = await BleakScanner.discover(timeout=seconds, return_adv=True, backend=backend, **extra)
    out = []
    for device, adv in found.values():
        name = adv.local_name or device.name or ""
        driver = driver_for(name, adv)
        if driver is None and not include_unsupported:
            continue
        out.append(FoundSensor(name, device.address, int(adv.rssi), device, adv, driver))
    return sorted(out, key=lambda s: -s.rssi)


async def resolve(
    target: str,
    *,
    seconds: float = 10.0,
    backend: type[BaseBleakScanner] | None = None,
    backend_kwargs: Mapping[str, Any] | None = None,
) -> FoundSensor:
    """The supported sensor named by ``target``: an address, an exact name, or a unique part of a name.

    Raises :class:`~lrm.errors.DeviceNotFoundError` if nothing matches, :class:`~lrm.errors.LrmError` if
    the name is ambiguous or the device is not a supported sensor.
    """
    seen = await scan(seconds, backend=backend, backend_kwargs=backend_kwargs, include_unsupported=True)
    want = target.strip()
    if looks_like_address(want):
        hits = [s for s in seen if s.address.lower() == want.lower()]
    else:
        hits = [s for s in seen if s.name.lower() == want.lower()]
        if not hits:
            hits = [s for s in seen if want.lower() in s.name.lower()]
    if not hits:
        raise DeviceNotFoundError(target, seconds)
    supported = [s for s in hits if s.driver is not None]
    if len(supported) > 1:
        names = ", ".join(f"{s.name} ({s.address})" for s in supported)
        raise LrmError(f"{target!r} matches several sensors: {names}. Fix: pass the full name or the address")
    if not supported:
        s = hits[0]
        raise LrmError(f"{s.name or s.address} ({s.address}) is not a supported sensor. Fix: see 'lrm scan' "
                       "and the README for the supported families")
    return supported[0]
