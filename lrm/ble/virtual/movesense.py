"""A virtual Movesense sensor speaking the GATT SensorData Protocol (PROTOCOLS.md §A2).

Device side of GSP, as the sample firmware ``GATTSensorDataClient`` does it:

- commands ``[cmd, ref, data]`` on ``34800001`` (write); results and data as notifications on
  ``34800002``: ``[1, ref, u16 LE status, payload]`` and ``[2, ref, u32 ms timestamp of the first sample,
  N x 3 float32 m/s²]``, continued by ``[3, ref, rest]`` (DATA_PART2) when a packet exceeds ``MTU - 3``;
- HELLO answers the protocol version and serial/product/app strings; SUBSCRIBE ``/Meas/Acc/<rate>``
  (13-1666 Hz) starts the accelerometer stream tagged with the client's ``ref`` (404 for unknown
  resources, 400 for other rates; ``507`` written big-endian, as the old firmware does, when every
  subscription slot is taken); UNSUBSCRIBE ``ref`` stops it; GET ``/Meas/Acc/Config`` answers ``GRange``;
- nothing streams before a SUBSCRIBE, and **every subscription is forgotten when the link drops**
  (``unsubscribeAllStreams`` on peer disconnect): the client must subscribe again after each reconnect;
- responses "are not guaranteed": with ``drop`` faults a command result can be lost like a data packet.

Timestamps are the sensor's uptime clock in ms (u32), which was already running when the night began.
A packet holds the firmware's natural batch (``rate / 13`` samples: 4 at 52 Hz), shrunk so that it fits
one notification or two parts of the negotiated ATT MTU (2 samples in DATA + DATA_PART2 at MTU 23).
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import numpy.typing as npt

from lrm.ble.protocols import movesense_gsp as p
from lrm.ble.virtual.gatt import VChar, VirtualLink, VService
from lrm.ble.virtual.sensor import VirtualSensor

__all__ = ["MovesenseSensor", "SUUNTO_COMPANY_ID"]

SUUNTO_COMPANY_ID = 0x009F          # Suunto Oy (Movesense) Bluetooth SIG company identifier
OK, BAD_REQUEST, NOT_FOUND, INSUFFICIENT_STORAGE = 200, 400, 404, 507


class MovesenseSensor(VirtualSensor):
    """Movesense (firmware >= 2.3 with GSP): ``/Meas/Acc/<rate>`` in m/s², ±8 g by default."""

    family = "movesense-gsp"
    display_name = "Movesense"
    default_rate_hz = 52.0
    MAX_SUBSCRIPTIONS: ClassVar[int] = 4
    G_RANGE: ClassVar[int] = 8

    def build_gatt(self) -> list[VService]:
        self.command = VChar(p.COMMAND_UUID, ("write", "write-without-response"), on_write=self._on_command)
        self._data = VChar(p.DATA_UUID, ("notify",))
        self.subscriptions: dict[int, str] = {}
        self.commands: list[tuple[int, bytes]] = []     # (connection number, command bytes): for the tests
        self.uptime0_ms = self.rng.randrange(60_000, 3_600_000 * 20)
        self._ref = 0
        return [VService(p.SERVICE_UUID, [self.command, self._data]),
                self.device_information("Movesense", "Movesense MD", "2.3.1")]

    @property
    def data_char(self) -> VChar:
        return self._data

    def advertisement(self) -> tuple[list[str], dict[int, bytes]]:
        return [], {SUUNTO_COMPANY_ID: b"\x00\x01"}

    def on_connect(self) -> None:
        self.subscriptions.clear()          # the device forgets every subscription with its peer

    def detach(self) -> None:
        self.subscriptions.clear()
        super().detach()

    # -- commands ------------------------------------------------------------------------------------------
    def _notify(self, payload: bytes) -> None:
        if self.link is None:
            return
        if self.faults.drop_prob and self.rng.random() < self.faults.drop_prob:
            return                          # "delivery of responses is not guaranteed"
        self.link.notify(self._data, payload)

    def _result(self, ref: int, status: int, payload: bytes = b"", big_endian: bool = False) -> None:
        head = bytes([p.RESP_COMMAND_RESULT, ref]) + status.to_bytes(2, "big" if big_endian else "little")
        self._notify(head + payload)

    def _on_command(self, data: bytes, response: bool) -> None:
        self.commands.append((self.connections, bytes(data)))
        try:
            cmd, ref, body = p.parse_command(data)
        except p.MalformedPacket:
            return                          # the firmware ignores a write it cannot parse
        path = body.decode("ascii", "replace")
        if cmd == p.CMD_HELLO:
            strings = [self.name.split()[-1], "Movesense MD", self.address, "gatt_sensordata_app", "1.0.0"]
            self._notify(bytes([p.RESP_COMMAND_RESULT, ref, 1]) + b"\x00".join(s.encode() for s in strings))
        elif cmd == p.CMD_SUBSCRIBE:
            self._subscribe(ref, path)
        elif cmd == p.CMD_UNSUBSCRIBE:
            if self.subscriptions.pop(ref, None) is None:
                self._result(ref, NOT_FOUND)
                return
            if not self.subscriptions:
                self.stop_stream()
            self._result(ref, OK)
        elif cmd == p.CMD_GET:
            if path == "/Meas/Acc/Config":
                self._result(ref, OK, bytes([self.G_RANGE]))
            elif path == "/Meas/Acc/Info":
                rates = np.asarray(p.ACC_RATES_HZ, dtype="<u2").tobytes()
                self._result(ref, OK, bytes([len(p.ACC_RATES_HZ)]) + rates + bytes([4, 2, 4, 8, 16]))
            else:
                self._result(ref, NOT_FOUND)
        else:
            self._result(ref, NOT_FOUND)

    def _subscribe(self, ref: int, path: str) -> None:
        parts = path.strip("/").split("/")
        if len(parts) != 3 or parts[:2] != ["Meas", "Acc"] or not parts[2].isdigit():
            self._result(ref, NOT_FOUND)
            return
        rate = float(parts[2])
        if rate not in p.ACC_RATES_HZ:
            self._result(ref, BAD_REQUEST)
            return
        if ref not in self.subscriptions and len(self.subscriptions) >= self.MAX_SUBSCRIPTIONS:
            self._result(ref, INSUFFICIENT_STORAGE, big_endian=True)
            return
        if self.streaming and rate != self.rate_hz:
            self._result(ref, BAD_REQUEST)     # one accelerometer, one rate at a time
            return
        self.subscriptions[ref] = path
        self._ref = ref
        self._result(ref, OK)
        self.set_rate(rate)
        self.start_stream()

    # -- data ----------------------------------------------------------------------------------------------
    def samples_per_packet(self, mtu: int) -> int:
        room = mtu - 3
        n = max(1, int(round(self.rate_hz / 13.0)))
        while n > 1:
            whole = p.ACC_HEADER + p.ACC_SAMPLE * n
            if whole <= room:
                break
            # two parts; a first part that happens to look complete (6 + 12 m bytes) would be ambiguous
            if whole - room + 2 <= room and (room - p.ACC_HEADER) % p.ACC_SAMPLE:
                break
            n -= 1
        return n

    def timestamp_ms(self, k: int) -> int:
        """The uptime clock (ms, u32) when sample ``k`` is taken."""
        return int(round(self.uptime0_ms + k * 1000.0 / self.rate_hz)) & 0xFFFFFFFF

    def _emit(self, link: VirtualLink, k: int, n: int) -> None:
        """As the base class, but a ``drop`` fault on a two-part packet may lose either part alone."""
        if self._stalled:
            self.dropped_samples += n
            return
        parts = self.encode(k, self.samples(k, n))
        if self.faults.drop_prob and self.rng.random() < self.faults.drop_prob:
            self.dropped_samples += n
            if len(parts) == 2:                       # a lone DATA (its end lost) or a lone DATA_PART2
                link.notify(self._data, parts[int(self.rng.random() < 0.5)])
            return
        for extra in parts[:-1]:
            link.notify(self._data, extra)
        if not link.notify(self._data, parts[-1], on_delivered=lambda: self.delivered.append((k, n))):
            self.dropped_samples += n

    def encode(self, k: int, accel_g: npt.NDArray[np.float32]) -> list[bytes]:
        accel_ms2 = accel_g.astype(np.float64) * p.STANDARD_GRAVITY
        mtu = self.link.mtu if self.link is not None else 23
        return p.encode_acc_data(self._ref, self.timestamp_ms(k), accel_ms2, mtu=mtu)
