"""The zone each real export states (issue 15), read from the shared files (../shared/data/app_exports)."""

import pytest

from lrm.io.registry import read
from tests.conftest import shared_file


@pytest.mark.parametrize(("relative", "zone", "clock"), [
    ("actigraph/neo.gt3x", "-06:00", "utc"),                          # info.txt TimeZone: -06:00:00
    ("actigraph/TAS1H30182785_2019-09-17.gt3x", "-04:00", "utc"),    # info.txt TimeZone: -04:00:00
    ("geneactiv/sleeppy_test_geneactiv.bin", "-04:00", "utc"),       # header Time Zone:GMT -04:00
    ("geneactiv/sleeppy_test_geneactiv.csv", "-04:00", "utc"),       # header Time Zone,GMT -04
    ("actigraph/neo.csv", None, "local"),                            # ActiLife CSV: local time, no zone
    ("axivity/ax3_testfile.cwa", None, "local"),                     # AX RTC: local time, no zone
    ("axivity/ax6_testfile_formatted_timestamps.csv", None, "local"),
    ("polar_sensor_logger/Polar_Sense_ACC.txt", None, "local"),      # sensor clock set to local time
])
def test_the_zone_the_file_states_or_a_local_clock(relative, zone, clock):
    rec = read(shared_file(f"app_exports/{relative}"), side="left")
    assert (rec.timezone, rec.clock) == (zone, clock)
    assert rec.timezone_source == ("file" if zone else "unknown")


def test_the_gt3x_and_its_actilife_csv_agree_once_the_csv_gets_the_zone():
    """neo.csv is ActiLife's export of neo.gt3x: its local times with --tz -06:00 are the .gt3x's UTC times."""
    gt3x = read(shared_file("app_exports/actigraph/neo.gt3x"), side="left")
    csv = read(shared_file("app_exports/actigraph/neo.csv"), side="left", tz="-06:00")
    assert csv.start_s == pytest.approx(gt3x.start_s, abs=1e-6) and csv.timezone == gt3x.timezone == "-06:00"
    named = read(shared_file("app_exports/actigraph/neo.gt3x"), side="left", tz="America/Chicago")  # CST in December
    assert (named.timezone, named.timezone_source, named.start_s) == ("America/Chicago", "file", gt3x.start_s)


def test_polar_sensor_logger_sensor_clock_with_tz():
    path = shared_file("app_exports/polar_sensor_logger/Polar_Sense_ACC.txt")
    local = read(path, side="left")
    berlin = read(path, side="left", tz="Europe/Berlin")                # 2022-04-25: CEST, UTC+2
    assert berlin.start_s == pytest.approx(local.start_s - 7200) and berlin.clock == "utc"
