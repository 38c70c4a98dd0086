"""The night directory: one analysed night on disk, written and read back as a :class:`lrm.result.NightResult`.

``DIR/events.csv``
    One row per event (``lrm.rules.events.EVENT_COLUMNS`` first), ``.`` decimals, empty cells for missing
    values, 0/1 flags, floats rounded to 1 µs, and ``onset_local``: the onset as local clock time, ISO 8601
    with the zone's offset to the millisecond (no offset for a local clock of unknown zone; empty for
    relative times). The tz-aware ``onset`` column is rebuilt from ``recording_start`` and ``timezone`` on
    reading.
``DIR/trace.parquet``
    The 1 Hz trace (absent for ``lrm score-events`` directories, which have no signal).
``DIR/hypnogram.csv``, ``DIR/respiratory.csv``, ``DIR/arousals.csv``
    The PSG scoring the night was scored with, when given: 30 s epochs ``onset_s,duration_s,stage``; events
    ``onset_s,offset_s`` (s since the recording start). The report draws the hypnogram and the markers.
``DIR/snippets.npz``
    Acceleration around the events chosen for review (:mod:`lrm.signal.snippets`, at most about 1 MB):
    ``onset_s``, ``fs_hz``, ``pre_s`` and ``<side>_accel_g`` (k, n, 3) float32 in g, NaN without data.
``DIR/report.html`` (and ``report.pdf``)
    The night's report, written by the caller's ``report`` step before summary.json.
``DIR/summary.json``
    :meth:`lrm.result.Summary.to_dict`. Written last: a directory with a summary.json is complete.

Before anything is written every one of these files is checked (:func:`check_outputs`): none may exist
unless overwriting was asked for, and none may be an input. A failed write removes what it created.

Every file is written atomically (:mod:`lrm.io.atomic`). Reading checks each file and raises
:class:`~lrm.errors.InputError` naming the file, the place and the fix.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lrm.errors import InputError, OutputExistsError
from lrm.io.atomic import write_atomic, write_json_atomic
from lrm.io.hypnogram import STAGES, Hypnogram
from lrm.rules.events import EVENT_COLUMNS, EXTRA_COLUMNS
from lrm.signal.snippets import Snippets

if TYPE_CHECKING:  # the typed night reads and writes itself through this module (lrm.result)
    from lrm.result import NightResult

__all__ = ["NightFiles", "save_night", "night_outputs", "check_outputs", "read_night_files", "write_events_csv",
           "SUMMARY", "EVENTS", "TRACE", "REPORT", "REPORT_PDF", "HYPNOGRAM", "RESPIRATORY", "AROUSALS", "SNIPPETS",
           "REQUIRED_EVENT_COLUMNS"]

SUMMARY, EVENTS, TRACE, REPORT, REPORT_PDF = "summary.json", "events.csv", "trace.parquet", "report.html", "report.pdf"
HYPNOGRAM, RESPIRATORY, AROUSALS, SNIPPETS = "hypnogram.csv", "respiratory.csv", "arousals.csv", "snippets.npz"
REQUIRED_EVENT_COLUMNS = ("onset_s", "offset_s", "type")
_FIX_DIR = "give a directory written by 'lrm analyze' or 'lrm score-events'"


def night_outputs(out_dir: str | os.PathLike[str], *, trace: bool = True, report: bool = True,
                  pdf: bool = False) -> tuple[Path, ...]:
    """Every file a night directory gets, in the order they are written (summary.json, the marker, last)."""
    out = Path(out_dir)
    files = [out / TRACE] if trace else []
    files += [out / EVENTS] + ([out / REPORT] if report else []) + ([out / REPORT_PDF] if report and pdf else [])
    return (*files, out / SUMMARY)


def check_outputs(outputs: Sequence[str | os.PathLike[str]], *, inputs: Sequence[str | os.PathLike[str] | None] = (),
                  overwrite: bool = False) -> None:
    """Before anything is read or written: no output may be an input, and none may exist unless ``overwrite``.

    Raises
    ------
    InputError
        An output is one of the inputs (``lrm score-events keep/events.csv --out keep``), even with
        ``overwrite``: an input is never an output.
    OutputExistsError
        An output exists (any of them, not only summary.json) and ``overwrite`` is False.
    """
    given = [Path(p) for p in inputs if p is not None]
    for folder in {Path(p).parent for p in outputs}:
        _check_folder(folder)
    for output in map(Path, outputs):
        for source in given:
            if _same_path(output, source):
                raise InputError(str(source), "", f"it is an input and would be overwritten by the output {output.name}",
                                 "choose another --out directory (an input is never an output)")
    if not overwrite:
        for output in map(Path, outputs):
            if output.exists() or output.is_symlink():
                raise OutputExistsError(str(output), "choose another --out directory, or pass --force to replace it")


def _check_folder(folder: Path) -> None:
    """``folder`` (the --out directory) is a directory or can become one: no file stands at it or above it.
    Checked before the night is read, so a wrong --out costs no analysis."""
    for path in (folder, *folder.parents):
        if path.exists():
            if not path.is_dir():
                raise InputError(str(path), "", "is a file, not a directory, so the results cannot be written "
                                 f"{'into' if path == folder else 'under'} it", "choose another --out directory")
            return


def _same_path(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
        return a.resolve() == b.resolve()
    except OSError:
        return False


def save_night(result: NightResult, out_dir: str | os.PathLike[str], *, overwrite: bool = False,
               report: Callable[[Path], Sequence[Path]] | None = None, pdf: bool = False) -> Path:
    """Write ``result`` into ``out_dir`` (created if missing): trace.parquet, events.csv, the report, then
    summary.json: a directory with a summary.json is complete, with its report.

    ``report(out_dir)``, when given, writes the report files (report.html, with ``pdf`` report.pdf) and returns
    them. If any file cannot be written (a full disk), every file this call created is removed again and
    the error (:class:`~lrm.errors.OutputWriteError`, naming the file) re-raised: the directory never looks
    finished when it is not, and a re-run is not refused.

    Raises
    ------
    OutputExistsError
        If any of the night's files exists and ``overwrite`` is False; nothing is written.
    """
    out = Path(out_dir)
    outputs = night_outputs(out, trace=result.trace is not None, report=report is not None, pdf=pdf)
    outputs = (*_scoring_outputs(out, result), *outputs)
    check_outputs(outputs, overwrite=overwrite)
    existed = {p for p in outputs if p.exists()}
    try:
        out.mkdir(parents=True, exist_ok=True)
        for name in (TRACE, HYPNOGRAM, RESPIRATORY, AROUSALS, SNIPPETS):  # replacing a night: none of the
            if out / name not in outputs:                                   # old one's files may linger
                (out / name).unlink(missing_ok=True)
        if result.trace is not None:
            write_atomic(out / TRACE, lambda fh: result.trace.to_parquet(fh, index=False), binary=True)
        _write_scoring(out, result)
        write_events_csv(out / EVENTS, result.events)
        if report is not None:
            report(out)
        write_json_atomic(out / SUMMARY, result.summary.to_dict())   # the done marker, last
    except BaseException:
        for path in outputs:  # what this call created goes; what --force replaced is already the new content
            if path not in existed:
                path.unlink(missing_ok=True)
        raise
    return out


def write_events_csv(path: str | os.PathLike[str], events: pd.DataFrame) -> Path:
    """events.csv: the table with its ``onset`` column as ISO text ``onset_local``, floats rounded to 6
    decimals (1 µs)."""
    table = events.drop(columns=["onset", "onset_local"], errors="ignore")
    floats = table.select_dtypes("float").columns
    table = table.assign(**{c: table[c].round(6) for c in floats})  # 1 µs: no 0.30000000000000004
    if "onset" in events:
        table["onset_local"] = [t.isoformat(timespec="milliseconds") if not pd.isna(t) else "" for t in events["onset"]]
    return write_atomic(path, lambda fh: table.to_csv(fh, index=False, lineterminator="\n"))


def _scoring_outputs(out: Path, result: NightResult) -> tuple[Path, ...]:
    """The PSG scoring and snippet files :func:`_write_scoring` writes for ``result``."""
    present = ((HYPNOGRAM, result.hypnogram), (RESPIRATORY, result.respiratory), (AROUSALS, result.arousals),
               (SNIPPETS, result.snippets))
    return tuple(out / name for name, value in present if value is not None)


def _write_scoring(out: Path, result: NightResult) -> None:
    """hypnogram.csv, respiratory.csv, arousals.csv and snippets.npz, for what the night has."""
    if result.hypnogram is not None:
        hyp = result.hypnogram
        table = pd.DataFrame({"onset_s": np.round(hyp.epoch_starts_s, 6), "duration_s": hyp.epoch_s,
                              "stage": list(hyp.stages)})
        write_atomic(out / HYPNOGRAM, lambda fh: table.to_csv(fh, index=False, lineterminator="\n"))
    for name, table in ((RESPIRATORY, result.respiratory), (AROUSALS, result.arousals)):
        if table is not None:
            intervals = table[["onset_s", "offset_s"]].astype(float).round(6)
            write_atomic(out / name, lambda fh, t=intervals: t.to_csv(fh, index=False, lineterminator="\n"))
    if result.snippets is not None:
        snip = result.snippets
        arrays = {"onset_s": snip.onset_s, "fs_hz": np.float64(snip.fs_hz), "pre_s": np.float64(snip.pre_s),
                  **{f"{side}_accel_g": values for side, values in snip.accel_g.items()}}
        write_atomic(out / SNIPPETS, lambda fh: np.savez_compressed(fh, **arrays), binary=True)


@dataclass(frozen=True, slots=True, eq=False)
class NightFiles:
    """The checked contents of a night directory: summary.json as a dict, events.csv (contract dtypes),
    trace.parquet, the PSG scoring and the review snippets (each None when absent).
    :func:`lrm.result.load_night` turns them into the typed night."""

    directory: Path
    summary: dict[str, Any]
    events: pd.DataFrame
    trace: pd.DataFrame | None
    hypnogram: Hypnogram | None = None
    respiratory: pd.DataFrame | None = None
    arousals: pd.DataFrame | None = None
    snippets: Snippets | None = None


def read_night_files(out_dir: str | os.PathLike[str]) -> NightFiles:
    """Read and check a night directory's files; a missing or malformed one raises :class:`InputError`."""
    directory = Path(out_dir)
    if not directory.is_dir():
        raise InputError(str(directory), "", "not a directory", _FIX_DIR)
    return NightFiles(directory, _read_summary(directory / SUMMARY), _read_events(directory / EVENTS),
                      _read_trace(directory / TRACE), _read_hypnogram(directory / HYPNOGRAM),
                      _read_intervals(directory / RESPIRATORY), _read_intervals(directory / AROUSALS),
                      _read_snippets(directory / SNIPPETS))


