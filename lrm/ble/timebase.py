"""Host time for the recorder: the real clocks, or simulated time for virtual sensors.

Every host timestamp the recorder takes (monotonic and wall-clock ns) goes through a :class:`Timebase`.
:data:`REAL_TIME` is the machine's clocks. :class:`SimulatedTime` is discrete-event time: the coroutine
runs in an asyncio event loop whose clock is virtual; whenever every task is waiting, time jumps to the
next timer (or advances at ``speed`` times real time when pacing is asked for). A simulated night
recorded with ``lrm record --simulate --speed 60`` therefore has the timestamps of a real night, runs 60x
faster, and is immune to the host's scheduling hiccups (which real-time acceleration would multiply by
the speed). The recorder code is the same in both cases: it only uses ``asyncio`` sleeps/timeouts and
this module's clocks.
"""

from __future__ import annotations

import asyncio
import selectors
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["Timebase", "REAL_TIME", "SimulatedTime"]

T = TypeVar("T")


class Timebase:
    """The machine's own clocks (``speed`` 1)."""

    speed: float = 1.0
    simulated: bool = False

    def monotonic_ns(self) -> int:
        """Monotonic host clock in ns."""
        return time.monotonic_ns()

    def time_ns(self) -> int:
        """Wall clock in ns since the Unix epoch."""
        return time.time_ns()

    def monotonic(self) -> float:
        return self.monotonic_ns() / 1e9

    def time(self) -> float:
        """Wall clock in s since the Unix epoch."""
        return self.time_ns() / 1e9

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` to completion in a fresh event loop on this timebase."""
        return asyncio.run(coro)


REAL_TIME = Timebase()


class _VirtualSelector(selectors.BaseSelector):
    """Wraps the real selector: I/O is real, but waiting for a timer advances virtual time instead."""

    def __init__(self, clock: SimulatedTime) -> None:
        self._inner = selectors.DefaultSelector()
        self._clock = clock

    def register(self, fileobj, events, data=None):  # noqa: ANN001, ANN201
        return self._inner.register(fileobj, events, data)

    def unregister(self, fileobj):  # noqa: ANN001, ANN201
        return self._inner.unregister(fileobj)

    def modify(self, fileobj, events, data=None):  # noqa: ANN001, ANN201
        return self._inner.modify(fileobj, events, data)

    def get_map(self):  # noqa: ANN201
        return self._inner.get_map()

    def close(self) -> None:
        self._inner.close()

    def select(self, timeout: float | None = None):  # noqa: ANN201
        ready = self._inner.select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:                      # no timer pending: only real I/O (e.g. a signal) can wake us
            return self._inner.select(None)
        if self._clock.speed is None:            # as fast as possible
            self._clock._advance(timeout)
            return []
        # pace against a fixed real-time anchor so that compute time does not make virtual time lag behind
        clock = self._clock
        if clock._anchor is None:
            clock._anchor = (time.perf_counter(), clock._elapsed_s)
        real0, virt0 = clock._anchor
        target = clock._elapsed_s + timeout
        wait = (target - virt0) / clock.speed - (time.perf_counter() - real0)
        ready = self._inner.select(max(0.0, wait)) if wait > 0 else []
        if ready:
            reached = virt0 + (time.perf_counter() - real0) * clock.speed
            clock._advance(min(target, max(reached, clock._elapsed_s)) - clock._elapsed_s)
        else:
            clock._advance(timeout)
        return ready


class _VirtualLoop(asyncio.SelectorEventLoop):
    def __init__(self, clock: SimulatedTime) -> None:
        super().__init__(_VirtualSelector(clock))
        self._sim_clock = clock

    def time(self) -> float:
        return self._sim_clock._elapsed_s


class SimulatedTime(Timebase):
    """Discrete-event host time starting at ``start_wall_s`` (Unix s, default: now).

    ``speed``: pace virtual time at most ``speed`` times real time (``None``: as fast as the CPU allows).
    Use :meth:`run` to run a coroutine on it; its clocks are meaningful only inside that run.
    """

    simulated = True

    def __init__(self, start_wall_s: float | None = None, speed: float | None = None) -> None:
        if speed is not None and not speed > 0:
            raise ValueError(f"speed must be > 0, got {speed}")
        self.speed = speed  # type: ignore[assignment]
        self.wall0_ns = time.time_ns() if start_wall_s is None else int(round(start_wall_s * 1e9))
        self._elapsed_s = 0.0
        self._anchor: tuple[float, float] | None = None

    def _advance(self, seconds: float) -> None:
        self._elapsed_s += max(0.0, seconds)

    def monotonic_ns(self) -> int:
        return int(round(self._elapsed_s * 1e9))

    def time_ns(self) -> int:
        return self.wall0_ns + int(round(self._elapsed_s * 1e9))

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        with asyncio.Runner(loop_factory=lambda: _VirtualLoop(self)) as runner:
            return runner.run(coro)
