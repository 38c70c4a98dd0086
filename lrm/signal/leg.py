"""One leg's signal chain: raw samples -> working grid -> gravity/dynamic -> envelope/floor -> movements.

This is the whole per-leg analysis, in the order it runs (:func:`process_leg`):

1. :func:`lrm.signal.prepare.prepare_leg`: timestamps repaired, gaps found, block means on the 25 Hz grid;
2. :func:`leg_signals`: gravity per second (:mod:`lrm.signal.gravity`), the dynamic acceleration's
   magnitude, its smoothed envelope and adaptive noise floor (:mod:`lrm.signal.envelope`);
3. :func:`detect_leg_movements`: **the detection step**, one call from the leg's signals to its table
   of movements (``onset_s``, ``offset_s``, ``peak_g``, ``burst_s``, ``half_peak_s``, ``morphology_ok``
   ..., times in s since the recording start). A new detector plugs in here and nowhere else;
4. per-second summaries the later, whole-night steps need (posture, rest, the report's trace).

Everything here is on the leg's own clock; :meth:`LegResult.on_clock` moves a finished leg onto another
leg's clock (:mod:`lrm.signal.align`). The online detector (:mod:`lrm.signal.online`) runs steps 2-3 on
buffered windows, so online and offline detection stay one implementation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import numpy.typing as npt
import pandas as pd

from lrm.io.recording import Leg
from lrm.params import DetectParams, Params
from lrm.signal.align import ClockFit, activity, apply_clock_fit, shift_1s, shift_events
from lrm.signal.burst import estimate_bursts
from lrm.signal.detect import detect_lms
from lrm.signal.envelope import estimate_noise_floor, smooth_envelope
from lrm.signal.gravity import dynamic_magnitude, estimate_gravity_1s, per_second_mean
from lrm.signal.prepare import PreparedLeg, prepare_leg

__all__ = ["LegSignals", "LegResult", "leg_signals", "detection_params", "detect_leg_movements", "with_bursts",
           "process_leg", "oscillation_1s", "per_second"]

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True, slots=True, eq=False)
class LegSignals:
    """One leg's signals on the working grid (its own clock).

    prepared : the gridded samples (``accel_g`` (m, 3) in g, ``valid`` (m,), ``fs_hz``).
    gravity_1s : float32 (s, 3), resting orientation per second in g.
    envelope : float32 (m,), smoothed magnitude of the dynamic acceleration in g.
    floor : float32 (m,), adaptive noise floor of the envelope in g (+inf where unknown).
    mean_1s : float32 (s, 3), per-second mean acceleration in g, gravity included.
    """

    prepared: PreparedLeg
    gravity_1s: FloatArray
    envelope: FloatArray
    floor: FloatArray
    mean_1s: FloatArray

    def activity(self) -> FloatArray:
        """The compressed movement signal (m,) the two legs' clock fit cross-correlates (dimensionless)."""
        return activity(self.envelope, self.floor, self.prepared.valid)


@dataclass(frozen=True, slots=True, eq=False)
class LegResult:
    """One leg's results: its prepared samples (its own clock) and, per second, on the clock it was moved to.

    prepared : the gridded samples (own clock; gaps, coverage, clipping and repairs for the quality table).
    gravity_1s : float32 (s, 3), resting orientation per second in g.
    activity_1s : float32 (s,), oscillating movement per second in g (:func:`oscillation_1s`: walking).
    valid_1s : bool (s,), the whole second has data.
    moves : DataFrame, the detected movements (:func:`detect_leg_movements`), times in s.
    envelope_max_1s : float32 (s,), the envelope's maximum per second in g (the report's trace).
    """

    prepared: PreparedLeg
    gravity_1s: FloatArray
    activity_1s: FloatArray
    valid_1s: npt.NDArray[np.bool_]
    moves: pd.DataFrame
    envelope_max_1s: FloatArray

    @property
    def n_seconds(self) -> int:
        """Seconds covered by all per-second arrays (they may differ by one at the end)."""
        return min(self.activity_1s.size, self.gravity_1s.shape[0], self.valid_1s.size)

    def on_clock(self, fit: ClockFit, duration_s: float) -> LegResult:
        """This leg moved onto the other leg's clock (``fit``: its lag against that leg): movements by their
        times (dropped outside [0, ``duration_s``) s), per-second values by interpolation at the seconds'
        centres, validity by nearest second (False outside this leg's data)."""
        return replace(self, gravity_1s=shift_1s(self.gravity_1s, fit), activity_1s=shift_1s(self.activity_1s, fit),
                       valid_1s=apply_clock_fit(self.valid_1s, fit, fs_hz=1.0),
                       moves=shift_events(self.moves, fit, duration_s),
                       envelope_max_1s=shift_1s(self.envelope_max_1s, fit))


def leg_signals(prepared: PreparedLeg, params: Params) -> LegSignals:
    """Gravity (per second), envelope and noise floor of one prepared leg, all in g.

    Gravity: the edge-preserving running median of the per-second means (``params.prepare.gravity_window_s``);
    envelope: the dynamic acceleration's magnitude smoothed over ``params.detect.smooth_s``; floor: the
    ``floor_max_s`` look-back maximum, then ``floor_min_s`` look-back minimum of the envelope (MATPLM's EMG
    baseline, docs/scoring.md §1.2).
    """
    fs = prepared.fs_hz
    mean_1s, ok_1s = per_second_mean(prepared.accel_g, prepared.valid, fs_hz=fs)
    gravity_1s = estimate_gravity_1s(mean_1s, ok_1s, window_s=params.prepare.gravity_window_s)
    envelope = smooth_envelope(dynamic_magnitude(prepared.accel_g, gravity_1s, fs_hz=fs), fs_hz=fs,
                               smooth_s=params.detect.smooth_s)
    floor = estimate_noise_floor(envelope, prepared.valid, fs_hz=fs, max_s=params.detect.floor_max_s,
                                 min_s=params.detect.floor_min_s)
    return LegSignals(prepared, gravity_1s, envelope, floor, mean_1s)