def _read_summary(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise InputError(str(path), "", "no summary.json in this directory", _FIX_DIR)
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(str(path), f"line {exc.lineno}, column {exc.colno}", f"not valid JSON ({exc.msg})",
                         "re-run the analysis to rewrite it") from None
    except UnicodeDecodeError:
        raise InputError(str(path), "", "not UTF-8 text", "re-run the analysis to rewrite it") from None
    if not isinstance(summary, dict):
        raise InputError(str(path), "top level", "expected a JSON object", "re-run the analysis to rewrite it")
    for key in ("rules", "time_in_bed_h"):
        if key not in summary:
            raise InputError(str(path), f"key {key!r}", "missing", "re-run the analysis to rewrite it")
    return summary


def _read_events(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(str(path), "", "no events.csv in this directory", _FIX_DIR)
    text_columns = {c: str for c, dtype in EVENT_COLUMNS.items() if dtype == "string"}
    try:
        events = pd.read_csv(path, dtype=text_columns, keep_default_na=True)
    except pd.errors.EmptyDataError:
        raise InputError(str(path), "", "the file is empty", "re-run the analysis to rewrite it") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(str(path), "", f"not a readable CSV table ({exc})", "re-run the analysis") from None
    missing = [c for c in REQUIRED_EVENT_COLUMNS if c not in events]
    if missing:
        raise InputError(str(path), "header", f"missing column {missing[0]!r}",
                         "re-run the analysis; events.csv needs onset_s, offset_s and type")
    for column in ("onset_s", "offset_s"):
        values = pd.to_numeric(events[column], errors="coerce")
        bad = values.isna() & events[column].notna() | events[column].isna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 2  # 1-based, after the header line
            value = events[column].iloc[row - 2]
            raise InputError(str(path), f"row {row}, column {column!r}", f"not a number: {value!r}",
                             "re-run the analysis to rewrite events.csv")
        events[column] = values.astype(float)
    events = events.drop(columns=["onset_local"], errors="ignore")   # text of the onset, rebuilt on loading
    events["side"] = (events["side"] if "side" in events else pd.Series("", index=events.index)).fillna("")
    events["type"] = events["type"].fillna("lm")
    events = _typed(events)
    return events.sort_values("onset_s", kind="stable", ignore_index=True)


def _typed(events: pd.DataFrame) -> pd.DataFrame:
    """The contract dtypes where the values allow them (a hand-edited file keeps what it has)."""
    out = events.copy()
    for column, dtype in {**EVENT_COLUMNS, **EXTRA_COLUMNS}.items():
        if column in out:
            try:
                out[column] = out[column].astype(dtype)
            except (TypeError, ValueError):
                pass
    return out


def _read_trace(path: Path) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    try:
        with path.open("rb") as fh:  # an open file: a path is never parsed as a URI ("night:3/trace.parquet")
            trace = pd.read_parquet(fh)
    except (OSError, ValueError) as exc:
        raise InputError(str(path), "", f"not a readable Parquet file ({exc})", "re-run the analysis") from None
    if "t_s" not in trace:
        raise InputError(str(path), "columns", "missing column 't_s'", "re-run the analysis to rewrite it")
    return trace.sort_values("t_s", ignore_index=True)


def _read_table(path: Path, columns: tuple[str, ...]) -> pd.DataFrame | None:
    if not path.is_file():
        return None
    try:
        table = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InputError(str(path), "", f"not a readable CSV table ({exc})", "re-run the analysis") from None
    missing = [c for c in columns if c not in table]
    if missing:
        raise InputError(str(path), "header", f"missing column {missing[0]!r}", "re-run the analysis to rewrite it")
    return table


def _read_hypnogram(path: Path) -> Hypnogram | None:
    table = _read_table(path, ("onset_s", "duration_s", "stage"))
    if table is None or table.empty:
        return None
    onset_s = pd.to_numeric(table["onset_s"], errors="coerce").to_numpy(float)
    epoch_s = pd.to_numeric(table["duration_s"], errors="coerce").to_numpy(float)
    stages = table["stage"].astype(str).tolist()
    steps = np.diff(onset_s)
    if not (np.isfinite(onset_s).all() and np.isfinite(epoch_s).all() and epoch_s[0] > 0
            and np.allclose(epoch_s, epoch_s[0]) and np.allclose(steps, epoch_s[0], atol=1e-3)):
        raise InputError(str(path), "", "epochs are not consecutive and of one length", "re-run the analysis")
    bad = sorted(set(stages) - set(STAGES))
    if bad:
        raise InputError(str(path), "column 'stage'", f"unknown stage {bad[0]!r}", f"use {', '.join(STAGES)}")
    return Hypnogram(float(onset_s[0]), float(epoch_s[0]), tuple(stages))


def _read_intervals(path: Path) -> pd.DataFrame | None:
    table = _read_table(path, ("onset_s", "offset_s"))
    if table is None:
        return None
    out = table[["onset_s", "offset_s"]].apply(pd.to_numeric, errors="coerce")
    if out.isna().any().any():
        row = int(np.flatnonzero(out.isna().any(axis=1).to_numpy())[0]) + 2
        raise InputError(str(path), f"row {row}", "not a number", "re-run the analysis to rewrite it")
    return out.astype(float)


def _read_snippets(path: Path) -> Snippets | None:
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            accel = {key[: -len("_accel_g")]: data[key].astype(np.float32) for key in data.files if key.endswith("_accel_g")}
            snippets = Snippets(data["onset_s"].astype(np.float64), float(data["fs_hz"]), float(data["pre_s"]), accel)
    except (OSError, ValueError, KeyError) as exc:
        raise InputError(str(path), "", f"not a readable snippets file ({exc})", "re-run the analysis") from None
    if any(a.ndim != 3 or a.shape[0] != len(snippets) or a.shape[2] != 3 for a in accel.values()):
        raise InputError(str(path), "", "arrays of the wrong shape", "re-run the analysis")
    return snippets
