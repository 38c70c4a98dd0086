"""Inputs of ``lrm score-events``: technician-scored LMs with optional hypnogram, respiratory events and
arousals, from a generic LM CSV (+ side files) or a RemLogic event export.

:func:`load_scoring_inputs` resolves them onto one time axis (s since the start of the recording), checks
that the hypnogram covers the LMs, and settles the analysis period (``hours`` and ``period``):

* ``hours`` given: it is the analysis period (time in bed); ``start_s``/``end_s`` (if given) restrict the
  events.
* ``start_s`` and ``end_s`` given: the period is [start_s, end_s) and hours = (end_s - start_s) / 3600.
* neither, with a hypnogram: the scored epochs (all but ``?``), i.e. lights off to lights on, and events
  outside the hypnogram are left out (what MATPLM-Score does with RemLogic files).
* neither and no hypnogram: an error asking for ``--hours`` (a PLM index needs a denominator).

Numerator and denominator always cover the same time: with the hypnogram as the period, LMs in unscored
(``?``) epochs are left out with a note; with ``hours`` alone, LMs spanning more than ``hours`` are an error.
A file without LMs is a night with none (indices 0).

Layouts of the generic files are documented in :mod:`lrm.io.lm_csv`, RemLogic in :mod:`lrm.io.remlogic`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lrm.errors import InputError
from lrm.io.edf_scoring import is_edf, read_edf_scoring, read_scoring_hypnogram, read_scoring_intervals
from lrm.io.event_tables import read_text
from lrm.io.hypnogram import STAGES, Hypnogram
from lrm.io.plausibility import MAX_NIGHT_S
from lrm.io.lm_csv import read_hypnogram, read_intervals_csv, read_lm_csv, sniff_lm_csv
from lrm.io.remlogic import read_remlogic, sniff_remlogic

__all__ = ["Hypnogram", "STAGES", "ScoringInputs", "load_scoring_inputs", "read_lm_csv", "read_intervals_csv",
           "read_hypnogram", "read_remlogic", "detect_events_format"]

PathLike = str | os.PathLike[str]
EPOCH_TOLERANCE_S = 30.0  # --hours vs the LMs' span: one epoch of rounding in a time in bed given in hours


@dataclass(frozen=True, slots=True)
class ScoringInputs:
    """Everything ``score_lms`` needs, on one time axis (s since the start of the recording)."""

    lms: pd.DataFrame
    hours: float
    period: tuple[float, float] | None
    hypnogram: Hypnogram | None
    respiratory: pd.DataFrame | None
    arousals: pd.DataFrame | None
    recording_start: str | None  # ISO 8601 UTC, None when unknown
    recording_start_local: str | None  # wall-clock time of t = 0 as in the file (RemLogic and EDF+ state no zone)
    source_format: str  # "lm-csv" | "remlogic" | "edf"
    notes: tuple[str, ...] = ()  # what was left out, for the user (warned by score_events)


def detect_events_format(path: PathLike) -> str:
    """``"remlogic"`` or ``"lm-csv"`` from the file's first lines; InputError if neither."""
    head = read_text(path)[:8192]
    if sniff_remlogic(head):
        return "remlogic"
    if sniff_lm_csv(head) or "," in head.split("\n", 1)[0] or not head.strip():
        return "lm-csv"  # the CSV reader gives the precise error (missing column, empty file)
    first = head.split("\n", 1)[0].strip()
    if any(d in first for d in (";", "\t", "|")):
        return "lm-csv"  # reports the wrong delimiter
    raise InputError(str(path), "line 1", f"not a leg-movement file (starts with {first[:40]!r})",
                     "give a CSV with header 'onset_s,offset_s,side' or a RemLogic event export")


def _side_file(value: PathLike | pd.DataFrame | None, what: str) -> pd.DataFrame | None:
    if value is None or isinstance(value, pd.DataFrame):
        return value
    return read_scoring_intervals(value, "respiratory" if what.startswith("respiratory") else "arousals")


def _check_coverage(lms: pd.DataFrame, hyp: Hypnogram, period, source: str) -> None:
    onset_s = lms["onset_s"].to_numpy(float)
    if period is not None:
        onset_s = onset_s[(onset_s >= period[0]) & (onset_s < period[1])]
    outside = (onset_s < hyp.start_s) | (onset_s >= hyp.end_s)
    if outside.any():
        t = float(onset_s[np.argmax(outside)])
        raise InputError(source, f"{len(hyp.stages)} epochs",
                         f"the hypnogram covers {hyp.start_s:g}-{hyp.end_s:g} s but a leg movement starts at {t:g} s",
                         "give a hypnogram covering the whole recording, or restrict the analysis with --start/--end")


def _period(hours, start_s, end_s, hyp: Hypnogram | None, path: PathLike) -> tuple[float, tuple[float, float] | None]:
    if (start_s is None) != (end_s is None):
        raise InputError(str(path), "--start/--end", "only one end of the analysis period given", "give both --start and --end")
    period = None if start_s is None else (float(start_s), float(end_s))
    if period is not None:
        if not all(abs(t) <= MAX_NIGHT_S for t in period):  # NaN fails too
            raise InputError(str(path), "--start/--end", f"{period[0]:g}-{period[1]:g} s is not within "
                             f"{MAX_NIGHT_S / 3600:.0f} h of the recording start", "give both in s since the recording start")
        if not period[1] > period[0]:
            raise InputError(str(path), "--start/--end", f"end {period[1]:g} s is not after start {period[0]:g} s",
                             "give --end later than --start (both in s since the recording start)")
    if hours is not None:
        if not 0 < hours <= MAX_NIGHT_S / 3600:  # NaN and inf fail too
            raise InputError(str(path), "--hours", f"an analysis period of {hours:g} h",
                             f"give the time in bed in hours, more than 0 and at most {MAX_NIGHT_S / 3600:.0f}")
        return float(hours), period
    if period is not None:
        return (period[1] - period[0]) / 3600.0, period
    if hyp is not None:
        scored = tuple(s for s in STAGES if s != "?")
        return hyp.hours(scored), (hyp.start_s, hyp.end_s)
    raise InputError(str(path), "", "no analysis period: the PLM index needs the time in bed",
                     "pass --hours H (time in bed in hours), --start/--end, or --hypnogram")


