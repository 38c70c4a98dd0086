"""Nordic Thingy:52 Motion Service raw-data codec (PROTOCOLS.md §A4).

Raw data (``EF680406``): 18 bytes, 9 x int16 LE: accelerometer Q6.10 g (/1024), gyroscope Q11.5 °/s
(/32), compass Q12.4 µT (/16). One sample per notification at ``motion_freq_hz`` (5-200 Hz, config
characteristic ``EF680401``). No timestamp and no counter: ``sensor_time_s`` is NaN and the recorder
uses host arrival time (uncertainty about one connection interval, ±30-50 ms with Linux defaults).

>>> Decoder().decode(encode_raw(np.array([0.0, 0.0, 1.0]), gyro_dps=np.array([1.0, 0, 0]))).accel_g.tolist()
[[0.0, 0.0, 1.0]]
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from lrm.ble.protocols.samples import MalformedPacket, Samples

__all__ = ["FAMILY", "MOTION_SERVICE_UUID", "CONFIG_UUID", "RAW_UUID", "Config", "Decoder", "encode_raw",
           "encode_config", "parse_config"]

FAMILY = "thingy52"
_BASE = "ef68{:04x}-9b35-4933-9b10-52ffa9740042"
CONFIGURATION_SERVICE_UUID = _BASE.format(0x0100)
MOTION_SERVICE_UUID = _BASE.format(0x0400)
CONFIG_UUID = _BASE.format(0x0401)
RAW_UUID = _BASE.format(0x0406)
RAW_BYTES = 18
ACC_SCALE_G, GYRO_SCALE_DPS, COMPASS_SCALE_UT = 1 / 1024, 1 / 32, 1 / 16
MOTION_FREQ_HZ = (5, 200)


def _bad(problem: str) -> MalformedPacket:
    return MalformedPacket(FAMILY, problem)


def _q(values: npt.ArrayLike, scale: float) -> npt.NDArray[np.int16]:
    raw = np.round(np.asarray(values, dtype=np.float64).reshape(3) / scale)
    return np.clip(raw, -32768, 32767).astype("<i2")


def encode_raw(accel_g: npt.ArrayLike, gyro_dps: npt.ArrayLike = (0, 0, 0),
               compass_ut: npt.ArrayLike = (0, 0, 0)) -> bytes:
    """One raw-data notification (rounded to the Q format, clipped to int16)."""
    return np.concatenate([_q(accel_g, ACC_SCALE_G), _q(gyro_dps, GYRO_SCALE_DPS),
                           _q(compass_ut, COMPASS_SCALE_UT)]).tobytes()


@dataclass(frozen=True, slots=True)
class Config:
    """Motion configuration (9 bytes LE). Limits from ``ble_tms.h``."""

    pedometer_interval_ms: int = 1000
    temp_comp_interval_ms: int = 10000 // 2
    compass_interval_ms: int = 1000
    motion_freq_hz: int = 50
    wake_on_motion: bool = True


_CONFIG = struct.Struct("<HHHHB")


def encode_config(c: Config) -> bytes:
    if not MOTION_FREQ_HZ[0] <= c.motion_freq_hz <= MOTION_FREQ_HZ[1]:
        raise ValueError(f"motion_freq_hz must be in {MOTION_FREQ_HZ}, got {c.motion_freq_hz}")
    return _CONFIG.pack(c.pedometer_interval_ms, c.temp_comp_interval_ms, c.compass_interval_ms,
                        c.motion_freq_hz, int(c.wake_on_motion))


def parse_config(payload: bytes) -> Config:
    payload = bytes(payload)
    if len(payload) != _CONFIG.size:
        raise _bad(f"wrong length: motion config of {len(payload)} bytes (expected {_CONFIG.size})")
    ped, temp, comp, freq, wake = _CONFIG.unpack(payload)
    return Config(ped, temp, comp, freq, bool(wake))


@dataclass
class Decoder:
    """Stateless raw-data decoder (exactly 18 bytes per notification)."""

    rate_hz: float | None = None      # not needed to decode; accepted for make_decoder symmetry
    family: str = field(default=FAMILY, init=False)

    def decode(self, payload: bytes) -> Samples:
        payload = bytes(payload)
        if len(payload) != RAW_BYTES:
            raise _bad(f"wrong length: raw motion data of {len(payload)} bytes (expected {RAW_BYTES})")
        raw = np.frombuffer(payload[:6], dtype="<i2").astype(np.float64)
        return Samples(accel_g=(raw * ACC_SCALE_G).astype(np.float32).reshape(1, 3),
                       sensor_time_s=np.full(1, np.nan))
