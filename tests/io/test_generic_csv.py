"""The generic-csv reader: header synonyms, delimiters, time formats, units, repairs and bad input."""

import functools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lrm.errors import InputError, LrmWarning, UnknownFormatError
from lrm.io import generic_csv
from lrm.io.registry import ReadOptions, detect_format
from lrm.io.registry import read as _read
from lrm.sim.night import write_simulation

read = functools.partial(_read, side="left")   # these files are one ankle's; which one does not matter here


def _write(tmp_path, text, name="leg.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _rows(n=100, fs=50.0, t0=1_700_000_000.0, z=1.0, fmt="{t:.3f},0.01,-0.02,{z}"):
    return "".join(fmt.format(t=t0 + i / fs, z=z) + "\n" for i in range(n))


def test_plain_epoch_seconds_in_g(tmp_path):
    rec = read(_write(tmp_path, "time,x,y,z\n" + _rows()), side="right")
    leg = rec.legs["right"]
    assert rec.time_is_absolute and rec.meta["format"] == "generic-csv" and rec.meta["units"] == "g"
    assert leg.accel_g.dtype == np.float32 and leg.accel_g.shape == (100, 3)
    assert leg.t_s[0] == pytest.approx(1_700_000_000.0) and leg.fs_hz == pytest.approx(50.0, rel=1e-4)
    np.testing.assert_allclose(leg.accel_g[0], [0.01, -0.02, 1.0], rtol=1e-6)


def test_synonyms_units_in_header_semicolon_and_decimal_comma(tmp_path):
    text = "Timestamp;Acc X (m/s^2);Acc Y (m/s^2);Acc Z (m/s^2);Temp\n" + "".join(
        f"2024-01-01T22:00:{i / 100:05.2f}Z;0,1;0;9,80665;21\n" for i in range(50))
    rec = read(_write(tmp_path, text))
    leg = rec.legs["left"]
    assert rec.meta["units"] == "m/s^2" and rec.meta["delimiter"] == ";"
    assert leg.accel_g[0, 2] == pytest.approx(1.0) and leg.fs_hz == pytest.approx(100.0, rel=1e-3)
    assert leg.t_s[0] == pytest.approx(1704146400.0)


def test_iso_with_offset_is_converted_to_utc_and_the_offset_is_the_zone(tmp_path):
    text = "time,x,y,z\n2024-01-01T23:00:00.000+01:00,0,0,1\n2024-01-01T23:00:00.020+01:00,0,0,1\n"
    rec = read(_write(tmp_path, text))
    assert rec.legs["left"].t_s[0] == pytest.approx(1704146400.0)
    assert (rec.timezone, rec.timezone_source, rec.clock) == ("+01:00", "file", "utc")
    named = read(_write(tmp_path, text), tz="Europe/Berlin")              # same offset: the name, for DST
    assert (named.timezone, named.timezone_source) == ("Europe/Berlin", "file")
    with pytest.warns(LrmWarning, match="--tz America/New_York is ignored"):
        other = read(_write(tmp_path, text), tz="America/New_York")
    assert other.timezone == "+01:00" and other.legs["left"].t_s[0] == pytest.approx(1704146400.0)


def test_iso_z_is_utc_with_the_zone_unknown(tmp_path):
    """RFC 3339 §4.3: 'Z' says the time is UTC, not where the night was recorded."""
    text = "time,x,y,z\n2024-01-01T22:00:00.000Z,0,0,1\n2024-01-01T22:00:00.020Z,0,0,1\n"
    rec = read(_write(tmp_path, text))
    assert rec.legs["left"].t_s[0] == pytest.approx(1704146400.0)
    assert (rec.timezone, rec.timezone_source, rec.clock) == (None, "unknown", "utc")
    assert read(_write(tmp_path, text), tz="-05:00").timezone == "-05:00"


def test_iso_without_zone_is_local_wall_clock_never_utc(tmp_path):
    text = "datetime,ax,ay,az\n2024-01-01 22:00:00.000,0,0,1\n2024-01-01 22:00:00.020,0,0,1\n"
    rec = read(_write(tmp_path, text))
    assert rec.legs["left"].t_s[0] == pytest.approx(1704146400.0)      # the wall clock, counted as if UTC
    assert (rec.timezone, rec.clock) == (None, "local") and any("states no time zone" in n for n in rec.legs["left"].notes)
    berlin = read(_write(tmp_path, text), tz="Europe/Berlin")             # 22:00 CET = 21:00 UTC
    assert berlin.legs["left"].t_s[0] == pytest.approx(1704146400.0 - 3600)
    assert (berlin.timezone, berlin.timezone_source, berlin.clock) == ("Europe/Berlin", "option", "utc")


def test_iso_with_nanoseconds_as_pandas_writes_them(tmp_path):
    import pandas as pd

    times = pd.date_range("2024-06-01 22:00", periods=200, freq="10ms", tz="Europe/Paris")
    times = times + pd.to_timedelta(np.arange(200) * 7, unit="ns")      # nanosecond digits in every value
    frame = pd.DataFrame({"time": times, "x": 0.0, "y": 0.0, "z": 1.0})
    path = tmp_path / "pandas.csv"
    frame.to_csv(path, index=False)
    assert "22:00:00.010000007+02:00" in path.read_text()
    rec = read(path)
    assert rec.legs["left"].t_s[1] - rec.legs["left"].t_s[0] == pytest.approx(0.010000007, abs=5e-7)  # float64 s: 0.24 us
    assert rec.legs["left"].t_s[0] == pytest.approx(times[0].timestamp()) and rec.timezone == "+02:00"
    naive = tmp_path / "naive.csv"
    frame.assign(time=times.tz_localize(None)).to_csv(naive, index=False)
    assert read(naive).clock == "local" and read(naive).legs["left"].fs_hz == pytest.approx(100.0, rel=1e-6)


def test_an_offset_changing_within_the_file_is_reported(tmp_path):
    text = "time,x,y,z\n" + "".join(f"2024-10-27T02:59:{s:02d}+02:00,0,0,1\n" for s in range(50)) + "".join(
        f"2024-10-27T02:00:{s:02d}+01:00,0,0,1\n" for s in range(50))
    with pytest.warns(LrmWarning, match="offset changes within the file"):
        rec = read(_write(tmp_path, text))
    assert np.all(np.diff(rec.legs["left"].t_s) > 0) and rec.timezone == "+02:00"


def test_whole_millisecond_stamps_at_64_hz_give_64_hz(tmp_path):
    """Issue 15: the rate was 1 / median step = 62.5 Hz for 15/16 ms steps."""
    t_ms = np.floor(1.7e12 + np.arange(64 * 120) * 1000 / 64)
    text = "time,x,y,z\n" + "".join(f"{t:.0f},0,0,1\n" for t in t_ms)
    leg = read(_write(tmp_path, text)).legs["left"]
    assert set(np.round(np.diff(leg.t_s) * 1000).astype(int)) == {15, 16}
    assert leg.fs_hz == pytest.approx(64.0, rel=1e-4)


def test_units_detected_mg_and_overridable(tmp_path):
    path = _write(tmp_path, "t,acc_x,acc_y,acc_z\n" + _rows(z=1000.0))
    assert read(path).meta["units"] == "mg"
    assert read(path).legs["left"].accel_g[0, 2] == pytest.approx(1.0)
    forced = read(path, units="g").legs["left"]
    assert forced.accel_g[0, 2] == pytest.approx(1000.0)


def test_relative_time_without_and_with_start(tmp_path):
    path = _write(tmp_path, "time,x,y,z\n" + _rows(t0=0.0))
    assert read(path).time_is_absolute is False
    rec = read(path, start_s=1_700_000_100.0)
    assert rec.time_is_absolute and rec.legs["left"].t_s[0] == pytest.approx(1_700_000_100.0)


def test_relative_milliseconds_and_epoch_milliseconds(tmp_path):
    rel_ms = read(_write(tmp_path, "time,x,y,z\n" + _rows(fs=0.1, t0=0.0, fmt="{t:.0f},0,0,{z}"), "a.csv")).legs["left"]
    assert rel_ms.fs_hz == pytest.approx(100.0)  # 10 ms steps, read as ms
    epoch_ms = read(_write(tmp_path, "time,x,y,z\n" + _rows(fs=0.05, t0=1.7e12, fmt="{t:.0f},0,0,{z}"), "b.csv"))
    assert epoch_ms.legs["left"].t_s[0] == pytest.approx(1.7e9) and epoch_ms.legs["left"].fs_hz == pytest.approx(50.0)


def test_mapping_names_columns_and_time_format(tmp_path):
    text = "when,AccX,AccY,AccZ\n" + "".join(f"01/02/2024 22:00:00.{i * 20:03d},0,0,1\n" for i in range(40))
    path = _write(tmp_path, text)
    mapping = {"time": "when", "x": "AccX", "y": "accy", "z": "AccZ", "time_format": "%d/%m/%Y %H:%M:%S.%f"}
    leg = read(path, format="generic-csv", mapping=mapping).legs["left"]
    assert leg.t_s[0] == pytest.approx(1706824800.0) and leg.fs_hz == pytest.approx(50.0, rel=1e-3)
    with pytest.raises(InputError, match="mapping key 'colour'"):
        read(path, format="generic-csv", mapping={"colour": "red"})


def test_backwards_timestamps_are_sorted_and_reported(tmp_path):
    text = "time,x,y,z\n0,0,0,1\n0.02,0,0,1\n0.01,0.5,0,1\n0.03,0,0,1\n"
    with pytest.warns(LrmWarning, match="backwards"):
        leg = read(_write(tmp_path, text)).legs["left"]
    assert (np.diff(leg.t_s) > 0).all() and leg.accel_g[1, 0] == pytest.approx(0.5)
    assert any("line 4" in n for n in leg.notes)


def test_rare_repeated_timestamps_are_dropped(tmp_path):
    text = "time,x,y,z\n" + _rows(n=300, t0=0.0) + "5.98,0,0,1\n"  # last stamp repeated once
    with pytest.warns(LrmWarning, match="1 repeated timestamp"):
        leg = read(_write(tmp_path, text)).legs["left"]
    assert leg.n_samples == 300


def test_batch_stamped_samples_are_spread(tmp_path):
    text = "time,x,y,z\n" + "".join(f"{(i // 5) * 0.05:.2f},0,0,1\n" for i in range(200))
    with pytest.warns(LrmWarning, match="batches"):
        leg = read(_write(tmp_path, text)).legs["left"]
    assert leg.n_samples == 200 and np.allclose(np.diff(leg.t_s), 0.01)


def test_a_few_nan_rows_are_dropped_with_a_warning(tmp_path):
    text = "time,x,y,z\n" + _rows(n=300, t0=0.0) + "6.0,nan,0,1\n6.02,inf,0,1\n"
    with pytest.warns(LrmWarning, match="2 row.*line 302"):
        leg = read(_write(tmp_path, text)).legs["left"]
    assert leg.n_samples == 300 and np.isfinite(leg.accel_g).all()


def test_many_nan_rows_are_an_error_naming_the_line(tmp_path):
    text = "time,x,y,z\n" + _rows(n=20, t0=0.0) + "0.5,,0,1\n"
    with pytest.raises(InputError, match=r"line 22.*more than 1%"):
        read(_write(tmp_path, text))


def test_non_numeric_value_names_line_and_column(tmp_path):
    text = "time,x,y,z\n" + _rows(n=10, t0=0.0) + "0.2,0,abc,1\n"
    with pytest.raises(InputError, match=r"line 12, column 'y': not a number: 'abc'"):
        read(_write(tmp_path, text))


def test_unreadable_time_names_the_fix(tmp_path):
    with pytest.raises(InputError, match=r"line 2, column 'time': cannot read the time '22:00:00'.*time_format"):
        read(_write(tmp_path, "time,x,y,z\n22:00:00,0,0,1\n22:00:01,0,0,1\n"))


@pytest.mark.parametrize(("text", "match"), [
    ("", "empty"),
    ("time,x,y,z\n", "no data rows"),
    ("1.0,0,0,1\n1.1,0,0,1\n", "no header"),
    ("time,x,y,speed\n1,0,0,1\n", "no z-axis column"),
    ("time,x,y,z\n1.0,0,0,1\n", "only 1 valid sample"),
])
def test_bad_files_are_input_errors(tmp_path, text, match):
    with pytest.raises(InputError, match=match):
        read(_write(tmp_path, text), format="generic-csv")


def test_not_accelerometer_data_is_refused(tmp_path):
    path = _write(tmp_path, "time,x,y,z\n" + _rows(z=0.0, fmt="{t:.3f},0.01,0.02,{z}"))  # gravity removed
    with pytest.raises(InputError, match="far from 1 g"):
        read(path)
    assert read(path, units="g").legs["left"].n_samples == 100  # forcing the unit reads it anyway


def test_sniffing(tmp_path):
    assert generic_csv.sniff(b"Time,AccX,AccY,AccZ\n1,2,3,4\n", ".csv")
    assert generic_csv.sniff(b"\xef\xbb\xbftimestamp;x;y;z\n", ".csv")
    assert not generic_csv.sniff(b"onset_s,offset_s,side\n", ".csv")
    assert not generic_csv.sniff(b"time,x,y,z\n", ".parquet")
    with pytest.raises(UnknownFormatError):
        detect_format(_write(tmp_path, "a,b\n1,2\n"))


def test_simulated_csv_round_trip(tmp_path, make_night):
    sim = make_night("plmd", seed=0, hours=1.0, rate_hz=25.0)
    write_simulation(sim, tmp_path / "night")
    rec = read(left=tmp_path / "night" / "left.csv", right=tmp_path / "night" / "right.csv")
    for side in ("left", "right"):
        a, b = rec.legs[side], sim.recording.legs[side]
        np.testing.assert_allclose(a.t_s, b.t_s, atol=1e-6, rtol=0)
        np.testing.assert_allclose(a.accel_g, b.accel_g, atol=1e-6, rtol=0)
    assert rec.start_s == pytest.approx(sim.recording.start_s, abs=1e-6)


def test_read_options_side_is_kept(tmp_path):
    rec = generic_csv.read(_write(tmp_path, "time,x,y,z\n" + _rows()), ReadOptions(side="right"))
    assert rec.sides == ("right",)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(2, 300), fs=st.sampled_from([25.0, 50.0, 100.0, 200.0]), unit=st.sampled_from(["g", "mg", "m/s^2"]),
       delimiter=st.sampled_from([",", ";", "\t"]), names=st.sampled_from([("time", "x", "y", "z"), ("Timestamp", "AccX", "AccY", "AccZ"),
                                                                          ("t", "acc_x", "acc_y", "acc_z")]),
       seed=st.integers(0, 2**16))
