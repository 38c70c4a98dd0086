"""A severe PLMD night through the whole pipeline: hours of large PLMs are sleep, and none of them is lost.

Severe PLMD: large rotation PLMs (median 0.4 g, most 0.2-0.8 g) every 20-40 s (IMI median 28 s) for the whole
night, a target of 120 PLMs per hour of sleep, on the wide family's sensors. The sleep estimate reads sleep from
the legs' own movement (docs/scoring.md §5); a night made of movement must not read as wake, and no rule may drop
a true LM of a PLM series because there are many (docs/validation.md, "A sleep estimate that does not read PLMs
as wake").
"""

import warnings

import numpy as np
import pytest

import lrm
from lrm.errors import LrmWarning
from lrm.params import Params, SleepParams
from lrm.sim.compare import match_onsets
from lrm.sim.profiles import SimVariation

SEVERE_PLMD = SimVariation(plm_index_per_h=120.0, imi_median_s=28.0, imi_sigma=0.2, lm_peak_median_g=0.4,
                           lm_peak_sigma=0.35, lm_shape_mix={"rotation": 1.0, "twitch": 0.0, "tremor": 0.0},
                           lm_duration_median_s=2.5)


@pytest.fixture(scope="module")
def night():
    sim = lrm.simulate("plmd", seed=1002, hours=4.0, family="wide", variation=SEVERE_PLMD)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LrmWarning)
        return sim, lrm.analyze(sim.recording, threads=1)


@pytest.fixture(scope="module")
def beat(night):
    sim, _ = night
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LrmWarning)
        return lrm.analyze(sim.recording, Params(sleep=SleepParams(keep_series_beat=True)), threads=1)


def test_the_night_is_a_severe_plmd_night(night):
    sim, _ = night
    lms = sim.truth.lms()
    assert sim.truth.plm_index > 50 and lms["in_plm_series"].sum() > 300 and (lms["peak_g"] >= 0.15).mean() > 0.9


def test_with_the_series_beat_kept_hours_of_large_plms_are_estimated_as_sleep(night, beat):
    """``SleepParams.keep_series_beat`` (opt-in): a PLM's short-IMI neighbour and two LMs the detector joined keep
    the series' beat. This night's estimated sleep: 1.76 h of the true 3.16 h by default (0.56; 1.68 h before the
    legs were combined by the WASM bilateral rule, 2026-12-05), 3.06 h with it (0.97)."""
    sim, default = night
    true_sleep_h = float(np.sum(np.asarray(sim.truth.stages) != "W")) * 30.0 / 3600.0
    assert beat.summary.estimated_sleep_h >= 0.8 * true_sleep_h > default.summary.estimated_sleep_h


def test_no_true_plm_is_relabelled_a_posture_change_by_default(night):
    """Only the 3 deg posture-change rule may take a movement that turned the leg: no return-angle rule
    (``PostureParams.return_angle_deg``, ``wake_return_angle_deg``) relabels a true LM of a PLM series or one of
    >= 0.15 g on this night with the default parameters."""
    sim, result = night
    change_deg = result.params.posture.change_angle_deg
    ev = result.events
    truth = sim.truth.lms()
    for side in sim.recording.sides:
        relabelled = ev.loc[(ev["type"] == "posture_change") & (ev["side"] == side) & (ev["angle_deg"] < change_deg)]
        mine = truth.loc[truth["side"] == side]
        at_risk = mine.loc[(mine["in_plm_series"] == 1) | (mine["peak_g"] >= 0.15)]
        true_s = sim.truth.recorded_s(at_risk["onset_s"].to_numpy(float), sim.recording.sides[0])
        hit, _ = match_onsets(true_s, relabelled["onset_s"].to_numpy(float))
        assert not hit.any(), f"{side}: {int(hit.sum())} true PLMs / large LMs relabelled posture changes"
