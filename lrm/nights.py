"""A multi-day recording night by night: noon-to-noon windows, non-wear, one analysis and directory per night.

Researchers and sleep clinics record for days (one night's PLM index varies a lot), so a recording longer
than :data:`SPLIT_AFTER_S` (30 h), or any recording on request, is analysed night by night:

1. the legs are opened for windowed reading (:func:`lrm.io.registry.open_source`: a week of 100 Hz device
   data is never in memory at once);
2. non-wear per leg over the whole recording, read a day at a time (:mod:`lrm.signal.nonwear`: GGIR's
   60-min SD/range criterion, actipy's 90 min), so a day off the ankle is never scored as rest;
3. one window per evening, noon to noon in local time (as GGIR does) in the recording's zone
   (``Recording.timezone``; UTC when unknown, and the table says so); in each, the worn stretch that
   overlaps the evening-to-noon part most (``analysed_start``/``analysed_end``) is read and analysed on its
   own (:func:`lrm.pipeline.analyze`): the rest period is found inside it and the night scored with its own
   time in bed. The result is what ``lrm analyze`` gives for files holding just that stretch; files
   holding only the night itself can differ by a few bilateral LMs, because the two legs' clock fit is
   estimated from all the activity analysed (the day's walking included);
4. each scored night is saved to ``DIR/<YYYY-MM-DD>/`` (the evening's date: summary.json, events.csv,
   trace.parquet, report.html) and every night, scored or not, is a row of ``DIR/nights.csv`` and
   ``DIR/nights.parquet`` (:data:`NIGHT_COLUMNS` first, then every index of the summary). A night without
   a lying period, not worn, or barely recorded is listed with its reason and not scored.
"""

from __future__ import annotations

import ctypes
import gc
import math
import os
import sys
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from lrm.errors import InputError, LrmWarning, OutputExistsError
from lrm.io.leg_source import LegSource
from lrm.io.recording import Recording
from lrm.io.registry import ReadOptions, combine, open_source
from lrm.io.timezones import tzinfo_for
from lrm.params import Params
from lrm.pipeline import MIN_DURATION_S, analyze
from lrm.signal.nonwear import NonwearParams, concat_seconds, find_nonwear, summarize_seconds

__all__ = ["SPLIT_AFTER_S", "NIGHT_COLUMNS", "NightWindow", "find_night_windows", "open_legs", "memory_sources",
           "multiday_sources", "span_s", "find_leg_nonwear", "analyze_nights"]

SPLIT_AFTER_S = 30 * 3600.0
"""Recordings longer than this (s) are analysed night by night: longer than any one night and its evening."""
EVENING_S = 6 * 3600.0          # a window's evening-to-noon part starts 18:00 local (6 h after its noon)
NIGHTS_CSV, NIGHTS_PARQUET = "nights.csv", "nights.parquet"
NIGHT_COLUMNS = ("date", "status", "reason", "window_start", "window_end", "analysed_start", "analysed_end",
                 "time_in_bed_h", "lights_out", "lights_on", "legs", "worn_h", "nonwear_h", "idle_sleep_filled_h",
                 "coverage_pct", "timezone", "output")
"""The first columns of nights.csv; the summary's indices and counts follow (plm_index, lm_index, ...)."""


@dataclass(frozen=True, slots=True)
class NightWindow:
    """One evening's window: ``date`` (the evening, local, YYYY-MM-DD), ``start_s``/``end_s`` (Unix s of the
    local noons before and after the night)."""

    date: str
    start_s: float
    end_s: float


