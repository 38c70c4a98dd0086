"""The accelerometer pipeline: from a recording to leg movements, PLMs (WASM 2016 / AASM) and hypnic jerks.

``analyze`` reads like the algorithm (issue 3):

1. each leg on its own clock (the two legs in two threads): timestamps repaired, gaps kept, block means on
   a 25 Hz grid; gravity split from movement, envelope, adaptive noise floor; movements detected;
2. the second leg's clock fitted to the first's (from both legs' activity, while they detect) and its
   movements and per-second values moved onto the first leg's clock;
3. posture (lying/upright, walking) and the rest period (time in bed);
4. label posture changes and walking, estimate sleep onsets, separate hypnic jerks;
5. score the LMs with the rule set over the rest period.
"""

from __future__ import annotations

import os
import warnings
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from lrm._cpus import usable_cpus
from lrm._version import __version__
from lrm.errors import InputError, LrmWarning
from lrm.io.recording import Recording
from lrm.params import Params
from lrm.rules.hypnic_jerks import classify_hypnic_jerks
from lrm.signal.align import ClockFit, activity, apply_clock_fit, clock_drift_from_activity
from lrm.signal.detect import detect_lms
from lrm.signal.envelope import estimate_noise_floor, smooth_envelope
from lrm.signal.gravity import dynamic_magnitude, estimate_gravity_1s, per_second_mean
from lrm.signal.posture import Posture, classify_movements, estimate_posture
from lrm.signal.prepare import PreparedLeg, prepare_leg
from lrm.signal.quality import LegQuality
from lrm.signal.rest import RestPeriod, find_rest_period
from lrm.signal.sleep import SleepEstimate, find_sleep_onsets

__all__ = ["NightResult", "analyze", "write_night", "MIN_DURATION_S"]

MIN_DURATION_S = 1800.0
"""Shortest recording analysed (s): a PLM index needs a series of >= 4 LMs 10-90 s apart, and a night."""


@dataclass(frozen=True, slots=True, eq=False)
class NightResult:
    """The analysis of one night.

    events : DataFrame with EVENT_COLUMNS (+ peak_g, burst_s, angle_deg ...): types lm, hypnic_jerk,
        posture_change, walking; times in s since the recording start.
    summary : NightSummary (lrm.rules.summary).
    quality : dict side -> LegQuality.
    context : dict: lights_out_s, lights_on_s, time_in_bed_h, analysis_h, sleep_onsets_s, rest_source, ...
    trace : DataFrame at 1 Hz: t_s, <side>_envelope_g, <side>_lying, <side>_valid, in_bed.
    params : Params used.
    meta : input files, recording start, subject.
    """

    events: pd.DataFrame
    summary: Any
    quality: dict[str, LegQuality]
    context: dict[str, Any]
    trace: pd.DataFrame
    params: Params
    meta: dict[str, Any] = field(default_factory=dict)

    def summary_dict(self) -> dict[str, Any]:
        """Flat dict for summary.json: NightSummary keys + sleep onset, quality, params, version, inputs."""
        out = dict(self.summary.to_dict())
        ctx = self.context
        out.update({
            "lights_out_s": ctx["lights_out_s"],
            "lights_on_s": ctx["lights_on_s"],
            "time_in_bed_h": ctx["analysis_h"],
            "time_in_bed_gross_h": ctx["time_in_bed_h"],
            "rest_period_source": ctx["rest_source"],
            "sleep_onset_s": ctx["sleep_onsets_s"][0] if ctx["sleep_onsets_s"] else None,
            "sleep_onsets_s": list(ctx["sleep_onsets_s"]),
            "sleep_latency_min": ctx["sleep_latency_min"],
            "estimated_sleep_h": ctx["estimated_sleep_h"],
            "quality": {side: q.to_dict() for side, q in self.quality.items()},
            "warnings": list(ctx.get("warnings", ())),
            "params": self.params.to_dict(),
            "params_digest": self.params.digest(),
            "lrm_version": __version__,
            "input_files": self.meta.get("input_files", {}),
            "subject": self.meta.get("subject", ""),
            "recording_start": self.meta.get("recording_start"),
            "duration_h": ctx["duration_s"] / 3600.0,
        })
        return out


@dataclass(frozen=True, slots=True, eq=False)
class _LegSignals:
    prepared: PreparedLeg
    gravity_1s: npt.NDArray[np.float32]
    envelope: npt.NDArray[np.float32]
    floor: npt.NDArray[np.float32]
    mean_1s: npt.NDArray[np.float32]        # per-second mean acceleration (s, 3) in g, gravity included
    activity: npt.NDArray[np.float32] | None = None  # compressed movement signal for the clock alignment


