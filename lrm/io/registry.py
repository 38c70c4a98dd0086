"""The reader registry: sniff a file's content, pick its reader, return a :class:`Recording`.

Each format lives in its own module under ``lrm.io`` and exposes two functions:

* ``sniff(head: bytes, suffix: str) -> bool``: ``head`` is the first 64 KiB of the file, ``suffix`` its
  lower-case extension with the dot (``".csv"``). Cheap, never raises. Formats packed as zip archives may
  also define ``sniff_zip(names: list[str]) -> bool`` on the archive's member names (the central directory
  sits at the end of a zip, out of ``head``'s reach); it is asked first.
* ``read(path: Path, options: ReadOptions) -> Recording``: parse the file into a recording with one leg
  (``options.side``), or with both legs for formats that hold both. Raises :class:`InputError` with the
  line or field on bad content.
* optionally ``read_ahead(path, options) -> ReadAhead``: start ``read`` with its parse in a background thread;
  :func:`read` starts the second leg's file this way while it reads the first (generic CSV: the parser
  releases the GIL, so the first file's checks and copies overlap the second's parse).

Formats are tried in :data:`FORMATS` order; the most permissive (generic CSV) comes last. Once one
matches, its errors reach the user unchanged. Modules are imported only when used.
"""

from __future__ import annotations

import importlib
import os
import re
import threading
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from lrm.errors import InputError, LrmError, LrmWarning, UnknownFormatError
from lrm.io.paths import input_path
from lrm.io.plausibility import check_span, screen_times
from lrm.io.recording import READ_WARNINGS, Leg, Recording

__all__ = ["Format", "FORMATS", "ReadOptions", "ReadAhead", "format_names", "detect_format", "read_file", "read", "side_from_text",
           "SideUnknownError", "open_source"]

SNIFF_BYTES = 64 * 1024
Units = Literal["auto", "g", "mg", "m/s^2"]


@dataclass(frozen=True, slots=True)
class ReadOptions:
    """Options every reader receives.

    side : which ankle the file is from (single-leg formats).
    units : acceleration unit; ``"auto"`` detects it from the gravity magnitude.
    start_s : Unix epoch seconds of the first sample, for files whose time column is relative seconds.
    mapping : format-specific settings (e.g. the generic-CSV column mapping), or None.
    tz : the time zone where the night was recorded (``--tz``: IANA name or +-HH:MM) for files that do not
        state theirs; local wall-clock times are converted to UTC with it (lrm.io.format_tools.resolve_zone).
    """

    side: Literal["left", "right"] = "left"
    units: Units = "auto"
    start_s: float | None = None
    mapping: Any = None
    tz: str | None = None


class ReadAhead:
    """A read started before its turn (a format's ``read_ahead``): its parse runs in a background thread.

    :meth:`result` finishes the read in the calling thread and returns its :class:`Recording` (or raises its
    error): the warnings and errors of ``read``, in the same order. :meth:`wait` waits for the background parse
    without finishing (a read given up because another failed: no parser is left running in a process that
    may be about to exit).
    """

    __slots__ = ("_finish", "_thread")

    def __init__(self, finish: Callable[[], Recording], thread: threading.Thread | None = None) -> None:
        self._finish, self._thread = finish, thread

    def result(self) -> Recording:
        return self._finish()

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()


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
    Format("sensor-logger-folder", "lrm.io.sensor_logger", "unpacked Sensor Logger export folder (Metadata.csv + "
           "TotalAcceleration.csv or AccelerometerUncalibrated.csv)", True),
    Format("polar-sensor-logger", "lrm.io.polar_sensor_logger", "Polar Sensor Logger ACC export (*_ACC.txt; ';', mg, sensor ns time)"),
    Format("metabase", "lrm.io.metabase", "MetaBase CSV (mbientlab), Android/Hub and iOS/macOS variants; g"),
    Format("sensor-logger", "lrm.io.sensor_logger", "Sensor Logger app CSV 'time,seconds_elapsed,z,y,x' or export zip "
           "(ns Unix time; m/s^2 or g; gravity-removed Accelerometer.csv refused)"),
    Format("phyphox", "lrm.io.phyphox", "phyphox accelerometer CSV or export zip (quoted header, scientific numbers; "
           "relative s + meta/time.csv)"),
    Format("actigraph-csv", "lrm.io.actigraph_csv", "ActiGraph ActiLife raw CSV (10-line header; date format, rate from line 1)"),
    Format("actigraph-gt3x", "lrm.io.actigraph_gt3x", "ActiGraph .gt3x (log.bin or NHANES-style activity.bin)"),
    Format("axivity-cwa", "lrm.io.axivity_cwa", "Axivity AX3/AX6 .cwa binary"),
    Format("axivity-csv", "lrm.io.axivity_csv", "Axivity OmGui/cwa-convert CSV (no header) or omconvert -csv"),
    Format("geneactiv-bin", "lrm.io.geneactiv_bin", "GENEActiv .bin (hex pages, calibrated to g)"),
    Format("geneactiv-csv", "lrm.io.geneactiv_csv", "GENEActiv PC software CSV (100-line header)"),
    Format("edf", "lrm.io.edf_accel", "EDF/EDF+ with accelerometer channels in g (lrm export --edf round-trips; "
           "start in local time, lrm-tz= zone)"),
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
    raise LrmError(f"--format {name}: unknown format. Fix: use one of {', '.join(format_names())} "
                   "(see 'lrm formats'), or auto to recognise it from the content")


