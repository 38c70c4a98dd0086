"""Build the fuzz jobs and run them in limited worker processes (not a test module).

``python -m tests.fuzz.runner [--long]`` runs the suite outside pytest and prints the outcome table (what
docs/robustness.md quotes). The pytest entry point is tests/fuzz/test_fuzz.py.
"""

from __future__ import annotations

import collections
import itertools
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from tests.fuzz.corpus import REPO, Seed, archive_mutations, byte_mutations, manifest_mutations, seeds, value_mutations

WORKER = Path(__file__).with_name("worker.py")
GIB = 1 << 30
ADDRESS_SPACE = 2 * GIB          # per worker process (issue 16: "e.g. 2 GiB")
JOB_SECONDS = 60                 # per input (issue 16: no input under 10 MB runs longer than 60 s)
CHILD_ENV = {"MALLOC_ARENA_MAX": "2", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
             "LRM_DEBUG": ""}

# per seed and run length: (byte-level, value-level) mutants. CI: ~400 inputs; LRM_FUZZ_LONG=1: ~8,000.
BUDGET = {"default": (14, 8), "long": (280, 160)}
HEAVY = {"generic-35min": (3, 10), "native": (4, 10)}     # these reach the whole pipeline and the report
HEAVY_LONG_FACTOR = 8                                     # each costs seconds: 8x, not 20x, in the long run


@dataclass(frozen=True)
class Job:
    id: int
    seed: str
    mutation: str
    argv: list[str]
    out: str


@dataclass
class Outcome:
    job: Job
    status: object
    lrm_lines: list[str] = field(default_factory=list)
    traceback: bool = False
    seconds: float = 0.0
    peak_rss: int | None = None
    detail: str = ""

    @property
    def kind(self) -> str:
        """ok | error (one ``lrm: error:`` line, exit 2) | a failure kind."""
        errors = [ln for ln in self.lrm_lines if ln.startswith("lrm: error:") or " error: " in ln[:40]]
        if self.status == 0 and not self.traceback:
            return "ok"
        if self.status == 2 and len(errors) == 1 and not self.traceback and not any(
                "internal error" in ln for ln in self.lrm_lines):
            return "error"
        if self.status == 1 or any("internal error" in ln for ln in self.lrm_lines):
            return "FAIL internal error"
        return f"FAIL {self.status}"


def _command(seed: Seed, path: Path, out: Path) -> list[str]:
    if seed.kind == "events":
        return ["score-events", str(path), "--out", str(out)]
    if seed.kind == "events-csv":
        return ["score-events", str(path), "--hours", "2", "--out", str(out)]
    if seed.kind == "hypnogram":
        return ["score-events", str(REPO / "sample_data" / "example_events.csv"), "--hypnogram", str(path), "--out", str(out)]
    if seed.kind == "native":
        return ["analyze", str(path), "--out", str(out)]
    return ["analyze", str(path), "--side", "left", "--out", str(out)]


def _mutants(s: Seed, rng: random.Random, nb: int, nv: int) -> Iterator[tuple[str, str, object]]:
    """(label, how, content) of every mutant of seed ``s``, generated one at a time (never all in memory)."""
    if s.kind == "native":
        manifest = json.loads((s.path / "recording.json").read_text())
        yield from ((label, "manifest", m) for label, m in manifest_mutations(manifest, rng, nv))
        parquet = (s.path / "left.parquet").read_bytes()
        yield from ((f"left.parquet: {label}", "parquet", m) for label, m in byte_mutations(parquet, rng, nb))
        return
    raw = s.path.read_bytes()
    source = archive_mutations(raw, rng, nb) if raw.startswith(b"PK\x03\x04") else byte_mutations(raw, rng, nb)
    yield from ((label, "bytes", m) for label, m in source)
    if s.text:
        newline = "\r\n" if b"\r\n" in raw[:4096] else "\n"
        text = raw.decode("utf-8", errors="replace")
        yield from ((label, "bytes", m.encode("utf-8")) for label, m in value_mutations(text, rng, nv, newline=newline))


def iter_jobs(folder: Path, *, long: bool = False, seed: int = 16) -> Iterator[Job]:
    """Write each mutant under ``folder/inputs`` as it is needed and yield its job (deterministic for ``seed``)."""
    n_bytes, n_values = BUDGET["long" if long else "default"]
    inputs = folder / "inputs"
    k = 0
    only = os.environ.get("LRM_FUZZ_ONLY")            # e.g. LRM_FUZZ_ONLY=actigraph-gt3x-log: one seed's mutants
    for s in seeds(folder / "seeds"):
        if only and s.name not in only.split(","):
            continue
        rng = random.Random(f"{seed}-{s.name}")
        nb, nv = HEAVY.get(s.name, (n_bytes, n_values))
        if long and s.name in HEAVY:
            nb, nv = nb * HEAVY_LONG_FACTOR, nv * HEAVY_LONG_FACTOR
        for label, how, content in _mutants(s, rng, nb, nv):
            where = inputs / f"{k:05d}"
            where.mkdir(parents=True)
            if how in ("manifest", "parquet"):
                target = where / "night"
                target.mkdir()
                for f in s.path.iterdir():
                    if f.is_file():
                        (target / f.name).write_bytes(f.read_bytes())
                if how == "manifest":
                    (target / "recording.json").write_text(json.dumps(content))
                else:
                    (target / "left.parquet").write_bytes(content)  # type: ignore[arg-type]
            else:
                target = where / s.path.name
                target.write_bytes(content)  # type: ignore[arg-type]
            out = where / "out"
            yield Job(k, s.name, label, _command(s, target, out), str(out))
            k += 1


