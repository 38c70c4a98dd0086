"""Sensor Logger app (iOS/Android, tszheichoi) accelerometer CSV (formats.md §4).

Header ``time,seconds_elapsed,z,y,x`` (note the **z, y, x** order). ``time`` is Unix nanoseconds (UTC).
Units are m/s^2, except iOS *uncalibrated* exports which are in g; with ``units="auto"`` lrm decides from
the gravity magnitude. ``Accelerometer.csv`` on Android has gravity removed (use ``TotalAcceleration.csv``):
lrm reads it but notes the missing gravity, which ``lrm info`` flags.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lrm.io.format_tools import column, guess_units, head_text, make_recording, read_table, to_g
from lrm.io.recording import Recording

__all__ = ["sniff", "read", "DESCRIPTION"]

DESCRIPTION = "Sensor Logger app CSV ('time,seconds_elapsed,z,y,x'; ns Unix time; m/s^2 or g)"
HEADER = "time,seconds_elapsed,z,y,x"


def sniff(head: bytes, suffix: str) -> bool:
    return head_text(head, 256).replace('"', "").startswith(HEADER)


def read(path: Path, options) -> Recording:  # noqa: ANN001 - ReadOptions
    """Read a Sensor Logger accelerometer CSV into a one-leg recording (g, Unix s UTC)."""
    import pyarrow as pa

    table = read_table(path, columns=["time", "x", "y", "z"],
                       column_types={"time": pa.int64(), "x": pa.float64(), "y": pa.float64(), "z": pa.float64()})
    t_s = (column(table, "time", path, np.int64) // 1000).astype(np.float64) / 1e6
    xyz = np.column_stack([column(table, a, path) for a in "xyz"])
    unit = guess_units(xyz, "m/s^2")
    accel_g, unit = to_g(xyz, unit, path, options.units)
    notes = ["time: Unix nanoseconds (UTC); columns reordered from z,y,x to x,y,z"]
    norm = float(np.median(np.linalg.norm(accel_g, axis=1))) if accel_g.size else 0.0
    if norm < 0.3:
        notes.append("gravity seems removed (Accelerometer.csv): use TotalAcceleration.csv or enable gravity in the app")
    return make_recording(path, options, t_s=t_s, accel_g=accel_g, device="Sensor Logger (phone)", notes=notes,
                          meta={"units_in_file": unit, "timezone": "UTC"})
