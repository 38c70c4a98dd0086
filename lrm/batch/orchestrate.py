"""A whole batch: find the nights, run them on Dask, write the cohort table. What ``lrm batch`` calls."""

from __future__ import annotations

import os
import shutil
import socket
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrm.batch.cohort import write_cohort
from lrm.batch.config import load_config, record_params
from lrm.batch.discover import NightSpec, find_nights
from lrm.batch.run import PARTIAL_DIR, CohortRow, failed_row, is_finished, read_values, run_night
from lrm.errors import InputError

if TYPE_CHECKING:
    import pandas as pd
    from rich.console import Console

    from lrm.params import Params

__all__ = ["BatchResult", "run_batch", "ERROR_LOG"]

ERROR_LOG = "batch-errors.log"
INTERRUPTED = "not analysed: the batch was interrupted (Ctrl-C). Fix: run the same command again; finished nights are kept"
LOCK_FILE = ".lrm-batch.lock"


@dataclass(frozen=True, slots=True, eq=False)
class BatchResult:
    """What a batch did: one row per night (input order), the cohort table, and where things went.

    ``skipped_inputs`` lists files that fit no naming rule, with the reason. ``params_file`` is the
    recorded TOML (``--config`` it to re-run identically). ``stale`` counts nights kept from an earlier
    run whose ``params_digest`` differs from this run's (re-run them with ``force``).
    """

    rows: tuple[CohortRow, ...]
    table: pd.DataFrame
    out_dir: Path
    params_file: Path
    elapsed_s: float
    skipped_inputs: tuple[tuple[str, str], ...]
    stale: int

    @property
    def n_failed(self) -> int:
        return sum(r.status == "failed" for r in self.rows)


def _finished_row(spec: NightSpec, out: Path) -> CohortRow | None:
    night_dir = out / spec.night_id
    if not is_finished(night_dir):
        return None
    try:
        return CohortRow(spec.night_id, "skipped", spec, output=str(night_dir), values=read_values(night_dir))
    except (OSError, ValueError):
        return None  # unreadable summary.json: let a worker redo (and report) it


def _lock(out: Path) -> Any:
    """Hold ``out/.lrm-batch.lock`` for this run (released when the process ends, even if killed).

    Two batches writing into one folder would delete each other's partial nights; the second one stops
    with a clear error instead. Returns the open lock file, or None where file locks are unavailable.
    """
    try:
        import fcntl
    except ImportError:  # Windows: no advisory locks; documented
        return None
    fh = (out / LOCK_FILE).open("a+", encoding="utf-8")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.seek(0)
        holder = fh.read().strip() or "another process"
        fh.close()
        raise InputError(str(out), "", f"another lrm batch is writing into this folder ({holder})",
                         "wait for it to finish, or choose another --out") from None
    fh.seek(0)
    fh.truncate()
    fh.write(f"pid {os.getpid()} on {socket.gethostname()}\n")
    fh.flush()
    return fh


def _settle_interrupted(nights: Sequence[NightSpec], rows: dict[str, CohortRow], out: Path) -> None:
    """After Ctrl-C (the cluster closed: nothing writes any more): a night its worker finished while the cluster
    was closing is kept as ``ok``; every other unfinished night is a failed row saying it was interrupted."""
    for spec in nights:
        if spec.night_id not in rows:
            kept = _finished_row(spec, out)
            rows[spec.night_id] = replace(kept, status="ok") if kept else failed_row(spec, INTERRUPTED)


def _stop_interrupted(rows: Sequence[CohortRow], out: Path, console: Console | None) -> None:
    """Say what an interrupted batch kept, then re-raise the KeyboardInterrupt (the CLI exits 130)."""
    finished = sum(r.status in ("ok", "skipped") for r in rows)
    if console is not None:
        console.print(f"lrm batch: interrupted; {finished} of {len(rows)} nights finished and kept in {out}. "
                      "Run the same command again to analyse the rest.", highlight=False)
    raise KeyboardInterrupt


def _log_internal_errors(rows: Sequence[CohortRow], out: Path) -> None:
    details = [r for r in rows if r.detail]
    if not details:
        return
    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
    with (out / ERROR_LOG).open("a", encoding="utf-8") as fh:
        for row in details:
            fh.write(f"--- {stamp} night {row.night_id} ({', '.join(row.spec.inputs)})\n{row.detail}\n")


