"""Movesense Showcase app JSON export (formats.md §4, **[unverified]** layout from third-party decoders).

``{"data":[{"acc":{"Timestamp":1234,"ArrayAcc":[{"x":..,"y":..,"z":..},...]}}, ...]}``: one packet per
entry, ``Timestamp`` in sensor milliseconds since power-on (relative), acceleration in m/s^2. The packet
timestamp belongs to its first sample; samples are spread evenly up to the next packet's timestamp.
Relative time unless ``start_s`` is given. Packets under other keys (``meas``/``Body``) holding an
``ArrayAcc`` list are accepted too.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from lrm.errors import InputError
from lrm.io.format_tools import make_recording, resolve_zone, shift_start, spread_packed_times, to_g
from lrm.io.recording import Recording

__all__ = ["sniff", "read", "DESCRIPTION"]

DESCRIPTION = "Movesense Showcase JSON ({'data':[{'acc':{'Timestamp','ArrayAcc'}}]}; ms since start; m/s^2)"
FIX = "export the accelerometer measurement again from the Movesense Showcase app (JSON)"


def sniff(head: bytes, suffix: str) -> bool:
    return head.lstrip()[:1] in (b"{", b"[") and b'"ArrayAcc"' in head


def _packets(node: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if "ArrayAcc" in item:
                found.append(item)
            else:
                stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(reversed(item))
    return found


def read(path: Path, options) -> Recording:  # noqa: ANN001 - ReadOptions
    """Read a Movesense JSON export into a one-leg recording (g; relative s unless start_s)."""
    try:
        doc = json.loads(path.read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        where = f"line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else "content"
        raise InputError(str(path), where, "invalid JSON (truncated or corrupt)", FIX) from None
    packets = _packets(doc)
    if not packets:
        raise InputError(str(path), "JSON", "no 'ArrayAcc' packets", FIX)
    times, rows = [], []
    for i, pkt in enumerate(packets):
        try:
            ts = float(pkt["Timestamp"])
            samples = [(float(s["x"]), float(s["y"]), float(s["z"])) for s in pkt["ArrayAcc"]]
        except (KeyError, TypeError, ValueError):
            raise InputError(str(path), f"packet {i + 1}", "missing Timestamp or x/y/z", FIX) from None
        times.extend([ts] * len(samples))
        rows.extend(samples)
    t_ms = np.asarray(times, dtype=np.float64)
    order = np.argsort(t_ms, kind="stable")
    t_rel, _ = spread_packed_times(t_ms[order] / 1e3)
    accel_g, unit = to_g(np.asarray(rows, dtype=np.float64)[order], "m/s^2", path, options.units)
    t_s, is_abs = shift_start(t_rel, options)
    zone, note = None, "time: relative (sensor ms since start)"
    if is_abs:
        t_s, zone, note = resolve_zone(path, t_s, options, wall_clock=False)
        note = f"time: sensor ms since start, shifted to --start; {note}"
    return make_recording(path, options, t_s=t_s, accel_g=accel_g, device="Movesense", time_is_absolute=is_abs,
                          notes=[note], meta={"units_in_file": unit}, zone=zone)
