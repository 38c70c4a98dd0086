"""The deviation statistics' arithmetic without (n,) repeats: per-block ratios and the rest error per second give
the bits of the repeated arrays (lrm.signal.detect, lrm.signal.envelope; benchmarks/README.md, speed pass 11)."""

from __future__ import annotations

import numpy as np
import pytest

from lrm.signal.detect import _per_sample, per_block_ratio
from lrm.signal.envelope import _less_rest_error


def _bits(x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x).view(np.uint8)


def test_per_block_ratio_equals_the_division_by_the_repeated_blocks():
    rng = np.random.default_rng(5)
    for trial in range(300):
        n, per_block, blocks = int(rng.integers(0, 120)), int(rng.integers(1, 25)), int(rng.integers(1, 12))
        values = rng.normal(size=n).astype((np.float32, np.float64)[trial % 2])
        block = rng.uniform(0.1, 2.0, blocks).astype((np.float32, np.float64)[trial // 2 % 2])
        expected = values / _per_sample(block, per_block, n)
        got = per_block_ratio(values, block, per_block)
        assert got.dtype == expected.dtype
        assert np.array_equal(_bits(got), _bits(expected))


def test_rest_error_is_subtracted_second_by_second_never_below_zero():
    offset = np.float32([0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5])
    _less_rest_error(offset, np.float32([0.1, 0.7, 0.2]), 2.0)   # 2 samples a second; the 7th has no second
    assert offset.tolist() == pytest.approx([0.4, 0.4, 0.0, 0.0, 0.3, 0.3, 0.5])
