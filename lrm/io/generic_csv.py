"""The "generic-csv" format: one ankle's samples in a CSV with a header naming time and x, y, z.

Accepted without options
------------------------
* Header (case-insensitive, extra columns ignored, units in brackets allowed): a time column named
  ``time``, ``timestamp``, ``t``, ``datetime``, ``epoch``, ``unix_time``, ``time_s``, ``seconds`` ... and three axes
  named ``x,y,z``, ``ax,ay,az``, ``acc_x``, ``accel_x``, ``acceleration_x``, ``x_g`` ... e.g. ``Time,Accel X (g),...``.
* Delimiter: comma, semicolon or tab (detected from the header). With a semicolon, a decimal comma
  (``0,98``) is accepted.
* Time: Unix epoch seconds (ms, us or ns are recognised by magnitude), ISO 8601 to the nanosecond (pandas'
  ``to_csv`` default) with a UTC offset (converted to UTC; the offset is the recording's zone: RFC 3339's
  ``Z`` says UTC but not where, so it gives none) or without one (local wall clock: converted with
  ``--tz``, else kept as local time of an unknown zone), or seconds from the start (values < 1e8). Relative times become absolute with ``options.start_s`` (Unix seconds of
  the first sample); without it the recording has ``time_is_absolute=False``. Relative times whose median
  step is >= 1 are taken as milliseconds (no accelerometer samples slower than 1 Hz), with a note.
* Units: g, mg or m/s^2, detected from the median magnitude of the acceleration (gravity: 1 g, 1000 mg,
  9.81 m/s^2), or from a unit in the header, or forced with ``options.units``. A file whose median
  magnitude is far from 1 g in every unit is refused as not being raw accelerometer data.
* Irregular intervals are kept. Backward timestamps are sorted; repeated timestamps are dropped when rare
  (< 1 % of rows: a repeated sample) or spread evenly up to the next distinct stamp when common (packets
  stamped on arrival). Either repair is reported in ``Leg.notes`` and as an :class:`LrmWarning`.
* Rows with empty, NaN or infinite values, or the wrong number of fields (a truncated last line): up to 1 %
  of the rows are dropped with a warning naming the first; more is an :class:`InputError`.

``options.mapping`` (dict) for other CSVs; every key optional::

    {"time": "Timestamp", "x": "AccX", "y": "AccY", "z": "AccZ",       # column names (exact or case-insensitive)
     "time_format": "auto" | "epoch_s" | "epoch_ms" | "epoch_us" | "iso" | "relative_s" | "relative_ms"
                    | a strftime format such as "%d/%m/%Y %H:%M:%S.%f",
     "units": "g" | "mg" | "m/s^2", "delimiter": ",", "skip_rows": 0}   # lines before the header
"""

from __future__ import annotations

import re
import threading
import warnings
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lrm.errors import InputError, LrmWarning
from lrm.io.format_tools import resolve_zone
from lrm.io.plausibility import screen_times, step_range
from lrm.io.recording import Leg, Recording
from lrm.io.registry import ReadAhead, ReadOptions

__all__ = ["sniff", "read", "read_ahead", "header_roles", "MAPPING_KEYS"]

G = 9.80665
MAPPING_KEYS = ("time", "x", "y", "z", "time_format", "units", "delimiter", "skip_rows")
TIME_FORMATS = ("auto", "epoch_s", "epoch_ms", "epoch_us", "iso", "relative_s", "relative_ms")
TIME_NAMES = ("time", "timestamp", "t", "time_s", "times", "datetime", "date_time", "epoch", "unix_time", "unixtime",
              "unix_timestamp", "ts", "seconds", "sec", "elapsed_s", "time_sec", "timestamp_s", "epoch_s", "time_ms",
              "timestamp_ms", "epoch_ms", "utc", "date")
AXIS_PREFIXES = ("", "a", "acc_", "acc", "accel_", "accel", "acceleration_", "accelerometer_", "linear_acc_", "raw_")
AXIS_SUFFIXES = ("", "_axis", "_g", "_mg", "_ms2", "_mps2", "_m_s2")
UNIT_G = {"g": 1.0, "mg": 1000.0, "m/s^2": G}
MAX_BAD_SHARE = 0.01
BLOCK_BYTES = 1 << 18
"""Bytes of the file pyarrow parses at a time (its ``block_size``, 256 KiB: ~5,700 rows of a 100 Hz export). Its
streaming reader reads up to 32 blocks ahead, so this bounds the parser's buffers (~8 MiB a file; at 4 MiB
blocks it buffered a whole 130 MB file). A line longer than this is refused (no sensor export's row is)."""


