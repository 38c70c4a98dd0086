"""The accelerometer pipeline: from a recording to leg movements, PLMs (WASM 2016 / AASM) and hypnic jerks.

``analyze`` reads like the algorithm; one leg's chain is :mod:`lrm.signal.leg`, both legs :mod:`lrm.signal.legs`:

1. each leg on its own clock (the two legs in two threads): timestamps repaired, gaps kept, block means on
   a 25 Hz grid; gravity split from movement, envelope, adaptive noise floor; movements detected;
2. the second leg's clock fitted to the first's (from both legs' activity, while they detect) and its
   movements and per-second values moved onto the first leg's clock;
3. posture (lying/upright, walking) and the rest period (time in bed);
4. label posture changes and walking, estimate sleep onsets, separate hypnic jerks;
5. score the LMs with the rule set over the rest period.
"""

from __future__ import annotations

import warnings
from dataclasses import fields

import numpy as np
import pandas as pd

from lrm._version import __version__
from lrm.errors import InputError, LrmWarning
from lrm.io.hypnogram import Hypnogram
from lrm.io.recording import READ_WARNINGS, Recording
from lrm.io.timezones import start_iso
from lrm.params import JerkParams, Params
from lrm.result import NightContext, NightResult, Summary, add_onset_column
from lrm.rules.hypnic_jerks import classify_hypnic_jerks
from lrm.rules.review import select_review_events
from lrm.rules.score import score_lms
from lrm.rules.summary import NightSummary
from lrm.signal.burst import burst_retention
from lrm.signal.detect import LegThresholds, check_rate, detection_limit_g, limit_inputs
from lrm.signal.legs import default_threads, process_legs, trace_1s
from lrm.signal.missed import MissedShare, detection_curve, estimate_missed_share, index_upper_bounds
from lrm.signal.posture import (classify_movements, estimate_posture, kept_turns, label_kept_turns,
                                label_wake_repositionings)
from lrm.signal.prepare import PreparedLeg
from lrm.signal.quality import leg_quality
from lrm.signal.rest import RestPeriod, combine_legs, find_rest_period
from lrm.signal.sleep import SleepEstimate, find_sleep_onsets
from lrm.signal.snippets import Snippets, cut_snippets

__all__ = ["NightResult", "analyze", "MIN_DURATION_S", "default_threads"]

MIN_DURATION_S = 1800.0
"""Shortest recording analysed (s): a PLM index needs a series of >= 4 LMs 10-90 s apart, and a night."""

SHORT_NIGHT_H = 4.0
"""Below this many hours in bed the night is warned about as less reliable: PLM indices vary a lot from night
to night even over whole nights (a single night over 15/h on only 34 % of nights in RLS, docs/scoring.md
§2.6), and a short night adds sampling error (a 20 /h rate over 2 h rests on 40 PLMs, +-16 % by Poisson)."""


