"""Simulate a whole night of one or two ankle sensors, with its truth; write it as CSVs or a native recording.

>>> sim = simulate("plmd", seed=3, hours=0.5, rate_hz=25.0)
>>> sim.recording.sides, sim.truth.profile
(('left', 'right'), 'plmd')
>>> wide = simulate("rls", seed=3, hours=0.5, family="hard")   # rates, noise, LSB, shapes drawn too
>>> 10 <= wide.recording.legs["left"].fs_hz <= 32, wide.truth.family
(True, 'hard')
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lrm.io.recording import Gap, Leg, Recording
from lrm.sim.body import leg_force_g, specific_force_peaks_g
from lrm.sim.families import FAMILIES, FamilyName, draw_family_variation
from lrm.sim.plan import Component, plan_night
from lrm.sim.plan_wide import WidePlanner
from lrm.sim.profiles import PROFILES, ProfileName, SimVariation
from lrm.sim.movements import FINE_HZ
from lrm.sim.sensor import SensorSpec, draw_gaps, draw_sensor, gap_mask, measure, stamp, true_sample_times
from lrm.sim.shank import JERK_VARIANTS, sensor_lowpass, settle_s
from lrm.sim.timeline import build_timeline
from lrm.sim.truth import TRUTH_COLUMNS, LegTruth, Truth, score_truth

__all__ = ["SimulatedNight", "simulate", "write_simulation"]

EPOCH_BASE_S = 1_704_139_200.0  # 2024-01-01T20:00:00Z; the night starts 0-60 days and 2-4 h later


@dataclass(frozen=True, slots=True, eq=False)
class SimulatedNight:
    """A simulated night: ``recording`` (what the sensors delivered) and ``truth`` (what happened)."""

    recording: Recording
    truth: Truth


def _rates(rate_hz: float | Mapping[str, float] | None, var: SimVariation, sides: Sequence[str]) -> dict[str, float]:
    if rate_hz is None:  # the family's draw, or the classic default
        rate_hz = var.rate_hz if var.rate_hz is not None else 50.0
    rates = {s: float(rate_hz[s]) for s in sides} if isinstance(rate_hz, Mapping) else {s: float(rate_hz) for s in sides}
    for side, fs in rates.items():
        if not 10.0 <= fs <= 1000.0:
            raise ValueError(f"rate_hz for {side} must lie in [10, 1000] Hz, got {fs:g}")
    return rates


def simulate(
    profile: ProfileName = "plmd",
    *,
    seed: int = 0,
    hours: float = 8.0,
    rate_hz: float | Mapping[str, float] | None = None,
    sides: Sequence[str] = ("left", "right"),
    variation: SimVariation | None = None,
    family: FamilyName = "classic",
) -> SimulatedNight:
    """Simulate one night of ankle accelerometry with its truth.

    Parameters
    ----------
    profile : {"healthy", "plmd", "rls", "hypnic"}
        The sleeper: healthy (PLM index 0-4/h), PLMD (15-60/h), RLS (12-45/h, more wake LMs, more
        unilateral LMs, long sleep latency), hypnic (few PLMs, 5-12 hypnic jerks at sleep onsets).
    seed : int
        Everything random (timeline, movements, sensors, drift, gaps) follows from it.
    hours : float
        Recording length in h (at least 1/6 h), including upright time before lights-out and after lights-on.
    rate_hz : float or mapping, optional
        Nominal sample rate in Hz, or one per side (e.g. ``{"left": 25, "right": 100}``). Default: 50 Hz in
        the classic family; drawn per night (10-200 Hz) in the wide and hard families.
    sides : sequence of {"left", "right"}
        The ankles that wear a sensor. Truth covers only what these sensors can see.
    variation : SimVariation, optional
        Pins per-night values (noise, range, drift, gaps, mounting, amplitudes, PLM index...); fields left
        ``None`` are drawn from the seed. ``SimVariation.ideal()`` gives a clean sensor.
    family : {"classic", "wide", "hard"}
        The ranges everything is drawn from (:mod:`lrm.sim.families`): "classic" is lrm's first simulator
        (the default, unchanged); "wide" draws the sensor (10-200 Hz, noise 1-15 mg, LSB up to 16 mg,
        2-16 g, strapped mounting, low-pass), the night's LM amplitude distribution (median peak 15-300 mg),
        the shank model's movement classes and jerk variants, and the distractors' rates; "hard" is its
        difficult corner (10-32 Hz, 5-15 mg noise, 6-16 mg LSB, LM medians 15-60 mg, more gaps and distractors).

    Returns
    -------
    SimulatedNight
        ``.recording`` with acceleration in g and Unix-epoch timestamps in s; ``.truth`` with every event in s
        since the recording start on the true clock.
    """
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {', '.join(PROFILES)}, got {profile!r}")
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {', '.join(FAMILIES)}, got {family!r}")
    sides = tuple(s for s in ("left", "right") if s in sides)
    if not sides or len(sides) != len(set(sides)):
        raise ValueError("sides must name 'left' and/or 'right'")
    duration_s = float(hours) * 3600.0
    seeds = np.random.SeedSequence(seed).spawn(6)
    rng_var, rng_tl, rng_plan, rng_epoch = (np.random.default_rng(s) for s in seeds[:4])
    leg_seeds = dict(zip(("left", "right"), seeds[4].spawn(2)))
    gap_seeds = dict(zip(("left", "right"), seeds[5].spawn(2)))
    var = draw_family_variation(rng_var, PROFILES[profile], family, variation)
    rates = _rates(rate_hz, var, sides)
    if var.scale_g * 32768.0 < var.range_g * (1.0 - 1e-9):
        raise ValueError(f"a quantisation step of {var.scale_g:g} g cannot span +-{var.range_g:g} g in int16 counts; "
                         f"use lsb_g >= {var.range_g / 32768.0:g}")
    timeline = build_timeline(rng_tl, PROFILES[profile], duration_s, bathroom_trips=var.bathroom_trips)
    plan = plan_night(rng_plan, PROFILES[profile], var, timeline, planner_class=None if family == "classic" else WidePlanner)
    epoch_s = EPOCH_BASE_S + rng_epoch.integers(0, 60) * 86400.0 + rng_epoch.uniform(2.0, 4.0) * 3600.0

    legs, peaks, gaps = {}, {}, {}
    for side in sides:
        rng = np.random.default_rng(leg_seeds[side])
        fs, drift = rates[side], var.drift_ppm[side]
        t_true = true_sample_times(duration_s, fs_hz=fs, drift_ppm=drift, start_lag_s=var.start_lag_s[side])
        comps = [c for c in plan.components if c.side == side]
        pose0 = (plan.initial_pitch_rad[side], plan.initial_roll_rad[side])
        force, peaks[side], spec = _sense(family, var, fs, t_true, comps, pose0, rng)
        counts, clipped = measure(force, spec, rng)
        del force
        t_rec = stamp(t_true, epoch_s=epoch_s, drift_ppm=drift, offset_s=var.clock_offset_s[side],
                      jitter_s=var.timestamp_jitter_s, fs_hz=fs, rng=rng)
        gaps[side] = draw_gaps(np.random.default_rng(gap_seeds[side]), duration_s, var.gaps_per_h)
        keep = gap_mask(t_true, gaps[side])
        legs[side] = (t_rec[keep], counts[keep], spec, clipped, keep)

    rec_start = min(v[0][0] for v in legs.values())
    delta = epoch_s - rec_start  # truth time = true time since epoch_s + delta
    recording_legs, leg_truth = {}, {}
    for side, (t_rec, counts, spec, clipped, keep) in legs.items():
        drift = var.drift_ppm[side]
        recording_legs[side] = Leg(
            side=side, t_s=t_rec, accel_g=(counts.astype(np.float32) * np.float32(spec.scale_g)), fs_hz=rates[side],
            device="lrm simulated ankle sensor", serial=f"SIM-{seed}-{side[0].upper()}", range_g=spec.range_g,
            source=f"lrm.simulate(profile={profile!r}, seed={seed})", gaps=_leg_gaps(t_rec, keep),
        )
        leg_truth[side] = LegTruth(side, rates[side], rates[side] / (1 + drift * 1e-6), drift,
                                   var.clock_offset_s[side] - drift * 1e-6 * delta, gaps[side] + delta, spec.mounting,
                                   spec.noise_g, spec.range_g, spec.scale_g, clipped, int(keep.sum()), spec.bandwidth_hz)
    recording = Recording(legs=recording_legs, time_is_absolute=True, subject=f"sim-{profile}-{seed}",
                          meta={"simulated": True, "profile": profile, "seed": seed})

    events = _truth_events(plan.components, sides, peaks, gaps, timeline, delta)
    all_gaps = np.vstack([g for g in gaps.values()]) if gaps else np.empty((0, 2))
    lights_out, lights_on = timeline.lights_out_s + delta, timeline.lights_on_s + delta
    tib_h = (lights_on - lights_out) / 3600.0
    away = np.vstack([all_gaps, timeline.out_of_bed]) + delta  # BLE gaps and bathroom trips
    analysis_h = tib_h - _union_overlap_s(away, lights_out, lights_on) / 3600.0
    scored = score_truth(events, hours=analysis_h, lights_out_s=lights_out, lights_on_s=lights_on,
                         stages=timeline.stages, hypnogram_start_s=delta)
    if scored is not None:
        events = _mark_plms(events, scored.events)
    truth = Truth(profile=profile, family=family, out_of_bed_s=timeline.out_of_bed + delta, seed=int(seed), recording_start_s=float(rec_start), duration_s=duration_s,
                  lights_out_s=lights_out, lights_on_s=lights_on,
                  sleep_onsets_s=tuple(s + delta for s in timeline.sleep_onsets_s), time_in_bed_h=tib_h,
                  analysis_h=analysis_h, hypnogram_start_s=delta, stages=timeline.stages, legs=leg_truth, events=events,
                  variation=var.to_dict() | {"rate_hz": rates, "hours": float(hours)},
                  scored=scored, notes=())
    return SimulatedNight(recording, truth)


def _sense(family: str, var: SimVariation, fs: float, t_true: np.ndarray, comps: list[Component],
           pose0: tuple[float, float], rng: np.random.Generator) -> tuple[np.ndarray, dict, SensorSpec]:
    """One leg's noise-free force (3, n) in g, its movements' peaks and its sensor.

    Classic: the first simulator, byte for byte (the force, then the sensor). Wide and hard: the sensor
    first, since its low-pass (corner ``bandwidth_ratio`` x rate) and gains shape what the truth's peak sees.
    """
    if family == "classic":
        force, peaks = specific_force_peaks_g(t_true, comps, pitch0_rad=pose0[0], roll0_rad=pose0[1], rng=rng)
        spec = draw_sensor(rng, mounting=var.mounting, noise_g=var.noise_g, range_g=var.range_g, scale_g=var.scale_g)
        return force, peaks, spec
    bandwidth = min(var.bandwidth_ratio * fs, 0.45 * FINE_HZ) if var.bandwidth_ratio else None
    spec = draw_sensor(rng, mounting=var.mounting, noise_g=var.noise_g, range_g=var.range_g, scale_g=var.scale_g,
                       bandwidth_hz=bandwidth)
    force, peaks = leg_force_g(t_true, comps, pitch0_rad=pose0[0], roll0_rad=pose0[1], rng=rng,
                               sos=sensor_lowpass(fs, bandwidth), tail_s=settle_s(bandwidth), view=spec.view)
    return force, peaks, spec


def _leg_gaps(t_rec: np.ndarray, keep: np.ndarray) -> tuple[Gap, ...]:
    """Gaps as the BLE recorder would log them: recorded times of the samples around each hole."""
    idx = np.flatnonzero(~keep)
    if idx.size == 0:
        return ()
    kept_pos = np.cumsum(keep) - 1  # position in t_rec of the last kept sample at or before each index
    starts = idx[np.r_[True, np.diff(idx) > 1]]
    out = []
    for i in starts:
        before = kept_pos[i]
        if 0 <= before < t_rec.size - 1:
            out.append(Gap(float(t_rec[before]), float(t_rec[before + 1]), "disconnected", "simulated BLE dropout"))
    return tuple(out)


def _union_overlap_s(intervals: np.ndarray, lo: float, hi: float) -> float:
    """Seconds of [lo, hi] covered by the union of ``intervals`` (k, 2)."""
    if intervals.size == 0:
        return 0.0
    iv = np.clip(intervals[np.argsort(intervals[:, 0])], lo, hi)
    total, cur_a, cur_b = 0.0, iv[0, 0], iv[0, 1]
    for a, b in iv[1:]:
        if a > cur_b:
            total, cur_a, cur_b = total + cur_b - cur_a, a, b
        else:
            cur_b = max(cur_b, b)
    return float(total + cur_b - cur_a)


def _shape_label(comp: Component) -> str:
    """The truth's ``shape``: an LM's class, a jerk's variant, "classic" for the first simulator's waveforms."""
    if comp.shape.startswith("lm_"):
        return comp.shape[3:]
    if comp.shape == "jerk":
        return JERK_VARIANTS[int(comp.params["variant"])]
    return "classic" if comp.kind in ("lm", "hypnic_jerk") else comp.kind


def _truth_events(components: list[Component], sides: tuple[str, ...], peaks: dict[str, dict[tuple[int, str], float]],
                  gaps: dict, timeline, delta: float) -> pd.DataFrame:
    """Truth rows: LM components per leg; other movements merged per movement over the recorded legs."""
    all_gaps = np.vstack([gaps[s] for s in sides])
    rows: list[dict] = []
    groups: dict[int, list[Component]] = {}
    for c in components:
        if c.side in sides:
            groups.setdefault(c.movement_id, []).append(c)
    for mid, comps in groups.items():
        kind = comps[0].kind
        parts = comps if kind == "lm" else [comps[0]]
        for c in parts:
            onset = min(x.onset_s for x in comps) if kind != "lm" else c.onset_s
            offset = max(x.offset_s for x in comps) if kind != "lm" else c.offset_s
            legs_used = [c] if kind == "lm" else comps
            peak = max(peaks[x.side][(x.movement_id, x.side)] for x in legs_used)
            side = c.side if kind == "lm" else ("bilateral" if len({x.side for x in comps}) == 2 else comps[0].side)
            observed = not np.any((all_gaps[:, 0] < offset) & (all_gaps[:, 1] > onset)) if all_gaps.size else True
            rows.append({"onset_s": onset + delta, "offset_s": offset + delta, "duration_s": offset - onset, "side": side,
                         "type": kind, "shape": _shape_label(c), "peak_g": peak, "in_plm_series": 0, "movement_id": mid,
                         "generated_series": c.series, "weak": c.weak, "stage": str(timeline.stage_at(np.array([onset]))[0]),
                         "observed": bool(observed)})
    df = pd.DataFrame(rows, columns=list(TRUTH_COLUMNS))
    return df.sort_values(["onset_s", "side"], kind="stable").reset_index(drop=True).astype(TRUTH_COLUMNS)


def _mark_plms(events: pd.DataFrame, scored_events: pd.DataFrame) -> pd.DataFrame:
    """Copy the scorer's PLM flag to each true LM component that a scored PLM covers."""
    plm = scored_events.loc[(scored_events["type"] == "lm") & (scored_events["in_plm_series"] == 1)]
    out = events.copy()
    is_lm = (out["type"] == "lm").to_numpy()
    if len(plm) and is_lm.any():
        on, off = out.loc[is_lm, "onset_s"].to_numpy()[:, None], out.loc[is_lm, "offset_s"].to_numpy()[:, None]
        hit = ((plm["onset_s"].to_numpy()[None, :] <= off) & (plm["offset_s"].to_numpy()[None, :] >= on)).any(axis=1)
        out.loc[is_lm, "in_plm_series"] = hit.astype("int8")
    return out


