"""One night of a batch: analyse it into a temporary folder, then rename that folder into place.

:func:`run_night` is what each Dask task runs. It is a picklable top-level function that never raises:
whatever goes wrong lands in the returned :class:`CohortRow` (``status="failed"`` with the error), so one
bad file fails only its own row. Results appear atomically: the night is written under
``OUT/.partial/`` and renamed to ``OUT/<night_id>/`` only once complete, so an interrupted batch (a killed
worker, Ctrl-C, a power cut) never leaves a half-written night that a re-run would count as done.
"""

from __future__ import annotations

import json
import math
import os
import shutil
import time
import traceback
import uuid
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from lrm.batch.discover import NightSpec
from lrm.errors import LrmError, LrmWarning

__all__ = ["CohortRow", "run_night", "analyze_night", "is_finished", "PARTIAL_DIR", "Status"]

PARTIAL_DIR = ".partial"
DONE_MARKER = "summary.json"
NIGHTS_MARKER = "nights.csv"      # a recording analysed night by night (lrm.nights)
Status = Literal["ok", "skipped", "failed"]


@dataclass(frozen=True, slots=True)
class CohortRow:
    """The outcome of one night: one row of the cohort table.

    Attributes
    ----------
    night_id : str
        The night's id (its output folder name).
    status : {"ok", "skipped", "failed"}
        ``ok``: analysed in this run; ``skipped``: already finished in ``OUT/<night_id>/`` (re-run with
        ``force``); ``failed``: see ``error``.
    error : str
        One line saying what went wrong and how to fix it ("" unless failed).
    elapsed_s : float
        Wall-clock seconds spent on the night in this run (0 when skipped).
    output : str
        The night's output folder ("" when failed).
    spec : NightSpec
        Where the night's inputs are.
    values : mapping
        The night's summary.json flattened to scalars (nested keys joined with ``_``); empty when failed.
    detail : str
        The Python traceback for unexpected (internal) errors, for bug reports; not a table column.
    nights : tuple of mapping
        For a recording analysed night by night (longer than 30 h: ``lrm.nights``), one mapping per night
        (its nights.csv row and, when scored, its summary.json flattened); the cohort table gives each its row.
    """

    night_id: str
    status: Status
    spec: NightSpec
    error: str = ""
    elapsed_s: float = 0.0
    output: str = ""
    values: Mapping[str, Any] = field(default_factory=dict)
    detail: str = ""
    nights: tuple[Mapping[str, Any], ...] = ()


def analyze_night(spec: NightSpec, params: Any, out_dir: Path) -> None:
    """Read, analyse and write one night into ``out_dir`` (an empty folder) with the real pipeline.

    Data-quality warnings (:class:`~lrm.errors.LrmWarning`) are not printed by the worker: the pipeline
    records them in summary.json (``warnings``), which the cohort table shows.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LrmWarning)
        _analyze_night(spec, params, out_dir)


def _analyze_night(spec: NightSpec, params: Any, out_dir: Path) -> None:
    from lrm.batch.config import as_params
    from lrm.night_files import NightInputs, analyze_files, read_recording
    from lrm.nights import analyze_nights, multiday_sources

    if _analyze_week(spec, as_params(params), out_dir):
        return
    inputs = NightInputs(path=spec.path, left=spec.left, right=spec.right, hypnogram=spec.hypnogram,
                         respiratory=spec.respiratory, arousals=spec.arousals, lights_out=spec.lights_out,
                         lights_on=spec.lights_on, tz=spec.tz)
    recording = read_recording(inputs)
    if (sources := multiday_sources(recording, inputs.one_night)) is not None:     # a CSV export of several days
        analyze_nights(sources, out_dir, as_params(params), overwrite=True, report=False, threads=1,
                       timezone_name=spec.tz)
        return
    # the report comes after, apart (a night stands without it); the workers are processes: one thread each
    analyze_files(inputs, out_dir, as_params(params), report=False, threads=1, recording=recording)


def _analyze_week(spec: NightSpec, params: Any, out_dir: Path) -> bool:
    """A device recording longer than 30 h (and no per-night scoring files): night by night into ``out_dir``
    (``lrm.nights``: OUT/<night_id>/<date>/ and nights.csv). False when the spec is one night."""
    from lrm.io.registry import detect_format

    if spec.hypnogram or spec.respiratory or spec.arousals or spec.lights_out or spec.lights_on:
        return False
    first = spec.path or spec.left or spec.right
    if first is None or Path(first).is_dir() or not hasattr(detect_format(first).load(), "open_source"):
        return False
    from lrm.nights import SPLIT_AFTER_S, analyze_nights, open_legs, span_s

    sources = open_legs(spec.left, spec.right, spec.path, None, tz=spec.tz)
    start, end = span_s(sources)
    if end - start <= SPLIT_AFTER_S:
        return False
    analyze_nights(sources, out_dir, params, overwrite=True, report=False, threads=1, timezone_name=spec.tz)
    return True


def _write_report(night_dir: Path) -> None:
    from lrm.report.html import write_multi_night_report, write_report

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LrmWarning)
        if (night_dir / NIGHTS_MARKER).is_file():                # night by night: each night, then all of them
            scored = sorted(d for d in night_dir.iterdir() if (d / DONE_MARKER).is_file())
            for d in scored:
                write_report(d)
            if scored:
                write_multi_night_report([str(d) for d in scored], night_dir / "report.html")
            return
        write_report(night_dir)


def is_finished(night_dir: str | os.PathLike[str]) -> bool:
    """True if ``night_dir`` holds a finished night, or nights (folders only appear complete, by rename)."""
    return (Path(night_dir) / DONE_MARKER).is_file() or (Path(night_dir) / NIGHTS_MARKER).is_file()


def read_nights(night_dir: Path) -> tuple[dict[str, Any], ...]:
    """A night-by-night folder's nights: each nights.csv row, with the scored night's summary.json values."""
    import pandas as pd

    table = pd.read_csv(night_dir / NIGHTS_MARKER)
    table = table.astype(object).where(table.notna(), None)
    out = []
    for row in table.to_dict("records"):
        values = {f"night_{k}" if k in ("status", "reason", "output") else k: v for k, v in row.items()}
        if row.get("output") and (night_dir / str(row["output"]) / DONE_MARKER).is_file():
            values = {**read_values(night_dir / str(row["output"])), **values}
        out.append(values)
    return tuple(out)


def _flatten(value: Any, prefix: str, out: dict[str, Any]) -> None:
    if isinstance(value, Mapping):
        for key, sub in value.items():
            _flatten(sub, f"{prefix}_{key}" if prefix else str(key), out)
    elif isinstance(value, (list, tuple)):
        out[prefix] = json.dumps(value, separators=(",", ":"), default=str)
    else:
        out[prefix] = value


def read_values(night_dir: Path) -> dict[str, Any]:
    """The night's summary.json flattened to one level (``quality.left.coverage_pct`` -> ``quality_left_coverage_pct``)."""
    with (night_dir / DONE_MARKER).open(encoding="utf-8") as fh:
        summary = json.load(fh)
    values: dict[str, Any] = {}
    _flatten(summary, "", values)
    return values


