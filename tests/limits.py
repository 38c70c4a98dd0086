"""Run ``lrm`` in a child process under an address-space and CPU-time limit (not a test module).

Used by the tests of hostile inputs: a value that made lrm allocate by the value (a time 30 years away) must
fail with a clear error or succeed, never take the test machine's memory with it. The limit is on the
address space (``RLIMIT_AS``), so an allocation beyond it fails at once with MemoryError instead of
swapping. glibc's per-thread malloc arenas reserve address space without using it; ``MALLOC_ARENA_MAX=2``
keeps that reserve small so the limit measures what lrm allocates.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
GIB = 1 << 30
CHILD_ENV = {"MALLOC_ARENA_MAX": "2", "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
             "PYTHONDONTWRITEBYTECODE": "1"}


@dataclass(frozen=True)
class Outcome:
    returncode: int
    stdout: str
    stderr: str
    max_rss_bytes: int
    timed_out: bool = False

    @property
    def clean(self) -> bool:
        """Exit 0, or exit 2 with exactly one ``lrm: error:`` line naming the problem: never a traceback or
        an internal error."""
        errors = [ln for ln in self.stderr.splitlines() if ln.startswith("lrm: error:")]
        return not self.timed_out and (self.returncode == 0 or (self.returncode == 2 and len(errors) == 1)) and (
            "Traceback" not in self.stderr and "internal error" not in self.stderr)


def limit_child(address_space_bytes: int, cpu_s: int, file_size_bytes: int | None = None):  # noqa: ANN201
    """A preexec_fn: the limits, and optionally a largest file the child may write (a full disk, in effect:
    writing past it fails with EFBIG; Python ignores SIGXFSZ)."""
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (address_space_bytes, address_space_bytes))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_s, cpu_s + 5))
        if file_size_bytes is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size_bytes, file_size_bytes))
    return apply


_WRAPPER = (  # VmHWM: ru_maxrss would carry the forking test process's own peak across exec
    "import resource, sys\n"
    "from lrm.cli import main\n"
    "def _peak_kib():\n    try:\n        with open('/proc/self/status') as fh:\n            return next(int(l.split()[1]) for l in fh if l.startswith('VmHWM:'))\n    except (OSError, StopIteration):\n        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "try:\n"
    "    rc = main(sys.argv[1:])\n"
    "finally:\n"
    "    print(f'\\n#maxrss-kib {_peak_kib()}', file=sys.stderr)\n"
    "sys.exit(rc)\n"
)
_RSS_TAG = "#maxrss-kib "


def run_lrm(args: list[str], *, address_space_gib: float = 2.0, timeout_s: float = 120.0, cwd: str | Path | None = None,
            stdin: str | None = None, file_size_bytes: int | None = None) -> Outcome:
    """``lrm ARGS`` (``lrm.cli.main``) in a child process limited to ``address_space_gib`` GiB and ``timeout_s`` s.

    ``max_rss_bytes`` is the child's peak resident memory (its own ``ru_maxrss``, 0 if it was killed).
    """
    env = {**os.environ, **CHILD_ENV, "PYTHONPATH": str(REPO)}
    limit = int(address_space_gib * GIB)
    proc = subprocess.Popen([sys.executable, "-c", _WRAPPER, *args],
                            stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd,
                            preexec_fn=limit_child(limit, int(timeout_s) + 5, file_size_bytes))
    try:
        out, err = proc.communicate(stdin, timeout=timeout_s)
        timed_out = False
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        timed_out = True
    lines = err.rstrip("\n").split("\n")
    rss = 0
    if lines and lines[-1].startswith(_RSS_TAG):
        rss = int(lines[-1][len(_RSS_TAG):]) * 1024
        err = "\n".join(lines[:-1]).rstrip("\n")
        err = err + "\n" if err else ""
    return Outcome(proc.returncode, out, err, rss, timed_out)
