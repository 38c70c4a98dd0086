"""phyphox CSV export: one CSV, a zip of the experiment export, or its unpacked folder (formats.md §4).

Layout, from phyphox's own exporters (Android ``DataExport.CsvFormat``, iOS ``ExperimentExport`` /
``ExperimentExportSet``):

* One CSV per export set (``<set name>.csv`` in the zip). The header quotes each column name as the
  experiment defines it: ``"Time (s)","Acceleration x (m/s^2)",...`` in "Acceleration with g", ``"Time (s)";
  "X (m/s^2)";...`` in others, names translated or without units in some versions. Values are written in
  scientific notation (``9.806650000E0``); the separator is ``,``, tab or ``;`` and the decimal mark ``.``
  or ``,`` (five export variants). Empty cells are ``""`` or ``NaN``.
* ``meta/time.csv`` (same separator and decimal mark): ``"event","experiment time","system time","system
  time text"``, one row per START/PAUSE; ``system time`` is Unix seconds, the text the phone's local time
  with its offset (``2024-05-01 22:40:00.123 UTC+02:00``; ``UTC+0200`` on old Android): the offset is kept
  as the recording's zone.

lrm takes the time column (the first) and the three axis columns (names with a separate x/y/z), ignores
"Absolute acceleration", and trusts a unit in the header (m/s^2, g). Without one the unit is phyphox's
SI m/s^2, unless the gravity magnitude is ~1 (a custom experiment in g). Linear acceleration (gravity
removed: by name, or physically, :func:`lrm.io.format_tools.gravity_removed`) is refused. Without
``meta/time.csv`` the recording has relative time unless ``start_s`` is given.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from pathlib import Path

import numpy as np
import numpy.typing as npt

from lrm.errors import InputError
from lrm.io.format_tools import G, gravity_removed, head_text, make_recording, resolve_zone, shift_start, to_g
from lrm.io.recording import Recording

__all__ = ["sniff", "read", "sniff_dir", "read_dir", "sniff_zip", "DESCRIPTION"]

DESCRIPTION = "phyphox CSV, export zip or folder (quoted header, scientific numbers; relative s + meta/time.csv)"
FIX = "export the accelerometer experiment ('Acceleration with g') from phyphox as CSV"
_SCI = re.compile(r"^-?\d[.,]\d+E[-+]?\d+$")
_OFFSET = re.compile(r"UTC\s*(Z|[+-]\d{2}:?\d{2})\s*$")
_AXIS = re.compile(r"(?:^|[^a-z])([xyz])(?:$|[^a-z])", re.IGNORECASE)
_UNIT = re.compile(r"\(([^)]*)\)\s*$")


def _split(line: str) -> tuple[list[str], str]:
    delim = "\t" if "\t" in line else ";" if ";" in line else ","
    return [f.strip() for f in line.strip().split(delim)], delim


def _is_phyphox(text: str) -> bool:
    lines = text.replace("\r", "").split("\n")
    if len(lines) < 2:
        return False
    names, delim = _split(lines[0])
    values = lines[1].strip().split(delim)
    quoted = len(names) >= 4 and all(len(n) >= 2 and n[0] == n[-1] == '"' for n in names)
    numbers = quoted and _time_like(names[0].strip('"')) and all(
        _SCI.match(v.strip()) or v.strip() in ('""', "NaN") for v in values[:4]) and any(_SCI.match(v.strip()) for v in values[:4])
    if not numbers:
        return False
    first = values[0].strip().replace(",", ".")
    return not _SCI.match(values[0].strip()) or abs(float(first)) < 1e7   # experiment time, not epoch seconds


def _time_like(name: str) -> bool:
    low = name.lower()
    return low.startswith(("time", "t ", "zeit", "temps", "tiempo", "tempo")) or low in ("t", "time") or "(s)" in low


def sniff(head: bytes, suffix: str) -> bool:
    if head.startswith(b"PK\x03\x04"):
        return False                                   # archives: sniff_zip
    return _is_phyphox(head_text(head, 4096))


def sniff_zip(names: list[str]) -> bool:
    return any(n in ("meta/time.csv", "meta/device.csv") for n in names) and any(
        n.lower().endswith(".csv") and not n.startswith("meta/") for n in names)


def sniff_dir(path: Path) -> bool:
    return (path / "meta" / "time.csv").is_file() and any(_csv_ok(p) for p in path.glob("*.csv"))


def _csv_ok(p: Path) -> bool:
    try:
        with p.open("rb") as fh:
            return _is_phyphox(head_text(fh.read(4096), 4096))
    except OSError:
        return False


def _columns(names: list[str], source: str) -> tuple[int, list[int], str | None]:
    """(time column, [x, y, z] columns, declared unit or None); refuses linear acceleration and other sensors."""
    clean = [n.strip().strip('"').lstrip("'") for n in names]
    if any("linear" in n.lower() for n in clean):
        raise InputError(source, "header", "linear acceleration (gravity removed)", "record 'Acceleration with g' instead")
    axes: dict[str, int] = {}
    for i, name in enumerate(clean[1:], start=1):
        if "abs" in name.lower():
            continue
        m = _AXIS.search(_UNIT.sub("", name))
        if m and m.group(1).lower() not in axes:
            axes[m.group(1).lower()] = i
    if set(axes) != {"x", "y", "z"}:
        raise InputError(source, "header", f"no x, y, z columns (columns: {', '.join(clean[:8])})", FIX)
    units = {_unit_word(_UNIT.search(clean[axes[a]]).group(1)) if _UNIT.search(clean[axes[a]]) else None for a in "xyz"}
    if units - {None, "m/s^2", "g"}:
        raise InputError(source, "header", f"not acceleration (units {', '.join(sorted(map(str, units - {None})))})", FIX)
    return 0, [axes["x"], axes["y"], axes["z"]], (units.pop() if len(units) == 1 else None)


def _unit_word(text: str) -> str:
    t = text.strip().lower().replace(" ", "").replace("²", "^2")
    return {"m/s^2": "m/s^2", "m/s2": "m/s^2", "ms^-2": "m/s^2", "g": "g"}.get(t, t)


def _parse_csv(text: str, source: str) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], str | None, str, str]:
    """Relative times (s), acceleration (n, 3) in the file's unit, its declared unit, delimiter, decimal mark."""
    import pandas as pd

    first, _, body = text.lstrip("\ufeff").partition("\n")
    names, delim = _split(first)
    t_col, xyz_cols, unit = _columns(names, source)
    decimal = "," if delim != "," and re.search(r"\d,\d+E[-+]?\d", body[:2000]) else "."
    try:
        frame = pd.read_csv(io.StringIO(body), sep=delim, decimal=decimal, header=None, engine="c",
                            usecols=[t_col, *xyz_cols], na_values=['""', "NaN"], quotechar='"')
        values = frame[[t_col, *xyz_cols]].to_numpy(dtype=np.float64)
    except (ValueError, TypeError, pd.errors.ParserError) as exc:
        raise InputError(source, "data", f"unreadable values ({str(exc).splitlines()[0][:120]})", FIX) from None
    keep = np.all(np.isfinite(values), axis=1)        # phyphox leaves empty cells while starting
    return values[keep, 0], values[keep, 1:], unit, delim, decimal


