"""What ``lrm sit`` watches while it records: each leg's recent orientation and its movements so far.

:class:`SitMonitor` is handed to the recorder as its online detector (``record_night(online=...)``): the
writer task calls :meth:`connected` and :meth:`feed` for every decoded packet (never blocking: a few
array operations). It forwards the packets to the online LM detector (:class:`lrm.ble.online_feed.RecorderFeed`)
for the live movement count and keeps 1 s means of each leg's acceleration by arrival time for the posture
check (``lrm.signal.shank``: the same functions the offline scoring uses). The live view only guides the
person; the SIT is scored afterwards from the recording itself (``lrm.sit.analyze_sit``).
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any

import numpy as np
import numpy.typing as npt

from lrm.signal import shank

__all__ = ["SitMonitor"]


class SitMonitor:
    """Per-leg recent orientation (1 s means by host arrival time) plus the online LM detector.

    ``keep_s``: seconds of 1 s means kept per leg.
    """

    def __init__(self, *, keep_s: int = 600) -> None:
        from lrm.ble.online_feed import RecorderFeed

        self.feed_lm = RecorderFeed()
        self.keep_s = int(keep_s)
        self._sums: dict[str, OrderedDict[int, list[float]]] = {}
        self.last_arrival: dict[str, float] = {}

    # -- the recorder's online-detector interface ---------------------------------------------------------
    def connected(self, side: str, info: Any) -> None:
        self.feed_lm.connected(side, info)

    def feed(self, side: str, samples: Any, arrival_s: float) -> list[Any]:
        acc = np.asarray(samples.accel_g, dtype=np.float64)
        if acc.size:
            sec = int(math.floor(arrival_s))
            buf = self._sums.setdefault(side, OrderedDict())
            cell = buf.get(sec)
            tot = acc.sum(axis=0)
            if cell is None:
                buf[sec] = [float(tot[0]), float(tot[1]), float(tot[2]), float(acc.shape[0])]
                while len(buf) > self.keep_s:
                    buf.popitem(last=False)
            else:
                cell[0] += float(tot[0]); cell[1] += float(tot[1]); cell[2] += float(tot[2]); cell[3] += acc.shape[0]  # noqa: E702
            self.last_arrival[side] = arrival_s
        return self.feed_lm.feed(side, samples, arrival_s)

    def count(self, side: str) -> int:
        return self.feed_lm.count(side)

    def finish(self) -> Any:
        return self.feed_lm.finish()

    # -- for the SIT session --------------------------------------------------------------------------------
    @property
    def sides(self) -> tuple[str, ...]:
        return tuple(self._sums)

    def orientation(self, side: str, *, since_s: float, until_s: float) -> npt.NDArray[np.float64]:
        """Orientation per second (k, 3) (:func:`lrm.signal.shank.orientation_1s`) over whole seconds
        [since_s, until_s) of host time; NaN rows for seconds without data."""
        a, b = int(math.floor(since_s)), int(math.floor(until_s))
        n = max(0, b - a)
        mean = np.zeros((n, 3))
        ok = np.zeros(n, bool)
        for sec, cell in self._sums.get(side, {}).items():
            if a <= sec < b and cell[3] > 0:
                mean[sec - a] = np.asarray(cell[:3]) / cell[3]
                ok[sec - a] = True
        if not ok.any():
            return np.full((n, 3), np.nan)
        return shank.orientation_1s(mean, ok)

    def lms_since(self, side: str, t_s: float) -> int:
        """Movements of ``side`` finalised so far with onset at or after host time ``t_s`` (about a minute late)."""
        origin = self.feed_lm.origin_s
        if origin is None:
            return 0
        return sum(1 for lm in self.feed_lm.lms(side) if origin + lm.onset_s >= t_s)
