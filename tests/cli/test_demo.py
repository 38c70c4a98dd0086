import json
import warnings

import pytest

from lrm.cli import main


def test_demo_analyses_the_bundled_night(tmp_path, capsys):
    from lrm.commands.demo import find_sample_night
    from lrm.errors import InputError

    try:
        find_sample_night()
    except InputError:
        pytest.skip("sample_data/ holds no sample night yet")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert main(["demo", "--out", str(tmp_path / "d")]) == 0
        assert main(["demo", "--out", str(tmp_path / "d")]) == 2  # never overwrites without --force
    out = capsys.readouterr().out
    assert "PLM index" in out
    summary = json.loads((tmp_path / "d" / "summary.json").read_text())
    assert summary["plm_index"] is not None
    _quality_equals_the_files(summary["quality"], out, find_sample_night())


def _quality_equals_the_files(quality: dict, terminal: str, night: dict) -> None:
    """The data-quality line counts each gap once and gives the samples' own rate (issue 15): computed here
    independently from the sample night's files (holes > 1 s between sample times, and the recorder's gaps)."""
    import numpy as np

    from lrm.io.registry import read

    rec = read(night["path"]) if "path" in night else read(left=night["left"], right=night["right"])
    for side, leg in rec.legs.items():
        dt = np.diff(leg.t_s)
        holes = np.flatnonzero(dt > 1.0)
        assert len(leg.gaps) in (0, holes.size)          # the demo's recorder gaps are those holes
        rate = (leg.n_samples - 1 - holes.size) / (leg.duration_s - dt[holes].sum())
        q = quality[side]
        assert q["gap_count"] == holes.size, side
        assert q["gap_total_s"] == pytest.approx(dt[holes].sum(), abs=0.01), side
        assert q["fs_hz"] == pytest.approx(rate, abs=0.0006), side
        assert f"{q['fs_hz']:.1f} Hz" in terminal and f"{holes.size} gaps ({dt[holes].sum():.0f} s)" in terminal
