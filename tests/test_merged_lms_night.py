"""LMs that stay turned in a PLM series: a still stretch longer than any tonic hold is rest.

Wide dev night 1010 (rls profile, 3 h): rotation LMs may leave the shank up to 10 % of their flexion away
(lrm.sim.shank). Two LMs of the right leg that turn it and are followed by 12-15 s of stillness were detected as
movements of 19.3 and 20.4 s (true 2.5 and 2.7 s) running to the next LM's end: over 10 s they are no CLMs and break
their series (docs/scoring.md §1.2 step 3). The first pass joined each LM, the still stretch and the next LM into one
movement of > 15 s that was not masked, so the resting vector stayed at the orientation before
(docs/validation.md, "LMs that stay turned in a PLM series (2026-12-04 late night)"). lrm.signal.leg.settle_rest_1s
now rests the leg where it lies still for >= 10 s within such a merged movement.
"""

import warnings

import numpy as np
import pytest

import lrm
from lrm.errors import LrmWarning


@pytest.fixture(scope="module")
def night():
    sim = lrm.simulate("rls", seed=1010, hours=3.0, family="wide")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LrmWarning)
        return sim, lrm.analyze(sim.recording, threads=1)


@pytest.mark.parametrize("true_onset_s", [3057.9, 6096.2])
def test_an_lm_that_leaves_the_leg_turned_ends_before_the_next_one(night, true_onset_s):
    sim, result = night
    truth, ref = sim.truth, sim.recording.sides[0]
    ev = truth.events.loc[(truth.events["type"] == "lm") & (truth.events["side"] == "right")]
    on = truth.recorded_s(ev["onset_s"].to_numpy(float), ref)
    off = truth.recorded_s(ev["offset_s"].to_numpy(float), ref)
    k = int(np.argmin(np.abs(on - true_onset_s)))
    assert abs(on[k] - true_onset_s) < 0.1 and off[k] - on[k] < 3.0          # the true LM: 2.5-2.7 s
    det = result.events.loc[(result.events["type"] == "lm") & result.events["side"].isin(["right", "bilateral"])]
    hit = det.loc[(det["onset_s"] - on[k]).abs() <= 1.0]
    assert len(hit) == 1, hit
    assert hit["offset_s"].iloc[0] == pytest.approx(off[k], abs=1.5)           # before: 16-17 s late
    assert bool(hit["is_clm"].iloc[0])