def describe_error(exc: BaseException) -> str:
    """One line for the cohort table: the user-facing message, or the exception type for a bug."""
    if isinstance(exc, LrmError):
        return str(exc)
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.filename}: {exc.strerror or exc}. Fix: check the path and its permissions"
    if isinstance(exc, MemoryError):
        return "out of memory while analysing this night. Fix: use fewer --workers per machine"
    return f"internal error: {exc.__class__.__name__}: {exc}. This is a bug in lrm: please report it (see batch-errors.log)"


def _install(tmp: Path, final: Path) -> None:
    """Move the finished ``tmp`` folder to ``final``, replacing an older ``final`` (``force``)."""
    if final.exists():
        old = tmp.parent / f"old-{final.name}-{uuid.uuid4().hex[:8]}"
        os.rename(final, old)
        os.rename(tmp, final)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.rename(tmp, final)


def run_night(
    spec: NightSpec,
    params: Any,
    out_dir: str | os.PathLike[str],
    force: bool = False,
    *,
    report: bool = True,
    analyze_night: Callable[[NightSpec, Any, Path], None] = analyze_night,
) -> CohortRow:
    """Analyse one night into ``out_dir/<night_id>/`` atomically and return its cohort row. Never raises.

    Parameters
    ----------
    spec : NightSpec
        The night's input files.
    params : lrm.params.Params, mapping or None
        Analysis parameters (a mapping as from ``Params.to_dict()``; None for the defaults).
    out_dir : path
        The batch output folder; the night goes to ``out_dir/<night_id>/``. Workers must see it at the
        same path (a shared filesystem on a multi-machine cluster).
    force : bool
        Re-analyse a night that is already finished (the old folder is replaced only once the new one is
        complete); otherwise a finished night is skipped and its row is read back from its summary.json.
    report : bool
        Also write the night's report.html (as ``lrm analyze`` does). A report that cannot be drawn
        does not fail the night: the row stays ``ok`` and ``error`` says why the report is missing.
    analyze_night : callable
        ``(spec, params, folder) -> None`` writing the night's outputs into ``folder``; the default runs
        the lrm pipeline (tests may wrap it).

    Returns
    -------
    CohortRow
        ``status`` ok, skipped or failed (with ``error``); never an exception.
    """
    start = time.perf_counter()
    final = Path(out_dir) / spec.night_id
    try:
        if not force and is_finished(final):
            return _done_row(spec, "skipped", final)
        partial = Path(out_dir) / PARTIAL_DIR
        partial.mkdir(parents=True, exist_ok=True)
        tmp = partial / f"{spec.night_id}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        tmp.mkdir()
        note = detail = ""
        try:
            analyze_night(spec, params, tmp)
            if not is_finished(tmp):
                raise RuntimeError(f"the analysis wrote no {DONE_MARKER}")
            if report:
                try:
                    _write_report(tmp)
                except Exception as exc:  # noqa: BLE001 - the analysis stands without its report
                    note = f"report.html not written ({describe_error(exc)})"
                    detail = "" if isinstance(exc, LrmError) else traceback.format_exc()
            _install(tmp, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return _done_row(spec, "ok", final, error=note, elapsed_s=_since(start), detail=detail)
    except Exception as exc:  # noqa: BLE001 - a night's failure is data, never an exception
        detail = "" if isinstance(exc, LrmError) else traceback.format_exc()
        return CohortRow(spec.night_id, "failed", spec, error=describe_error(exc), elapsed_s=_since(start), detail=detail)


def _done_row(spec: NightSpec, status: Status, final: Path, **fields: Any) -> CohortRow:
    if (final / NIGHTS_MARKER).is_file():
        return CohortRow(spec.night_id, status, spec, output=str(final), nights=read_nights(final), **fields)
    return CohortRow(spec.night_id, status, spec, output=str(final), values=read_values(final), **fields)


def _since(start: float) -> float:
    elapsed = time.perf_counter() - start
    return round(elapsed, 3) if math.isfinite(elapsed) else 0.0


def failed_row(spec: NightSpec, error: str, detail: str = "") -> CohortRow:
    """A failed row for a night whose task never returned (its worker died, the batch was cancelled)."""
    return CohortRow(spec.night_id, "failed", spec, error=error, detail=detail)

