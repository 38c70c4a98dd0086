"""The overnight recorder on virtual sensors: an hour with two sensors and injected faults.

Uses bleak's real BleakScanner/BleakClient with the virtual backend, in discrete-event simulated time.
"""

from __future__ import annotations

import numpy as np
import pytest

from lrm.ble.recorder import LegTarget, RecordOptions, record_night
from lrm.ble.scan import resolve
from lrm.ble.timebase import SimulatedTime
from lrm.ble.virtual.backend import VirtualBleakClient, VirtualBleakScanner, VirtualRadio
from lrm.ble.virtual.families import make_sensor
from lrm.ble.virtual.faults import Faults
from lrm.errors import OutputExistsError
from lrm.io.native import read_native

HOUR = 3600.0


def _source(seed: int, n: int = 50_000) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return (np.array([0.1, -0.2, 0.97]) + 0.05 * rng.standard_normal((n, 3))).astype(np.float32)


def _record(tmp_path, faults: dict[str, Faults], hours: float, silence_s: float = 10.0):
    tb = SimulatedTime(start_wall_s=1_717_000_000.0)
    radio = VirtualRadio(tb)
    sensors = {side: radio.add(make_sensor("lrm-open", side_index=i, source_g=_source(i), timebase=tb,
                                           faults=faults[side], power_on_s=1_717_000_000.0 + 3 * i))
               for i, side in enumerate(("left", "right"))}

    async def main():
        targets = []
        for side, s in sensors.items():
            found = await resolve(s.name, seconds=1.0, backend=VirtualBleakScanner, backend_kwargs={"radio": radio})
            targets.append(LegTarget(side, found.device, found.driver(rate_hz=50), found.name))
        out = await record_night(tmp_path / "night", targets, timebase=tb, backend=VirtualBleakClient,
                                 backend_kwargs={"radio": radio},
                                 options=RecordOptions(silence_s=silence_s, until_s=tb.time() + hours * HOUR))
        await radio.close()
        return out

    return tb.run(main()), sensors


def _truth_gaps(sensor) -> list[float]:
    t = sensor.true_time_s(sensor.delivered_indices())
    d = np.diff(t)
    return [float(x - 1 / sensor.fs_true) for x in d[d > 1.5 / sensor.rate_hz]]


def test_an_hour_with_faults(tmp_path):
    faults = {
        "left": Faults(drift_ppm=45.0, disconnects=((900.0, 60.0),), stalls=((2400.0, 0.0),), refuse_reconnects=2,
                       drop_prob=0.002, seed=1),
        "right": Faults(drift_ppm=-30.0, disconnects=((1800.0, 20.0),), seed=2),
    }
    out, sensors = _record(tmp_path, faults, hours=1.0)
    rec = read_native(out)
    assert set(rec.legs) == {"left", "right"}
    errors = {}
    for side, sensor in sensors.items():
        leg = rec.legs[side]
        idx = sensor.delivered_indices()
        # every sample delivered while connected is in the recording, once, with its value
        assert leg.n_samples == len(idx) > 0.9 * HOUR * 52
        np.testing.assert_allclose(leg.accel_g, sensor.samples(0, int(idx.max()) + 1)[idx], atol=8 / 32768 + 1e-7)
        # each gap is reported with the right length (and every real gap is reported)
        truth = _truth_gaps(sensor)
        assert [g.duration_s for g in leg.gaps] == pytest.approx(truth, abs=0.01)
        errors[side] = leg.t_s - sensor.true_time_s(idx)
        assert abs(leg.clock_drift_ppm - sensor.drift_ppm) < 1.0
    # gap causes: the disconnect, the silent stall (watchdog), and dropped notifications
    left_causes = [g.cause for g in rec.legs["left"].gaps]
    assert left_causes.count("disconnected") == 1 and left_causes.count("silent") == 1
    assert "dropped" in left_causes
    assert [g.cause for g in rec.legs["right"].gaps] == ["disconnected"]
    big = [g for g in rec.legs["left"].gaps if g.cause == "disconnected"][0]
    # out of range for 60 s (attempts time out), then 2 refused attempts; backoff doubles up to 30 s
    assert 60.0 < big.duration_s < 60.0 + 3 * 30 + 10
    assert big.detail.count("le-connection-abort-by-local") == 2
    silent = [g for g in rec.legs["left"].gaps if g.cause == "silent"][0]
    assert 10.0 <= silent.duration_s < 10.0 + 1 + 2 + 4  # watchdog after 10 s of silence, 2 refused reconnects
    # the two legs line up: every sample within 50 ms of its true time, both legs the same way
    for side, err in errors.items():
        assert np.abs(err).max() < 0.05, side
    assert abs(np.median(errors["left"]) - np.median(errors["right"])) < 0.02


def test_mtu_23_compact_packets(tmp_path):
    faults = {"left": Faults(mtu=23, drift_ppm=20.0), "right": Faults(mtu=23, drift_ppm=-10.0, drop_prob=0.01, seed=3)}
    out, sensors = _record(tmp_path, faults, hours=0.05)
    rec = read_native(out)
    for side, sensor in sensors.items():
        assert sensor.link is None and sensor.connections == 1
        leg = rec.legs[side]
        assert leg.n_samples == len(sensor.delivered_indices())
        assert [g.duration_s for g in leg.gaps] == pytest.approx(_truth_gaps(sensor), abs=0.01)
        err = leg.t_s - sensor.true_time_s(sensor.delivered_indices())
        assert np.abs(err).max() < 0.05
    assert sensors["right"].dropped_samples > 0 and all(g.cause == "dropped" for g in rec.legs["right"].gaps)


def test_existing_recording_is_never_overwritten(tmp_path):
    out, _ = _record(tmp_path, {"left": Faults(), "right": Faults()}, hours=0.01)
    before = (out / "recording.json").read_bytes()
    with pytest.raises(OutputExistsError):
        _record(tmp_path, {"left": Faults(), "right": Faults()}, hours=0.01)
    assert (out / "recording.json").read_bytes() == before
