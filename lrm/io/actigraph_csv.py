"""ActiGraph ActiLife raw-data CSV export (formats.md §4.3).

Ten header lines: line 1 ``------------ Data File Created By ActiGraph GT3X+ ActiLife v6.13.4 Firmware
v2.5.0 date format M/d/yyyy at 30 Hz  Filter Normal -----------`` (date format and rate), line 2 serial,
lines 3-4 start time and date, line 5 epoch period (``00:00:00`` = raw samples; anything else is an
epoch/count file, which lrm refuses because PLM scoring needs raw acceleration). Line 11 is an optional
column header ``[Timestamp,]Accelerometer X,Accelerometer Y,Accelerometer Z``; values in g. Times are
local wall clock and the file states no zone (``--tz`` converts them to UTC; lrm.io.format_tools).

Some exports hold the raw ADC counts instead of g (integer values, median magnitude ~256 or ~341: "median
343 g" in issue 15). They are recognised and divided by the device's scale from the GT3X file format
documentation (``Acceleration Scale``: 341 LSB/g for +-6 g NEO/CLE/MRA serials, 256 LSB/g for +-8 g MOS/TAS)
when the magnitude agrees with it within 10 %; otherwise they are refused.
Rows of exactly 0 g on all three axes are what ActiLife writes for seconds the device recorded nothing
outside idle sleep (after a USB connection, in the shared TAS1H30182785 export): a worn or resting
accelerometer always reads ~1 g, so they are kept as gaps.

**Idle sleep.** ActiLife fills the seconds a device in idle-sleep mode did not record with the last recorded
sample, in whole seconds, and says nothing about it in the file. Those rows are marked as filled
(``Leg.filled``, ``cause="idle-sleep"``, as the .gt3x reader marks them) by :func:`find_idle_fill`: a run of
identical rows whose repeats fill whole seconds of the file's clock. In the shared TAS1H30182785 export the
runs of >= 1 s total 1823 s (its .gt3x: 1822 s of idle sleep) and all end at a second's end, while its
recorded samples never repeat for more than 0.05 s. A still sensor whose noise is below half an LSB can repeat
its reading for seconds, but not in whole seconds of the clock: a file with any >= 1 s run that does not
end at a second's end is left unmarked.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from lrm.errors import InputError
from lrm.io.format_tools import column, head_text, make_recording, parse_datetimes, read_table, resolve_zone, to_g
from lrm.io.recording import Gap, Recording

__all__ = ["sniff", "read", "DESCRIPTION", "dotnet_date_format", "find_idle_fill"]

DESCRIPTION = "ActiGraph ActiLife raw CSV (10-line header; date format and rate from line 1; g)"
HEADER_LINES = 10
_LINE1 = re.compile(r"Created By Acti[Gg]raph", re.ASCII)
AXES = ("Accelerometer X", "Accelerometer Y", "Accelerometer Z")
SCALE_LSB_PER_G = {"NEO": 341.0, "CLE": 341.0, "MRA": 341.0, "MOS": 256.0, "TAS": 256.0}
FIX_COUNTS = "export calibrated g from ActiLife (raw data CSV), or give the .gt3x file"


def sniff(head: bytes, suffix: str) -> bool:
    first = head_text(head, 512).split("\n", 1)[0]
    return bool(_LINE1.search(first)) and "ActiLife" in first


def dotnet_date_format(pattern: str) -> str:
    """ActiLife's .NET date pattern (``M/d/yyyy``, ``dd/MM/yyyy``, ``yyyy-MM-dd``) -> strptime format.

    >>> dotnet_date_format("M/d/yyyy"), dotnet_date_format("dd/MM/yyyy")
    ('%m/%d/%Y', '%d/%m/%Y')
    """
    out = re.sub(r"y{4}", "%Y", pattern)
    out = re.sub(r"y{2}", "%y", out)
    out = re.sub(r"M{1,2}", "%m", out)
    return re.sub(r"d{1,2}", "%d", out)


def _header(path: Path) -> list[str]:
    with path.open("rb") as fh:
        lines = [fh.readline(4096).decode("utf-8", "replace").rstrip("\r\n").rstrip(",").strip()
                 for _ in range(HEADER_LINES + 1)]
    if not lines[HEADER_LINES - 1].startswith("---"):
        raise InputError(str(path), f"line {HEADER_LINES}", "the 10-line ActiLife header is incomplete",
                         "export the file again from ActiLife (raw data CSV)")
    return lines


def _value(lines: list[str], key: str, path: Path) -> str:
    for line in lines[1:HEADER_LINES]:
        if line.startswith(key):
            return line[len(key):].strip(" :")
    raise InputError(str(path), "header", f"no '{key}' line", "export the file again from ActiLife")


def read(path: Path, options) -> Recording:  # noqa: ANN001 - ReadOptions
    """Read an ActiLife raw CSV into a one-leg recording (g; Unix s as local wall clock)."""
    lines = _header(path)
    line1 = lines[0]
    date_fmt = dotnet_date_format(m.group(1)) if (m := re.search(r"date format (\S+)", line1)) else "%m/%d/%Y"
    rate = float(m.group(1)) if (m := re.search(r"at (\d+(?:\.\d+)?) Hz", line1)) else None
    epoch = _value(lines, "Epoch Period (hh:mm:ss)", path)
    if epoch not in ("00:00:00", "0:00:00"):
        raise InputError(str(path), "line 5", f"an epoch/count file (epoch {epoch}), not raw acceleration",
                         "export raw data (ActiLife: File > Export > raw CSV, or give the .gt3x file)")
    serial = _value(lines, "Serial Number", path)
    start_text = f"{_value(lines, 'Start Date', path)} {_value(lines, 'Start Time', path)}"
    start = parse_datetimes([start_text], path, "lines 3-4 (start)", fmt=f"{date_fmt} %H:%M:%S")[0]
    names = [n.strip() for n in lines[HEADER_LINES].split(",")]
    has_header = any(n.startswith("Accelerometer") for n in names)
    if has_header:
        table = read_table(path, skip_rows=HEADER_LINES, fix="export the file again from ActiLife")
        table = table.rename_columns([n.strip() for n in table.column_names])
    else:
        table = read_table(path, skip_rows=HEADER_LINES, column_names=AXES + tuple(f"extra{i}" for i in range(len(names) - 3)),
                           fix="export the file again from ActiLife")
    xyz = np.column_stack([column(table, a, path) for a in AXES])
    notes: list[str] = []
    if "Timestamp" in table.column_names:
        t_s = parse_datetimes(table.column("Timestamp"), path, "column 'Timestamp'", fmt=f"{date_fmt} %H:%M:%S.%f")
        fs = rate
    else:
        if rate is None:
            raise InputError(str(path), "line 1", "no sample rate ('at NN Hz') and no Timestamp column",
                             "export with timestamps, or use the generic CSV reader with a rate")
        t_s = start + np.arange(xyz.shape[0], dtype=np.float64) / rate
        fs = rate
    nothing = np.all(xyz == 0.0, axis=1)          # ActiLife's rows where the device recorded nothing
    filled = find_idle_fill(xyz, t_s, fs_hz=fs) if fs and float(fs).is_integer() else np.zeros(len(xyz), bool)
    if filled.any():
        notes.append(f"{filled.sum() / fs:.0f} s of ActiGraph idle sleep (ActiLife repeats the last sample in "
                     "whole seconds) marked as not recorded")
    if nothing.any():
        t_s, xyz, filled = t_s[~nothing], xyz[~nothing], filled[~nothing]
        notes.append(f"{int(nothing.sum())} rows of 0 g on all three axes (ActiLife's fill where the device "
                     "recorded nothing, e.g. while docked on USB) kept as gaps")
        if not t_s.size:
            raise InputError(str(path), "data", "every row is 0 g on all three axes: no recorded samples",
                             "export the file again from ActiLife, or give the .gt3x file")
    unit = "g"
    if options.units == "auto" and (scale := _counts_scale(xyz, serial, path)) is not None:
        xyz = xyz / scale
        unit = "counts"
        notes.append(f"values are raw ADC counts: divided by {scale:g} LSB/g (ActiGraph {serial[:3]} scale)")
    accel_g, used = to_g(xyz, "g", path, options.units)
    t_s, zone, note = resolve_zone(path, t_s, options, wall_clock=True)
    spans = _runs(filled)
    gaps = [Gap(float(t_s[a]), float(t_s[b - 1]) + 1.0 / fs, "idle-sleep",
                "not recorded (device still); ActiLife repeated the last sample") for a, b in spans.tolist()]
    device = m.group(1) if (m := re.search(r"Created By (Acti[Gg]raph [^ ]+)", line1)) else "ActiGraph"
    range_g = 8.0 if serial.startswith(("MOS", "TAS")) else 6.0
    limb = m.group(1) if (m := re.search(r"Limb:\s*([A-Za-z ]+?)\s*-*$", line1)) else ""
    return make_recording(path, options, t_s=t_s, accel_g=accel_g, fs_hz=fs, device=device, serial=serial,
                          range_g=range_g, notes=[note, *notes], zone=zone, filled=gaps,
                          meta={"units_in_file": unit if options.units == "auto" else used, "location": limb,
                                "idle_sleep": bool(gaps)})


def _runs(mask: np.ndarray) -> np.ndarray:
    """[start, end) row ranges (k, 2) of the True runs of ``mask`` (n,)."""
    d = np.diff(np.concatenate(([0], mask.astype(np.int8), [0])))
    return np.column_stack((np.flatnonzero(d == 1), np.flatnonzero(d == -1)))


def find_idle_fill(xyz: np.ndarray, t_s: np.ndarray, *, fs_hz: float) -> np.ndarray:
    """Rows (n,) ActiLife filled for idle sleep: the whole seconds of a run of identical, non-zero rows (n, 3).

    ``t_s``: each row's time in s, ``fs_hz`` the file's integer rate; second ``k`` holds the rows whose sample
    number ``round((t - t_s[0]) fs_hz)`` lies in [k fs_hz, (k + 1) fs_hz). A run counts when its repeats (every
    row but its first, the last recorded sample) cover at least one whole second and it ends at a second's end.
    If any run of >= 1 s of repeats ends elsewhere, the repeats are the sensor's own (a still sensor with noise
    below half an LSB) and nothing is marked.

    >>> x = np.tile(np.float32([0.0, 0.0, 1.0]), (12, 1)); x[:3, 0] = [0.1, 0.2, 0.3]; x[3:9, 0] = 0.3
    >>> find_idle_fill(x, np.arange(12) / 3.0, fs_hz=3.0).astype(int).tolist()   # row 2 is recorded, 3-8 filled
    [0, 0, 0, 1, 1, 1, 1, 1, 1, 0, 0, 0]
    """
    n = len(xyz)
    out = np.zeros(n, bool)
    if n < 2:
        return out
    k = int(fs_hz)
    same = np.all(xyz[1:] == xyz[:-1], axis=1)              # row i + 1 repeats row i
    rep = np.flatnonzero(same)
    same[rep] = np.any(xyz[rep + 1] != 0.0, axis=1)          # not ActiLife's 0 g rows (kept as gaps)
    runs = _runs(same) + 1                                   # [first repeat, end) rows
    if not runs.size:
        return out
    sample = np.rint((t_s - t_s[0]) * fs_hz).astype(np.int64)
    first = -(-sample[runs[:, 0]] // k) * k                  # the first second boundary at or after the first repeat
    end = sample[runs[:, 1] - 1] + 1                         # one sample past the run's last
    aligned = end % k == 0
    long = runs[:, 1] - runs[:, 0] >= k
    if (long & ~aligned).any():
        return out
    keep = aligned & (end - first >= k)
    lo = np.maximum(runs[keep, 1] - (end[keep] - first[keep]), runs[keep, 0])   # from the first whole second on
    delta = np.zeros(n + 1, np.int32)
    np.add.at(delta, lo, 1)
    np.add.at(delta, runs[keep, 1], -1)
    return np.cumsum(delta[:-1]) > 0


def _counts_scale(xyz: np.ndarray, serial: str, path: Path) -> float | None:
    """LSB per g when the values are raw counts (integers, gravity far above 2), else None; refuses counts whose
    magnitude does not match the device's documented scale."""
    sample = xyz[:: max(1, len(xyz) // 20000)]
    median = float(np.median(np.linalg.norm(sample, axis=1))) if sample.size else 0.0
    if median <= 2.0 or not np.all(sample == np.round(sample)):
        return None
    scale = SCALE_LSB_PER_G.get(serial[:3].upper())
    if scale is None or not 0.9 <= median / scale <= 1.1:
        known = f"{scale:g} LSB/g for this serial" if scale else f"no known scale for serial {serial or '?'!r}"
        raise InputError(str(path), "columns Accelerometer X, Y, Z", f"integer values with median magnitude "
                         f"{median:.4g}: raw ADC counts, not g ({known})", FIX_COUNTS)
    return scale
