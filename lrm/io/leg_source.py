"""One leg's samples read window by window: how week-long device files are read in bounded memory.

A :class:`LegSource` knows a file's time span from a small index built when it is opened (block or page
times, a few bytes per block) and decodes only the samples of the window asked for. The binary device
readers (``axivity_cwa``, ``actigraph_gt3x``, ``geneactiv_bin``) return one from ``open_source(path, options)``;
every other format is read whole and wrapped in a :class:`MemoryLegSource`, which slices it.

>>> import numpy as np
>>> from lrm.io.recording import Leg, Recording
>>> t = 1e9 + np.arange(10.0)
>>> rec = Recording(legs={"left": Leg("left", t, np.zeros((10, 3), np.float32), fs_hz=1.0)})
>>> src = MemoryLegSource(rec)
>>> src.start_s, src.end_s, src.read(1e9 + 2, 1e9 + 5).legs["left"].n_samples
(1000000000.0, 1000000009.0, 3)
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

import numpy as np

from lrm.io.recording import Gap, Leg, Recording

__all__ = ["LegSource", "MemoryLegSource", "cut_leg"]


class LegSource(Protocol):
    """A leg's file, opened: its span in s (the clock of the Recording it reads) and a windowed read."""

    start_s: float
    end_s: float

    def read(self, start_s: float | None = None, end_s: float | None = None) -> Recording:
        """The samples with ``start_s <= t_s < end_s`` (the whole file without bounds) as a one-leg Recording."""
        ...


def cut_leg(leg: Leg, start_s: float | None, end_s: float | None) -> Leg:
    """The samples of ``leg`` with ``start_s <= t_s < end_s`` (views, no copy); gaps and filled stretches
    clipped to the window."""
    lo = 0 if start_s is None else int(np.searchsorted(leg.t_s, start_s, side="left"))
    hi = leg.n_samples if end_s is None else int(np.searchsorted(leg.t_s, end_s, side="left"))
    a = -np.inf if start_s is None else start_s
    b = np.inf if end_s is None else end_s

    def clip(spans: tuple[Gap, ...]) -> tuple[Gap, ...]:
        return tuple(replace(g, start_s=max(g.start_s, a), end_s=min(g.end_s, b)) for g in spans
                     if g.end_s > a and g.start_s < b)

    return replace(leg, t_s=leg.t_s[lo:hi], accel_g=leg.accel_g[lo:hi], gaps=clip(leg.gaps), filled=clip(leg.filled))


class MemoryLegSource:
    """A recording already in memory, read window by window (formats without an index)."""

    def __init__(self, recording: Recording) -> None:
        self.recording = recording
        self.start_s, self.end_s = recording.start_s, recording.end_s

    def read(self, start_s: float | None = None, end_s: float | None = None) -> Recording:
        if start_s is None and end_s is None:
            return self.recording
        legs = {side: cut_leg(leg, start_s, end_s) for side, leg in self.recording.legs.items()}
        return replace(self.recording, legs=legs)
