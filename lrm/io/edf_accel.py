"""EDF/EDF+ files with accelerometer channels: ``lrm export --edf`` files (both ankles) and other EDFs.

Channels are found by their label and physical dimension (EDF spec: ``label`` 16 characters, ``physical
dimension`` 8): ``[MISC ]ACC_L_X`` ... ``ACC_R_Z`` (lrm's export) give both legs; otherwise one triplet
whose labels end in X, Y, Z (``Acc X``, ``ACCEL_Y``, ``accZ``) and whose dimension is an acceleration (``g``,
``mg``, ``m/s^2``) is one leg (``side`` option). Values are the physical ones, converted to g.

Time: EDF's start date and time are the local clock time of the recording. lrm's export names the zone in
the recording field (``lrm-tz=Europe/Berlin``, ``lrm-tz=unknown-utc``, ``lrm-tz=unknown-local``); other files
state none, so their start is local wall clock converted with ``--tz`` (lrm.io.format_tools.resolve_zone).
``Gap (<side>)`` annotations (lrm's export fills gaps with 0 g) become gaps again: their samples are dropped.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import numpy as np

from lrm.errors import InputError
from lrm.io.edf import GAP_LABEL, ZONE_FIELD
from lrm.io.format_tools import resolve_zone, to_g
from lrm.io.recording import SIDES, Gap, Leg, Recording

__all__ = ["sniff", "read", "DESCRIPTION"]

DESCRIPTION = "EDF/EDF+ with accelerometer channels (lrm export: ACC_L_X ... ACC_R_Z in g; others: one X/Y/Z triplet)"
FIX = "export the night again with 'lrm export --edf', or give the original recording"
_LRM_LABEL = re.compile(r"^(?:MISC\s+)?ACC_([LR])_([XYZ])$", re.IGNORECASE)
_AXIS_LABEL = re.compile(r"^(?:MISC\s+)?(?:ACC|ACCEL|ACCELEROMETER|A)?[\s_.-]*([XYZ])$", re.IGNORECASE)
_UNITS = {"g": "g", "mg": "mg", "m/s^2": "m/s^2", "m/s2": "m/s^2", "ms^-2": "m/s^2"}


def _header_signals(head: bytes) -> list[tuple[str, str]]:
    """(label, physical dimension) of each signal from the EDF header bytes."""
    n = int(head[252:256].decode("ascii").strip())
    labels = [head[256 + 16 * i: 272 + 16 * i].decode("latin-1").strip() for i in range(n)]
    dim_at = 256 + n * (16 + 80)
    dims = [head[dim_at + 8 * i: dim_at + 8 * i + 8].decode("latin-1").strip() for i in range(n)]
    return list(zip(labels, dims))


def sniff(head: bytes, suffix: str) -> bool:
    if not head.startswith(b"0       ") or len(head) < 256:
        return False
    try:
        signals = _header_signals(head)
    except (ValueError, UnicodeDecodeError):
        return False
    return any(_LRM_LABEL.match(label) for label, _ in signals) or len(_triplet(signals)) == 3


def _triplet(signals: list[tuple[str, str]]) -> dict[str, int]:
    found: dict[str, int] = {}
    for i, (label, dim) in enumerate(signals):
        m = _AXIS_LABEL.match(label)
        if m and dim.lower() in _UNITS and m.group(1).upper() not in found:
            found[m.group(1).upper()] = i
    return found


def read(path: Path, options) -> Recording:  # noqa: ANN001 - ReadOptions
    """Read the accelerometer channels of an EDF/EDF+ file (g; local start converted with the zone)."""
    import edfio

    try:
        edf = edfio.read_edf(path, lazy_load_data=False)
    except Exception as exc:  # edfio raises ValueError and others for a damaged header
        raise InputError(str(path), "header", f"not a readable EDF file ({exc})", FIX) from None
    signals = [(s.label, s.physical_dimension) for s in edf.signals]
    by_side: dict[str, dict[str, int]] = {}
    for i, (label, _) in enumerate(signals):
        if m := _LRM_LABEL.match(label):
            by_side.setdefault({"L": "left", "R": "right"}[m.group(1).upper()], {})[m.group(2).upper()] = i
    location = " and ".join(f"{side} (EDF label ACC_{side[0].upper()})" for side in by_side)
    if not by_side:
        triplet = _triplet(signals)
        if len(triplet) < 3:
            raise InputError(str(path), "signals", f"no accelerometer X, Y, Z channels in g, mg or m/s^2 (labels: "
                             f"{', '.join(label for label, _ in signals[:10])})", FIX)
        by_side = {options.side: triplet}
    start = edf.startdatetime
    wall0 = (start.replace(tzinfo=None) - dt.datetime(1970, 1, 1)).total_seconds()
    stated, wall_clock, relative = _zone_field(edf.recording.additional if edf.recording else ())
    gaps = _gap_annotations(edf)
    legs: dict[str, Leg] = {}
    zone, note = None, ""
    for side in (s for s in SIDES if s in by_side):
        idx = by_side[side]
        if set(idx) != {"X", "Y", "Z"}:
            raise InputError(str(path), "signals", f"the {side} leg lacks an axis (has {', '.join(sorted(idx))})", FIX)
        chans = [edf.signals[idx[a]] for a in "XYZ"]
        fs = float(chans[0].sampling_frequency)
        n = min(len(c.data) for c in chans)
        t = wall0 + np.arange(n, dtype=np.float64) / fs
        unit = _UNITS[chans[0].physical_dimension.lower()]
        accel_g, _ = to_g(np.column_stack([c.data[:n] for c in chans]), unit, path, options.units)
        keep = np.ones(n, bool)
        leg_gaps = []
        for onset, duration in gaps.get(side, ()):
            inside = (t >= wall0 + onset) & (t < wall0 + onset + duration)
            keep &= ~inside
            leg_gaps.append((wall0 + onset, wall0 + onset + duration))
        t, accel_g = t[keep], accel_g[keep]
        if t.size < 2:
            raise InputError(str(path), f"{side} channels", "no samples outside the gaps", FIX)
        leg_gaps = [(a, b) for a, b in leg_gaps if a > t[0] and b < t[-1]]   # before the leg's start/after its end: none
        if relative:
            t_abs, zone = t - wall0, {"timezone": None, "timezone_source": "unknown", "clock": "utc"}
            note = "time: relative (the EDF was exported from a recording without clock time)"
        else:
            t_abs, zone, note = resolve_zone(path, t, options, stated=stated, wall_clock=wall_clock)
        shift = float(t_abs[0] - t[0])
        legs[side] = Leg(side=side, t_s=t_abs, accel_g=accel_g, fs_hz=fs, device=_device(chans[0].transducer_type),
                         source=str(path), gaps=tuple(Gap(a + shift, b + shift, "missing", "EDF gap annotation")
                                                      for a, b in leg_gaps),
                         notes=(note, f"EDF start {start.isoformat()} (local clock time)"))
    return Recording(legs=legs, time_is_absolute=not relative, subject=_subject(edf),
                     meta={"units_in_file": _UNITS[edf.signals[next(iter(by_side.values()))["X"]].physical_dimension.lower()],
                           "location": location},
                     **(zone or {}))


def _zone_field(additional: tuple[str, ...]) -> tuple[str | None, bool, bool]:
    """(stated zone, start is local wall clock, file has relative time) from ``lrm-tz=`` (lrm's export)."""
    for field in additional:
        if field.startswith(ZONE_FIELD):
            value = field[len(ZONE_FIELD):]
            if value == "relative":
                return None, True, True
            if value == "unknown-utc":
                return None, False, False        # the start was written in UTC: no conversion, zone unknown
            if value == "unknown-local":
                return None, True, False
            return value, True, False
    return None, True, False                     # EDF: local clock time, zone not stated


def _gap_annotations(edf) -> dict[str, list[tuple[float, float]]]:  # noqa: ANN001 - edfio.Edf
    out: dict[str, list[tuple[float, float]]] = {}
    for side in SIDES:
        label = GAP_LABEL.format(side=side)
        out[side] = [(float(a.onset), float(a.duration or 0.0)) for a in edf.annotations if a.text == label]
    return out


def _device(transducer: str) -> str:
    return transducer[len("accelerometer"):].strip() if transducer.lower().startswith("accelerometer") else transducer


def _subject(edf) -> str:  # noqa: ANN001 - edfio.Edf
    try:
        code = edf.patient.code
    except Exception:  # noqa: BLE001 - a plain-EDF patient field
        return ""
    return "" if code in ("X", "") else code