@dataclass(frozen=True, slots=True, eq=False)
class _LegMovements:
    """One leg's results: its prepared samples (its own clock), and on the first leg's clock once moved
    there (:func:`_to_first_clock`): gravity (s, 3) in g, oscillating movement (s,) in g (walking), validity
    per second (s,), the detected movements and the envelope's maximum per second (g)."""

    prepared: PreparedLeg
    gravity_1s: npt.NDArray[np.float32]
    activity_1s: npt.NDArray[np.float32]
    valid_1s: npt.NDArray[np.bool_]
    moves: pd.DataFrame
    envelope_max_1s: npt.NDArray[np.float32]


def _to_first_clock(leg: _LegMovements, fit: ClockFit, duration_s: float) -> _LegMovements:
    """The second leg's results moved onto the first leg's clock: movements by their times, per-second values
    by interpolation (validity by nearest second, False outside the leg's data)."""
    return replace(leg, gravity_1s=_shift_1s(leg.gravity_1s, fit), activity_1s=_shift_1s(leg.activity_1s, fit),
                   valid_1s=apply_clock_fit(leg.valid_1s, fit, fs_hz=1.0),
                   moves=_events_to_first_clock(leg.moves, fit, duration_s),
                   envelope_max_1s=_shift_1s(leg.envelope_max_1s, fit))


def default_threads(n_legs: int = 2) -> int:
    """Threads for the per-leg steps: one per leg, at most the CPUs this process may run on."""
    return max(1, min(n_legs, usable_cpus()))


def _detect_params(prep: PreparedLeg, params: Params):  # noqa: ANN202
    """Thresholds never below the sensor's quantisation: 1.5 LSB to start an LM, 0.75 LSB to continue it."""
    d = params.detect
    return replace(d, high_g=max(d.high_g, 1.5 * prep.resolution_g), low_g=max(d.low_g, 0.75 * prep.resolution_g))


def _signals(prep: PreparedLeg, params: Params, *, with_activity: bool = False) -> _LegSignals:
    """Gravity, envelope and noise floor of one leg (``split_gravity``'s steps, keeping the per-second means);
    with ``with_activity`` also the alignment's activity signal (two-leg nights)."""
    fs = prep.fs_hz
    mean_1s, ok_1s = per_second_mean(prep.accel_g, prep.valid, fs_hz=fs)
    gravity_1s = estimate_gravity_1s(mean_1s, ok_1s, window_s=params.prepare.gravity_window_s)
    env = smooth_envelope(dynamic_magnitude(prep.accel_g, gravity_1s, fs_hz=fs), fs_hz=fs, smooth_s=params.detect.smooth_s)
    floor = estimate_noise_floor(env, prep.valid, fs_hz=fs, max_s=params.detect.floor_max_s,
                                 min_s=params.detect.floor_min_s)
    act = activity(env, floor, prep.valid) if with_activity else None
    return _LegSignals(prep, gravity_1s, env, floor, mean_1s, act)


def _shift_1s(values: npt.NDArray, fit: ClockFit) -> npt.NDArray:
    """Per-second values (s,) or (s, k) of the second leg moved onto the first leg's clock (linearly, at the
    seconds' centres): value j is the second leg's value at the first leg's second j."""
    centres = np.arange(values.shape[0], dtype=np.float64) + 0.5
    src = centres + fit.lag_s(centres)
    if values.ndim == 1:
        return np.interp(src, centres, values).astype(values.dtype)
    return np.column_stack([np.interp(src, centres, values[:, k]) for k in range(values.shape[1])]).astype(values.dtype)


def _events_to_first_clock(table: pd.DataFrame, fit: ClockFit, duration_s: float) -> pd.DataFrame:
    """Movements detected on the second leg's clock, their onset and offset (s) moved onto the first leg's
    clock (t_a + lag(t_a) = t_b); movements starting outside [0, duration_s) there are dropped.

    The lag changes by < 0.5 ms per second (+-100 ppm), so detecting on the second leg's own clock and moving
    the events equals detecting on its resampled signals, without resampling them.
    """
    scale = 1.0 + fit.drift_ppm * 1e-6
    onset = (table["onset_s"].to_numpy(float) - fit.offset_s) / scale
    offset = (table["offset_s"].to_numpy(float) - fit.offset_s) / scale
    keep = (onset >= 0.0) & (onset < duration_s)
    return table.assign(onset_s=onset, offset_s=offset).loc[keep].reset_index(drop=True)


