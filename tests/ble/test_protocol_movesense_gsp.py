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


def _split_stream(n_packets: int, batch: int, mtu: int, rate: float = 52.0, t0_ms: int = 7_000):
    """Notifications of consecutive packets of ``batch`` samples; sample k has x = k (m/s²) and its time."""
    period = 1000.0 / rate
    out = []
    for j in range(n_packets):
        k = np.arange(j * batch, (j + 1) * batch)
        accel = np.stack([k, np.zeros_like(k), np.full_like(k, 9)], axis=1).astype(float)
        out.append(p.encode_acc_data(42, int(round(t0_ms + j * batch * period)), accel, mtu=mtu))
    return out


def _check_samples(decoded, rate: float = 52.0, t0_ms: int = 7_000) -> np.ndarray:
    """Every decoded sample is at its own time: x (the sample number) and time agree. Returns the numbers."""
    s = [d for d in decoded if d.n]
    k = np.concatenate([np.round(d.accel_g[:, 0] * p.STANDARD_GRAVITY).astype(int) for d in s])
    t = np.concatenate([d.sensor_time_s for d in s])
    np.testing.assert_allclose(t, (t0_ms + k * 1000.0 / rate) / 1000.0, atol=1.5e-3)   # integer-ms timestamps
    return k


def test_first_part_of_exactly_6_plus_12n_bytes_is_not_a_whole_packet():
    """MTU 33: a 4-sample packet (54 bytes) splits into 30 bytes (= a whole 2-sample packet) + 26."""
    stream = _split_stream(5, batch=4, mtu=33)
    assert [len(x) for x in stream[0]] == [30, 26] and (30 - p.ACC_HEADER) % p.ACC_SAMPLE == 0
    d = p.Decoder(rate_hz=52)
    decoded = [d.decode(x) for parts in stream for x in parts]
    assert _check_samples(decoded).tolist() == list(range(20))
    assert [x.lost_before for x in decoded] == [None, 0] + [0, 0] * 4          # no loss from the split
    # the second part of packet 2 is lost: its first two samples stay, the next packet reports 2 lost
    d = p.Decoder(rate_hz=52)
    notes = [x for j, parts in enumerate(stream) for i, x in enumerate(parts) if (j, i) != (1, 1)]
    decoded = [d.decode(x) for x in notes]
    assert _check_samples(decoded).tolist() == [0, 1, 2, 3, 4, 5] + list(range(8, 20))
    assert decoded[3].lost_before == 2
    # a second part whose first part was lost, after a complete packet: malformed, not glued on
    d = p.Decoder(rate_hz=52)
    for x in stream[0]:
        d.decode(x)
    with pytest.raises(MalformedPacket, match="first part was lost"):
        d.decode(stream[1][1])
    assert _check_samples([d.decode(x) for x in stream[2]]).tolist() == [8, 9, 10, 11]


def test_a_whole_packet_of_full_length_followed_by_a_stray_second_part_is_not_joined():
    """Whole 2-sample packets of 30 bytes fill MTU 33; a stray DATA_PART2 would make 2 + 2 = 4 != 2 samples."""
    whole = _split_stream(4, batch=2, mtu=33)
    stray = _split_stream(1, batch=4, mtu=33)[0][1]
    d = p.Decoder(rate_hz=52)
    for parts in whole[:3]:
        assert d.decode(parts[0]).n == 2
    d.decode(whole[3][0])
    with pytest.raises(MalformedPacket):
        d.decode(stray)


@settings(max_examples=150)
@given(st.integers(2, 8), st.sampled_from([23, 27, 33, 45, 57, 69]), st.lists(st.sampled_from(
    ["both", "both", "both", "no-first", "no-second", "none"]), min_size=6, max_size=14))
def test_split_packets_with_lost_parts_keep_every_sample_at_its_time(batch, mtu, fates):
    """Whatever parts are lost (except a lost second part followed by a lost first part, which GSP cannot
    tell from one packet), every decoded sample is at its own time and every fully delivered packet is
    decoded."""
    try:
        stream = _split_stream(len(fates), batch, mtu)
    except ValueError:
        return                                                   # needs more than two notifications
    fates = [f if len(parts) == 2 or f in ("both", "none") else "both" for f, parts in zip(fates, stream)]
    for a, b in zip(fates, fates[1:]):
        if a == "no-second" and b in ("no-first", "none"):
            return
    d = p.Decoder(rate_hz=52)
    decoded = []
    for fate, parts in zip(fates, stream):
        keep = {"both": parts, "none": [], "no-first": parts[1:], "no-second": parts[:1]}[fate]
        for x in keep:
            try:
                decoded.append(d.decode(x))
            except MalformedPacket:
                pass
    got = set(_check_samples(decoded).tolist()) if any(x.n for x in decoded) else set()
    for j, fate in enumerate(fates):
        if fate == "both":
            assert set(range(j * batch, (j + 1) * batch)) <= got
