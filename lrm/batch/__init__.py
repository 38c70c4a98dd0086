"""Cohort processing: one night per Dask task, a cohort table at the end.

Example::

    from lrm.batch import run_batch
    result = run_batch(["data/"], "cohort_out", workers=2)   # folders, globs or a manifest CSV
    result.table[["night_id", "status", "plm_index"]]

Modules: :mod:`~lrm.batch.discover` (nights from folders, globs or a manifest), :mod:`~lrm.batch.config`
(TOML parameters), :mod:`~lrm.batch.run` (one night, atomically), :mod:`~lrm.batch.cluster` (Dask),
:mod:`~lrm.batch.cohort` (the cohort table), :mod:`~lrm.batch.progress` (terminal output) and
:mod:`~lrm.batch.orchestrate` (the whole batch).
"""

from __future__ import annotations

from typing import Any

__all__ = ["run_batch", "BatchResult", "find_nights", "read_manifest", "NightSpec", "run_night", "CohortRow", "cohort_frame"]

_LAZY = {
    "run_batch": "lrm.batch.orchestrate",
    "BatchResult": "lrm.batch.orchestrate",
    "find_nights": "lrm.batch.discover",
    "read_manifest": "lrm.batch.discover",
    "NightSpec": "lrm.batch.discover",
    "run_night": "lrm.batch.run",
    "CohortRow": "lrm.batch.run",
    "cohort_frame": "lrm.batch.cohort",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'lrm.batch' has no attribute {name!r}")