def _per_second(values: npt.NDArray, fs: float, how: str) -> npt.NDArray:
    k = int(round(fs))
    s = values.shape[0] // k
    block = values[: s * k].reshape(s, k)
    return block.max(axis=1) if how == "max" else (block.all(axis=1) if how == "all" else block.mean(axis=1))


def _oscillation_1s(sig: _LegSignals, fs: float) -> npt.NDArray[np.float32]:
    """Per-second oscillating movement (g): the mean envelope with the second's net offset from gravity removed.

    Gait swings the shank back and forth at the stride rate (~1 Hz) with heel strikes, so within a second
    the dynamic acceleration averages out while its magnitude stays large; a leg movement in bed is one
    excursion with a tonic hold, whose dynamic part within a second is mostly a steady offset. Walking is
    found from this, never from the envelope alone (a long, large LM is not walking).
    """
    act = _per_second(sig.envelope, fs, "mean")
    g1 = sig.mean_1s
    n = min(act.size, g1.shape[0], sig.gravity_1s.shape[0])
    offset2 = ((g1[:n] - sig.gravity_1s[:n]) ** 2).sum(axis=1)
    return np.sqrt(np.maximum(act[:n] ** 2 - offset2, 0.0)).astype(np.float32)


def analyze(recording: Recording, params: Params | None = None, *, hypnogram: Any = None,
            respiratory: pd.DataFrame | None = None, arousals: pd.DataFrame | None = None,
            lights_out_s: float | str | None = None, lights_on_s: float | str | None = None,
            threads: int | None = None) -> NightResult:
    """Analyse one night of ankle accelerometry.

    Parameters
    ----------
    recording : Recording
        One or two legs (acceleration in g, times in s).
    params : Params, optional
        Analysis parameters (defaults: :class:`lrm.params.Params`).
    hypnogram : Hypnogram, optional
        PSG stages (s since recording start): PLMS/PLMW indices.
    respiratory, arousals : DataFrame, optional
        Intervals ``onset_s``, ``offset_s`` (s since recording start).
    lights_out_s, lights_on_s : float or str, optional
        Override of the rest period: s since the start, clock time "22:30" (UTC) or ISO 8601.
    threads : int, optional
        Threads for the per-leg steps (default: one per leg, up to the CPUs available; ``lrm batch`` uses 1
        per night, its workers being processes). The result does not depend on it.

    Returns
    -------
    NightResult

    Raises
    ------
    InputError
        Unusable data (too short, not accelerometer data, ...). Data-quality problems that still allow
        a result warn with LrmWarning and are listed in ``quality`` and ``context["warnings"]``.
    """
    params = params or Params()
    if lights_out_s is not None or lights_on_s is not None:
        params = params.with_overrides(rest={k: v for k, v in (("lights_out", lights_out_s), ("lights_on", lights_on_s))
                                             if v is not None})
    fs = float(params.prepare.work_fs_hz)
    start, end = recording.start_s, recording.end_s
    duration_s = end - start
    src = ", ".join(leg.source or side for side, leg in recording.legs.items())
    if not duration_s >= MIN_DURATION_S:
        raise InputError(src, "", f"the recording lasts {duration_s / 60:.1f} min, less than 30 min",
                         "analyse a whole night (PLM series and indices need hours of data)")
    n_grid = int(np.floor(duration_s * fs)) + 1
    notes: list[str] = []
    sides = recording.sides
    threads = default_threads(len(sides)) if threads is None else max(1, int(threads))

    two = len(sides) == 2
    activities: dict[str, Future[npt.NDArray[np.float32]]] = {side: Future() for side in sides}

    def leg_on_own_clock(side: str) -> _LegMovements:
        # prepare, signals, per-second values and movements of one leg, all on its own clock; its activity
        # signal is handed over as soon as it exists, so the clock fit overlaps the legs' detection
        try:
            prepared = prepare_leg(recording.legs[side], origin_s=start, n_grid=n_grid, params=params.prepare,
                                   warn=False)
            sig = _signals(prepared, params, with_activity=two)
            activities[side].set_result(sig.activity)
            moves = detect_lms(sig.envelope, sig.floor, prepared.valid, fs_hz=fs, side=side,
                               params=_detect_params(prepared, params))
            return _LegMovements(prepared, sig.gravity_1s, _oscillation_1s(sig, fs), _per_second(prepared.valid, fs, "all"),
                                 moves, _per_second(sig.envelope, fs, "max"))
        except BaseException as exc:
            if not activities[side].done():
                activities[side].set_exception(exc)
            raise

    fit = ClockFit()
    if threads > 1 and two:  # numpy and scipy release the GIL: two legs take little more than one
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="lrm-leg") as pool:
            tasks = {side: pool.submit(leg_on_own_clock, side) for side in sides}
            try:
                a, b = (activities[side].result() for side in sides)
                fit = clock_drift_from_activity(a, b, fs_hz=fs, params=params.align)
            except BaseException:
                for side in sides:  # the first leg's error first, as one leg after the other would raise
                    if (error := tasks[side].exception()) is not None:
                        raise error from None
                raise
            per_leg = {side: tasks[side].result() for side in sides}
    else:
        per_leg = {side: leg_on_own_clock(side) for side in sides}
        if two:
            fit = clock_drift_from_activity(*(activities[side].result() for side in sides), fs_hz=fs,
                                            params=params.align)
    for side in sides:  # repairs, warned here in leg order (warnings from threads would interleave)
        for note in per_leg[side].prepared.repairs:
            warnings.warn(f"{per_leg[side].prepared.source}: {note}", LrmWarning, stacklevel=2)
    spans = {side: float(recording.legs[side].duration_s) for side in sides}
    if two and min(spans.values()) < 0.5 * max(spans.values()):
        short = min(spans, key=spans.__getitem__)
        notes.append(f"the {short} leg covers only {spans[short] / 3600:.1f} h of {max(spans.values()) / 3600:.1f} h; "
                     "LMs outside it are seen on one leg only")
    if two and fit.ok:  # the second leg's per-second values and movements onto the first leg's clock
        per_leg[sides[1]] = _to_first_clock(per_leg[sides[1]], fit, duration_s)
    elif two:
        notes.append("the two legs' clocks could not be aligned (too few bilateral movements); "
                     "bilateral LMs may be split")
    postures: dict[str, Posture] = {}
    valid_1s: dict[str, npt.NDArray[np.bool_]] = {}
    for side, leg in per_leg.items():
        n = min(leg.activity_1s.size, leg.gravity_1s.shape[0], leg.valid_1s.size)
        valid_1s[side] = leg.valid_1s[:n]
        postures[side] = estimate_posture(leg.gravity_1s[:n], leg.activity_1s[:n], valid_1s[side], params.posture)
    # rest period
    n_sec = min(v.size for v in valid_1s.values())
    known = [s for s in sides if postures[s].axis is not None]
    any_valid = np.zeros(n_sec, bool)
    all_valid = np.ones(n_sec, bool)
    for side in sides:
        any_valid |= valid_1s[side][:n_sec]
        all_valid &= valid_1s[side][:n_sec]
    lying = np.zeros(n_sec, bool)
    for side in known or sides:
        lying |= postures[side].lying[:n_sec] & valid_1s[side][:n_sec]
    if not known:
        notes.append("no walking seen, so the shank's upright direction is unknown: the whole recording is "
                     "taken as time in bed (use --lights-out/--lights-on)")
    rest = find_rest_period(lying, any_valid, posture_known=bool(known), params=params.rest,
                            recording_start_s=start if recording.time_is_absolute else None)
    analysis_h = float(np.count_nonzero(rest.in_bed & all_valid)) / 3600.0
    # movements
    moves = {side: per_leg[side].moves for side in sides}
    moves = classify_movements(moves, {s: per_leg[s].gravity_1s for s in sides}, postures, params.posture)
    table = pd.concat(list(moves.values()), ignore_index=True).sort_values("onset_s", kind="stable")
    # morphology (SCORING.md §1.2 step 5): LMs failing it are dropped, brief jerks are judged separately
    sleep = find_sleep_onsets(table, rest.in_bed, params.sleep)
    table = classify_hypnic_jerks(table, (rest.lights_out_s, *sleep.onsets_s, *sleep.restless_end_s), params.jerks,
                                  n_legs=len(sides))
    keep = (table["type"] != "lm") | table["morphology_ok"].astype(bool)
    table = table.loc[keep].reset_index(drop=True)
    is_lm = (table["type"] == "lm").to_numpy()
    single = {side: table.loc[is_lm & (table["side"] == side).to_numpy(), "onset_s"].to_numpy(float) for side in sides}
    from lrm.rules.score import score_lms

    recording_start = (datetime.fromtimestamp(start, tz=timezone.utc).isoformat().replace("+00:00", "Z")
                       if recording.time_is_absolute else None)
    scored = score_lms(table.drop(columns=["morphology_ok"]), hours=analysis_h, rules=params.rules,
                       hypnogram=hypnogram, respiratory=respiratory, arousals=arousals,
                       period=(rest.lights_out_s, rest.lights_on_s), recording_start=recording_start)
    quality = _quality({side: per_leg[side].prepared for side in sides}, fit, sides)
    for side, q in quality.items():
        for w in q.warnings:
            notes.append(f"{side}: {w}")
    for note in notes:
        warnings.warn(note, LrmWarning, stacklevel=2)
    first_onset = sleep.onsets_s[0] if sleep.onsets_s else None
    context = {
        "lights_out_s": rest.lights_out_s, "lights_on_s": rest.lights_on_s, "time_in_bed_h": float(rest.in_bed.sum()) / 3600.0,
        "analysis_h": analysis_h, "rest_source": rest.source, "sleep_onsets_s": tuple(
            s for s in sleep.onsets_s if rest.lights_out_s <= s < rest.lights_on_s),
        "sleep_latency_min": None if first_onset is None else max(0.0, first_onset - rest.lights_out_s) / 60.0,
        "estimated_sleep_h": sleep.sleep_time_h, "duration_s": duration_s, "clock_fit": fit, "warnings": tuple(notes),
        "single_leg_onsets": single,
    }
    trace = _trace(per_leg, postures, valid_1s, rest, n_sec)
    # the input files' digests, hashed in the background since the read (lrm.io.provenance): waited for here
    files = dict(recording.meta.get("input_files") or {}) or {s: {"path": recording.legs[s].source} for s in sides}
    meta = {"input_files": files, "subject": recording.subject,
            "recording_start": recording_start}
    return NightResult(scored.events, scored.summary, quality, context, trace, params, meta)


