"""Batches on a real dask.distributed LocalCluster (worker processes): killed workers, resuming, failures.

The per-night analysis here is a small test double (it counts lines), so these tests exercise the Dask
plumbing in seconds; tests/batch/test_batch_pipeline.py runs the real pipeline on simulated nights.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path

import cloudpickle
import dask
import pytest

distributed = pytest.importorskip("distributed")

from lrm.batch.cluster import local_cluster, open_client  # noqa: E402
from lrm.batch.discover import NightSpec  # noqa: E402
from lrm.batch.orchestrate import run_batch  # noqa: E402
from lrm.batch.run import PARTIAL_DIR, run_night  # noqa: E402
from lrm.errors import InputError  # noqa: E402

# Worker processes cannot import this test module: ship its functions by value.
cloudpickle.register_pickle_by_value(sys.modules[__name__])


def count_lines(spec: NightSpec, params, out_dir: Path) -> None:
    text = Path(spec.left).read_text()
    if not text.startswith("time"):
        raise InputError(spec.left, "line 1", "no 'time,x,y,z' header", "export the file again")
    summary = {"plm_index": float(text.count("\n")), "rules": params["rules"], "worker_pid": os.getpid()}
    (out_dir / "summary.json").write_text(json.dumps(summary))


def counting_night(spec, params, out_dir, force=False, report=True):
    return run_night(spec, params, out_dir, force, report=False, analyze_night=count_lines)


def dies_once_on_n2(spec, params, out_dir, force=False, report=True):
    """Kills its own worker process the first time it reaches night n2 (as the OOM killer would)."""
    marker = Path(out_dir).parent / f"killed-{spec.night_id}"
    if spec.night_id == "n2" and not marker.exists():
        marker.touch()
        os.kill(os.getpid(), signal.SIGKILL)
    return counting_night(spec, params, out_dir, force)


def always_dies_on_n1(spec, params, out_dir, force=False, report=True):
    if spec.night_id == "n1":
        os.kill(os.getpid(), signal.SIGKILL)
    return counting_night(spec, params, out_dir, force)


def make_nights(folder: Path, n: int, bad: tuple[str, ...] = ()) -> list[NightSpec]:
    folder.mkdir(parents=True, exist_ok=True)
    specs = []
    for i in range(1, n + 1):
        path = folder / f"n{i}_left.csv"
        path.write_text("garbage\n" if f"n{i}" in bad else "time,x,y,z\n" + "1,0,0,1\n" * i)
        specs.append(NightSpec(f"n{i}", left=str(path)))
    return specs


@pytest.fixture(scope="module")
def cluster():
    with local_cluster(2) as local:
        yield local


def test_workers_keep_glibc_memory_reuse(cluster):
    # Dask's default MALLOC_TRIM_THRESHOLD_=65536 makes every large temporary array fault its pages in anew
    # (about twice a night's CPU time): the local cluster leaves it unset unless the user exported it
    with distributed.Client(cluster) as client:
        seen = client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
    assert len(seen) == 2 and set(seen.values()) == {os.environ.get("MALLOC_TRIM_THRESHOLD_")}


def test_a_worker_killed_mid_batch_still_completes_every_night(cluster, tmp_path):
    make_nights(tmp_path / "in", 6)
    result = run_batch([tmp_path / "in"], tmp_path / "out", scheduler=cluster.scheduler_address, night_fn=dies_once_on_n2)
    assert (tmp_path / "killed-n2").exists()  # the worker really died on n2 ...
    assert [(r.night_id, r.status) for r in result.rows] == [(f"n{i}", "ok") for i in range(1, 7)]  # ... n2 still ran
    assert list(result.table["plm_index"]) == [2.0, 3.0, 4.0, 5.0, 6.0, 7.0]
    assert os.getpid() not in set(result.table["worker_pid"])  # ran in worker processes, not here
    assert sorted(p.name for p in (tmp_path / "out").iterdir() if p.is_dir()) == [f"n{i}" for i in range(1, 7)]


def test_a_night_that_always_kills_its_worker_fails_only_its_row(tmp_path):
    make_nights(tmp_path / "in", 3)
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}), local_cluster(1) as local:
        result = run_batch([tmp_path / "in"], tmp_path / "out", params=None, scheduler=local.scheduler_address,
                           night_fn=always_dies_on_n1)
    # n1 runs first, alone on the only worker (one night per worker at a time), so only n1 is to blame
    assert [r.status for r in result.rows] == ["failed", "ok", "ok"]
    assert "worker died repeatedly" in result.rows[0].error and result.rows[2].values["rules"] == "wasm2016"


def test_a_batch_resumes_skips_finished_nights_and_fails_only_bad_rows(cluster, tmp_path):
    make_nights(tmp_path / "in", 4, bad=("n3",))
    first = run_batch([tmp_path / "in"], tmp_path / "out", scheduler=cluster.scheduler_address, night_fn=counting_night)
    assert [(r.night_id, r.status) for r in first.rows] == [("n1", "ok"), ("n2", "ok"), ("n3", "failed"), ("n4", "ok")]
    assert first.rows[2].error.endswith("line 1: no 'time,x,y,z' header. Fix: export the file again")
    assert list(first.table["status"]) == ["ok", "ok", "failed", "ok"]
    assert not (tmp_path / "out" / "n3").exists() and not (tmp_path / "out" / PARTIAL_DIR).exists()

    (tmp_path / "in" / "n3_left.csv").write_text("time,x,y,z\n")  # the user fixes the bad file
    (tmp_path / "in" / "n1_left.csv").write_text("time,x,y,z\n" * 9)  # finished nights are not redone
    second = run_batch([tmp_path / "in"], tmp_path / "out", scheduler=cluster.scheduler_address, night_fn=counting_night)
    assert [r.status for r in second.rows] == ["skipped", "skipped", "ok", "skipped"]
    assert list(second.table["plm_index"]) == [2.0, 3.0, 1.0, 5.0]

    forced = run_batch([tmp_path / "in"], tmp_path / "out", scheduler=cluster.scheduler_address, force=True,
                       night_fn=counting_night)
    assert [r.status for r in forced.rows] == ["ok"] * 4 and forced.rows[0].values["plm_index"] == 9.0


def test_the_default_local_cluster_runs_the_batch(tmp_path):
    make_nights(tmp_path / "in", 3)
    result = run_batch([tmp_path / "in"], tmp_path / "out", workers=1, night_fn=counting_night)
    assert [r.status for r in result.rows] == ["ok", "ok", "ok"]
    assert len(set(result.table["worker_pid"])) == 1 and os.getpid() not in set(result.table["worker_pid"])


def test_an_unreachable_scheduler_is_a_clear_error():
    with pytest.raises(InputError, match="cannot reach the Dask scheduler.*'dask scheduler'"):
        with open_client("tcp://127.0.0.1:9", timeout_s=0.5):
            pass


def test_a_second_batch_into_the_same_folder_stops_with_a_clear_error(tmp_path):
    from lrm.batch.orchestrate import _lock

    make_nights(tmp_path / "in", 1)
    (tmp_path / "out").mkdir()
    held = _lock(tmp_path / "out")
    try:
        with pytest.raises(InputError, match=r"another lrm batch is writing into this folder \(pid \d+ on .*\)"):
            run_batch([tmp_path / "in"], tmp_path / "out", workers=1, night_fn=counting_night)
    finally:
        held.close()
    assert not (tmp_path / "out" / "n1").exists()
