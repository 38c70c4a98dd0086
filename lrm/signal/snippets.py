"""Short stretches of each leg's acceleration around chosen events, kept for the report's event review.

A scorer checks an event by looking at the signal around it. The night directory does not keep the raw
night (hundreds of MB), so the analysis cuts a short window around each event chosen for review
(:func:`lrm.rules.review.select_review_events`: every hypnic jerk and a sample of PLMs per series) from the
working grid (block means at ``work_fs_hz``, gravity included: what the detector saw) and stores them in
``snippets.npz`` (:mod:`lrm.io.night_dir`). With the defaults (80 events at most, 20 s at 25 Hz, 3 axes,
float32, two legs) that is at most 80 x 500 x 3 x 4 B x 2 = 0.96 MB before compression.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from lrm.signal.align import ClockFit
from lrm.signal.prepare import PreparedLeg

__all__ = ["Snippets", "cut_snippets", "SNIPPET_PRE_S", "SNIPPET_POST_S"]

SNIPPET_PRE_S = 5.0
"""Seconds kept before an event's onset: the resting signal a scorer compares the movement with."""
SNIPPET_POST_S = 15.0
"""Seconds kept after the onset: the longest candidate LM (10 s on one leg, 15 s bilateral, docs/scoring.md
§1.2 steps 3-4) fits in the window."""


@dataclass(frozen=True, slots=True, eq=False)
class Snippets:
    """Acceleration around chosen events, on the first leg's clock.

    onset_s : float64 (k,), the events' onsets in s since the recording start (the windows' anchors).
    fs_hz : sample rate of the windows in Hz.
    pre_s : s before each onset where its window starts; sample j of a window is at
        ``onset_s - pre_s + j / fs_hz``.
    accel_g : per leg, float32 (k, n, 3) acceleration in g (gravity included), NaN where the leg had no data.
    """

    onset_s: npt.NDArray[np.float64]
    fs_hz: float
    pre_s: float
    accel_g: Mapping[str, npt.NDArray[np.float32]] = field(default_factory=dict)

    def __len__(self) -> int:
        return int(self.onset_s.size)

    @property
    def n_samples(self) -> int:
        """Samples per window."""
        first = next(iter(self.accel_g.values()), None)
        return 0 if first is None else int(first.shape[1])

    def times_s(self, k: int) -> npt.NDArray[np.float64]:
        """Times (s since the recording start) of window ``k``'s samples."""
        return self.onset_s[k] - self.pre_s + np.arange(self.n_samples) / self.fs_hz

    def nearest(self, onset_s: float, tolerance_s: float = 1e-3) -> int | None:
        """Index of the window anchored at ``onset_s`` (within ``tolerance_s``), or None."""
        if not self.onset_s.size:
            return None
        k = int(np.argmin(np.abs(self.onset_s - onset_s)))
        return k if abs(self.onset_s[k] - onset_s) <= tolerance_s else None


def cut_snippets(prepared: Mapping[str, PreparedLeg], onset_s: npt.ArrayLike, *, fits: Mapping[str, ClockFit] | None = None,
                 pre_s: float = SNIPPET_PRE_S, post_s: float = SNIPPET_POST_S) -> Snippets:
    """Cut a window of [onset - ``pre_s``, onset + ``post_s``) s from every leg around each onset (s).

    Parameters
    ----------
    prepared : mapping side -> PreparedLeg
        Each leg on its working grid (its own clock; ``accel_g`` (m, 3) in g, ``valid``, ``fs_hz``).
    onset_s : array of float
        Event onsets in s since the recording start, on the first leg's clock.
    fits : mapping side -> ClockFit, optional
        A leg's clock against the first (:class:`~lrm.signal.align.ClockFit`): the window is read at
        ``t + lag(t)`` on that leg's grid. Legs not listed are on the first leg's clock.
    pre_s, post_s : float
        Window extent in s before and after each onset.

    Returns
    -------
    Snippets
        Windows at the legs' common grid rate (nearest grid sample), NaN outside a leg's valid data.
    """
    anchors = np.asarray(onset_s, dtype=np.float64).reshape(-1)
    if not prepared:
        return Snippets(anchors, 0.0, pre_s, {})
    fs_hz = float(next(iter(prepared.values())).fs_hz)
    n = int(round((pre_s + post_s) * fs_hz))
    t_s = anchors[:, None] - pre_s + np.arange(n)[None, :] / fs_hz     # (k, n) on the first leg's clock
    out: dict[str, npt.NDArray[np.float32]] = {}
    for side, leg in prepared.items():
        fit = (fits or {}).get(side)
        src = t_s + fit.lag_s(t_s) if fit is not None else t_s
        index = np.rint(src * leg.fs_hz).astype(np.int64)
        inside = (index >= 0) & (index < leg.valid.size)
        safe = np.where(inside, index, 0)
        ok = inside & leg.valid[safe]
        values = leg.accel_g[safe].astype(np.float32)                    # (k, n, 3)
        values[~ok] = np.nan
        out[side] = values
    return Snippets(anchors, fs_hz, pre_s, out)