def find_night_windows(start_s: float, end_s: float, tz: str | None) -> list[NightWindow]:
    """The noon-to-noon windows (local time in zone ``tz``, UTC when None) that overlap ``[start_s, end_s)``.

    A window runs from one local noon to the next (23 or 25 h across a DST change), named by its evening.

    >>> [w.date for w in find_night_windows(1709553600.0, 1709553600.0 + 70 * 3600, "Europe/Berlin")]
    ['2024-03-04', '2024-03-05', '2024-03-06']
    """
    zone = timezone.utc if tz is None else tzinfo_for(tz)
    first = datetime.fromtimestamp(start_s, zone)
    day = first.date() - timedelta(days=1 if first.hour < 12 else 0)
    windows = []
    while True:
        noon = datetime.combine(day, time(12), tzinfo=zone).timestamp()
        if noon >= end_s:
            return windows
        windows.append(NightWindow(day.isoformat(), noon, datetime.combine(day + timedelta(days=1), time(12),
                                                                            tzinfo=zone).timestamp()))
        day += timedelta(days=1)


def open_legs(left: str | None, right: str | None, path: str | None = None, side: str | None = None, *,
              format: str = "auto", units: str = "auto", start_s: float | None = None,
              tz: str | None = None) -> dict[str, LegSource]:
    """The legs' files opened for windowed reading, by side; ``tz`` (``--tz``) places the local clock times of
    files that state no zone."""
    given = {"left": left, "right": right} if path is None else {side or "left": path}
    return {s: open_source(p, ReadOptions(side=s, units=units, start_s=start_s, tz=tz), format=format)  # type: ignore[arg-type]
            for s, p in given.items() if p is not None}


def memory_sources(recording: Recording) -> dict[str, LegSource]:
    """A recording already read whole (a CSV export of several days) as one windowed source per leg."""
    from dataclasses import replace

    from lrm.io.leg_source import MemoryLegSource

    return {side: MemoryLegSource(replace(recording, legs={side: leg})) for side, leg in recording.legs.items()}


def multiday_sources(recording: Recording, one_night: bool) -> dict[str, LegSource] | None:
    """A recording already read whole that spans more than :data:`SPLIT_AFTER_S` (a CSV export of several
    days) as one windowed source per leg, to be analysed night by night; None when it is one night's
    (shorter, or ``one_night``: scoring files or lights-out/on were given for one night)."""
    if one_night or recording.end_s - recording.start_s <= SPLIT_AFTER_S:
        return None
    return memory_sources(recording)


def span_s(sources: Mapping[str, LegSource]) -> tuple[float, float]:
    """The recording's first and last sample time (s) over the legs."""
    return min(s.start_s for s in sources.values()), max(s.end_s for s in sources.values())


def _release_freed_memory() -> bool:
    """Collect garbage, then hand the memory the C heap holds free back to the OS: glibc's ``malloc_trim(0)``.

    Between nights the previous night's arrays (~300 MiB of two legs' samples and the analysis's working set) are
    freed, but glibc keeps much of that memory in its heap (~236 MiB measured after a night), so each later night
    starts that much higher and the worst night of a week peaked 50-60 MiB above the first (benchmarks/README.md,
    memory notes, passes 14-15). Only glibc has ``malloc_trim``; elsewhere (macOS, Windows, musl) this only
    collects garbage. pyarrow's allocator (mimalloc: the nights' parquet files) likewise keeps what it freed, ~20-30
    MiB a night; its pool is asked to return it when pyarrow is loaded. It changes no result. Returns whether
    ``malloc_trim`` was called.
    """
    gc.collect()
    arrow = sys.modules.get("pyarrow")
    if arrow is not None:
        arrow.default_memory_pool().release_unused()
    if not sys.platform.startswith("linux"):
        return False
    try:
        trim = getattr(ctypes.CDLL(None), "malloc_trim", None)
    except OSError:                                  # no C library to open: nothing to trim
        return False
    if trim is None:
        return False
    trim.argtypes, trim.restype = [ctypes.c_size_t], ctypes.c_int
    trim(0)
    return True