def _directory_hint(directory: Path) -> str:
    """The fix for a directory given where a recording was expected: the exact options when its files name one
    left and one right ankle (as ``lrm simulate`` writes them), else the general form."""
    named: dict[str, list[Path]] = {"left": [], "right": []}
    try:
        files = sorted(f for f in directory.iterdir() if f.is_file() and not f.name.startswith("."))
    except OSError:
        files = []
    for f in files[:1000]:
        side = side_from_text(f.stem)
        if side is not None:
            named[side].append(f)
    if len(named["left"]) == 1 and len(named["right"]) == 1:
        return f"give the accelerometer files in it: --left {named['left'][0]} --right {named['right'][0]}"
    return "give the accelerometer files in it (--left/--right FILE, or FILE --side)"


def detect_format(path: str | os.PathLike[str]) -> Format:
    """Return the first registered format whose sniffer accepts ``path``.

    Raises
    ------
    InputError
        If the path does not exist or is empty.
    UnknownFormatError
        If no format matches; it lists every format tried.
    """
    p = input_path(path)  # never opens a FIFO or device: it would block forever
    if p.is_dir():
        for fmt in FORMATS:
            if fmt.is_directory and fmt.load().sniff_dir(p):
                return fmt
        raise UnknownFormatError(str(p), [f.name for f in FORMATS if f.is_directory],
                                 "a directory that is no recording (no recording.json from lrm record or lrm simulate "
                                 "--native, no phyphox or Sensor Logger export)", _directory_hint(p))
    try:
        with p.open("rb") as fh:
            head = fh.read(SNIFF_BYTES)
    except OSError as exc:
        raise InputError(str(p), "", f"cannot open the file ({exc.strerror})", "check its permissions") from None
    if not head:
        raise InputError(str(p), "", "the file is empty", "export the recording again")
    suffix = p.suffix.lower()
    if head.startswith(b"PK\x03\x04"):
        names = _zip_names(p)
        for fmt in FORMATS:
            module = fmt.load() if not fmt.is_directory else None
            if names and module is not None and hasattr(module, "sniff_zip") and module.sniff_zip(names):
                return fmt
    for fmt in FORMATS:
        if not fmt.is_directory and fmt.load().sniff(head, suffix):
            return fmt
    raise UnknownFormatError(str(p), [f.name for f in FORMATS if not f.is_directory], *_unknown_hint(p, head))


