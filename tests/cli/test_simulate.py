"""`lrm simulate` end to end through lrm.cli.main."""

import json

import pytest

from lrm.cli import main
from lrm.io.registry import read
from lrm.sim.truth import read_truth


def test_writes_csvs_and_truth_and_prints_the_true_plm_index(tmp_path, capsys):
    out = tmp_path / "sim"
    assert main(["simulate", "--out", str(out), "--hours", "1", "--rate", "25", "--seed", "3"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["left.csv", "right.csv", "truth.json"]
    assert (out / "left.csv").read_text().splitlines()[0] == "time,x,y,z"
    data, events = read_truth(str(out / "truth.json"))
    assert data["profile"] == "plmd" and data["seed"] == 3 and len(events) == sum(data["event_counts"].values())
    printed = capsys.readouterr().out
    plm_index = data["scored"]["summary"]["plm_index"]
    assert f"true PLM index (WASM 2016 on the true LMs, {data['analysis_h']:.2f} h): {plm_index:.1f}/h" in printed
    rec = read(left=out / "left.csv", right=out / "right.csv")
    assert rec.sides == ("left", "right") and rec.legs["left"].fs_hz == pytest.approx(25.0, rel=0.01)


def test_refuses_a_directory_with_content_unless_forced(tmp_path, capsys):
    out = tmp_path / "sim"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    args = ["simulate", "--out", str(out), "--hours", "0.5", "--rate", "25"]
    assert main(args) == 2
    assert "already exists" in capsys.readouterr().err and sorted(p.name for p in out.iterdir()) == ["mine.txt"]
    assert main([*args, "--force"]) == 0
    assert (out / "mine.txt").read_text() == "keep me" and (out / "truth.json").is_file()


def test_native_one_leg_with_its_own_rate(tmp_path, capsys):
    out = tmp_path / "sim"
    assert main(["simulate", "--out", str(out), "--hours", "0.5", "--native", "--one-leg", "right",
                 "--rate", "100", "--profile", "hypnic"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["recording.json", "right.parquet", "truth.json"]
    rec = read(out)
    assert rec.sides == ("right",) and rec.legs["right"].fs_hz == 100.0
    manifest = json.loads((out / "recording.json").read_text())
    assert manifest["legs"]["right"]["scale_g"] > 0  # int16 counts
    assert f"lrm analyze {out} --out" in capsys.readouterr().out


def test_per_leg_rates(tmp_path):
    out = tmp_path / "sim"
    assert main(["simulate", "--out", str(out), "--hours", "0.5", "--rate", "25", "--right-rate", "50"]) == 0
    data, _ = read_truth(str(out / "truth.json"))
    assert data["legs"]["left"]["fs_hz"] == 25.0 and data["legs"]["right"]["fs_hz"] == 50.0


@pytest.mark.parametrize("bad", [["--hours", "0"], ["--rate", "5"], ["--profile", "sleepy"], ["--hours", "x"]])
def test_bad_options_exit_2(tmp_path, capsys, bad):
    with pytest.raises(SystemExit) as exc:
        main(["simulate", "--out", str(tmp_path / "sim"), *bad])
    assert exc.value.code == 2 and not (tmp_path / "sim").exists()
