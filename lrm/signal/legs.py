"""Both legs of a night: the per-leg chain on each leg (in two threads), then one clock for both.

Each leg runs :func:`lrm.signal.leg.process_leg` on its own clock. The second leg's clock is fitted to
the first's from both legs' activity (:func:`lrm.signal.align.estimate_clock_drift`, while the legs are
still detecting), and its movements and per-second values are moved onto the first leg's clock. Two BLE
sensors drift apart by up to +-200 ppm (each within +-100 ppm; up to 6 s over 8 h), more than the 0.5 s
bilateral window of docs/scoring.md §1.2 step 4. A night too short for a drift gets an offset alone, and a
fitted drift beyond that is held at it, each with a note (``lrm.signal.align``).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from lrm._cpus import usable_cpus
from lrm.errors import LrmWarning
from lrm.io.recording import Recording
from lrm.params import Params
from lrm.signal.align import ClockFit, estimate_clock_drift
from lrm.signal.leg import LegResult, process_leg
from lrm.signal.posture import Posture
from lrm.signal.prepare import grid_length

__all__ = ["Legs", "process_legs", "default_threads", "trace_1s"]


@dataclass(frozen=True, slots=True, eq=False)
class Legs:
    """Every leg's :class:`~lrm.signal.leg.LegResult` on the first leg's clock, the fit that put it there
    (zero and not ``ok`` for one leg) and the notes (warnings) about the pairing."""

    legs: Mapping[str, LegResult]
    clock_fit: ClockFit
    notes: tuple[str, ...]

    @property
    def sides(self) -> tuple[str, ...]:
        return tuple(self.legs)

    @property
    def n_seconds(self) -> int:
        """Seconds for which every leg has per-second values."""
        return min(leg.n_seconds for leg in self.legs.values())


def default_threads(n_legs: int = 2) -> int:
    """Threads for the per-leg steps: one per leg, at most the CPUs this process may run on."""
    return max(1, min(n_legs, usable_cpus()))


def process_legs(recording: Recording, params: Params, *, threads: int | None = None) -> Legs:
    """The per-leg chain on every leg of ``recording``, the clock fit, and the second leg on the first's clock.

    ``threads``: for the per-leg steps (default :func:`default_threads`); numpy and scipy release the GIL,
    so two legs take little more than one. The result does not depend on it. Each leg's repairs are
    warned (LrmWarning) in leg order; with threads, a failure of both legs raises the first leg's error.
    """
    sides = recording.sides
    fs = float(params.prepare.work_fs_hz)
    src = ", ".join(leg.source or side for side, leg in recording.legs.items())
    n_grid = grid_length(recording.end_s - recording.start_s, fs_hz=fs, source=src)   # never sized by a time value
    threads = default_threads(len(sides)) if threads is None else max(1, int(threads))
    two = len(sides) == 2
    activities: dict[str, Future[npt.NDArray[np.float32]]] = {side: Future() for side in sides}

    def run(side: str) -> LegResult:
        try:
            return process_leg(recording.legs[side], origin_s=recording.start_s, n_grid=n_grid, params=params,
                               on_activity=activities[side].set_result if two else None)
        except BaseException as exc:
            if not activities[side].done():
                activities[side].set_exception(exc)
            raise

    def fit_clocks() -> ClockFit:
        a, b = (activities[side].result() for side in sides)
        return estimate_clock_drift(a, b, fs_hz=fs, params=params.align)

    fit = ClockFit()
    if threads > 1 and two:
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="lrm-leg") as pool:
            tasks = {side: pool.submit(run, side) for side in sides}
            try:
                fit = fit_clocks()
            except BaseException:
                for side in sides:  # the first leg's error first, as one leg after the other would raise
                    if (error := tasks[side].exception()) is not None:
                        raise error from None
                raise
            per_leg = {side: tasks[side].result() for side in sides}
    else:
        per_leg = {side: run(side) for side in sides}
        fit = fit_clocks() if two else fit
    for side in sides:  # warned here in leg order (warnings from threads would interleave)
        for note in per_leg[side].prepared.repairs:
            warnings.warn(f"{per_leg[side].prepared.source}: {note}", LrmWarning, stacklevel=3)
    return _on_first_clock(recording, per_leg, fit)


CLOCK_NOTE_S = 0.25
"""Alignment uncertainty (s) at the recording's ends above which the night says so: half the 0.5 s of the
bilateral rule (two legs' LMs overlapping or less than 0.5 s apart are one, docs/scoring.md §1.2 step 4), so
that an error this size can move a pair across it."""


def clock_edge_error_s(fit: ClockFit, duration_s: float) -> float | None:
    """The second leg's alignment uncertainty (s) at the recording's start and end from the fitted drift's
    standard error: ``drift_sd_ppm`` * 1e-6 * half the duration (s), the line's lever arm from the middle of the
    night its windows cover; None without a fitted drift.

    >>> clock_edge_error_s(ClockFit(drift_ppm=-274.0, drift_sd_ppm=41.0, ok=True), 7200.0)
    0.1476
    >>> clock_edge_error_s(ClockFit(ok=True), 7200.0) is None
    True
    """
    if not fit.ok or fit.drift_sd_ppm is None or not np.isfinite(fit.drift_sd_ppm):
        return None
    return round(float(fit.drift_sd_ppm) * 1e-6 * duration_s / 2.0, 4)


def _on_first_clock(recording: Recording, per_leg: dict[str, LegResult], fit: ClockFit) -> Legs:
    """The second leg moved onto the first leg's clock, with notes on what could not be paired."""
    sides, notes = recording.sides, []
    if len(sides) < 2:
        return Legs(per_leg, fit, ())
    spans = {side: float(recording.legs[side].duration_s) for side in sides}
    if min(spans.values()) < 0.5 * max(spans.values()):
        short = min(spans, key=spans.__getitem__)
        notes.append(f"the {short} leg covers only {spans[short] / 3600:.1f} h of {max(spans.values()) / 3600:.1f} h; "
                     "LMs outside it are seen on one leg only")
    if fit.ok:
        per_leg = {**per_leg, sides[1]: per_leg[sides[1]].on_clock(fit, recording.end_s - recording.start_s)}
        if fit.note:    # an offset alone (too few windows for a drift), or a drift held at a clock's tolerance
            notes.append(fit.note)
        edge_s = clock_edge_error_s(fit, recording.end_s - recording.start_s)
        if edge_s is not None and edge_s > CLOCK_NOTE_S:
            notes.append(f"the legs' clocks are aligned only to about +-{edge_s:.2f} s near the start and end of the "
                         f"recording (drift {fit.drift_ppm:+.0f} +- {fit.drift_sd_ppm:.0f} ppm from "
                         f"{fit.n_windows} windows); there, two legs' LMs about 0.5 s apart may be judged bilateral "
                         "or not wrongly")
    else:
        notes.append("the two legs' clocks could not be aligned (too few bilateral movements); "
                     "bilateral LMs may be split")
    return Legs(per_leg, fit, tuple(notes))


def trace_1s(legs: Legs, postures: Mapping[str, Posture], in_bed: npt.NDArray[np.bool_]) -> pd.DataFrame:
    """The night's 1 Hz trace (trace.parquet): ``t_s``, per leg ``<side>_envelope_g`` (the envelope's maximum
    per second, g), ``<side>_lying`` and ``<side>_valid``, and ``in_bed``, over the seconds every leg covers."""
    n_sec = min(legs.n_seconds, in_bed.size)
    cols: dict[str, npt.NDArray] = {"t_s": np.arange(n_sec, dtype=np.float64)}
    for side, leg in legs.legs.items():
        cols[f"{side}_envelope_g"] = leg.envelope_max_1s[:n_sec].astype(np.float32)
        cols[f"{side}_lying"] = postures[side].lying[:n_sec]
        cols[f"{side}_valid"] = leg.valid_1s[:n_sec]
    cols["in_bed"] = in_bed[:n_sec]
    return pd.DataFrame(cols)
