"""The rest-period stress generator plants what it says (tests/rest_stress.py), and lrm's time in bed on its nights
comes within a minute of the truth where an ankle can know it (docs/validation.md, "Time in bed on independent
nights")."""

import warnings

import numpy as np
import pytest

import lrm
from rest_stress import RATES_HZ, make_rest_night, score_rest

# seeds 16 and 13 (9 h): a strap turn on one leg, then a night-time trip (16) or the final rising (13), that the
# night's tibia axis read as lying on that leg: time in bed +14.8 min (16) and lights-on +33.1 min (13) before the
# axis was taken from the walk itself around each excursion; 17: knees up, trips and BLE gaps
SEEDS = (16, 13, 17)


@pytest.fixture(scope="module", params=SEEDS)
def night(request):
    return make_rest_night(request.param)


@pytest.fixture(scope="module")
def analysed(night):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lrm.analyze(night.recording, threads=1)


def test_the_truth_is_the_rest_period_without_trips_and_gaps(night):
    assert night.fs_hz in RATES_HZ and 0.002 <= night.noise_g <= 0.03
    in_bed = np.flatnonzero(night.in_bed)
    assert in_bed[0] == int(night.lights_out_s) and in_bed[-1] == int(night.rising_s) - 1
    inside = night.in_bed[in_bed[0]:in_bed[-1] + 1]
    if "trips" in night.scenarios:          # each trip lasts 1-20 min: out of bed for 1-20 min less 6 s
        edges = np.flatnonzero(np.diff(np.concatenate(([0], (~inside).astype(int), [0]))))
        holes = edges[1::2] - edges[::2]
        assert holes.size >= 1 and ((holes >= 53) & (holes <= 1195)).all()
    else:
        assert inside.all()
    assert night.analysis_h <= night.tib_h
    assert (night.analysis_h < night.tib_h) == bool((night.in_bed & ~night.valid).any())


def test_lrm_time_in_bed_comes_within_a_minute_where_the_ankle_can_know(night, analysed):
    score = score_rest(night, analysed.summary)
    assert abs(score["lights_on_err_min"]) < 1.0
    if "reading" in night.scenarios:        # sitting up in bed with the legs out looks like lying: lrm cannot know
        assert score["lights_out_err_min"] < -5.0 and score["err_min"] > 5.0
    else:
        assert abs(score["lights_out_err_min"]) < 1.0 and abs(score["err_min"]) < 1.0
