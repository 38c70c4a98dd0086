"""Helpers for the report tests: an analysed-night directory written by the real writer from the real pipeline
on a small simulated night (``lrm.simulate`` -> ``lrm.pipeline.analyze`` -> ``NightResult.save``), so a
change on either side of the pipeline/report interface fails a report test."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import warnings
from pathlib import Path

from lrm.pipeline import analyze
from lrm.result import NightResult
from lrm.sim.night import simulate

MAX_HOURS = 2.0  # longer nights are simulated as 2 h: the report tests need the shape, not the length


@functools.lru_cache(maxsize=8)
def analysed_night(seed: int, hours: float, profile: str) -> NightResult:
    """The analysis of a simulated night (cached: several tests share one)."""
    night = simulate(profile=profile, seed=seed, hours=min(hours, MAX_HOURS))  # type: ignore[arg-type]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return analyze(night.recording)


def write_night_dir(
    out_dir: Path, *, seed: int = 1, hours: float = 2.0, plm_series: int = 6, subject_id: str = "S01",
    input_name: str = "left.csv", with_trace: bool = True, recording_start: str | None = "",
) -> Path:
    """Write an analysed-night directory (a PLMD night; a healthy one with ``plm_series=0``) and return it.

    ``subject_id``, ``input_name`` (the left file's name) and ``recording_start`` replace the simulated
    night's own (default: 21:14:05 UTC on March ``seed``, 2026, so nights of different seeds are different
    nights); ``with_trace=False`` leaves trace.parquet out, as ``lrm score-events`` does. The input files'
    digests depend on all of these, so two directories are "the same night" only when they are.
    """
    if recording_start == "":
        recording_start = f"2026-03-{seed:02d}T21:14:05Z"
    night = analysed_night(seed, hours, "plmd" if plm_series else "healthy")
    tag = f"{seed}|{hours}|{plm_series}|{subject_id}|{input_name}|{recording_start}"
    files = {"left": {"path": input_name, "sha256": hashlib.sha256(f"L{tag}".encode()).hexdigest(), "bytes": 123456},
             "right": {"path": "right.csv", "sha256": hashlib.sha256(f"R{tag}".encode()).hexdigest(), "bytes": 123999}}
    summary = dataclasses.replace(night.summary, subject=subject_id, input_files=files,
                                  recording_start=recording_start)
    if not with_trace:  # as lrm score-events writes it: no signal, no per-leg quality
        summary = dataclasses.replace(summary, quality={})
    result = dataclasses.replace(night, summary=summary, trace=night.trace if with_trace else None,
                                 snippets=night.snippets if with_trace else None)
    result.save(out_dir, overwrite=True)
    return out_dir
