"""Regenerate test_vectors.json for the lrm open protocol v1 (SPEC.md).

    python firmware_protocol/make_test_vectors.py        # writes firmware_protocol/test_vectors.json

Each vector: ``name``, ``kind`` (data | status | info | command | response | stream), ``hex`` and either
``decoded`` (the fields, in the canonical order used by test_vectors.c), ``ignored`` (a v1 packet type
this version skips) or ``error`` (bad_version, truncated, wrong_length, bad_encoding, unknown_opcode,
not_response, bad_parameter). ``encode: false`` marks bytes that decode but are not what an encoder
writes (e.g. a longer STATUS from a later minor version). ``stream`` vectors list packets fed to one
host decoder with the expected sample indices, device times (s) and losses. The tests check that this
file equals what the script generates, and that Python and the C reference agree on every vector.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from lrm.ble.protocols import lrm_open as p

OUT = Path(__file__).with_name("test_vectors.json")


def data(name: str, *, xyz: list[list[int]], seq: int = 1, sample_index: int = 0, tick: int = 0, odr_code: int = 2,
         range_code: int = 2, session_id: int = 0x1234, flags: int = 0, packet_type: int = 0) -> dict[str, Any]:
    arr = np.array(xyz, dtype=np.int16).reshape(-1, 3)
    pkt = p.DataPacket(seq=seq, sample_index=sample_index, xyz=arr, tick=tick, odr_code=odr_code,
                       range_code=range_code, session_id=session_id, flags=flags, packet_type=packet_type)
    raw = p.encode_data(pkt)
    compact = packet_type == p.TYPE_COMPACT
    decoded = {"version": 1, "type": packet_type, "flags": 0 if compact else flags, "seq": seq,
               "sample_index": sample_index, "tick": 0 if compact else tick, "odr_code": odr_code,
               "range_code": range_code, "encoding": 0, "session_id": 0 if compact else session_id,
               "n": len(arr), "xyz": arr.reshape(-1).tolist()}
    accel = (arr.astype(np.float64) * p.RANGE_G[range_code] / 32768).tolist()
    return {"name": name, "kind": "data", "hex": raw.hex(), "decoded": decoded, "accel_g": accel}


def bad(name: str, kind: str, raw: bytes, error: str) -> dict[str, Any]:
    return {"name": name, "kind": kind, "hex": raw.hex(), "error": error}


def status(name: str, s: p.Status, extra: bytes = b"") -> dict[str, Any]:
    d = {"version": 1, "battery_pct": s.battery_pct, "battery_mv": s.battery_mv, "errors": s.errors,
         "buffer_fill_pct": s.buffer_fill_pct, "streaming": int(s.streaming), "dropped_samples": s.dropped_samples,
         "uptime_s": s.uptime_s, "mtu": s.mtu, "session_id": s.session_id}
    v = {"name": name, "kind": "status", "hex": (p.encode_status(s) + extra).hex(), "decoded": d}
    return v | ({"encode": False} if extra else {})


def info(name: str, i: p.Info) -> dict[str, Any]:
    d = {"version": 1, "protocol_minor": i.protocol_minor, "imu_part": i.imu_part,
         "firmware_version": i.firmware_version, "tick_hz": i.tick_hz, "odr_mask": i.odr_mask,
         "range_mask": i.range_mask, "max_samples": i.max_samples, "fifo_samples": i.fifo_samples}
    return {"name": name, "kind": "info", "hex": p.encode_info(i).hex(), "decoded": d}


def command(name: str, opcode: int, params: tuple[int, ...] = ()) -> dict[str, Any]:
    raw = p.encode_command(p.Command(opcode, params))
    return {"name": name, "kind": "command", "hex": raw.hex(), "decoded": {"opcode": opcode, "params": list(params)}}


def response(name: str, opcode: int, status_code: int, params: tuple[int, ...] = ()) -> dict[str, Any]:
    raw = p.encode_response(p.Response(opcode, status_code, params))
    return {"name": name, "kind": "response", "hex": raw.hex(),
            "decoded": {"opcode": opcode, "status": status_code, "params": list(params)}}


def stream(name: str, packets: list[bytes], tick_hz: int, expected: list[dict[str, Any]]) -> dict[str, Any]:
    return {"name": name, "kind": "stream", "tick_hz": tick_hz, "packets": [x.hex() for x in packets],
            "expected": expected}


def full(seq: int, index: int, tick: int, n: int = 1, session: int = 7, odr_code: int = 2) -> bytes:
    return p.encode_data(p.DataPacket(seq=seq, sample_index=index, tick=tick, session_id=session, odr_code=odr_code,
                                      xyz=np.zeros((n, 3), np.int16)))


def compact(seq: int, index: int) -> bytes:
    return p.encode_data(p.DataPacket(seq=seq, sample_index=index, xyz=np.zeros((2, 3), np.int16),
                                      packet_type=p.TYPE_COMPACT))


def vectors() -> list[dict[str, Any]]:
    one = data("one sample, +1 g on z at +-8 g, 52 Hz", xyz=[[0, 0, 4096]], tick=32768)
    v = [
        one,
        data("min and max int16 on every axis at +-16 g", xyz=[[-32768, 32767, 0], [32767, -32768, -1]], range_code=3),
        data("time anchor: full packet with n = 0 (MTU 23 cannot fit a sample after the 16-byte header)",
             xyz=[], sample_index=1000, tick=123456),
        data("compact packet: the 2 samples that fit MTU 23 (20-byte payload)", xyz=[[1, 2, 3], [-4, -5, -6]],
             sample_index=1000, packet_type=p.TYPE_COMPACT, seq=2),
        data("max samples for MTU 247 (244-byte payload): 38", xyz=[[i, -i, 2 * i] for i in range(38)],
             sample_index=5000, tick=2**31),
        data("max samples in one 512-byte attribute: 82", xyz=[[i, i, i] for i in range(82)], odr_code=3),
        data("sequence number at its wrap point 65535", xyz=[[0, 0, 0]], seq=65535, sample_index=70000),
        data("sequence number after the wrap: 0", xyz=[[0, 0, 0]], seq=0, sample_index=70001),
        data("tick just before the 32-bit wrap", xyz=[[0, 0, 0]], tick=0xFFFFFFF0),
        data("all flags, session 0xFFFF, 238 Hz (code 13), +-2 g", xyz=[[16384, -16384, 0]], flags=0x1F,
             session_id=0xFFFF, odr_code=13, range_code=0),
        data("sample index near the u32 limit", xyz=[[1, 1, 1]], sample_index=0xFFFFFFFE, odr_code=0, range_code=1),
        bad("bad version 2", "data", b"\x20" + bytes.fromhex(one["hex"])[1:], "bad_version"),
        bad("bad version 0", "data", b"\x00" + bytes.fromhex(one["hex"])[1:], "bad_version"),
        bad("empty packet", "data", b"", "truncated"),
        bad("truncated header (10 of 16 bytes)", "data", bytes.fromhex(one["hex"])[:10], "truncated"),
        bad("truncated sample (n = 1, 5 of 6 sample bytes)", "data", bytes.fromhex(one["hex"])[:-1], "wrong_length"),
        bad("one byte too many", "data", bytes.fromhex(one["hex"]) + b"\x00", "wrong_length"),
        bad("n says 2 but one sample present", "data",
            bytes.fromhex(one["hex"])[:13] + b"\x02" + bytes.fromhex(one["hex"])[14:], "wrong_length"),
        bad("compact packet cut to 19 bytes", "data", bytes.fromhex(v_compact_hex())[:19], "truncated"),
        bad("compact packet with a trailing byte", "data", bytes.fromhex(v_compact_hex()) + b"\x00", "wrong_length"),
        bad("reserved encoding 1", "data",
            bytes.fromhex(one["hex"])[:12] + bytes([0x24]) + bytes.fromhex(one["hex"])[13:], "bad_encoding"),
        bad("reserved output-data-rate code 14", "data",
            bytes.fromhex(one["hex"])[:12] + bytes([0xE2]) + bytes.fromhex(one["hex"])[13:], "bad_encoding"),
        {"name": "unknown v1 packet type 5 is skipped", "kind": "data", "hex": "1500", "ignored": True},
        status("status: streaming, 87 %", p.Status(87, 3987, 0, 12, True, 0, 3600, 247, 0x1234)),
        status("status: battery unknown (255), all error bits, idle", p.Status(255, 0, 0xFFFF, 100, False,
                                                                                  0xFFFFFFFF, 0xFFFFFFFF, 23, 0)),
        status("status from a later minor (2 appended bytes) still decodes",
               p.Status(50, 3700, 2, 0, True, 10, 60, 185, 9), extra=b"\xab\xcd"),
        bad("status with bad version", "status", bytes(20), "bad_version"),
        bad("truncated status", "status", bytes([0x10]) + bytes(18), "truncated"),
        info("info: XIAO nRF52840 Sense (LSM6DS3TR-C, 32768 Hz RTC)",
             p.Info(1, 0x0100, 32768, 0b111111, 0b1111, 38, 1024)),
        info("info: Nano 33 BLE Rev2 (BMI270), minor 1", p.Info(3, 0x0203, 1_000_000, 0b1111000000, 0b1111, 2, 512,
                                                                protocol_minor=1)),
        bad("info with tick_hz 0", "info", bytes([0x10, 1, 0, 1]) + bytes(12), "bad_parameter"),
        bad("truncated info", "info", bytes([0x10, 1]), "truncated"),
        command("START", p.OP_START),
        command("STOP", p.OP_STOP),
        command("SET_CONFIG 104 Hz, +-8 g, 500 ms batches", p.OP_SET_CONFIG, (3, 2, 500)),
        command("TIME_SYNC host time 2025-11-13T02:13:20Z in us", p.OP_TIME_SYNC, (1_763_000_000_000_000,)),
        command("REQUEST_CONN_PARAMS CI 50-100 ms, latency 0, timeout 5 s", p.OP_REQUEST_CONN_PARAMS, (40, 80, 0, 500)),
        bad("command with unknown opcode 0x07", "command", b"\x07", "unknown_opcode"),
        bad("SET_CONFIG missing its batch field", "command", bytes([3, 3, 2]), "wrong_length"),
        bad("STOP with a stray byte", "command", bytes([2, 0]), "wrong_length"),
        bad("empty command", "command", b"", "truncated"),
        response("START ok, session 0xBEEF", p.OP_START, 0, (0xBEEF,)),
        response("STOP ok", p.OP_STOP, 0),
        response("SET_CONFIG ok, applied 104 Hz +-8 g 500 ms", p.OP_SET_CONFIG, 0, (3, 2, 500)),
        response("TIME_SYNC ok: device tick and next sample index at receipt", p.OP_TIME_SYNC, 0, (0xFFFFFFFF, 123456)),
        response("REQUEST_CONN_PARAMS ok", p.OP_REQUEST_CONN_PARAMS, 0),
        response("unknown opcode 0x07", 0x07, p.STATUS_UNKNOWN_OPCODE),
        response("SET_CONFIG invalid length", p.OP_SET_CONFIG, p.STATUS_INVALID_LENGTH),
        response("SET_CONFIG invalid parameter", p.OP_SET_CONFIG, p.STATUS_INVALID_PARAMETER),
        response("SET_CONFIG while streaming: invalid state", p.OP_SET_CONFIG, p.STATUS_INVALID_STATE),
        response("START busy", p.OP_START, p.STATUS_BUSY),
        response("START hardware error (IMU not responding)", p.OP_START, p.STATUS_HARDWARE_ERROR),
        bad("response without the 0x80 code", "response", bytes([0x81, 1, 0, 0, 0]), "not_response"),
        bad("truncated response", "response", bytes([0x80, 1]), "truncated"),
        bad("START ok without its session id", "response", bytes([0x80, 1, 0]), "wrong_length"),
        stream("sequence wrap and a lost notification (seq 65535 -> 1, index jumps by 1)",
               [full(65534, 0, 0), full(65535, 1, 630), full(1, 3, 1890)], 32768,
               [{"seq": 65534, "sample_index": 0, "sensor_time_s": [0.0], "lost_before": None},
                {"seq": 65535, "sample_index": 1, "sensor_time_s": [630 / 32768], "lost_before": 0},
                {"seq": 1, "sample_index": 3, "sensor_time_s": [1890 / 32768], "lost_before": 1}]),
        stream("tick wrap: 0xFFFFFF00 -> 0x00000100 is 512 ticks later, not 36 h earlier",
               [full(1, 0, 0xFFFFFF00), full(2, 1, 0x100)], 32768,
               [{"seq": 1, "sample_index": 0, "sensor_time_s": [0xFFFFFF00 / 32768], "lost_before": None},
                {"seq": 2, "sample_index": 1, "sensor_time_s": [(0xFFFFFF00 + 512) / 32768], "lost_before": 0}]),
        stream("MTU 23: a time anchor, then compact packets timed from it at the nominal rate (52 Hz)",
               [full(1, 100, 65536, n=0), compact(2, 100), compact(3, 102)], 32768,
               [{"seq": 1, "sample_index": 100, "sensor_time_s": [], "lost_before": None},
                {"seq": 2, "sample_index": 100, "sensor_time_s": [2.0, 2.0 + 1 / 52], "lost_before": 0},
                {"seq": 3, "sample_index": 102, "sensor_time_s": [2.0 + 2 / 52, 2.0 + 3 / 52], "lost_before": 0}]),
    ]
    return v


def v_compact_hex() -> str:
    return compact(2, 1000).hex()


def main() -> None:
    doc = {"protocol": "lrm-open", "version": p.VERSION, "spec": "firmware_protocol/SPEC.md",
           "generator": "firmware_protocol/make_test_vectors.py", "vectors": vectors()}
    OUT.write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {len(doc['vectors'])} vectors to {OUT}")


if __name__ == "__main__":
    main()
