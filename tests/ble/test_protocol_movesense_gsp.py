"""Movesense GSP codec: documented command bytes and DATA example (PROTOCOLS.md §A2), two-part packets,
clock unwrapping and loss estimates, round trips, fuzzing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrm.ble.protocols import MalformedPacket
from lrm.ble.protocols import movesense_gsp as p

DOC_DATA = bytes.fromhex("02 63 E8 03 00 00 00 00 00 00 00 00 00 00 C3 F5 1C 41 CD CC CC 3D CD CC 4C BE CD CC 1C 41")


def test_documented_command_bytes():
    assert p.encode_subscribe(99, p.acc_path(52)) == bytes.fromhex("01 63 2F 4D 65 61 73 2F 41 63 63 2F 35 32")
    assert p.encode_unsubscribe(99) == bytes.fromhex("02 63")
    assert p.encode_get(100, "/Meas/Acc/Config") == bytes.fromhex(
        "04 64 2F 4D 65 61 73 2F 41 63 63 2F 43 6F 6E 66 69 67")
    assert p.parse_command(bytes.fromhex("01 63 2F 4D")) == (1, 99, b"/M")


def test_documented_data_example():
    s = p.Decoder(rate_hz=52).decode(DOC_DATA)
    np.testing.assert_allclose(s.accel_g * p.STANDARD_GRAVITY, [[0, 0, 9.81], [0.1, -0.2, 9.8]], rtol=1e-6)
    assert s.sensor_time_s.tolist() == pytest.approx([1.0, 1.0 + 1 / 52])


def test_command_results_little_and_big_endian_status():
    assert p.parse_command_result(p.encode_command_result(99, 200)) == (99, 200, b"")
    assert p.parse_command_result(bytes.fromhex("01 63 01 FB"))[1] == 507     # old firmware: big-endian
    assert p.Decoder().decode(p.encode_command_result(99, 200)).n == 0


def test_two_part_packet_is_joined_and_a_lost_first_part_is_malformed():
    accel = np.arange(24, dtype=float).reshape(8, 3)
    parts = p.encode_acc_data(99, 5000, accel, mtu=80)
    assert [x[0] for x in parts] == [2, 3] and all(len(x) <= 77 for x in parts)
    d = p.Decoder(rate_hz=104)
    assert d.decode(parts[0]).n == 0
    np.testing.assert_allclose(d.decode(parts[1]).accel_g * p.STANDARD_GRAVITY, accel, rtol=1e-6)
    with pytest.raises(MalformedPacket, match="DATA_PART2 without its first part"):
        p.Decoder().decode(parts[1])


def test_clock_wrap_and_loss_estimate():
    d = p.Decoder(rate_hz=50)
    first = d.decode(p.encode_acc_data(1, 2**32 - 40, np.zeros((2, 3)))[0])
    after = d.decode(p.encode_acc_data(1, 0, np.zeros((2, 3)))[0])           # wrapped; 40 ms = 2 samples later
    assert after.sensor_time_s[0] - first.sensor_time_s[0] == pytest.approx(0.04) and after.lost_before == 0
    gap = d.decode(p.encode_acc_data(1, 40 + 100, np.zeros((2, 3)))[0])       # 5 samples missing
    assert gap.lost_before == 5


def test_other_refs_are_ignored_when_the_decoder_has_one():
    assert p.Decoder(ref=5).decode(DOC_DATA).n == 0 and p.Decoder(ref=99).decode(DOC_DATA).n == 2


@given(st.lists(st.tuples(*[st.floats(-150, 150, width=32)] * 3), min_size=1, max_size=20),
       st.integers(0, 2**32 - 1), st.sampled_from([None, 23, 64, 185, 247]))
def test_encode_decode_round_trip(rows, ts, mtu):
    accel = np.array(rows, dtype=np.float32)
    try:
        parts = p.encode_acc_data(7, ts, accel, mtu=mtu)
    except ValueError:
        return                                                      # needs more than two notifications
    d = p.Decoder(rate_hz=52)
    out = [d.decode(x) for x in parts][-1]
    np.testing.assert_allclose(out.accel_g, (accel.astype(np.float64) / p.STANDARD_GRAVITY).astype(np.float32))
    assert out.sensor_time_s[0] == pytest.approx(ts / 1000)


@settings(max_examples=300)
@given(st.lists(st.binary(max_size=60), min_size=1, max_size=4))
def test_random_and_mutated_packets_never_crash(payloads):
    d = p.Decoder()
    for payload in payloads + [bytes([2]) + payloads[0], bytes([3, 0]) + payloads[0], DOC_DATA[: len(payloads[0])]]:
        try:
            s = d.decode(payload)
        except MalformedPacket:
            continue
        assert s.accel_g.dtype == np.float32 and s.sensor_time_s.shape == (s.n,)
