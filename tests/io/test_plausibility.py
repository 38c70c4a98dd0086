"""Hostile values in sensor files (issue 16): a time years away, all times equal, impossible accelerations.

Each value used to size an allocation (the 25 Hz grid over a 30-year span: "unable to allocate an array with
shape (15844556943,)") or to silently erase a night (1e20 g sentinels: 0 LMs). Now a time outlier is left out
with its line, an implausible span is refused before anything is gridded, and an impossible acceleration is
treated as missing and reported.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from lrm.errors import InputError
from lrm.io.plausibility import MAX_NIGHT_S, accel_limit_g, screen_times
from lrm.io.registry import ReadOptions, read_file
from lrm.io.recording import Leg
from lrm.params import PrepareParams
from lrm.signal.prepare import grid_length, prepare_leg
from tests.conftest import shared_file
from tests.limits import run_lrm

T0 = 1_705_000_000.0
YEAR_S = 365 * 86400.0


def _csv(path, t_s, xyz=None):
    xyz = np.tile([0.0, 0.0, 1.0], (t_s.size, 1)) if xyz is None else xyz
    rows = "".join(f"{t:.6f},{x:.6f},{y:.6f},{z:.6f}\n" for t, (x, y, z) in zip(t_s, xyz, strict=True))
    path.write_text("time,x,y,z\n" + rows)
    return path


@pytest.fixture(scope="module")
def hour_csv(tmp_path_factory, make_night):
    """A real simulated hour (generic CSV, 50 Hz) to corrupt."""
    from lrm.sim.night import write_simulation

    out = tmp_path_factory.mktemp("hour")
    write_simulation(make_night("plmd", seed=3, hours=1.0, sides=("left",)), out)
    return out / "left.csv"


def _corrupt_time(src, dst, row, new_time):
    lines = src.read_text().splitlines()
    fields = lines[row].split(",")
    fields[0] = new_time
    lines[row] = ",".join(fields)
    dst.write_text("\n".join(lines) + "\n")
    return dst


@pytest.mark.parametrize(("label", "shift"), [("1 year later", YEAR_S), ("30 years later", 30 * YEAR_S), ("epoch 0", None)])
def test_one_time_far_away_is_left_out_with_its_line(hour_csv, tmp_path, label, shift):
    t = float(hour_csv.read_text().splitlines()[1].split(",")[0])
    bad = _corrupt_time(hour_csv, tmp_path / "jump.csv", 5000, "0" if shift is None else f"{t + shift:.6f}")
    rec = read_file(bad, ReadOptions())
    leg = rec.legs["left"]
    assert leg.duration_s < 3700                                # the hour, not the years
    (note,) = [n for n in leg.notes if "left out" in n]
    assert note.startswith("line 5001: 1 sample") and ("years" in note or "days" in note), label


def test_time_jump_never_sizes_the_grid(hour_csv, tmp_path):
    """Through the whole command, in a child process limited to 2 GiB: before, 'unable to allocate 176 GiB'."""
    t = float(hour_csv.read_text().splitlines()[1].split(",")[0])
    bad = _corrupt_time(hour_csv, tmp_path / "jump30y.csv", 9000, f"{t + 30 * YEAR_S:.6f}")
    out = run_lrm(["analyze", str(bad), "--side", "left", "--out", str(tmp_path / "o")], address_space_gib=2.0)
    assert out.returncode == 0 and out.clean, out.stderr
    assert "line 9001: 1 sample 30 years after" in out.stderr
    summary = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert summary["duration_h"] < 1.01
    assert any("line 9001" in r for r in summary["quality"]["left"]["repairs"])   # also in summary.json


def test_a_big_group_of_samples_far_away_is_refused_not_gridded(tmp_path):
    t = np.r_[T0 + np.arange(0, 3600, 0.5), T0 + 100 * 86400 + np.arange(0, 3600, 0.5)]   # 100 days apart
    with pytest.raises(InputError, match=r"line 7202: .*span 100.0 days.*at most 62 days"):
        read_file(_csv(tmp_path / "two.csv", t), ReadOptions())
    days = np.r_[T0 + np.arange(0, 3600, 0.5), T0 + 3 * 86400 + np.arange(0, 3600, 0.5)]   # days apart: a device
    assert read_file(_csv(tmp_path / "days.csv", days), ReadOptions()).legs["left"].n_samples == days.size  # worn on and off


def test_scattered_times_are_refused(tmp_path):
    t = T0 + np.arange(200) * 7200.0     # every sample 2 h from the next: no night in it, nor a worn stretch
    with pytest.raises(InputError, match="scattered"):
        read_file(_csv(tmp_path / "scattered.csv", t), ReadOptions())


def test_all_times_equal_is_a_clear_error(tmp_path):
    """Before: 'internal error: fs_hz must be > 0 Hz, got nan'."""
    with pytest.raises(InputError, match="all 500 samples have the same time"):
        read_file(_csv(tmp_path / "equal.csv", np.full(500, T0)), ReadOptions())


def test_time_outside_1970_2100_is_refused(tmp_path):
    with pytest.raises(InputError, match="not a date between 1970 and 2100"):
        read_file(_csv(tmp_path / "future.csv", 5e12 + np.arange(3000) * 0.02), ReadOptions(), format="generic-csv")


def test_screen_is_by_rows_not_by_values():
    t = np.r_[np.arange(100_000) * 0.02, 1e15]                 # the outlier's value is irrelevant to the cost
    screen = screen_times(t, source="x", absolute=False)
    assert screen.keep is not None and int((~screen.keep).sum()) == 1 and screen.keep[:-1].all()


def test_refused_outlier_for_scored_events_names_the_line():
    with pytest.raises(InputError, match="line 7: 1 event"):
        screen_times(np.r_[np.arange(10.0) * 30, 1e9], source="e.txt", absolute=False, leave_out=False, what="events",
                     describe=lambda i: f"line {i - 3}")


def test_grid_length_refuses_more_than_one_night():
    assert grid_length(8 * 3600.0, fs_hz=25.0, source="x") == 720_001
    with pytest.raises(InputError, match="at most 48 h"):
        grid_length(MAX_NIGHT_S + 1, fs_hz=25.0, source="x")
    with pytest.raises(InputError):
        grid_length(float("inf"), fs_hz=25.0, source="x")


def _leg(accel, range_g=None):
    n = accel.shape[0]
    return Leg("left", T0 + np.arange(n) / 50.0, accel.astype(np.float32), fs_hz=50.0, range_g=range_g, source="s.csv")


def test_sentinel_values_are_missing_and_reported():
    """Six samples of 1e20 g used to give a night of 0 LMs and an overflow warning only."""
    accel = np.tile(np.float32([0, 0, 1]), (20_000, 1))
    accel[[100, 2000, 5000, 9000, 12000, 15000], 2] = 1e20
    prep = prepare_leg(_leg(accel), origin_s=T0, n_grid=grid_length(400.0, fs_hz=25.0, source="s"),
                       params=PrepareParams(), warn=False)
    (repair,) = prep.repairs
    assert "treated 6 samples beyond +-50 g" in repair and "sample 101" in repair and "1e+20 g" in repair
    assert np.isfinite(prep.accel_g).all() and float(np.abs(prep.accel_g).max()) < 1.5


def test_beyond_the_declared_range_is_impossible():
    accel = np.tile(np.float32([0, 0, 1]), (20_000, 1))
    accel[7, 0] = 12.0          # +-8 g sensor: 12 g cannot have been measured
    accel[8, 0] = 8.0           # the range itself can (clipping)
    prep = prepare_leg(_leg(accel, range_g=8.0), origin_s=T0, n_grid=10_001, params=PrepareParams(), warn=False)
    assert prep.repairs == ("treated 1 samples beyond the sensor's +-8 g range as missing (first: sample 8, 12 g)",)
    assert accel_limit_g(8.0) == 8.9 and accel_limit_g(None) == 50.0


def test_mostly_impossible_values_are_an_error():
    accel = np.full((20_000, 3), 1000.0, np.float32)      # mg read as g
    with pytest.raises(InputError, match=r"beyond \+-50 g.*--units"):
        prepare_leg(_leg(accel), origin_s=T0, n_grid=10_001, params=PrepareParams(), warn=False)


def test_polar_export_with_one_byte_deleted_mid_file(tmp_path):
    """A real Polar export with one byte deleted in a time field used to give 'unable to allocate'."""
    raw = shared_file("app_exports/polar_sensor_logger/Polar_Sense_ACC.txt").read_bytes()
    lines = raw.split(b"\n")
    mid = len(lines) // 2
    lines[mid] = lines[mid][:8] + lines[mid][9:]          # '2022-04-25T...' -> '2022-04-5T...' or similar
    path = tmp_path / "Polar_Sense_ACC.txt"
    path.write_bytes(b"\n".join(lines))
    out = run_lrm(["info", str(path)], address_space_gib=2.0)
    assert out.clean, out.stderr


def test_geneactiv_csv_with_a_bit_flipped_in_a_time(tmp_path):
    raw = bytearray(shared_file("app_exports/geneactiv/sleeppy_test_geneactiv.csv").read_bytes())
    lines = raw.split(b"\n")
    row = 100 + 5000
    line = bytearray(lines[row])
    line[2] ^= 0x04                     # '2018-...' -> '2058-...': a sample 40 years later
    lines[row] = bytes(line)
    path = tmp_path / "flipped.csv"
    path.write_bytes(b"\n".join(lines))
    rec = read_file(path, ReadOptions())
    leg = rec.legs["left"]
    assert leg.duration_s < 300 and any("left out" in n for n in leg.notes)


def test_sentinels_reach_the_batch_row(tmp_path, make_night):
    """In 'lrm batch' a night erased by 1e20 sentinels used to say ok (0 LMs); now the row carries the repair."""
    from lrm.batch.discover import NightSpec
    from lrm.batch.run import run_night
    from lrm.sim.night import write_simulation

    write_simulation(make_night("plmd", seed=21, hours=0.6, sides=("left",)), tmp_path / "sim")
    lines = (tmp_path / "sim" / "left.csv").read_text().splitlines()
    for row in (100, 5000, 20000, 40000, 60000, 80000):
        fields = lines[row].split(",")
        fields[3] = "1e20"
        lines[row] = ",".join(fields)
    (tmp_path / "n1_left.csv").write_text("\n".join(lines) + "\n")
    row = run_night(NightSpec("n1", left=str(tmp_path / "n1_left.csv")), None, tmp_path / "out", report=False)
    assert row.status == "ok", row.error
    repairs = json.loads(row.values["quality_left_repairs"])
    assert any("treated 6 samples beyond +-50 g" in r for r in repairs) and row.values["lm_count"] > 0


def test_native_gaps_are_clipped_to_the_leg(tmp_path):
    """A damaged manifest's gap of 1e18 s became the night's lost time."""
    from lrm.io.native import read_native, write_native
    from lrm.io.recording import Gap, Recording

    t = T0 + np.arange(10_000) / 25.0
    leg = Leg("left", t, np.tile(np.float32([0, 0, 1]), (t.size, 1)), fs_hz=25.0, source="x",
              gaps=(Gap(T0 + 10, 1e18, "disconnected"), Gap(-1e18, T0 - 5, "x")))
    write_native(Recording({"left": leg}), tmp_path / "night")
    (gap,) = read_native(tmp_path / "night").legs["left"].gaps
    assert gap.start_s == T0 + 10 and gap.end_s == float(t[-1])
