"""Sensor Logger app (iOS/Android, tszheichoi) accelerometer exports: a CSV, the export zip, or its folder.

Every stream is a CSV with the header ``time,seconds_elapsed,z,y,x`` (note the **z, y, x** order); ``time`` is
Unix nanoseconds (UTC). What a file holds is declared by its name (awesome-sensor-logger ``UNITS.md``,
``CROSSPLATFORM.md``), and lrm trusts it:

* ``TotalAcceleration.csv`` (Android): acceleration with gravity, m/s^2 (g = 9.80665 m/s^2). Read.
* ``AccelerometerUncalibrated.csv``: with gravity; iOS in g unless "Standardise Units & Frames" was on
  (``standardisation`` in ``Metadata.csv``), Android in m/s^2. Read; without ``Metadata.csv`` the unit is
  told from the gravity magnitude (1 vs 9.81), which is unambiguous with gravity in the signal.
* ``Accelerometer.csv``: acceleration **with gravity removed** (the OS's user acceleration), m/s^2, on both
  platforms. Refused: leg movements are scored on the signal with gravity (posture, the noise floor);
  the fix names the files that hold it. ``Gravity.csv`` (gravity alone) is refused too.
* Any other name (a renamed file): gravity-removed data are recognised physically (the mean over each
  minute vanishes, :func:`lrm.io.format_tools.gravity_removed`) and refused; otherwise the unit comes from
  the gravity magnitude.

``Metadata.csv`` (one header row, one row; read by column name) gives ``platform``, ``standardisation`` and
``recording timezone`` (the phone's zone at the start: the recording's zone). A zip export or its unpacked
folder is read from its ``TotalAcceleration.csv``, else ``AccelerometerUncalibrated.csv``.
"""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path, PurePosixPath

import numpy as np

from lrm.errors import InputError
from lrm.io.format_tools import column, gravity_removed, head_text, make_recording, read_table, resolve_zone, to_g
from lrm.io.recording import Recording

__all__ = ["sniff", "read", "sniff_dir", "read_dir", "sniff_zip", "DESCRIPTION"]

DESCRIPTION = "Sensor Logger app CSV 'time,seconds_elapsed,z,y,x', export zip or folder (ns Unix time; m/s^2 or g)"
HEADER = "time,seconds_elapsed,z,y,x"
G = 9.80665
WITH_GRAVITY = ("TotalAcceleration.csv", "AccelerometerUncalibrated.csv")
FIX_GRAVITY = ("export TotalAcceleration.csv (Android) or enable 'Accelerometer Uncalibrated' in Sensor Logger "
               "(both keep gravity) and give that file")


def sniff(head: bytes, suffix: str) -> bool:
    return head_text(head, 256).replace('"', "").startswith(HEADER)


def sniff_zip(names: list[str]) -> bool:
    base = {PurePosixPath(n).name for n in names}
    return "Metadata.csv" in base and bool(base & {"Accelerometer.csv", *WITH_GRAVITY})


def sniff_dir(path: Path) -> bool:
    return (path / "Metadata.csv").is_file() and any((path / n).is_file() for n in ("Accelerometer.csv", *WITH_GRAVITY))


def _metadata(text: str | None) -> dict[str, str]:
    if not text:
        return {}
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    if len(rows) < 2:
        return {}
    return {k.strip().lower(): v.strip() for k, v in zip(rows[0], rows[1])}


def _declared_unit(name: str, meta: dict[str, str], path: Path) -> str | None:
    """The unit the app declares for the stream in ``name``, None for an unknown (renamed) stream; refuses
    the streams without gravity."""
    if name == "TotalAcceleration.csv":
        return "m/s^2"
    if name == "AccelerometerUncalibrated.csv":
        platform, standard = meta.get("platform", "").lower(), meta.get("standardisation", "").lower()
        if platform == "android" or standard == "true":
            return "m/s^2"
        return "g" if platform == "ios" else None        # no Metadata.csv: told by the gravity magnitude
    if name == "Accelerometer.csv":
        raise InputError(str(path), "file", "Sensor Logger's Accelerometer.csv holds acceleration with gravity "
                         "removed (m/s^2), not the raw accelerometer lrm scores", FIX_GRAVITY)
    if name == "Gravity.csv":
        raise InputError(str(path), "file", "Sensor Logger's Gravity.csv holds the gravity vector alone, not the "
                         "accelerometer", FIX_GRAVITY)
    return None


