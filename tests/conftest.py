"""Shared fixtures. Real data lives in ../shared/data (never copied into the repository): tests that need
it use the ``shared_data`` fixture, which skips cleanly when the folder is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# CI runs the same examples every time (a red run is reproducible, never a coin toss); LRM_HYPOTHESIS=explore
# draws new ones, for hunting edge cases locally (a failure found so is then kept as a test).
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("explore", derandomize=False, print_blob=True)
settings.load_profile("explore" if os.environ.get("LRM_HYPOTHESIS") == "explore" else "ci")

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("LRM_SHARED_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The ../shared/data folder; skips the test when it is not there."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data not found at {SHARED_DATA} (set LRM_SHARED_DATA)")
    return SHARED_DATA


def shared_file(relative: str) -> Path:
    """A file under ../shared/data, or skip the calling test when it is absent."""
    path = SHARED_DATA / relative
    if not path.exists():
        pytest.skip(f"shared data file not found: {path}")
    return path


_NIGHTS: dict[tuple, object] = {}


@pytest.fixture(scope="session")
def make_night():
    """Factory ``make_night(profile="plmd", seed=0, hours=1.0, rate_hz=50.0, sides=("left", "right"), variation=None)``
    returning a :class:`lrm.sim.night.SimulatedNight`, cached per parameters for the whole session (treat it as
    read-only)."""
    from lrm.sim.night import simulate

    def factory(profile="plmd", seed=0, hours=1.0, rate_hz=50.0, sides=("left", "right"), variation=None):
        rate_key = tuple(sorted(rate_hz.items())) if isinstance(rate_hz, dict) else rate_hz
        key = (profile, seed, hours, rate_key, tuple(sides), repr(variation))
        if key not in _NIGHTS:
            _NIGHTS[key] = simulate(profile, seed=seed, hours=hours, rate_hz=rate_hz, sides=sides, variation=variation)
        return _NIGHTS[key]

    return factory


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ANN001, ARG001
    """The robustness tests' counts (tests/fuzz, tests/ble/test_crash_safety.py) in the CI log."""
    for report in getattr(config, "lrm_fuzz_reports", ()):
        terminalreporter.write_sep("-", "robustness (issue 16)")
        terminalreporter.write_line(report)
