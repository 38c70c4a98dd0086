"""BLE sensor drivers, one module per family, and the registry that picks one from an advertisement.

>>> driver_for("Polar Sense 0A1B2C3D", None).display_name
'Polar Verity Sense'
>>> driver_for("LRM-Ankle-3F2A", None).family
'lrm-open'
>>> driver_for("Some Headphones", None) is None
True
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from lrm.ble.drivers.base import Driver, DriverError, StreamInfo, UnsupportedSettingError
from lrm.ble.drivers.lrm_open import LrmOpenDriver
from lrm.ble.drivers.movesense import MovesenseDriver
from lrm.ble.drivers.polar import PolarH10Driver, PolarOH1Driver, PolarVeritySenseDriver
from lrm.ble.drivers.thingy52 import Thingy52Driver
from lrm.ble.drivers.witmotion import WitMotionDriver

if TYPE_CHECKING:
    from bleak.backends.scanner import AdvertisementData

__all__ = ["DRIVERS", "Driver", "DriverError", "StreamInfo", "UnsupportedSettingError", "driver_for"]

DRIVERS: Final[tuple[type[Driver], ...]] = (   # tried in order; the most specific first
    LrmOpenDriver,
    PolarVeritySenseDriver,
    PolarOH1Driver,
    PolarH10Driver,
    MovesenseDriver,
    WitMotionDriver,
    Thingy52Driver,
)


def driver_for(name: str | None, adv: AdvertisementData | None) -> type[Driver] | None:
    """The driver class for a device advertising `name` / `adv`, or None if lrm does not support it."""
    for driver in DRIVERS:
        if driver.matches(name, adv):
            return driver
    return None
