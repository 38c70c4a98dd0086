"""What really happened in a simulated night: every event on the true clock, the sensors' clock and gap
facts, and the WASM 2016 result on the true LMs (what a perfect detector on these sensors would score).

Per true LM (one row per leg) the truth records its onset and offset (s, the EMG-like start and end of
the movement), ``side``, ``shape`` (its class: rotation, twitch or tremor in the wide and hard families,
see :mod:`lrm.sim.shank`; "classic" for the first simulator's waveform; a jerk's variant) and ``peak_g``.

**Peak (g).** ``peak_g = max over the movement of |a(t) - a_rest|``, where ``a(t)`` is the acceleration
vector the sensor reads (specific force, in the sensor's own axes, through its mounting, gains and, in the
wide and hard families, its anti-alias low-pass) without noise, quantisation, bias drift or clipping,
and ``a_rest`` is that reading in the resting pose just before the movement starts. The maximum runs
over the movement's rendered window (onset to the end of its release or ring-down, plus the low-pass's
settling) on a 400 Hz grid, so it does not depend on when the samples fall. It contains the gravity
projection's shift from the rotation (``2 sin(theta/2)`` g for a rotation by theta perpendicular to
gravity) and the movement's own acceleration, added as vectors. The mounting rotation leaves the norm
unchanged; the gains (+-2 %) are included in the wide and hard families and left out in the classic one.
A detector's stated detection limit (``detection_limit_g``) uses this same definition. For the other
movement types the peak is the same quantity, the larger of the two legs'.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["TRUTH_COLUMNS", "LegTruth", "Truth", "score_truth", "read_truth"]

SCHEMA_VERSION = 1

#: truth events columns, name -> dtype
TRUTH_COLUMNS: dict[str, str] = {
    "onset_s": "float64",  # s since recording start, true clock
    "offset_s": "float64",
    "duration_s": "float64",
    "side": "string",  # left | right (LM components) ; left | right | bilateral (other types)
    "type": "string",  # lm | hypnic_jerk | posture_change | walking | fidget | tremor | alma
    "shape": "string",  # LM class (rotation | twitch | tremor | classic), jerk variant, else the type
    "peak_g": "float64",  # max |a(t) - a_rest| of the noise-free reading over the movement, g (module docstring)
    "in_plm_series": "int8",  # 1 if WASM 2016 scoring of the true LMs puts this LM in a PLM series
    "movement_id": "int64",  # shared by the two legs' components of one bilateral movement
    "generated_series": "int64",  # series number the simulator generated it in (-1: none)
    "weak": "bool",  # LM drawn near the noise floor
    "stage": "string",  # W N1 N2 N3 R at onset
    "observed": "bool",  # False if it overlaps a gap of a recorded leg (then it is not in `scored`)
}


@dataclass(frozen=True, slots=True)
class LegTruth:
    """One sensor's facts. Its timestamps obey ``t_rec - recording_start = (1 + drift_ppm*1e-6) * t_true + offset_s``
    (plus jitter), with ``t_true`` in s since the recording start on the true clock."""

    side: str
    fs_hz: float
    true_fs_hz: float
    drift_ppm: float
    offset_s: float
    gaps_s: np.ndarray  # (k, 2) true clock, s since recording start
    mounting: np.ndarray  # (3, 3) shank -> sensor
    noise_g: float
    range_g: float
    scale_g: float
    clipped_share: float
    n_samples: int
    bandwidth_hz: float | None = None  # the sensor's low-pass corner (None: none)

    def to_dict(self) -> dict[str, Any]:
        return {"fs_hz": self.fs_hz, "true_fs_hz": self.true_fs_hz, "drift_ppm": self.drift_ppm, "offset_s": self.offset_s,
                "gaps_s": self.gaps_s.tolist(), "gap_total_s": float(np.sum(np.diff(self.gaps_s, axis=1))) if self.gaps_s.size else 0.0,
                "mounting": self.mounting.tolist(), "noise_g": self.noise_g, "range_g": self.range_g, "scale_g": self.scale_g,
                "clipped_share": self.clipped_share, "n_samples": self.n_samples, "bandwidth_hz": self.bandwidth_hz}


@dataclass(frozen=True, slots=True, eq=False)
class Truth:
    """The truth of a simulated night; all times in s since the recording start on the true clock.

    ``events`` has :data:`TRUTH_COLUMNS`: one row per leg for LMs (a bilateral LM is two rows sharing a
    ``movement_id``, as a PSG scores each tibialis), one row per movement for the other types.
    ``analysis_h`` is the time in bed minus the time out of bed (bathroom trips) and the time any recorded
    leg was in a gap (the denominator of ``scored``). ``scored`` is :func:`lrm.rules.score.score_lms` on the observed true LMs within
    lights-out..lights-on (None until the rules engine is installed).
    """

    profile: str
    seed: int
    recording_start_s: float  # Unix epoch s
    duration_s: float
    lights_out_s: float
    lights_on_s: float
    sleep_onsets_s: tuple[float, ...]
    time_in_bed_h: float
    analysis_h: float
    hypnogram_start_s: float
    stages: tuple[str, ...]
    legs: Mapping[str, LegTruth]
    events: pd.DataFrame
    variation: Mapping[str, Any]
    scored: Any = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    family: str = "classic"
    out_of_bed_s: np.ndarray = field(default_factory=lambda: np.empty((0, 2)))  # (k, 2) bathroom trips

    @property
    def epoch_s(self) -> float:
        return 30.0

    def lms(self, *, observed_only: bool = True) -> pd.DataFrame:
        """The true single-leg LMs (onset_s, offset_s, side, type, peak_g, ...), observed ones by default."""
        ev = self.events
        keep = (ev["type"] == "lm") & (ev["observed"] if observed_only else True)
        return ev.loc[keep].reset_index(drop=True)

    def recorded_s(self, t_s: Any, side: str) -> np.ndarray:
        """True times (s since recording start) as ``side``'s sensor clock shows them (s since recording start).

        A pipeline that aligns one leg to the other reports times on that reference leg's clock; map the
        truth with this before matching onsets.
        """
        leg = self.legs[side]
        return (1.0 + leg.drift_ppm * 1e-6) * np.asarray(t_s, dtype=np.float64) + leg.offset_s

    @property
    def plm_index(self) -> float | None:
        """PLMs per hour of the analysis period by WASM 2016 on the true LMs (None while scoring is pending)."""
        return None if self.scored is None else float(self.scored.summary.plm_index)

    def to_dict(self) -> dict[str, Any]:
        start = datetime.fromtimestamp(self.recording_start_s, tz=timezone.utc).isoformat().replace("+00:00", "Z")
        counts = self.events.groupby("type").size().to_dict() if len(self.events) else {}
        return {
            "schema_version": SCHEMA_VERSION,
            "what": "truth of a night simulated by lrm (lrm.sim); times in s since recording start, true clock",
            "profile": self.profile, "family": self.family, "seed": self.seed, "recording_start": start, "recording_start_s": self.recording_start_s,
            "duration_s": self.duration_s, "lights_out_s": self.lights_out_s, "lights_on_s": self.lights_on_s,
            "time_in_bed_h": self.time_in_bed_h, "analysis_h": self.analysis_h, "out_of_bed_s": self.out_of_bed_s.tolist(), "sleep_onsets_s": list(self.sleep_onsets_s),
            "hypnogram": {"start_s": self.hypnogram_start_s, "epoch_s": self.epoch_s, "stages": list(self.stages)},
            "legs": {side: leg.to_dict() for side, leg in self.legs.items()},
            "clock_model": "t_rec - recording_start = (1 + drift_ppm*1e-6) * t_true + offset_s, plus jitter",
            "variation": dict(self.variation),
            "event_counts": {str(k): int(v) for k, v in counts.items()},
            "events": _records(self.events),
            "scored": None if self.scored is None else {
                "summary": self.scored.summary.to_dict(), "events": _records(self.scored.events)},
            "notes": list(self.notes),
        }

    def to_json(self) -> str:
        return json.dumps(_clean(self.to_dict()), indent=1, allow_nan=False)


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{k: _clean(v) for k, v in row.items()} for row in df.to_dict(orient="records")]


def _clean(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if value is pd.NA or value is None:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float):
        return None if not math.isfinite(value) else round(value, 6)
    return value


def score_truth(events: pd.DataFrame, *, hours: float, lights_out_s: float, lights_on_s: float,
                stages: tuple[str, ...], hypnogram_start_s: float) -> Any:
    """WASM 2016 on the observed true LMs (a ScoredEvents)."""
    from lrm.io.hypnogram import Hypnogram
    from lrm.rules.score import score_lms

    lms = events.loc[(events["type"] == "lm") & events["observed"], ["onset_s", "offset_s", "side", "type", "peak_g"]]
    hypnogram = Hypnogram(start_s=hypnogram_start_s, epoch_s=30.0, stages=tuple(stages))
    return score_lms(lms.reset_index(drop=True), hours=hours, rules="wasm2016", hypnogram=hypnogram,
                     period=(lights_out_s, lights_on_s))


def read_truth(path: str) -> tuple[dict[str, Any], pd.DataFrame]:
    """Read a ``truth.json`` written by :func:`lrm.sim.night.write_simulation`: (the dict, its events table)."""
    with open(path, encoding="utf-8") as fh:
        data = json.load(fh)
    events = pd.DataFrame(data["events"], columns=list(TRUTH_COLUMNS))
    return data, events.astype({k: v for k, v in TRUTH_COLUMNS.items() if k not in ("peak_g",)})