def _time_map(time_csv: str, delim: str, decimal: str) -> tuple[list[tuple[float, float]], str | None]:
    """(experiment time, Unix time) of each START, and the UTC offset the phone wrote, from meta/time.csv."""
    rows = list(csv.reader(io.StringIO(time_csv.lstrip("\ufeff")), delimiter=delim))
    if not rows:
        return [], None
    header = [h.strip().lower() for h in rows[0]]
    col = {name: header.index(name) for name in ("event", "experiment time", "system time", "system time text")
           if name in header}
    starts, offset = [], None
    for row in rows[1:]:
        if "event" not in col or len(row) <= max(col.values()) or row[col["event"]].strip().upper() != "START":
            continue
        try:
            exp = float(row[col["experiment time"]].replace(decimal, ".") if decimal == "," else row[col["experiment time"]])
            sys_t = float(row[col["system time"]].replace(decimal, ".") if decimal == "," else row[col["system time"]])
        except (KeyError, ValueError):
            continue
        starts.append((exp, sys_t))
        if offset is None and "system time text" in col and (m := _OFFSET.search(row[col["system time text"]])):
            offset = "UTC" if m.group(1) == "Z" else m.group(1)
    return sorted(starts), offset


def _absolute(t_rel: npt.NDArray[np.float64], starts: list[tuple[float, float]]) -> npt.NDArray[np.float64]:
    exp, sys_t = np.array(starts).T
    seg = np.clip(np.searchsorted(exp, t_rel, side="right") - 1, 0, len(exp) - 1)
    return sys_t[seg] + (t_rel - exp[seg])