def find_leg_nonwear(source: LegSource, windows: list[NightWindow], params: NonwearParams = NonwearParams()
                     ) -> tuple[npt.NDArray[np.float64], str | None]:
    """One leg's non-wear stretches as Unix-s intervals (n, 2), from its samples read a window at a time;
    and the zone its file states (or None)."""
    origin = math.floor(min(source.start_s, windows[0].start_s))
    end = math.ceil(max(source.end_s, windows[-1].end_s))
    parts, tz, at = [], None, float(origin)
    while at < end:
        stop = min(at + 86400.0, float(end))
        try:
            rec = source.read(at, stop)
            leg = next(iter(rec.legs.values()))
            tz = tz or rec.timezone
            parts.append(summarize_seconds(leg.t_s, leg.accel_g, origin_s=at, n_seconds=int(stop - at)))
        except InputError:                                  # no samples in this day
            parts.append(summarize_seconds(np.empty(0), np.empty((0, 3), np.float32), origin_s=at,
                                           n_seconds=int(stop - at)))
        at = stop
        gc.collect()
    return find_nonwear(concat_seconds(parts), params).astype(np.float64) + origin, tz


def _overlap_s(intervals: npt.NDArray[np.float64], a: float, b: float) -> float:
    if not intervals.size:
        return 0.0
    return float(np.clip(np.minimum(intervals[:, 1], b) - np.maximum(intervals[:, 0], a), 0, None).sum())


def _worn_stretches(window: NightWindow, off: npt.NDArray[np.float64]) -> list[tuple[float, float]]:
    """The window minus the non-wear stretches, as (start, end) in Unix s."""
    cuts = sorted((max(a, window.start_s), min(b, window.end_s)) for a, b in off if b > window.start_s and a < window.end_s)
    out, at = [], window.start_s
    for a, b in cuts:
        if a > at:
            out.append((at, a))
        at = max(at, b)
    if at < window.end_s:
        out.append((at, window.end_s))
    return out


def _local_iso(epoch_s: float | None, tz: str | None) -> str | None:
    if epoch_s is None or not math.isfinite(epoch_s):
        return None
    return datetime.fromtimestamp(epoch_s, timezone.utc if tz is None else tzinfo_for(tz)).isoformat(timespec="seconds")


@dataclass(frozen=True, slots=True)
class _Plan:
    """What to analyse of one window: the stretch, the legs kept, or why nothing is scored."""

    start_s: float
    end_s: float
    legs: tuple[str, ...]
    status: str
    reason: str
    worn_h: dict[str, float]
    nonwear_h: dict[str, float]


def _plan_night(window: NightWindow, sources: Mapping[str, LegSource], nonwear: Mapping[str, npt.NDArray[np.float64]]
                ) -> _Plan:
    evening = (window.start_s + EVENING_S, window.end_s)
    recorded = {s: (max(src.start_s, window.start_s), min(src.end_s, window.end_s)) for s, src in sources.items()}
    worn_h, nonwear_h, kept = {}, {}, []
    for side, (a, b) in recorded.items():
        off = _overlap_s(nonwear[side], a, b) if b > a else 0.0
        nonwear_h[side] = off / 3600.0
        in_evening = max(0.0, min(b, evening[1]) - max(a, evening[0])) - _overlap_s(nonwear[side], *evening)
        worn_h[side] = max(0.0, (b - a) - off) / 3600.0 if b > a else 0.0
        if in_evening >= MIN_DURATION_S:
            kept.append(side)
    if not any(b > a for a, b in recorded.values()):
        return _Plan(0, 0, (), "not recorded", "the recording does not reach this window", worn_h, nonwear_h)
    if not kept:
        total = max(nonwear_h.values())
        if total * 3600.0 >= MIN_DURATION_S:
            return _Plan(0, 0, (), "non-wear", f"not worn: still for {total:.1f} h of the window (GGIR 60-min SD/range "
                         "and actipy 90-min criteria), too little worn time from 18:00 to noon", worn_h, nonwear_h)
        return _Plan(0, 0, (), "too short", "less than 30 min of data from 18:00 to noon", worn_h, nonwear_h)
    off = np.vstack([nonwear[s] for s in kept]) if kept else np.empty((0, 2))
    lo, hi = max(window.start_s, min(recorded[s][0] for s in kept)), min(window.end_s, max(recorded[s][1] for s in kept))
    stretches = [(max(a, lo), min(b, hi)) for a, b in _worn_stretches(window, off) if min(b, hi) > max(a, lo)]
    best = max(stretches, key=lambda ab: min(ab[1], evening[1]) - max(ab[0], evening[0]), default=None)
    if best is None or best[1] - best[0] < MIN_DURATION_S:
        return _Plan(0, 0, (), "non-wear", "not worn: no worn stretch of 30 min or more overlaps 18:00 to noon "
                     f"(still for {max(nonwear_h.values()):.1f} h of the window: GGIR 60-min SD/range and actipy "
                     "90-min criteria)", worn_h, nonwear_h)
    return _Plan(best[0], best[1], tuple(kept), "ok", "", worn_h, nonwear_h)


