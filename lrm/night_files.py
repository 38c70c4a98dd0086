"""One night from its files to its output directory: read, parse the times, analyse, save, report.

``lrm analyze``, ``lrm demo`` and each ``lrm batch`` task all run :func:`analyze_files`, so the three
cannot drift apart: the same reader options, the same parsing of lights-out/lights-on (local clock time in
the recording's zone, :mod:`lrm.io.times`), the same night directory (:mod:`lrm.io.night_dir`) and report.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from lrm.errors import InputError
from lrm.io.edf_scoring import read_scoring_files
from lrm.io.night_dir import REPORT, check_outputs, night_outputs, save_night
from lrm.io.recording import Recording
from lrm.io.registry import read
from lrm.io.times import parse_lights
from lrm.params import Params
from lrm.pipeline import analyze
from lrm.result import NightResult

__all__ = ["NightInputs", "read_recording", "analyze_files", "wall_clock_start"]


@dataclass(frozen=True, slots=True)
class NightInputs:
    """A night's input files and per-night values, as a person gives them.

    Exactly one of ``path`` (a recording directory, or one leg's file with ``side``) or ``left``/``right``.
    ``start_s``: Unix seconds of the first sample for files with relative time. ``lights_out``/``lights_on``:
    s since the recording start, local "HH:MM" or ISO 8601 text. Scoring files: EDF+ or CSV. ``tz``: the
    night's time zone (IANA name or +-HH:MM) for files that do not state theirs. ``ask_side``: asked with the
    path when a single file's ankle is stated nowhere (the CLI's prompt; None: an error).
    """

    path: str | None = None
    left: str | None = None
    right: str | None = None
    side: str | None = None
    format: str = "auto"
    units: str = "auto"
    start_s: float | None = None
    hypnogram: str | None = None
    respiratory: str | None = None
    arousals: str | None = None
    lights_out: str | float | None = None
    lights_on: str | float | None = None
    tz: str | None = None
    ask_side: Callable[[str], str] | None = None

    def files(self) -> tuple[str, ...]:
        """Every input file or directory given (for the check that no output overwrites one)."""
        return tuple(p for p in (self.path, self.left, self.right, self.hypnogram, self.respiratory, self.arousals) if p)

    @property
    def one_night(self) -> bool:
        """PSG scoring files or lights-out/on were given: they belong to one night, never split into nights."""
        return any(v is not None for v in (self.hypnogram, self.respiratory, self.arousals, self.lights_out,
                                           self.lights_on))

    def __post_init__(self) -> None:
        if self.path is None and self.left is None and self.right is None:
            raise InputError("lrm analyze", "", "no input given",
                             "pass FILE --side left|right, a directory, or --left/--right")
        if self.path is not None and (self.left or self.right):
            raise InputError("lrm analyze", "", "both FILE and --left/--right given", "give one or the other")


def read_recording(inputs: NightInputs) -> Recording:
    """The night's recording, read by content (:func:`lrm.read`)."""
    options = {"format": inputs.format, "units": inputs.units, "start_s": inputs.start_s, "tz": inputs.tz}
    if inputs.path is not None:
        return read(inputs.path, side=inputs.side, ask_side=inputs.ask_side, **options)
    return read(left=inputs.left, right=inputs.right, **options)


def analyze_files(inputs: NightInputs, out_dir: str | os.PathLike[str], params: Params | None = None, *,
                  overwrite: bool = False, report: bool = True, pdf: bool = False, threads: int | None = None,
                  during_read: Callable[[], AbstractContextManager[object]] = nullcontext,
                  recording: Recording | None = None) -> NightResult:
    """Read, analyse and save one night into ``out_dir``: trace, events, report.html, summary.json last.

    Parameters
    ----------
    inputs : NightInputs
        The night's files and per-night values.
    out_dir : path
        The night directory (created). Any of the night's files existing there raises
        :class:`~lrm.errors.OutputExistsError` before anything is read, unless ``overwrite``; an output that
        is one of the inputs raises :class:`~lrm.errors.InputError` even then.
    params : Params, optional
        Analysis parameters (default :class:`Params`).
    report, pdf : bool
        Also write ``out_dir/report.html`` (and ``report.pdf``).
    threads : int, optional
        Threads for the per-leg steps (``lrm batch`` passes 1: its workers are processes).
    during_read : callable
        A context manager factory entered around the read (``lrm analyze`` imports what comes next
        beside it).
    recording : Recording, optional
        The night's recording when the caller has read it already (:func:`read_recording`); its outputs are
        then the caller's to check before that read. Its samples are freed before the report is drawn when
        the caller holds no other reference (``lrm analyze`` hands it over).

    Returns
    -------
    NightResult
    """
    out = Path(out_dir)
    # every output checked before anything is read or written; an input is never an output
    check_outputs(night_outputs(out, report=report, pdf=pdf), inputs=inputs.files(), overwrite=overwrite)
    if recording is None:
        with during_read():
            recording = read_recording(inputs)
    hypnogram, respiratory, arousals = read_scoring_files(inputs.hypnogram, inputs.respiratory, inputs.arousals,
                                                          recording_start_s=wall_clock_start(recording))
    lights_out_s, lights_on_s = parse_lights(recording, inputs.lights_out, inputs.lights_on)
    result = analyze(recording, params, hypnogram=hypnogram, respiratory=respiratory, arousals=arousals,
                     lights_out_s=lights_out_s, lights_on_s=lights_on_s, threads=threads)
    del recording   # the raw samples (20 bytes a sample) are freed before the report, unless the caller keeps them
    save_night(result, out, overwrite=overwrite, report=night_report(result, pdf=pdf) if report else None, pdf=pdf)
    return result


def night_report(result: NightResult, *, pdf: bool = False) -> Callable[[Path], Sequence[Path]]:
    """The report step of :func:`lrm.io.night_dir.save_night`: report.html (and report.pdf) of ``result``,
    written before summary.json marks the directory complete."""

    def write(out: Path) -> Sequence[Path]:
        from lrm.report.html import write_night_report

        html = write_night_report(result, out.resolve().name, out / REPORT, pdf=pdf)
        return (html, html.with_suffix(".pdf")) if pdf else (html,)

    return write


def wall_clock_start(recording: Recording) -> float | None:
    """The recording's start as local wall-clock seconds (counted as if UTC), the clock an EDF+ scoring file's
    start is written in (EDF has no zone; its start is local time): UTC start plus the zone's offset then.
    A zone that is unknown leaves the UTC start (the EDF is then taken to be in UTC, as the times shown)."""
    if not recording.time_is_absolute:
        return None
    if recording.timezone is None or recording.clock == "local":
        return recording.start_s
    from lrm.io.timezones import offset_s

    return recording.start_s + offset_s(recording.timezone, recording.start_s)
