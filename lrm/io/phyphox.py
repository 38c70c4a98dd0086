"""phyphox CSV export: one CSV, a zip of the experiment export, or its unpacked folder (formats.md §4).

Columns ``"Time (s)","Acceleration x (m/s^2)","Acceleration y (m/s^2)","Acceleration z (m/s^2)"``
(+ ``"Absolute acceleration (m/s^2)"``) from the "Acceleration with g" experiment; the separator is ``,``,
tab or ``;`` and the decimal mark may be a comma. Time is relative (s since the experiment started).
The absolute start comes from ``meta/time.csv`` (``"event","experiment time","system time",...``: each
START row maps experiment time to Unix seconds) inside the zip/folder or next to the CSV; without it the
recording has relative time unless ``start_s`` is given. "Linear Acceleration" (gravity removed) is refused.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import numpy as np
import numpy.typing as npt

from lrm.errors import InputError
from lrm.io.format_tools import head_text, make_recording, shift_start, to_g
from lrm.io.recording import Recording

__all__ = ["sniff", "read", "sniff_dir", "read_dir", "DESCRIPTION"]

DESCRIPTION = "phyphox 'Acceleration with g' CSV, export zip or folder (relative s + meta/time.csv; m/s^2)"
TIME = "Time (s)"
AXES = tuple(f"Acceleration {a} (m/s^2)" for a in "xyz")
FIX = "export 'Acceleration with g' from phyphox as CSV (comma, decimal point)"


def _is_header(text: str) -> bool:
    first = text.split("\n", 1)[0].replace('"', "")
    return first.startswith(TIME) and ("Acceleration x (m/s^2)" in first)


def sniff(head: bytes, suffix: str) -> bool:
    if head.startswith(b"PK\x03\x04"):
        return b"meta/time.csv" in head or b"meta/device.csv" in head
    return _is_header(head_text(head, 512))


def sniff_dir(path: Path) -> bool:
    return (path / "meta" / "time.csv").is_file() and any(_csv_ok(p) for p in path.glob("*.csv"))


def _csv_ok(p: Path) -> bool:
    try:
        with p.open("rb") as fh:
            return _is_header(head_text(fh.read(512), 512))
    except OSError:
        return False


def _parse_csv(text: str, source: str) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    first = text.split("\n", 1)[0]
    delim = "\t" if "\t" in first else ";" if ";" in first else ","
    import pandas as pd

    decimal = "," if delim != "," and "," in text[len(first): len(first) + 2000] else "."
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delim, decimal=decimal, engine="c")
    except (ValueError, pd.errors.ParserError) as exc:
        raise InputError(source, "data", f"unreadable CSV ({str(exc).splitlines()[0][:120]})", FIX) from None
    frame.columns = [c.strip() for c in frame.columns]
    if any(c.startswith("Linear Acceleration") for c in frame.columns):
        raise InputError(source, "header", "linear acceleration (gravity removed)", "record 'Acceleration with g' instead")
    missing = [c for c in (TIME, *AXES) if c not in frame.columns]
    if missing:
        raise InputError(source, "header", f"no column {missing[0]!r}", FIX)
    try:
        t = frame[TIME].to_numpy(dtype=np.float64)
        xyz = frame[list(AXES)].to_numpy(dtype=np.float64)
    except (ValueError, TypeError):
        raise InputError(source, "data", "values are not numbers", FIX) from None
    keep = np.isfinite(t) & np.all(np.isfinite(xyz), axis=1)   # phyphox leaves empty cells while starting
    return t[keep], xyz[keep]


def _absolute(t_rel: npt.NDArray[np.float64], time_csv: str) -> npt.NDArray[np.float64] | None:
    starts = []
    for row in csv.DictReader(io.StringIO(time_csv)):
        if (row.get("event") or "").strip().upper() == "START":
            try:
                starts.append((float(row["experiment time"]), float(row["system time"])))
            except (KeyError, TypeError, ValueError):
                continue
    if not starts:
        return None
    exp, sys_t = np.array(starts).T
    seg = np.clip(np.searchsorted(exp, t_rel, side="right") - 1, 0, len(exp) - 1)
    return sys_t[seg] + (t_rel - exp[seg])


def _build(source: Path, text: str, time_csv: str | None, options) -> Recording:  # noqa: ANN001
    t_rel, xyz = _parse_csv(text, str(source))
    if not t_rel.size:
        raise InputError(str(source), "data", "no samples", FIX)
    accel_g, unit = to_g(xyz, "m/s^2", source, options.units)
    absolute = _absolute(t_rel, time_csv) if time_csv else None
    if absolute is not None and options.start_s is None:
        t_s, is_abs, note = absolute, True, "time: relative s + meta/time.csv START (Unix s, UTC)"
    else:
        t_s, is_abs = shift_start(t_rel, options)
        note = "time: --start given" if is_abs else "time: relative (no meta/time.csv; pass --start for clock time)"
    return make_recording(source, options, t_s=t_s, accel_g=accel_g, device="phyphox (phone)", time_is_absolute=is_abs,
                          notes=[note], meta={"units_in_file": unit})


def read(path: Path, options) -> Recording:  # noqa: ANN001 - ReadOptions
    """Read a phyphox CSV or export zip (meta/time.csv gives the absolute start)."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            data = [n for n in names if n.lower().endswith(".csv") and not n.startswith("meta/")]
            chosen = next((n for n in data if _is_header(zf.read(n)[:512].decode("utf-8", "replace"))), None)
            if chosen is None:
                raise InputError(str(path), "archive", "no 'Acceleration with g' CSV inside", FIX)
            text = zf.read(chosen).decode("utf-8", "replace")
            time_csv = zf.read("meta/time.csv").decode("utf-8", "replace") if "meta/time.csv" in names else None
        return _build(path, text, time_csv, options)
    sibling = path.parent / "meta" / "time.csv"
    time_csv = sibling.read_text("utf-8", "replace") if sibling.is_file() else None
    return _build(path, path.read_text("utf-8", "replace"), time_csv, options)


def read_dir(path: Path, options) -> Recording:  # noqa: ANN001 - ReadOptions
    """Read an unpacked phyphox export folder."""
    csv_path = next((p for p in sorted(path.glob("*.csv")) if _csv_ok(p)), None)
    if csv_path is None:
        raise InputError(str(path), "folder", "no 'Acceleration with g' CSV", FIX)
    return read(csv_path, options)
