"""Find the nights of a cohort: folders and globs by a naming rule, or a manifest CSV.

The naming rule
---------------
A *night* is one recording: one file per ankle, or one recording directory. ``find_nights`` accepts
folders, files and glob patterns (``"data/**/*.csv"``, quoted so the shell leaves them alone) and finds:

1. **A native recording directory** (it holds ``recording.json``, written by ``lrm record`` or
   ``lrm simulate --native``). Night id: the directory name.
2. **A night folder**: a folder holding ``left.<ext>`` and/or ``right.<ext>`` (``L``/``R`` also work),
   as ``lrm simulate`` writes them. Night id: the folder name.
3. **Paired files** ``<night>_left.<ext>`` and ``<night>_right.<ext>`` in the same folder. The separator
   may be ``_``, ``-``, ``.`` or a space; the side may be ``left``/``right``, ``L``/``R`` (any case):
   ``s01_n1_left.csv``, ``S01-L.csv``, ``p3.R.txt``. Night id: ``<night>``. A night with only one of the
   two files is analysed as a one-leg night.

A hypnogram next to the data is picked up too: ``<night>_hypnogram.<ext>`` (or ``_hypno``) for paired
files, ``hypnogram.<ext>`` inside a night folder.

Folders are searched recursively; a folder that is a night is not searched further, and folders that
hold lrm outputs (``summary.json``) or start with ``.`` are skipped. Files that fit no rule are listed in
:attr:`Discovery.skipped` with the reason, so nothing is silently ignored.

The manifest
------------
A CSV file whose header starts with ``night_id`` lists the nights explicitly::

    night_id,left,right,hypnogram
    s01_n1,raw/s01/night1_L.csv,raw/s01/night1_R.csv,scoring/s01_n1.txt
    s02_n1,recordings/s02_n1,,

Columns: ``night_id`` (required, unique, usable as a folder name), ``left`` and ``right`` (files; either may
be empty for a one-leg night; a recording directory goes in ``left`` with ``right`` empty), and optionally
``hypnogram``, ``respiratory`` and ``arousals`` (files, as for ``lrm analyze``), ``lights_out`` /
``lights_on`` (local ``22:40``, ISO 8601, or seconds from the recording start) and ``tz`` (the night's time
zone for files that do not state it: ``Europe/Berlin`` or ``+02:00``; default ``lrm batch --tz``). Other
columns are ignored.
Relative paths are relative to the manifest's folder. Missing files are *not* a discovery
error: that night fails on its own row of the cohort table, and the other nights run.
"""

from __future__ import annotations

import csv
import glob
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lrm.errors import InputError

__all__ = ["NightSpec", "Discovery", "find_nights", "read_manifest", "MANIFEST_COLUMNS"]

MANIFEST_COLUMNS = ("night_id", "left", "right", "hypnogram", "respiratory", "arousals", "lights_out", "lights_on", "tz")
_PATH_COLUMNS = ("hypnogram", "respiratory", "arousals")
NATIVE_MANIFEST = "recording.json"
OUTPUT_MARKER = "summary.json"
# Extensions that can hold a hypnogram or a night's samples; anything else (.json, .md, .html, ...) is ignored.
DATA_SUFFIXES = frozenset({".csv", ".txt", ".tsv", ".dat", ".cwa", ".gt3x", ".bin", ".edf", ".bdf", ".parquet", ".xlsx"})
_SIDE_RE = re.compile(r"^(?P<night>.+?)[ ._-](?P<side>left|right|l|r)$", re.IGNORECASE)
_HYPNO_RE = re.compile(r"^(?P<night>.+?)[ ._-](?:hypnogram|hypno)$", re.IGNORECASE)
_BARE_SIDE = {"left": "left", "l": "left", "right": "right", "r": "right"}
_NIGHT_ID_FIX = "use letters, digits, '-', '_' and '.', not starting with '.'"