def _summary_values(summary: Any) -> dict[str, Any]:
    """The summary's scalar values (indices, counts, times): every index, and the detection limit when the
    summary has one."""
    skip = {"params", "input_files", "quality", "warnings", "sleep_onsets_s", "event_type_counts", "rules_description",
            "clm_imi_log_histogram", "clm_imi_histogram", "schema_version"}
    return {k: v for k, v in summary.to_dict().items()
            if k not in skip and (v is None or isinstance(v, (int, float, str, bool)))}


def _read_night(sources: Mapping[str, LegSource], plan: _Plan, nonwear: Mapping[str, npt.NDArray[np.float64]]
                ) -> Recording:
    parts, tz = [], None
    for side in plan.legs:
        rec = sources[side].read(plan.start_s, plan.end_s)
        tz = tz or rec.timezone
        parts.append(rec)
    night = combine(parts)
    return Recording(legs=night.legs, time_is_absolute=night.time_is_absolute, subject=night.subject,
                     meta=night.meta, timezone=tz, timezone_source="file" if tz else "unknown")


def analyze_nights(sources: Mapping[str, LegSource], out_dir: str | os.PathLike[str], params: Params | None = None, *,
                   overwrite: bool = False, report: bool = True, pdf: bool = False, threads: int | None = None,
                   timezone_name: str | None = None, progress: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Analyse a recording night by night into ``out_dir`` (module docstring); return the nights table.

    Parameters
    ----------
    sources : mapping side -> LegSource
        The legs, opened for windowed reading (:func:`open_legs`).
    out_dir : path
        ``out_dir/<YYYY-MM-DD>/`` per scored night, ``out_dir/nights.csv`` and ``nights.parquet``, and with
        ``report`` the multi-night ``out_dir/report.html``.
    timezone_name : str, optional
        The recording's zone (``--tz``); default: the zone the files state, else UTC (said in the table).
    progress : callable, optional
        Called with one line per night.

    Raises
    ------
    OutputExistsError
        ``out_dir`` already holds nights.csv and ``overwrite`` is False (checked before anything is read).
    """
    out = Path(out_dir)
    if (out / NIGHTS_CSV).exists() and not overwrite:
        raise OutputExistsError(str(out / NIGHTS_CSV), "choose another --out directory, or pass --force to replace it")
    start, end = span_s(sources)
    windows = find_night_windows(start, end, timezone_name)
    nonwear, file_tz = {}, None
    for side, src in sources.items():
        nonwear[side], tz = find_leg_nonwear(src, windows)
        file_tz = file_tz or tz
    _release_freed_memory()                                   # the non-wear pass's day reads, before the first night
    tz = timezone_name or file_tz
    if tz != timezone_name:                                   # the files state the zone: windows in it
        windows = find_night_windows(start, end, tz)
    rows, scored = [], []
    for window in windows:
        row, directory = _one_night(window, sources, nonwear, out, params, tz, overwrite=overwrite, report=report,
                                    pdf=pdf, threads=threads)
        rows.append(row)
        if directory is not None:
            scored.append(directory)
        if progress is not None:
            progress(_progress_line(row))
        _release_freed_memory()                               # the next night starts from the first's footprint
    table = _nights_table(rows)
    out.mkdir(parents=True, exist_ok=True)
    table.to_parquet(out / NIGHTS_PARQUET, index=False)
    table.to_csv(out / NIGHTS_CSV, index=False, lineterminator="\n")
    if report and scored:
        from lrm.report.html import write_multi_night_report

        write_multi_night_report([str(d) for d in scored], out / "report.html", pdf=pdf)
    return table


def _one_night(window: NightWindow, sources: Mapping[str, LegSource], nonwear: Mapping[str, npt.NDArray[np.float64]],
               out: Path, params: Params | None, tz: str | None, **options: Any) -> tuple[dict[str, Any], Path | None]:
    plan = _plan_night(window, sources, nonwear)
    row: dict[str, Any] = {"date": window.date, "status": plan.status, "reason": plan.reason,
                           "window_start": _local_iso(window.start_s, tz), "window_end": _local_iso(window.end_s, tz),
                           "legs": "+".join(plan.legs), "timezone": tz or "UTC (zone unknown)",
                           "worn_h": round(sum(plan.worn_h.values()) / max(1, len(plan.worn_h)), 3),
                           "nonwear_h": round(max(plan.nonwear_h.values(), default=0.0), 3), "output": ""}
    if plan.status != "ok":
        return row, None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LrmWarning)        # recorded in each summary.json's warnings
            recording = _read_night(sources, plan, nonwear)
            result = analyze(recording, params, threads=options["threads"])
    except InputError as exc:
        return row | {"status": "error", "reason": str(exc)}, None
    summary = result.summary
    filled = sum(g.duration_s for leg in recording.legs.values() for g in leg.filled) / 3600.0 / len(recording.legs)
    del recording
    if summary.rest_period_source == "whole recording":
        return row | {"status": "no lying period", "reason": "no lying period found: the legs never lay near "
                      "horizontal for a bout (sensor not on the ankle, or a night out of bed)"}, None
    directory = out / window.date
    from lrm.io.night_dir import save_night
    from lrm.night_files import night_report

    save_night(result, directory, overwrite=options["overwrite"],   # the report before summary.json marks it done
               report=night_report(result, pdf=options["pdf"]) if options["report"] else None, pdf=options["pdf"])
    start = datetime.fromisoformat(summary.recording_start.replace("Z", "+00:00")).timestamp() if summary.recording_start else 0.0
    coverage = [q.coverage_pct for q in summary.quality.values()]
    row.update({"analysed_start": _local_iso(plan.start_s, tz), "analysed_end": _local_iso(plan.end_s, tz),
                "time_in_bed_h": summary.time_in_bed_h,
                "lights_out": _local_iso(start + summary.lights_out_s, tz) if summary.lights_out_s is not None else None,
                "lights_on": _local_iso(start + summary.lights_on_s, tz) if summary.lights_on_s is not None else None,
                "idle_sleep_filled_h": round(filled, 3), "coverage_pct": min(coverage) if coverage else None,
                "output": window.date})
    row.update({k: v for k, v in _summary_values(summary).items() if k not in row})
    return row, directory


def _nights_table(rows: list[dict[str, Any]]) -> pd.DataFrame:
    table = pd.DataFrame(rows)
    for column in NIGHT_COLUMNS:
        if column not in table:
            table[column] = None
    rest = [c for c in table.columns if c not in NIGHT_COLUMNS]
    return table[[*NIGHT_COLUMNS, *rest]]


def _progress_line(row: Mapping[str, Any]) -> str:
    if row["status"] != "ok":
        return f"  {row['date']}  {row['status']}: {row['reason']}"
    plmi = row.get("plm_index")
    plm = "n/a" if plmi is None or (isinstance(plmi, float) and math.isnan(plmi)) else f"{plmi:.1f} /h"
    lmi = row.get("lm_index")
    lm = "n/a" if lmi is None or (isinstance(lmi, float) and math.isnan(lmi)) else f"{lmi:.1f} /h"
    return f"  {row['date']}  time in bed {row['time_in_bed_h']:.2f} h, PLM index {plm}, LM index {lm}"
