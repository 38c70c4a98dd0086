"""lrm's native recording: a directory written by ``lrm record`` (and ``lrm simulate``), read by ``lrm analyze``.

Layout (version 1)::

    NIGHT_DIR/
      recording.json      manifest; written last, so its presence means the recording is complete
      left.parquet        one table per leg: t_us int64, x y z (float32 g, or int16 counts)
      right.parquet
      journal/            (BLE recordings only) the crash-safe packet journal, see lrm.ble

``recording.json``::

    {"format": "lrm-recording", "version": 1, "created_by": "lrm 0.1.0",
     "time_is_absolute": true, "subject": "",
     "timezone": "Europe/Berlin", "timezone_source": "computer", "clock": "utc",
     "legs": {"left": {"file": "left.parquet", "fs_hz": 50.0, "device": "Polar Verity Sense",
                       "serial": "A0:...", "range_g": 8.0, "scale_g": null,
                       "clock_offset_s": 0.0, "clock_drift_ppm": 0.0, "notes": [],
                       "gaps": [{"start_s": ..., "end_s": ..., "cause": "disconnected", "detail": ""}]}},
     "meta": {...}}

``t_us`` is microseconds: Unix epoch when ``time_is_absolute`` is true, else from an arbitrary origin.
``timezone``/``timezone_source``/``clock`` are the :class:`Recording` fields (``lrm record`` stores the
computer's zone; absent in older manifests: unknown).
When ``scale_g`` is a number, x/y/z are int16 sensor counts and acceleration in g is ``counts * scale_g``
(sensors deliver int16; this keeps files small and exact). Otherwise x/y/z are float32 in g.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from lrm._version import __version__
from lrm.errors import InputError, OutputExistsError
from lrm.io.atomic import write_atomic, write_text_atomic
from lrm.io.format_tools import MAX_RATE_HZ
from lrm.io.plausibility import MAX_SAMPLES_PER_LEG
from lrm.io.recording import Gap, Leg, Recording
from lrm.io.recording_lock import check_not_recording

__all__ = ["MANIFEST", "FORMAT_NAME", "is_native", "read_native", "write_native"]

MANIFEST = "recording.json"
MIN_RATE_HZ = 0.1
"""Slowest stated rate read (Hz): below it a manifest's ``fs_hz`` is damage, not a sensor (lrm records 12.5-200 Hz)."""
FORMAT_NAME = "lrm-recording"
VERSION = 1


def is_native(path: str | os.PathLike[str]) -> bool:
    """True if ``path`` is a directory holding a complete native recording."""
    p = Path(path)
    return p.is_dir() and (p / MANIFEST).is_file()


