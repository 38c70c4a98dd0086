"""The reader registry: sniff a file's content, pick its reader, return a :class:`Recording`.

Each format lives in its own module under ``lrm.io`` and exposes two functions:

* ``sniff(head: bytes, suffix: str) -> bool``: ``head`` is the first 64 KiB of the file, ``suffix`` its
  lower-case extension with the dot (``".csv"``). Cheap, never raises.
* ``read(path: Path, options: ReadOptions) -> Recording``: parse the file into a recording with one leg
  (``options.side``), or with both legs for formats that hold both. Raises :class:`InputError` with the
  line or field on bad content.

Formats are tried in :data:`FORMATS` order; the most permissive (generic CSV) comes last. Once one
matches, its errors reach the user unchanged. Modules are imported only when used.
"""

from __future__ import annotations

import importlib
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from lrm.errors import InputError, UnknownFormatError
from lrm.io.recording import Leg, Recording

__all__ = ["Format", "FORMATS", "ReadOptions", "format_names", "detect_format", "read_file", "read", "open_source"]

SNIFF_BYTES = 64 * 1024
Units = Literal["auto", "g", "mg", "m/s^2"]


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """Options every reader receives.

    side : which ankle the file is from (single-leg formats).
    units : acceleration unit; ``"auto"`` detects it from the gravity magnitude.
    start_s : Unix epoch seconds of the first sample, for files whose time column is relative seconds.
    mapping : format-specific settings (e.g. the generic-CSV column mapping), or None.
    """

    side: Literal["left", "right"] = "left"
    units: Units = "auto"
    start_s: float | None = None
    mapping: Any = None


@dataclass(frozen=True, slots=True)
class Format:
    """A registered format: its name (as ``lrm formats`` lists it), module and one-line description."""

    name: str
    module: str
    description: str
    is_directory: bool = False

    def load(self) -> Any:
        return importlib.import_module(self.module)


FORMATS: tuple[Format, ...] = (
    Format("lrm-recording", "lrm.io.native_format", "lrm native recording directory (lrm record / lrm simulate)", True),
    Format("phyphox-folder", "lrm.io.phyphox", "unpacked phyphox export folder (CSV + meta/time.csv)", True),
    Format("polar-sensor-logger", "lrm.io.polar_sensor_logger", "Polar Sensor Logger ACC export (*_ACC.txt; ';', mg, sensor ns time)"),
    Format("metabase", "lrm.io.metabase", "MetaBase CSV (mbientlab), Android/Hub and iOS/macOS variants; g"),
    Format("sensor-logger", "lrm.io.sensor_logger", "Sensor Logger app CSV 'time,seconds_elapsed,z,y,x' (ns Unix time; m/s^2)"),
    Format("phyphox", "lrm.io.phyphox", "phyphox 'Acceleration with g' CSV or export zip (relative s + meta/time.csv)"),
    Format("actigraph-csv", "lrm.io.actigraph_csv", "ActiGraph ActiLife raw CSV (10-line header; date format, rate from line 1)"),
    Format("actigraph-gt3x", "lrm.io.actigraph_gt3x", "ActiGraph .gt3x (log.bin or NHANES-style activity.bin)"),
    Format("axivity-cwa", "lrm.io.axivity_cwa", "Axivity AX3/AX6 .cwa binary"),
    Format("axivity-csv", "lrm.io.axivity_csv", "Axivity OmGui/cwa-convert CSV (no header) or omconvert -csv"),
    Format("geneactiv-bin", "lrm.io.geneactiv_bin", "GENEActiv .bin (hex pages, calibrated to g)"),
    Format("geneactiv-csv", "lrm.io.geneactiv_csv", "GENEActiv PC software CSV (100-line header)"),
    Format("movesense-json", "lrm.io.movesense_json", "Movesense Showcase JSON ('ArrayAcc' packets; m/s^2)"),
    Format("witmotion-txt", "lrm.io.witmotion_txt", "WitMotion record (tab/space columns 'ax(g) ay(g) az(g)')"),
    Format("generic-csv", "lrm.io.generic_csv", "CSV with a header 'time,x,y,z' (g or m/s^2; epoch, ISO 8601 or relative time)"),
)


def format_names() -> tuple[str, ...]:
    return tuple(f.name for f in FORMATS)


def _by_name(name: str) -> Format:
    for fmt in FORMATS:
        if fmt.name == name:
            return fmt
    raise ValueError(f"unknown format {name!r}; known: {', '.join(format_names())}")


def detect_format(path: str | os.PathLike[str]) -> Format:
    """Return the first registered format whose sniffer accepts ``path``.

    Raises
    ------
    InputError
        If the path does not exist or is empty.
    UnknownFormatError
        If no format matches; it lists every format tried.
    """
    p = Path(path)
    if not p.exists():
        raise InputError(str(p), "", "no such file or directory", "check the path")
    if p.is_dir():
        for fmt in FORMATS:
            if fmt.is_directory and fmt.load().sniff_dir(p):
                return fmt
        raise UnknownFormatError(str(p), [f.name for f in FORMATS if f.is_directory])
    try:
        with p.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError as exc:
        raise InputError(str(p), "", f"cannot open the file ({exc.strerror})", "check its permissions") from None
    if not head:
        raise InputError(str(p), "", "the file is empty", "export the recording again")
    suffix = p.suffix.lower()
    for fmt in FORMATS:
        if not fmt.is_directory and fmt.load().sniff(head, suffix):
            return fmt
    raise UnknownFormatError(str(p), [f.name for f in FORMATS if not f.is_directory])


