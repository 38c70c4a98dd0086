"""lrm-open host decoder semantics (the byte layout itself is checked by test_firmware_protocol.py against
the vectors and the C reference): sessions, losses, anchors, forward compatibility, round trips."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lrm.ble.protocols import MalformedPacket, make_decoder
from lrm.ble.protocols import lrm_open as p


def full(index: int, *, n: int = 2, seq: int = 0, tick: int = 0, session: int = 1, flags: int = 0) -> bytes:
    return p.encode_data(p.DataPacket(seq=seq, sample_index=index, tick=tick, session_id=session, flags=flags,
                                      xyz=np.zeros((n, 3), np.int16)))


def compact(index: int, seq: int = 0) -> bytes:
    return p.encode_data(p.DataPacket(seq=seq, sample_index=index, xyz=np.ones((2, 3), np.int16),
                                      packet_type=p.TYPE_COMPACT))


def test_sample_index_jump_counts_lost_samples_exactly_and_duplicates_do_not():
    d = p.Decoder()
    assert d.decode(full(0)).lost_before is None                 # unknown on the first packet of a connection
    assert d.decode(full(2)).lost_before == 0
    assert d.decode(full(9, flags=p.FLAG_DEVICE_OVERFLOW)).lost_before == 5
    assert d.decode(full(2)).lost_before == 0                    # a duplicate is not a loss


def test_session_change_restarts_loss_accounting_and_timing():
    d = p.Decoder(tick_hz=1000)
    d.decode(full(500, tick=10_000, session=1))
    s = d.decode(full(0, tick=5, session=2, flags=p.FLAG_NEW_SESSION))
    assert s.session_id == 2 and s.lost_before is None and s.sensor_time_s[0] == pytest.approx(0.005)
    assert s.flags & p.FLAG_NEW_SESSION


def test_compact_packets_before_any_anchor_have_no_device_time():
    s = p.Decoder().decode(compact(10))
    assert s.n == 2 and np.isnan(s.sensor_time_s).all() and s.accel_g[0, 0] == pytest.approx(8 / 32768)


def test_unknown_packet_type_is_skipped_and_bad_major_version_is_malformed():
    assert p.Decoder().decode(bytes([0x15, 1, 2, 3])).n == 0
    with pytest.raises(MalformedPacket, match="bad version 2"):
        p.Decoder().decode(bytes([0x20]) + full(0)[1:])


def test_malformed_packet_leaves_the_decoder_state_unchanged():
    d = p.Decoder()
    d.decode(full(0))
    with pytest.raises(MalformedPacket, match="wrong length"):
        d.decode(full(2)[:-1])
    assert d.decode(full(2)).lost_before == 0


def test_make_decoder_uses_the_driver_config():
    d = make_decoder("lrm-open", {"tick_hz": 1000.0, "rate_hz": 52.0})
    assert d.decode(full(0, tick=2500)).sensor_time_s[0] == pytest.approx(2.5)
    with pytest.raises(ValueError, match="unknown sensor family"):
        make_decoder("nope")


@given(st.integers(0, 100), st.integers(0, 65535), st.integers(0, 0xFFFF), st.booleans(), st.integers(0, 2**32 - 1),
       st.integers(0, 2**32 - 1), st.integers(0, 65535), st.integers(0, 65535))
def test_status_round_trip(pct, mv, errors, streaming, dropped, uptime, mtu, session):
    s = p.Status(pct, mv, errors, pct, streaming, dropped, uptime, mtu, session)
    assert p.parse_status(p.encode_status(s)) == s


@given(st.sampled_from(sorted(p.REQUEST_FORMATS)), st.data())
def test_command_and_response_round_trip(opcode, data):
    def params(fmt: str) -> tuple[int, ...]:
        sizes = {"B": 8, "H": 16, "I": 32, "Q": 64}
        return tuple(data.draw(st.integers(0, 2 ** sizes[c] - 1)) for c in fmt.lstrip("<"))
    cmd = p.Command(opcode, params(p.REQUEST_FORMATS[opcode]))
    assert p.parse_command(p.encode_command(cmd)) == cmd
    resp = p.Response(opcode, 0, params(p.RESPONSE_FORMATS[opcode]))
    assert p.parse_response(p.encode_response(resp)) == resp
    failed = p.Response(opcode, data.draw(st.integers(1, 255)))
    assert p.parse_response(p.encode_response(failed)) == failed


def test_encoders_reject_impossible_fields():
    with pytest.raises(ValueError, match="exactly 2 samples"):
        p.encode_data(p.DataPacket(seq=0, sample_index=0, xyz=np.zeros((3, 3), np.int16), packet_type=p.TYPE_COMPACT))
    with pytest.raises(ValueError, match="at most 82"):
        p.encode_data(p.DataPacket(seq=0, sample_index=0, xyz=np.zeros((83, 3), np.int16)))
    with pytest.raises(ValueError, match="takes parameters"):
        p.encode_command(p.Command(p.OP_SET_CONFIG, (1,)))
    with pytest.raises(ValueError, match="rate_hz must be one of"):
        p.odr_code_for(50.5)
