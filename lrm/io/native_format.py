"""Registry adapter for the native recording directory (see :mod:`lrm.io.native`)."""

from __future__ import annotations

from pathlib import Path

from lrm.io.native import is_native, read_native
from lrm.io.recording import Recording
from lrm.io.registry import ReadOptions


def sniff_dir(path: Path) -> bool:
    return is_native(path) or (path / "journal").is_dir()


def read_dir(path: Path, options: ReadOptions) -> Recording:
    return read_native(path)
