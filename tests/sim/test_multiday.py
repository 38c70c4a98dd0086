import warnings

import numpy as np
import pytest

from lrm.errors import LrmWarning
from lrm.io.registry import ReadOptions
from lrm.sim.multiday import leg_segments, plan_multiday, write_multiday
from lrm.signal.nonwear import find_nonwear, summarize_seconds


@pytest.fixture(scope="module")
def three_nights(tmp_path_factory):
    md = plan_multiday(3, seed=5, rate_hz=25.0, night_hours=3.0, daytime=("wear", "nonwear"), timezone="America/New_York")
    return md, write_multiday(md, tmp_path_factory.mktemp("md"), "cwa")


def test_plan_places_each_night_on_its_local_evening():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    md = plan_multiday(7, seed=2, night_hours=9.0, timezone="Europe/Berlin", first_evening="2024-03-25")
    local = [datetime.fromtimestamp(t, ZoneInfo("Europe/Berlin")) for t in md.night_start_s]
    assert [d.date().isoformat() for d in local] == list(md.evening_dates)
    assert all(21 <= d.hour + d.minute / 60 <= 22.5 for d in local)           # across the DST change of 03-31
    assert md.day_kinds == ("wear", "nonwear", "wear", "wear", "nonwear", "wear")


def test_segments_are_contiguous_whole_seconds_from_start_to_end():
    md = plan_multiday(2, seed=3, rate_hz=25.0, night_hours=2.0, daytime=("nonwear",))
    t, n = md.start_s, 0
    for seg in leg_segments(md, "left"):
        assert seg.start_s == t and seg.accel_g.shape[0] % 25 == 0
        t += seg.accel_g.shape[0] / 25.0
        n += 1
    assert t == md.end_s and n > 40


def test_files_hold_the_simulated_nights_and_the_day_off_is_non_wear(three_nights):
    from lrm.io import axivity_cwa

    md, paths = three_nights
    src = axivity_cwa.open_source(paths["left"], ReadOptions())
    offset = src.start_s - md.start_s                                   # local wall clock in the file
    night = md.night(1).recording.legs["left"]
    t0 = md.night_start_s[1] + offset
    part = src.read(t0, t0 + 3600).legs["left"]
    np.testing.assert_allclose(part.accel_g, night.accel_g[: part.n_samples], atol=8 / 256 / 2 + 1e-6)
    whole = src.read().legs["left"]
    origin = np.floor(whole.t_s[0])
    sums = summarize_seconds(whole.t_s, whole.accel_g, origin_s=origin, n_seconds=int(whole.t_s[-1] - origin) + 1)
    runs = find_nonwear(sums) + origin - offset                           # back to UTC
    day_off = (md.night_start_s[1] + 3 * 3600, md.night_start_s[2])      # the day after night 1
    assert len(runs) == 1
    assert day_off[0] < runs[0][0] < day_off[0] + 3600 and day_off[1] - 3600 < runs[0][1] < day_off[1]


def test_the_writers_take_every_format(tmp_path):
    from lrm.io.registry import read

    md = plan_multiday(1, seed=6, rate_hz=50.0, night_hours=2.0, timezone="America/New_York")
    for fmt in ("gt3x", "bin"):
        paths = write_multiday(md, tmp_path / fmt, fmt, night=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LrmWarning)
            rec = read(left=paths["left"], right=paths["right"])
        assert rec.legs["left"].n_samples == pytest.approx(2 * 3600 * 50, abs=300)
        assert rec.start_s == pytest.approx(md.night_start_s[0], abs=0.05)   # both state the zone: UTC