def test_any_valid_file_reads_back_exactly(tmp_path_factory, n, fs, unit, delimiter, names, seed):
    rng = np.random.default_rng(seed)
    acc_g = rng.normal(0, 0.05, (n, 3)) + rng.choice([-1.0, 1.0]) * np.eye(3)[rng.integers(3)]
    t = 1.7e9 + np.arange(n) / fs
    scale = {"g": 1.0, "mg": 1000.0, "m/s^2": 9.80665}[unit]
    lines = [delimiter.join(names)] + [delimiter.join([f"{ti:.6f}", *(f"{v * scale:.6f}" for v in row)]) for ti, row in zip(t, acc_g)]
    path = tmp_path_factory.mktemp("csv") / "leg.csv"
    path.write_text("\n".join(lines) + "\n")
    leg = read(path, units=unit if n < 20 else "auto").legs["left"]  # too few samples to trust the magnitude
    np.testing.assert_allclose(leg.t_s, t, atol=2e-6, rtol=0)
    np.testing.assert_allclose(leg.accel_g, acc_g, atol=2e-5, rtol=0)
    if n > 2:
        assert leg.fs_hz == pytest.approx(fs, rel=1e-3)


def test_two_files_the_second_read_ahead_same_legs_warnings_and_errors_in_order(tmp_path):
    """lrm.read(left=, right=) parses the right file in a background thread while it reads the left one
    (generic_csv.read_ahead): the legs are those of reading each file alone, warnings come in file order, the
    left file's error wins over the right's, and no parser thread outlives the read."""
    import threading
    import warnings

    from lrm.io.registry import read_file

    backward = "time,x,y,z\n" + _rows(50) + _rows(50, t0=1_699_999_999.0)
    repeated = "time,x,y,z\n" + _rows(60) + _rows(40, t0=1_700_000_000.0 + 59 / 50.0)
    left, right = _write(tmp_path, backward, "l.csv"), _write(tmp_path, repeated, "r.csv")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        rec = _read(left=left, right=right)
    assert [str(w.message).split(":")[0] for w in caught] == ["l.csv", "r.csv"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alone = {s: read_file(p, ReadOptions(side=s), digest=False).legs[s] for s, p in (("left", left), ("right", right))}
    for side, leg in alone.items():
        assert np.array_equal(rec.legs[side].t_s, leg.t_s) and np.array_equal(rec.legs[side].accel_g, leg.accel_g)
        assert rec.legs[side].notes == leg.notes and rec.legs[side].fs_hz == leg.fs_hz
    text_left = _write(tmp_path, "time,x,y,z\n" + _rows(50) + "1700000009,abc,0,1\n" + _rows(50, t0=1_700_000_010.0), "tl.csv")
    nan_right = _write(tmp_path, "time,x,y,z\n" + _rows(50, fmt="{t:.3f},nan,0,{z}"), "nr.csv")
    with pytest.raises(InputError, match=r"tl\.csv: line 52, column 'x': not a number"):
        _read(left=text_left, right=nan_right)
    with pytest.raises(InputError, match=r"nr\.csv: line 2: 50 row"):
        _read(left=_write(tmp_path, "time,x,y,z\n" + _rows(), "p.csv"), right=nan_right)
    assert not [t for t in threading.enumerate() if t.name == "lrm-read-ahead"]


@pytest.mark.parametrize("long_first", [True, False])
def test_a_file_of_many_parse_blocks_reads_every_row_exactly(tmp_path, long_first):
    """The samples are parsed a block (generic_csv.BLOCK_BYTES) at a time into arrays sized from the first block:
    rows much longer at the start (the arrays are grown) or much shorter (they are cut) give every row, in order."""
    n = 40_000
    rng = np.random.default_rng(5)
    acc = rng.normal(0.0, 0.3, (n, 3)).round(6) + [0.0, 0.0, 1.0]
    t = 1_700_000_000.0 + np.arange(n) / 100.0
    pad = ["x" * 60 if (i < n // 4) == long_first else "" for i in range(n)]
    text = "time,x,y,z,note\n" + "".join(f"{t[i]:.2f},{acc[i, 0]:.6f},{acc[i, 1]:.6f},{acc[i, 2]:.6f},{pad[i]}\n"
                                          for i in range(n))
    path = _write(tmp_path, text)
    assert path.stat().st_size > 4 * generic_csv.BLOCK_BYTES
    leg = read(path).legs["left"]
    assert leg.accel_g.shape == (n, 3) and leg.accel_g.flags.c_contiguous and leg.t_s.flags.owndata
    np.testing.assert_array_equal(leg.accel_g, acc.astype(np.float32))
    np.testing.assert_array_equal(leg.t_s, np.array([f"{v:.2f}" for v in t], dtype=np.float64))
