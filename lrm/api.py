"""The public Python API, re-exported by ``lrm``: read, analyze, score_events, simulate.

Each function lives with the layer that owns it; this module only gathers them, so the package has one
documented entry point. See each function's docstring for parameters and units.
"""

from __future__ import annotations

from lrm.io.registry import read
from lrm.pipeline import analyze
from lrm.rules.score import score_events
from lrm.sim.night import simulate

__all__ = ["read", "analyze", "score_events", "simulate"]