def _build(path: Path, source: Path, name: str, meta: dict[str, str], options) -> Recording:  # noqa: ANN001
    import pyarrow as pa

    declared = _declared_unit(name, meta, path)
    table = read_table(source, columns=["time", "x", "y", "z"],
                       column_types={"time": pa.int64(), "x": pa.float64(), "y": pa.float64(), "z": pa.float64()})
    ns = column(table, "time", path, np.int64)
    t_s = (ns // 1000).astype(np.float64) / 1e6
    xyz = np.column_stack([column(table, a, path) for a in "xyz"])
    notes = ["columns reordered from z,y,x to x,y,z"]
    if declared is None:
        if gravity_removed(xyz):
            raise InputError(str(path), "columns x, y, z", "the acceleration has no gravity in it (its mean over "
                             "each minute is ~0: Sensor Logger's Accelerometer.csv, gravity removed)", FIX_GRAVITY)
        median = float(np.median(np.linalg.norm(xyz[:: max(1, len(xyz) // 20000)], axis=1)))
        declared = "g" if abs(median - 1.0) < abs(median - G) else "m/s^2"
        notes.append(f"unit {declared} from the gravity magnitude ({median:.3g}); the file name does not declare it")
    else:
        notes.append(f"{name}: {declared}, as Sensor Logger declares it")
    accel_g, unit = to_g(xyz, declared, path, options.units)
    t_s, zone, note = resolve_zone(path, t_s, options, stated=meta.get("recording timezone") or None, wall_clock=False)
    device = " ".join(x for x in ("Sensor Logger", meta.get("device name", ""), meta.get("platform", "")) if x)
    return make_recording(path, options, t_s=t_s, accel_g=accel_g, device=device, notes=[note, *notes], zone=zone,
                          meta={"units_in_file": unit, "sensor_logger_stream": name})


def read(path: Path, options) -> Recording:  # noqa: ANN001 - ReadOptions
    """Read a Sensor Logger CSV (its ``Metadata.csv`` beside it, if there) or export zip."""
    if zipfile.is_zipfile(path):
        return _read_zip(path, options)
    sibling = path.parent / "Metadata.csv"
    meta = _metadata(sibling.read_text("utf-8", "replace")) if sibling.is_file() else {}
    return _build(path, path, path.name, meta, options)


def read_dir(path: Path, options) -> Recording:  # noqa: ANN001 - ReadOptions
    """Read an unpacked Sensor Logger export folder: its raw accelerometer stream with gravity."""
    for name in WITH_GRAVITY:
        if (path / name).is_file():
            return read(path / name, options)
    return read(path / "Accelerometer.csv", options)        # refused with the fix


def _read_zip(path: Path, options) -> Recording:  # noqa: ANN001
    import tempfile

    with zipfile.ZipFile(path) as zf:
        by_name = {PurePosixPath(n).name: n for n in zf.namelist() if not n.endswith("/")}
        meta = _metadata(zf.read(by_name["Metadata.csv"]).decode("utf-8", "replace")) if "Metadata.csv" in by_name else {}
        name = next((n for n in (*WITH_GRAVITY, "Accelerometer.csv") if n in by_name), None)
        if name is None:
            raise InputError(str(path), "archive", "no accelerometer CSV inside", FIX_GRAVITY)
        _declared_unit(name, meta, path)                       # refuse before unpacking
        with tempfile.TemporaryDirectory(prefix="lrm-sensorlogger-") as tmp:
            target = Path(tmp) / name
            target.write_bytes(zf.read(by_name[name]))
            return _build(path, target, name, meta, options)