def write_simulation(sim: SimulatedNight, out_dir: str | os.PathLike[str], *, native: bool = False) -> list[Path]:
    """Write a simulated night and return the files written.

    ``native=False``: ``<side>.csv`` per leg (header ``time,x,y,z``: Unix epoch s with 6 decimals, acceleration
    in g) and ``truth.json``. ``native=True``: a native recording directory (int16 counts, see
    :mod:`lrm.io.native`) plus ``truth.json``. Existing files are never overwritten.

    Raises
    ------
    OutputExistsError
        If any file to be written already exists.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from lrm.errors import OutputExistsError
    from lrm.io.atomic import write_atomic, write_text_atomic
    from lrm.io.native import MANIFEST, write_native

    out = Path(out_dir)
    names = ([MANIFEST] + [f"{s}.parquet" for s in sim.recording.sides] if native else
             [f"{s}.csv" for s in sim.recording.sides]) + ["truth.json"]
    for name in names:
        if (out / name).exists():
            raise OutputExistsError(str(out / name))
    out.mkdir(parents=True, exist_ok=True)
    if native:
        write_native(sim.recording, out, scale_g={s: leg.scale_g for s, leg in sim.truth.legs.items()})
    else:
        for side, leg in sim.recording.legs.items():
            acc = np.round(leg.accel_g.astype(np.float64), 6)
            table = pa.table({"time": np.round(leg.t_s, 6), "x": acc[:, 0], "y": acc[:, 1], "z": acc[:, 2]})
            options = pacsv.WriteOptions(quoting_style="none", quoting_header="none")
            write_atomic(out / f"{side}.csv", lambda fh, table=table: pacsv.write_csv(table, fh, options), binary=True)
    write_text_atomic(out / "truth.json", sim.truth.to_json())
    return [out / name for name in names]
