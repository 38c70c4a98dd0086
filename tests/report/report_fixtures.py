"""Helpers for the report tests: a realistic analysed-night directory (summary.json, events.csv,
trace.parquet) written per the interface contract, independent of the pipeline (a test double of its
output files, never shipped)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

EVENT_COLUMNS = [
    "onset_s", "offset_s", "duration_s", "side", "type", "is_clm", "in_plm_series", "series_id", "imi_s",
    "stage", "respiratory", "arousal", "n_components", "peak_g",
]


def _events(rng: np.random.Generator, hours: float, plm_series: int) -> pd.DataFrame:
    rows = []
    t = 1800.0
    for sid in range(plm_series):  # PLM series early in the night, 10-90 s IMIs
        t += rng.uniform(300, 1500)
        for _ in range(int(rng.integers(5, 40))):
            dur = float(rng.uniform(1.0, 4.5))
            rows.append(dict(onset_s=t, offset_s=t + dur, side=rng.choice(["left", "right", "bilateral"]),
                             type="lm", is_clm=1, in_plm_series=1, series_id=sid, n_components=1,
                             peak_g=float(rng.uniform(0.05, 0.6))))
            t += float(rng.uniform(15, 40))
    for onset in rng.uniform(600, hours * 3600 - 600, 60):  # isolated LMs
        dur = float(rng.uniform(0.6, 8))
        rows.append(dict(onset_s=onset, offset_s=onset + dur, side=rng.choice(["left", "right"]), type="lm",
                         is_clm=1, in_plm_series=0, series_id=None, n_components=1, peak_g=0.1))
    for onset in (900.0, 1130.5, 1402.25):  # hypnic jerks around sleep onset
        rows.append(dict(onset_s=onset, offset_s=onset + 0.6, side="bilateral", type="hypnic_jerk", is_clm=0,
                         in_plm_series=0, series_id=None, n_components=2, peak_g=1.4))
    for onset in rng.uniform(1000, hours * 3600 - 600, 12):
        rows.append(dict(onset_s=onset, offset_s=onset + 4.0, side="bilateral", type="posture_change", is_clm=0,
                         in_plm_series=0, series_id=None, n_components=2, peak_g=0.8))
    events = pd.DataFrame(rows).sort_values("onset_s", ignore_index=True)
    events["duration_s"] = events["offset_s"] - events["onset_s"]
    lm = events["type"] == "lm"
    events.loc[lm, "imi_s"] = events.loc[lm, "onset_s"].diff()
    events["stage"] = ""
    events["respiratory"] = None
    events["arousal"] = None
    events["series_id"] = events["series_id"].astype("Int64")
    return events[EVENT_COLUMNS]


def _trace(rng: np.random.Generator, hours: float, events: pd.DataFrame) -> pd.DataFrame:
    t_s = np.arange(0, hours * 3600, 1.0)
    trace = {"t_s": t_s}
    for side in ("left", "right"):
        env = np.abs(rng.normal(0.004, 0.002, t_s.size))
        mine = events[events["side"].isin([side, "bilateral"])]
        for onset, offset, peak in zip(mine["onset_s"], mine["offset_s"], mine["peak_g"], strict=True):
            env[int(onset):int(offset) + 1] = peak
        valid = np.ones(t_s.size, bool)
        if side == "right":
            valid[int(3.1 * 3600):int(3.1 * 3600) + 420] = False  # a 7 min gap
            env[~valid] = np.nan
        trace[f"{side}_envelope_g"] = env.astype(np.float32)
        trace[f"{side}_lying"] = (t_s > 600) & (t_s < hours * 3600 - 900) & ~((t_s > 4 * 3600) & (t_s < 4 * 3600 + 300))
        trace[f"{side}_valid"] = valid
    trace["in_bed"] = (t_s > 480) & (t_s < hours * 3600 - 800)
    return pd.DataFrame(trace)


def write_night_dir(
    out_dir: Path, *, seed: int = 1, hours: float = 8.0, plm_series: int = 6, subject_id: str = "S01",
    input_name: str = "left.csv", with_trace: bool = True, recording_start: str | None = "2026-03-01T22:14:05+01:00",
) -> Path:
    """Write a realistic analysed-night directory and return it."""
    rng = np.random.default_rng(seed)
    out_dir.mkdir(parents=True, exist_ok=True)
    events = _events(rng, hours, plm_series)
    events.to_csv(out_dir / "events.csv", index=False)
    lm = events[events["type"] == "lm"]
    plm = lm[lm["in_plm_series"] == 1]
    tib_h = hours - 0.35
    summary = {
        "schema_version": 1,
        "lrm_version": "0.1.0",
        "subject_id": subject_id,
        "recording_start": recording_start,
        "rules": {"name": "wasm2016", "lm_min_duration_s": 0.5, "lm_max_duration_s": 10.0,
                  "imi_min_s": 10.0, "imi_max_s": 90.0, "min_series_length": 4},
        "time_in_bed_h": tib_h,
        "total_sleep_time_h": None,
        "lights_out_s": 480.0,
        "lights_on_s": hours * 3600 - 800,
        "sleep_onset_s": 1500.0,
        "lm_count": len(lm), "lm_index": len(lm) / tib_h,
        "clm_count": len(lm), "clm_index": len(lm) / tib_h,
        "plm_count": len(plm), "plm_index": len(plm) / tib_h,
        "plm_series_count": int(plm["series_id"].nunique()),
        "plm_series_mean_length": float(plm.groupby("series_id").size().mean()) if len(plm) else None,
        "periodicity_index": len(plm) / len(lm) if len(lm) else None,
        "plms_index": None, "plmw_index": None, "plms_nr_index": None, "plms_arousal_index": None,
        "hypnic_jerk_count": int((events["type"] == "hypnic_jerk").sum()),
        "lm_left_count": int((lm["side"] == "left").sum()),
        "lm_right_count": int((lm["side"] == "right").sum()),
        "lm_bilateral_count": int((lm["side"] == "bilateral").sum()),
        "lm_duration_mean_s": float(lm["duration_s"].mean()),
        "imi_log_mean": float(np.log(lm["imi_s"][(lm["imi_s"] >= 10) & (lm["imi_s"] < 90)]).mean()),
        "quality": {
            side: {"coverage_pct": 100.0 if side == "left" else 98.5, "gap_count": 0 if side == "left" else 1,
                   "gap_total_s": 0.0 if side == "left" else 420.0, "clipping_pct": 0.01, "fs_hz": 50.0,
                   "clock_offset_s": 0.0 if side == "left" else 0.84,
                   "clock_drift_ppm": 0.0 if side == "left" else 12.5}
            for side in ("left", "right")
        },
        "params": {"detect": {"threshold_g": 0.02, "min_gap_s": 0.5}, "posture": {"window_s": 30.0}},
        "params_digest": "sha256:4f1c0ab2",
        "input_files": [
            {"path": input_name, "sha256": "a" * 64, "bytes": 123456},
            {"path": "right.csv", "sha256": "b" * 64, "bytes": 123999},
        ],
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    if with_trace:
        _trace(rng, hours, events).to_parquet(out_dir / "trace.parquet", index=False)
    return out_dir