def run_batch(
    inputs: Sequence[str | os.PathLike[str]],
    out_dir: str | os.PathLike[str],
    *,
    params: Params | str | os.PathLike[str] | None = None,
    workers: int | None = None,
    scheduler: str | None = None,
    force: bool = False,
    report: bool = True,
    console: Console | None = None,
    night_fn: Callable[..., CohortRow] = run_night,
    tz: str | None = None,
) -> BatchResult:
    """Analyse every night found in ``inputs`` into ``out_dir`` on Dask and write the cohort table.

    Parameters
    ----------
    inputs : sequence of path or str
        Folders, files, glob patterns or manifest CSVs; see :mod:`lrm.batch.discover` for the naming rule.
    out_dir : path
        Output folder: ``<night_id>/`` per night, ``cohort.csv``, ``cohort.parquet``,
        ``params-<digest>.toml`` and, after internal errors, ``batch-errors.log``.
    params : Params, path or None
        Analysis parameters, or a TOML config file with them; None for the defaults.
    workers : int, optional
        Local-cluster worker processes (default one per core).
    scheduler : str, optional
        Address of an existing Dask scheduler (``tcp://host:8786``) to use instead of a local cluster.
    force : bool
        Re-analyse nights already finished in ``out_dir``; otherwise they are skipped (resumable).
    report : bool
        Also write each night's report.html, as ``lrm analyze`` does (a few seconds per night).
    console : rich Console, optional
        Where to show progress and the summary; None for a silent run.
    night_fn : callable
        The per-night task, :func:`lrm.batch.run.run_night` (tests may wrap it).
    tz : str, optional
        Time zone of the nights whose files do not state one and whose manifest row gives none (``--tz``).

    Returns
    -------
    BatchResult
        Never raises for a night's failure: failed nights are rows with ``status="failed"``.

    Raises
    ------
    KeyboardInterrupt
        On Ctrl-C, once the queued nights are cancelled, the workers stopped and the cohort table written
        (finished nights ``ok``, the others ``failed`` as interrupted): a re-run continues where it stopped.
    InputError
        If no night is found, a manifest or the config is malformed, ``out_dir`` is a file, another batch
        is writing into ``out_dir`` (``out_dir/.lrm-batch.lock``), or the scheduler cannot be reached.
    """
    from lrm.batch.cluster import default_workers, open_client, run_nights

    start = time.perf_counter()
    out = Path(out_dir).resolve()
    if out.exists() and not out.is_dir():
        raise InputError(str(out), "", "--out is a file, not a folder", "choose a folder for the batch outputs")
    discovery = find_nights(inputs, exclude=[out])
    if tz is not None:
        discovery = replace(discovery, nights=tuple(s if s.tz else replace(s, tz=tz) for s in discovery.nights))
    resolved = params if (params is None or hasattr(params, "digest")) else load_config(params)
    resolved = load_config(None) if resolved is None else resolved
    out.mkdir(parents=True, exist_ok=True)
    lock = _lock(out)
    try:
        params_file = record_params(resolved, out)
        shutil.rmtree(out / PARTIAL_DIR, ignore_errors=True)  # leftovers of an interrupted run; never counted as done

        done = {} if force else {s.night_id: r for s in discovery.nights if (r := _finished_row(s, out)) is not None}
        todo = [s for s in discovery.nights if s.night_id not in done]
        rows: dict[str, CohortRow] = dict(done)
        progress = None
        if console is not None:
            from lrm.batch.progress import BatchProgress

            console.print(f"lrm batch: {len(discovery.nights)} nights ({len(done)} already done) -> {out}", highlight=False)
            for path, reason in discovery.skipped[:10]:
                console.print(f"[yellow]not a night[/]: {path} ({reason})", highlight=False)
            progress = BatchProgress(len(discovery.nights), console)
            progress.__enter__()
            for row in done.values():
                progress.advance(row)

        def settle(row: CohortRow) -> None:
            # Every night sent out was unfinished: "skipped" means a worker died after finishing it (its
            # result was lost with the worker) and the rerun found it done, in this batch.
            row = replace(row, status="ok") if row.status == "skipped" else row
            rows[row.night_id] = row
            if progress is not None:
                progress.advance(row)

        interrupted = False
        try:
            if todo:
                if progress is not None:
                    progress.note(f"connecting to the Dask scheduler {scheduler} ..." if scheduler else
                                  f"starting a local Dask cluster ({workers or default_workers()} worker processes) ...")
                with open_client(scheduler, workers) as client:
                    if progress is not None:
                        n_workers = len(client.scheduler_info().get("workers", {}))
                        progress.note(f"Dask: {n_workers} workers, scheduler {client.scheduler.address}")
                    try:
                        run_nights(client, todo, resolved.to_dict(), out, force=force, report=report, on_row=settle,
                                   night_fn=night_fn)
                    except KeyboardInterrupt:  # Ctrl-C: stop cleanly, keep the finished nights (see below)
                        interrupted = True
                        if progress is not None:
                            progress.note("interrupted: cancelling the queued nights and stopping the workers ...")
        finally:
            if progress is not None:
                progress.__exit__(None, None, None)
            shutil.rmtree(out / PARTIAL_DIR, ignore_errors=True)
        if interrupted:
            _settle_interrupted(discovery.nights, rows, out)
        ordered = tuple(rows[s.night_id] for s in discovery.nights)
        table = write_cohort(ordered, out)
        if interrupted:
            _stop_interrupted(ordered, out, console)
        _log_internal_errors(ordered, out)
        digest = resolved.digest()
        stale = sum(r.status == "skipped" and r.values.get("params_digest", digest) != digest for r in ordered)
        elapsed = time.perf_counter() - start
        if console is not None:
            from lrm.batch.progress import print_summary

            print_summary(ordered, elapsed, console)
        return BatchResult(ordered, table, out, params_file, elapsed, discovery.skipped, stale)
    finally:
        if lock is not None:
            lock.close()
