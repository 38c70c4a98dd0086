"""Provenance of input files: path, size and SHA-256, recorded in summary.json and shown in reports."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from pathlib import Path

__all__ = ["file_digest", "input_files"]

_CHUNK = 1 << 20


def file_digest(path: str | os.PathLike[str]) -> dict[str, object]:
    """``{"path", "bytes", "sha256"}`` of a file; for a directory, of its files in name order.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.csv"; _ = p.write_bytes(b"abc")
    >>> file_digest(p)["sha256"][:12], file_digest(p)["bytes"]
    ('ba7816bf8f01', 3)
    """
    p = Path(path)
    digest = hashlib.sha256()
    files = sorted(f for f in p.rglob("*") if f.is_file() and "journal" not in f.parts) if p.is_dir() else [p]
    size = 0
    for f in files:
        if p.is_dir():
            digest.update(str(f.relative_to(p)).encode())
        with f.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
                size += len(chunk)
    return {"path": str(p), "bytes": size, "sha256": digest.hexdigest()}


def input_files(named: Mapping[str, str | os.PathLike[str] | None]) -> dict[str, dict[str, object]]:
    """Digests of the named inputs that were given (``None`` entries are skipped)."""
    return {name: file_digest(path) for name, path in named.items() if path is not None and Path(path).exists()}
