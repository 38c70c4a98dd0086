"""Helpers shared by the format readers: fast CSV tables, time parsing, unit handling, building a Recording.

Time convention (docs/formats.md, lrm.io.timezones): every reader passes its times through
:func:`resolve_zone`. Times a file gives as Unix epoch (Sensor Logger, MetaBase, phyphox) are kept; local
wall-clock times are converted to UTC with the zone the file states (MetaBase header, GENEActiv ``Time
Zone``, ActiGraph ``TimeZone``, an ISO offset), else with ``--tz``; without either they stay local wall
clock (``Recording.clock == "local"``), shown as such and never labelled UTC.
"""

from __future__ import annotations

import math
import mmap
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from lrm.errors import InputError, LrmWarning
from lrm.io.plausibility import screen_times
from lrm.io.recording import Gap, Leg, Recording
from lrm.io.timezones import normalize_tz, offset_s, wall_to_utc

__all__ = [
    "G",
    "empty_populated",
    "LOCAL_AS_UTC",
    "head_text",
    "read_table",
    "parse_datetimes",
    "to_g",
    "estimate_fs_hz",
    "make_recording",
    "parse_utc_offset_s",
    "resolve_zone",
    "gravity_removed",
    "stated_offset",
]

G = 9.80665  # m/s^2 per g
LOCAL_AS_UTC = "local wall-clock time; the file states no time zone (pass --tz to give it)"
BLOCK_BYTES = 4 << 20  # pyarrow block: a line longer than this is refused as corrupt
MAX_RATE_HZ = 100_000.0  # no accelerometer export samples faster (consumer IMUs: <= 6.4 kHz)
_BINARY_SUFFIXES = (".cwa", ".gt3x", ".bin", ".json")  # their samples are not lines of text


def empty_populated(shape: int | tuple[int, ...], dtype: Any) -> npt.NDArray[Any]:
    """An uninitialised array whose memory the kernel maps in one call (``MAP_POPULATE``) rather than one page
    fault per 4 KiB on first write: 3x faster for the large arrays a week-long file fills (0.9 s against 3.0 s
    per 400 MiB on this project's VMs, where a page fault costs ~30 us). Small arrays, and systems without
    ``MAP_POPULATE``, use ``np.empty``."""
    dt = np.dtype(dtype)
    n_bytes = int(np.prod(shape)) * dt.itemsize
    populate = getattr(mmap, "MAP_POPULATE", None)
    if populate is None or n_bytes < (16 << 20):
        return np.empty(shape, dt)
    buf = mmap.mmap(-1, n_bytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | populate)
    return np.frombuffer(buf, dt).reshape(shape)


def head_text(head: bytes, limit: int = 8192) -> str:
    """Decode the start of a file leniently (UTF-8 with a BOM, else Latin-1) for sniffing."""
    chunk = head[:limit]
    if chunk.startswith(b"\xef\xbb\xbf"):
        chunk = chunk[3:]
    try:
        return chunk.decode("utf-8")
    except UnicodeDecodeError as exc:  # a multi-byte character cut at the limit is fine
        if exc.start >= len(chunk) - 4:
            return chunk[: exc.start].decode("utf-8")
        return chunk.decode("latin-1")


