import csv
from datetime import datetime, timezone

import numpy as np
import pytest

from tests.conftest import shared_file
from tests.io._formats_helpers import read_one


def test_omgui_csv_sample_matches_raw_text():
    path = shared_file("app_exports/axivity/ax6_testfile_formatted_timestamps.csv")
    with path.open(newline="") as fh:
        rows = list(csv.reader(fh))
    fmt, leg, _ = read_one(path)
    assert fmt == "axivity-csv"
    assert leg.n_samples == len(rows)
    first = datetime.strptime(rows[0][0], "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc).timestamp()
    assert leg.t_s[0] == pytest.approx(first, abs=1e-6)
    np.testing.assert_allclose(leg.accel_g[-1], [float(v) for v in rows[-1][1:4]], rtol=1e-6)
    assert leg.fs_hz == pytest.approx(100, rel=0.03)
    # (this 2-s excerpt is not at rest: gravity is checked on the .cwa of the same session)


def test_omconvert_csv_with_header_and_unix_variant(tmp_path):
    a = tmp_path / "omconvert.csv"
    a.write_text("Time,Accel-X (g), Accel-Y (g), Accel-Z (g)\n" + "".join(
        f"2024-01-02 03:04:{5 + i / 50:06.3f},0.0,0.0,1.0\n" for i in range(100)))
    fmt, leg, _ = read_one(a)
    assert fmt == "axivity-csv" and leg.n_samples == 100 and leg.fs_hz == pytest.approx(50)
    b = tmp_path / "unix.csv"
    b.write_text("".join(f"{1700000000 + i / 100:.3f},0.0,1.0,0.0\n" for i in range(100)))
    fmt, leg, _ = read_one(b)
    assert fmt == "axivity-csv" and leg.t_s[0] == 1700000000.0
