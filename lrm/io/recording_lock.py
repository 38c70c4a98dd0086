"""The lock a live recording holds on its directory, so that nothing else writes or reads it half-done.

``lrm record`` holds an exclusive ``flock`` on ``NIGHT_DIR/journal/recorder.lock`` from before its journal
exists until the native recording is saved. The kernel releases the lock when the recorder exits, however
it exits (Ctrl-C, SIGHUP, ``kill -9``, a crash), so a lock is never stale: ``lrm recover`` after a crash
finds it free. While it is held:

* ``lrm recover NIGHT_DIR`` refuses (it would assemble a journal still being written, and the recorder's
  own save at the end would then fail with "already complete");
* a second ``lrm record --out NIGHT_DIR`` refuses;
* ``lrm analyze NIGHT_DIR`` says the night is still being recorded.

The file holds the recorder's pid, host and start time, for the message. POSIX only (``fcntl``); on other
systems the lock is a no-op and the checks rely on the journal and manifest files alone.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from lrm.errors import LrmError

__all__ = ["LOCK_NAME", "RecordingLock", "RecordingInProgressError", "lock_holder", "check_not_recording"]

LOCK_NAME = "journal/recorder.lock"

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class RecordingInProgressError(LrmError):
    """``NIGHT_DIR`` is being recorded by a live ``lrm record``."""

    def __init__(self, night_dir: str, holder: str, action: str) -> None:
        super().__init__(night_dir, holder, action)

    def __str__(self) -> str:
        night_dir, holder, action = self.args
        return (f"{night_dir}: is being recorded right now ({holder}); {action}. Fix: let the recording finish, "
                "or stop it with Ctrl-C in its terminal (or 'kill PID'): it saves the night itself")


@dataclass
class RecordingLock:
    """An exclusive lock on a night directory, held by the recorder (use as a context manager)."""

    night_dir: Path
    _fd: int | None = None

    def acquire(self) -> RecordingLock:
        """Take the lock; :class:`RecordingInProgressError` if a live recorder holds it."""
        path = Path(self.night_dir) / LOCK_NAME
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                raise RecordingInProgressError(str(self.night_dir), _describe(path), "cannot record into it") from None
        os.ftruncate(fd, 0)
        os.write(fd, json.dumps({"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}).encode())
        os.fsync(fd)
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None

    def __enter__(self) -> RecordingLock:
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _describe(path: Path) -> str:
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
        since = time.strftime("%H:%M", time.localtime(float(info["since"])))
        return f"lrm record, pid {int(info['pid'])} on {info.get('host', '?')}, since {since}"
    except (OSError, ValueError, KeyError, TypeError):
        return "lrm record"


def lock_holder(night_dir: str | os.PathLike[str]) -> str | None:
    """Who records ``night_dir`` right now (a description), or None when no live recorder holds its lock.

    Never blocks and never creates anything.
    """
    path = Path(night_dir) / LOCK_NAME
    if fcntl is None or not path.is_file():
        return None
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return _describe(path)
    finally:
        os.close(fd)  # also drops the shared lock just taken
    return None


def check_not_recording(night_dir: str | os.PathLike[str], action: str) -> None:
    """:class:`RecordingInProgressError` (naming the recorder and ``action``) if ``night_dir`` is being recorded."""
    holder = lock_holder(night_dir)
    if holder is not None:
        raise RecordingInProgressError(str(night_dir), holder, action)
