"""Fixtures of the report tests (the directory writer lives in report_fixtures.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from report_fixtures import write_night_dir


@pytest.fixture
def night_dir(tmp_path: Path) -> Path:
    """A realistic analysed-night directory: summary.json, events.csv, trace.parquet."""
    return write_night_dir(tmp_path / "night1")
