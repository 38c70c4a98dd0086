"""The suggested immobilization test (SIT) from a recording: ``analyze_sit`` reads like the test.

1. each leg on the working grid: gravity, envelope, noise floor and movements, exactly as a night's
   per-leg chain (:mod:`lrm.signal.leg`), plus the shank orientation per second (``lrm.signal.shank``);
2. the shank's long axis from the standing calibration, when the session had one;
3. the test window: its logged start (or the first still stretch with both shanks horizontal) to the
   planned end, or the stop (Ctrl-C) or the end of the data: then the test is *partial*;
4. exclusions: each leg's posture breaks and every second a leg has no data (disconnects, gaps);
5. leg movements (posture changes and movements failing the morphology check left out) scored over the
   valid time with :func:`lrm.rules.sit.score_sit`; discomfort ratings summarised; 10 min bins.

``write_sit`` writes ``sit.json`` (the contract below), ``sit_events.csv`` and ``sit_bins.csv``, each
atomically and never over an existing one. Not a diagnosis: docs/sit.md.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from lrm._version import __version__
from lrm.errors import InputError, OutputExistsError
from lrm.io.atomic import write_text_atomic
from lrm.io.recording import Recording
from lrm.io.sit_session import SitProtocol
from lrm.io.timezones import local_iso, start_iso
from lrm.params import Params
from lrm.rules.sit import REFERENCE_VALUES, SitScore, bin_sit, score_sit, summarize_discomfort
from lrm.signal import shank
from lrm.signal.align import ClockFit
from lrm.signal.detect import detection_limit_g, runs
from lrm.signal.leg import detect_leg_movements, leg_signals, per_second
from lrm.signal.posture import Posture, classify_movements
from lrm.signal.prepare import prepare_leg
from lrm.signal.quality import leg_quality

__all__ = ["SitResult", "analyze_sit", "write_sit", "SIT_SCHEMA_VERSION", "POSTURE_NOTE", "MIN_TEST_MIN"]

SIT_SCHEMA_VERSION = 1
MIN_TEST_MIN = 5.0
"""Shortest valid test time (min) for which indices are given: below it, one movement more or less moves the
index by > 12/h."""

POSTURE_NOTE = ("From the ankle, lrm sees whether each shank is horizontal and still, not the trunk: sitting "
                "up and lying flat with the legs outstretched look the same. Sitting upright is up to you.")


@dataclass(frozen=True, slots=True, eq=False)
class SitResult:
    """A scored SIT: ``summary`` (the sit.json dict), ``events`` (scored LMs, both legs combined),
    ``bins`` (10 min table) and ``score`` (:class:`lrm.rules.sit.SitScore`)."""

    summary: dict[str, Any]
    events: pd.DataFrame
    bins: pd.DataFrame
    score: SitScore
    movements: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass(frozen=True, slots=True, eq=False)
class _Leg:
    orient: npt.NDArray[np.float64]
    ok_1s: npt.NDArray[np.bool_]
    gravity_1s: npt.NDArray[np.float32]   # the resting vector per second (lrm.signal.leg: between movements)
    moves: pd.DataFrame
    onset_threshold_g: npt.NDArray[np.float32]
    quality: Any


def _leg(recording: Recording, side: str, n_grid: int, params: Params) -> _Leg:
    """The night's per-leg chain (lrm.signal.leg: a new detector plugs in there and reaches the SIT too)."""
    prep = prepare_leg(recording.legs[side], origin_s=recording.start_s, n_grid=n_grid, params=params.prepare, warn=False)
    sig = leg_signals(prep, params)
    moves = detect_leg_movements(sig, params, side=side).moves
    fs = prep.fs_hz
    ok_1s = per_second(prep.valid, fs, "all")
    n = min(ok_1s.size, sig.mean_1s.shape[0])
    orient = shank.orientation_1s(sig.mean_1s[:n], ok_1s[:n])
    thr = sig.thresholds
    hi_1s = np.repeat(thr.offset_hi_g, max(1, int(round(thr.block_s))))        # R's onset threshold per second
    hi_1s = np.concatenate((hi_1s, np.full(max(0, n - hi_1s.size), hi_1s[-1], np.float32)))
    limit = detection_limit_g(thr)
    quality = leg_quality({side: prep}, ClockFit(), {side: round(limit, 4) if np.isfinite(limit) else None})[side]
    return _Leg(orient, ok_1s[:n], sig.rest_1s[:n], moves, hi_1s[:n], quality)