def _unknown_hint(p: Path, head: bytes) -> tuple[str, str]:
    """What an unrecognised file looks like instead, and the fix ("", "" when nothing better can be said): a
    gzip or zip archive, or a CSV whose header lacks a time or axis column, or that lrm skipped for its name."""
    if head.startswith(b"\x1f\x8b"):
        return "it is gzip-compressed", f"decompress it first (gunzip {p.name}) and give the file inside"
    if head.startswith(b"PK\x03\x04"):
        return ("it is a zip archive of no format lrm reads (a spreadsheet?)",
                "unpack it, or save the sheet as CSV with a first line naming its columns time,x,y,z")
    generic = next((f.load() for f in FORMATS if f.name == "generic-csv"), None)   # loaded as the sniff loads it
    missing, names = generic.header_roles(head) if generic is not None else ([], [])
    if not names:
        return "", ""
    shown = ", ".join(n for n in names[:12] if n)
    if missing:
        role = missing[0]
        return (f"line 1 (header): no {'time' if role == 'time' else role + '-axis'} column (columns: {shown})",
                "name the columns time,x,y,z in the first line, or pass --format if it is an export 'lrm formats' "
                "lists")
    return (f"a CSV header naming time,x,y,z, but lrm reads such CSVs only from files named .csv, .txt, .tsv or "
            f".dat, not {p.suffix or 'a name without an extension'}", "rename it to end in .csv")


def _zip_names(path: Path) -> list[str]:
    import zipfile

    try:
        with zipfile.ZipFile(path) as zf:
            return zf.namelist()
    except (zipfile.BadZipFile, OSError, ValueError):
        return []


def read_file(path: str | os.PathLike[str], options: ReadOptions = ReadOptions(), *, format: str = "auto",
              digest: bool = True) -> Recording:
    """Read one file or recording directory with the detected (or named) format.

    ``meta["input_files"]`` maps the input (its leg, or ``"recording"``) to its path, size and SHA-256,
    hashed in the background once the file is parsed (:class:`lrm.io.provenance.PendingDigests`); with
    ``digest=False`` it is left out (:func:`read` hashes both legs' files after parsing both).
    """
    fmt = detect_format(path) if format == "auto" else _by_name(format)
    return _read_as(fmt, path, options, digest)


def _read_as(fmt: Format, path: str | os.PathLike[str], options: ReadOptions, digest: bool,
             ahead: ReadAhead | None = None) -> Recording:
    """:func:`read_file` once the format is known; ``ahead``: the read already started by the format's ``read_ahead``."""
    input_path(path, directory_ok=fmt.is_directory)
    module = fmt.load()
    if ahead is not None:
        rec: Recording = ahead.result()
    else:
        rec = module.read_dir(Path(path), options) if fmt.is_directory else module.read(Path(path), options)
    rec = screen_recording(_settle_zone(rec, options, Path(path)))
    meta = {"format": fmt.name, **dict(rec.meta)}
    if digest:
        from lrm.io.provenance import PendingDigests

        meta["input_files"] = PendingDigests.start({_input_key(fmt, rec): path})
    return replace(rec, meta=meta)


def _start_ahead(path: str | os.PathLike[str], options: ReadOptions, format: str) -> tuple[Format, ReadAhead] | None:
    """The file's read started ahead, if its format can (``read_ahead``); None otherwise, and for a file refused
    before its parse (missing, unknown format): its error is raised in its turn, by :func:`read_file`."""
    try:
        fmt = detect_format(path) if format == "auto" else _by_name(format)
        input_path(path, directory_ok=fmt.is_directory)
        module = fmt.load()
    except Exception:  # noqa: BLE001 - raised again when the file's turn comes
        return None
    if fmt.is_directory or not hasattr(module, "read_ahead"):
        return None
    return fmt, module.read_ahead(Path(path), options)


