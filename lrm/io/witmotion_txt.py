"""WitMotion PC/app record files (formats.md §4, **[secondary]**: the layout varies by software version).

A header row holding ``ax(g) ay(g) az(g)`` (tab- or space-separated), e.g.
``Chiptime<TAB>ax(g)<TAB>ay(g)<TAB>az(g)<TAB>wx(rad/s)...`` or ``Time(s) ax(g) ay(g) az(g) ...``. The time
column is a chip time of day ``HH:MM:SS.fff`` (optionally preceded by a date ``YYYY-MM-DD``) or seconds.
A time of day without a date is relative (wrapping past midnight is handled) unless ``start_s`` is given;
with a date it is the local wall clock, converted to UTC with ``--tz`` (the file states no zone).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import numpy.typing as npt

from lrm.errors import InputError
from lrm.io.format_tools import head_text, make_recording, resolve_zone, shift_start, to_g
from lrm.io.recording import Recording

__all__ = ["sniff", "read", "DESCRIPTION"]

DESCRIPTION = "WitMotion record (.txt; tab/space columns 'ax(g) ay(g) az(g)', chip time of day)"
AXES = ("ax(g)", "ay(g)", "az(g)")
FIX = "save the record again from the WitMotion software (tab-separated text)"
_TOD = re.compile(r"^(?:(\d{4}-\d{1,2}-\d{1,2})[ T])?(\d{1,2}):(\d{2}):(\d{2}(?:\.\d+)?)$")


def sniff(head: bytes, suffix: str) -> bool:
    first = head_text(head, 1024).split("\n", 1)[0]
    return all(a in first for a in AXES)


def _times(values: list[str], path: Path) -> tuple[npt.NDArray[np.float64], bool]:
    """Seconds (absolute wall clock as if UTC when dated, else relative) and whether they are absolute."""
    import pandas as pd

    text = pd.Series(values, dtype="string").str.strip()
    parts = text.str.extract(_TOD.pattern)
    tod_ok = parts[1].notna().to_numpy()
    if not tod_ok.all():
        numeric = pd.to_numeric(text, errors="coerce")
        if tod_ok.any() or numeric.isna().any():  # mixed, or neither: the first row unlike the first row's form
            bad = ~tod_ok if tod_ok[0] else numeric.isna().to_numpy()
            row = int(np.flatnonzero(bad)[0])
            raise InputError(str(path), f"data row {row + 1}", f"time {values[row]!r} is not HH:MM:SS.fff or seconds", FIX)
        return numeric.to_numpy(np.float64), False
    tod = parts[1].astype(float) * 3600 + parts[2].astype(float) * 60 + parts[3].astype(float)
    if parts[0].notna().all():
        day = pd.to_datetime(parts[0], format="%Y-%m-%d").to_numpy("datetime64[s]").astype(np.int64)
        return day + tod.to_numpy(np.float64), True
    t = tod.to_numpy(np.float64)
    wraps = np.cumsum(np.r_[0, np.diff(t) < -43200])   # past midnight
    return t + 86400.0 * wraps, False


def read(path: Path, options) -> Recording:  # noqa: ANN001 - ReadOptions
    """Read a WitMotion text record into a one-leg recording (g)."""
    import pandas as pd

    with path.open("rb") as fh:
        header = fh.readline(65536).decode("utf-8", "replace").strip()
    sep = "\t" if "\t" in header else r"\s+"
    names = [n.strip() for n in (header.split("\t") if sep == "\t" else header.split())]
    try:
        frame = pd.read_csv(path, sep=sep, skiprows=1, names=names, header=None, dtype=str, engine="c",
                            usecols=[0, *(names.index(a) for a in AXES)], encoding_errors="replace")
    except (ValueError, pd.errors.ParserError) as exc:
        raise InputError(str(path), "data", f"unreadable text table ({str(exc).splitlines()[0][:120]})", FIX) from None
    frame = frame.dropna(how="all")
    if frame.empty:
        raise InputError(str(path), "data", "no samples", FIX)
    try:
        xyz = frame[list(AXES)].astype(np.float64).to_numpy()
    except ValueError:
        raise InputError(str(path), f"columns {', '.join(AXES)}", "values are not numbers", FIX) from None
    t, dated = _times(frame[names[0]].fillna("").tolist(), path)
    zone = None
    if dated:                                  # local wall clock with its date
        t, zone, note = resolve_zone(path, t, options, wall_clock=True)
        absolute = True
    else:
        t, absolute = shift_start(t, options)
        note = "time: chip time of day (relative)"
        if absolute:
            t, zone, note = resolve_zone(path, t, options, wall_clock=False)
            note = f"time: chip time of day shifted to --start; {note}"
    accel_g, unit = to_g(xyz, "g", path, options.units)
    return make_recording(path, options, t_s=t, accel_g=accel_g, device="WitMotion", time_is_absolute=absolute,
                          notes=[note], meta={"units_in_file": unit}, zone=zone)
