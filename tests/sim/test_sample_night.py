"""The bundled sample night is the documented recipe and reads as a two-leg recording."""

import json

import pytest

from lrm.io.registry import read
from lrm.sim.sample_night import SAMPLE_RECIPE, sample_night_dir


def test_bundled_sample_night_matches_its_recipe():
    night = sample_night_dir()
    truth = json.loads((night / "truth.json").read_text())
    assert truth["profile"] == SAMPLE_RECIPE["profile"] and truth["seed"] == SAMPLE_RECIPE["seed"]
    assert truth["event_counts"]["hypnic_jerk"] >= 2 and truth["scored"]["summary"]["plm_index"] > 15
    rec = read(night)
    assert rec.sides == ("left", "right") and rec.meta["format"] == "lrm-recording"
    assert rec.legs["left"].n_samples == pytest.approx(SAMPLE_RECIPE["hours"] * 3600 * SAMPLE_RECIPE["rate_hz"], rel=0.02)
    assert sum(p.stat().st_size for p in night.iterdir()) < 10e6
