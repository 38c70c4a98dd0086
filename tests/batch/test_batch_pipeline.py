"""`lrm batch` end to end with the real pipeline on short simulated nights and a real LocalCluster."""

from __future__ import annotations

import json
import os
import signal
import sys
import tomllib
import warnings
from pathlib import Path

import cloudpickle
import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")

from lrm.batch.cluster import local_cluster  # noqa: E402
from lrm.batch.orchestrate import run_batch  # noqa: E402
from lrm.batch.run import run_night  # noqa: E402
from lrm.cli import main  # noqa: E402
from lrm.errors import LrmWarning  # noqa: E402
from lrm.io.registry import read  # noqa: E402
from lrm.params import Params  # noqa: E402
from lrm.pipeline import analyze  # noqa: E402
from lrm.io.native import write_native  # noqa: E402
from lrm.sim.night import simulate, write_simulation  # noqa: E402

cloudpickle.register_pickle_by_value(sys.modules[__name__])
HOURS, RATE_HZ = 1.0, 25.0  # short, slow nights: the pipeline is real, the test stays fast


def real_night_dies_once(spec, params, out_dir, force=False, report=True):
    """The real run_night, except that the worker running night 'b' is killed once, mid-night."""
    marker = Path(out_dir).parent / f"killed-{spec.night_id}"
    if spec.night_id == "b" and not marker.exists():
        marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return run_night(spec, params, out_dir, force, report=report)


@pytest.fixture(scope="module")
def cohort(tmp_path_factory) -> tuple[Path, dict[str, float]]:
    """Nights a (paired files), b (night folder), c (native recording dir) and d (a broken file)."""
    root = tmp_path_factory.mktemp("cohort")
    truth = {}
    for night_id, seed in (("a", 1), ("b", 2), ("c", 3)):
        sim = simulate("plmd", seed=seed, hours=HOURS, rate_hz=RATE_HZ)
        truth[night_id] = sim.truth.scored.summary.plm_index
        if night_id == "a":
            write_simulation(sim, root / "tmp_a")
            for side in ("left", "right"):
                (root / "tmp_a" / f"{side}.csv").rename(root / f"a_{side}.csv")
        elif night_id == "b":
            write_simulation(sim, root / "b")
        else:
            write_native(sim.recording, root / "nested" / "c")
    (root / "tmp_a" / "truth.json").unlink()
    (root / "tmp_a").rmdir()
    (root / "d_left.csv").write_text("time,x,y,z\n1.0,0,0,1\nnot,a,number,row\n")
    return root, truth


@pytest.fixture(scope="module")
def cluster():
    with local_cluster(2) as local:
        yield local


def test_the_real_pipeline_survives_a_killed_worker_and_fails_only_the_bad_file(cohort, cluster, tmp_path):
    root, _ = cohort
    config = tmp_path / "params.toml"
    config.write_text('rules = "aasm"\n[detect]\nmin-threshold-g = 0.013\n')
    result = run_batch([root], tmp_path / "out", params=config, scheduler=cluster.scheduler_address,
                       night_fn=real_night_dies_once)
    assert (tmp_path / "killed-b").exists()  # the worker running b really died
    assert [(r.night_id, r.status) for r in result.rows] == [("a", "ok"), ("b", "ok"), ("c", "ok"), ("d", "failed")]
    assert "d_left.csv" in result.rows[3].error and "Fix:" in result.rows[3].error
    table = pd.read_parquet(tmp_path / "out" / "cohort.parquet")
    assert list(table["night_id"]) == ["a", "b", "c", "d"]
    # the batch gives what a direct analysis with the same parameters gives
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LrmWarning)
        direct = analyze(read(root / "nested" / "c"), Params.from_toml(config))
    assert table["plm_index"].iloc[2] == pytest.approx(direct.summary.plm_index)
    assert table["lm_count"].iloc[2] == direct.summary.lm_count > 0
    assert set(table["rules"][:3]) == {"aasm"} and table["rules"].isna().iloc[3]
    digest = table["params_digest"].iloc[0]
    assert set(table["params_digest"][:3]) == {digest} and table["lrm_version"].notna().sum() == 3
    recorded = tomllib.loads((tmp_path / "out" / f"params-{digest}.toml").read_text())
    assert recorded["rules"] == "aasm" and recorded["detect"]["min_threshold_g"] == 0.013
    for name in ("time_in_bed_h", "quality_left_coverage_pct", "hypnic_jerk_count", "lm_index"):
        assert table[name].notna().sum() == 3, name
    summary = json.loads((tmp_path / "out" / "c" / "summary.json").read_text())
    assert summary["params_digest"] == digest
    assert {"events.csv", "summary.json", "trace.parquet", "report.html"} <= {p.name for p in (tmp_path / "out" / "a").iterdir()}
    assert "PLM" in (tmp_path / "out" / "a" / "report.html").read_text()


def test_the_command_line_resumes_reads_a_manifest_and_reports_failures(cohort, cluster, tmp_path, capsys):
    root, _ = cohort
    manifest = tmp_path / "nights.csv"
    manifest.write_text(f"night_id,left,right,lights_out\nx1,{root / 'a_left.csv'},{root / 'a_right.csv'},600\n"
                        f"x2,{root / 'nested' / 'c'},,\nbroken,{root / 'd_left.csv'},,\n")
    assert main(["batch", str(manifest), "--out", str(tmp_path / "out"), "--list"]) == 0
    assert "3 nights, 0 files not used" in capsys.readouterr().out
    out = tmp_path / "out"
    args = [str(manifest), "--out", str(out), "--scheduler", cluster.scheduler_address, "--no-report"]
    assert main(["batch", *args]) == 0
    captured = capsys.readouterr()
    assert "3 nights, 1 failed" in captured.out and "1 of 3 nights failed" in captured.err
    assert "broken" in captured.err and "nights per minute" in captured.err  # progress + summary table
    first = pd.read_csv(out / "cohort.csv")
    assert list(first["status"]) == ["failed", "ok", "ok"]
    assert not (out / "x1" / "report.html").exists()  # --no-report
    assert first["lights_out_s"].iloc[1] == pytest.approx(600.0)  # the manifest's per-night lights out
    assert first["lights_out_s"].iloc[2] != pytest.approx(600.0)

    assert main(["batch", *args, "--quiet"]) == 0  # resumed: only the broken night is tried again
    again = pd.read_csv(out / "cohort.csv")
    assert list(again["status"]) == ["failed", "skipped", "skipped"]
    pd.testing.assert_series_equal(again["plm_index"], first["plm_index"])

    only_bad = tmp_path / "bad.csv"
    only_bad.write_text(f"night_id,left,right\nbroken,{root / 'd_left.csv'},\n")
    assert main(["batch", str(only_bad), "--out", str(tmp_path / "out2"), "--quiet",
                 "--scheduler", cluster.scheduler_address]) == 2
    assert "all 1 nights failed" in capsys.readouterr().err


def test_a_bad_config_is_a_one_line_error_before_any_work(cohort, tmp_path, capsys):
    root, _ = cohort
    config = tmp_path / "params.toml"
    config.write_text("[detect]\nhigh_gee = 1.0\n")
    assert main(["batch", str(root), "--out", str(tmp_path / "out"), "--config", str(config)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("lrm: error: ") and "high_gee" in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists()
