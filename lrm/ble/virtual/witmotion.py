"""A virtual WitMotion WT901BLECL / BWT901BLE5.0 speaking the vendor protocol (PROTOCOLS.md §A3).

Device side:

- the service ``ffe5`` with notify ``ffe4`` and write ``ffe9`` on the vendor's non-standard UUID base
  (``...-00805f9a34fb``);
- the sensor streams as soon as the central enables notifications on ``ffe4`` (there is no start
  command), at the output rate in register 0x03;
- register writes ``FF AA <reg> <lo> <hi>`` take effect only within 10 s of an unlock ``FF AA 69 88 B5``
  (silently ignored otherwise, as the firmware does); ``FF AA 03 <code> 00`` sets the output rate (codes
  0x03 1 Hz ... 0x0B 200 Hz), ``FF AA 00 00 00`` saves to flash (the rate then survives a power cycle;
  unsaved, it survives reconnections anyway since the sensor stays powered);
- ``FF AA 27 <reg> 00`` reads four registers back as a 20-byte ``55 71`` frame on ``ffe4``;
- data frames are 20-byte ``55 61`` + 9 x int16 (acceleration always scaled ±16 g, angular rate
  ±2000 °/s, angles ±180°), **no timestamp, no counter**; one frame per notification, or several
  back to back (a byte stream) at high rates when the MTU allows.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from lrm.ble.protocols import witmotion as p
from lrm.ble.virtual.gatt import VChar, VService
from lrm.ble.virtual.sensor import VirtualSensor

__all__ = ["WitMotionSensor"]

CODE_RATE_HZ = {0x01: 0.2, 0x02: 0.5, 0x03: 1.0, 0x04: 2.0, 0x05: 5.0, 0x06: 10.0, 0x07: 20.0, 0x08: 50.0,
                0x09: 100.0, 0x0B: 200.0}
UNLOCK_S = 10.0
MAX_NOTIFY_HZ = 50.0          # frames are batched above this notification rate (when the MTU allows)


class WitMotionSensor(VirtualSensor):
    """WitMotion BWT901BLE5.0 class IMU. ``rate_hz`` is the (saved) output rate at power-on."""

    family = "witmotion"
    display_name = "WitMotion WT901BLE"
    default_rate_hz = 50.0
    ACC_LIMIT_G: ClassVar[float] = 16.0

    def build_gatt(self) -> list[VService]:
        self.notify_char = VChar(p.NOTIFY_UUID, ("notify",))
        self.write_char = VChar(p.WRITE_UUID, ("write", "write-without-response"), on_write=self._on_write)
        self.unlocked_until = -math.inf
        self.saved_rate_hz = self.rate_hz
        self.writes: list[bytes] = []
        self.ignored_writes = 0
        return [VService(p.SERVICE_UUID, [self.notify_char, self.write_char])]

    @property
    def data_char(self) -> VChar:
        return self.notify_char

    def advertisement(self) -> tuple[list[str], dict[int, bytes]]:
        return [p.SERVICE_UUID], {}

    def on_subscribe(self, char: VChar, enabled: bool) -> None:
        """Enabling notifications on ``ffe4`` starts the stream; disabling stops it."""
        if char is self.notify_char:
            if enabled:
                self.start_stream()
            else:
                self.stop_stream()

    # -- register writes -----------------------------------------------------------------------------------
    def _on_write(self, data: bytes, response: bool) -> None:
        self.writes.append(bytes(data))
        try:
            reg, value = p.parse_command(data)
        except p.MalformedPacket:
            self.ignored_writes += 1
            return
        now = self.tb.time()
        if reg == p.REG_UNLOCK:
            if value == 0xB588:
                self.unlocked_until = now + UNLOCK_S
            return
        if reg == p.REG_READ:
            self._register_reply(value & 0xFF)
            return
        if now > self.unlocked_until:
            self.ignored_writes += 1               # locked: the firmware ignores the write
            return
        if reg == p.REG_RATE and (value & 0xFF) in CODE_RATE_HZ:
            self.set_rate(CODE_RATE_HZ[value & 0xFF])
        elif reg == p.REG_SAVE:
            self.saved_rate_hz = self.rate_hz
        else:
            self.ignored_writes += 1

    def _register_reply(self, reg: int) -> None:
        codes = {hz: code for code, hz in CODE_RATE_HZ.items()}
        regs = np.zeros(8, dtype="<i2")
        if reg == p.REG_RATE:
            regs[0] = codes[self.rate_hz] if self.rate_hz in codes else 0x06
        if self.link is not None:
            self.link.notify(self.notify_char, bytes([0x55, p.REGISTER_FLAG, reg, 0]) + regs.tobytes())

    # -- frames ------------------------------------------------------------------------------------------
    def samples_per_packet(self, mtu: int) -> int:
        fit = max(1, (mtu - 3) // p.FRAME_BYTES)
        return int(max(1, min(fit, math.ceil(self.rate_hz / MAX_NOTIFY_HZ))))

    def encode(self, k: int, accel_g: npt.NDArray[np.float32]) -> bytes:
        a = accel_g.astype(np.float64)
        roll = np.degrees(np.arctan2(a[:, 1], a[:, 2]))
        pitch = np.degrees(np.arctan2(-a[:, 0], np.hypot(a[:, 1], a[:, 2])))
        frames = []
        for i in range(len(a)):
            gyro = self.rng.gauss(0.0, 0.3), self.rng.gauss(0.0, 0.3), self.rng.gauss(0.0, 0.3)
            frames.append(p.encode_frame(a[i], gyro_dps=gyro, angle_deg=(roll[i], pitch[i], 0.0)))
        return b"".join(frames)
