"""Online detection inside ``lrm record``: decoded packets -> host clock -> one online detector per leg.

The detector itself (:class:`lrm.signal.online.OnlineDetector`) is pure signal processing shared with the
offline analysis; this module is the recorder's side of it: it maps each connection's device time to host
time and tells the detector about the recorder's gaps (holes longer than :data:`lrm.ble.recover.GAP_FACTOR`
nominal periods, as ``lrm record`` recordings list them).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from lrm.ble.recover import GAP_FACTOR
from lrm.params import Params
from lrm.signal.noise import SensorNoise
from lrm.signal.online import OnlineDetector, OnlineLM

__all__ = ["RecorderFeed"]


@dataclass
class _Clock:
    """Device -> host time for one connection: device time plus the running minimum of (arrival - device)."""

    offset_s: float = math.inf
    last_dev_s: float = -math.inf
    synth_n: int = 0


@dataclass
class _Leg:
    detector: OnlineDetector
    clock: _Clock = field(default_factory=_Clock)


class RecorderFeed:
    """Online detection inside ``lrm record``: one :class:`OnlineDetector` per leg, fed decoded packets.

    The recorder's writer task calls :meth:`connected` when a stream starts and :meth:`feed` for every
    decoded packet; :meth:`count` is the live "LMs so far". Device time is mapped to host time per
    connection by the lower envelope of (arrival - device time) so far (the final recording uses the
    whole-night clock fit of :mod:`lrm.ble.clock`, which only a finished night allows; see the tests for
    how close the two come). Times are Unix epoch seconds; the grid origin is the first sample of the night.
    """

    def __init__(self, params: Params | None = None, *, update_s: float = 30.0) -> None:
        self.params = params or Params()
        self.update_s = update_s
        self.origin_s: float | None = None
        self._legs: dict[str, _Leg] = {}
        self._rates: dict[str, float] = {}
        self._ranges: dict[str, float | None] = {}

    def connected(self, side: str, info: Any) -> None:
        """A new connection of ``side`` streams with ``info`` (a StreamInfo): restart its clock mapping."""
        self._rates[side] = float(getattr(info, "rate_hz", 0.0) or self._rates.get(side, 0.0) or 50.0)
        self._ranges[side] = float(getattr(info, "range_g", 0.0) or 0.0) or self._ranges.get(side)
        leg = self._legs.get(side)
        if leg is not None and self._ranges[side] is not None:
            leg.detector.range_g = self._ranges[side]   # the full scale the saturation rule reads
        if leg is not None and not getattr(info, "has_device_clock", True):
            leg.clock = _Clock(offset_s=math.inf, last_dev_s=-math.inf, synth_n=0)  # sample count restarts

    def feed(self, side: str, samples: Any, arrival_s: float) -> list[OnlineLM]:
        """Add one decoded packet of ``side`` that arrived at host time ``arrival_s``; return new LMs."""
        n = int(samples.accel_g.shape[0])
        if n == 0:
            return []
        leg = self._leg(side, samples)
        dev = np.asarray(samples.sensor_time_s, dtype=np.float64)
        clock = leg.clock
        if not np.isfinite(dev).all():              # no device clock: count samples on this connection
            dev = (clock.synth_n + np.arange(n)) / leg.detector.fs_hz
            clock.synth_n += n
        if dev[0] < clock.last_dev_s - 1.0:          # device clock restarted: a new segment
            clock.offset_s = math.inf
        clock.last_dev_s = float(dev[-1])
        clock.offset_s = min(clock.offset_s, arrival_s - float(dev[-1]))
        if self.origin_s is None:
            self.origin_s = float(dev[0] + clock.offset_s)
            for other in self._legs.values():
                other.detector.origin_s = self.origin_s
        return leg.detector.push(dev + clock.offset_s, samples.accel_g)

    def count(self, side: str) -> int:
        """LMs of ``side`` finalised so far (all movements; the morphology check is applied offline)."""
        leg = self._legs.get(side)
        return len(leg.detector.lms) if leg is not None else 0

    def lms(self, side: str) -> tuple[OnlineLM, ...]:
        leg = self._legs.get(side)
        return leg.detector.lms if leg is not None else ()

    def noise(self, side: str) -> SensorNoise | None:
        """The sensor noise model a leg's detector uses (measured from its first minutes), None before."""
        leg = self._legs.get(side)
        return leg.detector.noise if leg is not None else None

    def finish(self) -> Mapping[str, tuple[OnlineLM, ...]]:
        """Flush every leg at the night's end (the latest sample over all legs); return all LMs per leg."""
        ends = [leg.detector.latest_s for leg in self._legs.values() if math.isfinite(leg.detector.latest_s)]
        for leg in self._legs.values():
            leg.detector.finish(max(ends) if ends else None)
        return {side: leg.detector.lms for side, leg in self._legs.items()}

    @property
    def sides(self) -> Iterable[str]:
        return tuple(self._legs)

    def _leg(self, side: str, samples: Any) -> _Leg:
        leg = self._legs.get(side)
        if leg is None:
            rate = self._rates.get(side, 0.0) or 50.0
            det = OnlineDetector(fs_hz=rate, origin_s=self.origin_s or 0.0, side=side, params=self.params,
                                 update_s=self.update_s, hole_periods=GAP_FACTOR,
                                 range_g=self._ranges.get(side))
            leg = self._legs[side] = _Leg(det)
        return leg
