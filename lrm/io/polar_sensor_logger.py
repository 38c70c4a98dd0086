"""Polar Sensor Logger (Android app) accelerometer export: ``*_ACC.txt``.

Header ``Phone timestamp;sensor timestamp [ns];X [mg];Y [mg];Z [mg]``, ``;``-separated, one row per
sample. Acceleration is in mg. The sensor timestamp counts nanoseconds since 2000-01-01 on the sensor's
clock, which the phone sets to local time (formats.md §4.1); it is precise per sample, so lrm uses it. The
file states no time zone: with ``--tz`` the local times are converted to UTC, otherwise they stay local
clock times of an unknown zone (lrm.io.format_tools.resolve_zone). The phone timestamp (local, jittery,
ms) is only used to report the offset between the two clocks in the notes.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from lrm.errors import InputError
from lrm.io.format_tools import column, head_text, make_recording, parse_datetimes, read_table, resolve_zone, to_g
from lrm.io.recording import Recording

__all__ = ["sniff", "read", "DESCRIPTION"]

DESCRIPTION = "Polar Sensor Logger ACC export (*_ACC.txt; ';'-separated, mg, sensor ns timestamps)"
EPOCH_2000_S = 946_684_800  # 2000-01-01T00:00:00 in Unix seconds
ACC_COLUMNS = ("X [mg]", "Y [mg]", "Z [mg]")
_NAME = re.compile(r"Polar_([A-Za-z0-9]+?)_([0-9A-Fa-f]{6,8})_", re.ASCII)


def sniff(head: bytes, suffix: str) -> bool:
    """Any Polar Sensor Logger stream file (ACC is read; other streams get a clear error)."""
    return head_text(head, 256).startswith("Phone timestamp;")


def read(path: Path, options) -> Recording:  # noqa: ANN001 - ReadOptions
    """Read a Polar Sensor Logger ACC file into a one-leg recording (g, Unix s as local wall clock)."""
    with path.open("rb") as fh:
        header = fh.readline(4096).decode("utf-8", "replace").strip()
    names = header.split(";")
    if names[:2] != ["Phone timestamp", "sensor timestamp [ns]"] or tuple(names[2:5]) != ACC_COLUMNS:
        stream = " ".join(names[1:3]) or "?"
        raise InputError(str(path), "line 1", f"not an accelerometer (ACC) stream (columns: {stream})",
                         "give the *_ACC.txt file from the same Polar Sensor Logger session")
    import pyarrow as pa

    table = read_table(path, delimiter=";", columns=["Phone timestamp", "sensor timestamp [ns]", *ACC_COLUMNS],
                       column_types={"sensor timestamp [ns]": pa.int64(), **{c: pa.float64() for c in ACC_COLUMNS}})
    ns = column(table, "sensor timestamp [ns]", path, np.int64)
    t_wall = EPOCH_2000_S + (ns // 1000).astype(np.float64) / 1e6
    xyz = np.column_stack([column(table, c, path) for c in ACC_COLUMNS])
    accel_g, unit = to_g(xyz, "mg", path, options.units)
    notes = []
    phone = table.column("Phone timestamp")
    if len(phone):
        first_phone = parse_datetimes(phone.slice(0, 1), path, "column 'Phone timestamp'", fmt="%Y-%m-%dT%H:%M:%S.%f")
        notes.append(f"phone clock minus sensor clock at start: {first_phone[0] - t_wall[0]:+.3f} s")
    t_s, zone, note = resolve_zone(path, t_wall, options, wall_clock=True)
    notes.insert(0, f"{note} (sensor clock)")
    match = _NAME.search(path.name)
    device = f"Polar {match.group(1)}" if match else "Polar (Sensor Logger)"
    if not match and path.name.lower().startswith("polar_"):
        device = "Polar " + path.name.split("_")[1]
    return make_recording(path, options, t_s=t_s, accel_g=accel_g, device=device,
                          serial=match.group(2) if match else "", notes=notes, meta={"units_in_file": unit}, zone=zone)
