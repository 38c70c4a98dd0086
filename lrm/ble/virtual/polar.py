"""Virtual Polar sensors speaking PMD (PROTOCOLS.md §A1): Verity Sense, OH1 and H10.

The device side of the PMD control point (``FB005C81``: read = features, write = request, indicate =
response) and the PMD data characteristic (``FB005C82``, notify):

- a request is answered only when the central has enabled indications on the control point (a real
  sensor cannot answer otherwise, so the driver's wait times out); ACC data flows only to a central that
  enabled notifications on PMD data;
- ``01 02`` GET_MEASUREMENT_SETTINGS answers the model's rates/resolution/ranges (``F0 01 02 00 ...``),
  split over several indications with the ``more`` flag when the ATT MTU is small;
- ``02 02 <TLVs>`` REQUEST_MEASUREMENT_START checks every setting (INVALID_SAMPLE_RATE,
  INVALID_RANGE, INVALID_RESOLUTION, INVALID_NUMBER_OF_CHANNELS, INVALID_LENGTH, ALREADY_IN_STATE) and
  answers the FACTOR (Verity Sense, OH1) or the H10's lone ``01`` byte;
- ``03 02`` STOP; unknown op codes get INVALID_OP_CODE, other measurement types NOT_SUPPORTED;
- the stream stops when the link drops (the driver starts it again on every connection).

ACC frames carry the sensor-clock time (ns since 2000-01-01) of their *last* sample and no counter.
The sensor's real-time clock was set by the phone app some time ago and is a few seconds off and runs
``drift_ppm`` fast. The accelerometer's output data rate comes from its own oscillator: with
``faults.odr_error_pct`` it is off its nominal value by that much on the sensor's clock, so the frame
timestamps show the true rate (``--faults odr=1.2``). With ``faults.sensor_stops`` the sensor ends the
stream by itself and indicates ``01 02`` ("online measurement stopped") on the control point. Verity Sense and OH1 send delta-compressed frames
(compressed TYPE0, counts x FACTOR = g), the H10 raw TYPE1 frames (int16 mG); a frame holds as many
samples as fit the negotiated ATT MTU (at most about one second's worth).
"""

from __future__ import annotations

import asyncio
import math
import struct
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from lrm.ble.protocols import polar_pmd as p
from lrm.ble.virtual.gatt import VChar, VService
from lrm.ble.virtual.sensor import VirtualSensor

__all__ = ["PolarSensor", "PolarVeritySense", "PolarOH1", "PolarH10", "POLAR_COMPANY_ID"]

POLAR_COMPANY_ID = 0x006B            # Polar Electro Oy (Bluetooth SIG company identifier)
HEART_RATE_SERVICE = "0000180d-0000-1000-8000-00805f9b34fb"
NS_2000 = p.EPOCH_2000_UNIX_S * 1_000_000_000
FACTOR_8G = struct.unpack("<f", bytes.fromhex("40da7f39"))[0]     # 2.44e-4 g per count, the Verity's reply
ST_SUCCESS, ST_INVALID_OP, ST_NOT_SUPPORTED, ST_INVALID_LENGTH = 0, 1, 3, 4
ST_INVALID_PARAMETER, ST_ALREADY, ST_INVALID_RESOLUTION, ST_INVALID_RATE, ST_INVALID_RANGE = 5, 6, 7, 8, 9
ST_INVALID_CHANNELS = 11