def _quality(prepared: dict[str, PreparedLeg], fit: ClockFit, sides: tuple[str, ...]) -> dict[str, LegQuality]:
    out = {}
    for k, side in enumerate(sides):
        p = prepared[side]
        gaps = p.gaps_s
        warn = []
        if p.coverage_pct < 80:
            warn.append(f"data cover only {p.coverage_pct:.0f}% of the recording")
        if p.clipping_pct is not None and p.clipping_pct > 0.1:
            warn.append(f"{p.clipping_pct:.2f}% of values clipped at the sensor's range")
        second = k == 1
        out[side] = LegQuality(
            side=side, source=p.source, coverage_pct=round(p.coverage_pct, 2), gap_count=int(gaps.shape[0]),
            gap_total_s=float((gaps[:, 1] - gaps[:, 0]).sum()) if gaps.size else 0.0, clipping_pct=p.clipping_pct,
            fs_hz=round(p.raw_fs_hz, 3),
            clock_offset_s=fit.offset_s if second else 0.0, clock_drift_ppm=fit.drift_ppm if second else 0.0,
            clock_residual_s=fit.residual_s if second else None, repairs=p.repairs, warnings=tuple(warn),
        )
    return out


def _trace(per_leg: dict[str, _LegMovements], postures: dict[str, Posture], valid_1s: dict[str, npt.NDArray[np.bool_]],
           rest: RestPeriod, n_sec: int) -> pd.DataFrame:
    cols: dict[str, Any] = {"t_s": np.arange(n_sec, dtype=np.float64)}
    for side, leg in per_leg.items():
        cols[f"{side}_envelope_g"] = leg.envelope_max_1s[:n_sec].astype(np.float32)
        cols[f"{side}_lying"] = postures[side].lying[:n_sec]
        cols[f"{side}_valid"] = valid_1s[side][:n_sec]
    cols["in_bed"] = rest.in_bed[:n_sec]
    return pd.DataFrame(cols)


def write_night(result: NightResult, out_dir: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
    """Write summary.json, events.csv and trace.parquet into ``out_dir`` (each atomically).

    Raises
    ------
    OutputExistsError
        If ``out_dir`` already holds results and ``overwrite`` is False.
    """
    from lrm.errors import OutputExistsError
    from lrm.report.outputs import write_outputs

    out = Path(out_dir)
    if (out / "summary.json").exists() and not overwrite:
        raise OutputExistsError(str(out / "summary.json"), "choose another --out directory, or pass --force to replace it")
    out.mkdir(parents=True, exist_ok=True)
    tmp = out / ".trace.parquet.tmp"
    result.trace.to_parquet(tmp, index=False)
    os.replace(tmp, out / "trace.parquet")
    write_outputs(out, result.events, result.summary_dict(), overwrite=True)  # summary.json last: the done marker
    return out
