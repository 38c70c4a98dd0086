"""lrm.commands.preload: the imports beside the read never outlive a failed read."""

from __future__ import annotations

import threading

import pytest

from lrm.commands.preload import _import_all, imports_beside_read


def _preload_alive() -> bool:
    return any(t.name == "lrm-preload" and t.is_alive() for t in threading.enumerate())


def test_a_failed_read_joins_the_import_thread_before_the_error_goes_on():
    with pytest.raises(ValueError, match="bad row"):
        with imports_beside_read(["json", "csv"]):
            raise ValueError("bad row")
    assert not _preload_alive()   # a thread importing while the interpreter finalises aborts the process


def test_a_successful_read_waits_for_the_imports():
    with imports_beside_read(["email.mime.text"]):
        pass
    assert not _preload_alive()
    import sys
    assert "email.mime.text" in sys.modules


def test_the_stop_flag_stops_before_the_next_module():
    import sys

    sys.modules.pop("tabnanny", None)
    stop = threading.Event()
    stop.set()
    _import_all(("tabnanny",), stop)
    assert "tabnanny" not in sys.modules
    _import_all(("tabnanny",), threading.Event())
    assert "tabnanny" in sys.modules
