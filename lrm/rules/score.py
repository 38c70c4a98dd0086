"""Score leg movements: the WASM 2016 / AASM pipeline from single-leg LMs to PLMs and the night summary.

``score_lms`` is tables in, tables out: the accelerometer pipeline calls it, and so does
``lrm.score_events`` (:mod:`lrm.api`) once it has read technician-scored files.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lrm.io.hypnogram import Hypnogram
from lrm.rules.arousal import mark_arousal
from lrm.rules.bilateral import combine_legs
from lrm.rules.events import conform_events, empty_events
from lrm.rules.indices import SummaryContext, summarize_night
from lrm.rules.merge import drop_short, merge_same_leg
from lrm.rules.respiratory import mark_respiratory
from lrm.rules.rulesets import RuleSet, RuleSetName, get_ruleset
from lrm.rules.series import compute_imi, number_series
from lrm.rules.summary import NightSummary

__all__ = ["ScoredEvents", "score_lms"]

_SIDES = ("left", "right")
_STRING = pd.api.types.pandas_dtype("string")


@dataclass(frozen=True, slots=True)
class ScoredEvents:
    """The result of scoring: ``events`` (events.csv table) and ``summary`` (summary.json values)."""

    events: pd.DataFrame
    summary: NightSummary
    notes: tuple[str, ...] = ()  # what the inputs' checks left out (lrm.io.scoring_inputs; also warned)


def _check_input(lms: pd.DataFrame) -> pd.DataFrame:
    missing = {"onset_s", "offset_s", "side"} - set(lms.columns)
    if missing:
        raise ValueError(f"lms lacks column(s) {sorted(missing)}; need onset_s, offset_s, side")
    out = lms.copy()
    if "type" not in out.columns:
        out["type"] = "lm"
    kind = out["type"]
    if kind.dtype != _STRING or kind.hasnans:   # the pipeline's column is already string without <NA>
        out["type"] = kind.astype("string").fillna("lm")
    onset_s, offset_s = out["onset_s"].to_numpy(float), out["offset_s"].to_numpy(float)
    if not (np.isfinite(onset_s).all() and np.isfinite(offset_s).all()) or (offset_s < onset_s).any():
        raise ValueError("lms needs finite onset_s <= offset_s in every row")
    is_lm = (out["type"] == "lm").to_numpy(bool)
    if not out.loc[is_lm, "side"].isin(_SIDES).all():
        raise ValueError("lms of type 'lm' need side 'left' or 'right' (single-leg LMs)")
    return out


def _score_sequence(lms: pd.DataFrame, rules: RuleSet) -> tuple[pd.DataFrame, int]:
    """Steps 1-8 of docs/scoring.md §1.2 on single-leg LMs: merge, drop, combine, IMI, series. Returns the scored
    LMs and how many merged LMs were dropped as too short (a count beside the table, not in its ``attrs``:
    pandas deep-copies ``attrs`` on every operation on the table)."""
    merged_all = merge_same_leg(lms, rules)
    merged = drop_short(merged_all, rules)
    combined = combine_legs(merged, rules) if len(merged) else merged.assign(
        is_clm=pd.Series(dtype=bool), n_components=pd.Series(dtype="int64"), duration_s=pd.Series(dtype=float))
    onset_s = combined["onset_s"].to_numpy(float)
    series = number_series(onset_s, combined["is_clm"].to_numpy(bool), rules)
    combined = _with_columns(combined, {
        "imi_s": compute_imi(onset_s), "in_plm_series": series > 0,
        # <NA> outside a series, built as the masked array at once (a masked .loc assignment costs ~0.5 ms)
        "series_id": pd.arrays.IntegerArray(np.where(series > 0, series, 0).astype(np.int64), series == 0),
        "type": np.full(len(combined), "lm", object)})
    return combined, len(merged_all) - len(merged)


def _with_columns(table: pd.DataFrame, columns: dict[str, object]) -> pd.DataFrame:
    """``table`` with ``columns`` (arrays of its length) set as ``table[name] = values`` would, one after the
    other (an existing column replaced where it stands, a new one appended), on a new RangeIndex, the table
    built once: each column added to a built table costs ~0.25 ms (pandas rebuilds the column index). A table
    with an object column (pandas would infer a new dtype for it) or repeated names goes the slow way."""
    if not table.columns.is_unique or any(dtype == object for dtype in table.dtypes):
        out = table.reset_index(drop=True)
        for name, values in columns.items():
            out[name] = values
        return out
    data: dict[str, object] = {name: table[name].array for name in table.columns}
    return pd.DataFrame(data | columns)


def _series_without(scored: pd.DataFrame, removed: np.ndarray, rules: RuleSet) -> pd.Series:
    """PLM flags once ``removed`` LMs (CLMr) leave the sequence and IMIs are recomputed (§1.2 step 10)."""
    keep = ~removed
    flags = np.zeros(len(scored), bool)
    flags[keep] = number_series(scored["onset_s"].to_numpy(float)[keep], scored["is_clm"].to_numpy(bool)[keep], rules) > 0
    return pd.Series(flags.astype(np.int8), index=scored.index, dtype="Int8")


def score_lms(
    lms: pd.DataFrame,
    *,
    hours: float,
    rules: RuleSet | RuleSetName = "wasm2016",
    hypnogram: Hypnogram | None = None,
    respiratory: pd.DataFrame | None = None,
    arousals: pd.DataFrame | None = None,
    period: tuple[float, float] | None = None,
    recording_start: str | None = None,
) -> ScoredEvents:
    """Score single-leg leg movements into CLMs, PLM series and the night's indices.

    Parameters
    ----------
    lms : DataFrame
        One row per single-leg event: ``onset_s``, ``offset_s`` (s since recording start), ``side``
        (left|right), optional ``type`` (default ``"lm"``) and extra columns (e.g. ``peak_g``) that pass
        through. Only ``type == "lm"`` rows are scored; other rows (hypnic_jerk, posture_change, ...) pass
        through unscored (is_clm 0, in_plm_series 0) and are counted by type. Any row order.
    hours : float
        The analysis period in h (time in bed, gaps excluded): denominator of LM/CLM/PLM index.
    rules : RuleSet or {"wasm2016", "aasm"}
        The scoring standard (:mod:`lrm.rules.rulesets`).
    hypnogram : Hypnogram, optional
        30 s stages: each PLM becomes PLMS or PLMW by the epoch of its onset; TST and wake time.
    respiratory : DataFrame, optional
        Respiratory events ``onset_s``, ``offset_s`` (s): CLMr flagged, PLMs recomputed without them.
    arousals : DataFrame, optional
        Arousals ``onset_s``, ``offset_s`` (s): PLM-arousal association.
    period : (float, float), optional
        (start_s, end_s): events whose onset is outside [start, end) are dropped first. The hypnogram's
        stage hours are counted inside it too.
    recording_start : str, optional
        ISO 8601 UTC time of t = 0, copied into the summary.

    Returns
    -------
    ScoredEvents
        ``.events`` with :data:`~lrm.rules.events.EVENT_COLUMNS` (+ ``in_plm_series_nr`` and extras), one
        row per scored LM and per pass-through event, in time order; ``.summary`` a NightSummary.

    Notes
    -----
    docs/scoring.md §1.2 steps 1-10 (WASM 2016, PLMScoRe behaviour) or §1.3 (AASM), each step in its own
    module: :mod:`~lrm.rules.merge` (steps 1-2), :mod:`~lrm.rules.bilateral` (3-4),
    :mod:`~lrm.rules.series` (6-8), :class:`~lrm.io.hypnogram.Hypnogram` (9),
    :mod:`~lrm.rules.respiratory` (10), :mod:`~lrm.rules.arousal`; step 5 (morphology) belongs to the
    detector. Indices: :mod:`~lrm.rules.indices` (§2.1).

    Examples
    --------
    >>> onsets = np.array([0, 20, 40, 45, 65, 85, 105.0])   # docs/scoring.md §1.2 worked example
    >>> lms = pd.DataFrame({"onset_s": onsets, "offset_s": onsets + 2.0, "side": "left"})
    >>> score_lms(lms, hours=1.0).summary.plm_count, score_lms(lms, hours=1.0, rules="aasm").summary.plm_count
    (4, 7)
    """
    rules = get_ruleset(rules)
    if not hours >= 0:
        raise ValueError(f"hours must be >= 0, got {hours}")
    table = _check_input(lms)
    if period is not None:
        onset_s = table["onset_s"].to_numpy(float)
        table = table.loc[(onset_s >= period[0]) & (onset_s < period[1])]
    is_lm = (table["type"] == "lm").to_numpy(bool)
    scored, dropped = _score_sequence(table.loc[is_lm].drop(columns="type"), rules)
    onset_s, offset_s = scored["onset_s"].to_numpy(float), scored["offset_s"].to_numpy(float)
    if hypnogram is not None:
        scored["stage"] = pd.array(hypnogram.stage_at(onset_s), dtype="string")
    if respiratory is not None:
        resp = mark_respiratory(onset_s, offset_s, respiratory, rules)
        scored["respiratory"] = pd.array(resp.astype(np.int8), dtype="Int8")
        scored["in_plm_series_nr"] = _series_without(scored, resp & scored["is_clm"].to_numpy(bool), rules)
    if arousals is not None:
        scored["arousal"] = pd.array(mark_arousal(onset_s, offset_s, arousals, rules).astype(np.int8), dtype="Int8")
    others = table.loc[~is_lm]
    duration_s = others["offset_s"].to_numpy(float) - others["onset_s"].to_numpy(float)
    others = _with_columns(others, {"duration_s": duration_s, "n_components": np.ones(len(others), np.int64)})
    if hypnogram is not None and len(others):
        others["stage"] = pd.array(hypnogram.stage_at(others["onset_s"].to_numpy(float)), dtype="string")
    scored = conform_events(scored)
    pieces = [p for p in (scored, conform_events(others)) if len(p)]
    events = (pd.concat(pieces, ignore_index=True) if pieces else empty_events())
    # by onset, then offset; np.lexsort is stable (NaN last) as sort_values(kind="stable"), without its overhead
    order = np.lexsort((events["offset_s"].to_numpy(float), events["onset_s"].to_numpy(float)))
    events = conform_events(events.take(order))
    ctx = SummaryContext(
        rules=rules, hours=float(hours), hypnogram=hypnogram, period=period,
        respiratory_event_count=None if respiratory is None else len(respiratory),
        arousal_count=None if arousals is None else len(arousals),
        dropped_short_lm_count=dropped, recording_start=recording_start,
    )
    type_counts = {str(k): int(v) for k, v in events["type"].value_counts(sort=False).items()}
    return ScoredEvents(events=events, summary=summarize_night(scored, type_counts, ctx))
