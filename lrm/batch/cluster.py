"""Run nights on Dask: a local cluster (one worker process per core) or an existing one.

Each night is one Dask task running :func:`lrm.batch.run.run_night`; workers read the inputs and write
``OUT/<night_id>/`` themselves and send back only the small :class:`CohortRow`. On a multi-machine cluster
the inputs and ``OUT`` must therefore be on a filesystem every worker sees at the same path.

If a worker dies mid-night (killed, out of memory), Dask's scheduler reruns its task on another worker
(the local cluster's nanny also restarts the dead worker). A night that kills its worker repeatedly is
failed with a message, and the batch carries on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrm._cpus import usable_cpus
from lrm.batch.discover import NightSpec
from lrm.batch.run import CohortRow, failed_row, run_night
from lrm.errors import InputError, LrmError

if TYPE_CHECKING:
    from distributed import Client

__all__ = ["open_client", "run_nights", "default_workers"]

_NEED_DASK = "pip install 'lrm[batch]' (or: pip install 'dask[distributed]')"


def default_workers() -> int:
    """One worker per core available to this process."""
    return usable_cpus()


def _import_distributed() -> Any:
    try:
        import distributed
    except ImportError:
        raise LrmError(f"lrm batch runs on Dask, which is not installed. Fix: {_NEED_DASK}") from None
    return distributed


@contextmanager
def open_client(scheduler: str | None = None, workers: int | None = None, *, timeout_s: float = 15.0) -> Iterator[Client]:
    """A Dask client: connected to ``scheduler`` (e.g. ``"tcp://host:8786"``) or to a new local cluster.

    Parameters
    ----------
    scheduler : str, optional
        Address of a running Dask scheduler (``dask scheduler`` prints it). The cluster is used as it is:
        lrm neither adds nor removes workers.
    workers : int, optional
        Worker processes of the local cluster (default: one per core), one thread each. Ignored with
        ``scheduler``.
    timeout_s : float
        How long (s) to try reaching ``scheduler``.

    Raises
    ------
    InputError
        If the scheduler cannot be reached.
    """
    distributed = _import_distributed()
    if scheduler:
        try:
            client = distributed.Client(scheduler, timeout=f"{timeout_s}s")
        except (OSError, TimeoutError) as exc:
            raise InputError(scheduler, "", f"cannot reach the Dask scheduler ({exc.__class__.__name__})",
                             "start one with 'dask scheduler' and workers with 'dask worker ADDRESS', "
                             "or leave out --scheduler to use a local cluster") from None
        with client:
            yield client
        return
    n_workers = workers or default_workers()
    if n_workers < 1:
        raise ValueError(f"workers must be >= 1, got {n_workers}")
    with local_cluster(n_workers) as cluster, distributed.Client(cluster) as client:
        yield client


WORKER_ENVIRON = {"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}
"""Dask settings for the local cluster's worker processes: ``MALLOC_TRIM_THRESHOLD_`` left unset (None removes
it from Dask's pre-spawn environment; a value the user exported still applies), see :func:`local_cluster`."""


def local_cluster(n_workers: int) -> Any:
    """A LocalCluster of ``n_workers`` single-threaded worker processes; no dashboard, any free port.

    The scheduler sends each worker one night at a time (``worker-saturation`` 1.0), so when a worker
    dies only the night it was running counts against Dask's ``allowed-failures``, not nights queued on it.

    The workers keep glibc's own memory reuse (:data:`WORKER_ENVIRON`): Dask's default
    ``MALLOC_TRIM_THRESHOLD_=65536`` hands every freed block back to the kernel, so each of a night's large
    temporary arrays was mapped anew and its pages faulted in and zeroed again: 8.5x the page faults (1.23 M
    against 0.14 M for an 8 h two-leg night and its run-up) and about twice the CPU time per night, most of it
    the kernel zeroing memory, which two workers then contend for (the bandwidth both share).
    """
    distributed = _import_distributed()
    import dask

    with dask.config.set({"distributed.scheduler.worker-saturation": 1.0, **WORKER_ENVIRON}), _children_ignore_ctrl_c():
        return distributed.LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True,
                                        dashboard_address=":0", scheduler_kwargs={"dashboard": False}, silence_logs=50)


@contextmanager
def _children_ignore_ctrl_c() -> Iterator[None]:
    """Start worker processes with SIGINT ignored (an ignored signal stays ignored in a child).

    Ctrl-C reaches every process of the terminal's foreground group: the workers would die mid-night with
    tracebacks, and their nannies restart them. Only lrm's own process handles it (lrm.batch.orchestrate):
    it cancels the queued nights, keeps the finished ones and closes the cluster, which ends the workers.
    """
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def run_nights(
    client: Client,
    nights: Sequence[NightSpec],
    params: Any,
    out_dir: str | os.PathLike[str],
    *,
    force: bool = False,
    report: bool = True,
    on_row: Callable[[CohortRow], None] | None = None,
    night_fn: Callable[..., CohortRow] = run_night,
) -> list[CohortRow]:
    """Analyse ``nights`` on ``client``'s cluster, calling ``on_row`` as each finishes; rows in input order.

    ``params`` goes to every task as given (Params or its ``to_dict()``); ``report`` says whether each
    night also gets its report.html. ``night_fn`` is
    :func:`run_night` (tests may pass a wrapper with the same signature). Never raises for a night:
    a task that cannot complete becomes a failed row.

    When workers die, Dask reruns their tasks elsewhere; a task whose workers died too often
    (``distributed.scheduler.allowed-failures``) ends in ``KilledWorker``. Nights queued on a dying
    worker are blamed along with the one that killed it, so every night that ended that way is rerun
    once more at the end, alone on the cluster: an innocent night then completes and the culprit fails.
    """
    distributed = _import_distributed()
    out = str(Path(out_dir).resolve())

    def submit(spec: NightSpec) -> Any:
        key = f"lrm-night-{spec.night_id}-{os.urandom(4).hex()}"
        return client.submit(night_fn, spec, params, out, force, report=report, key=key, pure=False)

    rows: dict[str, CohortRow] = {}

    def settle(spec: NightSpec, future: Any) -> bool:
        """Record the night's row; False if its worker died (KilledWorker) and no row was recorded."""
        try:
            row = future.result()
        except Exception as exc:  # noqa: BLE001 - KilledWorker, a lost connection, ...
            if exc.__class__.__name__ == "KilledWorker" and spec.night_id not in suspects:
                return False
            row = failed_row(spec, _task_error(exc))
        rows[spec.night_id] = row
        if on_row is not None:
            on_row(row)
        return True

    suspects: dict[str, NightSpec] = {}
    futures = {submit(spec): spec for spec in nights}
    try:
        for future in distributed.as_completed(futures):
            spec = futures[future]
            if not settle(spec, future):
                suspects[spec.night_id] = spec
        for spec in list(suspects.values()):  # one at a time: a crashing night cannot take others with it
            future = submit(spec)
            futures[future] = spec
            distributed.wait(future)
            settle(spec, future)
    finally:
        pending = [f for f in futures if not f.done()]
        if pending:
            client.cancel(pending)
    return [rows[spec.night_id] for spec in nights]


def _task_error(exc: BaseException) -> str:
    name = exc.__class__.__name__
    if name == "KilledWorker":
        return ("the night's Dask worker died repeatedly while analysing it (out of memory or a crash). "
                "Fix: give workers more memory (fewer --workers) and check the file")
    return f"the Dask task did not complete ({name}: {exc}). Fix: re-run the batch; finished nights are kept"
