"""Multi-day recordings night by night (issue 12): windows, non-wear nights, and each night scored as if alone."""

import platform
import warnings

import pandas as pd
import pytest

from lrm.errors import LrmWarning
from lrm.nights import NIGHT_COLUMNS, analyze_nights, find_night_windows, open_legs
from lrm.sim.multiday import plan_multiday, write_multiday

INDICES = ("plm_index", "lm_index", "clm_index", "plm_count", "lm_count", "hypnic_jerk_count")


def test_windows_run_noon_to_noon_local_time_across_a_dst_change():
    from datetime import datetime
    from zoneinfo import ZoneInfo

    z = ZoneInfo("Europe/Berlin")
    start = datetime(2024, 3, 29, 15, 0, tzinfo=z).timestamp()
    windows = find_night_windows(start, start + 3 * 86400, "Europe/Berlin")
    assert [w.date for w in windows] == ["2024-03-29", "2024-03-30", "2024-03-31", "2024-04-01"]
    assert [round((w.end_s - w.start_s) / 3600) for w in windows] == [24, 23, 24, 24]     # clocks go forward on 03-31
    assert all(datetime.fromtimestamp(w.start_s, z).hour == 12 for w in windows)


def test_windows_without_a_zone_are_utc_and_a_morning_start_belongs_to_the_evening_before():
    start = pd.Timestamp("2024-05-02T08:00Z").timestamp()
    (first, second) = find_night_windows(start, start + 20 * 3600, None)
    assert first.date == "2024-05-01" and first.start_s == pd.Timestamp("2024-05-01T12:00Z").timestamp()
    assert second.date == "2024-05-02"


@pytest.fixture(scope="module")
def three_nights(tmp_path_factory):
    md = plan_multiday(3, seed=5, rate_hz=25.0, night_hours=4.0, daytime=("wear", "nonwear"), timezone="America/Chicago")
    folder = tmp_path_factory.mktemp("week")
    paths = write_multiday(md, folder / "files", "cwa")
    table = analyze_nights(open_legs(str(paths["left"]), str(paths["right"])), folder / "out", report=False)
    return md, folder, table


def test_three_nights_give_three_rows_equal_to_the_nights_analysed_separately(three_nights):
    """Each night's stretch, cut out into files of its own and analysed by the single-night path."""
    from lrm.io.device_writers import Segment, write_cwa
    from lrm.night_files import NightInputs, analyze_files

    md, folder, table = three_nights
    assert list(table.columns[:len(NIGHT_COLUMNS)]) == list(NIGHT_COLUMNS)
    assert table["date"].tolist() == list(md.evening_dates) and (table["status"] == "ok").all()
    sources = open_legs(str(folder / "files" / "left.cwa"), str(folder / "files" / "right.cwa"))
    for k, row in table.iterrows():
        a, b = (pd.Timestamp(row[c]).timestamp() for c in ("analysed_start", "analysed_end"))
        files = {}
        for side, src in sources.items():
            leg = src.read(a, b).legs[side]
            files[side] = str(write_cwa(folder / f"{side}{k}.cwa", [Segment(leg.t_s[0], leg.accel_g)], fs_hz=25.0))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LrmWarning)
            alone = analyze_files(NightInputs(**files), folder / f"alone{k}", report=False).summary
        assert row["time_in_bed_h"] == pytest.approx(alone.time_in_bed_h, abs=1e-6)
        for name in INDICES:
            assert row[name] == pytest.approx(getattr(alone, name), abs=1e-6), (k, name)
        assert (folder / "out" / row["date"] / "summary.json").exists()


def test_nights_match_the_simulated_nights_alone_up_to_the_legs_clock_fit(three_nights):
    """Against files holding only each simulated night (no day around it): the same rest period; indices
    within 3 /h (a few bilateral LMs move with the clock fit, estimated from different activity)."""
    from lrm.night_files import NightInputs, analyze_files

    md, folder, table = three_nights
    for k, row in table.iterrows():
        paths = write_multiday(md, folder / f"night{k}", "cwa", night=k)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", LrmWarning)
            alone = analyze_files(NightInputs(left=str(paths["left"]), right=str(paths["right"])),
                                  folder / f"night{k}" / "out", report=False).summary
        assert row["time_in_bed_h"] == pytest.approx(alone.time_in_bed_h, abs=0.01)
        assert row["plm_index"] == pytest.approx(alone.plm_index, abs=3.0)
        assert row["lm_index"] == pytest.approx(alone.lm_index, abs=3.0)


def test_the_nights_table_is_written_as_csv_and_parquet(three_nights):
    _, folder, table = three_nights
    csv = pd.read_csv(folder / "out" / "nights.csv")
    parquet = pd.read_parquet(folder / "out" / "nights.parquet")
    assert csv["date"].tolist() == parquet["date"].tolist() == table["date"].tolist()
    assert csv["plm_index"].round(6).tolist() == table["plm_index"].round(6).tolist()
    assert (table["nonwear_h"] > 4).sum() >= 1                 # the day off shows in its windows


