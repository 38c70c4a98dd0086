"""Polar PMD codec: every documented frame in PROTOCOLS.md §A1 (PDF figures and the Android SDK's
AccDataTest frames), timestamps (§A1.5), control-point requests/responses, round trips, and fuzzing."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrm.ble.protocols import MalformedPacket
from lrm.ble.protocols import polar_pmd as p

# Byte vectors quoted as data from the polar-ble-sdk tests (AccDataTest.kt) and online_measurement.pdf.
SDK_RAW_TYPE1 = bytes.fromhex(
    "f7ffffffe703f8fffeffe503f9ffffffe503faffffffe603fafffeffe603f9ffffffe503f8ffffffe603f8fffeffe603faffffffe503"
    "faffffffe703faffffffe503f8ffffffe603f7ffffffe603f8fffeffe603f9fffeffe703f9ff0000e603f9ffffffe603f7fffeffe503"
    "f9ffffffe503f9ffffffe503faff0000e603f9fffeffe603f8ffffffe603f8ffffffe503f9ffffffe603f9ffffffe503faffffffe603"
    "f9ffffffe503f9ffffffe503f8fffeffe603f9ffffffe603f9ffffffe603f9ff0000e503f9fffeffe603f8fffeffe603f7fffeffe603")
SDK_COMPRESSED_TYPE0 = bytes.fromhex(
    "7107f06a9e8d0a38be5cbeba2f96b3ee4be5adfb42b9ebbe4cfeba2f92bfee4be4b1fb12b9ecbd3c3ebb2f8fd3de4be3b5f7d2b8edbd30"
    "7e7b2f8be3ce8be2baf7a2b8eebc20be7b2f88f3cecbe1bdef52f8efbc18fe3b2f8403bfcbe0c2ef32b8f0bb044ebc2e8113af0be0c6ef"
    "f2f7f1b9fc7dbc2e7d279f4bdfcaebc2f7f2b8eccd7c2e7b378f4bdecee392f7f3b8e00dfd2d774b7fcbddd2df6237f5b7d44dbd2d745b"
    "6fcbdcd7d73237f6b5c88d7d2d716b4f4bdcdcd3f236f7b4bcddfd2c6f7b3f4bdbe0cfd236f8b2b02dbe2c6c8f1fcbdae3c7a276f9")
SDK_HEADER_2E9 = bytes.fromhex("02 00 94 35 77 00 00 00 00")   # ACC, timestamp 2 000 000 000 ns
FACTOR = float(np.float32(2.44e-4))


def test_pdf_h10_raw_frame_timestamp_and_first_sample():
    frame = p.parse_frame(bytes.fromhex("02 EA 54 A2 42 8B 45 52 08 01 45 FF E4 FF B5 03"))
    assert (frame.meas_type, frame.frame_type, frame.compressed) == (2, 1, False)
    assert frame.timestamp_ns == 599_618_164_814_402_794          # 2019-01-01 00:36:04.8 since 2000
    assert p.decode_acc_counts(frame).tolist() == [[-187, -28, 949]]   # the PDF's -184 is a typo


def test_pdf_verity_delta_frame_first_samples_and_timestamp():
    head = bytes.fromhex("02 64 6C 76 C4 3C C6 7F 07 80")
    body = bytes.fromhex("D0 FF 65 01 E4 0F 08 1D FC 07 FF 0C 13 F2") + bytes(29 * 3 - 6)  # rest of the block: 0
    frame = p.parse_frame(head + body)
    assert frame.timestamp_ns == 540_368_444_604_181_604 and frame.compressed and frame.frame_type == 0
    counts = p.decode_acc_counts(frame)
    assert len(counts) == 30
    assert counts[:3].tolist() == [[-48, 357, 4068], [-52, 364, 4067], [-40, 383, 4053]]
    accel = p.Decoder(rate_hz=52, factor=FACTOR).decode(head + body).accel_g
    assert accel[0, 2] == pytest.approx(0.993, abs=1e-3)


def test_sdk_raw_type1_frame():
    samples = p.Decoder(rate_hz=52).decode(SDK_HEADER_2E9 + b"\x01" + SDK_RAW_TYPE1)
    counts = p.decode_acc_counts(p.parse_frame(SDK_HEADER_2E9 + b"\x01" + SDK_RAW_TYPE1))
    assert len(counts) == 36 and counts[:2].tolist() == [[-9, -1, 999], [-8, -2, 997]]
    assert samples.accel_g[0].tolist() == pytest.approx([-0.009, -0.001, 0.999])
    assert samples.sensor_time_s[-1] == pytest.approx(2.0 + p.EPOCH_2000_UNIX_S)   # last sample = frame time


def test_sdk_compressed_type0_frame():
    counts = p.decode_acc_counts(p.parse_frame(SDK_HEADER_2E9 + b"\x80" + SDK_COMPRESSED_TYPE0))
    assert len(counts) == 57
    assert counts[:2].tolist() == [[1905, 27376, -29282], [1905 + 190, 27376 - 105, -29282 - 85]]
    mg = (counts * np.float32(FACTOR) * np.float32(1000)).astype(np.int64)   # the SDK's (factor*s*1000).toInt()
    assert mg[:2].tolist() == [[464, 6679, -7144], [511, 6654, -7165]]
    assert np.abs(mg).max() <= 8000                                            # "validate data in range" (±8 G)


def test_sdk_compressed_type1_frame():
    frame = bytes.fromhex("02 65 00 00 00 00 00 00 00 81 F1 FF 14 00 F0 03 06 01 7B 0F 08")
    assert p.decode_acc_counts(p.parse_frame(frame)).tolist() == [[-15, 20, 1008], [-20, 17, 1008]]


def test_delta_bit_order_is_lsb_first_channel_interleaved():
    # 4-bit deltas +1, -1, +7 for one sample: nibbles 0x1, 0xF, 0x7 packed LSB first -> F1 07
    assert p.decode_delta(bytes.fromhex("0000 0000 0000 04 01 F1 07")).tolist() == [[0, 0, 0], [1, -1, 7]]


# -- timestamps (§A1.5) ------------------------------------------------------------------------------------
def frame_at(ts_ns: int, n: int) -> bytes:
    return p.encode_acc_frame(np.zeros((n, 3), int), timestamp_ns=ts_ns)


def test_first_frame_uses_nominal_spacing_back_from_the_last_sample():
    s = p.Decoder(rate_hz=50).decode(frame_at(10**9, 5))
    assert np.diff(s.sensor_time_s) == pytest.approx([0.02] * 4, abs=1e-6)
    assert s.sensor_time_s[-1] == pytest.approx(1.0 + p.EPOCH_2000_UNIX_S) and s.lost_before is None


def test_next_frame_is_spread_from_the_previous_timestamp_and_gaps_are_counted():
    d = p.Decoder(rate_hz=50)
    d.decode(frame_at(10**9, 5))
    s = d.decode(frame_at(10**9 + 5 * 20_400_000, 5))        # a sensor running 2 % slow
    assert np.diff(s.sensor_time_s) == pytest.approx([0.0204] * 4, abs=1e-6) and s.lost_before == 0
    assert d.rate_estimate_hz == pytest.approx(50 / 1.02)
    gap = d.decode(frame_at(10**9 + 5 * 20_400_000 + 15 * 20_400_000, 5))   # 10 samples missing
    assert gap.lost_before == 10 and np.diff(gap.sensor_time_s) == pytest.approx([0.0204] * 4, abs=1e-6)


@pytest.mark.parametrize(("prev_ns", "ts_ns", "n", "expected_ns"), [
    # PmdTimeStampUtilsTest.kt (polar-ble-sdk): 1 Hz, frame stamps 1 s and 11 s, 10 samples -> 2 s ... 11 s
    (1_000_000_000, 11_000_000_000, 10, [float(k) * 1e9 for k in range(2, 12)]),
    # ... and the first frame, timed from the sample rate back from its stamp: 10 s, 10 samples -> 1 s ... 10 s
    (None, 10_000_000_000, 10, [float(k) * 1e9 for k in range(1, 11)]),
])
def test_sample_times_as_the_sdk_tests(prev_ns, ts_ns, n, expected_ns):
    d = p.Decoder(rate_hz=1)
    if prev_ns is not None:
        d.decode(frame_at(prev_ns, 1))
    s = d.decode(frame_at(ts_ns, n))
    assert (s.sensor_time_s - p.EPOCH_2000_UNIX_S) * 1e9 == pytest.approx(expected_ns, abs=1.0)


@pytest.mark.parametrize("offset", [-0.04, -0.012, -0.007, 0.007, 0.012, 0.04])
def test_an_off_nominal_sensor_loses_nothing_and_its_rate_is_measured(offset):
    """71-sample Verity frames from a sensor whose true rate is off its nominal 52 Hz (issue 15: > 0.7 % gave a
    phantom lost sample in every frame). Frame stamps jitter by up to 0.5 ms."""
    rng = np.random.default_rng(7)
    period = 1e9 / (52.0 * (1 + offset))
    d = p.Decoder(rate_hz=52)
    lost = []
    for k in range(1, 200):
        ts = int(10**12 + k * 71 * period + rng.uniform(-5e5, 5e5))
        s = d.decode(frame_at(ts, 71))
        lost.append(s.lost_before)
    assert lost[0] is None and set(lost[1:]) == {0}
    assert d.rate_estimate_hz == pytest.approx(52.0 * (1 + offset), rel=2e-5)


@pytest.mark.parametrize("offset", [-0.04, 0.0, 0.04])
@pytest.mark.parametrize("missing", [1, 3, 71, 142])
def test_real_losses_are_counted_exactly_once_the_rate_is_known(offset, missing):
    period = 1e9 / (52.0 * (1 + offset))
    d = p.Decoder(rate_hz=52)
    k, lost = 0, []
    for frame in range(40):
        k += 71 + (missing if frame == 30 else 0)
        lost.append(d.decode(frame_at(int(10**12 + k * period), 71)).lost_before)
    assert lost[30] == missing and set(lost[1:30] + lost[31:]) == {0}


def test_a_whole_lost_frame_is_seen_even_before_the_rate_is_measured():
    """Right after connecting the rate is not measured yet: the loss is seen, its count within the 1 % offset."""
    d = p.Decoder(rate_hz=52)
    d.decode(frame_at(10**12, 71))
    assert abs(d.decode(frame_at(int(10**12 + 142 * 1e9 / 52.5), 71)).lost_before - 71) <= 1


@pytest.mark.parametrize(("compressed", "frame_type", "factor", "g_per_count"), [
    (False, 1, None, 1e-3), (False, 1, FACTOR, 1e-3), (False, 0, FACTOR, 1e-3), (False, 2, 0.5, 1e-3),   # raw: mG
    (True, 0, FACTOR, FACTOR), (True, 0, None, 1.0),                # compressed TYPE0: FACTOR g (1.0 when absent)
    (True, 1, None, 1e-3), (True, 1, 1.0, 1e-3), (True, 1, 2.0, 2e-3),   # compressed TYPE1: mG, x FACTOR if != 1
])
def test_factor_applies_per_frame_type_as_the_sdk(compressed, frame_type, factor, g_per_count):
    counts = np.array([[100, -100, 120], [90, -110, 127]])
    frame = p.encode_acc_frame(counts, timestamp_ns=10**12, compressed=compressed, frame_type=frame_type)
    accel = p.Decoder(rate_hz=52, factor=factor).decode(frame).accel_g
    np.testing.assert_allclose(accel, counts * g_per_count, rtol=1e-6)


def test_measurement_stopped_by_the_sensor():
    assert p.parse_stopped(bytes.fromhex("01 02")) == frozenset({p.MEAS_ACC})
    assert p.parse_stopped(p.encode_stopped([0, 2])) == frozenset({0, 2})
    assert p.parse_stopped(bytes.fromhex("F0 03 02 00 00")) is None and p.parse_stopped(b"") is None


def test_empty_raw_frame_right_after_another_yields_nothing():
    d = p.Decoder(rate_hz=50)
    d.decode(frame_at(10**9, 5))
    assert d.decode(p.encode_frame(p.Frame(2, 10**9 + 1, 1, False, b""))).n == 0


# -- control point ---------------------------------------------------------------------------------------
def test_get_settings_replies_of_h10_and_verity():
    h10 = p.parse_cp_response(bytes.fromhex("F0 01 02 00 00 00 04 19 00 32 00 64 00 C8 00 01 01 10 00 02 03 02 00 04 00 08 00"))
    assert (h10.op_code, h10.meas_type, h10.status, h10.more) == (1, 2, 0, False)
    assert p.parse_settings(h10.params) == {0: (25, 50, 100, 200), 1: (16,), 2: (2, 4, 8)}
    verity = p.parse_cp_response(bytes.fromhex("F0 01 02 00 00 00 01 34 00 01 01 10 00 02 01 08 00 04 01 03"))
    assert p.parse_settings(verity.params) == {0: (52,), 1: (16,), 2: (8,), 4: (3,)}


def test_requests_and_start_reply_factor():
    assert p.encode_get_settings() == bytes.fromhex("01 02") and p.encode_stop() == bytes.fromhex("03 02")
    assert p.encode_start([(2, 8), (0, 200), (1, 16)]) == bytes.fromhex("02 02 02 01 08 00 00 01 C8 00 01 01 10 00")
    assert p.encode_start([(0, 52), (1, 16), (2, 8), (4, 3)]) == bytes.fromhex(
        "02 02 00 01 34 00 01 01 10 00 02 01 08 00 04 01 03")
    reply = p.parse_cp_response(bytes.fromhex("F0 02 02 00 00 05 01 40 DA 7F 39"))
    assert p.parse_settings(reply.params)[p.FACTOR][0] == pytest.approx(0.000244)
    stop = p.parse_cp_response(bytes.fromhex("F0 03 02 00 00"))
    assert (stop.op_code, stop.status, stop.params) == (3, 0, b"")
    refused = p.parse_cp_response(bytes.fromhex("F0 02 02 08 00 05 01"))
    assert refused.status_name == "invalid sample rate" and refused.params == b""


def test_cp_response_and_settings_round_trip():
    resp = p.CpResponse(2, 2, 0, False, p.encode_settings({p.FACTOR: [2.44e-4]}))
    assert p.encode_cp_response(resp) == bytes.fromhex("F0 02 02 00 00 05 01 40 DA 7F 39")
    assert p.parse_cp_response(p.encode_cp_response(resp)) == resp


def test_feature_read():
    assert p.parse_features(bytes.fromhex("0F 6E 00")) == {1, 2, 3, 5, 6}     # PPG ACC PPI GYRO MAG
    assert p.parse_features(p.encode_features({2, 9})) == {2, 9}


# -- round trips and fuzzing ---------------------------------------------------------------------------------
counts16 = st.integers(1, 60).flatmap(
    lambda n: st.lists(st.tuples(*[st.integers(-32768, 32767)] * 3), min_size=n, max_size=n))


@given(counts16, st.booleans(), st.integers(0, 2**63))
def test_encode_decode_round_trip(rows, compressed, ts):
    counts = np.array(rows)
    frame = p.encode_acc_frame(counts, timestamp_ns=ts, compressed=compressed)
    parsed = p.parse_frame(frame)
    assert parsed.timestamp_ns == ts and p.decode_acc_counts(parsed).tolist() == counts.tolist()
    s = p.Decoder(rate_hz=52, factor=1e-3 if compressed else None).decode(frame)
    np.testing.assert_allclose(s.accel_g, counts / 1000, rtol=1e-6)


@given(counts16, st.sampled_from([0, 2]))
def test_other_raw_widths_round_trip(rows, frame_type):
    width = p.RAW_BYTES[frame_type]
    counts = np.clip(np.array(rows), -(1 << (8 * width - 1)), (1 << (8 * width - 1)) - 1)
    frame = p.encode_acc_frame(counts, timestamp_ns=1, frame_type=frame_type)
    assert p.decode_acc_counts(p.parse_frame(frame)).tolist() == counts.tolist()


def decode_or_malformed(decoder, payload: bytes) -> None:
    try:
        s = decoder.decode(payload)
    except MalformedPacket:
        return
    assert s.accel_g.dtype == np.float32 and s.sensor_time_s.shape == (s.n,)


@settings(max_examples=300)
@given(st.binary(max_size=300))
def test_random_bytes_never_crash(payload):
    decode_or_malformed(p.Decoder(rate_hz=52, factor=FACTOR), payload)
    decode_or_malformed(p.Decoder(rate_hz=52), b"\x02" + payload)


@settings(max_examples=300)
@given(st.sampled_from([SDK_HEADER_2E9 + b"\x80" + SDK_COMPRESSED_TYPE0, SDK_HEADER_2E9 + b"\x01" + SDK_RAW_TYPE1]),
       st.lists(st.tuples(st.integers(0, 400), st.integers(0, 255)), max_size=5), st.integers(0, 400))
def test_mutated_documented_frames_never_crash(frame, edits, cut):
    data = bytearray(frame)
    for pos, value in edits:
        data[pos % len(data)] = value
    decoder = p.Decoder(rate_hz=52)
    decode_or_malformed(decoder, bytes(data[: max(cut, 0)]))
    decode_or_malformed(decoder, bytes(data))


@given(st.binary(max_size=40))
def test_control_point_parsers_raise_only_malformed(payload):
    for parse in (p.parse_cp_response, p.parse_settings, p.parse_features):
        try:
            parse(payload)
        except MalformedPacket:
            pass
