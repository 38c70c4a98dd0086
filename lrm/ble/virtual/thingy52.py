"""A virtual Nordic Thingy:52 with its Motion Service raw-data stream (PROTOCOLS.md §A4).

Device side, as the Thingy firmware (``ble_tms``) does it:

- the Thingy Configuration service (``EF680100``, advertised) and the Motion service (``EF680400``)
  with its characteristics: configuration ``EF680401`` (read/write, 9 bytes LE), tap, orientation,
  quaternion, step counter, **raw data** ``EF680406``, Euler, rotation matrix, heading, gravity (notify);
- a configuration write is checked against the firmware's limits (pedometer and temperature
  compensation 100-5000 ms, compass 100-1000 ms, motion 5-200 Hz): a wrong length is refused with ATT
  error 0x0D, an out-of-range value with 0x13 (value not allowed); a new motion rate applies at once;
- enabling notifications on raw data starts the motion processing at ``motion_freq_hz``; disabling
  them (or losing the link) stops it;
- raw data is one sample per 18-byte notification (fits the default 23-byte MTU): 9 x int16 with
  accelerometer Q6.10 g (±2 g on the MPU-9250 as configured by the firmware), gyro Q11.5 °/s and compass
  Q12.4 µT; **no timestamp and no counter**.
"""

from __future__ import annotations

import struct
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from lrm.ble.protocols import thingy52 as p
from lrm.ble.virtual.gatt import AttError, VChar, VService
from lrm.ble.virtual.sensor import VirtualSensor

__all__ = ["Thingy52Sensor"]

ATT_INVALID_LENGTH, ATT_VALUE_NOT_ALLOWED = 0x0D, 0x13
LIMITS = ((100, 5000), (100, 5000), (100, 1000), p.MOTION_FREQ_HZ)
OTHER_MOTION_CHARS = (0x0402, 0x0403, 0x0404, 0x0405, 0x0407, 0x0408, 0x0409, 0x040A)
_BASE = "ef68{:04x}-9b35-4933-9b10-52ffa9740042"


class Thingy52Sensor(VirtualSensor):
    """Nordic Thingy:52 (firmware 2.x). ``rate_hz`` is ``motion_freq_hz`` at power-on."""

    family = "thingy52"
    display_name = "Nordic Thingy:52"
    default_rate_hz = 50.0
    ACC_LIMIT_G: ClassVar[float] = 2.0        # MPU-9250 full scale as the firmware configures it [inferred]

    def build_gatt(self) -> list[VService]:
        self.config = p.Config(motion_freq_hz=int(self.rate_hz))
        self.config_char = VChar(p.CONFIG_UUID, ("read", "write"), on_read=lambda: p.encode_config(self.config),
                                 on_write=self._on_config)
        self.raw_char = VChar(p.RAW_UUID, ("notify",))
        motion = [self.config_char, self.raw_char]
        motion += [VChar(_BASE.format(short), ("notify",)) for short in OTHER_MOTION_CHARS]
        configuration = [VChar(_BASE.format(0x0101), ("read", "write"), self.name.encode()),   # device name
                         VChar(_BASE.format(0x0107), ("read",), bytes([2, 1, 0]))]           # firmware 2.1.0
        return [VService(p.CONFIGURATION_SERVICE_UUID, configuration), VService(p.MOTION_SERVICE_UUID, motion)]

    @property
    def data_char(self) -> VChar:
        return self.raw_char

    def advertisement(self) -> tuple[list[str], dict[int, bytes]]:
        return [p.CONFIGURATION_SERVICE_UUID], {}

    def on_subscribe(self, char: VChar, enabled: bool) -> None:
        """The raw-data CCCD switches the motion sensor on and off."""
        if char is self.raw_char:
            if enabled:
                self.start_stream()
            else:
                self.stop_stream()

    def _on_config(self, data: bytes, response: bool) -> None:
        if len(data) != 9:
            raise AttError(ATT_INVALID_LENGTH, f"motion configuration is 9 bytes, got {len(data)}")
        values = struct.unpack("<HHHHB", data)
        for value, (lo, hi) in zip(values[:4], LIMITS, strict=True):
            if not lo <= value <= hi:
                raise AttError(ATT_VALUE_NOT_ALLOWED, f"configuration value {value} outside {lo}-{hi}")
        if values[4] > 1:
            raise AttError(ATT_VALUE_NOT_ALLOWED, "wake_on_motion must be 0 or 1")
        self.config = p.parse_config(data)
        self.set_rate(float(self.config.motion_freq_hz))

    def samples_per_packet(self, mtu: int) -> int:
        return 1

    def encode(self, k: int, accel_g: npt.NDArray[np.float32]) -> bytes:
        a = np.clip(accel_g[0].astype(np.float64), -self.ACC_LIMIT_G, self.ACC_LIMIT_G)
        gyro = [self.rng.gauss(0.0, 0.5) for _ in range(3)]
        compass = (22.0, -4.0, 41.0)          # µT: the earth's field in the sensor frame, roughly
        return p.encode_raw(a, gyro_dps=gyro, compass_ut=compass)