def analyze(recording: Recording, params: Params | None = None, *, hypnogram: Hypnogram | None = None,
            respiratory: pd.DataFrame | None = None, arousals: pd.DataFrame | None = None,
            lights_out_s: float | None = None, lights_on_s: float | None = None,
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
    lights_out_s, lights_on_s : float, optional
        The rest period's ends in s since the recording start, instead of the posture estimate (clock times
        are parsed at the edge: :func:`lrm.io.times.parse_night_time`, or ``lrm.analyze``).
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
        a result warn with LrmWarning and are listed in ``summary.quality`` and ``summary.warnings``.
    """
    params = params or Params()
    duration_s = _check_duration(recording)
    legs = process_legs(recording, params, threads=threads)                   # per-leg chain, one clock
    notes = list(legs.notes)
    postures = {side: estimate_posture(leg.gravity_1s[:leg.n_seconds], leg.activity_1s[:leg.n_seconds],
                                       leg.valid_1s[:leg.n_seconds], params.posture) for side, leg in legs.legs.items()}
    valid_1s = {side: leg.valid_1s[:leg.n_seconds] for side, leg in legs.legs.items()}
    lying, any_valid, all_valid, posture_known = combine_legs(postures, valid_1s)
    rest = find_rest_period(lying, any_valid, posture_known=posture_known, params=params.rest,
                            lights_out_s=lights_out_s, lights_on_s=lights_on_s)
    analysis_h = rest.hours_with(all_valid)
    notes += _context_notes(recording, legs.legs, rest, posture_known, analysis_h)
    period = (rest.lights_out_s, rest.lights_on_s) if rest.lights_out_s is not None else (0.0, 0.0)
    moves = classify_movements({s: leg.moves for s, leg in legs.legs.items()},
                               {s: leg.gravity_1s if leg.rest_1s is None else leg.rest_1s for s, leg in legs.legs.items()},
                               postures, params.posture, brief_s=params.jerks.max_high_s)
    table = pd.concat(list(moves.values()), ignore_index=True).sort_values("onset_s", kind="stable")
    rates_hz = {s: leg.fs_hz for s, leg in recording.legs.items()}
    table, sleep = _sleep_and_jerks(table, rest, any_valid, rates_hz, params)
    if not sleep.transition_count():
        notes.append(f"hypnic jerks were not classified: {sleep.note}")
    # restless wake: an LM that leaves the leg turned is a repositioning (docs/scoring.md §5, "Restless wake")
    table = label_wake_repositionings(table, sleep.sleep_period, sleep.epoch_s, params.posture,
                                      brief_s=params.jerks.max_high_s)
    # an LM that keeps >= kept_turn_fraction of its excursion as a lasting turn moved the leg to lie elsewhere
    table = label_kept_turns(table, params.posture, brief_s=params.jerks.max_high_s)
    table = _drop_failed_morphology(table, rates_hz, params.jerks)          # docs/scoring.md §1.2 step 5
    recording_start = start_iso(recording.start_s, recording.clock) if recording.time_is_absolute else None
    scored = score_lms(table.drop(columns=["morphology_ok"]), hours=analysis_h, rules=params.rules,
                       hypnogram=hypnogram, respiratory=respiratory, arousals=arousals,
                       period=period, recording_start=recording_start)
    blocks = {side: _limit_blocks(leg.thresholds, rest, any_valid, leg.prepared) for side, leg in legs.legs.items()}
    limits, brief = ({side: _detection_limit(legs.legs[side].thresholds, b, brief=x) for side, b in blocks.items()}
                     for x in (False, True))
    missed, leg_lms = _missed_shares(table, legs.legs, limits, blocks, period)   # LMs below the limits
    quality = leg_quality({s: leg.prepared for s, leg in legs.legs.items()}, legs.clock_fit, limits, brief, missed)
    notes += [f"{side}: {w}" for side, q in quality.items() for w in q.warnings]
    notes += _missed_share_notes(missed, limits, leg_lms, scored.summary, params)
    for note in notes:
        warnings.warn(note, LrmWarning, stacklevel=2)
    notes += [str(n) for n in recording.meta.get(READ_WARNINGS, ())]   # warned when the files were read
    first_onset = sleep.first_onset_s
    summary = Summary(
        **{f.name: getattr(scored.summary, f.name) for f in fields(NightSummary)} | _jerk_count(sleep, scored.summary),
        lights_out_s=rest.lights_out_s, lights_on_s=rest.lights_on_s, time_in_bed_gross_h=rest.gross_h,
        rest_period_source=rest.source,
        # the sleep estimate's onsets lie on its whole-second grid: an onset at the lying-down itself is stamped
        # floor(lights-out), and it is the onset the latency and the jerk timing use, so it is kept
        sleep_onsets_s=tuple(s for s in sleep.onsets_s if np.floor(period[0]) <= s < period[1]),
        sleep_latency_min=None if first_onset is None or rest.lights_out_s is None
        else max(0.0, first_onset - rest.lights_out_s) / 60.0,
        estimated_sleep_h=sleep.sleep_time_h, quality=quality, warnings=tuple(notes), params=params.to_dict(),
        params_digest=params.digest(), lrm_version=__version__, input_files=_input_files(recording),
        subject=recording.subject, duration_h=duration_s / 3600.0, timezone=recording.timezone,
        timezone_source=recording.timezone_source)
    context = NightContext(legs.clock_fit, _single_leg_onsets(table, legs.sides), duration_s)
    events = add_onset_column(scored.events, recording_start, recording.timezone)
    return NightResult(events, summary, trace_1s(legs, postures, rest.in_bed), params, context, hypnogram=hypnogram,
                       respiratory=respiratory, arousals=arousals, snippets=_review_snippets(legs, scored.events))


def _review_snippets(legs, events: pd.DataFrame) -> Snippets:  # noqa: ANN001 - lrm.signal.legs.Legs
    """The acceleration around every hypnic jerk and a sample of PLMs per series (the report's event review)."""
    sides = legs.sides
    fits = {sides[1]: legs.clock_fit} if len(sides) == 2 and legs.clock_fit.ok else {}
    return cut_snippets({side: leg.prepared for side, leg in legs.legs.items()}, select_review_events(events),
                        fits=fits)


def _sleep_and_jerks(table: pd.DataFrame, rest: RestPeriod, valid_1s: np.ndarray, rates_hz: dict[str, float],
                     params: Params) -> tuple[pd.DataFrame, SleepEstimate]:
    """Sleep onsets from the movements in bed (docs/scoring.md §5), then hypnic jerks at the observed wake-to-sleep
    transitions (§3.1). A rest period taken as the whole recording shows no lying-down: no wake is seen before it."""
    sleep = find_sleep_onsets(table, rest.in_bed, params.sleep, params.rules, valid_1s=valid_1s,
                              lights_out_observed=rest.source != "whole recording")
    return _jerks(table, sleep.transitions(), rates_hz, params, unknown_reason=sleep.note), sleep


def _jerks(table: pd.DataFrame, transitions: pd.DataFrame, rates_hz: dict[str, float], params: Params, *,
           unknown_reason: str | None = None) -> pd.DataFrame:
    """The movements with the hypnic jerks classed (docs/scoring.md §3.1), told which LMs are repositionings.

    An LM that keeps ``PostureParams.kept_turn_fraction`` of its excursion as a lasting turn moved the leg to lie
    elsewhere (:func:`lrm.signal.posture.kept_turns`, §5 "Restless wake", §6): a repositioning, which
    :func:`lrm.signal.posture.label_kept_turns` labels a posture change after the jerks. The jerks are told so that
    it makes no PLM-like series a jerk may not sit inside (a series is made of LMs, §1.2 step 7); until 2026-12-04
    a brief burst among restless fidgets 10-90 s apart was refused as "inside a periodic series" (docs/validation.md,
    "Why the jerks are missed, by cause")."""
    moved = kept_turns(table, params.posture, brief_s=params.jerks.max_high_s)
    return classify_hypnic_jerks(table, transitions, params.jerks, n_legs=len(rates_hz), rules=params.rules,
                                 unknown_reason=unknown_reason, rates_hz=rates_hz, repositioned=moved)


def _jerk_count(sleep: SleepEstimate, scored: NightSummary) -> dict[str, int | None]:
    """``hypnic_jerk_count`` is None when no wake-to-sleep transition was estimated (not classified, not zero)."""
    return {"hypnic_jerk_count": scored.hypnic_jerk_count if sleep.transition_count() else None}


def _context_notes(recording: Recording, legs: dict, rest: RestPeriod, posture_known: bool,
                   analysis_h: float) -> list[str]:
    """What the user must know about the night's context: slow sensors, where the time in bed came from (or
    that there is none), a short night."""
    notes = [n for leg in legs.values() if (n := check_rate(leg.prepared.raw_fs_hz, leg.prepared.source))]
    if rest.source == "none" and not posture_known:
        notes.append("no walking was seen, so the shank's upright direction (and whether the leg was lying) is "
                     "unknown: no time in bed and no index were computed; give the rest period with "
                     "--lights-out/--lights-on")
    elif rest.source == "none":
        notes.append("no lying period (the shanks near horizontal for 20 min or more) was found: no time in bed and "
                     "no index were computed; if the person was in bed, give the rest period with "
                     "--lights-out/--lights-on")
    elif 0.0 < analysis_h < SHORT_NIGHT_H:
        notes.append(f"only {analysis_h:.1f} h in bed were analysed: indices from a night shorter than "
                     f"{SHORT_NIGHT_H:g} h are less reliable (PLMs vary a lot from night to night, docs/scoring.md §2.6)")
    return notes


def _detection_limit(thresholds: LegThresholds | None, blocks: np.ndarray | None, *, brief: bool = False
                     ) -> float | None:
    """The leg's detection limit (g) over ``blocks`` (:func:`_limit_blocks`: its time in bed); with ``brief``, the
    limit for brief-pulse LMs (``lrm.signal.detect.detection_limit_g``)."""
    if thresholds is None or blocks is None:
        return None
    value = detection_limit_g(thresholds, blocks if blocks.any() else None, brief=brief)
    return round(value, 4) if np.isfinite(value) else None


def _limit_blocks(thresholds: LegThresholds | None, rest: RestPeriod, any_valid: np.ndarray,
                  prepared: PreparedLeg | None = None) -> np.ndarray | None:
    """The threshold blocks the leg's limit is stated over (bool per block; none set: all blocks): its time in bed
    (the whole recording without a rest period). Blocks mostly filled by the reader (``prepared.filled``: ActiGraph
    idle sleep) are left out: a repeated sample has no noise, and its thresholds say nothing about what the sensor
    can detect. None when there is no limit to state (no thresholds, nothing recorded in bed)."""
    if thresholds is None:
        return None
    per_block = max(1, int(round(thresholds.block_s)))
    in_bed = rest.in_bed if rest.in_bed.any() else any_valid
    n_blocks = thresholds.offset_hi_g.size
    sec = np.zeros(n_blocks * per_block, bool)
    m = min(sec.size, in_bed.size)
    sec[:m] = in_bed[:m]
    if prepared is not None and prepared.filled is not None:
        per_s = max(1, int(round(prepared.fs_hz)))
        k = min(m, prepared.filled.size // per_s)
        sec[:k] &= prepared.filled[: k * per_s].reshape(k, per_s).mean(axis=1) < 0.5
        if not sec.any():
            return None                                        # nothing recorded in bed: no limit to state
    return sec.reshape(n_blocks, per_block).mean(axis=1) >= 0.5


def _leg_lm_peaks(table: pd.DataFrame, sides: tuple[str, ...], period: tuple[float, float]) -> dict[str, np.ndarray]:
    """Each leg's detected LMs' ``peak_g`` (g) in the analysis period (``type`` "lm": no jerks, posture changes)."""
    onset = table["onset_s"].to_numpy(float)
    keep = (onset >= period[0]) & (onset < period[1]) & (table["type"] == "lm").to_numpy()
    return {side: table.loc[keep & (table["side"] == side).to_numpy(), "peak_g"].to_numpy(float) for side in sides}


def _missed_shares(table: pd.DataFrame, legs: dict, limits: dict[str, float | None],
                   blocks: dict[str, np.ndarray | None], period: tuple[float, float]
                   ) -> tuple[dict[str, MissedShare | None], dict[str, int]]:
    """Per leg (``legs``: :class:`lrm.signal.legs.Legs`' ``legs``), its estimated share of LMs below detection and
    its detected LMs in the analysis period; ``blocks``: each leg's :func:`_limit_blocks`."""
    peaks = _leg_lm_peaks(table, tuple(legs), period)
    missed = {side: _missed_share(peaks[side], limits[side], leg.thresholds, blocks[side])
              for side, leg in legs.items()}
    return missed, {side: p.size for side, p in peaks.items()}


def _missed_share(peak_g: np.ndarray, limit_g: float | None, thresholds: LegThresholds | None,
                  blocks: np.ndarray | None) -> MissedShare | None:
    """The leg's estimated share of LMs below detection (``lrm.signal.missed``), over the blocks of its limit."""
    if limit_g is None or thresholds is None or blocks is None:
        return None
    inputs = limit_inputs(thresholds, blocks if blocks.any() else None)
    if inputs is None:
        return None
    return estimate_missed_share(peak_g, limit_g=limit_g, curve=detection_curve(limit_g, **inputs))


def _missed_share_notes(missed: dict[str, MissedShare | None], limits: dict[str, float | None],
                        leg_lms: dict[str, int], scored: NightSummary, params: Params) -> list[str]:
    """Warn per leg whose estimated share of LMs below detection exceeds ``DetectParams.missed_share_note``, and
    state how far the night's indices could reach (``lrm.signal.missed.index_upper_bounds``): the indices
    themselves are never corrected."""
    share = params.detect.missed_share_note
    flagged = {side: m for side, m in missed.items() if m is not None and m.estimate > share}
    if not flagged:
        return []
    notes = []
    for side, m in flagged.items():
        span = f"at least {m.low:.0%}, no upper bound" if m.high is None else f"90 % range {m.low:.0%}-{m.high:.0%}"
        notes.append(f"{side}: an estimated {m.estimate:.0%} ({span}) of the leg's LMs are "
                     f"smaller than it detects (a log-normal fit to its {m.lms} LMs' peaks, detection limit "
                     f"{1000 * (limits[side] or 0.0):.0f} mg): the LM and PLM indices are probably underestimates")
    lm_index, plm_index = scored.lm_index, scored.plm_index
    if lm_index is None or plm_index is None:
        return notes
    upper = index_upper_bounds(lm_index, scored.clm_index or 0.0, leg_lms,
                               {side: m.high for side, m in missed.items() if m is not None})
    if upper is None:
        notes.append(f"the PLM index ({plm_index:.1f} /h as detected) is probably an underestimate by an amount that "
                     "cannot be bounded: more than half of a leg's LMs may lie below its detection limit, and how many "
                     "lie far below it cannot be told from those above")
    else:
        notes.append(f"the PLM index is {plm_index:.1f} /h as detected; LMs below the detection limit may add up to "
                     f"{upper[0] - lm_index:.1f} /h, so the LM index may be up to {upper[0]:.1f} /h and the PLM index "
                     f"up to {upper[1]:.1f} /h")
    return notes


def _input_files(recording: Recording) -> dict[str, object]:
    """The input files with their digests, hashed in the background since the read (lrm.io.provenance)."""
    files = dict(recording.meta.get("input_files") or {})
    return files or {side: {"path": leg.source} for side, leg in recording.legs.items()}


def _check_duration(recording: Recording) -> float:
    """The recording's duration in s; InputError when it is shorter than :data:`MIN_DURATION_S`."""
    duration_s = recording.end_s - recording.start_s
    if not duration_s >= MIN_DURATION_S:
        src = ", ".join(leg.source or side for side, leg in recording.legs.items())
        raise InputError(src, "", f"the recording lasts {duration_s / 60:.1f} min, less than 30 min",
                         "analyse a whole night (PLM series and indices need hours of data)")
    return duration_s


def _drop_failed_morphology(table: pd.DataFrame, rates_hz: dict[str, float], jerks: JerkParams) -> pd.DataFrame:
    """LMs failing the morphology check are dropped (docs/scoring.md §1.2 step 5; brief jerks were judged before,
    on their own terms). A brief burst among them that was judged, is no jerk and is as large as a jerk may be
    (``burst_peak_g`` >= ``jerks.min_peak_g`` times the share of a brief burst's peak its sensor shows,
    :func:`lrm.signal.burst.burst_retention`) stays, as ``type = "brief_burst"`` (no LM, never scored), so that
    its ``jerk_reason`` still says which criterion it failed; smaller blips go with the failed LMs."""
    failed = (table["type"] == "lm").to_numpy(bool) & ~table["morphology_ok"].astype(bool).to_numpy()
    judged = failed & table["jerk_reason"].notna().to_numpy(bool) if "jerk_reason" in table else np.zeros(len(table), bool)
    if "burst_peak_g" in table:
        retention = {side: burst_retention(float(rate)) for side, rate in rates_hz.items()}   # one per leg
        seen = table["side"].astype(str).map(retention).fillna(1.0).to_numpy(float)
        judged &= table["burst_peak_g"].to_numpy(float) >= jerks.min_peak_g * seen
    kind = table["type"].astype(object).to_numpy(copy=True)
    kind[judged] = "brief_burst"
    table = table.assign(type=pd.array(kind, dtype="string"))
    return table.loc[~failed | judged].reset_index(drop=True)


def _single_leg_onsets(table: pd.DataFrame, sides: tuple[str, ...]) -> dict[str, np.ndarray]:
    is_lm = (table["type"] == "lm").to_numpy()
    return {side: table.loc[is_lm & (table["side"] == side).to_numpy(), "onset_s"].to_numpy(float) for side in sides}