@dataclass(frozen=True, slots=True)
class NightSpec:
    """One night to analyse: where its samples are and where it was found.

    Exactly one of (``left`` and/or ``right``) or ``path`` is set. ``path`` is a recording directory
    (or a file holding both legs). ``origin`` says how the night was found (``"manifest.csv row 3"``,
    ``"naming rule"``), for error messages. From a manifest only: ``respiratory`` and ``arousals``
    (interval files ``onset_s,offset_s``), ``lights_out``/``lights_on`` (as ``lrm analyze
    --lights-out`` takes them: ``HH:MM``, ISO 8601 or seconds from the recording start) and ``tz`` (the
    night's zone for files that state none, as ``lrm analyze --tz``).
    """

    night_id: str
    left: str | None = None
    right: str | None = None
    path: str | None = None
    hypnogram: str | None = None
    origin: str = ""
    respiratory: str | None = None
    arousals: str | None = None
    lights_out: str | None = None
    lights_on: str | None = None
    tz: str | None = None

    def __post_init__(self) -> None:
        if (self.path is None) == (self.left is None and self.right is None):
            raise ValueError("give either path or left/right")

    @property
    def inputs(self) -> tuple[str, ...]:
        """Every input path of the night (for the cohort table and error messages)."""
        return tuple(p for p in (self.path, self.left, self.right, self.hypnogram, self.respiratory, self.arousals) if p)


@dataclass(frozen=True, slots=True)
class Discovery:
    """What :func:`find_nights` found: the nights (sorted by id) and the files it could not place."""

    nights: tuple[NightSpec, ...]
    skipped: tuple[tuple[str, str], ...] = field(default=())  # (path, reason)


def _check_night_id(night_id: str, where_path: str, where: str) -> str:
    night_id = night_id.strip()
    if not night_id:
        raise InputError(where_path, where, "empty night_id", "give every night an id")
    if night_id.startswith(".") or any(c in night_id for c in '/\\\0:*?"<>|') or night_id.strip() != night_id:
        raise InputError(where_path, where, f"night_id {night_id!r} cannot be a folder name", _NIGHT_ID_FIX)
    return night_id


def is_manifest(path: Path) -> bool:
    """True if ``path`` is a CSV whose header's first field is ``night_id``."""
    if not path.is_file() or path.suffix.lower() not in {".csv", ".tsv", ".txt"}:
        return False
    try:
        with path.open("r", encoding="utf-8-sig", newline="") as fh:
            first = fh.readline()
    except (OSError, UnicodeDecodeError):
        return False
    return re.split(r"[,;\t]", first.strip(), maxsplit=1)[0].strip().strip('"').lower() == "night_id"


def read_manifest(path: str | os.PathLike[str]) -> tuple[NightSpec, ...]:
    """Read a manifest CSV (``night_id,left,right[,hypnogram]``) into night specs.

    Raises
    ------
    InputError
        On a missing column, an empty or duplicate ``night_id``, or a row naming no data file; the message
        names the row (the header is row 1).
    """
    p = Path(path)
    base = p.parent
    with p.open("r", encoding="utf-8-sig", newline="") as fh:
        sample = fh.read(4096)
        fh.seek(0)
        delimiter = next((d for d in ",;\t" if d in sample.splitlines()[0]), ",") if sample else ","
        reader = csv.DictReader(fh, delimiter=delimiter)
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        missing = [c for c in ("night_id", "left", "right") if c not in header]
        if missing:
            raise InputError(str(p), "header", f"missing column(s) {', '.join(missing)}",
                             "start the file with the header 'night_id,left,right' (hypnogram optional)")
        reader.fieldnames = header
        specs: dict[str, NightSpec] = {}
        for row in reader:
            row_no = reader.line_num  # the line in the file (header = 1), as an editor shows it
            values = {k: (row.get(k) or "").strip() for k in MANIFEST_COLUMNS}
            if not any(values.values()):
                continue  # blank line
            where = f"row {row_no}"
            night_id = _check_night_id(values["night_id"], str(p), f"{where}, column 'night_id'")
            if night_id in specs:
                raise InputError(str(p), where, f"night_id {night_id!r} appears twice ({specs[night_id].origin})",
                                 "give every night a unique id")
            left, right = (str(base / v) if v else None for v in (values["left"], values["right"]))
            if left is None and right is None:
                raise InputError(str(p), where, f"night {night_id!r} has no 'left' or 'right' file",
                                 "give at least one data file (or a recording directory in 'left')")
            extra: dict[str, str | None] = {k: (str(base / values[k]) if values[k] else None) for k in _PATH_COLUMNS}
            extra.update(lights_out=values["lights_out"] or None, lights_on=values["lights_on"] or None,
                         tz=values["tz"] or None)
            origin = f"{p.name} {where}"
            if right is None and left is not None and Path(left).is_dir():
                specs[night_id] = NightSpec(night_id, path=left, origin=origin, **extra)
            else:
                specs[night_id] = NightSpec(night_id, left=left, right=right, origin=origin, **extra)
    if not specs:
        raise InputError(str(p), "", "the manifest lists no nights", "add one row per night below the header")
    return tuple(specs.values())


