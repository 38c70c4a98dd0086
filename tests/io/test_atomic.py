"""Output files respect the umask (issue 15: mkstemp wrote them 0600 on a shared cohort folder)."""

import os
import stat

import pandas as pd
import pytest

from lrm.io.atomic import write_text_atomic
from lrm.io.night_dir import write_events_csv


@pytest.fixture(params=[0o022, 0o002, 0o077])
def umask(request):
    old = os.umask(request.param)
    yield request.param
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_atomic_writes_get_the_umask_mode(tmp_path, umask):
    assert _mode(write_text_atomic(tmp_path / "a.txt", "x")) == 0o666 & ~umask
    assert _mode(write_events_csv(tmp_path / "events.csv", pd.DataFrame({"onset_s": [1.0]}))) == 0o666 & ~umask


def test_edf_export_gets_the_umask_mode(tmp_path, umask):
    from lrm.io.edf import write_edf
    from tests.io.test_edf import _night

    assert _mode(write_edf(_night(), tmp_path / "n.edf")) == 0o666 & ~umask
