"""The fuzz suite (issue 16): mutated real and generated files through every reader and the scoring inputs.

Each input runs through the full command (``lrm analyze`` or ``lrm score-events``: read, analyse, write the
results and the report) in worker processes limited to 2 GiB of address space and 60 s per input (see
tests/fuzz/runner.py). Every input must end in exit 0, or exit 2 with one ``lrm: error:`` line: never an
internal error, an escaped exception, a timeout or a dead worker. CI runs a fixed set of ~400 inputs (fixed
seeds: the same inputs every run); ``LRM_FUZZ_LONG=1`` runs 20 times as many. The outcome table is printed
in pytest's summary and quoted in docs/robustness.md.
"""

from __future__ import annotations

import os

from tests.fuzz.corpus import SHARED
from tests.fuzz.runner import run, table

LONG = os.environ.get("LRM_FUZZ_LONG") == "1"


def test_fuzzed_inputs_end_in_a_result_or_one_clear_error(tmp_path_factory, pytestconfig):
    outcomes, seconds = run(tmp_path_factory.mktemp("fuzz"), long=LONG)
    summary = table(outcomes, seconds)
    pytestconfig.lrm_fuzz_reports = [*getattr(pytestconfig, "lrm_fuzz_reports", []), summary]  # see conftest.py
    failures = [o for o in outcomes if o.kind.startswith("FAIL")]
    detail = "\n".join(f"{o.kind}: {o.job.seed}: {o.job.mutation}: {' '.join(o.job.argv[:2])}: {o.lrm_lines[:2]} "
                       f"{o.detail[-400:]}" for o in failures[:20])
    assert not failures, f"{len(failures)} of {len(outcomes)} inputs failed\n{summary}\n{detail}"
    assert len(outcomes) >= 300 or not SHARED.is_dir()                # the suite really ran its budget
    kinds = {o.kind for o in outcomes}
    assert {"ok", "error"} <= kinds                                   # both paths reached, not only refusals
    heavy = [o for o in outcomes if (o.peak_rss or 0) >= 1 << 30]    # issue 16: under 1 GiB for files < 10 MB
    assert not heavy, [(o.job.seed, o.job.mutation, o.peak_rss) for o in heavy]
