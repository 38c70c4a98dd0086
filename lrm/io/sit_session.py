"""The SIT protocol files: the session log ``DIR/sit_session.jsonl`` and a ``--ratings`` answers file.

``lrm sit`` appends one JSON object per line to the session log as the test happens, flushing and
fsyncing each line, so a crash or power cut keeps every answer and marker given so far (the recording
itself has its own crash-safe journal). Kinds, all times Unix epoch s (``wall_s``)::

    {"kind": "session", "version": 1, "planned_min": 60, "ask_every_min": 10, ...}
    {"kind": "calibration", "start_wall_s": ..., "end_wall_s": ...}       standing still: the shank axis
    {"kind": "test_start", "wall_s": ...}
    {"kind": "rating", "wall_s": ..., "minute": 10, "value": 3, "how": "typed"}   value null: no answer
    {"kind": "posture", "wall_s": ..., "side": "left", "state": "out" | "back", "detail": "..."}
    {"kind": "stop", "wall_s": ..., "reason": "completed" | "interrupted"}

A ratings file has one answer per prompt, in order: a number 0-10, an empty line (Enter: the previous
answer again), or ``-`` (no answer, recorded as missing). ``#`` starts a comment.
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lrm.errors import InputError

__all__ = ["SESSION_NAME", "Rating", "SitProtocol", "SessionLog", "read_session", "read_ratings", "parse_rating"]

SESSION_NAME = "sit_session.jsonl"


@dataclass(frozen=True, slots=True)
class Rating:
    """One discomfort prompt: when (Unix s; None if unknown), minute of the test, the answer 0-10 (None: no
    answer), how it was given (typed, repeated, missing, file, simulated)."""

    wall_s: float | None
    minute: float
    value: float | None
    how: str


@dataclass(frozen=True, slots=True)
class SitProtocol:
    """What the person was asked to do and when (Unix epoch s; None where unknown).

    ``test_start_wall_s`` None: find the start in the data (the first still stretch in the test posture).
    ``stop_wall_s`` / ``stop_reason``: when and why the test ended early ("interrupted"), or completed.
    """

    planned_min: float = 60.0
    ask_every_min: float | None = 10.0
    test_start_wall_s: float | None = None
    stop_wall_s: float | None = None
    stop_reason: str = ""
    calibration_wall_s: tuple[float, float] | None = None
    ratings: tuple[Rating, ...] = ()
    posture_notes: tuple[dict[str, Any], ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)


class SessionLog:
    """Append-only writer of ``sit_session.jsonl`` (each line flushed and fsynced)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._fh = open(self.path, "a", encoding="utf-8")  # noqa: SIM115 - closed by close()

    def write(self, kind: str, **fields: Any) -> None:
        self._fh.write(json.dumps({"kind": kind, **fields}, allow_nan=False) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        if not self._fh.closed:
            self._fh.close()

    def __enter__(self) -> SessionLog:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def read_session(path: str | os.PathLike[str]) -> SitProtocol:
    """Read a session log into a :class:`SitProtocol`; a torn last line (crash) is ignored."""
    p = Path(path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise InputError(str(p), "", "no such file", "pass a directory written by 'lrm sit'") from None
    except UnicodeDecodeError:
        raise InputError(str(p), "", "not UTF-8 text", "restore the file") from None
    values: dict[str, Any] = {"ratings": [], "posture_notes": [], "meta": {}}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            if number == len(lines):
                break                                   # the line being written when the process died
            raise InputError(str(p), f"line {number}", "not valid JSON", "restore the file") from None
        if not isinstance(rec, dict):
            raise InputError(str(p), f"line {number}", "expected a JSON object", "restore the file")
        _apply(values, rec, p, number)
    return SitProtocol(ratings=tuple(values.pop("ratings")), posture_notes=tuple(values.pop("posture_notes")),
                       **values)


def _apply(values: dict[str, Any], rec: dict[str, Any], path: Path, number: int) -> None:
    kind = rec.get("kind")
    try:
        if kind == "session":
            values["planned_min"] = float(rec["planned_min"])
            values["ask_every_min"] = None if rec.get("ask_every_min") is None else float(rec["ask_every_min"])
            values["meta"] = {k: v for k, v in rec.items() if k not in ("kind", "planned_min", "ask_every_min")}
        elif kind == "calibration":
            values["calibration_wall_s"] = (float(rec["start_wall_s"]), float(rec["end_wall_s"]))
        elif kind == "test_start":
            values["test_start_wall_s"] = float(rec["wall_s"])
        elif kind == "rating":
            value = rec.get("value")
            values["ratings"].append(Rating(None if rec.get("wall_s") is None else float(rec["wall_s"]), float(rec["minute"]),
                                            None if value is None else float(value), str(rec.get("how", ""))))
        elif kind == "posture":
            values["posture_notes"].append({k: v for k, v in rec.items() if k != "kind"})
        elif kind == "stop":
            values["stop_wall_s"], values["stop_reason"] = float(rec["wall_s"]), str(rec.get("reason", ""))
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(str(path), f"line {number}", f"bad {kind!r} record ({exc.__class__.__name__}: {exc})",
                         "restore the file") from None


def parse_rating(text: str) -> float | None | str:
    """One answer: a number 0-10, ``""`` -> ``"repeat"`` (Enter), ``"-"`` -> None (no answer).

    Raises ValueError with a short reason for anything else.

    >>> parse_rating("7"), parse_rating(""), parse_rating("-")
    (7.0, 'repeat', None)
    """
    s = text.strip()
    if s == "":
        return "repeat"
    if s == "-":
        return None
    try:
        value = float(s)
    except ValueError:
        raise ValueError(f"{s!r} is not a number from 0 to 10") from None
    if not (math.isfinite(value) and 0 <= value <= 10):
        raise ValueError(f"{s} is outside 0-10")
    return value


def read_ratings(path: str | os.PathLike[str]) -> list[float | None | str]:
    """Read a ``--ratings`` file: one answer per prompt (see the module docstring)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(str(p), "", "no such file", "check the --ratings path") from None
    except UnicodeDecodeError:
        raise InputError(str(p), "", "not UTF-8 text", "write one number 0-10 per line") from None
    out: list[float | None | str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        body = line.split("#", 1)[0]
        if not body.strip() and "#" in line:
            continue                                   # a comment line
        try:
            out.append(parse_rating(body))
        except ValueError as exc:
            raise InputError(str(p), f"line {number}", str(exc),
                             "write one answer per line: 0-10, empty for the previous answer, - for none") from None
    return out
