"""The fuzz suite's outcome table goes into pytest's terminal summary (CI logs show the counts)."""

from __future__ import annotations


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # noqa: ANN001, ARG001
    for report in getattr(config, "lrm_fuzz_reports", ()):
        terminalreporter.write_sep("-", "fuzz suite outcomes (tests/fuzz)")
        terminalreporter.write_line(report)
