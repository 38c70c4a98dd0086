"""Fuzz worker: runs many ``lrm`` command lines in one process under an address-space limit.

``python tests/fuzz/worker.py JOBS.json LIMIT_BYTES SECONDS`` reads a JSON list of jobs ``{"id": ...,
"argv": [...], "out": DIR}``, sets ``RLIMIT_AS`` to LIMIT_BYTES for the whole process, and runs each job's
command line through ``lrm.cli.main`` in-process (one interpreter for many inputs: CI would not afford
thousands of interpreter starts). Before each job it prints ``start ID``; after it, one JSON line: the exit
status, the ``lrm:`` lines of stderr, the seconds and the peak resident memory of the job. A job running
longer than SECONDS is stopped by SIGALRM and reported as a timeout; the worker then exits (a thread may
still run), and the parent starts a new worker for the remaining jobs. A job that kills the process
(a crash, the kernel's OOM killer) shows as a ``start`` without a result.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import shutil
import signal
import sys
import time
import warnings
from pathlib import Path


class JobTimeout(BaseException):  # BaseException: lrm's own ``except Exception`` must not swallow it
    pass


def _on_alarm(signum, frame):  # noqa: ANN001, ARG001
    raise JobTimeout


def _reset_peak_rss() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as fh:   # "5": reset the peak RSS (VmHWM), Linux >= 4.0
            fh.write("5")
        return True
    except OSError:
        return False


def _peak_rss_bytes() -> int:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run_job(job: dict, seconds: int) -> dict:
    from lrm.cli import main

    out, err = io.StringIO(), io.StringIO()
    per_job_rss = _reset_peak_rss()
    start = time.perf_counter()
    signal.alarm(seconds)
    status: int | str
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), warnings.catch_warnings():
            try:
                status = main(job["argv"])
            except SystemExit as exc:                    # argparse errors
                status = exc.code if isinstance(exc.code, int) else 2
    except JobTimeout:
        status = "timeout"
    except MemoryError:
        status = "memory"
    except BaseException as exc:  # noqa: BLE001 - an escaped exception is a finding, reported as such
        status = f"escaped {exc.__class__.__name__}: {exc}"[:300]
    finally:
        signal.alarm(0)
    elapsed = time.perf_counter() - start
    text = err.getvalue()
    shutil.rmtree(job["out"], ignore_errors=True)
    return {"id": job["id"], "status": status, "seconds": round(elapsed, 3),
            "peak_rss": _peak_rss_bytes() if per_job_rss else None,
            "lrm_lines": [ln[:400] for ln in text.splitlines() if ln.startswith(("lrm:", "lrm "))][:5],
            "traceback": "Traceback (most recent call last)" in text, "stderr_tail": text[-600:]}


def main(argv: list[str]) -> int:
    jobs_file, limit, seconds = argv[0], int(argv[1]), int(argv[2])
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    signal.signal(signal.SIGALRM, _on_alarm)
    jobs = json.loads(Path(jobs_file).read_text())
    import lrm.cli  # noqa: F401 - import cost outside the first job's time

    for job in jobs:
        print(f"start {job['id']}", flush=True)
        result = run_job(job, seconds)
        print(json.dumps(result), flush=True)
        if result["status"] == "timeout":
            os._exit(3)          # a thread of the timed-out job may still run: leave the rest to a new worker
    return 0


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    sys.exit(main(sys.argv[1:]))
