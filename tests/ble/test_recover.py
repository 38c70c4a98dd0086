"""Journal assembly: host-timed sensors (lost notifications from arrival times) and exact gap causes."""

from __future__ import annotations

import numpy as np
import pytest

from lrm.ble.clock import estimate_arrival_losses
from lrm.ble.drivers.base import StreamInfo
from lrm.ble.journal import EVENT, GAP, META, STREAM, JournalWriter, PacketRecord, journal_path
from lrm.ble.protocols import lrm_open, thingy52
from lrm.ble.recover import assemble

T0 = 1_717_000_000.0


@pytest.mark.parametrize(("rate", "drop", "drift_ppm", "latency_kind", "miscount"), [
    (50.0, 0.002, 60.0, "uniform", 0),       # 30 ms connection interval: up to 1.5 periods late
    (50.0, 0.01, -80.0, "uniform", 0),
    (50.0, 0.002, 45.0, "events", 0),        # coalesced: delivered at 45 ms connection events
    (10.0, 0.01, 100.0, "exponential", 0),   # long tail plus host stalls of up to 6 s
    (100.0, 0.002, 30.0, "exponential", 1),  # mean latency 1.5 periods, long tail: +-1 per hour
])
def test_arrival_losses_are_counted_and_placed(rate, drop, drift_ppm, latency_kind, miscount):
    rng = np.random.default_rng(int(rate + 1000 * drop))
    k = np.flatnonzero(rng.random(int(3600 * rate)) >= drop)          # samples that reached the host
    k -= k[0]
    true_t = T0 + k / (rate * (1 + drift_ppm * 1e-6))
    if latency_kind == "uniform":
        latency = 0.001 + rng.uniform(0, 0.03, k.size)
    elif latency_kind == "events":
        phase = rng.uniform(0, 0.045)
        latency = np.ceil((true_t - phase) / 0.045) * 0.045 + phase - true_t + 0.002
    else:
        latency = 0.002 + rng.exponential(0.015, k.size)
        stalls = rng.random(k.size) < 1e-4
        latency[stalls] += rng.uniform(0.5, 6.0, int(stalls.sum()))
    arrival = np.maximum.accumulate(true_t + latency)                 # arrivals keep their order
    lost = estimate_arrival_losses(arrival, np.ones(k.size, dtype=int), rate)
    truth = k - np.arange(k.size)
    assert abs(lost[-1] - truth[-1]) <= miscount                      # every lost sample counted
    assert np.abs(lost - truth).max() <= 3                            # placed within a few samples
    assert miscount or np.mean(lost != truth) < 0.01                  # mostly exactly


def test_arrival_losses_without_losses_and_short_connections():
    rng = np.random.default_rng(3)
    k = np.arange(20_000)
    arrival = np.maximum.accumulate(T0 + k / 50.0 * (1 - 100e-6) + rng.uniform(0.0, 0.03, k.size))
    assert not estimate_arrival_losses(arrival, np.ones(k.size, dtype=int), 50.0).any()   # drift is no loss
    assert estimate_arrival_losses(arrival[:5], np.ones(5, dtype=int), 50.0).tolist() == [0] * 5
    assert estimate_arrival_losses([], np.zeros(0, dtype=int), 50.0).shape == (0,)
    with pytest.raises(ValueError, match="same length"):
        estimate_arrival_losses(arrival[:3], [1, 1], 50.0)


