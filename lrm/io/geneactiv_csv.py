"""GENEActiv PC software CSV export (formats.md §4).

About 100 header lines of ``key,value`` (``Device Type,GENEActiv``, ``Device Unique Serial Code``,
``Measurement Frequency,100.0 Hz``, ``Time Zone,GMT -04``, one ``Range,-8 to 8`` per axis ...), then rows
without a header: ``YYYY-MM-DD hh:mm:ss:mmm,x,y,z,lux,button,temperature`` (colon before the
milliseconds; x, y, z in g). Local times are converted to UTC with the header's time zone (``GMT -04``), which
becomes the recording's zone; without one, ``--tz`` (lrm.io.format_tools.resolve_zone).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from lrm.errors import InputError
from lrm.io.format_tools import (column, head_text, make_recording, parse_datetimes, read_table, resolve_zone,
                                 stated_offset, to_g)
from lrm.io.recording import Recording

__all__ = ["sniff", "read", "DESCRIPTION"]

DESCRIPTION = "GENEActiv PC software CSV (100-line header; 'hh:mm:ss:mmm' local times; g)"
_DATA_ROW = re.compile(rb"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}:\d{3},")
FIX = "convert the .bin again with GENEActiv PC software, or give the .bin file"


def sniff(head: bytes, suffix: str) -> bool:
    return head_text(head, 64).startswith("Device Type,GENEActiv")


def read(path: Path, options) -> Recording:  # noqa: ANN001 - ReadOptions
    """Read a GENEActiv CSV into a one-leg recording (g; UTC when the header gives the time zone)."""
    info: dict[str, str] = {}
    skip = None
    with path.open("rb") as fh:
        for i in range(400):
            line = fh.readline(65536)
            if not line:
                break
            if _DATA_ROW.match(line):
                skip = i
                break
            key, sep, value = line.decode("latin-1").replace("\x00", "").partition(",")
            if sep:
                info.setdefault(key.strip(), value.strip())
    if skip is None:
        raise InputError(str(path), "header", "no data rows ('YYYY-MM-DD hh:mm:ss:mmm,x,y,z,...') in the first 400 lines", FIX)
    names = ["time", "x", "y", "z", "lux", "button", "temperature"]
    import pyarrow as pa

    table = read_table(path, skip_rows=skip, column_names=names, columns=names[:4],
                       column_types={"time": pa.string(), "x": pa.float64(), "y": pa.float64(), "z": pa.float64()}, fix=FIX)
    t_local = parse_datetimes(table.column("time"), path, "column 1 (time)", fmt="%Y-%m-%d %H:%M:%S:%f")
    xyz = np.column_stack([column(table, a, path) for a in "xyz"])
    accel_g, unit = to_g(xyz, "g", path, options.units)
    stated = stated_offset(info.get("Time Zone", ""))
    t_s, zone, note = resolve_zone(path, t_local, options, stated=stated, wall_clock=True)
    notes = [note]
    m = re.search(r"([\d.]+)", info.get("Measurement Frequency", ""))
    r = re.search(r"to\s*([\d.]+)", info.get("Range", ""))
    return make_recording(path, options, t_s=t_s, accel_g=accel_g, fs_hz=float(m.group(1)) if m else None,
                          device="GENEActiv", serial=info.get("Device Unique Serial Code", ""),
                          range_g=float(r.group(1)) if r else 8.0, notes=notes, zone=zone,
                          meta={"units_in_file": unit, "location": info.get("Device Location Code", "")})

