"""The peripheral side of a virtual BLE link: a GATT table, ATT rules and one connection at a time.

This is the "thin in-process backend" option of PROTOCOLS.md §B5: no radio model, but the GATT
semantics the drivers depend on are kept:

- services, characteristics (with handles and properties) and a CCCD (0x2902) descriptor on every
  notifying/indicating characteristic; notifications reach the central only after it enabled them;
- ATT MTU: the central asks for an MTU (BlueZ asks for a large one), the peripheral caps it
  (``max_mtu``; 23 when the default-MTU fault is on). A notification or write-without-response longer
  than ``MTU - 3`` bytes is a protocol violation and raises (the peripheral must size its packets);
- reads and writes check the characteristic's properties; a write with response returns only when the
  peripheral has handled it (so control-point replies sent by indication arrive in order);
- either side can drop the link; the central learns of a peripheral-side drop by its disconnected callback.

Notifications are delivered on the event loop at the next connection event (30 ms connection interval,
BlueZ's default range; in order, never inside the sender's call stack), as a real stack delivers them.
"""

from __future__ import annotations

import asyncio
import inspect
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

from bleak.uuids import normalize_uuid_str

__all__ = ["CCCD_UUID", "AttError", "VChar", "VService", "VirtualLink", "DEFAULT_MTU", "MAX_ATTR_LEN"]

CCCD_UUID = normalize_uuid_str("2902")
DEFAULT_MTU = 23
MAX_ATTR_LEN = 512

# ATT error codes (Core spec Vol 3 Part F 3.4.1.1)
ATT_READ_NOT_PERMITTED = 0x02
ATT_WRITE_NOT_PERMITTED = 0x03
ATT_INVALID_ATTRIBUTE_LENGTH = 0x0D
ATT_UNLIKELY_ERROR = 0x0E


class AttError(Exception):
    """An ATT error response (code per the Core spec), raised by peripheral handlers or the link."""

    def __init__(self, code: int, message: str = "") -> None:
        super().__init__(code, message)
        self.code = code

    def __str__(self) -> str:
        return f"ATT error 0x{self.code:02X}{': ' + self.args[1] if self.args[1] else ''}"


ReadHandler = Callable[[], bytes | Awaitable[bytes]]
WriteHandler = Callable[[bytes, bool], None | Awaitable[None]]


@dataclass
class VChar:
    """A characteristic of a virtual peripheral. ``properties`` use bleak's names ("read", "notify", ...)."""

    uuid: str
    properties: tuple[str, ...]
    value: bytes = b""
    on_read: ReadHandler | None = None
    on_write: WriteHandler | None = None
    handle: int = 0
    cccd_handle: int = 0

    def __post_init__(self) -> None:
        self.uuid = normalize_uuid_str(self.uuid)

    @property
    def notifies(self) -> bool:
        return "notify" in self.properties or "indicate" in self.properties


@dataclass
class VService:
    uuid: str
    characteristics: list[VChar] = field(default_factory=list)
    handle: int = 0

    def __post_init__(self) -> None:
        self.uuid = normalize_uuid_str(self.uuid)


def assign_handles(services: Sequence[VService]) -> None:
    """Number attributes as a GATT server does: service, then per characteristic declaration, value, CCCD."""
    handle = 1
    for service in services:
        service.handle = handle
        handle += 1
        for char in service.characteristics:
            char.handle = handle + 1  # the declaration takes `handle`, the value `handle + 1`
            handle += 2
            if char.notifies:
                char.cccd_handle = handle
                handle += 1


async def _maybe_await(value: object) -> object:
    return await value if inspect.isawaitable(value) else value  # type: ignore[misc]


class VirtualLink:
    """One connection between a central (the bleak backend) and a virtual peripheral."""

    def __init__(self, peripheral: object, mtu: int, on_lost: Callable[[str], None], *,
                 interval_s: float = 0.030, rng: random.Random | None = None) -> None:
        self.peripheral = peripheral
        self.interval_s = interval_s
        self._rng = rng or random.Random(0)
        self._last_due = 0.0
        self.mtu = mtu
        self.connected = True
        self._on_lost = on_lost
        self._subscriptions: dict[int, Callable[[bytearray], None]] = {}
        self._loop = asyncio.get_running_loop()

    # -- central side -------------------------------------------------------------------------------
    def subscribe(self, char: VChar, callback: Callable[[bytearray], None]) -> None:
        self._subscriptions[char.handle] = callback

    def unsubscribe(self, char: VChar) -> None:
        self._subscriptions.pop(char.handle, None)

    def is_subscribed(self, char: VChar) -> bool:
        return self.connected and char.handle in self._subscriptions

    async def read(self, char: VChar) -> bytes:
        self._check_connected()
        if "read" not in char.properties:
            raise AttError(ATT_READ_NOT_PERMITTED, f"characteristic {char.uuid} is not readable")
        value = await _maybe_await(char.on_read()) if char.on_read else char.value
        return bytes(value)[:MAX_ATTR_LEN]  # type: ignore[arg-type]

    async def write(self, char: VChar, data: bytes, response: bool) -> None:
        self._check_connected()
        wanted = "write" if response else "write-without-response"
        if wanted not in char.properties:
            raise AttError(ATT_WRITE_NOT_PERMITTED, f"characteristic {char.uuid} has no {wanted!r} property")
        limit = MAX_ATTR_LEN if response else self.mtu - 3
        if len(data) > limit:
            raise AttError(ATT_INVALID_ATTRIBUTE_LENGTH, f"{len(data)} bytes > {limit} (ATT MTU {self.mtu})")
        if char.on_write is not None:
            await _maybe_await(char.on_write(bytes(data), response))
        else:
            char.value = bytes(data)

    # -- peripheral side ----------------------------------------------------------------------------
    def notify(self, char: VChar, data: bytes, on_delivered: Callable[[], None] | None = None) -> bool:
        """Queue a notification; False if the link is down or the central has not enabled it.

        ``on_delivered`` runs when the central's callback has been called (a sample counts as sent
        only then). Raises ValueError if ``data`` does not fit the negotiated MTU.
        """
        if len(data) > self.mtu - 3:
            raise ValueError(f"notification of {len(data)} bytes does not fit ATT MTU {self.mtu} ({self.mtu - 3} max)")
        if not self.is_subscribed(char):
            return False
        # a notification waits for the next connection event (0..interval) plus ~1 ms of radio and host stack;
        # the link layer keeps order (strictly later: asyncio's timer heap does not keep ties in order)
        due = max(self._loop.time() + self.interval_s * self._rng.random() + 0.001, self._last_due + 1e-6)
        self._last_due = due
        self._loop.call_at(due, self._dispatch, char.handle, bytes(data), on_delivered)
        return True

    def _dispatch(self, handle: int, data: bytes, on_delivered: Callable[[], None] | None) -> None:
        callback = self._subscriptions.get(handle) if self.connected else None
        if callback is None:
            return
        callback(bytearray(data))
        if on_delivered is not None:
            on_delivered()

    def drop(self, reason: str = "connection timeout") -> None:
        """Peripheral-side link loss (out of range, reset, supervision timeout)."""
        if not self.connected:
            return
        self.connected = False
        self._subscriptions.clear()
        self._on_lost(reason)

    def close(self) -> None:
        """Central-initiated disconnect."""
        self.connected = False
        self._subscriptions.clear()

    def _check_connected(self) -> None:
        if not self.connected:
            raise AttError(ATT_UNLIKELY_ERROR, "not connected")
