"""Input paths: only regular files (and recording directories) are opened.

A named pipe (FIFO), a terminal or a device given as an input blocks ``open`` or ``read`` until another
process writes to it, i.e. forever; a socket cannot be opened at all. lrm reads each input more than once
(sniffing, parsing, hashing), which a stream cannot give either. So every input is checked with ``stat``
(which never blocks) before it is opened.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from lrm.errors import InputError

__all__ = ["regular_file", "input_path"]


def _kind(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def input_path(path: str | os.PathLike[str], *, what: str = "input", directory_ok: bool = True) -> Path:
    """``path`` as a Path if it is a regular file (or, with ``directory_ok``, a directory); else InputError.

    Follows symbolic links (a link to a regular file is fine).

    Raises
    ------
    InputError
        No such file, a directory where a file is needed, or a FIFO, device or socket.
    """
    p = Path(path)
    try:
        mode = os.stat(p).st_mode
    except FileNotFoundError:
        raise InputError(str(p), "", "no such file or directory", "check the path") from None
    except OSError as exc:
        raise InputError(str(p), "", f"cannot read it ({exc.strerror})", "check the path and its permissions") from None
    if stat.S_ISREG(mode) or (directory_ok and stat.S_ISDIR(mode)):
        return p
    if stat.S_ISDIR(mode):
        raise InputError(str(p), "", f"a directory, not a {what} file", f"give the {what} file itself")
    raise InputError(str(p), "", f"{_kind(mode)}, not a file", f"give the {what} as a regular file (save the stream "
                     "to a file first)")


def regular_file(path: str | os.PathLike[str], *, what: str = "input") -> Path:
    """``path`` if it is a regular file; InputError for a directory, FIFO, device or socket (never blocks)."""
    return input_path(path, what=what, directory_ok=False)