def read_table(
    path: Path,
    *,
    skip_rows: int = 0,
    delimiter: str = ",",
    column_names: Sequence[str] | None = None,
    autogenerate_names: bool = False,
    columns: Sequence[str] | None = None,
    column_types: dict[str, Any] | None = None,
    fix: str = "export the file again from the app",
) -> Any:
    """Read a delimited text file with pyarrow's multithreaded CSV engine and return a ``pyarrow.Table``.

    ``skip_rows`` lines are skipped before the header (or before the data with ``column_names``).
    Parse errors become :class:`InputError` naming the file and pyarrow's row description.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    read_opts = pacsv.ReadOptions(
        skip_rows=skip_rows,
        column_names=list(column_names) if column_names else None,
        autogenerate_column_names=autogenerate_names,
        block_size=BLOCK_BYTES,
        encoding="utf8",
    )
    parse_opts = pacsv.ParseOptions(delimiter=delimiter)
    convert_opts = pacsv.ConvertOptions(
        include_columns=list(columns) if columns else None,
        column_types=column_types or {},
        strings_can_be_null=False,
    )
    try:
        return pacsv.read_csv(path, read_options=read_opts, parse_options=parse_opts, convert_options=convert_opts)
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeDecodeError, pa.ArrowKeyError) as exc:
        raise InputError(str(path), _where(str(exc)), _problem(str(exc)), fix) from None


def _where(message: str) -> str:
    m = re.search(r"[Rr]ow #?(\d+)", message)
    return f"row {m.group(1)}" if m else "data"


def _problem(message: str) -> str:
    first = message.strip().splitlines()[0] if message.strip() else "unreadable content"
    if "straddling" in first or "straddles" in first:
        return f"a line is longer than {BLOCK_BYTES >> 20} MiB (corrupt or not a sensor export)"
    if "utf8" in first.lower() or "utf-8" in first.lower():
        return "the text is not UTF-8 (binary or corrupt content)"
    return first[:200]


def column(table: Any, name: str, path: Path, dtype: Any = np.float64) -> npt.NDArray[Any]:
    """One column of a pyarrow table as a numpy array; a non-numeric or missing value -> InputError."""
    if name not in table.column_names:
        raise InputError(str(path), "header", f"no column {name!r}", "export the file again from the app")
    col = table.column(name)
    if col.null_count:
        import pyarrow.compute as pc

        row = int(pc.index(pc.is_null(col), True).as_py()) + 1
        raise InputError(str(path), f"data row {row}, column {name!r}", "empty value", "repair or trim the file")
    try:
        return _numeric(col).astype(dtype, copy=False)
    except (ValueError, TypeError):
        raise InputError(str(path), f"column {name!r}", "values are not numbers", "export the file again") from None


def _numeric(col: Any) -> npt.NDArray[Any]:
    """A null-free pyarrow column as numpy. Integer and float chunks are read through their data buffers
    (pyarrow's ``to_numpy`` imports pandas, 0.4 s of a command's start); other types go through ``to_numpy``."""
    import pyarrow as pa

    if not (pa.types.is_integer(col.type) or pa.types.is_floating(col.type)) or col.null_count:
        return col.to_numpy(zero_copy_only=False)
    dtype = np.dtype(col.type.to_pandas_dtype())
    parts = [np.frombuffer(c.buffers()[1], dtype, count=len(c), offset=c.offset * dtype.itemsize) for c in col.chunks]
    return np.concatenate(parts) if parts else np.empty(0, dtype)  # a writable copy, as to_numpy gave


def parse_datetimes(values: Any, path: Path, where: str, *, fmt: str) -> npt.NDArray[np.float64]:
    """Parse wall-clock date-time strings (a pyarrow array or list) with ``strptime`` format ``fmt``.

    Returns seconds since 1970-01-01 treating the wall clock as UTC (float64). Columns that pyarrow
    already typed as timestamps are converted directly.
    """
    import pandas as pd
    import pyarrow as pa

    if isinstance(values, (pa.Array, pa.ChunkedArray)) and pa.types.is_timestamp(values.type):
        if values.null_count:
            raise InputError(str(path), where, "empty time value", "repair or trim the file")
        us = values.cast(pa.timestamp("us", tz=values.type.tz)).cast(pa.int64())
        return us.to_numpy(zero_copy_only=False).astype(np.float64) / 1e6
    texts = pd.Series(values.to_pylist() if hasattr(values, "to_pylist") else list(values), dtype="string")
    parsed = pd.to_datetime(texts, format=fmt, errors="coerce")
    bad = parsed.isna().to_numpy()
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise InputError(str(path), f"{where}, data row {row + 1}", f"time {texts.iloc[row]!r} does not match {fmt!r}",
                         "repair or trim the file, or use the generic CSV reader with a time format")
    return parsed.to_numpy(dtype="datetime64[us]").astype(np.int64).astype(np.float64) / 1e6


def parse_utc_offset_s(text: str) -> float | None:
    """``'-05:00'``, ``'-0800'``, ``'GMT +01:00'``, ``'GMT -04'``, ``'-06:00:00'`` -> seconds east of UTC.

    >>> parse_utc_offset_s("GMT -04:00"), parse_utc_offset_s("01:00:00"), parse_utc_offset_s("-0800")
    (-14400.0, 3600.0, -28800.0)
    """
    m = re.search(r"([+-])?\s*(\d{1,2})(?::?(\d{2}))?(?::(\d{2}))?", text)
    if not m:
        return None
    sign = -1.0 if m.group(1) == "-" else 1.0
    hours, minutes = int(m.group(2)), int(m.group(3) or 0)
    if hours > 14 or minutes >= 60:
        return None
    return sign * (hours * 3600 + minutes * 60)


def stated_offset(text: str) -> str | None:
    """A header's UTC offset as ``+HH:MM`` (GENEActiv ``GMT -04``, ActiGraph ``-05:00:00``); None when absent.

    >>> stated_offset("GMT -04"), stated_offset("GMT +01:00"), stated_offset("-05:00:00"), stated_offset("")
    ('-04:00', '+01:00', '-05:00', None)
    """
    offset = parse_utc_offset_s(text) if text.strip() else None
    if offset is None:
        return None
    minutes = int(round(offset / 60))
    return f"{'-' if minutes < 0 else '+'}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def to_g(values: npt.NDArray[Any], unit: str, path: Path, options_units: str) -> tuple[npt.NDArray[np.float32], str]:
    """Convert (n, 3) acceleration in the file's declared ``unit`` (or the user's override) to float32 g."""
    use = unit if options_units == "auto" else options_units
    factor = {"g": 1.0, "mg": 1e-3, "m/s^2": 1.0 / G}.get(use)
    if factor is None:
        raise InputError(str(path), "units", f"unknown acceleration unit {use!r}", "use g, mg or m/s^2")
    out = np.asarray(values, dtype=np.float64) * factor
    return out.astype(np.float32), use


def estimate_fs_hz(t_s: npt.NDArray[np.float64]) -> float:
    """Sampling rate in Hz from sample times: sample intervals over their total duration, gaps left out.

    A gap is an interval longer than 1 s and than 10 typical ones (the median). Unlike ``1 / median step`` this
    is right for quantised stamps (whole ms at 64 Hz: steps of 15 and 16 ms, 64 Hz, not 62.5) and for
    packets stamped in bursts (MetaBase iOS: 3 samples per stamp), and gaps do not lower it.

    >>> round(estimate_fs_hz(np.round(np.arange(6400) / 64, 3)), 3)
    64.0
    """
    if t_s.shape[0] < 2:
        return 1.0
    dt = np.diff(t_s)
    pos = dt[dt > 0]
    if not pos.size:
        return 1.0
    ok = dt[(dt >= 0) & (dt <= max(1.0, 10.0 * float(np.median(pos))))]
    total = float(ok.sum())
    return ok.size / total if total > 0 else 1.0 / float(np.median(pos))


def gravity_removed(xyz: npt.NDArray[Any]) -> bool:
    """True when acceleration (n, 3), in any unit, has no gravity in it (an app's "linear acceleration").

    With gravity, the mean vector over a minute is the gravity vector, as long as the whole signal's typical
    magnitude (a limb at rest, sensor orientation changing slowly). Without it, the user acceleration averages
    out to almost nothing: the median over minutes of |mean vector| stays below a quarter of the median |a|.
    Windows of 1/60 of the recording, at least 50 samples.
    """
    a = np.asarray(xyz, dtype=np.float64)
    n = a.shape[0]
    if n < 100:
        return False
    w = max(50, n // 60)
    m = (n // w) * w
    means = a[:m].reshape(-1, w, 3).mean(axis=1)
    sample = a[:: max(1, n // 20000)]
    typical = float(np.median(np.linalg.norm(sample, axis=1)))
    return typical > 0 and float(np.median(np.linalg.norm(means, axis=1))) < 0.25 * typical


def resolve_zone(path: Path, t_s: npt.NDArray[np.float64], options: Any, *, stated: str | None = None,
                 wall_clock: bool) -> tuple[npt.NDArray[np.float64], dict[str, Any], str]:
    """Times in UTC (when a zone is known) and the recording's zone fields, plus a note for the leg.

    Parameters
    ----------
    t_s : seconds: Unix epoch (``wall_clock=False``), or local wall clock counted as if UTC (``True``).
    options : ReadOptions; ``options.tz`` is the user's ``--tz`` (IANA name or offset), or None.
    stated : the zone or UTC offset the file states (``"-0800"``, ``"GMT -04:00"``, ``"Europe/London"``).

    Returns
    -------
    (t_s, zone, note): ``zone`` holds ``timezone``, ``timezone_source`` and ``clock`` for the Recording.

    Notes
    -----
    The file's own zone wins; ``--tz`` then only names it (an IANA zone with the same offset at the start:
    DST-aware display) or, if it contradicts the file, is ignored with a warning. Wall-clock times are
    converted with the zone's offset at the first sample (device clocks do not jump at a DST change).
    """
    user = getattr(options, "tz", None)
    zone, source = None, "unknown"
    if stated:
        try:
            zone, source = normalize_tz(stated), "file"
        except ValueError:
            zone = None
    t0 = float(t_s[0]) if t_s.size else 0.0
    if zone is not None and user:
        instant = t0 - wall_to_utc(t0, zone) if wall_clock else t0
        if offset_s(user, instant) == offset_s(zone, instant):
            zone = normalize_tz(user)                    # the same offset: keep the name (DST-aware display)
        else:
            import warnings

            warnings.warn(f"{path}: the file states time zone {zone}; --tz {user} is ignored", LrmWarning, stacklevel=3)
    elif user:
        zone, source = normalize_tz(user), "option"
    if not wall_clock:
        note = f"time: Unix epoch (UTC); time zone {zone} ({'from the file' if source == 'file' else '--tz'})" if zone \
            else "time: Unix epoch (UTC); the file states no time zone (pass --tz for local clock times)"
        return t_s, {"timezone": zone, "timezone_source": source, "clock": "utc"}, note
    if zone is None:
        return t_s, {"timezone": None, "timezone_source": "unknown", "clock": "local"}, f"time: {LOCAL_AS_UTC}"
    shift = wall_to_utc(t0, zone)
    where = "the file's" if source == "file" else "--tz"
    note = f"time: local wall clock converted to UTC with {where} time zone {zone} (UTC{shift / 3600:+g} h)"
    return t_s - shift, {"timezone": zone, "timezone_source": source, "clock": "utc"}, note


def make_recording(
    path: Path,
    options: Any,
    *,
    t_s: npt.NDArray[np.float64],
    accel_g: npt.NDArray[np.float32],
    fs_hz: float | None = None,
    device: str = "",
    serial: str = "",
    range_g: float | None = None,
    time_is_absolute: bool = True,
    notes: Sequence[str] = (),
    meta: dict[str, object] | None = None,
    zone: dict[str, Any] | None = None,
    filled: Sequence[Gap] = (),
    times_checked: bool = False,
) -> Recording:
    """Validate samples and times and wrap them as a one-leg :class:`Recording` on ``options.side``.

    ``times_checked``: the reader guarantees finite, non-decreasing times (checked per block), so the
    per-sample checks are skipped (two passes over a week of samples)."""
    n = int(t_s.shape[0])
    if n == 0:
        raise InputError(str(path), "data", "no samples", "check the file holds accelerometer data")
    if times_checked:
        pass
    elif not np.all(np.isfinite(t_s)):
        bad = int(np.flatnonzero(~np.isfinite(t_s))[0])
        raise InputError(str(path), f"sample {bad + 1}", "missing or invalid time", "repair or trim the file")
    notes = list(notes)
    if not times_checked:  # device readers check their blocks' times; the registry screens what they return
        row = "sample" if path.suffix.lower() in _BINARY_SUFFIXES else "data row"
        screen = screen_times(t_s, source=str(path), absolute=time_is_absolute, describe=lambda i: f"{row} {i + 1}")
        if screen.keep is not None:
            t_s, accel_g = t_s[screen.keep], accel_g[screen.keep]
            notes.extend(screen.notes)
    if fs_hz and not (math.isfinite(fs_hz) and 0 < fs_hz <= MAX_RATE_HZ):
        raise InputError(str(path), "header", f"sample rate {fs_hz:g} Hz is not a rate in (0, {MAX_RATE_HZ:g}] Hz",
                         "copy the file again from the device (its header is damaged)")
    back = np.empty(0, np.int64) if times_checked else np.flatnonzero(np.diff(t_s) < 0)
    if back.size:
        order = np.argsort(t_s, kind="stable")
        t_s, accel_g = t_s[order], accel_g[order]
        notes.append(f"{back.size} backward time step(s) (first after sample {back[0] + 1}); samples re-sorted by time")
    rate = float(fs_hz) if fs_hz else estimate_fs_hz(t_s)
    if range_g is not None and not (math.isfinite(range_g) and range_g > 0):  # a damaged header: unknown range
        notes.append(f"declared range {range_g:g} g ignored (not a range)")
        range_g = None
    leg = Leg(
        side=options.side,
        t_s=np.ascontiguousarray(t_s, dtype=np.float64),
        accel_g=np.ascontiguousarray(accel_g, dtype=np.float32),
        fs_hz=rate,
        device=device,
        serial=serial,
        range_g=range_g,
        source=str(path),
        notes=tuple(notes),
        filled=tuple(filled),
    )
    return Recording(legs={options.side: leg}, time_is_absolute=time_is_absolute, meta=dict(meta or {}), **(zone or {}))


def keep_window(t_s: npt.NDArray[np.float64], accel_g: npt.NDArray[np.float32], lo_s: float, hi_s: float,
                sorted_times: bool) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float32]]:
    """The samples with ``lo_s <= t_s < hi_s``: views (no copy of a day of samples) when the times ascend."""
    if sorted_times:
        a, b = np.searchsorted(t_s, [lo_s, hi_s], side="left")
        return t_s[a:b], accel_g[a:b]
    keep = (t_s >= lo_s) & (t_s < hi_s)
    return (t_s, accel_g) if keep.all() else (t_s[keep], accel_g[keep])


def with_file_offset(recording: Recording, offset_s: float | None, options: Any = None) -> Recording:
    """The recording with the zone its file states as a UTC offset in s (``Recording.timezone`` "+HH:MM",
    source "file"), or the user's ``--tz`` name when that zone has the same offset at the start (DST-aware
    display, as :func:`resolve_zone` does); unchanged when the file states none."""
    if offset_s is None:
        return recording
    from dataclasses import replace

    sign = "-" if offset_s < 0 else "+"
    minutes = int(round(abs(offset_s) / 60))
    zone = normalize_tz(f"{sign}{minutes // 60:02d}:{minutes % 60:02d}")
    source = Path(next(iter(recording.legs.values())).source or "file")
    _, fields_, _ = resolve_zone(source, np.array([recording.start_s]), options, stated=zone, wall_clock=False)
    return replace(recording, timezone=fields_.get("timezone", zone), timezone_source="file")


def shift_start(t_s: npt.NDArray[np.float64], options: Any) -> tuple[npt.NDArray[np.float64], bool]:
    """Relative times: add ``options.start_s`` when given; return (times, time_is_absolute)."""
    if options.start_s is None:
        return t_s, False
    return t_s - t_s[0] + float(options.start_s), True


def guess_units(xyz: npt.NDArray[Any], declared: str) -> str:
    """Unit from the gravity magnitude: median |a| near 1 -> g, near 9.8 -> m/s^2, near 1000 -> mg.

    Falls back to ``declared`` when the magnitude is in none of those bands (e.g. gravity removed).
    """
    sample = np.asarray(xyz[:: max(1, xyz.shape[0] // 20000)], dtype=np.float64)
    norm = float(np.nanmedian(np.linalg.norm(sample, axis=1))) if sample.size else 0.0
    for unit, (lo, hi) in {"g": (0.5, 2.0), "m/s^2": (5.0, 20.0), "mg": (500.0, 2000.0)}.items():
        if lo <= norm <= hi:
            return unit
    return declared


def spread_packed_times(t_s: npt.NDArray[np.float64]) -> tuple[npt.NDArray[np.float64], int]:
    """Re-derive per-sample times when consecutive samples share one packet timestamp.

    Samples of a run of equal times are spread evenly from that time to the next run's time; the last run
    uses the median sample period. Returns the times and the number of runs that held several samples.

    >>> spread_packed_times(np.array([0.0, 0.0, 0.0, 0.3, 0.3, 0.3]))[0].round(3).tolist()
    [0.0, 0.1, 0.2, 0.3, 0.4, 0.5]
    """
    n = t_s.shape[0]
    if n < 2:
        return t_s, 0
    starts = np.flatnonzero(np.r_[True, np.diff(t_s) != 0])
    counts = np.diff(np.r_[starts, n])
    if np.all(counts == 1):
        return t_s, 0
    run_t = t_s[starts]
    span = np.diff(run_t)
    per = span / counts[:-1]
    last = float(np.median(per[per > 0])) if np.any(per > 0) else 0.0
    step = np.r_[per, last]
    idx = np.arange(n) - np.repeat(starts, counts)
    return np.repeat(run_t, counts) + idx * np.repeat(step, counts), int(np.count_nonzero(counts > 1))
