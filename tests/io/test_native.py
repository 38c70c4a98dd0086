import numpy as np
import pytest

from lrm.errors import InputError, OutputExistsError
from lrm.io.native import read_native, write_native
from lrm.io.recording import Gap, Leg, Recording
from lrm.io.registry import read


def _recording(n: int = 500) -> Recording:
    rng = np.random.default_rng(0)
    t = 1.7e9 + np.arange(n) / 50.0
    acc = (rng.normal(0, 0.01, (n, 3)) + [0, 0, 1]).astype(np.float32)
    legs = {
        "left": Leg("left", t, acc, 50.0, device="sim", gaps=(Gap(t[10], t[20], "disconnected"),)),
        "right": Leg("right", t + 0.01, acc[::-1].copy(), 50.0, range_g=8.0, clock_drift_ppm=12.5),
    }
    return Recording(legs=legs, subject="s01", meta={"note": "x"})


def test_round_trip_float_and_int16(tmp_path):
    rec = _recording()
    scale = 8.0 / 32768
    write_native(rec, tmp_path / "n", scale_g={"right": scale})
    back = read(tmp_path / "n")
    assert back.meta["format"] == "lrm-recording" and back.subject == "s01"
    np.testing.assert_array_equal(back.legs["left"].accel_g, rec.legs["left"].accel_g)
    np.testing.assert_allclose(back.legs["right"].accel_g, rec.legs["right"].accel_g, atol=scale / 2 + 1e-7)
    np.testing.assert_allclose(back.legs["left"].t_s, rec.legs["left"].t_s, atol=1e-6)
    assert back.legs["left"].gaps[0].cause == "disconnected"
    assert back.legs["right"].clock_drift_ppm == 12.5


def test_existing_recording_is_never_overwritten(tmp_path):
    write_native(_recording(), tmp_path / "n")
    before = (tmp_path / "n" / "recording.json").read_bytes()
    with pytest.raises(OutputExistsError, match="already exists"):
        write_native(_recording(30), tmp_path / "n")
    assert (tmp_path / "n" / "recording.json").read_bytes() == before


def test_missing_manifest_is_a_clear_error(tmp_path):
    (tmp_path / "n" / "journal").mkdir(parents=True)
    with pytest.raises(InputError, match="lrm recover"):
        read_native(tmp_path / "n")


@pytest.mark.parametrize("rate", [1e-300, 0.0, -50.0, 1e300, float("nan")])
def test_a_stated_rate_that_is_no_sensor_rate_is_refused_by_its_field(tmp_path, rate):
    """A damaged manifest stating fs_hz = 1e-300 went through to the analysis (burst times from a rate of
    1e-300 Hz; found by the fuzz suite)."""
    import json

    write_native(_recording(), tmp_path / "n")
    manifest = tmp_path / "n" / "recording.json"
    meta = json.loads(manifest.read_text())
    meta["legs"]["left"]["fs_hz"] = rate
    manifest.write_text(json.dumps(meta))
    with pytest.raises(InputError, match=r"legs\.left\.fs_hz.*not a sample rate"):
        read_native(tmp_path / "n")