def _seconds(wall_s: float | None, origin_s: float) -> int | None:
    return None if wall_s is None else int(np.floor(wall_s - origin_s))


def _axes(legs: dict[str, _Leg], protocol: SitProtocol, origin_s: float) -> dict[str, Any]:
    if protocol.calibration_wall_s is None:
        return {side: None for side in legs}
    a, b = (_seconds(t, origin_s) for t in protocol.calibration_wall_s)
    out = {}
    for side, leg in legs.items():
        mask = np.zeros(leg.orient.shape[0], bool)
        mask[max(a or 0, 0): max(b or 0, 0)] = True
        out[side] = shank.tibia_axis(leg.orient, mask & leg.ok_1s)
    return out


def _find_start(legs: dict[str, _Leg], axes: dict[str, Any], from_s: int, p: shank.ShankParams) -> int | None:
    n = min(leg.orient.shape[0] for leg in legs.values())
    ok = np.ones(n, bool)
    for side, leg in legs.items():
        good = shank.settled(leg.orient[:n], p) & leg.ok_1s[:n]
        if axes[side] is not None:
            good &= ~(shank.elevation_deg(leg.orient[:n], axes[side]) > p.max_elevation_deg)
        else:   # uncalibrated: the test posture is the orientation the leg holds most of the time (the hour)
            held = np.nanmedian(leg.orient[from_s:n][leg.ok_1s[from_s:n]], axis=0)
            good &= ~(shank.turn_deg(leg.orient[:n], held) > p.max_turn_deg)
        ok &= good
    ok[:from_s] = False
    hit = np.flatnonzero(ok)
    return int(hit[0]) if hit.size else None


def _window(legs: dict[str, _Leg], axes: dict[str, Any], protocol: SitProtocol, origin_s: float,
            p: shank.ShankParams) -> tuple[int, int, str, list[str]]:
    notes: list[str] = []
    n = min(leg.orient.shape[0] for leg in legs.values())
    start = _seconds(protocol.test_start_wall_s, origin_s)
    if start is None:
        after = _seconds(protocol.calibration_wall_s[1], origin_s) if protocol.calibration_wall_s else 0
        start = _find_start(legs, axes, max(after or 0, 0), p)
        if start is None:
            raise InputError("recording", "", "no still stretch with both legs in the test posture",
                             "pass --start (the time the test began), or check the sensors were worn")
        notes.append(f"test start found in the data: the first {p.settle_s} s with both legs still"
                     + (" and horizontal" if any(a is not None for a in axes.values()) else ""))
    if not 0 <= start < n:
        raise InputError("recording", "test start", f"second {start} lies outside the recording (0-{n} s)",
                         "check --start")
    planned = start + int(round(protocol.planned_min * 60.0))
    end, status = planned, "complete"
    stop = _seconds(protocol.stop_wall_s, origin_s)
    if stop is not None and stop < planned:
        end, status = max(stop, start), "partial"
        notes.append(f"stopped after {(end - start) / 60:.1f} of {protocol.planned_min:g} min"
                     + (" (Ctrl-C)" if protocol.stop_reason == "interrupted" else ""))
    if end > n:
        end, status = n, "partial"
        notes.append(f"the recording ends {(n - start) / 60:.1f} min into the {protocol.planned_min:g} min test")
    return start, end, status, notes


def _exclusions(legs: dict[str, _Leg], axes: dict[str, Any], start: int, end: int, p: shank.ShankParams
                ) -> tuple[list[dict[str, Any]], npt.NDArray[np.float64]]:
    breaks: list[dict[str, Any]] = []
    intervals: list[tuple[float, float]] = []
    for side, leg in legs.items():
        for b in shank.find_posture_breaks(leg.orient, start_s=start, end_s=end, axis=axes[side], params=p):
            breaks.append({"side": side, "start_min": (b.start_s - start) / 60.0, "end_min": (b.end_s - start) / 60.0,
                           "cause": b.cause, "returned": b.ended})
            intervals.append((float(b.start_s), float(b.end_s)))
        missing = runs(~leg.ok_1s[start:end])
        for a, b in missing:
            breaks.append({"side": side, "start_min": a / 60.0, "end_min": b / 60.0, "cause": "no data",
                           "returned": bool(start + b < end)})
            intervals.append((float(start + a), float(start + b)))
    breaks.sort(key=lambda d: (d["start_min"], d["side"]))
    return breaks, np.asarray(intervals, dtype=np.float64).reshape(-1, 2)


