"""The inputs' SHA-256 is hashed in the background after the parse (lrm.io.provenance.PendingDigests)."""

import copy
import hashlib
import json
import pickle

import numpy as np
import pytest

import lrm
from lrm.io.native import write_native
from lrm.io.provenance import PendingDigests


@pytest.fixture(scope="module")
def csv_pair(tmp_path_factory):
    folder = tmp_path_factory.mktemp("pair")
    t = 1_700_000_000 + np.arange(4000) / 50.0
    paths = {}
    for side, offset in (("left", 0.0), ("right", 0.01)):
        rows = "\n".join(f"{ti + offset:.3f},0.01,0.02,0.99" for ti in t)
        paths[side] = folder / f"{side}.csv"
        paths[side].write_text("time,x,y,z\n" + rows + "\n")
    return paths


def test_digests_are_those_of_the_files_and_survive_pickle_copy_and_json(csv_pair, tmp_path):
    rec = lrm.read(left=csv_pair["left"], right=csv_pair["right"])
    files = rec.meta["input_files"]
    assert isinstance(files, PendingDigests) and list(files) == ["left", "right"]
    for side, path in csv_pair.items():
        assert files[side]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
        assert files[side]["bytes"] == path.stat().st_size
    plain = files.resolved()
    assert pickle.loads(pickle.dumps(files)) == plain
    assert copy.deepcopy(files) == plain
    write_native(rec, tmp_path / "native")
    manifest = json.loads((tmp_path / "native" / "recording.json").read_text())
    assert manifest["meta"]["input_files"] == json.loads(json.dumps(plain))


def test_a_hash_error_reaches_whoever_reads_the_digest(tmp_path):
    pending = PendingDigests.start({"gone": tmp_path / "missing.csv"})
    assert list(pending) == ["gone"] and len(pending) == 1
    with pytest.raises(FileNotFoundError):
        pending["gone"]