def _settle_zone(rec: Recording, options: ReadOptions, path: Path) -> Recording:
    """Zone fields for readers that still describe their times in ``meta["timezone"]`` (the device readers):
    ``"local (unknown offset)"`` = local wall clock kept as if UTC; any other text = the zone the file states,
    with which the times were already converted to UTC (lrm.io.format_tools.resolve_zone does the rest)."""
    text = rec.meta.get("timezone")
    if rec.timezone is not None or rec.clock != "utc" or not isinstance(text, str) or not rec.time_is_absolute:
        return rec
    from lrm.io.format_tools import LOCAL_AS_UTC, resolve_zone, stated_offset

    wall = text.startswith("local")
    legs, zone = {}, {}
    for side, leg in rec.legs.items():
        t_s, zone, note = resolve_zone(path, leg.t_s, options, stated=None if wall else stated_offset(text),
                                       wall_clock=wall)
        if wall:   # the reader's note said "stored as if UTC": say what was done instead
            notes = (note, *(n for n in leg.notes if not (n.startswith("time: ") and ("as if UTC" in n or LOCAL_AS_UTC in n))))
        else:      # the reader's note already says which offset converted the times
            notes = leg.notes
        legs[side] = _shift_leg(leg, float(t_s[0] - leg.t_s[0]), notes) if leg.n_samples else leg
    meta = {k: v for k, v in rec.meta.items() if k != "timezone"}
    return replace(rec, legs=legs, meta=meta, **zone)


def _shift_leg(leg: Leg, shift_s: float, notes: tuple[str, ...]) -> Leg:
    """``leg`` with its times, and every interval it carries (gaps, filled stretches), shifted by ``shift_s``."""
    from dataclasses import fields

    from lrm.io.recording import Gap

    changes: dict[str, object] = {"t_s": leg.t_s + shift_s if shift_s else leg.t_s, "notes": notes}
    for f in fields(leg):
        value = getattr(leg, f.name)
        if shift_s and isinstance(value, tuple) and value and all(isinstance(g, Gap) for g in value):
            changes[f.name] = tuple(replace(g, start_s=g.start_s + shift_s, end_s=g.end_s + shift_s) for g in value)
    return replace(leg, **changes)


def open_source(path: str | os.PathLike[str], options: ReadOptions = ReadOptions(), *, format: str = "auto") -> Any:
    """One file opened for reading window by window (:class:`lrm.io.leg_source.LegSource`): the binary device
    formats index their blocks and decode a window at a time; every other format is read whole and sliced."""
    from lrm.io.leg_source import MemoryLegSource

    fmt = detect_format(path) if format == "auto" else _by_name(format)
    module = fmt.load()
    if hasattr(module, "open_source"):  # an index of block times: a corrupt one must not size the nights
        source = module.open_source(Path(input_path(path, directory_ok=fmt.is_directory)), options)
        check_span(source.start_s, source.end_s, source=str(path))
        return source
    return MemoryLegSource(read_file(path, options, format=fmt.name, digest=False))