def _movements(legs: dict[str, _Leg], axes: dict[str, Any], params: Params) -> pd.DataFrame:
    moves = {side: leg.moves for side, leg in legs.items()}
    postures = {}
    for side, leg in legs.items():
        elev = shank.elevation_deg(leg.orient, axes[side]).astype(np.float32)
        lying = ~(elev > params.posture.lying_max_elevation_deg)
        postures[side] = Posture(lying, elev, np.zeros(lying.size, bool), axes[side])
    moves = classify_movements(moves, {s: leg.gravity_1s for s, leg in legs.items()}, postures, params.posture)
    table = pd.concat(list(moves.values()), ignore_index=True).sort_values("onset_s", kind="stable")
    keep = (table["type"] != "lm") | table["morphology_ok"].astype(bool)   # SCORING step 5, as for a night
    return table.loc[keep].drop(columns=["morphology_ok"]).reset_index(drop=True)


def _detection_limit(leg: _Leg, start: int, end: int) -> tuple[float | None, str]:
    value = getattr(leg.quality, "detection_limit_g", None)
    if value is not None:
        return float(value), "LegQuality.detection_limit_g (the detector's own figure)"
    hi = leg.onset_threshold_g[start:end][leg.ok_1s[start:end]]
    if hi.size == 0:
        return None, "no valid data in the test"
    return float(np.median(hi)), "median onset threshold of the mean deviation from rest over the test, in g"


def analyze_sit(recording: Recording, protocol: SitProtocol = SitProtocol(), params: Params | None = None,
                shank_params: shank.ShankParams = shank.ShankParams()) -> SitResult:
    """Score a SIT recorded in ``recording`` following ``protocol`` (see the module docstring).

    Raises
    ------
    InputError
        No test posture found, a start outside the recording, or data that are not accelerometry in g.
    """
    params = params or Params()
    origin = recording.start_s
    n_grid = int(np.floor((recording.end_s - origin) * params.prepare.work_fs_hz)) + 1
    legs = {side: _leg(recording, side, n_grid, params) for side in recording.sides}
    axes = _axes(legs, protocol, origin)
    start, end, status, notes = _window(legs, axes, protocol, origin, shank_params)
    breaks, excluded = _exclusions(legs, axes, start, end, shank_params)
    movements = _movements(legs, axes, params)
    score = score_sit(movements, window_s=(float(start), float(end)), excluded_s=excluded, rules=params.rules)
    bins = bin_sit(score.events, window_s=(float(start), float(end)), segments_s=score.segments_s)
    t_r = np.array([r.minute * 60.0 for r in protocol.ratings], dtype=np.float64)
    v_r = np.array([np.nan if r.value is None else r.value for r in protocol.ratings], dtype=np.float64)
    discomfort = summarize_discomfort(t_r, v_r)
    summary = _summary(recording, protocol, legs, axes, (start, end, status), notes, breaks, score, discomfort)
    events = score.events.assign(test_min=(score.events["onset_s"] - start) / 60.0)
    return SitResult(summary, events, bins, score, movements)


def _iso(t: float, recording: Recording) -> str:
    """ISO 8601 UTC (``...Z``); without an offset for a local clock of unstated zone (never called UTC)."""
    return start_iso(float(int(t)), recording.clock)      # whole seconds, as before


