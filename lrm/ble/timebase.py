"""Host time for the recorder: the real clocks, or an accelerated clock for simulated nights.

Every host timestamp the recorder takes (monotonic and wall-clock ns) and every wait it makes (backoff,
watchdog, flush interval) goes through one :class:`Timebase`, so a simulated night recorded with
``--simulate --speed 60`` has the timestamps of a real night (8 h apart) while taking 8 min. Virtual
sensors use the same timebase as their "true" time.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

__all__ = ["Timebase", "REAL_TIME", "accelerated"]


@dataclass(frozen=True)
class Timebase:
    """Host clocks, optionally running ``speed`` times faster than real time from a start point.

    ``speed == 1`` is the machine's own clocks. With ``speed > 1`` the wall clock starts at
    ``wall0_ns`` (default: now) and both clocks advance ``speed`` ns per real ns.
    """

    speed: float = 1.0
    wall0_ns: int = 0
    mono0_ns: int = field(default_factory=time.monotonic_ns)

    def __post_init__(self) -> None:
        if not self.speed > 0:
            raise ValueError(f"speed must be > 0, got {self.speed}")

    @property
    def accelerated(self) -> bool:
        return self.speed != 1.0 or self.wall0_ns != 0

    def monotonic_ns(self) -> int:
        """Monotonic host clock in ns (accelerated when ``speed > 1``)."""
        now = time.monotonic_ns()
        if not self.accelerated:
            return now
        return self.mono0_ns + int((now - self.mono0_ns) * self.speed)

    def time_ns(self) -> int:
        """Wall clock in ns since the Unix epoch (accelerated from ``wall0_ns`` when ``speed > 1``)."""
        if not self.accelerated:
            return time.time_ns()
        return self.wall0_ns + int((time.monotonic_ns() - self.mono0_ns) * self.speed)

    def monotonic(self) -> float:
        """Monotonic host clock in s."""
        return self.monotonic_ns() / 1e9

    def time(self) -> float:
        """Wall clock in s since the Unix epoch."""
        return self.time_ns() / 1e9

    async def sleep(self, seconds: float) -> None:
        """Sleep ``seconds`` of this timebase's time (``seconds / speed`` of real time)."""
        await asyncio.sleep(max(0.0, seconds) / self.speed)


REAL_TIME = Timebase()


def accelerated(speed: float, *, start_wall_s: float | None = None) -> Timebase:
    """A timebase running ``speed`` times real time, whose wall clock starts at ``start_wall_s`` (default now)."""
    wall0 = time.time_ns() if start_wall_s is None else int(round(start_wall_s * 1e9))
    return Timebase(speed=float(speed), wall0_ns=wall0, mono0_ns=time.monotonic_ns())