def detection_params(prepared: PreparedLeg, detect: DetectParams) -> DetectParams:
    """The detection thresholds for this leg, never below the sensor's quantisation: 1.5 LSB (g) to start an
    LM, 0.75 LSB to continue it (a single quantisation step of noise is not a movement)."""
    return replace(detect, high_g=max(detect.high_g, 1.5 * prepared.resolution_g),
                   low_g=max(detect.low_g, 0.75 * prepared.resolution_g))


def detect_leg_movements(signals: LegSignals, params: Params, *, side: str) -> pd.DataFrame:
    """The detection step: one leg's movements from its signals (the swap point for a new detector).

    Returns the events table of :func:`lrm.signal.detect.detect_lms`: one row per movement, ``onset_s`` and
    ``offset_s`` in s since the grid origin (the recording start), ``peak_g``, ``burst_s``, ``half_peak_s``
    and the morphology flag (docs/scoring.md §1.2 steps 1 and 5).
    """
    p = signals.prepared
    return detect_lms(signals.envelope, signals.floor, p.valid, fs_hz=p.fs_hz, side=side,
                      params=detection_params(p, params.detect))


def with_bursts(moves: pd.DataFrame, leg: Leg, origin_s: float) -> pd.DataFrame:
    """``moves`` (times in s since ``origin_s``, the leg's own clock) with each movement's burst measures
    (:data:`lrm.signal.burst.BURST_COLUMNS`: peak in g, high-amplitude time and energy span in s), taken on the
    leg's raw samples against its rest before and after the movement."""
    intervals = moves[["onset_s", "offset_s"]].to_numpy(float).reshape(-1, 2) + origin_s
    bursts = estimate_bursts(leg.t_s, leg.accel_g, intervals, fs_hz=float(leg.fs_hz))
    return pd.concat([moves.reset_index(drop=True), bursts], axis=1)


def per_second(values: npt.NDArray, fs_hz: float, how: str) -> npt.NDArray:
    """Per-second ``"max"``, ``"all"`` or ``"mean"`` of grid values (n,) at ``fs_hz`` (whole samples per s);
    a trailing partial second is left out.

    >>> per_second(np.arange(5.0), 2.0, "max").tolist(), per_second(np.arange(5.0), 2.0, "mean").tolist()
    ([1.0, 3.0], [0.5, 2.5])
    """
    k = int(round(fs_hz))
    s = values.shape[0] // k
    block = values[: s * k].reshape(s, k)
    return block.max(axis=1) if how == "max" else (block.all(axis=1) if how == "all" else block.mean(axis=1))


def oscillation_1s(signals: LegSignals) -> FloatArray:
    """Per-second oscillating movement (s,) in g: the mean envelope with the second's net offset from gravity removed.

    Gait swings the shank back and forth at the stride rate (~1 Hz) with heel strikes, so within a second
    the dynamic acceleration averages out while its magnitude stays large; a leg movement in bed is one
    excursion with a tonic hold, whose dynamic part within a second is mostly a steady offset. Walking is
    found from this, never from the envelope alone (a long, large LM is not walking).
    """
    act = per_second(signals.envelope, signals.prepared.fs_hz, "mean")
    g1 = signals.mean_1s
    n = min(act.size, g1.shape[0], signals.gravity_1s.shape[0])
    offset2 = ((g1[:n] - signals.gravity_1s[:n]) ** 2).sum(axis=1)
    return np.sqrt(np.maximum(act[:n] ** 2 - offset2, 0.0)).astype(np.float32)


def process_leg(leg: Leg, *, origin_s: float, n_grid: int, params: Params,
                on_activity: Callable[[FloatArray], None] | None = None) -> LegResult:
    """The whole per-leg chain on the leg's own clock: prepare, signals, detection, per-second summaries.

    Parameters
    ----------
    leg : Leg
        Raw samples (``t_s`` in s, ``accel_g`` in g).
    origin_s : float
        Time (s, same clock as ``leg.t_s``) of grid sample 0: the recording start.
    n_grid : int
        Grid samples (the recording's duration in s times ``params.prepare.work_fs_hz``, plus one).
    params : Params
        Analysis parameters (``prepare`` and ``detect`` are read here).
    on_activity : callable, optional
        Called with the leg's clock-fit activity signal as soon as it exists, before detection, so the
        two legs' clock fit can overlap their detection (two-leg nights).

    Returns
    -------
    LegResult
        Repairs are in ``prepared.repairs``, not warned (the caller warns in leg order).
    """
    prepared = prepare_leg(leg, origin_s=origin_s, n_grid=n_grid, params=params.prepare, warn=False)
    signals = leg_signals(prepared, params)
    if on_activity is not None:
        on_activity(signals.activity())
    moves = detect_leg_movements(signals, params, side=leg.side)
    moves = with_bursts(moves, leg, origin_s)
    fs = prepared.fs_hz
    return LegResult(prepared, signals.gravity_1s, oscillation_1s(signals), per_second(prepared.valid, fs, "all"),
                     moves, per_second(signals.envelope, fs, "max"))
