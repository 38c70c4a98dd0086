"""The cohort table: one row per night, written as ``cohort.csv`` and ``cohort.parquet``.

Columns, in this order (see docs/batch.md):

* ``night_id``, ``status`` (ok | skipped | failed), ``error`` (one line, empty unless failed);
* the night's headline figures: ``rules``, ``time_in_bed_h``, ``plm_index``, ``plms_index``, ...;
* every other key of the night's summary.json, nested keys joined with ``_``
  (``quality.left.coverage_pct`` -> ``quality_left_coverage_pct``), lists as JSON text, except the
  parameter values (``params.*``: they are in ``params-<digest>.toml``) and ``input_files``;
* provenance: ``params_digest``, ``lrm_version``, ``elapsed_s``, ``output`` and the inputs
  (``left``, ``right``, ``path``, ``hypnogram``, ``respiratory``, ``arousals``).

A failed night keeps its row, with the inputs and the error and empty figures.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrm.batch.run import CohortRow
from lrm.io.atomic import write_atomic

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["LEADING_COLUMNS", "TRAILING_COLUMNS", "cohort_frame", "write_cohort", "COHORT_CSV", "COHORT_PARQUET"]

COHORT_CSV = "cohort.csv"
COHORT_PARQUET = "cohort.parquet"
LEADING_COLUMNS = (
    "night_id", "status", "error", "rules", "time_in_bed_h", "total_sleep_time_h",
    "plm_index", "plms_index", "plmw_index", "plm_count", "lm_index", "clm_index", "periodicity_index",
    "plm_series_count", "hypnic_jerk_count",
)
TRAILING_COLUMNS = ("params_digest", "lrm_version", "elapsed_s", "output", "left", "right", "path", "hypnogram",
                    "respiratory", "arousals")
# summary.json may spell provenance differently; these keys feed the fixed provenance columns.
_DIGEST_KEYS = ("params_digest", "params_hash", "params_sha256", "params_id")
_VERSION_KEYS = ("lrm_version", "version", "created_by")
# Each parameter's value is in OUT/params-<digest>.toml (one column, params_digest, points to it) and the
# input files are the left/right/path columns: the table does not repeat them.
_DROPPED_PREFIXES = ("params_", "input_files_")


def _row_record(row: CohortRow) -> dict[str, Any]:
    values = dict(row.values)
    record: dict[str, Any] = {"night_id": row.night_id, "status": row.status, "error": row.error}
    digest = next((values.pop(k) for k in _DIGEST_KEYS if k in values), None)
    version = next((values.pop(k) for k in _VERSION_KEYS if k in values), None)
    for key, value in values.items():
        if key not in record and key not in TRAILING_COLUMNS and not key.startswith(_DROPPED_PREFIXES):
            record[key] = value
    spec = row.spec
    record.update(params_digest=digest, lrm_version=version, elapsed_s=row.elapsed_s, output=row.output,
                  left=spec.left, right=spec.right, path=spec.path, hypnogram=spec.hypnogram,
                  respiratory=spec.respiratory, arousals=spec.arousals)
    return record


def _tidy_column(series: pd.Series) -> pd.Series:
    """One dtype per column (Parquet needs it): bool, numbers, else text; None stays missing."""
    import pandas as pd

    present = series.dropna()
    if present.empty:
        return series.astype("float64") if series.name not in ("error", "output") else series.astype("string")
    kinds = {type(v) for v in present}
    if kinds <= {bool}:
        return series.astype("boolean")
    if kinds <= {int, float} or all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in present):
        if kinds <= {int}:
            return series.astype("Int64")
        return pd.to_numeric(series, errors="coerce").astype("float64")
    return series.map(lambda v: None if v is None or (isinstance(v, float) and v != v) else str(v)).astype("string")


def _per_night(row: CohortRow) -> list[CohortRow]:
    """A recording analysed night by night as one row per night (``night_id`` ``<id>/<date>``)."""
    from dataclasses import replace

    if not row.nights:
        return [row]
    return [replace(row, night_id=f"{row.night_id}/{night.get('date')}", values=night, nights=(),
                    output=f"{row.output}/{night['night_output']}" if night.get("night_output") else row.output)
            for night in row.nights]


def cohort_frame(rows: Iterable[CohortRow]) -> pd.DataFrame:
    """The cohort table as a DataFrame: one row per night, sorted by ``night_id``; columns as in the module doc.
    A recording analysed night by night (longer than 30 h) gives one row per night, with ``night_status`` and
    ``night_reason`` (a night not scored: non-wear, no lying period ...)."""
    import pandas as pd

    records = [_row_record(r) for r in sorted((n for r in rows for n in _per_night(r)), key=lambda r: r.night_id)]
    columns: list[str] = []
    for name in LEADING_COLUMNS:
        columns.append(name)
    seen = set(columns) | set(TRAILING_COLUMNS)
    for record in records:
        for key in record:
            if key not in seen:
                seen.add(key)
                columns.append(key)
    columns.extend(TRAILING_COLUMNS)
    frame = pd.DataFrame.from_records(records, columns=columns) if records else pd.DataFrame(columns=columns)
    frame = frame.astype(object).where(frame.notna(), None)
    for name in frame.columns:
        frame[name] = _tidy_column(frame[name])
    frame["error"] = frame["error"].fillna("")
    return frame


def _replace_atomically(path: Path, write: Any) -> None:
    write_atomic(path, write, binary=True)   # lrm.io.atomic: a full disk names the file, leaves no .tmp


def write_cohort(rows: Sequence[CohortRow], out_dir: str | os.PathLike[str]) -> pd.DataFrame:
    """Write ``out_dir/cohort.csv`` and ``out_dir/cohort.parquet`` (each atomically) and return the table."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    frame = cohort_frame(rows)
    _replace_atomically(out / COHORT_CSV, lambda p: frame.to_csv(p, index=False))
    _replace_atomically(out / COHORT_PARQUET, lambda p: frame.to_parquet(p, index=False))
    return frame
