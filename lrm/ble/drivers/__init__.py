"""BLE sensor drivers, one module per family, and the registry that picks one from an advertisement."""

from __future__ import annotations

from lrm.ble.drivers.base import Driver, DriverError, StreamInfo, UnsupportedSettingError

__all__ = ["Driver", "DriverError", "StreamInfo", "UnsupportedSettingError"]