def screen_recording(rec: Recording) -> Recording:
    """Every leg's times screened for outliers and implausible spans (:func:`lrm.io.plausibility.screen_times`).

    Readers that know their lines screen as they read (``make_recording``); this is the check every reader
    passes through, so that no format can hand the analysis a sample years away from the others.
    """
    legs = dict(rec.legs)
    for side, leg in rec.legs.items():
        screen = screen_times(leg.t_s, source=leg.source or side, absolute=rec.time_is_absolute)
        if screen.keep is not None:
            legs[side] = replace(leg, t_s=leg.t_s[screen.keep], accel_g=leg.accel_g[screen.keep],
                                 notes=leg.notes + screen.notes)
    return rec if all(legs[s] is rec.legs[s] for s in legs) else replace(rec, legs=legs)


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
    tz: str | None = None,
    ask_side: Callable[[str], str] | None = None,
) -> Recording:
    """Read a night: one file or recording directory (``path``), or one file per ankle (``left``/``right``).

    Parameters
    ----------
    path : path, optional
        A recording directory or a file. A single-leg file needs its side (``side``, else found below).
    left, right : path, optional
        One single-leg file per ankle; they are combined into one two-leg recording.
    side : {"left", "right"}, optional
        Which ankle ``path`` is from. Without it, the side is taken from the file name (``night1_left.csv``,
        ``R_ankle.cwa``) or the file's own metadata (GENEActiv ``Device Location Code``, ActiLife ``Limb``),
        else ``ask_side(path)`` is asked (the CLI prompts), else :class:`SideUnknownError` is raised: lrm never
        guesses a leg.
    format : str
        A name from :data:`FORMATS`, or ``"auto"`` to sniff the content.
    units : {"auto", "g", "mg", "m/s^2"}
        Acceleration unit override; ``"auto"`` detects it from the gravity magnitude.
    start_s : float, optional
        Unix epoch seconds of the first sample, for files with relative time.
    mapping : optional
        Format-specific settings (the generic-CSV mapping).
    tz : str, optional
        Time zone of the night (IANA name or +-HH:MM) for files that do not state theirs.
    ask_side : callable, optional
        Called with the path when the side of a single-leg file cannot be found; returns "left" or "right".

    Returns
    -------
    Recording
        Acceleration in g, sample times in s.
    """
    if path is not None and (left is not None or right is not None):
        raise ValueError("give either path or left/right, not both")
    if path is None and left is None and right is None:
        raise ValueError("give a path, or left and/or right")
    if tz is not None:
        from lrm.io.timezones import TZ_FIX, normalize_tz

        try:
            tz = normalize_tz(tz)
        except ValueError as exc:
            raise InputError("--tz", "", str(exc), TZ_FIX) from None
    if path is not None:
        rec = read_file(path, ReadOptions(side=side or "left", units=units, start_s=start_s, mapping=mapping, tz=tz),
                        format=format)
        if side is not None or len(rec.legs) != 1 or rec.meta.get("format") == "lrm-recording":
            return rec                          # a native recording names its legs itself
        return _with_found_side(rec, str(path), ask_side)
    if left is not None and right is not None and _same_file(left, right):
        raise InputError(str(right), "--right", f"the same file as --left ({left}): every movement would count as "
                         "bilateral", "give each ankle's own recording (or one file with --side)")
    swapped = []
    for given, leg_path in (("left", left), ("right", right)):
        named = side_from_text(Path(leg_path).name) if leg_path is not None else None
        if named is not None and named != given:   # lrm cannot know which is true: it keeps the option and says so
            swapped.append(f"{leg_path}: given as the {given} ankle (--{given}), but its name says {named}: check the "
                           "two ankles are not swapped (the left/right counts would be)")
            warnings.warn(swapped[-1], LrmWarning, stacklevel=2)
    legs = [(s, p, ReadOptions(side=s, units=units, start_s=start_s, mapping=mapping, tz=tz))
            for s, p in (("left", left), ("right", right)) if p is not None]
    # two files: the second is parsed in the background while the first is read (formats that can read ahead)
    ahead = _start_ahead(legs[1][1], legs[1][2], format) if len(legs) == 2 else None
    parts, paths = [], {}
    try:
        for i, (_, leg_path, opts) in enumerate(legs):
            if i == 1 and ahead is not None:
                parts.append(_read_as(ahead[0], leg_path, opts, False, ahead[1]))
            else:
                parts.append(read_file(leg_path, opts, format=format, digest=False))
            paths[next(iter(parts[-1].legs))] = leg_path
    except BaseException:
        if ahead is not None:
            ahead[1].wait()
        raise
    if ahead is not None:  # two parses overlapped: their pool's high-water mark (~60 MB more) goes back to the OS
        import pyarrow

        pyarrow.default_memory_pool().release_unused()
    combined = combine(parts)
    from lrm.io.provenance import PendingDigests

    # both files parsed: hash them now, in the background (the parser no longer needs the cores)
    meta = {**dict(combined.meta), "input_files": PendingDigests.start(paths)}
    if swapped:   # the analysis lists them with the night's warnings (summary.json, the report)
        meta[READ_WARNINGS] = tuple(swapped)
    return replace(combined, meta=meta)


class SideUnknownError(InputError):
    """A single-leg file whose ankle is given nowhere (no ``--side``, nothing in its name or metadata)."""

    def __init__(self, path: str) -> None:
        super().__init__(path, "side", "which ankle this file is from is not stated (not in its name nor its "
                         "metadata)", "pass --side left or --side right")


_LEFT = ("left", "l", "lt", "links", "gauche", "izquierda", "izq", "sinistra", "sx", "lankle")
_RIGHT = ("right", "r", "rt", "rechts", "droite", "derecha", "destra", "dx", "rankle")