def _build(source: Path, text: str, time_csv: str | None, options) -> Recording:  # noqa: ANN001
    t_rel, xyz, declared, delim, decimal = _parse_csv(text, str(source))
    if t_rel.size < 2:
        raise InputError(str(source), "data", "no samples", FIX)
    if gravity_removed(xyz):
        raise InputError(str(source), "columns x, y, z", "the acceleration has no gravity in it (linear acceleration: "
                         "its mean over each minute is ~0)", "record 'Acceleration with g' instead")
    notes = []
    unit = declared
    if unit is None:
        median = float(np.median(np.linalg.norm(xyz[:: max(1, len(xyz) // 20000)], axis=1)))
        unit = "g" if abs(median - 1.0) < abs(median - G) else "m/s^2"
        notes.append(f"the header names no unit: {unit} from the gravity magnitude ({median:.3g})")
    accel_g, unit = to_g(xyz, unit, source, options.units)
    starts, offset = _time_map(time_csv, delim, decimal) if time_csv else ([], None)
    zone = None
    if starts and options.start_s is None:
        t_s, is_abs = _absolute(t_rel, starts), True
        t_s, zone, note = resolve_zone(source, t_s, options, stated=offset, wall_clock=False)
        notes.insert(0, f"relative s + meta/time.csv START; {note}")
    else:
        t_s, is_abs = shift_start(t_rel, options)
        if is_abs:
            t_s, zone, note = resolve_zone(source, t_s, options, wall_clock=False)
            notes.insert(0, f"time: --start given; {note}")
        else:
            notes.insert(0, "time: relative (no meta/time.csv; pass --start for clock time)")
    return make_recording(source, options, t_s=t_s, accel_g=accel_g, device="phyphox (phone)", time_is_absolute=is_abs,
                          notes=notes, meta={"units_in_file": unit}, zone=zone)


MAX_MEMBER_BYTES = 128 << 20  # a phyphox CSV of ~2 million rows (5.5 h at 100 Hz): a zip bomb stops here


def _member(zf: zipfile.ZipFile, name: str, path: Path) -> bytes:
    from lrm.io.plausibility import read_zip_member

    return read_zip_member(zf, name, source=str(path), max_bytes=MAX_MEMBER_BYTES)


def read(path: Path, options) -> Recording:  # noqa: ANN001 - ReadOptions
    """Read a phyphox CSV or export zip (meta/time.csv gives the absolute start and the phone's offset)."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            data = sorted((n for n in names if n.lower().endswith(".csv") and not n.startswith("meta/")),
                          key=lambda n: ("linear" in n.lower(), "acceler" not in n.lower(), n))
            if sum(zf.getinfo(n).file_size for n in data) > 2 * MAX_MEMBER_BYTES:   # many members: a bomb too
                raise InputError(str(path), "archive", f"its CSVs expand to more than {2 * MAX_MEMBER_BYTES >> 20} MiB",
                                 "check the file (a damaged or foreign archive)")
            texts = {n: _member(zf, n, path).decode("utf-8", "replace") for n in data}
            time_csv = _member(zf, "meta/time.csv", path).decode("utf-8", "replace") if "meta/time.csv" in names else None
        chosen = next((n for n in data if _is_phyphox(texts[n][:4096]) and _has_axes(texts[n])), None)
        if chosen is None:
            raise InputError(str(path), "archive", f"no accelerometer CSV inside ({', '.join(data) or 'no CSV'})", FIX)
        return _build(path, texts[chosen], time_csv, options)
    sibling = path.parent / "meta" / "time.csv"
    time_csv = sibling.read_text("utf-8", "replace") if sibling.is_file() else None
    return _build(path, path.read_text("utf-8", "replace"), time_csv, options)


def _has_axes(text: str) -> bool:
    try:
        _columns(_split(text.split("\n", 1)[0])[0], "")
    except InputError:
        return False
    return True


def read_dir(path: Path, options) -> Recording:  # noqa: ANN001 - ReadOptions
    """Read an unpacked phyphox export folder."""
    found = [p for p in sorted(path.glob("*.csv"), key=lambda p: ("linear" in p.name.lower(), p.name)) if _csv_ok(p)]
    csv_path = next((p for p in found if _has_axes(p.read_text("utf-8", "replace")[:4096])), None)
    if csv_path is None:
        raise InputError(str(path), "folder", "no accelerometer CSV", FIX)
    return read(csv_path, options)

