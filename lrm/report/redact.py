"""No absolute input paths in a report: they name the user's folders (often their user name) when shared.

summary.json keeps the paths as given (a machine-readable record for the person who ran lrm); the report
shows file names only. :func:`file_name` shortens one path; :func:`redact_paths` rewrites free text
(warnings, repairs) in which a reader or the pipeline quoted a path: first every path the night is known
to hold (whole, so a folder name with spaces goes too), then anything else that looks like an absolute path.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["file_name", "redact_paths", "known_paths"]

_ABSOLUTE = re.compile(r"(?<![\w.~-])(?:[A-Za-z]:[\\/]|\\\\|/|~[\\/])[^\s'\"<>|,;:()\[\]]*")


def file_name(path: Any) -> str:
    """The last part of a path, whatever its separator; other values as text.

    >>> file_name("/home/ann/nights/left.csv"), file_name(r"C:\\Users\\ann\\r.csv"), file_name("left.csv")
    ('left.csv', 'r.csv', 'left.csv')
    """
    text = str(path).rstrip("/\\")
    return re.split(r"[\\/]", text)[-1] or text


def known_paths(summary: Mapping[str, Any]) -> list[str]:
    """Every path string summary.json holds (input files, per-leg sources), longest first."""
    found: set[str] = set()
    files = summary.get("input_files")
    if isinstance(files, Mapping):
        for value in files.values():
            if isinstance(value, Mapping) and isinstance(value.get("path"), str):
                found.add(value["path"])
            elif isinstance(value, str):
                found.add(value)
    quality = summary.get("quality")
    if isinstance(quality, Mapping):
        found |= {q["source"] for q in quality.values() if isinstance(q, Mapping) and isinstance(q.get("source"), str)}
    return sorted((p for p in found if p and file_name(p) != p), key=len, reverse=True)


def redact_paths(text: str, known: Iterable[str] = ()) -> str:
    """``text`` with every absolute path (``known`` ones first, whole) replaced by its file name.

    >>> redact_paths("/home/ann smith/n1/left.csv: 3 gaps", ["/home/ann smith/n1/left.csv"])
    'left.csv: 3 gaps'
    >>> redact_paths("cannot read /srv/data/x.csv (C:\\\\Users\\\\b\\\\y.csv)")
    'cannot read x.csv (y.csv)'
    """
    for path in known:
        text = text.replace(path, file_name(path))
    return _ABSOLUTE.sub(lambda m: file_name(m.group(0)), text)