def _night_folder(folder: Path) -> NightSpec | None:
    """A native recording directory or a folder with left/right files, as one night; else None."""
    if (folder / NATIVE_MANIFEST).is_file():
        hypno = _find_hypnogram_in(folder)
        return NightSpec(folder.name, path=str(folder), hypnogram=hypno, origin="naming rule (recording directory)")
    sides: dict[str, str] = {}
    for child in sorted(folder.iterdir()):
        side = _BARE_SIDE.get(child.stem.lower())
        if child.is_file() and side and child.suffix.lower() in DATA_SUFFIXES and side not in sides:
            sides[side] = str(child)
    if not sides:
        return None
    return NightSpec(folder.name, left=sides.get("left"), right=sides.get("right"),
                     hypnogram=_find_hypnogram_in(folder), origin="naming rule (night folder)")


def _find_hypnogram_in(folder: Path) -> str | None:
    for child in sorted(folder.iterdir()):
        if child.is_file() and child.stem.lower() in {"hypnogram", "hypno"} and child.suffix.lower() in DATA_SUFFIXES:
            return str(child)
    return None


class _Collector:
    """Accumulates nights from several inputs and checks that night ids are unique."""

    def __init__(self, exclude: Sequence[Path]) -> None:
        self.nights: dict[str, NightSpec] = {}
        self.pairs: dict[tuple[Path, str], dict[str, str]] = {}
        self.skipped: list[tuple[str, str]] = []
        self.exclude = [e.resolve() for e in exclude]

    def add(self, spec: NightSpec) -> None:
        other = self.nights.get(spec.night_id)
        if other is not None:
            if other.inputs == spec.inputs:
                return  # the same night reached twice (e.g. a folder and a glob)
            raise InputError(spec.inputs[0], "", f"night id {spec.night_id!r} is also used by {other.inputs[0]}",
                             "rename one of them, or list the nights in a manifest CSV with unique night_id")
        self.nights[spec.night_id] = spec

    def add_path(self, path: Path) -> None:
        if path.is_dir():
            self.add_folder(path)
        elif is_manifest(path):
            for spec in read_manifest(path):
                self.add(spec)
        elif path.is_file():
            self.add_file(path)
        else:
            raise InputError(str(path), "", "no such file or directory", "check the path (quote glob patterns)")

    def add_folder(self, folder: Path) -> None:
        if any(folder.resolve() == e for e in self.exclude):
            return
        night = _night_folder(folder)
        if night is not None:
            self.add(night)
            return
        if (folder / OUTPUT_MARKER).is_file():
            return  # an lrm output folder, not input data
        for child in sorted(folder.iterdir()):
            if child.name.startswith("."):
                continue
            if child.is_dir():
                self.add_folder(child)
            elif is_manifest(child):
                self.skipped.append((str(child), "a manifest inside a folder is not read; pass it as an input"))
            else:
                self.add_file(child, quiet=child.suffix.lower() not in DATA_SUFFIXES)

    def add_file(self, path: Path, *, quiet: bool = False) -> None:
        stem, suffix = path.stem, path.suffix.lower()
        if suffix not in DATA_SUFFIXES:
            if not quiet:
                self.skipped.append((str(path), f"extension {suffix or '(none)'} is not a data file"))
            return
        match, hypno = _SIDE_RE.match(stem), _HYPNO_RE.match(stem)
        if match:
            key, role = (path.parent, match["night"]), _BARE_SIDE[match["side"].lower()]
        elif hypno:
            key, role = (path.parent, hypno["night"]), "hypnogram"
        else:
            self.skipped.append((str(path), "name does not end in _left/_right (or _L/_R); see 'lrm batch --help'"))
            return
        slot = self.pairs.setdefault(key, {})
        if role in slot and slot[role] != str(path):
            raise InputError(str(path), "", f"a second {role} file for night {key[1]!r} (also {slot[role]})",
                             "keep one file per side and night, or use a manifest CSV")
        slot[role] = str(path)

    def result(self) -> Discovery:
        for (folder, night), slot in sorted(self.pairs.items()):
            if "left" not in slot and "right" not in slot:
                self.skipped.append((slot["hypnogram"], f"hypnogram without a {night}_left/_right data file"))
                continue
            night_id = _check_night_id(night, str(folder), "file name")
            self.add(NightSpec(night_id, left=slot.get("left"), right=slot.get("right"),
                               hypnogram=slot.get("hypnogram"), origin="naming rule (paired files)"))
        nights = tuple(sorted(self.nights.values(), key=lambda s: s.night_id))
        return Discovery(nights=nights, skipped=tuple(self.skipped))