def write_native(
    recording: Recording,
    night_dir: str | os.PathLike[str],
    *,
    scale_g: dict[str, float] | None = None,
) -> Path:
    """Write ``recording`` as a native recording directory and return its path.

    Parameters
    ----------
    recording : Recording
        The night to write.
    night_dir : path
        Target directory. It may exist (e.g. holding a BLE journal) but must not already hold a
        ``recording.json``: an existing recording is never overwritten.
    scale_g : dict, optional
        Per side, g per int16 count. Given for a side, its samples are stored as int16 counts
        ``round(accel_g / scale_g)`` (exact for data that came from int16 sensors).

    Raises
    ------
    OutputExistsError
        If ``night_dir`` already holds a recording.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    out = Path(night_dir)
    if (out / MANIFEST).exists():
        raise OutputExistsError(str(out / MANIFEST))
    out.mkdir(parents=True, exist_ok=True)
    legs_meta: dict[str, Any] = {}
    for side, leg in recording.legs.items():
        scale = (scale_g or {}).get(side)
        t_us = np.round(leg.t_s * 1e6).astype(np.int64)
        if scale:
            counts = np.clip(np.round(leg.accel_g / scale), -32768, 32767).astype(np.int16)
            cols = {"x": counts[:, 0], "y": counts[:, 1], "z": counts[:, 2]}
        else:
            acc = np.asarray(leg.accel_g, dtype=np.float32)
            cols = {"x": acc[:, 0], "y": acc[:, 1], "z": acc[:, 2]}
        table = pa.table({"t_us": t_us, **cols})
        encoding = {"t_us": "DELTA_BINARY_PACKED"} | ({a: "BYTE_STREAM_SPLIT" for a in "xyz"} if not scale else {})
        # an open file (lrm.io.atomic): a path is never parsed as a URI ("night:3"), a full disk names the file
        write_atomic(out / f"{side}.parquet", lambda fh, table=table, encoding=encoding: pq.write_table(
            table, fh, compression="zstd", compression_level=9, use_dictionary=False, column_encoding=encoding),
            binary=True)
        legs_meta[side] = {
            "file": f"{side}.parquet",
            "fs_hz": float(leg.fs_hz),
            "device": leg.device,
            "serial": leg.serial,
            "range_g": leg.range_g,
            "scale_g": float(scale) if scale else None,
            "clock_offset_s": float(leg.clock_offset_s),
            "clock_drift_ppm": float(leg.clock_drift_ppm),
            "notes": list(leg.notes),
            "gaps": [
                {"start_s": g.start_s, "end_s": g.end_s, "cause": g.cause, "detail": g.detail} for g in leg.gaps
            ],
        }
    manifest = {
        "format": FORMAT_NAME,
        "version": VERSION,
        "created_by": f"lrm {__version__}",
        "time_is_absolute": bool(recording.time_is_absolute),
        "subject": recording.subject,
        "timezone": recording.timezone,
        "timezone_source": recording.timezone_source,
        "clock": recording.clock,
        "legs": legs_meta,
        "meta": _jsonable(dict(recording.meta)),
    }
    write_text_atomic(out / MANIFEST, json.dumps(manifest, indent=2))   # last: the recording is complete
    return out


def read_native(night_dir: str | os.PathLike[str]) -> Recording:
    """Read a native recording directory (see the module docstring for the layout).

    Raises
    ------
    InputError
        If the manifest is missing, malformed, of another version, or a leg file is unreadable.
    """
    root = Path(night_dir)
    manifest_path = root / MANIFEST
    if not manifest_path.is_file():
        check_not_recording(root, "it can be analysed once the recorder has saved it")
        fix = "run 'lrm recover DIR' to rebuild it from the journal" if (root / "journal").is_dir() else (
            "pass a directory written by 'lrm record' or 'lrm simulate'"
        )
        raise InputError(str(root), "", f"no {MANIFEST} in this directory", fix)
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(str(manifest_path), "", f"not valid JSON ({exc})", "restore the file or re-run 'lrm recover'") from None
    if not isinstance(manifest, dict):
        raise InputError(str(manifest_path), "", "not an lrm recording manifest (a JSON object)", "pass an lrm recording directory")
    if manifest.get("format") != FORMAT_NAME:
        raise InputError(str(manifest_path), "field 'format'", f"expected {FORMAT_NAME!r}", "pass an lrm recording directory")
    if manifest.get("version") != VERSION:
        raise InputError(
            str(manifest_path), "field 'version'", f"version {manifest.get('version')!r} is not supported (this lrm reads {VERSION})",
            "upgrade lrm",
        )
    legs: dict[str, Leg] = {}
    entries, extra = manifest.get("legs") or {}, manifest.get("meta") or {}
    if not isinstance(entries, dict) or not isinstance(extra, dict):
        raise InputError(str(manifest_path), "fields 'legs', 'meta'", "not JSON objects", "restore the file or re-run 'lrm recover'")
    for side, meta in entries.items():
        try:
            legs[side] = _read_leg(root, side, meta)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:  # a damaged manifest entry
            raise InputError(str(manifest_path), f"legs.{side}", f"unusable leg entry ({exc.__class__.__name__}: {exc})",
                             "restore the file or re-run 'lrm recover'") from None
    if not legs:
        raise InputError(str(manifest_path), "field 'legs'", "the recording has no legs", "re-run 'lrm recover DIR'")
    return Recording(
        legs=legs,
        time_is_absolute=bool(manifest.get("time_is_absolute", True)),
        subject=str(manifest.get("subject", "")),
        meta={"format": FORMAT_NAME, **extra},
        **_zone(manifest, manifest_path),
    )


def _read_leg(root: Path, side: str, meta: Mapping[str, Any]) -> Leg:
    import pyarrow as pa
    import pyarrow.parquet as pq

    leg_path = root / str(meta["file"])
    fs_hz = float(meta["fs_hz"])
    if not (math.isfinite(fs_hz) and MIN_RATE_HZ <= fs_hz <= MAX_RATE_HZ):
        raise InputError(str(root / "recording.json"), f"legs.{side}.fs_hz", f"{fs_hz:g} Hz is not a sample rate "
                         f"(a sensor samples at {MIN_RATE_HZ:g}-{MAX_RATE_HZ:g} Hz)", "restore the file or re-run 'lrm recover'")
    if not leg_path.is_file():
        raise InputError(str(leg_path), "", f"the {side} leg's file is missing", "restore the file or re-run 'lrm recover'")
    scale = meta.get("scale_g")
    try:
        with pa.memory_map(str(leg_path)) as source:  # a local file: a path is never parsed as a URI ("night:3")
            parquet = pq.ParquetFile(source)
            rows, limit = parquet.metadata.num_rows, max(MAX_SAMPLES_PER_LEG, leg_path.stat().st_size)
            if rows > limit:  # before decompressing: sensor data takes >= 1 byte a sample, a bomb far less
                raise InputError(str(leg_path), "", f"{rows} samples in {leg_path.stat().st_size} bytes, more than "
                                 f"a recording holds ({limit}: one per byte, at least {MAX_SAMPLES_PER_LEG})",
                                 "restore the file or re-run 'lrm recover'")
            table = parquet.read(columns=["t_us", "x", "y", "z"])
        t_s = table.column("t_us").to_numpy().astype(np.float64)
        t_s *= 1e-6
        accel_g = np.empty((t_s.shape[0], 3), np.float32)   # filled per axis: no (n, 3) temporaries
        for j, axis in enumerate(("x", "y", "z")):
            accel_g[:, j] = table.column(axis).to_numpy()
        del table
    except InputError:
        raise
    except Exception as exc:  # pyarrow raises many types for a bad file
        raise InputError(str(leg_path), "", f"cannot read the {side} leg ({exc.__class__.__name__}: {exc})",
                         "restore the file or re-run 'lrm recover'") from None
    if scale:
        accel_g *= np.float32(scale)
    return Leg(
        side=side,
        t_s=t_s,
        accel_g=accel_g,
        fs_hz=fs_hz,
        device=str(meta.get("device", "")),
        serial=str(meta.get("serial", "")),
        range_g=None if meta.get("range_g") is None else float(meta["range_g"]),
        source=str(root),
        gaps=_gaps(meta.get("gaps") or [], t_s),
        clock_offset_s=float(meta.get("clock_offset_s", 0.0)),
        clock_drift_ppm=float(meta.get("clock_drift_ppm", 0.0)),
        notes=tuple(str(n) for n in meta.get("notes", [])),
    )


def _zone(manifest: Mapping[str, Any], path: Path) -> dict[str, Any]:
    zone, clock = manifest.get("timezone"), manifest.get("clock", "utc")
    if zone is not None:
        from lrm.io.timezones import normalize_tz

        try:
            zone = normalize_tz(str(zone))
        except ValueError:
            raise InputError(str(path), "field 'timezone'", f"unknown time zone {zone!r}",
                             "set an IANA name (Europe/Berlin), an offset (+02:00) or null") from None
    if clock not in ("utc", "local") or (clock == "local" and zone is not None):
        raise InputError(str(path), "field 'clock'", f"invalid clock {clock!r}", "use 'utc', or 'local' without a timezone")
    source = str(manifest.get("timezone_source") or ("file" if zone else "unknown"))
    return {"timezone": zone, "timezone_source": source, "clock": clock}


def _gaps(entries: list[Any], t_s: np.ndarray) -> tuple[Gap, ...]:
    """The manifest's gaps, each clipped to the leg's first-to-last sample (a damaged manifest's gap of 1e18 s
    would otherwise become the night's lost time); gaps that are empty or not finite there are dropped."""
    if not t_s.size:
        return ()
    first, last = float(t_s[0]), float(t_s[-1])
    out = []
    for g in entries:
        start, end = max(float(g["start_s"]), first), min(float(g["end_s"]), last)
        if np.isfinite(start) and np.isfinite(end) and end > start:
            out.append(Gap(start, end, str(g.get("cause", "missing")), str(g.get("detail", ""))))
    return tuple(out)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Mapping):  # dicts, and lazily computed ones (lrm.io.provenance.PendingDigests)
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return str(value)