def _normalise(name: str) -> tuple[str, str | None]:
    """Lower-case a header name, strip a bracketed unit and return (name, unit or None)."""
    unit = None
    match = re.search(r"[\(\[]\s*([^\)\]]*)\s*[\)\]]", name)
    if match:
        unit = _unit_word(match.group(1))
        name = name[: match.start()] + name[match.end():]
    key = re.sub(r"[\s\-\.]+", "_", name.strip().strip('"').strip().lower()).strip("_")
    if unit is None:
        for suffix, word in (("_mg", "mg"), ("_g", "g"), ("_ms2", "m/s^2"), ("_mps2", "m/s^2"), ("_m_s2", "m/s^2")):
            if key.endswith(suffix) and len(key) > len(suffix):
                unit = word
    return key, unit


def _unit_word(text: str) -> str | None:
    t = text.strip().lower().replace(" ", "").replace("²", "^2").replace("**", "^")
    if t in ("g", "gs"):
        return "g"
    if t in ("mg", "millig", "milli-g"):
        return "mg"
    if t in ("m/s^2", "m/s2", "ms^-2", "ms-2", "m*s^-2", "mps2", "m/s/s"):
        return "m/s^2"
    return None


_AXIS_NAMES = {axis: {p + axis + s for p in AXIS_PREFIXES for s in AXIS_SUFFIXES} for axis in "xyz"}


def _find_columns(names: list[str], mapping: dict[str, Any]) -> tuple[dict[str, int], str | None]:
    """Column index for time, x, y, z (or -1) and a unit found in the axis headers."""
    norm = [_normalise(n) for n in names]
    found: dict[str, int] = {}
    for role in ("time", "x", "y", "z"):
        wanted = mapping.get(role)
        if wanted is not None:
            exact = [i for i, n in enumerate(names) if n.strip().strip('"') == wanted]
            loose = [i for i, n in enumerate(names) if n.strip().strip('"').lower() == str(wanted).lower()]
            found[role] = (exact or loose or [-1])[0]
        else:
            pool = TIME_NAMES if role == "time" else _AXIS_NAMES[role]
            hits = [i for i, (key, _) in enumerate(norm) if key in pool]
            if role == "time":  # prefer the earliest listed synonym
                hits.sort(key=lambda i: TIME_NAMES.index(norm[i][0]))
            found[role] = hits[0] if hits else -1
    units = {norm[found[a]][1] for a in "xyz" if found[a] >= 0} - {None}
    return found, (units.pop() if len(units) == 1 else None)


def _split_header(line: str, delimiter: str | None) -> tuple[list[str], str]:
    if delimiter is None:
        counts = {d: line.count(d) for d in (",", ";", "\t")}
        delimiter = max(counts, key=lambda d: counts[d]) if max(counts.values()) else ","
    return [c.strip() for c in line.split(delimiter)], delimiter


def _header_lines(text: str, skip_rows: int) -> tuple[str, str]:
    lines = text.lstrip("\ufeff").splitlines()
    rest = [ln for ln in lines[skip_rows:]]
    header = rest[0] if rest else ""
    first = next((ln for ln in rest[1:] if ln.strip()), "")
    return header, first


def sniff(head: bytes, suffix: str) -> bool:
    """True if the first line names a time column and x, y, z columns (any synonym listed above)."""
    if suffix not in (".csv", ".txt", ".tsv", ".dat", ""):
        return False
    try:
        text = head[:8192].decode("utf-8", errors="replace")
        header, _ = _header_lines(text, 0)
        names, _ = _split_header(header, None)
        cols, _ = _find_columns(names, {})
    except Exception:  # a sniffer never raises
        return False
    return all(v >= 0 for v in cols.values())


def header_roles(head: bytes) -> tuple[list[str], list[str]]:
    """For a file no reader claimed: the roles (time, x, y, z) its first line lacks and the names it holds;
    ``([], [])`` when the first line is no delimited text header (binary, one field, or data only)."""
    if b"\x00" in head[:8192]:
        return [], []
    try:
        text = head[:8192].decode("utf-8")
    except UnicodeDecodeError:
        text = head[:8192].decode("utf-8", errors="ignore")
        if not text.strip():
            return [], []
    try:
        header, _ = _header_lines(text, 0)
        names, _ = _split_header(header, None)
        cols, _ = _find_columns(names, {})
    except Exception:  # noqa: BLE001 - a diagnosis never raises
        return [], []
    if len(names) < 2 or all(re.fullmatch(r"[-+0-9.eE:T ]*", n) for n in names):
        return [], []
    return [role for role, i in cols.items() if i < 0], names


def read(path: Path, options: ReadOptions) -> Recording:
    """Read one ankle's generic CSV into a one-leg :class:`Recording` (acceleration in g, time in s).

    Raises
    ------
    InputError
        Empty file, no header or no time/x/y/z column, non-numeric values (with the line), more than 1 %
        bad rows, fewer than 2 samples, or data that is not raw acceleration.
    """
    return _finish(_plan(Path(path), options), options, None)


