"""Batch parameters: a TOML config (the same keys as ``lrm analyze``'s flags) -> :class:`lrm.params.Params`.

The parameters of every batch are recorded next to the cohort table as ``OUT/params-<digest>.toml``;
each night's summary.json and cohort row carry the same ``params_digest``. Re-running a cohort
identically is ``lrm batch ... --config OUT/params-<digest>.toml``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lrm.io.atomic import write_text_atomic

if TYPE_CHECKING:
    from lrm.params import Params

__all__ = ["load_config", "as_params", "params_toml", "record_params"]


def load_config(path: str | os.PathLike[str] | None) -> Params:
    """Parameters from a TOML file, or the defaults when ``path`` is None.

    Raises
    ------
    InputError
        If the file is missing, is not TOML, or names an unknown parameter (the message names the key).
    """
    from lrm.params import Params

    return Params() if path is None else Params.from_toml(path)


def as_params(value: Params | Mapping[str, Any] | None) -> Params:
    """Accept Params, a nested mapping as from ``Params.to_dict()`` (what Dask ships), or None (defaults)."""
    from lrm.params import Params

    if value is None:
        return Params()
    if isinstance(value, Params):
        return value
    if isinstance(value, Mapping):
        return Params.from_dict(_drop_none(value))
    raise TypeError(f"params must be Params, a mapping or None, got {type(value).__name__}")


def _drop_none(value: Mapping[str, Any]) -> dict[str, Any]:
    return {k: (_drop_none(v) if isinstance(v, Mapping) else v) for k, v in value.items() if v is not None}


def params_toml(params: Params) -> str:
    """The parameters as TOML text that :func:`load_config` reads back to the same digest."""
    import tomli_w

    header = f"# lrm analysis parameters, digest {params.digest()}\n# re-run: lrm batch INPUTS --out DIR --config THIS_FILE\n"
    return header + tomli_w.dumps(_drop_none(params.to_dict()))


def record_params(params: Params, out_dir: str | os.PathLike[str]) -> Path:
    """Write ``out_dir/params-<digest>.toml`` (atomically; never overwrites a different file) and return it."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"params-{params.digest()}.toml"
    if not path.exists():
        write_text_atomic(path, params_toml(params))
    return path
