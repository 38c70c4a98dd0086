"""The overnight recorder: one task per leg, one writer task, a journal on disk, a native recording at the end.

Structure (STYLE.md §9)::

    TaskGroup
      leg task (left)    loop: stream_once() with a fresh BleakClient  -> Packet / LinkEvent on the queue
      leg task (right)         backoff 1 s doubling to 30 s between failed attempts
      writer task        the only code touching disk: journal records, fsync every second, live status
      ticker task        flush ticks; ends the night at ``until_s`` (simulated nights)

A notification callback only stamps host monotonic and wall-clock ns, copies the bytes and
``put_nowait``s them. Decoding (for the live status and the journal's sensor-time fields), the clock
model and the final assembly are synchronous functions shared with ``lrm recover``: the recording
written at the end is exactly what ``lrm recover`` would rebuild from the same journal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import os
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrm.ble.journal import EVENT, GAP, META, STREAM, JournalWriter, PacketRecord, journal_path
from lrm.ble.timebase import REAL_TIME, Timebase
from lrm.errors import LrmError, OutputExistsError
from lrm.io.recording_lock import RecordingLock, check_not_recording

if TYPE_CHECKING:
    from bleak.backends.client import BaseBleakClient
    from bleak.backends.device import BLEDevice

    from lrm.ble.drivers.base import Driver, StreamInfo
    from lrm.io.recording import Recording

__all__ = ["LegTarget", "RecordOptions", "LegStatus", "Packet", "LinkEvent", "stream_once", "record_night",
           "check_output_dir"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LegTarget:
    """One ankle: the sensor found by the scan and the driver that speaks its protocol."""

    side: str
    device: BLEDevice
    driver: Driver
    name: str = ""


@dataclass(frozen=True)
class RecordOptions:
    """Recorder timing, in host seconds (the timebase's seconds when simulating).

    ``silence_s``: watchdog: no notification for this long -> drop the link and reconnect.
    ``backoff_s``/``backoff_max_s``: first wait after a failed attempt, doubled up to the maximum.
    ``flush_s``: journal flush + fsync interval (the promise is at most 2 s of data lost).
    ``battery_every_s``: battery read interval. ``connect_timeout_s``: per connection attempt.
    ``until_s``: stop by itself at this host wall-clock time (simulated nights), None = until Ctrl-C.
    """

    silence_s: float = 10.0
    backoff_s: float = 1.0
    backoff_max_s: float = 30.0
    flush_s: float = 1.0
    battery_every_s: float = 300.0
    connect_timeout_s: float = 20.0
    until_s: float | None = None


@dataclass(frozen=True, slots=True)
class Packet:
    side: str
    conn: int
    mono_ns: int
    wall_ns: int
    payload: bytes


@dataclass(frozen=True, slots=True)
class LinkEvent:
    """``kind``: "connected" (with ``info``), "lost" (with ``cause``), "failed" (attempt), "battery"."""

    side: str
    kind: str
    wall_ns: int
    conn: int = 0
    cause: str = ""
    detail: str = ""
    info: StreamInfo | None = None
    value: float | None = None


@dataclass
class LegStatus:
    """Live state of one leg, updated by the writer task, shown by :mod:`lrm.ble.status`."""

    side: str
    name: str
    address: str
    family: str = ""
    connected: bool = False
    packets: int = 0
    samples: int = 0
    lost_samples: int = 0
    malformed: int = 0
    reconnects: int = 0
    failed_attempts: int = 0
    battery_pct: float | None = None
    rate_hz: float = 0.0
    nominal_rate_hz: float = 0.0
    last_gap: str = ""
    warnings: tuple[str, ...] = ()
    lms: int = 0
    _recent: deque[tuple[int, int]] = field(default_factory=lambda: deque(maxlen=64), repr=False)

    def note_samples(self, wall_ns: int, n: int) -> None:
        self._recent.append((wall_ns, n))
        if len(self._recent) >= 2:
            span = (self._recent[-1][0] - self._recent[0][0]) / 1e9
            count = sum(k for _, k in list(self._recent)[1:])
            self.rate_hz = count / span if span > 0 else 0.0


def check_output_dir(night_dir: str | os.PathLike[str], *, locked: bool = False) -> Path:
    """Refuse a directory that is being recorded (its lock is held: :mod:`lrm.io.recording_lock`), or that already
    holds a recording or a journal (nothing recorded is overwritten). ``locked``: this process holds the lock."""
    from lrm.io.native import MANIFEST

    out = Path(night_dir)
    if not locked:
        check_not_recording(out, "a second recorder cannot write into it")
    if (out / MANIFEST).exists():
        raise OutputExistsError(str(out / MANIFEST))
    if journal_path(out).exists():
        raise OutputExistsError(
            str(journal_path(out)),
            "this directory holds an unfinished night: run 'lrm recover DIR' on it, or choose another --out",
        )
    if out.exists() and not out.is_dir():
        raise OutputExistsError(str(out), "--out must be a directory; choose another name")
    return out


async def stream_once(
    target: LegTarget,
    conn: int,
    out: asyncio.Queue[Packet | LinkEvent],
    stop: asyncio.Event,
    *,
    options: RecordOptions,
    timebase: Timebase = REAL_TIME,
    backend: type[BaseBleakClient] | None = None,
    backend_kwargs: Mapping[str, Any] | None = None,
) -> tuple[str, int]:
    """Connect, stream until the link drops, goes silent or ``stop`` is set; return (reason, packets).

    Reasons: "disconnected", "silent" (watchdog), "sensor-stopped" (the sensor ended its stream and said so,
    :attr:`Driver.ended`), "stopped" (``stop`` set). Connection errors propagate to the caller.
    """
    from bleak import BleakClient

    lost = asyncio.Event()
    last_rx = timebase.monotonic()
    received = 0
    side = target.side

    def on_packet(data: bytes) -> None:
        nonlocal last_rx, received      # runs on the event loop: stamp, copy, hand off; never blocks
        mono = timebase.monotonic_ns()
        last_rx = mono / 1e9
        received += 1
        out.put_nowait(Packet(side, conn, mono, timebase.time_ns(), bytes(data)))

    extra = dict(backend_kwargs or {}) if backend is not None else {}
    async with BleakClient(
        target.device, disconnected_callback=lambda _c: lost.set(), timeout=options.connect_timeout_s,
        backend=backend, **extra,
    ) as client:
        info = await target.driver.start(client, on_packet)
        last_rx = timebase.monotonic()
        out.put_nowait(LinkEvent(side, "connected", timebase.time_ns(), conn, info=info))
        next_battery = timebase.monotonic()
        try:
            while not lost.is_set():
                if timebase.monotonic() >= next_battery:
                    next_battery = timebase.monotonic() + options.battery_every_s
                    level = await target.driver.read_battery(client)
                    if level is not None:
                        out.put_nowait(LinkEvent(side, "battery", timebase.time_ns(), conn, value=float(level)))
                await _wait_either(stop, target.driver.ended, timeout=min(1.0, options.silence_s / 4))
                if stop.is_set():
                    return "stopped", received
                if target.driver.ended.is_set():
                    return "sensor-stopped", received   # the sensor ended its stream: reconnect and start again
                if timebase.monotonic() - last_rx > options.silence_s:
                    return "silent", received  # watchdog: the caller reconnects with a fresh client
            return "disconnected", received
        finally:
            if client.is_connected:
                with contextlib.suppress(Exception):
                    await target.driver.stop(client)  # also runs on cancellation


async def _wait_either(a: asyncio.Event, b: asyncio.Event, *, timeout: float) -> None:
    """Return when either event is set, or after ``timeout`` s."""
    if a.is_set() or b.is_set():
        return
    waits = [asyncio.ensure_future(a.wait()), asyncio.ensure_future(b.wait())]
    try:
        await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()


async def _leg_task(
    target: LegTarget, out: asyncio.Queue[Packet | LinkEvent], stop: asyncio.Event, *, options: RecordOptions,
    timebase: Timebase, backend: type[BaseBleakClient] | None, backend_kwargs: Mapping[str, Any] | None,
) -> None:
    """Keep one leg streaming all night: reconnect with backoff, report every link loss with its cause."""
    from bleak.exc import BleakError

    conn, delay, failures = 0, options.backoff_s, 0
    while not stop.is_set():
        conn += 1
        try:
            reason, packets = await stream_once(target, conn, out, stop, options=options, timebase=timebase,
                                                backend=backend, backend_kwargs=backend_kwargs)
        except (BleakError, TimeoutError, OSError, EOFError, LrmError) as exc:
            failures += 1
            out.put_nowait(LinkEvent(target.side, "failed", timebase.time_ns(), conn, cause="connect-failed",
                                     detail=f"{exc.__class__.__name__}: {exc}"[:200]))
            reason, packets = "", 0
        if reason:
            out.put_nowait(LinkEvent(target.side, "lost", timebase.time_ns(), conn, cause=reason,
                                     detail=f"after {packets} packets"))
            if reason == "stopped":
                return
            if packets:
                delay, failures = options.backoff_s, 0
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=delay)
        if not reason or not packets:
            delay = min(delay * 2, options.backoff_max_s)


class _Writer:
    """State of the single writer task: the journal, per-leg decoders and status."""

    def __init__(self, journal: JournalWriter, status: dict[str, LegStatus], online: Any | None) -> None:
        self.journal = journal
        self.status = status
        self.online = online
        self.decoders: dict[str, Any] = {}
        self.conn: dict[str, int] = {}
        self.pending_gap: dict[str, dict[str, Any]] = {}
        self.last_wall_ns: dict[str, int] = {}

    def handle(self, item: Packet | LinkEvent) -> None:
        if isinstance(item, Packet):
            self._packet(item)
        else:
            self._event(item)

    def _packet(self, p: Packet) -> None:
        from lrm.ble.protocols import MalformedPacket

        st = self.status[p.side]
        first = last = math.nan
        n = 0
        decoder = self.decoders.get(p.side) if self.conn.get(p.side) == p.conn else None
        if decoder is not None:
            try:
                samples = decoder.decode(p.payload)
            except MalformedPacket as exc:
                st.malformed += 1
                log.info("%s: malformed packet: %s", p.side, exc)
                samples = None
            if samples is not None and samples.n:
                n = samples.n
                first, last = float(samples.sensor_time_s[0]), float(samples.sensor_time_s[-1])
                st.lost_samples += int(samples.lost_before or 0)
                if self.online is not None:
                    self.online.feed(p.side, samples, p.wall_ns / 1e9)
                    st.lms = self.online.count(p.side)
        self.journal.write_packet(PacketRecord(p.side, p.conn, p.mono_ns, p.wall_ns, first, last, n, p.payload))
        st.packets += 1
        st.samples += n
        if n:
            st.note_samples(p.wall_ns, n)
        gap = self.pending_gap.pop(p.side, None)
        if gap is not None:
            gap["end_wall_ns"] = p.wall_ns
            self.journal.write_json(GAP, gap)
            st.last_gap = f"{(gap['end_wall_ns'] - gap['start_wall_ns']) / 1e9:.1f} s ({gap['cause']})"
        self.last_wall_ns[p.side] = p.wall_ns

    def _event(self, e: LinkEvent) -> None:
        from lrm.ble.protocols import make_decoder

        st = self.status[e.side]
        if e.kind == "connected" and e.info is not None:
            self.decoders[e.side] = make_decoder(e.info.family, e.info.decoder_config)
            if self.online is not None and hasattr(self.online, "connected"):
                self.online.connected(e.side, e.info)   # rate and clock kind of the new stream
            self.conn[e.side] = e.conn
            st.connected, st.family, st.nominal_rate_hz = True, e.info.family, e.info.rate_hz
            st.warnings = tuple(e.info.warnings)
            st.reconnects += e.conn > 1
            self.journal.write_json(STREAM, {"side": e.side, "conn": e.conn, "wall_ns": e.wall_ns,
                                             "info": e.info.to_dict()})
            return
        if e.kind == "battery":
            st.battery_pct = e.value
        elif e.kind == "lost":
            st.connected = False
            if e.cause != "stopped":
                start = self.last_wall_ns.get(e.side, e.wall_ns)
                self.pending_gap[e.side] = {"side": e.side, "start_wall_ns": start, "cause": e.cause,
                                            "detail": e.detail, "lost_wall_ns": e.wall_ns, "attempts": 0}
        elif e.kind == "failed":
            st.failed_attempts += 1
            if e.side in self.pending_gap:
                self.pending_gap[e.side]["attempts"] += 1
                self.pending_gap[e.side]["detail"] += f"; reconnect failed: {e.detail}"[:300]
        self.journal.write_json(EVENT, {"side": e.side, "kind": e.kind, "wall_ns": e.wall_ns, "conn": e.conn,
                                        "cause": e.cause, "detail": e.detail, "value": e.value})


async def record_night(
    night_dir: str | os.PathLike[str],
    targets: list[LegTarget],
    *,
    options: RecordOptions = RecordOptions(),
    timebase: Timebase = REAL_TIME,
    backend: type[BaseBleakClient] | None = None,
    backend_kwargs: Mapping[str, Any] | None = None,
    stop: asyncio.Event | None = None,
    on_status: Callable[[dict[str, LegStatus]], None] | None = None,
    meta: Mapping[str, Any] | None = None,
    online: Any | None = None,
    timezone: str | None = None,
) -> Path:
    """Record until ``stop`` is set (or ``options.until_s``), then finalise the native recording.

    Returns the night directory. The journal is written from the first packet on, so whatever happens
    to this process, ``lrm recover NIGHT_DIR`` can rebuild the night. Raises
    :class:`~lrm.errors.OutputExistsError` if the directory already holds a recording or a journal.
    ``timezone`` is the night's zone (``--tz``); by default this computer's, journaled at the start.
    """
    lock = RecordingLock(Path(night_dir)).acquire()  # held until the recording is saved (released on any exit)
    try:
        return await _record_locked(night_dir, targets, options=options, timebase=timebase, backend=backend,
                                    backend_kwargs=backend_kwargs, stop=stop, on_status=on_status, meta=meta,
                                    online=online, timezone=timezone)
    finally:
        lock.release()


async def _record_locked(night_dir: str | os.PathLike[str], targets: list[LegTarget], *, options: RecordOptions,
                         timebase: Timebase, backend: type[BaseBleakClient] | None,
                         backend_kwargs: Mapping[str, Any] | None, stop: asyncio.Event | None,
                         on_status: Callable[[dict[str, LegStatus]], None] | None, meta: Mapping[str, Any] | None,
                         online: Any | None, timezone: str | None) -> Path:
    out = check_output_dir(night_dir, locked=True)
    stop = stop or asyncio.Event()
    journal = JournalWriter(journal_path(out))
    status = {t.side: LegStatus(t.side, t.name or (t.device.name or ""), t.device.address) for t in targets}
    queue: asyncio.Queue[Packet | LinkEvent | None] = asyncio.Queue()
    from lrm.io.timezones import computer_timezone

    journal.write_json(META, {
        "version": 1, "created_wall_ns": timebase.time_ns(), "timebase_speed": timebase.speed,
        "timezone": timezone or computer_timezone(),   # where the night is recorded: the recording's zone
        "timezone_source": "option" if timezone else "computer",
        "legs": {t.side: {"address": t.device.address, "name": t.name or t.device.name,
                          "driver": f"{type(t.driver).__module__}.{type(t.driver).__qualname__}",
                          "rate_hz": t.driver.rate_hz, "range_g": t.driver.range_g} for t in targets},
        "meta": dict(meta or {}),
    })
    journal.sync()
    writer = _Writer(journal, status, online)

    last_fsync = [time.monotonic()]

    async def write_all() -> None:
        while (item := await queue.get()) is not None:
            if isinstance(item, str):               # flush tick: flush every tick, fsync every flush_s of real time
                now = time.monotonic()
                fsync = now - last_fsync[0] >= options.flush_s
                journal.sync(fsync=fsync)
                if fsync:
                    last_fsync[0] = now
                if on_status is not None:
                    on_status(status)
                continue
            writer.handle(item)
        journal.write_json(EVENT, {"side": "", "kind": "stop", "wall_ns": timebase.time_ns()})
        journal.close()

    async def tick() -> None:
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=options.flush_s)
            if options.until_s is not None and timebase.time() >= options.until_s:
                stop.set()
            queue.put_nowait("flush")  # type: ignore[arg-type]

    async def legs() -> None:
        async with asyncio.TaskGroup() as legs_group:
            for t in targets:
                legs_group.create_task(_leg_task(t, queue, stop, options=options, timebase=timebase,  # type: ignore[arg-type]
                                                 backend=backend, backend_kwargs=backend_kwargs), name=t.side)
        queue.put_nowait(None)   # all legs finished: the writer drains the queue and closes the journal

    try:
        async with asyncio.TaskGroup() as group:
            group.create_task(write_all(), name="writer")
            group.create_task(tick(), name="ticker")
            group.create_task(legs(), name="legs")
    finally:
        journal.close()
    if online is not None and hasattr(online, "finish"):
        online.finish()                                  # LMs still waiting for their look-ahead
        for side, st in status.items():
            st.lms = online.count(side)
    if on_status is not None:
        on_status(status)
    from lrm.ble.recover import finalize

    finalize(out)
    return out
