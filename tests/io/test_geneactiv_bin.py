import csv
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from lrm.errors import InputError
from lrm.io.registry import ReadOptions, read_file
from tests.conftest import shared_file
from tests.io._formats_helpers import median_g, read_one


def test_geneactiv_bin_matches_the_vendor_csv():
    csv_path = shared_file("app_exports/geneactiv/sleeppy_test_geneactiv.csv")
    with csv_path.open(newline="", encoding="latin-1") as fh:
        rows = [r for r in csv.reader(fh) if r and r[0][:2] == "20" and len(r) == 7]
    expected = np.array([[float(v) for v in r[1:4]] for r in rows])
    first_local = datetime.strptime(rows[0][0], "%Y-%m-%d %H:%M:%S:%f").replace(tzinfo=timezone.utc)
    fmt, leg, _ = read_one(shared_file("app_exports/geneactiv/sleeppy_test_geneactiv.bin"))
    assert fmt == "geneactiv-bin"
    assert leg.n_samples == len(rows) == 19200
    assert leg.fs_hz == 100.0
    np.testing.assert_allclose(leg.accel_g, expected, atol=6e-5)          # the CSV rounds to 4 decimals
    assert leg.t_s[0] == (first_local + timedelta(hours=4)).timestamp()   # Time Zone GMT -04:00
    assert median_g(leg) == pytest.approx(1.0, abs=0.05)
    assert leg.serial == "035645"


def test_truncated_geneactiv_reads_complete_pages_and_says_so():
    path = shared_file("app_exports/geneactiv/GGIRread_GENEActiv_testfile.bin")
    text = path.read_bytes().decode("latin-1")
    complete = text.count("Recorded Data") - 1   # the last page is cut
    fmt, leg, _ = read_one(path)
    assert fmt == "geneactiv-bin"
    assert leg.n_samples == complete * 300
    assert leg.fs_hz == 85.7
    assert any("truncated" in n and "222048" in n for n in leg.notes)
    assert median_g(leg) == pytest.approx(1.0, abs=0.1)


def test_geneactiv_header_only_is_a_clear_error(tmp_path):
    raw = shared_file("app_exports/geneactiv/sleeppy_test_geneactiv.bin").read_bytes()
    path = tmp_path / "head.bin"
    path.write_bytes(raw[: raw.index(b"Recorded Data") + 200])
    with pytest.raises(InputError, match="no complete data page"):
        read_file(path, ReadOptions())
