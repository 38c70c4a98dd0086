"""Provenance of input files: path, size and SHA-256, recorded in summary.json and shown in reports.

:func:`lrm.io.registry.read` hashes a night's files in a background thread once they are parsed
(:class:`PendingDigests`): it returns with the samples, and the hash (~0.13 s per 130 MB with SHA
instructions; hashlib releases the GIL) overlaps what comes next, the analysis usually, instead of competing
with the parser for the cores. A digest is waited for when it is looked up, at the latest when the analysis
hands its result over.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import Future
from pathlib import Path

__all__ = ["file_digest", "input_files", "PendingDigests"]

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


class PendingDigests(Mapping[str, dict[str, object]]):
    """``{key: file_digest(path)}`` computed in a daemon thread; looking a value up waits for it (and raises
    the hash's error, e.g. a file removed meanwhile). Keys and length are known at once.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.csv"; _ = p.write_bytes(b"abc")
    >>> pending = PendingDigests.start({"left": p})
    >>> list(pending), pending["left"]["sha256"][:12]
    (['left'], 'ba7816bf8f01')
    """

    def __init__(self, futures: Mapping[str, Future[dict[str, object]]]) -> None:
        self._futures = dict(futures)

    @classmethod
    def start(cls, paths: Mapping[str, str | os.PathLike[str]]) -> PendingDigests:
        """Start hashing ``paths``, one after the other in one daemon thread."""
        futures: dict[str, Future[dict[str, object]]] = {key: Future() for key in paths}

        def work() -> None:
            for key, path in paths.items():
                try:
                    futures[key].set_result(file_digest(path))
                except BaseException as exc:  # noqa: BLE001 - handed to whoever looks the digest up
                    futures[key].set_exception(exc)

        threading.Thread(target=work, name="lrm-digest", daemon=True).start()
        return cls(futures)

    def resolved(self) -> dict[str, dict[str, object]]:
        """The digests as a plain dict (waits for them)."""
        return {key: future.result() for key, future in self._futures.items()}

    def __getitem__(self, key: str) -> dict[str, object]:
        return self._futures[key].result()

    def __iter__(self) -> Iterator[str]:
        return iter(self._futures)

    def __len__(self) -> int:
        return len(self._futures)

    def __repr__(self) -> str:
        return f"PendingDigests({list(self._futures)})"

    def __reduce__(self) -> tuple[type, tuple[dict[str, dict[str, object]]]]:
        # pickled (a Recording sent to a Dask worker) or deep-copied as the plain dict of its digests
        return (dict, (self.resolved(),))
