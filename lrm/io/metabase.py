"""MetaBase CSV (mbientlab MetaWear sensors), Android/MetaBase-Hub and iOS/macOS variants (formats.md §4.2).

Android/Hub: ``epoch (ms),time (-05:00),elapsed (s),x-axis (g),y-axis (g),z-axis (g)``; iOS/macOS:
``epoc (ms),timestamp (-0800),elapsed (s),x-axis (g),y-axis (g),z-axis (g)`` (sic "epoc"). ``epoch``
is Unix milliseconds (UTC); the header's offset is the phone's time zone (``-05:00``, ``-0800``), kept as
the recording's zone. Samples that arrived in one packet share one epoch value (iOS prints
``1515983969561`` three times), so lrm re-derives per-sample times by spreading each run of equal times
up to the next packet's time, and the rate is samples over time (201 Hz, not the 273 Hz of the shortest
spread steps). Acceleration is in g. Gyroscope (``deg/s``) and magnetometer files are recognised and refused
with a clear message.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from lrm.errors import InputError
from lrm.io.format_tools import column, head_text, make_recording, read_table, resolve_zone, spread_packed_times, to_g
from lrm.io.recording import Recording

__all__ = ["sniff", "read", "DESCRIPTION"]

DESCRIPTION = "MetaBase CSV, Android/Hub ('epoch (ms),time (...)') and iOS/macOS ('epoc (ms),timestamp (...)'); g"
_HEADER = re.compile(r"^(epoch?) \(ms\),(time|timestamp) \(([^)]*)\),elapsed \(s\),")
AXES = ("x-axis (g)", "y-axis (g)", "z-axis (g)")
_MAC = re.compile(r"_([0-9A-Fa-f]{12})_")


def sniff(head: bytes, suffix: str) -> bool:
    return bool(_HEADER.match(head_text(head, 512)))


def read(path: Path, options) -> Recording:  # noqa: ANN001 - ReadOptions
    """Read a MetaBase accelerometer CSV into a one-leg recording (g, Unix s UTC)."""
    with path.open("rb") as fh:
        header = fh.readline(4096).decode("utf-8", "replace").strip()
    m = _HEADER.match(header)
    names = [n.strip() for n in header.split(",")]
    if m is None or tuple(names[3:6]) != AXES:
        kind = "gyroscope" if "deg/s" in header else "magnetometer" if "(T)" in header else "non-accelerometer"
        raise InputError(str(path), "line 1", f"a {kind} MetaBase file (columns {', '.join(names[3:6])})",
                         "give the accelerometer CSV of the same MetaBase session")
    import pyarrow as pa

    epoch_col = names[0]
    table = read_table(path, columns=[epoch_col, *AXES], column_types={epoch_col: pa.int64(), **{a: pa.float64() for a in AXES}})
    epoch_ms = column(table, epoch_col, path, np.int64)
    t_s, packed_runs = spread_packed_times(epoch_ms.astype(np.float64) / 1e3)
    t_s, zone, note = resolve_zone(path, t_s, options, stated=m.group(3), wall_clock=False)
    notes = [note]
    if packed_runs:
        notes.append(f"{packed_runs} packet(s) with one timestamp for several samples: per-sample times re-derived")
    xyz = np.column_stack([column(table, a, path) for a in AXES])
    accel_g, unit = to_g(xyz, "g", path, options.units)
    mac = _MAC.search(path.name)
    variant = "iOS/macOS" if m.group(1) == "epoc" else "Android/Hub"
    return make_recording(path, options, t_s=t_s, accel_g=accel_g, device="MetaWear (MetaBase)",
                          serial=mac.group(1).upper() if mac else "", notes=notes, zone=zone,
                          meta={"units_in_file": unit, "metabase_variant": variant})
