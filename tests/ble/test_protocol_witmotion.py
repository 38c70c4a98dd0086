"""WitMotion codec: the documented frame (PROTOCOLS.md §A3), stream resync, commands, round trips, fuzz."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrm.ble.protocols import MalformedPacket
from lrm.ble.protocols import witmotion as p

DOC = bytes.fromhex("55 61 00 00 00 00 00 08" + " 00" * 10 + " 00 40")   # acc (0, 0, 1 g), yaw 90°


def test_documented_frame_has_no_device_time():
    s = p.Decoder().decode(DOC)
    assert s.accel_g.tolist() == [[0, 0, 1.0]] and np.isnan(s.sensor_time_s).all() and not s.has_device_time
    assert p.encode_frame([0, 0, 1], angle_deg=[0, 0, 90]) == DOC


def test_stream_resyncs_and_keeps_a_partial_frame():
    d = p.Decoder()
    register_reply = bytes([0x55, 0x71]) + bytes(18)
    chunk = b"\x00\x13" + DOC + register_reply + DOC[:7]
    assert d.decode(chunk).n == 1                                  # junk skipped, 0x71 ignored, tail kept
    assert d.decode(DOC[7:] + DOC).accel_g.tolist() == [[0, 0, 1.0]] * 2


def test_pure_junk_is_malformed_and_does_not_poison_the_next_frame():
    d = p.Decoder()
    with pytest.raises(MalformedPacket, match="not a 0x55 0x61 frame"):
        d.decode(b"\x01\x02\x03")
    assert d.decode(DOC).n == 1


def test_commands():
    assert p.encode_unlock() == bytes.fromhex("FF AA 69 88 B5") and p.encode_save() == bytes.fromhex("FF AA 00 00 00")
    assert p.encode_set_rate(50) == bytes.fromhex("FF AA 03 08 00")
    assert p.encode_read_register(0x03) == bytes.fromhex("FF AA 27 03 00")
    assert p.parse_command(p.encode_set_rate(200)) == (0x03, 0x0B)
    with pytest.raises(ValueError, match="rate_hz"):
        p.encode_set_rate(52)


@given(st.lists(st.tuples(*[st.integers(-32768, 32767)] * 3), min_size=1, max_size=10), st.integers(1, 25))
def test_round_trip_across_arbitrary_notification_boundaries(rows, chunk):
    counts = np.array(rows)
    stream = b"".join(p.encode_frame(c * p.ACC_SCALE_G) for c in counts)
    d = p.Decoder()
    got = [d.decode(stream[i : i + chunk]).accel_g for i in range(0, len(stream), chunk)]
    np.testing.assert_allclose(np.concatenate(got), counts * p.ACC_SCALE_G, rtol=1e-6)


@settings(max_examples=300)
@given(st.lists(st.binary(max_size=50), max_size=5))
def test_random_bytes_never_crash(payloads):
    d = p.Decoder()
    for payload in payloads + [DOC]:
        try:
            d.decode(payload)
        except MalformedPacket:
            pass
    assert d._buffer == b"" or d._buffer[0] == 0x55
