"""lrm open protocol: the test vectors against the Python codec, and the C reference (compiled here with the
system C compiler) against both the vectors and the Python decoder, byte for byte, including fuzzed input."""

from __future__ import annotations

import importlib.util
import json
import random
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lrm.ble.protocols import MalformedPacket
from lrm.ble.protocols import lrm_open as p

FIRMWARE = Path(__file__).resolve().parents[2] / "firmware_protocol"
VECTORS = json.loads((FIRMWARE / "test_vectors.json").read_text())["vectors"]
ORDER = {
    "data": ("version", "type", "flags", "seq", "sample_index", "tick", "odr_code", "range_code", "encoding",
             "session_id", "n", "xyz"),
    "status": ("version", "battery_pct", "battery_mv", "errors", "buffer_fill_pct", "streaming", "dropped_samples",
               "uptime_s", "mtu", "session_id"),
    "info": ("version", "protocol_minor", "imu_part", "firmware_version", "tick_hz", "odr_mask", "range_mask",
             "max_samples", "fifo_samples"),
    "command": ("opcode", "params"),
    "response": ("opcode", "status", "params"),
}
ERRORS = ("bad version", "truncated", "wrong length", "bad encoding", "unknown opcode", "not a response",
          "bad parameter")


def canonical(kind: str, fields: dict) -> str:
    """The key=value line test_vectors.c prints (lists comma-separated)."""
    def fmt(v: object) -> str:
        return ",".join(str(x) for x in v) if isinstance(v, list | tuple) else str(int(v))
    return " ".join(f"{k}={fmt(fields[k])}" for k in ORDER[kind])


def error_code(exc: MalformedPacket) -> str:
    for prefix in ERRORS:
        if exc.problem.startswith(prefix):
            return prefix.replace("not a response", "not_response").replace(" ", "_")
    raise AssertionError(f"unclassified MalformedPacket: {exc}")


def py_decode(kind: str, raw: bytes) -> str:
    """Python's answer in the C driver's output format."""
    try:
        if kind == "data":
            pkt = p.parse_data(raw)
            if pkt is None:
                return "ignored"
            fields = {"version": pkt.version, "type": pkt.packet_type, "flags": pkt.flags, "seq": pkt.seq,
                      "sample_index": pkt.sample_index, "tick": pkt.tick, "odr_code": pkt.odr_code,
                      "range_code": pkt.range_code, "encoding": pkt.encoding, "session_id": pkt.session_id,
                      "n": len(pkt.xyz), "xyz": pkt.xyz.reshape(-1).tolist()}
        elif kind == "status":
            s = p.parse_status(raw)
            fields = {k: getattr(s, k) for k in ORDER["status"]}
        elif kind == "info":
            i = p.parse_info(raw)
            fields = {k: getattr(i, k) for k in ORDER["info"]}
        elif kind == "command":
            c = p.parse_command(raw)
            fields = {"opcode": c.opcode, "params": c.params}
        else:
            r = p.parse_response(raw)
            fields = {"opcode": r.opcode, "status": r.status, "params": r.params}
    except MalformedPacket as exc:
        return f"err {error_code(exc)}"
    return "ok " + canonical(kind, fields)


def py_encode(kind: str, d: dict) -> bytes:
    if kind == "data":
        return p.encode_data(p.DataPacket(
            seq=d["seq"], sample_index=d["sample_index"], tick=d["tick"], odr_code=d["odr_code"],
            range_code=d["range_code"], session_id=d["session_id"], flags=d["flags"], packet_type=d["type"],
            xyz=np.array(d["xyz"], dtype=np.int16).reshape(-1, 3)))
    if kind == "status":
        return p.encode_status(p.Status(**{k: d[k] for k in ORDER["status"] if k != "version"}))
    if kind == "info":
        return p.encode_info(p.Info(**{k: d[k] for k in ORDER["info"] if k != "version"}))
    if kind == "command":
        return p.encode_command(p.Command(d["opcode"], tuple(d["params"])))
    return p.encode_response(p.Response(d["opcode"], d["status"], tuple(d["params"])))


