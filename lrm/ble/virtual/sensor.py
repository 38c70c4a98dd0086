"""The family-independent part of a virtual ankle sensor: its clock, sample stream, faults and battery.

A :class:`VirtualSensor` is switched on at ``power_on_s`` (true time, the timebase's wall clock) and
samples ``source_g`` continuously at its output data rate, whether or not anyone listens: sample ``k``
is taken at true time ``power_on_s + k / (rate_hz * (1 + drift_ppm * 1e-6))`` and the device's own clock
reads ``k / rate_hz`` s since power-on at that moment (the ODR comes from the same crystal as the clock,
so a fast crystal gives fast samples and device timestamps that agree with the sample count). While a
central has started the stream, the family subclass packs the samples into notifications sized for the
link's ATT MTU and sends them with the family's real byte encoder.

Everything the tests need to check the recorder is kept: ``delivered`` (the first index and count of
every notification whose samples reached the central's callback), ``dropped_samples`` and the truth
``true_time_s(k)`` of every sample.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import zlib
from typing import ClassVar

import numpy as np
import numpy.typing as npt

from lrm.ble.timebase import REAL_TIME, Timebase
from lrm.ble.virtual.faults import Faults
from lrm.ble.virtual.gatt import VChar, VirtualLink, VService, assign_handles

__all__ = ["VirtualSensor", "BATTERY_SERVICE", "BATTERY_LEVEL"]

BATTERY_SERVICE = "0000180f-0000-1000-8000-00805f9b34fb"
BATTERY_LEVEL = "00002a19-0000-1000-8000-00805f9b34fb"
DEVICE_INFORMATION = "0000180a-0000-1000-8000-00805f9b34fb"
DEFAULT_MAX_MTU = 247


class VirtualSensor:
    """Base class of the per-family virtual sensors (see :mod:`lrm.ble.virtual.families`).

    Parameters
    ----------
    name, address : str
        Advertised local name and BLE address.
    source_g : ndarray (n, 3)
        Acceleration in g that the sensor measures; sample ``k`` is row ``k % n``.
    timebase : Timebase
        Provides true time (its wall clock) and sleeps; accelerated for ``--simulate --speed``.
    faults : Faults
        Injected faults (disconnects, stalls, refusals, drops, drift, battery drain, MTU).
    power_on_s : float, optional
        True time (Unix s) of sample 0; default: now.
    rate_hz : float, optional
        Output data rate in Hz at power-on (default: the family's ``default_rate_hz``). Sample ``k`` is on
        the grid of the *current* rate; a family that lets the central change the rate restarts its
        stream on the new grid (:meth:`set_rate`), so tests should configure the rate the driver will ask.
    """

    family: ClassVar[str] = ""
    display_name: ClassVar[str] = ""
    default_rate_hz: ClassVar[float] = 50.0

    def __init__(
        self,
        *,
        name: str,
        address: str,
        source_g: npt.ArrayLike,
        timebase: Timebase = REAL_TIME,
        faults: Faults | None = None,
        power_on_s: float | None = None,
        rssi: int = -62,
        battery_pct: float = 96.0,
        seed: int = 0,
        rate_hz: float | None = None,
    ) -> None:
        self.name = name
        self.address = address.upper()
        self.source_g = np.ascontiguousarray(source_g, dtype=np.float32).reshape(-1, 3)
        if not len(self.source_g):
            raise ValueError("source_g is empty")
        self.tb = timebase
        self.faults = faults or Faults()
        self.power_on_s = timebase.time() if power_on_s is None else float(power_on_s)
        self.rssi = rssi
        self.battery0 = battery_pct
        self.drift_ppm = self.faults.drift_ppm if self.faults.drift_ppm is not None else 0.0
        self.max_mtu = self.faults.mtu or DEFAULT_MAX_MTU
        self.rate_hz = float(rate_hz) if rate_hz is not None else self.default_rate_hz
        self.rng = random.Random(seed * 1_000_003 + zlib.crc32(self.address.encode()))
        self.services: list[VService] = self.build_gatt() + [self._battery_service()]
        assign_handles(self.services)
        self.link: VirtualLink | None = None
        self.delivered: list[tuple[int, int]] = []
        self.dropped_samples = 0
        self.connections = 0
        self.refused = 0
        self._refuse_left = 0
        self._unreachable_until = -math.inf
        self._stalled = False
        self._stall_down_s = 0.0
        self._done_faults: set[tuple[str, float]] = set()
        self._stream_task: asyncio.Task[None] | None = None
        self._next_k = 0

    # -- to be provided by each family ------------------------------------------------------------------
    def build_gatt(self) -> list[VService]:
        """The family's services (the Battery Service is added by the base class)."""
        raise NotImplementedError

    def advertisement(self) -> tuple[list[str], dict[int, bytes]]:
        """(advertised service UUIDs, manufacturer data) of the family."""
        return [], {}

    def samples_per_packet(self, mtu: int) -> int:
        """Samples in one notification for an ATT MTU (the payload must fit ``mtu - 3`` bytes)."""
        raise NotImplementedError

    def packet_size(self, mtu: int, k: int) -> int:
        """Samples in the notification that starts at sample ``k`` (default: ``samples_per_packet(mtu)``).

        Families whose packet length depends on the data (Polar delta frames) override this."""
        return self.samples_per_packet(mtu)

    def encode(self, k: int, accel_g: npt.NDArray[np.float32]) -> bytes | list[bytes]:
        """The data notification carrying samples ``k .. k + len(accel_g) - 1``.

        A list means several notifications, of which only the last carries the samples (e.g. a time anchor
        before a compact packet)."""
        raise NotImplementedError

    @property
    def data_char(self) -> VChar:
        """The characteristic that carries sample notifications."""
        raise NotImplementedError

    def on_connect(self) -> None:
        """Hook: a central connected (families reset their per-connection protocol state here)."""

    # -- clock and samples ------------------------------------------------------------------------------
    @property
    def fs_true(self) -> float:
        """The true output data rate in Hz (nominal rate times the crystal error)."""
        return self.rate_hz * (1.0 + self.drift_ppm * 1e-6)

    def true_time_s(self, k: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """True (host wall-clock) time in s of sample index ``k``."""
        return self.power_on_s + np.asarray(k, dtype=np.float64) / self.fs_true

    def device_time_s(self, k: int) -> float:
        """The device clock's reading (s since power-on) when sample ``k`` is taken."""
        return k / self.rate_hz

    def samples(self, k: int, n: int) -> npt.NDArray[np.float32]:
        idx = np.arange(k, k + n) % len(self.source_g)
        return self.source_g[idx]

    def battery_pct(self) -> int:
        hours = (self.tb.time() - self.power_on_s) / 3600.0
        return int(max(0.0, min(100.0, self.battery0 - self.faults.battery_drain_pct_per_h * hours)))

    def delivered_indices(self) -> npt.NDArray[np.int64]:
        """Sorted indices of every sample that reached the central."""
        if not self.delivered:
            return np.zeros(0, dtype=np.int64)
        return np.concatenate([np.arange(k, k + n) for k, n in sorted(self.delivered)])

    # -- link --------------------------------------------------------------------------------------------
    @property
    def advertising(self) -> bool:
        """Advertises when powered, reachable and not connected."""
        return self.link is None and self._reachable(self.tb.time())

    def _reachable(self, now: float) -> bool:
        self._check_faults(now)
        return now >= self._unreachable_until

    def connection_request(self) -> str:
        """'ok', 'refused' (abort by the controller) or 'unreachable' (no answer: connect times out)."""
        if self.link is not None or not self._reachable(self.tb.time()):
            return "unreachable"
        if self._refuse_left > 0:
            self._refuse_left -= 1
            self.refused += 1
            return "refused"
        return "ok"

    def attach(self, link: VirtualLink) -> None:
        self.link = link
        self.connections += 1
        self._stalled = False
        self.on_connect()

    def detach(self) -> None:
        """The link ended (either side): the device forgets its stream, as every supported family does."""
        self.stop_stream()
        if self.link is not None:
            self.link = None
            self._refuse_left = self.faults.refuse_reconnects
            if self._stalled:
                self._unreachable_until = max(self._unreachable_until, self.tb.time() + self._stall_down_s)
                self._stalled = False

    def _check_faults(self, now: float) -> None:
        rel = now - self.power_on_s
        for at, down in self.faults.disconnects:
            if rel >= at and ("disconnect", at) not in self._done_faults:
                self._done_faults.add(("disconnect", at))
                self._unreachable_until = max(self._unreachable_until, self.power_on_s + at + down)
                if self.link is not None:
                    self.link.drop("connection timeout (0x08)")
        for at, down in self.faults.stalls:
            if rel >= at and ("stall", at) not in self._done_faults:
                self._done_faults.add(("stall", at))
                if self.link is not None:
                    self._stalled, self._stall_down_s = True, down

    # -- streaming ---------------------------------------------------------------------------------------
    @property
    def streaming(self) -> bool:
        return self._stream_task is not None and not self._stream_task.done()

    def start_stream(self) -> None:
        """Start sending samples from the next one taken (called by the family's start command)."""
        if self.streaming:
            return
        now = self.tb.time()
        self._next_k = max(0, math.ceil((now - self.power_on_s) * self.fs_true))
        self._stream_task = asyncio.get_running_loop().create_task(self._stream(), name=f"virtual {self.name}")

    def set_rate(self, rate_hz: float) -> None:
        """Change the output data rate; a running stream restarts on the new rate's sample grid."""
        if float(rate_hz) == self.rate_hz:
            return
        running = self.streaming
        self.stop_stream()
        self.rate_hz = float(rate_hz)
        if running:
            self.start_stream()

    def stop_stream(self) -> None:
        if self._stream_task is not None:
            self._stream_task.cancel()
            self._stream_task = None

    async def _stream(self) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            while self.link is not None and self.link.connected:
                now = self.tb.time()
                self._check_faults(now)
                link = self.link
                if link is None or not link.connected:
                    return
                n = self.packet_size(link.mtu, self._next_k)
                available = math.floor((now - self.power_on_s) * self.fs_true)  # last index taken by now
                while self._next_k + n - 1 <= available:
                    self._emit(link, self._next_k, n)
                    self._next_k += n
                    n = self.packet_size(link.mtu, self._next_k)
                due = self.power_on_s + (self._next_k + n - 1) / self.fs_true
                await asyncio.sleep(max(0.0, due - self.tb.time()) + 1e-4)

    def _emit(self, link: VirtualLink, k: int, n: int) -> None:
        if self._stalled:
            self.dropped_samples += n
            return
        if self.faults.drop_prob and self.rng.random() < self.faults.drop_prob:
            self.dropped_samples += n
            return
        payloads = self.encode(k, self.samples(k, n))
        if isinstance(payloads, bytes):
            payloads = [payloads]
        for extra in payloads[:-1]:      # time anchors and other sample-less packets go first
            link.notify(self.data_char, extra)
        if not link.notify(self.data_char, payloads[-1], on_delivered=lambda: self.delivered.append((k, n))):
            self.dropped_samples += n

    # -- standard services -------------------------------------------------------------------------------
    @staticmethod
    def device_information(manufacturer: str, model: str, firmware: str) -> VService:
        """A Device Information Service (0x180A) with manufacturer name, model number and firmware revision."""
        return VService(DEVICE_INFORMATION, [
            VChar("00002a29-0000-1000-8000-00805f9b34fb", ("read",), manufacturer.encode()),
            VChar("00002a24-0000-1000-8000-00805f9b34fb", ("read",), model.encode()),
            VChar("00002a26-0000-1000-8000-00805f9b34fb", ("read",), firmware.encode()),
        ])

    def _battery_service(self) -> VService:
        self.battery_char = VChar(
            BATTERY_LEVEL, ("read", "notify"), on_read=lambda: bytes([self.battery_pct()])
        )
        return VService(BATTERY_SERVICE, [self.battery_char])
