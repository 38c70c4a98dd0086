"""The public Python API, re-exported by ``lrm``: read, analyze, load, score_events, simulate.

This is the edge where paths and typed-in times are parsed, so everything below works on arrays, tables
and seconds::

    night = lrm.analyze("night1/")                                  # a path or a Recording
    night = lrm.analyze(left="L.csv", right="R.csv", hypnogram="stages.edf", lights_out="22:40")
    night.summary.plm_index, night.events.head(), night.plot_night()
    night.save("night1-results");  again = lrm.load("night1-results")
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import pandas as pd

from lrm._version import __version__
from lrm.errors import LrmWarning
from lrm.io.edf_scoring import read_scoring_files
from lrm.io.hypnogram import Hypnogram
from lrm.io.recording import Recording
from lrm.io.registry import read
from lrm.io.scoring_inputs import load_scoring_inputs
from lrm.io.times import parse_lights
from lrm.params import Params
from lrm.pipeline import analyze as analyze_recording
from lrm.result import NightResult, Summary, add_onset_column
from lrm.result import load_night as load
from lrm.rules.rulesets import RuleSet, RuleSetName
from lrm.rules.score import score_lms
from lrm.sim.night import simulate

__all__ = ["read", "analyze", "load", "score_events", "simulate"]

PathLike = str | os.PathLike[str]


def analyze(recording: Recording | PathLike | None = None, params: Params | None = None, *,
            left: PathLike | None = None, right: PathLike | None = None,
            hypnogram: PathLike | Hypnogram | None = None, respiratory: PathLike | pd.DataFrame | None = None,
            arousals: PathLike | pd.DataFrame | None = None, lights_out: str | float | None = None,
            lights_on: str | float | None = None, threads: int | None = None, **read_options: Any) -> NightResult:
    """Analyse one night: leg movements, PLMs (WASM 2016 or AASM) and hypnic jerks.

    Parameters
    ----------
    recording : Recording or path, optional
        The night: a :class:`Recording` (``lrm.read``), a recording directory, or one leg's file (with
        ``side="left"`` in ``read_options``). Or give ``left``/``right`` instead.
    params : Params, optional
        Analysis parameters, including the rule set (``Params(rules="aasm")``).
    left, right : path, optional
        Each ankle's file.
    hypnogram, respiratory, arousals : path or object, optional
        PSG scoring: a file (EDF+ annotations or CSV; placed on the recording's clock) or the object
        (:class:`Hypnogram`; DataFrames with ``onset_s``, ``offset_s`` in s since the recording start).
    lights_out, lights_on : str or float, optional
        The rest period's ends: s since the recording start, local clock time ``"22:40"`` in the recording's
        time zone (UTC, with a warning, when unknown), or ISO 8601 (its offset honoured).
    threads : int, optional
        Threads for the per-leg steps (default one per leg). The result does not depend on it.
    **read_options
        Passed to :func:`lrm.read` (``side``, ``format``, ``units``, ``start_s``).

    Returns
    -------
    NightResult
        ``.events`` (DataFrame), ``.summary`` (what summary.json holds), ``.trace``, ``.save(DIR)``.
    """
    if isinstance(recording, Recording):
        rec = recording
    elif recording is not None:
        rec = read(recording, **read_options)
    else:
        rec = read(left=left, right=right, **read_options)
    start = rec.start_s if rec.time_is_absolute else None
    hyp, resp, ar = read_scoring_files(
        hypnogram if not isinstance(hypnogram, Hypnogram) else None,
        respiratory if not isinstance(respiratory, pd.DataFrame) else None,
        arousals if not isinstance(arousals, pd.DataFrame) else None, recording_start_s=start)
    lights_out_s, lights_on_s = parse_lights(rec, lights_out, lights_on, flags=("lights_out", "lights_on"))
    return analyze_recording(
        rec, params, hypnogram=hypnogram if isinstance(hypnogram, Hypnogram) else hyp,
        respiratory=respiratory if isinstance(respiratory, pd.DataFrame) else resp,
        arousals=arousals if isinstance(arousals, pd.DataFrame) else ar,
        lights_out_s=lights_out_s, lights_on_s=lights_on_s, threads=threads)


def score_events(
    path: PathLike,
    *,
    rules: RuleSet | RuleSetName = "wasm2016",
    hypnogram: PathLike | Hypnogram | None = None,
    respiratory: PathLike | pd.DataFrame | None = None,
    arousals: PathLike | pd.DataFrame | None = None,
    hours: float | None = None,
    start_s: float | None = None,
    end_s: float | None = None,
) -> NightResult:
    """Score a file of technician-scored LMs (generic LM CSV, RemLogic export or EDF+) with WASM 2016 or AASM.

    The analysis period is ``hours``, or ``start_s``-``end_s`` (s since the recording start), or the
    hypnogram's span; see ``lrm score-events --help``. Returns the typed night (no signal trace): the scored
    events, the summary (with the analysis period as lights out/on, the file's wall-clock start without an
    offset: a local clock of a zone it does not state, and ``lrm_version``) and the PSG scoring it used;
    ``.save(DIR)`` writes it.
    """
    inputs = load_scoring_inputs(
        path, hypnogram=hypnogram, respiratory=respiratory, arousals=arousals,
        hours=hours, start_s=start_s, end_s=end_s,
    )
    # the export's wall clock, of a zone it does not state: stored without an offset (never called UTC)
    recording_start = inputs.recording_start or inputs.recording_start_local
    for note in inputs.notes:  # e.g. LMs in unscored epochs left out: said, and kept in .notes
        warnings.warn(f"{path}: {note}", LrmWarning, stacklevel=2)
    scored = score_lms(
        inputs.lms, hours=inputs.hours, rules=rules, hypnogram=inputs.hypnogram,
        respiratory=inputs.respiratory, arousals=inputs.arousals, period=inputs.period,
        recording_start=recording_start,
    )
    period = inputs.period or (None, None)
    summary = Summary.from_dict({**scored.summary.to_dict(), "lights_out_s": period[0], "lights_on_s": period[1],
                                 "rest_period_source": _period_source(inputs.period, start_s),
                                 "lrm_version": __version__,
                                 "warnings": list(inputs.notes)})
    return NightResult(add_onset_column(scored.events, recording_start, None), summary, hypnogram=inputs.hypnogram,
                       respiratory=_intervals(inputs.respiratory), arousals=_intervals(inputs.arousals))


def _intervals(table: pd.DataFrame | None) -> pd.DataFrame | None:
    return None if table is None else table[["onset_s", "offset_s"]].astype(float).reset_index(drop=True)


def _period_source(period: tuple[float, float] | None, start_s: float | None) -> str | None:
    if period is None:
        return None
    return "start and end given" if start_s is not None else "scored epochs"
