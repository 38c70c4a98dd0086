"""Shared helpers of the format tests (not a test module)."""

from __future__ import annotations

import numpy as np

from lrm.io.registry import ReadOptions, detect_format, read_file


def read_one(path, **options):
    """Detect and read ``path``; return (format name, the single leg)."""
    fmt = detect_format(path).name
    rec = read_file(path, ReadOptions(**options))
    assert rec.meta["format"] == fmt
    (leg,) = rec.legs.values()
    return fmt, leg, rec


def median_g(leg) -> float:
    return float(np.median(np.linalg.norm(leg.accel_g.astype(np.float64), axis=1)))