PACKET_VECTORS = [v for v in VECTORS if v["kind"] != "stream"]
STREAM_VECTORS = [v for v in VECTORS if v["kind"] == "stream"]


def expected_line(v: dict) -> str:
    if "error" in v:
        return f"err {v['error']}"
    if v.get("ignored"):
        return "ignored"
    return "ok " + canonical(v["kind"], v["decoded"])


# -- the vectors file --------------------------------------------------------------------------------------
def test_vectors_file_is_what_the_generator_writes():
    spec = importlib.util.spec_from_file_location("make_test_vectors", FIRMWARE / "make_test_vectors.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert json.loads(json.dumps(module.vectors())) == VECTORS


def test_vectors_cover_the_required_edge_cases():
    names = " ".join(v["name"] for v in VECTORS)
    for needed in ("min and max int16", "MTU 23", "MTU 247", "sequence", "tick", "bad version", "truncated",
                   "compact", "one sample"):
        assert needed in names
    assert {v["error"] for v in VECTORS if "error" in v} == {e.replace("not a response", "not_response").replace(
        " ", "_") for e in ERRORS}
    assert {v["decoded"]["opcode"] for v in VECTORS if v["kind"] == "command" and "decoded" in v} == {1, 2, 3, 4, 5}
    assert {v["decoded"]["status"] for v in VECTORS if v["kind"] == "response" and "decoded" in v} == set(range(7))
    assert max(v["decoded"]["n"] for v in VECTORS if v["kind"] == "data" and "decoded" in v) == p.MAX_SAMPLES


def test_documented_bytes_of_the_first_vector():
    # 10 | 00 | 0100 | 00000000 | 00800000 | 22 | 01 | 3412 | 0000 0000 0010  (SPEC.md §4.4 walks through it)
    assert VECTORS[0]["hex"] == "1000010000000000008000002201341200000000" + "0010"


@pytest.mark.parametrize("v", PACKET_VECTORS, ids=lambda v: v["name"])
def test_python_decodes_every_vector(v):
    assert py_decode(v["kind"], bytes.fromhex(v["hex"])) == expected_line(v)
    if "accel_g" in v:
        got = p.Decoder().decode(bytes.fromhex(v["hex"])).accel_g
        np.testing.assert_allclose(got, np.array(v["accel_g"]).reshape(-1, 3), rtol=1e-6)


@pytest.mark.parametrize("v", [v for v in PACKET_VECTORS if "decoded" in v and v.get("encode", True)],
                         ids=lambda v: v["name"])
def test_python_encodes_every_vector(v):
    assert py_encode(v["kind"], v["decoded"]).hex() == v["hex"]


@pytest.mark.parametrize("v", STREAM_VECTORS, ids=lambda v: v["name"])
def test_stream_vectors_through_the_host_decoder(v):
    decoder = p.Decoder(tick_hz=v["tick_hz"])
    for raw, want in zip(v["packets"], v["expected"], strict=True):
        s = decoder.decode(bytes.fromhex(raw))
        assert (s.seq, s.sample_index, s.lost_before) == (want["seq"], want["sample_index"], want["lost_before"])
        np.testing.assert_allclose(s.sensor_time_s, want["sensor_time_s"], rtol=0, atol=1e-9)


# -- the C reference -----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def c_driver(tmp_path_factory) -> Path:
    cc = shutil.which("cc") or shutil.which("gcc") or shutil.which("clang")
    if cc is None:
        pytest.skip("no C compiler (cc/gcc/clang) on PATH")
    exe = tmp_path_factory.mktemp("c") / "test_vectors"
    cmd = [cc, "-std=c99", "-Wall", "-Wextra", "-pedantic", "-Werror", "-O1", "-o", str(exe),
           str(FIRMWARE / "test_vectors.c"), str(FIRMWARE / "lrm_protocol.c")]
    result = subprocess.run(cmd, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return exe


def run_c(exe: Path, lines: list[str]) -> list[str]:
    out = subprocess.run([str(exe)], input="\n".join(lines) + "\n", capture_output=True, text=True, check=True)
    return out.stdout.splitlines()


def test_c_decodes_every_vector(c_driver):
    got = run_c(c_driver, [f"decode {v['kind']} {v['hex']}" for v in PACKET_VECTORS])
    assert got == [expected_line(v) for v in PACKET_VECTORS]


def test_c_encodes_every_vector_byte_for_byte(c_driver):
    todo = [v for v in PACKET_VECTORS if "decoded" in v and v.get("encode", True)]
    got = run_c(c_driver, [f"encode {v['kind']} {canonical(v['kind'], v['decoded'])}" for v in todo])
    assert got == [v["hex"] for v in todo]


def mutations(seed: int, count: int) -> list[tuple[str, bytes]]:
    """Random and mutated packets of every kind (deterministic)."""
    rng, out = random.Random(seed), []
    for _ in range(count):
        v = rng.choice(PACKET_VECTORS)
        raw = bytearray(bytes.fromhex(v["hex"]))
        action = rng.randrange(4)
        if action == 0 and raw:
            raw[rng.randrange(len(raw))] = rng.randrange(256)
        elif action == 1:
            raw = raw[: rng.randrange(len(raw) + 1)]
        elif action == 2:
            raw += bytes(rng.randrange(256) for _ in range(rng.randrange(1, 8)))
        else:
            raw = bytearray(rng.randrange(256) for _ in range(rng.randrange(40)))
            if raw and rng.random() < 0.7:
                raw[0] = rng.choice([0x10, 0x13, 0x80, 0x01, 0x03])
        out.append((v["kind"], bytes(raw)))
    return out


def test_c_and_python_agree_on_mutated_and_random_packets(c_driver):
    cases = mutations(seed=20261122, count=3000)
    got = run_c(c_driver, [f"decode {kind} {raw.hex()}" for kind, raw in cases])
    want = [py_decode(kind, raw) for kind, raw in cases]
    mismatches = [(k, r.hex(), g, w) for (k, r), g, w in zip(cases, got, want, strict=True) if g != w]
    assert not mismatches, mismatches[:5]
    assert sum(w.startswith("ok") for w in want) > 300 and sum(w.startswith("err") for w in want) > 300


# -- the host decoder on arbitrary bytes ------------------------------------------------------------------------
@settings(max_examples=400)
@given(st.lists(st.binary(max_size=80), min_size=1, max_size=5), st.sampled_from([b"\x10", b"\x13", b""]))
def test_decoder_raises_only_malformed_packet(payloads, prefix):
    decoder = p.Decoder()
    for payload in payloads:
        try:
            s = decoder.decode(prefix + payload)
        except MalformedPacket:
            continue
        assert s.accel_g.dtype == np.float32 and s.sensor_time_s.shape == (s.n,)
    for parse in (p.parse_status, p.parse_info, p.parse_command, p.parse_response):
        try:
            parse(payloads[0])
        except MalformedPacket:
            pass


@given(st.integers(0, 82), st.integers(0, 2**16 - 1), st.integers(0, 2**32 - 1), st.integers(0, 2**32 - 1),
       st.integers(0, 13), st.integers(0, 3), st.data())
def test_encode_decode_round_trip(n, seq, index, tick, odr, rng, data):
    xyz = np.array(data.draw(st.lists(st.integers(-32768, 32767), min_size=3 * n, max_size=3 * n)),
                   dtype=np.int16).reshape(-1, 3)
    pkt = p.DataPacket(seq=seq, sample_index=index, tick=tick, odr_code=odr, range_code=rng, session_id=seq ^ 0xFFFF,
                       xyz=xyz)
    back = p.parse_data(p.encode_data(pkt))
    assert (back.seq, back.sample_index, back.tick, back.odr_code, back.range_code, back.session_id) == (
        seq, index, tick, odr, rng, seq ^ 0xFFFF)
    assert np.array_equal(back.xyz, xyz)
    s = p.Decoder().decode(p.encode_data(pkt))
    np.testing.assert_allclose(s.accel_g, xyz * (p.RANGE_G[rng] / 32768), rtol=1e-6)