def _expand(inputs: Iterable[str | os.PathLike[str]]) -> list[Path]:
    paths: list[Path] = []
    for item in inputs:
        text = os.fspath(item)
        if glob.has_magic(text) and not Path(text).exists():
            matches = sorted(glob.glob(text, recursive=True))
            if not matches:
                raise InputError(text, "", "the pattern matches no file", "check the pattern (quote it so the shell passes it on)")
            paths.extend(Path(m) for m in matches)
        else:
            paths.append(Path(text))
    return paths


def find_nights(inputs: Iterable[str | os.PathLike[str]], *, exclude: Sequence[str | os.PathLike[str]] = ()) -> Discovery:
    """Find every night in ``inputs`` (folders, files, glob patterns, manifest CSVs).

    Parameters
    ----------
    inputs : iterable of path or str
        Folders (searched recursively), data files named by the naming rule, glob patterns, or manifest
        CSVs (header ``night_id,left,right[,hypnogram]``). See the module docstring for the rule.
    exclude : sequence of path
        Folders never searched (the batch output folder).

    Returns
    -------
    Discovery
        The nights sorted by id, and the files that fit no rule with the reason.

    Raises
    ------
    InputError
        If an input does not exist, a pattern matches nothing, a manifest is malformed, two nights share an
        id, or no night is found at all.

    Examples
    --------
    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> for name in ("n1_left.csv", "n1_right.csv", "n2-L.csv", "notes.md"):
    ...     _ = (d / name).write_text("time,x,y,z\\n")
    >>> found = find_nights([d])
    >>> [(n.night_id, Path(n.left).name, n.right and Path(n.right).name) for n in found.nights]
    [('n1', 'n1_left.csv', 'n1_right.csv'), ('n2', 'n2-L.csv', None)]
    """
    collector = _Collector([Path(e) for e in exclude])
    items = list(inputs)
    if not items:
        raise ValueError("give at least one input")
    for path in _expand(items):
        collector.add_path(path)
    found = collector.result()
    if not found.nights:
        raise InputError(", ".join(os.fspath(i) for i in items), "", "no nights found",
                         "name files <night>_left.csv / <night>_right.csv, or give a manifest CSV "
                         "'night_id,left,right[,hypnogram]' (see 'lrm batch --help')")
    return found