def _journal(tmp_path, family: str, info: StreamInfo, conns: list[tuple[int, list[tuple[float, bytes]]]],
             link_losses: list[dict]) -> None:
    """A journal as the recorder writes it: STREAM per connection, packets, then on each reconnection the
    first packet of the new connection followed by the GAP it closes."""
    w = JournalWriter(journal_path(tmp_path))
    w.write_json(META, {"version": 1, "legs": {"left": {"address": "AA"}}, "meta": {}})
    for (conn, pkts), loss in zip(conns, [None, *link_losses], strict=True):
        w.write_json(STREAM, {"side": "left", "conn": conn, "wall_ns": int(pkts[0][0] * 1e9), "info": info.to_dict()})
        for i, (t, payload) in enumerate(pkts):
            w.write_packet(PacketRecord("left", conn, int(t * 1e9), int(t * 1e9), np.nan, np.nan, 1, payload))
            if i == 0 and loss is not None:
                w.write_json(GAP, {**loss, "side": "left", "end_wall_ns": int(t * 1e9)})
    w.write_json(EVENT, {"side": "", "kind": "stop", "wall_ns": int(conns[-1][1][-1][0] * 1e9) + 1})
    w.close()


def test_thingy_drop_next_to_a_disconnect_is_dropped_with_exact_times(tmp_path):
    rate, rng = 50.0, np.random.default_rng(7)
    k1 = np.arange(0, 3000)
    k1 = k1[(k1 != 2960) & (k1 != 2961)]                   # two notifications lost 0.8 s before the link drops
    k2 = np.arange(4000, 6000)                             # 20 s out of range
    k2 = k2[k2 != 4500]
    def pkts(k):
        true_t = T0 + k / rate
        arrival = np.maximum.accumulate(true_t + rng.uniform(0.001, 0.03, k.size))
        return [(float(a), thingy52.encode_raw(np.array([0.0, 0.0, 1.0]))) for a in arrival]
    info = StreamInfo("thingy52", "Nordic Thingy:52", rate, 2.0, {}, has_device_clock=False)
    loss = {"start_wall_ns": int((T0 + 2999 / rate) * 1e9), "cause": "disconnected",
            "detail": "after 2998 packets; reconnect failed: refused", "attempts": 1}
    _journal(tmp_path, "thingy52", info, [(1, pkts(k1)), (3, pkts(k2))], [loss])
    rec, _ = assemble(tmp_path)
    leg = rec.legs["left"]
    assert [(g.cause, round(g.duration_s, 2)) for g in leg.gaps] == [
        ("dropped", 0.04), ("disconnected", 20.0), ("dropped", 0.02)]
    assert "reconnect failed: refused" in leg.gaps[1].detail and "arrival times" in leg.gaps[0].detail
    true_t = T0 + np.r_[k1, k2] / rate
    err = leg.t_s - true_t - np.median(leg.t_s - true_t)
    assert np.abs(err).max() < 0.03                        # host-timed: within about a connection interval
    assert any("no device clock" in n for n in leg.notes)


def test_device_clock_gap_causes_follow_connections_not_proximity(tmp_path):
    """lrm open (device clock): a lost packet 0.3 s before a silent stall is 'dropped'; the stall is 'silent'."""
    rate, n = 52.0, 4
    info = StreamInfo("lrm-open", "lrm open sensor", rate, 8.0, {}, has_device_clock=True)
    def pkts(first, last, skip=(), t_host0=0.0):
        out = []
        for seq, k in enumerate(range(first, last, n)):
            if k in skip:
                continue
            payload = lrm_open.encode_data(lrm_open.DataPacket(
                seq=seq & 0xFFFF, sample_index=k, xyz=np.zeros((n, 3), np.int16),
                tick=int(round(k / rate * 32768)) & 0xFFFFFFFF, session_id=7, odr_code=lrm_open.odr_code_for(rate),
                range_code=lrm_open.range_code_for(8.0)))
            out.append((T0 + (k + n - 1) / rate + 0.004, payload))
        return out
    stall = {"start_wall_ns": int((T0 + 1039 / rate) * 1e9), "cause": "silent", "detail": "watchdog", "attempts": 0}
    _journal(tmp_path, "lrm-open", info, [(1, pkts(0, 1040, skip={1024})), (2, pkts(1600, 2000))], [stall])
    leg = assemble(tmp_path)[0].legs["left"]
    assert [(g.cause, round(g.duration_s * rate)) for g in leg.gaps] == [("dropped", 4), ("silent", 560)]
