import csv
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from tests.conftest import shared_file
from tests.io._formats_helpers import median_g, read_one


def test_geneactiv_csv_sample_matches_raw_text():
    path = shared_file("app_exports/geneactiv/sleeppy_test_geneactiv.csv")
    with path.open(newline="", encoding="latin-1") as fh:
        rows = [r for r in csv.reader(fh) if r and r[0][:2] == "20" and len(r) == 7]
    fmt, leg, _ = read_one(path)
    assert fmt == "geneactiv-csv"
    assert leg.n_samples == len(rows)
    local = datetime.strptime(rows[0][0], "%Y-%m-%d %H:%M:%S:%f").replace(tzinfo=timezone.utc)
    assert leg.t_s[0] == (local + timedelta(hours=4)).timestamp()
    np.testing.assert_allclose(leg.accel_g[5], [float(v) for v in rows[5][1:4]], rtol=1e-6)
    assert leg.fs_hz == 100.0 and leg.range_g == 8.0
    assert median_g(leg) == pytest.approx(1.0, abs=0.05)
