"""``lrm info FILE...``: what lrm sees in each file, without analysing it."""

from __future__ import annotations

import argparse
import sys

HELP = "show the detected format, device, rate, duration, start, units and gravity check of files"
DESCRIPTION = """\
For each file (or recording directory): the detected format, device and serial, sample rate, number of
samples, duration, start time, the unit the file stored acceleration in, and a gravity check (the median
magnitude of the acceleration should be about 1 g when the sensor is mostly still; far from it means
wrong units, gravity removed by the app, or a bad calibration). Nothing is analysed. A file that cannot be
read gets a one-line error and the others are still shown; the exit status is then 2.
"""
EPILOG = """\
examples:
  lrm info Polar_Sense_ACC.txt
  lrm info night1/ left.cwa right.cwa
  lrm info --json *.csv > files.json
"""

GRAVITY_TOLERANCE_G = 0.15   # |median |a| - 1| above this is flagged


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("files", nargs="+", metavar="FILE", help="recording file or directory")
    parser.add_argument("--format", default="auto", help="format name (see 'lrm formats'; default: auto-detect)")
    parser.add_argument("--json", action="store_true", help="print one JSON object per file instead of text")


def describe(path: str, fmt: str = "auto") -> dict[str, object]:
    """Read ``path`` and return its facts as a flat dict (seconds, Hz, g)."""
    from datetime import datetime, timezone

    import numpy as np

    from lrm.io.registry import read

    rec = read(path, format=fmt)
    out: dict[str, object] = {"file": path, "format": rec.meta.get("format", "?"), "legs": {}}
    for side, leg in rec.legs.items():
        step = max(1, leg.n_samples // 200_000)
        norm = np.linalg.norm(leg.accel_g[::step].astype(np.float64), axis=1)
        median_g = float(np.median(norm)) if norm.size else float("nan")
        start = (datetime.fromtimestamp(leg.t_s[0], tz=timezone.utc).isoformat(timespec="milliseconds")
                 if rec.time_is_absolute and leg.n_samples else None)
        out["legs"][side] = {
            "device": leg.device, "serial": leg.serial, "fs_hz": round(leg.fs_hz, 3), "n_samples": leg.n_samples,
            "duration_s": round(leg.duration_s, 3), "start": start, "start_s": float(leg.t_s[0]) if leg.n_samples else None,
            "time_is_absolute": rec.time_is_absolute, "units_in_file": rec.meta.get("units_in_file", "g"),
            "timezone": rec.meta.get("timezone", ""), "range_g": leg.range_g, "median_magnitude_g": round(median_g, 4),
            "gravity_ok": bool(abs(median_g - 1.0) <= GRAVITY_TOLERANCE_G), "notes": list(leg.notes),
        }
    return out


def _duration(seconds: float) -> str:
    h, rem = divmod(int(round(seconds)), 3600)
    return f"{h}:{rem // 60:02d}:{rem % 60:02d}"


def _text(facts: dict[str, object]) -> str:
    lines = [f"{facts['file']}: {facts['format']}"]
    for side, leg in facts["legs"].items():  # type: ignore[union-attr]
        device = " ".join(x for x in (leg["device"], leg["serial"] and f"(serial {leg['serial']})") if x) or "unknown device"
        start = leg["start"] or f"relative time (t0 = {leg['start_s']:g} s)"
        check = "ok" if leg["gravity_ok"] else "CHECK: expected ~1 g at rest (wrong units, gravity removed, or calibration)"
        rng = f", range +-{leg['range_g']:g} g" if leg["range_g"] else ""
        lines += [
            f"  {side}: {device}",
            f"    rate {leg['fs_hz']:g} Hz, {leg['n_samples']} samples, duration {_duration(leg['duration_s'])} ({leg['duration_s']:g} s)",
            f"    start {start}" + (f" [file time zone {leg['timezone']}]" if leg["timezone"] else ""),
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
            facts = describe(path, args.format)
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