def read_ahead(path: Path, options: ReadOptions) -> ReadAhead:
    """Start :func:`read`: the header is read now, the samples are parsed by pyarrow in a background thread
    (the parser releases the GIL), and ``result()`` of what is returned finishes the read in the calling
    thread: the same checks, repairs, warnings and errors as :func:`read`, in the same order. A header that
    is refused starts nothing: its error is raised by ``result()``.
    """
    path = Path(path)
    try:
        plan = _plan(path, options)
    except Exception:  # noqa: BLE001 - raised again, in its turn, when the read is finished
        return ReadAhead(lambda: read(path, options))
    parsed: Future[Any] = Future()

    def parse() -> None:
        try:
            parsed.set_result(_arrays(plan, None))
        except BaseException as exc:  # noqa: BLE001 - handed to result(), raised where read() raises it
            parsed.set_exception(exc)

    thread = threading.Thread(target=parse, name="lrm-read-ahead", daemon=True)
    thread.start()
    return ReadAhead(lambda: _finish(plan, options, parsed), thread)


def _plan(path: Path, options: ReadOptions) -> _Plan:
    """The header's columns and the parse they ask for; InputError for a file refused from its first lines."""
    mapping = _check_mapping(path, options.mapping)
    skip_rows = int(mapping.get("skip_rows", 0))
    with path.open("rb") as fh:
        head = fh.read(65536)
    if not head.strip():
        raise InputError(str(path), "", "the file is empty", "export the recording again")
    text = head.decode("utf-8", errors="replace")
    header, first_row = _header_lines(text, skip_rows)
    names, delimiter = _split_header(header, mapping.get("delimiter"))
    cols, header_unit = _find_columns(names, mapping)
    _check_header(path, names, cols, skip_rows, mapping)
    if not first_row:
        raise InputError(str(path), f"line {skip_rows + 2}", "no data rows after the header", "export the recording again")
    decimal_comma = delimiter == ";" and bool(re.search(r"\d,\d", first_row))
    return _Plan.of(path, names, cols, mapping, header_unit, delimiter=delimiter, skip_rows=skip_rows,
                    decimal_comma=decimal_comma, time_format=str(mapping.get("time_format", "auto")))


def _finish(plan: _Plan, options: ReadOptions, parsed: Future[Any] | None) -> Recording:
    """The samples (parsed now, or by ``parsed``) checked, repaired and converted into the leg's Recording."""
    path, mapping, header_unit, delimiter = plan.path, plan.mapping, plan.header_unit, plan.delimiter
    raw = _load(plan, parsed)
    notes: list[str] = list(raw.notes)
    t_s, absolute = _to_seconds(path, raw, options, str(mapping.get("time_format", "auto")), notes)
    acc = raw.acc
    raw.acc = raw.t = None  # type: ignore[assignment]  # the repairs below may replace the arrays
    screen = screen_times(t_s, source=str(path), absolute=absolute, describe=lambda i: f"line {raw.line_of(i)}")
    if screen.keep is not None:
        t_s, acc = t_s[screen.keep], acc[screen.keep]
        notes.extend(screen.notes)
    t_s, acc, steps = _repair_order(path, t_s, acc, raw.line_of, notes)
    if t_s.size < 2:
        raise InputError(str(path), "", f"only {t_s.size} valid sample(s)", "export a longer recording")
    accel_g, unit = _to_g(path, acc, str(mapping.get("units") or options.units), header_unit, notes)
    zone: dict[str, Any] = {}
    if absolute:
        t_s, zone, note = resolve_zone(path, t_s, options, stated=raw.offset, wall_clock=raw.naive)
        notes.insert(0, note)
        _check_offsets(path, raw, zone, notes)
    leg = Leg(side=options.side, t_s=t_s, accel_g=accel_g, fs_hz=_rate_hz(steps), source=str(path), notes=tuple(notes))
    meta = {"units": unit, "units_in_file": unit, "time_format": raw.time_kind, "delimiter": delimiter}
    return Recording(legs={options.side: leg}, time_is_absolute=absolute, meta=meta, **zone)


def _rate_hz(steps: np.ndarray) -> float:
    """Samples per second from positive sample steps (s; all, or an even sample of them): their mean, gaps
    (> 1 s and > 10 typical steps) left out. Whole-ms stamps at 64 Hz give 64 Hz (15 and 16 ms steps), not
    the 62.5 Hz of the median step."""
    typical = float(np.median(steps))
    ok = steps[steps <= max(1.0, 10.0 * typical)]
    return float(ok.size / ok.sum()) if ok.size and ok.sum() > 0 else 1.0 / typical


def _check_offsets(path: Path, raw: Any, zone: dict[str, Any], notes: list[str]) -> None:
    """An ISO offset that changes within the file (a DST change) cannot be one fixed zone: say so."""
    if raw.offset is None or raw.last_offset in (None, raw.offset):
        return
    if zone.get("timezone_source") == "file" and "/" not in str(zone.get("timezone")):
        _report(path, notes, f"the UTC offset changes within the file ({raw.offset} to {raw.last_offset}, a DST change):"
                             f" clock times are shown at {raw.offset}; pass --tz with the IANA zone (e.g. Europe/Berlin)")


