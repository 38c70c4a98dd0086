"""Times that people type (lrm.io.times): errors name the recording's span on its own clock."""

from __future__ import annotations

import pytest

from lrm.errors import InputError
from lrm.io.times import parse_night_time


def test_a_lights_out_outside_the_recording_names_its_span_on_the_local_clock():
    # start 1700000000 = 2023-11-14 22:13:20 UTC = 2023-11-15 00:13 at +02:00; one hour long: 23:00 there is
    # the next evening. The user sees when the recording ran in the clock they typed, not only "0-3600 s"
    with pytest.raises(InputError) as info:
        parse_night_time("23:00", start_s=1_700_000_000.0, duration_s=3600.0, tz="+02:00", flag="--lights-out")
    assert str(info.value) == ("--lights-out: '23:00' lies outside the recording (2023-11-15 00:13 to 01:13 +02:00; "
                               "0-3600 s from its start). Fix: check the date and time (clock times are read in +02:00)")


def test_a_span_across_midnight_gives_the_last_day_too():
    with pytest.raises(InputError, match=r"\(2023-11-14 22:13 to 2023-11-15 06:13 UTC; 0-28800 s from its start\)"):
        parse_night_time("12:00", start_s=1_700_000_000.0, duration_s=28_800.0, tz="UTC", flag="--lights-on")


def test_relative_times_keep_the_seconds_only():
    with pytest.raises(InputError, match=r"lies outside the recording \(0-3600 s from its start\)"):
        parse_night_time("4000", start_s=None, duration_s=3600.0, flag="--lights-on")
