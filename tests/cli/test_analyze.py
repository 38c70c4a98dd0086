import json
import warnings
from pathlib import Path

import numpy as np
import pytest

from lrm.cli import main


@pytest.fixture(scope="module")
def sim_dir(tmp_path_factory):
    from lrm.sim.night import simulate, write_simulation

    out = tmp_path_factory.mktemp("sim")
    write_simulation(simulate("rls", seed=5, hours=1.0, rate_hz=50.0), out)
    return out


def _run(argv):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return main(argv)


def test_two_csvs(sim_dir, tmp_path, capsys):
    rc = _run(["analyze", "--left", str(sim_dir / "left.csv"), "--right", str(sim_dir / "right.csv"), "--out", str(tmp_path / "o")])
    assert rc == 0
    out = capsys.readouterr().out
    assert "PLM index" in out
    s = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert s["quality"]["right"]["clock_residual_s"] is not None
    brief = s["quality"]["right"]["detection_limit_brief_g"]
    assert f"brief twitch-like LMs (pulses of 80-300 ms): detection limit {1000 * brief:.0f} mg" in out
    assert _run(["analyze", "--left", str(sim_dir / "left.csv"), "--out", str(tmp_path / "o")]) == 2  # no --force


def test_one_leg_with_side(sim_dir, tmp_path):
    assert _run(["analyze", str(sim_dir / "right.csv"), "--side", "right", "--out", str(tmp_path / "o")]) == 0
    s = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert s["left_lm_count"] == 0 and s["right_lm_count"] > 0


def test_lights_out_override_and_rules(sim_dir, tmp_path):
    rc = _run(["analyze", "--left", str(sim_dir / "left.csv"), "--right", str(sim_dir / "right.csv"), "--out",
               str(tmp_path / "o"), "--lights-out", "600", "--lights-on", "3000", "--rules", "aasm"])
    assert rc == 0
    s = json.loads((tmp_path / "o" / "summary.json").read_text())
    assert s["rules"] == "aasm" and s["lights_out_s"] == 600.0


@pytest.mark.parametrize(("content", "message"), [
    ("", "empty"),
    ("1,2,3\n4,5,6\n", ""),
    ("time,x,y,z\n" + "".join(f"{1.7e9 + i * 0.04},0,0,1\n" for i in range(2000)), "30 min"),
    ("name,age\nbob,3\n", ""),
])
def test_bad_input_exits_2(tmp_path, capsys, content, message):
    f = tmp_path / "bad.csv"
    f.write_text(content)
    assert _run(["analyze", str(f), "--side", "left", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lrm: error:") and message in err
    assert not (tmp_path / "o" / "summary.json").exists()


def test_not_accelerometer_values(tmp_path, capsys):
    f = tmp_path / "temp.csv"
    rows = "".join(f"{1.7e9 + i * 0.5},{20 + np.sin(i)},{21},{22}\n" for i in range(4000))
    f.write_text("time,x,y,z\n" + rows)
    assert _run(["analyze", str(f), "--side", "left", "--units", "g", "--out", str(tmp_path / "o")]) == 2
    assert "lrm: error:" in capsys.readouterr().err


def test_no_input(tmp_path, capsys):
    assert _run(["analyze", "--out", str(tmp_path / "o")]) == 2


@pytest.mark.parametrize("below", [False, True])
def test_an_out_that_is_a_file_is_refused_before_the_night_is_read(sim_dir, tmp_path, capsys, monkeypatch, below):
    # a file where the output directory (or one above it) should be: one line naming it and exit 2, before the
    # night is read, not "DIR/snippets.npz: Not a directory" after the whole analysis
    import lrm.night_files

    def never(*_args, **_kwargs):
        raise AssertionError("the night was read although --out cannot be written")

    monkeypatch.setattr(lrm.night_files, "read_recording", never)
    (tmp_path / "taken").write_text("my notes\n")
    out = tmp_path / "taken" / "night1" if below else tmp_path / "taken"
    assert _run(["analyze", str(sim_dir / "left.csv"), "--side", "left", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"lrm: error: {tmp_path / 'taken'}: is a file, not a directory, so the results cannot be "
                   f"written {'under' if below else 'into'} it. Fix: choose another --out directory")
    assert (tmp_path / "taken").read_text() == "my notes\n"


def test_a_night_without_a_lying_period_prints_no_python_none(tmp_path, capsys):
    # one still hour with the leg in one orientation and no walking: lrm cannot tell lying from upright, so
    # it computes no index and classifies no hypnic jerk; the terminal says so in words, never "None"
    rng = np.random.default_rng(0)
    fs_hz, n = 25, 25 * 3600
    accel_g = rng.normal(0.0, 0.004, (n, 3)) + [0.0, 0.0, 1.0]
    t_s = 1_705_272_338 + np.arange(n) / fs_hz
    np.savetxt(tmp_path / "still_left.csv", np.column_stack([t_s, accel_g]), delimiter=",", header="time,x,y,z",
               comments="", fmt=["%.3f", "%.5f", "%.5f", "%.5f"])
    assert _run(["analyze", str(tmp_path / "still_left.csv"), "--out", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["hypnic_jerk_count"] is None
    assert "hypnic jerks      not classified" in out and "None" not in out