class PolarSensor(VirtualSensor):
    """Shared PMD device logic; subclasses set the model's rates, ranges, frame kind and features."""

    family = "polar-pmd"
    rates_hz: ClassVar[tuple[int, ...]] = (52,)
    ranges_g: ClassVar[tuple[int, ...]] = (8,)
    compressed: ClassVar[bool] = True
    advertises_channels: ClassVar[bool] = True
    features: ClassVar[tuple[int, ...]] = (1, 2, 3, 5, 6)      # PPG, ACC, PPI, GYRO, MAG
    model_number: ClassVar[str] = ""
    max_frame_s: ClassVar[float] = 1.0                      # a frame never spans more than ~1 s of samples

    def build_gatt(self) -> list[VService]:
        self.range_g = max(self.ranges_g) if 8 not in self.ranges_g else 8
        # the RTC was set from a phone some time ago: a few seconds off true time, in ns since 2000
        self.rtc0_ns = int(round((self.power_on_s + self.rng.uniform(-5.0, 5.0)) * 1e9)) - NS_2000
        self.cp = VChar(p.CP_UUID, ("read", "write", "indicate"), on_read=lambda: p.encode_features(self.features),
                        on_write=self._on_cp)
        self._data = VChar(p.DATA_UUID, ("notify",))
        self.requests: list[bytes] = []
        self._halted = False
        return [VService(p.SERVICE_UUID, [self.cp, self._data]),
                self.device_information("Polar Electro Oy", self.model_number, "3.1.1")]

    @property
    def data_char(self) -> VChar:
        return self._data

    @property
    def fs_true(self) -> float:
        """True output data rate (Hz): nominal x the ODR error (as the sensor's clock sees it) x the clock drift."""
        return self.rate_hz * (1.0 + self.faults.odr_error_pct / 100.0) * (1.0 + self.drift_ppm * 1e-6)

    def device_time_s(self, k: int) -> float:
        return k / (self.rate_hz * (1.0 + self.faults.odr_error_pct / 100.0))

    def start_stream(self) -> None:
        self._halted = False
        super().start_stream()

    def _check_faults(self, now: float) -> None:
        super()._check_faults(now)
        rel = now - self.power_on_s
        for at in self.faults.sensor_stops:
            if rel >= at and ("sensorstop", at) not in self._done_faults:
                self._done_faults.add(("sensorstop", at))
                if self.streaming and self.link is not None and self.link.connected:
                    self._halted = True                          # no frame after the message
                    asyncio.get_running_loop().call_soon(self.stop_stream)
                    if self.link.is_subscribed(self.cp):
                        self.link.notify(self.cp, p.encode_stopped([p.MEAS_ACC]))

    def _emit(self, link, k: int, n: int) -> None:  # noqa: ANN001 - VirtualLink
        if not self._halted:
            super()._emit(link, k, n)

    def advertisement(self) -> tuple[list[str], dict[int, bytes]]:
        # Polar adverts carry the Heart Rate service and Polar's manufacturer data (flags + HR byte)
        return [HEART_RATE_SERVICE], {POLAR_COMPANY_ID: bytes([0x33, 0x1E, 0x00, 0x00])}

    @property
    def factor(self) -> float | None:
        """g per count of the frames (FACTOR), None for mG counts (H10)."""
        return float(np.float32(FACTOR_8G * self.range_g / 8)) if self.compressed else None

    # -- control point -----------------------------------------------------------------------------------
    def _respond(self, op: int, meas: int, status: int, params: bytes = b"") -> None:
        """Indicate the response, in several indications (``more`` set) if it does not fit the MTU."""
        link = self.link
        if link is None or not link.is_subscribed(self.cp):
            return                           # indications not enabled: the sensor cannot answer
        room = link.mtu - 3 - 5
        chunks = [params[i : i + room] for i in range(0, len(params), room)] or [b""]
        for i, chunk in enumerate(chunks):
            more = i < len(chunks) - 1
            link.notify(self.cp, p.encode_cp_response(p.CpResponse(op, meas, status, more, chunk)))

    def _offered(self) -> dict[int, tuple[int, ...]]:
        settings: dict[int, tuple[int, ...]] = {p.SAMPLE_RATE: self.rates_hz, p.RESOLUTION: (16,),
                                                p.RANGE: self.ranges_g}
        if self.advertises_channels:
            settings[p.CHANNELS] = (3,)
        return settings

    def _on_cp(self, data: bytes, response: bool) -> None:
        self.requests.append(bytes(data))
        if len(data) < 2:
            self._respond(data[0] if data else 0, 0, ST_INVALID_LENGTH)
            return
        op, meas = data[0], data[1] & 0x3F
        if op not in (p.OP_GET_SETTINGS, p.OP_START, p.OP_STOP):
            self._respond(op, meas, ST_INVALID_OP)
        elif meas != p.MEAS_ACC or data[1] & 0x80:     # only online ACC is simulated
            self._respond(op, meas, ST_NOT_SUPPORTED)
        elif op == p.OP_GET_SETTINGS:
            self._respond(op, meas, ST_SUCCESS, p.encode_settings(self._offered()))
        elif op == p.OP_STOP:
            self.stop_stream()
            self._respond(op, meas, ST_SUCCESS)
        else:
            self._start(data[2:])

    def _start(self, tlvs: bytes) -> None:
        try:
            requested = p.parse_settings(tlvs)
        except p.MalformedPacket:
            self._respond(p.OP_START, p.MEAS_ACC, ST_INVALID_LENGTH)
            return
        if self.streaming:
            self._respond(p.OP_START, p.MEAS_ACC, ST_ALREADY)
            return
        status = self._check(requested)
        if status != ST_SUCCESS:
            self._respond(p.OP_START, p.MEAS_ACC, status)
            return
        self.range_g = int(requested[p.RANGE][0])
        self.set_rate(float(requested[p.SAMPLE_RATE][0]))
        self.start_stream()
        params = p.encode_settings({p.FACTOR: (self.factor,)}) if self.factor is not None else b"\x01"
        self._respond(p.OP_START, p.MEAS_ACC, ST_SUCCESS, params)

    def _check(self, requested: dict[int, tuple[float, ...]]) -> int:
        for kind, status in ((p.SAMPLE_RATE, ST_INVALID_RATE), (p.RESOLUTION, ST_INVALID_RESOLUTION),
                             (p.RANGE, ST_INVALID_RANGE)):
            values = requested.get(kind)
            if not values or len(values) != 1:
                return ST_INVALID_PARAMETER if values else status
            if int(values[0]) not in self._offered()[kind]:
                return status
        if p.CHANNELS in requested and tuple(requested[p.CHANNELS]) != (3,):
            return ST_INVALID_CHANNELS
        return ST_SUCCESS

    # -- frames --------------------------------------------------------------------------------------------
    def counts(self, accel_g: npt.NDArray[np.float32]) -> npt.NDArray[np.int64]:
        """Integer counts of the frames for samples in g (clipped to int16, as the sensor's ADC)."""
        per_count = self.factor if self.factor is not None else 1e-3
        return np.clip(np.round(accel_g.astype(np.float64) / per_count), -32768, 32767).astype(np.int64)

    def timestamp_ns(self, k: int) -> int:
        """The sensor RTC (ns since 2000) when sample ``k`` is taken: the ODR's period on the sensor's clock is
        the nominal one unless ``faults.odr_error_pct`` says otherwise."""
        return self.rtc0_ns + int(round(self.device_time_s(k) * 1e9))

    def samples_per_packet(self, mtu: int) -> int:
        room = mtu - 3 - p.HEADER
        return max(1, min(room // 6, math.floor(self.rate_hz * self.max_frame_s)))

    def packet_size(self, mtu: int, k: int) -> int:
        """Raw frames: fixed by the MTU. Delta frames: as many samples as one delta block fits."""
        if not self.compressed:
            return self.samples_per_packet(mtu)
        room = mtu - 3 - p.HEADER - 6 - 2          # reference sample, block header
        n_max = max(1, min(256, math.floor(self.rate_hz * self.max_frame_s)))   # one block holds <= 255 deltas
        if n_max == 1 or room <= 0:
            return 1
        d = np.diff(self.counts(self.samples(k, n_max)), axis=0)
        mag = np.maximum(d, -d - 1).max(axis=1)                             # per delta row, >= 0
        bits = np.maximum.accumulate(np.ceil(np.log2(mag + 1.0)).astype(np.int64) + 1)   # as encode_delta
        size = np.ceil(bits * 3 * np.arange(1, len(d) + 1) / 8)             # delta bytes for 1 + m samples
        fits = np.flatnonzero(size <= room)
        return 2 + int(fits[-1]) if len(fits) else 1

    def encode(self, k: int, accel_g: npt.NDArray[np.float32]) -> bytes:
        counts = self.counts(accel_g)
        return p.encode_acc_frame(counts, timestamp_ns=self.timestamp_ns(k + len(counts) - 1),
                                  compressed=self.compressed)


class PolarVeritySense(PolarSensor):
    """Polar Verity Sense (online ACC outside SDK mode: 52 Hz, ±8 g, delta frames with FACTOR)."""

    display_name = "Polar Verity Sense"
    default_rate_hz = 52.0
    rates_hz = (52,)
    ranges_g = (8,)
    model_number = "Polar Verity Sense"


class PolarOH1(PolarSensor):
    """Polar OH1 (50 Hz, ±8 g, delta frames with FACTOR)."""

    display_name = "Polar OH1"
    default_rate_hz = 50.0
    rates_hz = (50,)
    ranges_g = (8,)
    features = (1, 2, 3)                   # PPG, ACC, PPI
    model_number = "Polar OH1"


class PolarH10(PolarSensor):
    """Polar H10 (25/50/100/200 Hz, ±2/4/8 g, raw int16 mG frames, no CHANNELS setting)."""

    display_name = "Polar H10"
    default_rate_hz = 50.0
    rates_hz = (25, 50, 100, 200)
    ranges_g = (2, 4, 8)
    compressed = False
    advertises_channels = False
    features = (0, 2)                      # ECG, ACC
    model_number = "Polar H10"