def _summary(recording: Recording, protocol: SitProtocol, legs: dict[str, _Leg], axes: dict[str, Any],
             window: tuple[int, int, str], notes: list[str], breaks: list[dict[str, Any]], score: SitScore,
             discomfort: Any) -> dict[str, Any]:
    start, end, status = window
    origin = recording.start_s
    elapsed_min, valid_min = (end - start) / 60.0, score.valid_h * 60.0
    enough = valid_min >= MIN_TEST_MIN
    warnings = list(notes)
    if not enough:
        warnings.append(f"only {valid_min:.1f} min of valid test time: indices not given (need {MIN_TEST_MIN:g} min)")
    if len(legs) < 2:
        warnings.append("one leg only: movements of the other leg are not seen (the published values used both legs)")
    calibrated = all(a is not None for a in axes.values())
    legs_out = {}
    for side, leg in legs.items():
        limit, source = _detection_limit(leg, start, end)
        legs_out[side] = {**score.counts[side].to_dict(), "detection_limit_g": limit, "detection_limit_source": source,
                          "quality": leg.quality.to_dict()}
    both = score.counts["both"]
    excluded_by: dict[str, float] = {}
    for b in breaks:
        excluded_by[b["cause"]] = excluded_by.get(b["cause"], 0.0) + b["end_min"] - b["start_min"]
    return {
        "schema_version": SIT_SCHEMA_VERSION, "kind": "sit", "lrm_version": __version__, "rules": score.rules,
        "status": status, "partial": status != "complete", "stop_reason": protocol.stop_reason or
        ("completed" if status == "complete" else "recording ended"),
        "subject": recording.subject, "recording_start": _iso(origin, recording) if recording.time_is_absolute else None,
        "test_start": _iso(origin + start, recording) if recording.time_is_absolute else None,
        "test_start_local": local_iso(origin + start, recording.timezone, recording.clock)
        if recording.time_is_absolute else None, "timezone": recording.timezone, "test_start_s": float(start),
        "test_end_s": float(end), "planned_min": protocol.planned_min, "elapsed_min": elapsed_min,
        "valid_min": valid_min, "excluded_min": elapsed_min - valid_min, "excluded_min_by_cause": excluded_by,
        "sit_lm_count": both.lm_count, "sit_plm_count": both.plm_count,
        "sit_lm_index": both.lm_index if enough else None, "sit_plm_index": both.plm_index if enough else None,
        "sit_clm_index": both.clm_index if enough else None, "plm_series_count": both.plm_series_count,
        "sit_plm_index_original_criteria": score.original.plm_index if enough else None,
        "original_criteria": "IMI 4-90 s, LM 0.5-10 s (Montplaisir 1998, Michaud 2001): compare with > 40/h",
        "legs": legs_out,
        "ratings": [{"minute": r.minute, "value": r.value, "how": r.how,
                     "time": None if r.wall_s is None else _iso(r.wall_s, recording)} for r in protocol.ratings],
        "ask_every_min": protocol.ask_every_min, "discomfort": discomfort.to_dict(),
        "posture": {"compliance_pct": 100.0 * valid_min / elapsed_min if elapsed_min > 0 else None,
                    "calibrated": calibrated, "breaks": breaks, "note": POSTURE_NOTE,
                    "reference": "shank axis from the standing calibration: elevation and turns checked" if calibrated
                    else "no standing calibration: only turns from the starting orientation are checked",
                    "live_notes": list(protocol.posture_notes)},
        "reference_values": [_ref(r) for r in REFERENCE_VALUES],
        "warnings": warnings, "meta": dict(protocol.meta),
    }


def _ref(r: Any) -> dict[str, str]:
    return {"quantity": r.quantity, "value": r.value, "conditions": r.conditions, "source": r.source}


SIT_FILES = ("sit.json", "sit_events.csv", "sit_bins.csv")


def write_sit(result: SitResult, out_dir: str | os.PathLike[str]) -> Path:
    """Write sit_events.csv, sit_bins.csv and sit.json (last: the done marker) into ``out_dir``.

    Raises
    ------
    OutputExistsError
        If any of them exists already (nothing written is ever replaced).
    """
    out = Path(out_dir)
    for name in SIT_FILES:
        if (out / name).exists():
            raise OutputExistsError(str(out / name), "this directory already holds a scored SIT; choose another --out")
    out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out / "sit_events.csv", result.events.to_csv(index=False))
    write_text_atomic(out / "sit_bins.csv", result.bins.to_csv(index=False))
    write_text_atomic(out / "sit.json", json.dumps(_clean(result.summary), indent=1, allow_nan=False) + "\n")
    return out


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, (np.floating, float)):
        return None if not np.isfinite(value) else round(float(value), 6)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def protocol_from_args(planned_min: float, start_wall_s: float | None, ratings: list[tuple[float, float | None]],
                       ask_every_min: float | None) -> SitProtocol:
    """A protocol for ``lrm sit --from``: ratings given as (minute of the test, value) pairs."""
    from lrm.io.sit_session import Rating

    return replace(SitProtocol(planned_min=planned_min, ask_every_min=ask_every_min, test_start_wall_s=start_wall_s),
                   ratings=tuple(Rating(None, m, v, "file") for m, v in ratings))
