"""lrm: leg-movement monitor.

Periodic limb movements (WASM 2016 / AASM rules) and hypnic jerks from ankle accelerometers.

Public API (imported lazily, so ``import lrm`` is cheap)::

    night = lrm.analyze(left="L.csv", right="R.csv")  # or a path, or lrm.read(...) -> Recording
    night.summary.plm_index, night.events              # NightResult: .summary, .events DataFrame, .trace
    night.save("night1"); lrm.load("night1")           # the night directory, written and read back
    scored = lrm.score_events("events.txt")            # WASM 2016 on technician-scored LMs
    sim = lrm.simulate(profile="plmd", seed=1)         # a simulated night with its truth
    table = lrm.run_batch(["data/"], "cohort").table   # many nights (Dask), one cohort table
"""

from __future__ import annotations

from typing import Any

from lrm._version import __version__

__all__ = ["__version__", "read", "analyze", "load", "score_events", "simulate", "Recording", "Leg", "NightResult",
           "Params", "RuleSet", "LrmError", "InputError", "LrmWarning", "run_batch", "write_simulation"]

_LAZY = {
    "read": ("lrm.io.registry", "read"),
    "Recording": ("lrm.io.recording", "Recording"),
    "Leg": ("lrm.io.recording", "Leg"),
    "LrmError": ("lrm.errors", "LrmError"),
    "InputError": ("lrm.errors", "InputError"),
    "analyze": ("lrm.api", "analyze"),
    "load": ("lrm.api", "load"),
    "NightResult": ("lrm.result", "NightResult"),
    "Params": ("lrm.params", "Params"),
    "RuleSet": ("lrm.rules.rulesets", "RuleSet"),
    "LrmWarning": ("lrm.errors", "LrmWarning"),
    "run_batch": ("lrm.batch", "run_batch"),
    "write_simulation": ("lrm.sim.night", "write_simulation"),
    "score_events": ("lrm.api", "score_events"),
    "simulate": ("lrm.api", "simulate"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module_name, attr = _LAZY[name]
        value = getattr(importlib.import_module(module_name), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'lrm' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