def read_file(path: str | os.PathLike[str], options: ReadOptions = ReadOptions(), *, format: str = "auto",
              digest: bool = True) -> Recording:
    """Read one file or recording directory with the detected (or named) format.

    ``meta["input_files"]`` maps the input (its leg, or ``"recording"``) to its path, size and SHA-256,
    hashed in the background once the file is parsed (:class:`lrm.io.provenance.PendingDigests`); with
    ``digest=False`` it is left out (:func:`read` hashes both legs' files after parsing both).
    """
    fmt = detect_format(path) if format == "auto" else _by_name(format)
    module = fmt.load()
    rec: Recording = module.read_dir(Path(path), options) if fmt.is_directory else module.read(Path(path), options)
    meta = {"format": fmt.name, **dict(rec.meta)}
    if digest:
        from lrm.io.provenance import PendingDigests

        meta["input_files"] = PendingDigests.start({_input_key(fmt, rec): path})
    return replace(rec, meta=meta)


def open_source(path: str | os.PathLike[str], options: ReadOptions = ReadOptions(), *, format: str = "auto") -> Any:
    """One file opened for reading window by window (:class:`lrm.io.leg_source.LegSource`): the binary device
    formats index their blocks and decode a window at a time; every other format is read whole and sliced."""
    from lrm.io.leg_source import MemoryLegSource

    fmt = detect_format(path) if format == "auto" else _by_name(format)
    module = fmt.load()
    if hasattr(module, "open_source"):
        return module.open_source(Path(path), options)
    return MemoryLegSource(read_file(path, options, format=fmt.name, digest=False))


def _input_key(fmt: Format, rec: Recording) -> str:
    return "recording" if fmt.is_directory or len(rec.legs) > 1 else next(iter(rec.legs))


def read(
    path: str | os.PathLike[str] | None = None,
    *,
    left: str | os.PathLike[str] | None = None,
    right: str | os.PathLike[str] | None = None,
    side: Literal["left", "right"] | None = None,
    format: str = "auto",
    units: Units = "auto",
    start_s: float | None = None,
    mapping: Any = None,
) -> Recording:
    """Read a night: one file or recording directory (``path``), or one file per ankle (``left``/``right``).

    Parameters
    ----------
    path : path, optional
        A recording directory or a file. A single-leg file needs ``side``.
    left, right : path, optional
        One single-leg file per ankle; they are combined into one two-leg recording.
    side : {"left", "right"}, optional
        Which ankle ``path`` is from (single-leg formats; default ``"left"``).
    format : str
        A name from :data:`FORMATS`, or ``"auto"`` to sniff the content.
    units : {"auto", "g", "mg", "m/s^2"}
        Acceleration unit override; ``"auto"`` detects it from the gravity magnitude.
    start_s : float, optional
        Unix epoch seconds of the first sample, for files with relative time.
    mapping : optional
        Format-specific settings (the generic-CSV mapping).

    Returns
    -------
    Recording
        Acceleration in g, sample times in s.
    """
    if path is not None and (left is not None or right is not None):
        raise ValueError("give either path or left/right, not both")
    if path is None and left is None and right is None:
        raise ValueError("give a path, or left and/or right")
    if path is not None:
        return read_file(path, ReadOptions(side=side or "left", units=units, start_s=start_s, mapping=mapping), format=format)
    parts, paths = [], {}
    for leg_side, leg_path in (("left", left), ("right", right)):
        if leg_path is not None:
            opts = ReadOptions(side=leg_side, units=units, start_s=start_s, mapping=mapping)
            parts.append(read_file(leg_path, opts, format=format, digest=False))
            paths[next(iter(parts[-1].legs))] = leg_path
    combined = combine(parts)
    from lrm.io.provenance import PendingDigests

    # both files parsed: hash them now, in the background (the parser no longer needs the cores)
    return replace(combined, meta={**dict(combined.meta), "input_files": PendingDigests.start(paths)})


def combine(recordings: list[Recording]) -> Recording:
    """Merge single-leg recordings into one; the sides must differ and share a time base."""
    legs: dict[str, Leg] = {}
    for rec in recordings:
        for leg_side, leg in rec.legs.items():
            if leg_side in legs:
                raise InputError(leg.source, "", f"a second {leg_side} leg", "give one file per ankle")
            legs[leg_side] = leg
    absolute = {rec.time_is_absolute for rec in recordings}
    if len(absolute) > 1:
        src = next(l.source for r in recordings if not r.time_is_absolute for l in r.legs.values())
        raise InputError(src, "time column", "relative times cannot be aligned with the other leg's absolute times",
                         "pass --start with the Unix time (or ISO 8601) of this file's first sample")
    meta: dict[str, object] = {}
    files: dict[str, object] = {}
    for rec in recordings:
        files.update(rec.meta.get("input_files") or {})
        for key, value in rec.meta.items():
            meta.setdefault(key, value)
    meta["input_files"] = files
    meta["sources"] = {leg.side: leg.source for leg in legs.values()}
    subject = next((r.subject for r in recordings if r.subject), "")
    return Recording(legs=dict(sorted(legs.items())), time_is_absolute=absolute.pop(), subject=subject, meta=meta)