def _run_worker(jobs: list[Job], folder: Path, index: int) -> list[Outcome]:
    """Run ``jobs`` in worker processes (a new one after a timeout or a crash); one Outcome per job."""
    env = {**os.environ, **CHILD_ENV, "PYTHONPATH": str(REPO)}
    remaining = list(jobs)
    outcomes: list[Outcome] = []
    attempt = 0
    while remaining:
        attempt += 1
        jobs_file = folder / f"jobs-{index}-{attempt}.json"
        jobs_file.write_text(json.dumps([{"id": j.id, "argv": j.argv, "out": j.out} for j in remaining]))
        by_id = {j.id: j for j in remaining}
        started: int | None = None
        done: set[int] = set()
        deadline = [float("inf")]
        stop = threading.Event()
        with subprocess.Popen([sys.executable, str(WORKER), str(jobs_file), str(ADDRESS_SPACE), str(JOB_SECONDS)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=folder) as proc:

            def watchdog() -> None:  # the worker's own SIGALRM ends a slow job; this kills one stuck in C code
                while not stop.wait(1.0):
                    if time.monotonic() > deadline[0]:
                        proc.kill()
                        return

            guard = threading.Thread(target=watchdog, daemon=True)
            guard.start()
            assert proc.stdout is not None and proc.stderr is not None
            err_lines: list[str] = []
            drain = threading.Thread(target=lambda: err_lines.extend(proc.stderr), daemon=True)   # never blocks the worker
            drain.start()
            for line in proc.stdout:
                if line.startswith("start "):
                    started = int(line.split()[1])
                    deadline[0] = time.monotonic() + JOB_SECONDS + 60
                    continue
                try:
                    result = json.loads(line)
                except ValueError:
                    continue
                job = by_id[result["id"]]
                outcomes.append(Outcome(job, result["status"], result["lrm_lines"], result["traceback"],
                                        result["seconds"], result["peak_rss"], result["stderr_tail"]))
                done.add(job.id)
                deadline[0] = float("inf")
            proc.wait()
            stop.set()
            drain.join()
        err = "".join(err_lines)
        if started is not None and started not in done:   # the worker died inside this job (crash, OOM kill)
            outcomes.append(Outcome(by_id[started], f"worker died (exit {proc.returncode})", detail=err[-600:]))
            done.add(started)
        remaining = [j for j in remaining if j.id not in done]
        if remaining and started is None:                 # the worker could not even start
            raise RuntimeError(f"fuzz worker failed to start: {err[-2000:]}")
    return outcomes


def run(folder: Path, *, long: bool = False, workers: int = 2, chunk: int = 240) -> tuple[list[Outcome], float]:
    """Run every job on ``workers`` parallel worker processes, ``chunk`` inputs at a time (each chunk's files
    are written just before and removed just after it: the long run stays small on disk); (outcomes, s)."""
    start = time.perf_counter()
    jobs = iter_jobs(folder, long=long)
    outcomes: list[Outcome] = []
    while batch := list(itertools.islice(jobs, chunk)):
        shares = [batch[i::workers] for i in range(workers)]
        with ThreadPoolExecutor(workers) as pool:
            parts = list(pool.map(lambda a: _run_worker(a[1], folder, a[0]), enumerate(shares)))
        outcomes += [o for part in parts for o in part]
        for job in batch:
            shutil.rmtree(Path(job.out).parent, ignore_errors=True)
    return sorted(outcomes, key=lambda o: o.job.id), time.perf_counter() - start


def table(outcomes: list[Outcome], seconds: float) -> str:
    """Counts per seed and outcome, the slowest input and the largest peak memory."""
    by_seed: dict[str, collections.Counter] = collections.defaultdict(collections.Counter)
    for o in outcomes:
        by_seed[o.job.seed][o.kind] += 1
    kinds = sorted({k for c in by_seed.values() for k in c})
    lines = [f"| seed | inputs | {' | '.join(kinds)} |", "|---|---|" + "---|" * len(kinds)]
    for name, counts in by_seed.items():
        lines.append(f"| {name} | {sum(counts.values())} | " + " | ".join(str(counts.get(k, 0)) for k in kinds) + " |")
    total = collections.Counter(o.kind for o in outcomes)
    lines.append(f"| **all** | {len(outcomes)} | " + " | ".join(str(total.get(k, 0)) for k in kinds) + " |")
    slow = max(outcomes, key=lambda o: o.seconds)
    rss = [o for o in outcomes if o.peak_rss]
    big = max(rss, key=lambda o: o.peak_rss or 0) if rss else None
    lines.append("")
    lines.append(f"{len(outcomes)} inputs in {seconds:.0f} s; slowest input {slow.seconds:.1f} s ({slow.job.seed}: "
                 f"{slow.job.mutation})" + (f"; largest peak RSS {big.peak_rss / 2**20:.0f} MiB ({big.job.seed}: "
                                            f"{big.job.mutation})" if big else ""))
    return "\n".join(lines)


if __name__ == "__main__":
    long = "--long" in sys.argv or os.environ.get("LRM_FUZZ_LONG") == "1"
    with tempfile.TemporaryDirectory(prefix="lrm-fuzz-") as tmp:
        results, wall = run(Path(tmp), long=long)
    print(table(results, wall))
    for o in results:
        if not o.kind.startswith(("ok", "error")):
            print(f"{o.kind}: {o.job.seed}: {o.job.mutation}: {' '.join(o.job.argv[:2])}: {o.lrm_lines[:2]} {o.detail[-300:]}")