def side_from_text(text: str) -> str | None:
    """The ankle a file name or a location field names, or None (none, or both).

    >>> [side_from_text(t) for t in ("night1_L.csv", "RightAnkle.cwa", "p01-left-ankle", "left wrist", "data.csv",
    ...                                "copyright_bright.csv", "Limb: Waist", "L_and_R.csv")]
    ['left', 'right', 'left', 'left', None, None, None, None]
    """
    words = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)                 # camelCase -> camel Case
    tokens = [t for t in re.split(r"[^a-z0-9]+", words.lower()) if t]
    found = {"left" for t in tokens if t in _LEFT or (len(t) > 4 and t.startswith("left"))}
    found |= {"right" for t in tokens if t in _RIGHT or (len(t) > 5 and t.startswith("right"))}
    return found.pop() if len(found) == 1 else None


def _with_found_side(rec: Recording, path: str, ask_side: Callable[[str], str] | None) -> Recording:
    """The single leg of ``rec`` on the side its file name or metadata names, else asked, else an error."""
    how = ""
    side = side_from_text(Path(path).name)
    if side is not None:
        how = "from the file name"
    else:
        location = str(rec.meta.get("location") or "")
        side = side_from_text(location) if location else None
        how = f"from the file's location field {location!r}" if side else ""
    if side is None and ask_side is not None:
        side, how = ask_side(path), "as answered"
    if side not in ("left", "right"):
        raise SideUnknownError(path)
    leg = next(iter(rec.legs.values()))
    if leg.side != side or how:
        leg = replace(leg, side=side, notes=(*leg.notes, f"{side} ankle ({how})"))
    return replace(rec, legs={side: leg})


def _same_file(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:  # a missing file: reported by its reader
        return False


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
    if len(legs) == 2:
        import numpy as np

        a, b = legs.values()
        if a.n_samples == b.n_samples and np.array_equal(a.t_s, b.t_s) and np.array_equal(a.accel_g, b.accel_g):
            warnings.warn(f"{b.source}: holds exactly the samples of {a.source}: one ankle's recording given twice? "
                          "Every movement will count as bilateral", LrmWarning, stacklevel=3)
    subject = next((r.subject for r in recordings if r.subject), "")
    legs, zone = _one_zone(recordings, legs)
    return Recording(legs=dict(sorted(legs.items())), time_is_absolute=absolute.pop(), subject=subject, meta=meta,
                     **zone)


def _one_zone(recordings: list[Recording], legs: dict[str, Leg]) -> tuple[dict[str, Leg], dict[str, object]]:
    """One night, one place: the zone of the legs that know it. A leg whose file held local wall-clock times
    without a zone is converted to UTC with the other leg's zone; two files stating different zones keep
    the first (with a warning)."""
    known = [r for r in recordings if r.timezone is not None]
    if not known:
        clocks = {r.clock for r in recordings if r.time_is_absolute}
        if len(clocks) > 1:
            src = next(l.source for r in recordings if r.clock == "local" for l in r.legs.values())
            raise InputError(src, "time", "local wall-clock times without a time zone cannot be aligned with the "
                             "other leg's UTC times", "pass --tz with the time zone where the night was recorded")
        return legs, {"timezone": None, "timezone_source": "unknown", "clock": clocks.pop() if clocks else "utc"}
    first = known[0]
    names = {r.timezone for r in known}
    if len(names) > 1:
        import warnings

        from lrm.errors import LrmWarning

        warnings.warn(f"the legs' files state different time zones ({', '.join(sorted(map(str, names)))}); "
                      f"times are shown in {first.timezone}", LrmWarning, stacklevel=3)
    for rec in recordings:
        if rec.clock == "local" and rec.time_is_absolute:
            from lrm.io.timezones import wall_to_utc

            for side in rec.legs:
                leg = legs[side]
                shift = wall_to_utc(float(leg.t_s[0]), str(first.timezone))
                legs[side] = _shift_leg(leg, -shift, (*leg.notes, (
                    f"time: local wall clock converted to UTC with the other leg's time zone {first.timezone}")))
    return legs, {"timezone": first.timezone, "timezone_source": first.timezone_source, "clock": "utc"}
