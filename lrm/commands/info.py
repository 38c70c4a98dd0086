"""``lrm info FILE...``: what lrm sees in each file, without analysing it."""

from __future__ import annotations

import argparse
import sys

HELP = "show the detected format, device, rate, duration, start, units and gravity check of files"
DESCRIPTION = """\
For each file (or recording directory): the detected format, device and serial, which ankle its name or
metadata says (else "not stated"), sample rate, number of samples, duration, start time in local clock time
with the time zone (from the file, or --tz; "not stated" otherwise), the unit the file stored acceleration
in, and a gravity check (the median
magnitude of the acceleration should be about 1 g when the sensor is mostly still; far from it means
wrong units, gravity removed by the app, or a bad calibration). Nothing is analysed. A file that cannot be
read gets a one-line error and the others are still shown; the exit status is then 2.
"""
EPILOG = """\
examples:
  lrm info Polar_Sense_ACC.txt
  lrm info night1/ left.cwa right.cwa
  lrm info --json *.csv > files.json
  lrm info --tz Europe/Berlin left.cwa          local times of a file that states no time zone
"""

GRAVITY_TOLERANCE_G = 0.15   # |median |a| - 1| above this is flagged


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="recording file or directory")
    parser.add_argument("--format", default="auto", help="format name (see 'lrm formats'; default: auto-detect)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per file instead of text")
    parser.add_argument("--tz", metavar="ZONE", help="time zone of files that do not state theirs (IANA name or "
                        "+-HH:MM), to show their local clock times")


def describe(path: str, fmt: str = "auto", tz: str | None = None) -> dict[str, object]:
    """Read ``path`` and return its facts as a flat dict (seconds, Hz, g; times in local clock time)."""
    from pathlib import Path

    import numpy as np

    from lrm.io.registry import ReadOptions, read_file, side_from_text
    from lrm.errors import InputError
    from lrm.io.timezones import TZ_FIX, local_iso, normalize_tz, zone_label

    try:
        zone = normalize_tz(tz) if tz else None
    except ValueError as exc:
        raise InputError("--tz", "", str(exc), TZ_FIX) from None
    rec = read_file(path, ReadOptions(tz=zone), format=fmt, digest=False)
    out: dict[str, object] = {"file": path, "format": rec.meta.get("format", "?"), "legs": {},
                              "timezone": rec.timezone, "timezone_source": rec.timezone_source, "clock": rec.clock}
    single = len(rec.legs) == 1
    for side, leg in rec.legs.items():
        step = max(1, leg.n_samples // 200_000)
        norm = np.linalg.norm(leg.accel_g[::step].astype(np.float64), axis=1)
        median_g = float(np.median(norm)) if norm.size else float("nan")
        start = (local_iso(float(leg.t_s[0]), rec.timezone, rec.clock, timespec="milliseconds")
                 if rec.time_is_absolute and leg.n_samples else None)
        found = side if not single else (side_from_text(Path(path).name) or side_from_text(str(rec.meta.get("location") or "")))
        out["legs"][side] = {
            "device": leg.device, "serial": leg.serial, "side_stated": found, "fs_hz": round(leg.fs_hz, 3),
            "n_samples": leg.n_samples, "duration_s": round(leg.duration_s, 3), "start": start,
            "start_s": float(leg.t_s[0]) if leg.n_samples else None, "time_is_absolute": rec.time_is_absolute,
            "units_in_file": rec.meta.get("units_in_file", "g"), "time_zone": zone_label(rec.timezone, rec.clock),
            "range_g": leg.range_g, "median_magnitude_g": round(median_g, 4),
            "gravity_ok": bool(abs(median_g - 1.0) <= GRAVITY_TOLERANCE_G), "notes": list(leg.notes),
        }
    return out


def _duration(seconds: float) -> str:
    h, rem = divmod(int(round(seconds)), 3600)
    return f"{h}:{rem // 60:02d}:{rem % 60:02d}"


def _text(facts: dict[str, object]) -> str:
    lines = [f"{facts['file']}: {facts['format']}"]
    single = len(facts["legs"]) == 1  # type: ignore[arg-type]
    for side, leg in facts["legs"].items():  # type: ignore[union-attr]
        device = " ".join(x for x in (leg["device"], leg["serial"] and f"(serial {leg['serial']})") if x) or "unknown device"
        start = (f"{leg['start']} [{leg['time_zone']}]" if leg["start"]
                 else f"relative time (t0 = {leg['start_s']:g} s)")
        check = "ok" if leg["gravity_ok"] else "CHECK: expected ~1 g at rest (wrong units, gravity removed, or calibration)"
        rng = f", range +-{leg['range_g']:g} g" if leg["range_g"] else ""
        which = (f"{leg['side_stated']} (side from its name or metadata)" if leg["side_stated"]
                 else "side not stated (pass --side to lrm analyze)") if single else side
        lines += [
            f"  {which}: {device}",
            f"    rate {leg['fs_hz']:g} Hz, {leg['n_samples']} samples, duration {_duration(leg['duration_s'])} ({leg['duration_s']:g} s)",
            f"    start {start}",
            f"    units in file: {leg['units_in_file']} (read as g){rng}",
            f"    gravity check: median |a| = {leg['median_magnitude_g']:.3f} g -> {check}",
        ]
        lines += [f"    note: {note}" for note in leg["notes"]]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    import json

    from lrm.errors import LrmError

    status = 0
    for path in args.files:
        try:
            facts = describe(path, args.format, args.tz)
        except LrmError as exc:
            print(f"lrm: error: {exc}", file=sys.stderr)
            status = 2
            continue
        except ValueError as exc:   # e.g. an unknown --format name
            print(f"lrm: error: {path}: {exc}", file=sys.stderr)
            status = 2
            continue
        print(json.dumps(facts) if args.json else _text(facts), flush=True)
    return status
