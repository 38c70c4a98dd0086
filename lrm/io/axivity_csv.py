"""Axivity CSV exports: OmGui / cwa-convert (no header row) and omconvert ``-csv`` (with a header).

OmGui rows are ``time,ax,ay,az[,gx,gy,gz][,light,temperature,battery]`` with ``time`` either
``yyyy-mm-dd hh:mm:ss.fff`` or Unix seconds; omconvert writes a header
``Time,Accel-X (g), Accel-Y (g), Accel-Z (g)[, Gyro-X (d/s), ...]``. Acceleration is in g. The times are the
device's local wall clock (the AX RTC keeps no zone, so a "Unix seconds" column counts that wall clock
too); the file states no zone: ``--tz`` converts them to UTC (lrm.io.format_tools.resolve_zone).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from lrm.errors import InputError
from lrm.io.format_tools import column, head_text, make_recording, parse_datetimes, read_table, resolve_zone, to_g
from lrm.io.recording import Recording

__all__ = ["sniff", "read", "DESCRIPTION"]

DESCRIPTION = "Axivity OmGui/cwa-convert CSV (no header) and omconvert -csv (header 'Time,Accel-X (g),...'); g"
_NUM = r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?"
_FORMATTED = re.compile(rf"^\d{{4}}-\d{{2}}-\d{{2}} \d{{2}}:\d{{2}}:\d{{2}}(?:\.\d+)?(?:,{_NUM}){{3}}(?:,{_NUM})*\s*$")
_UNIX = re.compile(rf"^\d{{9,10}}(?:\.\d+)?(?:,{_NUM}){{3}}(?:,{_NUM})*\s*$")
_OMCONVERT = re.compile(r"^Time,\s*Accel-X \(g\),\s*Accel-Y \(g\),\s*Accel-Z \(g\)")
FIX = "export the file again from OmGui, or give the .cwa file"


def _first_line(head: bytes) -> str:
    return head_text(head, 1024).split("\n", 1)[0].rstrip("\r")


def sniff(head: bytes, suffix: str) -> bool:
    line = _first_line(head)
    if _OMCONVERT.match(line):
        return True
    n_fields = line.count(",") + 1
    return bool(_FORMATTED.match(line) or (suffix == ".csv" and _UNIX.match(line))) and n_fields in (4, 7, 10, 13)


def read(path: Path, options) -> Recording:  # noqa: ANN001 - ReadOptions
    """Read an OmGui/omconvert CSV into a one-leg recording (g; local wall clock kept as if UTC)."""
    with path.open("rb") as fh:
        line = fh.readline(65536).decode("utf-8", "replace").rstrip("\r\n")
    import pyarrow as pa

    has_header = bool(_OMCONVERT.match(line))
    n_fields = line.count(",") + 1
    names = ["time", "x", "y", "z", *(f"extra{i}" for i in range(n_fields - 4))]
    table = read_table(path, skip_rows=1 if has_header else 0, column_names=names, columns=names[:4],
                       column_types={"time": pa.string(), "x": pa.float64(), "y": pa.float64(), "z": pa.float64()}, fix=FIX)
    first = table.column("time")[0].as_py() if table.num_rows else ""
    if re.fullmatch(r"\d+(?:\.\d+)?", first.strip()):
        try:
            t_s = np.asarray(table.column("time").to_numpy(zero_copy_only=False), dtype=np.float64)
        except ValueError:
            raise InputError(str(path), "column 1", "mixed time formats", FIX) from None
    else:
        fmt = "%Y-%m-%d %H:%M:%S.%f" if "." in first else "%Y-%m-%d %H:%M:%S"
        t_s = parse_datetimes(table.column("time"), path, "column 1 (time)", fmt=fmt)
    xyz = np.column_stack([column(table, a, path) for a in "xyz"])
    accel_g, unit = to_g(xyz, "g", path, options.units)
    device = "Axivity AX6" if n_fields in (7, 10) and not has_header else "Axivity"
    if has_header and "Gyro" in line:
        device = "Axivity AX6"
    t_s, zone, note = resolve_zone(path, t_s, options, wall_clock=True)
    return make_recording(path, options, t_s=t_s, accel_g=accel_g, device=device, notes=[note],
                          meta={"units_in_file": unit}, zone=zone)
