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
    assert "PLM index" in capsys.readouterr().out
    assert json.loads((tmp_path / "d" / "summary.json").read_text())["plm_index"] is not None
