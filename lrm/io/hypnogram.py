"""The :class:`Hypnogram` type: 30 s sleep-stage epochs on the recording's time axis."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

__all__ = ["Hypnogram", "STAGES", "SLEEP_STAGES"]

#: allowed stage labels: wake, NREM 1-3, REM, and "?" for an unscored/unknown epoch
STAGES: Final = ("W", "N1", "N2", "N3", "R", "?")
SLEEP_STAGES: Final = ("N1", "N2", "N3", "R")


@dataclass(frozen=True, slots=True)
class Hypnogram:
    """Sleep stages in consecutive epochs.

    Attributes
    ----------
    start_s : float
        Start of the first epoch in s since the start of the recording.
    epoch_s : float
        Epoch length in s (30 s, AASM).
    stages : tuple of str
        One label per epoch from :data:`STAGES`. "?" epochs (unscored, or outside lights off-on) count as
        neither sleep nor wake.

    Examples
    --------
    >>> h = Hypnogram(0.0, 30.0, ("W", "N1", "N2"))
    >>> h.end_s, h.stage_at(np.array([29.9, 30.0, 95.0])).tolist()
    (90.0, ['W', 'N1', None])
    """

    start_s: float
    epoch_s: float = 30.0
    stages: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.epoch_s > 0:
            raise ValueError(f"epoch_s must be > 0 s, got {self.epoch_s}")
        bad = set(self.stages) - set(STAGES)
        if bad:
            raise ValueError(f"unknown stage label(s) {sorted(bad)}; use {', '.join(STAGES)}")

    @property
    def end_s(self) -> float:
        """End of the last epoch in s since the start of the recording."""
        return self.start_s + self.epoch_s * len(self.stages)

    @property
    def epoch_starts_s(self) -> np.ndarray:
        return self.start_s + self.epoch_s * np.arange(len(self.stages))

    def stage_at(self, t_s: np.ndarray) -> np.ndarray:
        """Stage of the epoch holding each time ``t_s`` (s), None outside the hypnogram (object array)."""
        t_s = np.asarray(t_s, float)
        index = np.floor((t_s - self.start_s) / self.epoch_s + 1e-9).astype(np.int64)
        inside = (index >= 0) & (index < len(self.stages))
        labels = np.array(self.stages + (None,), dtype=object)
        return labels[np.where(inside, index, len(self.stages))]

    def hours(self, stages: tuple[str, ...], period: tuple[float, float] | None = None) -> float:
        """Hours spent in ``stages``, counting only the part of each epoch inside ``period`` (s, s)."""
        starts = self.epoch_starts_s
        ends = starts + self.epoch_s
        if period is not None:
            starts, ends = np.clip(starts, *period), np.clip(ends, *period)
        selected = np.isin(np.array(self.stages, dtype=object), list(stages))
        return float(np.sum((ends - starts)[selected]) / 3600.0)
