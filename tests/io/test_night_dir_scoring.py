"""The night directory keeps the PSG scoring and the review snippets, and reads them back as they were."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from lrm.errors import InputError
from lrm.io.hypnogram import Hypnogram
from lrm.result import NightResult, Summary, load_night
from lrm.rules.events import empty_events
from lrm.signal.snippets import Snippets


def scored_night() -> NightResult:
    snippets = Snippets(np.array([12.5, 80.0]), 25.0, 5.0,
                        {"left": np.arange(2 * 500 * 3, dtype=np.float32).reshape(2, 500, 3)})
    snippets.accel_g["left"][1, :10] = np.nan
    return NightResult(empty_events(), Summary(rules="wasm2016", time_in_bed_h=0.1),
                       hypnogram=Hypnogram(30.0, 30.0, ("W", "N1", "N2", "?", "R")),
                       respiratory=pd.DataFrame({"onset_s": [40.5], "offset_s": [52.25]}),
                       arousals=pd.DataFrame({"onset_s": [], "offset_s": []}), snippets=snippets)


def test_round_trip(tmp_path):
    night = scored_night()
    back = load_night(night.save(tmp_path / "n"))
    assert back.hypnogram == night.hypnogram
    pd.testing.assert_frame_equal(back.respiratory, night.respiratory)
    assert back.arousals is not None and back.arousals.empty
    assert back.snippets.fs_hz == 25.0 and back.snippets.pre_s == 5.0
    np.testing.assert_array_equal(back.snippets.onset_s, night.snippets.onset_s)
    np.testing.assert_array_equal(back.snippets.accel_g["left"], night.snippets.accel_g["left"])  # NaN too


def test_replacing_a_night_removes_the_files_the_new_one_lacks(tmp_path):
    out = scored_night().save(tmp_path / "n")
    plain = NightResult(empty_events(), Summary(rules="wasm2016", time_in_bed_h=0.1))
    plain.save(out, overwrite=True)
    back = load_night(out)
    assert back.hypnogram is None and back.respiratory is None and back.snippets is None


def test_a_damaged_hypnogram_is_an_input_error(tmp_path):
    out = scored_night().save(tmp_path / "n")
    (out / "hypnogram.csv").write_text("onset_s,duration_s,stage\n0,30,W\n30,30,S5\n")
    with pytest.raises(InputError, match="hypnogram.csv: column 'stage': unknown stage 'S5'"):
        load_night(out)
    (out / "hypnogram.csv").write_text("onset_s,duration_s,stage\n0,30,W\n90,30,N1\n")
    with pytest.raises(InputError, match="hypnogram.csv: epochs are not consecutive"):
        load_night(out)