def load_scoring_inputs(
    path: PathLike,
    *,
    hypnogram: PathLike | Hypnogram | None = None,
    respiratory: PathLike | pd.DataFrame | None = None,
    arousals: PathLike | pd.DataFrame | None = None,
    hours: float | None = None,
    start_s: float | None = None,
    end_s: float | None = None,
) -> ScoringInputs:
    """Read an LM file (generic CSV or RemLogic) and its side files into :class:`ScoringInputs`.

    A RemLogic export carries its own stages, respiratory events and arousals; files given explicitly
    replace them. Raises :class:`InputError` naming the file, line and column of any bad input.
    """
    fmt = "edf" if is_edf(path) else detect_events_format(path)
    local_start = None
    if fmt == "edf":  # a PSG EDF+ whose annotations carry LMs (and usually stages, arousals, apneas)
        edf = read_edf_scoring(path)
        lms = edf.lms[["onset_s", "offset_s", "side", "type"]]
        own_hyp, own_resp = edf.hypnogram, edf.respiratory[["onset_s", "offset_s"]]
        own_ar = edf.arousals[["onset_s", "offset_s"]]
        local_start = pd.Timestamp(edf.edf_start_s, unit="s").isoformat()  # EDF's clock: local, no zone
    elif fmt == "remlogic":
        rem = read_remlogic(path)
        lms, own_hyp, own_resp, own_ar = rem.lms, rem.hypnogram, rem.respiratory, rem.arousals
        local_start = rem.start.isoformat()
    else:
        lms, own_hyp, own_resp, own_ar = read_lm_csv(path), None, None, None
    hyp_source = str(hypnogram) if isinstance(hypnogram, (str, os.PathLike)) else str(path)
    if isinstance(hypnogram, (str, os.PathLike)):
        hyp = read_scoring_hypnogram(hypnogram)  # EDF+ annotations or a hypnogram CSV
    else:
        hyp = hypnogram if hypnogram is not None else own_hyp
    resp = _side_file(respiratory, "respiratory events") if respiratory is not None else own_resp
    ar = _side_file(arousals, "arousals") if arousals is not None else own_ar
    hours_h, period = _period(hours, start_s, end_s, hyp, path)
    if hypnogram is not None:  # a RemLogic export's own stages define lights off-on: LMs outside are left out
        _check_coverage(lms, hyp, None if start_s is None else period, hyp_source)
    notes: list[str] = []
    if hours is None and start_s is None and hyp is not None:  # the period is the scored epochs: LMs too
        lms, left_out = _in_scored_epochs(lms, hyp)
        if left_out:
            notes.append(f"{left_out} LM(s) in unscored epochs ('?') left out: the time in bed counts scored "
                         "epochs only (give --hours or --start/--end to count the whole period)")
    elif hours is not None and period is None:
        _check_span(lms, hours_h, path)
    return ScoringInputs(lms=lms, hours=hours_h, period=period, hypnogram=hyp, respiratory=resp, arousals=ar,
                         recording_start=None, recording_start_local=local_start, source_format=fmt,
                         notes=tuple(notes))


def _in_scored_epochs(lms: pd.DataFrame, hyp: Hypnogram) -> tuple[pd.DataFrame, int]:
    """The LMs whose onset lies in a scored epoch (not "?", inside the hypnogram), and how many were not.

    With the hypnogram as the analysis period, the denominator is the scored epochs' time; an LM in an
    unscored gap (or outside lights off-on) would count in the numerator only (SCORING.md §2.1: an index is
    events per hour of the same period).
    """
    stage = hyp.stage_at(lms["onset_s"].to_numpy(float))
    scored = pd.Series(stage, dtype=object).isin([s for s in STAGES if s != "?"]).to_numpy(bool)
    is_lm = (lms["type"] == "lm").to_numpy(bool)
    drop = is_lm & ~scored
    return lms.loc[~drop].reset_index(drop=True), int(drop.sum())


def _check_span(lms: pd.DataFrame, hours: float, path: PathLike) -> None:
    """InputError when the LMs span more time than the analysis period given with --hours (an index over
    1 h of LMs scattered over 4 h would be 4 times too high, without a word)."""
    onset_s = lms.loc[(lms["type"] == "lm").to_numpy(bool), "onset_s"].to_numpy(float)
    if onset_s.size < 2:
        return
    span_s = float(onset_s.max() - onset_s.min())
    if span_s > hours * 3600.0 + EPOCH_TOLERANCE_S:
        raise InputError(str(path), "--hours", f"the leg movements span {span_s / 3600:.2f} h "
                         f"({onset_s.min():g}-{onset_s.max():g} s) but the analysis period is {hours:g} h",
                         f"give --hours of at least {span_s / 3600:.2f} (the time in bed), or --start/--end to "
                         "analyse part of the night")
