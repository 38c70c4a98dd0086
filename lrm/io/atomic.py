"""The one way lrm writes a file: to a temporary file beside it, flushed to disk, then renamed into place.

A reader therefore sees the old file or the whole new one, never a half-written one, even after a crash
or a power cut. The temporary file is created with the permissions an ordinary ``open(path, "w")`` would
give (0o666 less the umask; :func:`tempfile.mkstemp` alone gives 0o600), and removed if anything fails.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from lrm.errors import OutputWriteError

__all__ = ["write_atomic", "write_text_atomic", "write_json_atomic", "json_ready"]


def _umask() -> int:
    """The process's umask: from /proc on Linux (no change to it), else set and restored at once."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_atomic(path: str | os.PathLike[str], write: Callable[[IO[Any]], None], *, binary: bool = False) -> Path:
    """Write ``path`` atomically: ``write(handle)`` fills a temporary file in the same folder, which is
    fsync'ed and renamed over ``path`` (parent folders are created). Returns ``path``.

    ``binary``: the handle is a binary file, otherwise UTF-8 text with ``\\n`` line ends kept as written.
    On any error (``write`` raising, a full disk) the temporary file is removed and the error re-raised;
    an existing ``path`` is then unchanged. An ``OSError`` (a full disk, no permission) becomes
    :class:`~lrm.errors.OutputWriteError` naming ``path``.
    """
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    except OSError as exc:  # a read-only or full disk, no permission: say which file
        raise OutputWriteError(str(target), exc.strerror or str(exc)) from exc
    try:
        if hasattr(os, "fchmod"):  # POSIX; on Windows mkstemp's file is already ordinary
            os.fchmod(fd, 0o666 & ~_umask())
        with (os.fdopen(fd, "wb") if binary else os.fdopen(fd, "w", encoding="utf-8", newline="")) as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except OSError as exc:  # ENOSPC, EFBIG, EIO ...: the temporary file goes, the error names the file
        Path(tmp).unlink(missing_ok=True)
        raise OutputWriteError(str(target), exc.strerror or str(exc)) from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (:func:`write_atomic`)."""
    return write_atomic(path, lambda handle: handle.write(text))


def write_json_atomic(path: str | os.PathLike[str], value: Any) -> Path:
    """Write ``value`` as indented UTF-8 JSON (:func:`json_ready` first: NaN and inf become null)."""
    text = json.dumps(json_ready(value), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    return write_text_atomic(path, text)


def json_ready(value: Any) -> Any:
    """``value`` with NaN/inf/NA -> None, numpy scalars -> Python, tuples -> lists, keys -> str (recursively).

    >>> json_ready({"a": float("nan"), "b": np.int64(3), "c": (1.5, np.inf)})
    {'a': None, 'b': 3, 'c': [1.5, None]}
    """
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA:
        return None
    return value
