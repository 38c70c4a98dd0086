"""Real ankle (shank) recordings: the Daphnet Freezing of Gait set in ../shared/data/real_ankle/daphnet.

SOURCE.md there: a shank sensor at 64 Hz with 10 mg steps, in mg; patients with Parkinson's disease walking a
lab protocol (straight walks, turns, freezing), with setup time before it; nobody lies down. Not a PLM
ground truth, but real noise, real quantisation and real walking: walking must be walking, near-still
stretches must hold no LMs, and without a lying period there is no index. The four files (10-23 min each)
are analysed as one recording (~53 min, the legs' setup pauses and walks one after the other; each file
starts 3 s after the previous ends, a gap), read with lrm's generic CSV reader; the data are never copied
into the repository.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from lrm.io.recording import Leg, Recording
from lrm.io.registry import ReadOptions, read_file
from lrm.pipeline import analyze

from tests.conftest import shared_file

FILES = ("S01R02", "S03R02", "S03R03", "S06R02")
MAPPING = {"time": "time", "x": "A0", "y": "A1", "z": "A2", "time_format": "relative_ms", "units": "mg"}
START_S = 1.7e9


@pytest.fixture(scope="module")
def daphnet() -> tuple[Recording, np.ndarray]:
    """The four recordings as one leg, and the protocol's annotation per sample (0 outside the experiment,
    1 walking or standing, 2 freezing)."""
    ts, xs, ann, t0 = [], [], [], START_S
    for name in FILES:
        path = shared_file(f"real_ankle/daphnet/{name}.txt")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")        # the reader's notes (relative ms timestamps)
            leg = read_file(path, ReadOptions(side="left", mapping=MAPPING, start_s=START_S), format="generic-csv").legs["left"]
        t = leg.t_s - leg.t_s[0] + t0
        ts.append(t)
        xs.append(leg.accel_g)
        ann.append(pd.read_csv(path, usecols=["N"])["N"].to_numpy())
        t0 = t[-1] + 3.0
    leg = Leg("left", np.concatenate(ts), np.concatenate(xs), 64.0, source="daphnet S01R02+S03R02+S03R03+S06R02")
    return Recording(legs={"left": leg}), np.concatenate(ann)


@pytest.fixture(scope="module")
def whole_recording_in_bed(daphnet):
    """The analysis with the whole recording given as the rest period (as a diary could), so that every
    movement is labelled and kept."""
    rec, _ = daphnet
    leg = rec.legs["left"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return analyze(rec, lights_out_s=0.0, lights_on_s=float(leg.t_s[-1] - leg.t_s[0]))


def _per_second(leg: Leg) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    t = leg.t_s - leg.t_s[0]
    frame = pd.DataFrame(leg.accel_g.astype(np.float64), columns=list("xyz")).assign(s=np.floor(t).astype(int))
    n = int(frame["s"].max()) + 1
    grouped = frame.groupby("s")
    return grouped.std().reindex(range(n)), grouped.mean().reindex(range(n)), n


def test_the_sensors_noise_and_10_mg_steps_are_measured(whole_recording_in_bed):
    q = whole_recording_in_bed.summary.quality["left"]
    assert q.lsb_g == pytest.approx(0.010, abs=0.0015)      # "10 mg quantisation steps" (SOURCE.md)
    assert 0.007 < q.noise_g < 0.02                          # the stillest stretches: ~9-12 mg per axis
    assert q.fs_hz == pytest.approx(64.0, abs=2.0)


def test_walking_is_walking_and_steps_never_become_lms(daphnet, whole_recording_in_bed):
    rec, ann = daphnet
    leg = rec.legs["left"]
    # reference: seconds of the protocol (annotation >= 1) in a 4 s stretch of vigorous shank movement (the
    # acceleration magnitude's spread above 0.15 g: strides, turns, freezing's trembling), not lrm's own rule
    t = leg.t_s - leg.t_s[0]
    frame = pd.DataFrame({"s": np.floor(t).astype(int), "mag": np.linalg.norm(leg.accel_g, axis=1), "n": ann})
    per_s = frame.groupby("s").agg(spread=("mag", "std"), n=("n", "max"))
    per_s = per_s.reindex(range(int(per_s.index.max()) + 1))
    walking = ((per_s["spread"].rolling(4, center=True, min_periods=1).mean() > 0.15) & (per_s["n"] >= 1)).to_numpy()
    assert walking.sum() > 600                               # ~15 min of it over the four recordings
    events = whole_recording_in_bed.events
    labelled = np.zeros(walking.size, bool)
    for _, e in events.loc[events["type"] == "walking"].iterrows():
        labelled[int(e["onset_s"]) : int(np.ceil(e["offset_s"]))] = True
    assert labelled[walking].mean() >= 0.9                   # measured: 0.96
    lms = events.loc[events["type"] == "lm"]
    in_walking = [e["onset_s"] for _, e in lms.iterrows() if walking[int(e["onset_s"]) : int(np.ceil(e["offset_s"]))].any()]
    assert in_walking == []


def test_near_still_stretches_hold_no_lms(daphnet, whole_recording_in_bed):
    """A stretch (10 s and 2 s on each side) where every second's samples vary no more than 1.2x the sensor's
    own noise and no second's mean moves by more than one quantisation step: whatever toggles there is
    the sensor, not the leg."""
    rec, _ = daphnet
    q = whole_recording_in_bed.summary.quality["left"]
    sd, mu, n = _per_second(rec.legs["left"])
    sd, mu = sd.to_numpy(), mu.to_numpy()
    still = []
    for k in range(n // 10):
        a, b = k * 10 - 2, (k + 1) * 10 + 2
        if a < 0 or b > n or np.isnan(sd[a:b]).any():
            continue
        if (sd[a:b] <= 1.2 * q.noise_g).all() and (np.abs(mu[a:b] - np.median(mu[a:b], axis=0)) <= q.lsb_g).all():
            still.append((k * 10, (k + 1) * 10))
    assert len(still) >= 20                                   # measured: 28 stretches, 4.7 min
    lms = whole_recording_in_bed.events.query("type == 'lm'")
    hits = [(a, on) for a, b in still for on, off in zip(lms["onset_s"], lms["offset_s"]) if on < b and off > a]
    assert hits == []


def test_no_lying_period_means_no_index(daphnet):
    rec, _ = daphnet
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = analyze(rec)
    s = res.summary
    assert s.rest_period_source == "none" and s.time_in_bed_h == 0.0
    assert s.plm_index is None and s.lm_index is None and s.lm_count == 0
    assert any("no lying period" in str(w.message) for w in caught)
    assert any("no lying period" in w for w in s.warnings)
