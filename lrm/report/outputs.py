"""Write a night's outputs: ``events.csv`` and ``summary.json``, each atomically (temp file + os.replace)."""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from lrm.errors import OutputExistsError

__all__ = ["write_outputs", "json_ready"]


def json_ready(value: Any) -> Any:
    """``value`` with NaN/inf -> None, numpy scalars -> Python, tuples -> lists (recursively).

    >>> json_ready({"a": float("nan"), "b": np.int64(3), "c": (1.5, np.inf)})
    {'a': None, 'b': 3, 'c': [1.5, None]}
    """
    if isinstance(value, dict):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA:
        return None
    return value


def _write_atomic(path: Path, write) -> None:  # noqa: ANN001 - a callable taking a text file
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            write(handle)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_outputs(
    out_dir: str | os.PathLike[str], events: pd.DataFrame, summary: dict[str, Any], *, overwrite: bool = False
) -> tuple[Path, Path]:
    """Write ``out_dir/events.csv`` and ``out_dir/summary.json`` and return their paths.

    Parameters
    ----------
    out_dir : path
        Created if missing (with parents).
    events : DataFrame
        The events table (EVENT_COLUMNS first). Written with a header, ``.`` decimals, empty cells for
        missing values, 0/1 flags, floats rounded to 6 decimals (1 µs).
    summary : dict
        summary.json content; NaN and inf become null, keys keep their order.
    overwrite : bool
        If False (default) and ``summary.json`` already exists, raise :class:`OutputExistsError` and write
        nothing, so a finished night is never overwritten by accident.

    Notes
    -----
    Each file is written to a temporary file in ``out_dir`` and renamed into place (``os.replace``), so a
    crash never leaves a half-written file; events.csv goes first, summary.json (the "done" marker) last.
    """
    out = Path(out_dir)
    summary_path, events_path = out / "summary.json", out / "events.csv"
    if summary_path.exists() and not overwrite:
        raise OutputExistsError(str(summary_path), "choose another --out directory, or pass --force to replace it")
    out.mkdir(parents=True, exist_ok=True)
    floats = events.select_dtypes("float").columns
    table = events.assign(**{c: events[c].round(6) for c in floats})  # 1 µs: no 0.30000000000000004
    _write_atomic(events_path, lambda f: table.to_csv(f, index=False, lineterminator="\n"))
    text = json.dumps(json_ready(summary), indent=2, ensure_ascii=False, allow_nan=False) + "\n"
    _write_atomic(summary_path, lambda f: f.write(text))
    return events_path, summary_path
