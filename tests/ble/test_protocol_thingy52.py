"""Thingy:52 codec: documented raw example (PROTOCOLS.md §A4), Q formats, config, round trips, fuzz."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrm.ble.protocols import MalformedPacket
from lrm.ble.protocols import thingy52 as p


def test_documented_raw_example():
    raw = bytes.fromhex("00 00 00 00 00 04 20 00") + bytes(10)
    s = p.Decoder().decode(raw)
    assert s.accel_g.tolist() == [[0, 0, 1.0]] and np.isnan(s.sensor_time_s).all()
    assert p.encode_raw([0, 0, 1], gyro_dps=[1, 0, 0]) == raw


def test_config_round_trip_and_limits():
    c = p.Config(1000, 5000, 100, 200, True)
    assert p.encode_config(c) == bytes.fromhex("E8 03 88 13 64 00 C8 00 01")
    assert p.parse_config(p.encode_config(c)) == c
    with pytest.raises(ValueError, match="motion_freq_hz"):
        p.encode_config(p.Config(motion_freq_hz=250))


@given(st.tuples(*[st.integers(-32768, 32767)] * 3))
def test_round_trip(counts):
    assert p.Decoder().decode(p.encode_raw(np.array(counts) / 1024)).accel_g.tolist() == [[c / 1024 for c in counts]]


@given(st.binary(max_size=40))
def test_random_bytes_never_crash(payload):
    try:
        assert p.Decoder().decode(payload).n == 1
    except MalformedPacket:
        assert len(payload) != 18
    try:
        p.parse_config(payload)
    except MalformedPacket:
        pass