def _check_mapping(path: Path, mapping: Any) -> dict[str, Any]:
    if mapping is None:
        return {}
    if not isinstance(mapping, dict):
        raise TypeError(f"mapping must be a dict with keys {', '.join(MAPPING_KEYS)}, got {type(mapping).__name__}")
    unknown = sorted(set(mapping) - set(MAPPING_KEYS))
    if unknown:
        raise InputError(str(path), f"mapping key {unknown[0]!r}", "unknown mapping key", f"use only {', '.join(MAPPING_KEYS)}")
    fmt = mapping.get("time_format", "auto")
    if fmt not in TIME_FORMATS and "%" not in str(fmt):
        raise InputError(str(path), "mapping key 'time_format'", f"unknown time format {fmt!r}",
                         f"use one of {', '.join(TIME_FORMATS)} or a strftime format like '%Y-%m-%d %H:%M:%S.%f'")
    if mapping.get("units") not in (None, "auto", *UNIT_G):
        raise InputError(str(path), "mapping key 'units'", f"unknown unit {mapping['units']!r}", "use g, mg or m/s^2")
    return dict(mapping)


def _check_header(path: Path, names: list[str], cols: dict[str, int], skip_rows: int, mapping: dict[str, Any]) -> None:
    where = f"line {skip_rows + 1} (header)"
    if names and all(re.fullmatch(r"[-+0-9.eE:T ]*", n) for n in names):
        raise InputError(str(path), where, "no header: the first line holds data",
                         "add a first line 'time,x,y,z' naming the columns (in Python: lrm.read(..., mapping=...))")
    missing = [role for role, i in cols.items() if i < 0]
    if missing:
        shown = ", ".join(n for n in names[:12] if n) or "nothing"
        how = (f"column {mapping[missing[0]]!r} from the mapping is not in the header" if missing[0] in mapping else
               f"no {'time' if missing[0] == 'time' else missing[0] + '-axis'} column")
        raise InputError(str(path), where, f"{how} (columns: {shown})",
                         "name the columns time,x,y,z in the header (in Python: lrm.read(..., mapping=...))")


def _to_seconds(path: Path, raw: Any, options: ReadOptions, time_format: str, notes: list[str]) -> tuple[np.ndarray, bool]:
    """Seconds (Unix epoch, or from the start when relative and no ``options.start_s``), scaled in place."""
    t = raw.t  # finite values only (_load dropped the rest)
    if raw.time_kind == "datetime":
        return t, True
    first = float(t[0]) if t.size else 0.0
    kind = time_format
    if kind == "auto":
        magnitude = abs(float(np.median(t[:1001]))) if t.size else 0.0  # one corrupt first time decides nothing
        kind = ("relative_s" if magnitude < 1e8 else "epoch_s" if magnitude < 1e11 else "epoch_ms" if magnitude < 1e14
                else "epoch_us" if magnitude < 1e17 else "epoch_ns")
        if kind == "relative_s" and t.size > 2 and np.median(np.diff(t[:10000])) >= 1.0:
            kind = "relative_ms"
            notes.append("relative time steps of >= 1 taken as milliseconds")
        if kind not in ("epoch_s", "relative_s"):
            notes.append(f"time column read as {kind.replace('_', ' ')}")
    scale = {"epoch_s": 1.0, "epoch_ms": 1e-3, "epoch_us": 1e-6, "epoch_ns": 1e-9, "relative_s": 1.0, "relative_ms": 1e-3}
    if scale.get(kind, 1.0) != 1.0:
        t *= scale[kind]
    raw.time_kind = kind
    if kind.startswith("relative"):
        if options.start_s is None:
            return t, False
        notes.append(f"relative time shifted to start at Unix time {options.start_s:.3f} s (--start)")
        t += float(options.start_s) - first * scale[kind]
        return t, True
    return t, True


