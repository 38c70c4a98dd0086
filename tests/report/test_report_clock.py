"""Clock times in the recording's zone with the zone named, and the subject's norm by age."""

from __future__ import annotations

from datetime import date

import pytest

from lrm.errors import InputError
from lrm.report.clock import NightClock, night_date
from lrm.report.subject import ReportSubject, parse_age, parse_dob


def test_clock_times_follow_the_zone_through_a_dst_change():
    clock = NightClock.of("2026-03-28T22:30:00Z", "Europe/Berlin")  # 23:30 CET; clocks go forward at 02:00
    assert clock.zone == "Europe/Berlin, UTC+01:00" and clock.format(0, "%H:%M") == "23:30"
    assert clock.format(4 * 3600, "%H:%M") == "04:30"  # 4 h later it is 04:30 CEST, not 03:30
    assert clock.night_date == date(2026, 3, 28)


@pytest.mark.parametrize(("tz", "clock", "zone", "shown"), [
    (None, "utc", "UTC (time zone unknown)", "22:30"),
    (None, "local", "local time (time zone not stated)", "22:30"),
    ("-05:00", "utc", "UTC-05:00", "17:30"),
])
def test_the_zone_is_always_named(tz, clock, zone, shown):
    night = NightClock.of("2026-03-01T22:30:00Z", tz, clock)
    assert night.zone == zone and night.format(0, "%H:%M") == shown


def test_relative_times_show_elapsed_time_never_an_invented_clock():
    clock = NightClock.of(None, "Europe/Berlin")
    assert not clock.has_clock and clock.format(3725.0) == "+1:02:05" and clock.night_date is None


def test_a_night_is_dated_by_its_evening():
    assert night_date(NightClock.of("2026-03-01T23:50:00Z", None).start) == date(2026, 3, 1)
    assert night_date(NightClock.of("2026-03-02T00:40:00Z", None).start) == date(2026, 3, 1)


def test_the_norm_follows_the_age_at_the_night():
    subject = ReportSubject("P1", dob=date(2008, 3, 5))
    assert subject.norm_at(date(2026, 3, 4)).text == "5/h (child)"  # 17 the day before the birthday
    assert subject.norm_at(date(2026, 3, 5)).text == "15/h (adult)"
    assert ReportSubject().norm_at(date(2026, 3, 5)).text == "15/h (adult; age not given)"
    assert ReportSubject(age_y=9).norm_at(None).limit_per_h == 5.0
    assert subject.describe(date(2026, 3, 5)) == "born 2008-03-05, 18 years at this night"


def test_subject_values_are_checked():
    assert parse_dob("1961-04-02") == date(1961, 4, 2) and parse_age("9.5") == 9.5
    with pytest.raises(InputError, match="in the future"):
        parse_dob("2999-01-01")
    with pytest.raises(InputError, match="out of range"):
        parse_age("-1")
