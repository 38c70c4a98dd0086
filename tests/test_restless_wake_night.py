"""Restless wake through the whole pipeline: fidgets that move the leg to lie elsewhere are not PLMs.

Wide dev night 1023 (hypnic profile, 3 h): without the rule 14 of its 26 detected PLMs lie on true restless-wake fidgets
(docs/validation.md, "Where LM F1 and the PLM index are lost"). ``PostureParams.kept_turn_fraction`` (0.1 by default)
relabels an LM that keeps >= 0.1 of its excursion as a lasting turn a repositioning (docs/scoring.md §5
"Restless wake", §6; docs/validation.md, "Restless-wake PLMs: a repositioning keeps its turn (2026-12-04)").
"""

import dataclasses
import warnings

import numpy as np
import pytest

import lrm
from lrm.errors import LrmWarning
from lrm.params import Params


def _plms_on(sim, result, kind: str) -> int:
    """Detected PLM rows whose onset lies on a true event of ``kind`` of the same leg (LM: onset within 1 s;
    other kinds: within the event +- 1 s)."""
    truth, ref = sim.truth, sim.recording.sides[0]
    ev = truth.events.loc[truth.events["type"] == kind]
    on = truth.recorded_s(ev["onset_s"].to_numpy(float), ref)
    off = truth.recorded_s(ev["offset_s"].to_numpy(float), ref)
    det = result.events.loc[(result.events["type"] == "lm") & result.events["in_plm_series"].astype(bool)]
    n = 0
    for t, side in zip(det["onset_s"].to_numpy(float), det["side"]):
        same = ev["side"].isin([side, "bilateral"]).to_numpy() | (side == "bilateral")
        hit = (np.abs(on - t) <= 1.0) if kind == "lm" else ((on - 1.0 <= t) & (t <= off + 1.0))
        n += bool((hit & same).any())
    return n


@pytest.fixture(scope="module")
def nights():
    sim = lrm.simulate("hypnic", seed=1023, hours=3.0, family="wide")
    on = Params()
    assert on.posture.kept_turn_fraction == 0.1                            # the default
    off = dataclasses.replace(on, posture=dataclasses.replace(on.posture, kept_turn_fraction=0.0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LrmWarning)
        return sim, lrm.analyze(sim.recording, off, threads=1), lrm.analyze(sim.recording, on, threads=1)


def test_kept_turns_take_the_fidgets_out_of_the_plm_series_and_keep_the_true_plms(nights):
    sim, default, kept = nights
    assert _plms_on(sim, default, "fidget") >= 10                        # the over-count this rule is for
    assert _plms_on(sim, kept, "fidget") <= _plms_on(sim, default, "fidget") // 2
    assert _plms_on(sim, kept, "lm") >= _plms_on(sim, default, "lm") - 1
    assert abs(kept.summary.plm_index - sim.truth.plm_index) < abs(default.summary.plm_index - sim.truth.plm_index)


def test_kept_turns_run_after_the_jerks_and_the_sleep_estimate(nights):
    _, default, kept = nights
    jerks = [r.events.loc[r.events["type"] == "hypnic_jerk", "onset_s"].tolist() for r in (default, kept)]
    assert jerks[0] == jerks[1]
    assert kept.summary.sleep_onsets_s == default.summary.sleep_onsets_s
    assert kept.summary.time_in_bed_h == default.summary.time_in_bed_h