def _repair_order(path: Path, t_s: np.ndarray, acc: np.ndarray, line_of: Any,
                  notes: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sort backward times, drop or spread repeated ones; return (t_s, acc, positive steps in s for the rate).

    The usual strictly increasing file costs one comparison pass; its steps are then a strided sample of
    at most about 100,000 (the median step of a regular file is the same).
    """
    if t_s.size < 2 or step_range(t_s)[0] > 0:
        stride = max(1, t_s.size // 100_000)
        return t_s, acc, t_s[1::stride] - t_s[:-1:stride]
    steps = np.diff(t_s)
    backwards = np.flatnonzero(steps < 0)
    if backwards.size:
        first_line = line_of(int(backwards[0]) + 1)
        order = np.argsort(t_s, kind="stable")
        t_s, acc = t_s[order], acc[order]
        _report(path, notes, f"time went backwards {backwards.size} time(s) (first at line {first_line}); rows sorted by time")
        steps = np.diff(t_s)
    repeated = np.flatnonzero(steps == 0)
    if repeated.size:
        first_line = line_of(int(repeated[0]) + 1)
        if repeated.size <= MAX_BAD_SHARE * t_s.size:
            keep = np.r_[True, steps != 0]
            t_s, acc = t_s[keep], acc[keep]
            _report(path, notes, f"{repeated.size} repeated timestamp(s) (first at line {first_line}) dropped")
        else:
            t_s = _spread_batches(t_s)
            _report(path, notes, f"{repeated.size} repeated timestamps (first at line {first_line}): samples stamped in "
                                 "batches, spread evenly up to the next stamp")
        steps = np.diff(t_s)
    return t_s, acc, steps[steps > 0]


def _spread_batches(t_s: np.ndarray) -> np.ndarray:
    """Spread runs of equal timestamps evenly between their stamp and the next distinct one."""
    new_run = np.r_[True, np.diff(t_s) != 0]
    run_id = np.cumsum(new_run) - 1
    run_start = np.flatnonzero(new_run)
    run_len = np.diff(np.r_[run_start, t_s.size])
    stamps = t_s[run_start]
    step = np.diff(stamps)
    last_step = np.median(step / run_len[:-1]) * run_len[-1] if step.size else 0.0
    span = np.r_[step, last_step]
    pos = np.arange(t_s.size) - run_start[run_id]
    return stamps[run_id] + span[run_id] * pos / run_len[run_id]


def _report(path: Path, notes: list[str], message: str) -> None:
    notes.append(message)
    warnings.warn(f"{path.name}: {message}", LrmWarning, stacklevel=4)


def _to_g(path: Path, acc: np.ndarray, units: str, header_unit: str | None, notes: list[str]) -> tuple[np.ndarray, str]:
    """Acceleration (n, 3) float32 in g; ``acc`` (float32, the file's unit) is converted in place."""
    sample = acc[:: max(1, acc.shape[0] // 200_000)]
    median = float(np.median(_magnitude(sample)))
    if units in (None, "auto"):
        guess = next((u for u, one_g in UNIT_G.items() if 0.7 <= median / one_g <= 1.4), None)
        unit = header_unit or guess
        if unit is None:
            raise InputError(str(path), "columns x, y, z",
                             f"median acceleration magnitude {median:.4g} is far from 1 g in g, mg and m/s^2: not raw "
                             "accelerometer data (gravity removed, or another sensor)",
                             "export raw acceleration including gravity, or force the unit with --units")
        if header_unit and guess and header_unit != guess:
            notes.append(f"header says {header_unit} but the magnitude ({median:.3g}) suggests {guess}; used {header_unit}")
        source = "from the header" if header_unit else f"from the median magnitude {median:.3g}"
        notes.append(f"acceleration read as {unit} ({source})")
    else:
        unit = units
    acc = np.ascontiguousarray(acc, dtype=np.float32)
    if UNIT_G[unit] != 1.0:
        np.divide(acc, np.float32(UNIT_G[unit]), out=acc)
    return acc, unit


def _magnitude(acc: np.ndarray) -> np.ndarray:
    """Magnitudes (float64) of (n, 3) acceleration rows, sqrt((x² + y²) + z²): the sums in that order are those of
    ``(acc.astype(float64) ** 2).sum(axis=1)``, without its (n, 3) float64 temporaries and slow short-axis reduction."""
    x, y, z = (acc[:, j].astype(np.float64) for j in range(3))
    np.multiply(x, x, out=x)
    x += np.multiply(y, y, out=y)
    x += np.multiply(z, z, out=z)
    return np.sqrt(x, out=x)


@dataclass(slots=True)
class _Raw:
    t: np.ndarray  # float64: epoch s for datetimes, the raw numbers otherwise
    acc: np.ndarray  # (n, 3) float32 in the file's unit
    time_kind: str  # "datetime" or a numeric time format
    naive: bool  # local wall-clock times (no offset)
    line_of: Callable[[int], int]  # row index -> line number in the file
    notes: list[str] = field(default_factory=list)
    offset: str | None = None  # the first time's UTC offset (+02:00), None for Z, epoch or naive times
    last_offset: str | None = None  # the last line's


def _time_type(path: Path, value: str, time_format: str) -> tuple[Any, bool]:
    """pyarrow type for the time column, and whether it is a zone-less datetime."""
    import pyarrow as pa

    if time_format.startswith(("epoch", "relative")):
        return pa.float64(), False
    if "%" in time_format:
        return pa.string(), False
    try:
        float(value)
        if time_format == "auto":
            return pa.float64(), False
    except ValueError:
        pass
    naive = re.search(r"(Z|[+-]\d\d:?\d\d)\s*$", value.strip().strip('"')) is None
    return (pa.timestamp("ns") if naive else pa.timestamp("ns", tz="UTC")), naive


def _last_field(path: Path, delimiter: str, index: int) -> str:
    """Field ``index`` of the file's last non-empty line (read from the end)."""
    with path.open("rb") as fh:
        fh.seek(0, 2)
        fh.seek(max(0, fh.tell() - 4096))
        lines = [ln for ln in fh.read().decode("utf-8", "replace").splitlines() if ln.strip()]
    fields = lines[-1].split(delimiter) if lines else []
    return fields[index] if index < len(fields) else ""


def _iso_offset(value: str) -> str | None:
    """The UTC offset an ISO 8601 time states (``+02:00``), None without one or for ``Z`` (RFC 3339 §4.3: UTC,
    the local offset unknown).

    >>> _iso_offset("2024-03-31T01:59:59.123456789+01:00"), _iso_offset("2024-01-01T00:00:00Z"), _iso_offset("2024")
    ('+01:00', None, None)
    """
    m = re.search(r"([+-]\d\d):?(\d\d)\s*$", value.strip().strip('"'))
    return f"{m.group(1)}:{m.group(2)}" if m and re.search(r"\d[T ]\d", value) else None


@dataclass(slots=True)
class _Plan:
    """A generic CSV's columns (from its header and first row) and the pyarrow parse of its four columns."""

    path: Path
    names: list[str]
    cols: dict[str, int]
    mapping: dict[str, Any]
    header_unit: str | None
    delimiter: str
    skip_rows: int
    decimal_comma: bool
    time_format: str
    keys: list[str]
    types: dict[str, Any]  # pyarrow type per column key: time float64, a timestamp or string; axes float32
    include: list[str]  # the keys of time, x, y, z
    t_value: str  # the first row's time field
    naive: bool  # a zone-less datetime
    bad_rows: list[str] = field(default_factory=list)  # rows with missing fields, found by the row handler

    @classmethod
    def of(cls, path: Path, names: list[str], cols: dict[str, int], mapping: dict[str, Any], header_unit: str | None,
           *, delimiter: str, skip_rows: int, decimal_comma: bool, time_format: str) -> _Plan:
        import pyarrow as pa
        import pyarrow.csv  # noqa: F401 - imported here, never first in a background parse

        keys = [f"c{i}" for i in range(len(names))]
        with path.open("r", encoding="utf-8", errors="replace") as fh:
            lines = [fh.readline() for _ in range(skip_rows + 2)]
        first = lines[-1].rstrip("\r\n").split(delimiter)
        t_value = first[cols["time"]] if cols["time"] < len(first) else ""
        t_type, naive = _time_type(path, t_value, time_format)
        types = {keys[cols["time"]]: t_type} | {keys[cols[a]]: pa.float32() for a in "xyz"}
        include = [keys[cols[r]] for r in ("time", "x", "y", "z")]
        return cls(path, names, cols, mapping, header_unit, delimiter, skip_rows, decimal_comma, time_format, keys,
                   types, include, t_value, naive)

    def on_invalid(self, row: Any) -> str:
        text = row.text if len(row.text) <= 60 else f"{row.text[:60]}... ({len(row.text)} characters)"
        self.bad_rows.append(f"{text!r} ({row.actual_columns} of {row.expected_columns} fields)")
        return "skip"

    def _options(self, column_types: dict[str, Any], include: list[str], handler: Any) -> dict[str, Any]:
        import pyarrow.csv as pacsv

        return {"read_options": pacsv.ReadOptions(skip_rows=self.skip_rows + 1, column_names=self.keys,
                                                  block_size=BLOCK_BYTES),
                "parse_options": pacsv.ParseOptions(delimiter=self.delimiter,
                                                    invalid_row_handler=self.on_invalid if handler == "rows" else handler),
                "convert_options": pacsv.ConvertOptions(include_columns=include, column_types=column_types,
                                                        decimal_point="," if self.decimal_comma else ".")}

    def parse(self, column_types: dict[str, Any], include: list[str], handler: Any = "rows") -> Any:
        """pyarrow table of ``include`` as ``column_types``; rows with missing fields go to :meth:`on_invalid`
        (``handler="rows"``), or to ``handler`` (None: they raise)."""
        import pyarrow.csv as pacsv

        return pacsv.read_csv(self.path, **self._options(column_types, include, handler))

    def stream(self, column_types: dict[str, Any], include: list[str], handler: Any = "rows") -> Any:
        """:meth:`parse` as pyarrow's streaming reader: an iterator of record batches, a block each."""
        import pyarrow.csv as pacsv

        return pacsv.open_csv(self.path, **self._options(column_types, include, handler))


def _load(plan: _Plan, parsed: Future[Any] | None) -> _Raw:
    """Parse the four columns with pyarrow's multithreaded CSV reader straight into their final arrays (or take
    the arrays ``parsed`` in the background thread of :func:`read_ahead`: the same first parse, without a row
    handler, and the same copies).

    Only time, x, y and z are converted (time to float64 or a timestamp, axes to float32); each parsed
    chunk is copied once into ``t`` (n,) and ``acc`` (n, 3). Rows with empty, NaN or infinite values are
    looked for only when a cheap whole-array check finds one.
    """
    import pyarrow as pa

    path, names, cols, keys, delimiter = plan.path, plan.names, plan.cols, plan.keys, plan.delimiter
    skip_rows, time_format, t_value, naive, bad_rows = plan.skip_rows, plan.time_format, plan.t_value, plan.naive, plan.bad_rows
    try:
        try:  # without a row handler first: a little faster, and the handler is needed only for short rows
            acc, t = parsed.result() if parsed is not None else _arrays(plan, None)
        except pa.ArrowInvalid as exc:
            if "columns" not in str(exc):
                raise
            acc, t = _arrays(plan)
    except pa.ArrowInvalid as exc:
        _raise_conversion(path, names, keys, exc, plan.parse, skip_rows, plan.decimal_comma, cols["time"])
    line0 = skip_rows + 2
    t_type = plan.types[keys[cols["time"]]]
    if pa.types.is_timestamp(t_type):
        kind = "datetime"
    elif pa.types.is_string(t_type):
        t = _parse_strftime(path, t, time_format, line0, names[cols["time"]])
        kind, naive = "datetime", "%z" not in time_format
    else:
        kind = time_format
    if _all_finite(t) and _all_finite(acc):
        raw = _Raw(t, acc, kind, naive, lambda i: line0 + min(i, max(t.size - 1, 0)))
        valid = None
    else:
        valid = np.isfinite(t) & np.isfinite(acc).all(axis=1)
        kept = np.flatnonzero(valid)
        raw = _Raw(t[valid], acc[valid], kind, naive,
                   lambda i: int(line0 + kept[min(i, kept.size - 1)]) if kept.size else line0)
    if kind == "datetime" and not naive and "%" not in time_format:
        raw.offset, raw.last_offset = _iso_offset(t_value), _iso_offset(_last_field(path, delimiter, cols["time"]))
    n_invalid = 0 if valid is None else int(valid.size - kept.size)
    n_rows = t.size + len(bad_rows)
    n_bad = n_invalid + len(bad_rows)
    if n_bad:
        first_bad = f"line {line0 + int(np.flatnonzero(~valid)[0])}" if n_invalid else f"row {bad_rows[0]}"
        message = f"{n_bad} row(s) with empty, NaN or infinite values or missing fields (first: {first_bad})"
        if n_bad > MAX_BAD_SHARE * max(n_rows, 1):
            raise InputError(str(path), first_bad, f"{message}: more than {MAX_BAD_SHARE:.0%} of the rows",
                             "repair the export (every row needs finite time, x, y and z)")
        _report(path, raw.notes, f"{message} dropped")
    return raw


def _arrays(plan: _Plan, handler: Any = "rows") -> tuple[np.ndarray, Any]:
    """The file's samples as acc (n, 3) float32 and the time: float64 (epoch s of a timestamp column, else the
    file's numbers), or the pyarrow text column for a strftime format (parsed by the caller). No warnings, no
    errors of the file's content: this may run in the background parse's thread.

    pyarrow's streaming reader parses the file a block (:data:`BLOCK_BYTES`) at a time, and each block's
    columns are copied into the final arrays at once: the parsed table of the whole file (20 bytes a row,
    the size of the arrays again) never exists, nor do the parser's buffers for more than a few blocks.
    The arrays are sized from the first block's rows per byte and grown or cut to the row count in place
    (``ndarray.resize``: realloc, which moves pages rather than copying them for arrays of this size).
    """
    import pyarrow as pa

    reader = plan.stream(plan.types, plan.include, handler)
    t_key = plan.keys[plan.cols["time"]]
    axis_keys = [plan.keys[plan.cols[a]] for a in "xyz"]
    t_type = plan.types[t_key]
    stamps, texts = pa.types.is_timestamp(t_type), pa.types.is_string(t_type)
    scale = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}[t_type.unit] if stamps else None
    size = max(1, plan.path.stat().st_size)
    acc, t = np.empty((0, 3), np.float32), np.empty(0, np.float64)
    n, chunks = 0, []
    for batch in reader:
        k = batch.num_rows
        if not t.size:      # the first block's rows per byte, for the whole file (plus 2 %)
            capacity = max(k, int(k * size / BLOCK_BYTES * 1.02))
            acc, t = np.empty((capacity, 3), np.float32), np.empty(capacity, np.float64)
        elif n + k > t.size:  # 25 % more (resize fills the added rows with zeros)
            capacity = max(n + k, int(1.25 * t.size))
            acc.resize((capacity, 3), refcheck=False)  # no view of either array is held here
            t.resize(capacity, refcheck=False)
        _interleave([batch.column(key) for key in axis_keys], acc[n:n + k])
        column = batch.column(t_key)
        if texts:
            chunks.append(column)
        else:
            _copy_chunk(column.cast(pa.int64()) if stamps else column, t[n:n + k], scale)
        n += k
        del batch, column
    del reader
    acc.resize((n, 3), refcheck=False)
    t.resize(n, refcheck=False)
    return acc, (pa.chunked_array(chunks, pa.string()) if texts else t)


def _all_finite(values: np.ndarray) -> bool:
    """True if every value is finite. A finite sum proves it in one pass without a mask of n booleans (NaN and
    infinities propagate into the sum); a sum that overflows is settled value by value."""
    with np.errstate(over="ignore", invalid="ignore"):
        if np.isfinite(np.add.reduce(values, axis=None)):
            return True
    return bool(np.isfinite(values).all())


def _interleave(columns: list[Any], out: np.ndarray) -> None:
    """x, y, z float32 pyarrow arrays of one parsed block into ``out`` (k, 3) float32, interleaved while they
    are in cache (instead of three strided passes over n rows); a block with empty values column by column."""
    if any(c.null_count for c in columns):
        for j, column in enumerate(columns):
            _copy_chunk(column, out[:, j])
        return
    np.stack([_values(c) for c in columns], axis=1, out=out)


def _values(chunk: Any) -> np.ndarray:
    """A numeric pyarrow array without empty values, as a read-only numpy view of its data buffer."""
    dtype = np.dtype(chunk.type.to_pandas_dtype())
    return np.frombuffer(chunk.buffers()[1], dtype, count=len(chunk), offset=chunk.offset * dtype.itemsize)


def _copy_chunk(chunk: Any, out: np.ndarray, scale: float | None = None) -> None:
    """Copy a numeric pyarrow array into ``out`` (empty values become NaN), times ``scale`` if given. An array
    without empty values is read through its data buffer: no pandas import."""
    values = chunk.to_numpy(zero_copy_only=False).astype(np.float64) if chunk.null_count else _values(chunk)
    if scale is None:
        out[:] = values
    else:
        np.multiply(values, scale, out=out)


def _parse_strftime(path: Path, column: Any, fmt: str, line0: int, name: str) -> np.ndarray:
    import pandas as pd

    text = pd.Series(column.to_numpy(zero_copy_only=False))
    parsed = pd.to_datetime(text, format=fmt, errors="coerce", utc=True)
    bad = parsed.isna() & text.notna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(str(path), f"line {line0 + i}, column {name!r}", f"time {text.iloc[i]!r} does not match {fmt!r}",
                         "fix the mapping's time_format")
    return parsed.to_numpy(dtype="datetime64[ns]").astype("int64").astype(np.float64) * 1e-9


def _raise_conversion(path: Path, names: list[str], keys: list[str], exc: Exception, read: Any, skip_rows: int,
                      decimal_comma: bool, time_index: int) -> None:
    """Find the line and column of a value pyarrow could not convert and raise an InputError naming them."""
    import pandas as pd
    import pyarrow as pa

    if "straddl" in str(exc):  # a line longer than pyarrow's block: not a sensor export's row
        raise InputError(str(path), "data", f"a line is longer than {BLOCK_BYTES >> 10} KiB (corrupt or not a sensor export)",
                         "check the file; every row holds one sample's time, x, y and z")
    match = re.search(r"column #(\d+)", str(exc))
    k = int(match.group(1)) if match else 0
    try:
        values = pd.Series(read({keys[k]: pa.string()}, [keys[k]]).column(0).to_numpy(zero_copy_only=False))
    except pa.ArrowInvalid:  # not UTF-8 (a Latin-1 byte in a data row): read the bytes, show them replaced
        raw = read({keys[k]: pa.binary()}, [keys[k]]).column(0).to_pylist()
        values = pd.Series([v.decode("utf-8", errors="replace") for v in raw], dtype=object)
    numeric = pd.to_numeric(values.str.replace(",", ".") if decimal_comma else values, errors="coerce")
    bad = numeric.isna() & values.notna()
    i = int(np.flatnonzero(bad.to_numpy())[0]) if bad.any() else 0
    value = values.iloc[i] if len(values) else ""
    if k == time_index:
        raise InputError(str(path), f"line {skip_rows + 2 + i}, column {names[k]!r}", f"cannot read the time {value!r}",
                         "use Unix seconds or ISO 8601 (2024-01-31T22:00:00.000Z), or pass a mapping time_format")
    what = f"not a number: {value!r}" if bad.any() else str(exc).splitlines()[0]
    raise InputError(str(path), f"line {skip_rows + 2 + i}, column {names[k]!r}", what,
                     "fix or delete that line (numbers use '.' as decimal point unless fields are separated by ';')")