def test_a_night_off_the_ankle_is_listed_as_non_wear_and_not_scored(tmp_path):
    md = plan_multiday(3, seed=8, rate_hz=25.0, night_hours=4.0, night_worn=(True, False, True), timezone="UTC")
    paths = write_multiday(md, tmp_path / "files", "cwa")
    table = analyze_nights(open_legs(str(paths["left"]), str(paths["right"])), tmp_path / "out", report=False)
    assert table["status"].tolist() == ["ok", "non-wear", "ok"]
    off = table.iloc[1]
    assert "not worn" in off["reason"] and pd.isna(off["plm_index"]) and off["nonwear_h"] > 10
    assert not (tmp_path / "out" / off["date"]).exists()


def test_lrm_analyze_splits_a_long_device_recording_by_itself(three_nights, tmp_path, capsys):
    from lrm.cli import main

    _, folder, table = three_nights
    files = folder / "files"
    assert main(["analyze", "--left", str(files / "left.cwa"), "--right", str(files / "right.cwa"),
                 "--out", str(tmp_path / "o")]) == 0
    printed = capsys.readouterr().out
    assert "night by night" in printed and "3 night(s), 3 scored" in printed
    again = pd.read_csv(tmp_path / "o" / "nights.csv")
    assert again["plm_index"].round(6).tolist() == table["plm_index"].round(6).tolist()
    assert (tmp_path / "o" / "report.html").exists()
    assert main(["analyze", "--left", str(files / "left.cwa"), "--right", str(files / "right.cwa"),
                 "--out", str(tmp_path / "o")]) == 2                        # nights.csv is there: --force needed


def test_batch_gives_one_cohort_row_per_night(three_nights, tmp_path):
    from lrm.batch.cohort import cohort_frame
    from lrm.batch.discover import NightSpec
    from lrm.batch.run import run_night

    _, folder, table = three_nights
    spec = NightSpec("p01", left=str(folder / "files" / "left.cwa"), right=str(folder / "files" / "right.cwa"))
    row = run_night(spec, None, tmp_path, report=False)
    assert row.status == "ok" and len(row.nights) == 3
    frame = cohort_frame([row])
    assert frame["night_id"].tolist() == [f"p01/{d}" for d in table["date"]]
    assert frame["night_status"].tolist() == ["ok"] * 3
    assert frame["plm_index"].round(6).tolist() == table["plm_index"].round(6).tolist()
    assert run_night(spec, None, tmp_path, report=False).status == "skipped"       # re-runs skip finished files


def test_a_csv_of_two_days_is_split_into_nights_in_the_zone_given(tmp_path, capsys):
    """A CSV export (no index, local clock times of a zone it does not state) longer than 30 h is split once
    read; --tz places its clock and its noon-to-noon windows."""
    import numpy as np
    import pyarrow as pa
    from pyarrow import csv as pa_csv

    from lrm.cli import main
    from lrm.sim.multiday import leg_segments

    md = plan_multiday(2, seed=7, rate_hz=10.0, night_hours=3.0, daytime=("wear",), sides=("left",),
                       timezone="America/Chicago")
    segments = list(leg_segments(md, "left"))
    t = np.concatenate([s.start_s + np.arange(len(s.accel_g)) / md.fs_hz for s in segments])
    accel = np.concatenate([s.accel_g for s in segments]).astype(np.float32)
    assert t[-1] - t[0] > 30 * 3600
    local_ms = np.round((t - 6 * 3600.0) * 1000).astype("datetime64[ms]")        # CST (UTC-6) all along: 4-6 March
    table = pa.table({"time": np.datetime_as_string(local_ms), **{c: accel[:, k] for k, c in enumerate("xyz")}})
    path = tmp_path / "ankle_left.csv"
    pa_csv.write_csv(table, path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LrmWarning)
        code = main(["analyze", str(path), "--side", "left", "--tz", "America/Chicago", "--out", str(tmp_path / "o")])
    assert code == 0, capsys.readouterr()
    assert "night by night" in capsys.readouterr().out
    nights = pd.read_csv(tmp_path / "o" / "nights.csv")
    assert nights["date"].tolist() == list(md.evening_dates) and (nights["status"] == "ok").all()
    assert set(nights["timezone"]) == {"America/Chicago"}
    assert all(str(v).endswith("-06:00") for v in nights["lights_out"])          # CST in early March


def test_multiday_sources_split_only_a_long_recording_not_given_for_one_night():
    """More than 30 h read whole -> one windowed source per leg; 30 h or less, or scoring given for one night
    (``one_night``) -> None (analysed as one night)."""
    import numpy as np

    from lrm.io.recording import Leg, Recording
    from lrm.nights import SPLIT_AFTER_S, multiday_sources

    def recording(hours: float) -> Recording:
        t = np.linspace(0.0, hours * 3600.0, 100)
        return Recording(legs={"left": Leg("left", t, np.zeros((100, 3), np.float32), fs_hz=99 / (hours * 3600.0))})

    long = recording(SPLIT_AFTER_S / 3600 + 1)
    sources = multiday_sources(long, one_night=False)
    assert sources is not None and set(sources) == {"left"}
    assert sources["left"].end_s - sources["left"].start_s == pytest.approx(SPLIT_AFTER_S + 3600)
    assert multiday_sources(long, one_night=True) is None
    assert multiday_sources(recording(SPLIT_AFTER_S / 3600), one_night=False) is None


def test_freed_memory_is_trimmed_between_nights_only_where_glibc_is():
    from lrm.nights import _release_freed_memory

    assert _release_freed_memory() == (platform.libc_ver()[0] == "glibc")
