"""Build a night's native recording from its journal: at the end of ``lrm record`` and in ``lrm recover``.

The same function runs in both cases, so a night recovered after ``kill -9`` is exactly what a clean stop
would have written, minus what never reached the disk (at most the last 2 s).

Per leg: every journaled payload is re-decoded with a fresh decoder per connection
(``make_decoder(info.family, info.decoder_config)`` from the connection's STREAM record); the clock model
(:mod:`lrm.ble.clock`) maps device time to host time (sensors without a device clock get a sample-count
clock per connection, mapped the same way); gaps are stretches longer than 1.5 sample periods, with the
cause the recorder journaled for them ("disconnected", "silent" for the watchdog, ...) or "dropped" for
notifications lost inside a live connection.
"""

from __future__ import annotations

import math
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lrm.ble.clock import fit_clock
from lrm.ble.journal import GAP, META, STREAM, EVENT, JsonRecord, PacketRecord, ReadStats, journal_path, read_journal
from lrm.errors import InputError, LrmError, OutputExistsError
from lrm.io.recording import Gap, Leg, Recording

__all__ = ["assemble", "finalize", "recover", "AssemblyReport"]

GAP_FACTOR = 1.5


@dataclass
class AssemblyReport:
    """What was found in the journal (shown by ``lrm recover`` and stored in recording.json meta)."""

    stats: ReadStats = field(default_factory=ReadStats)
    packets: dict[str, int] = field(default_factory=dict)
    samples: dict[str, int] = field(default_factory=dict)
    malformed: dict[str, int] = field(default_factory=dict)
    stopped_cleanly: bool = False
    last_wall_s: float = math.nan

    def to_dict(self) -> dict[str, Any]:
        return {
            "journal_records": self.stats.records, "journal_torn_tail_bytes": self.stats.torn_tail_bytes,
            "journal_skipped_bytes": self.stats.skipped_bytes, "packets": self.packets, "samples": self.samples,
            "malformed_packets": self.malformed, "stopped_cleanly": self.stopped_cleanly,
        }


def assemble(night_dir: str | os.PathLike[str]) -> tuple[Recording, AssemblyReport]:
    """Rebuild the recording of ``night_dir`` from ``night_dir/journal/journal.lrmj``.

    Raises :class:`~lrm.errors.InputError` if there is no journal or it holds no samples.
    """
    from lrm.ble.protocols import MalformedPacket, make_decoder

    root = Path(night_dir)
    path = journal_path(root)
    if not path.is_file():
        raise InputError(str(root), "", "no BLE journal here (journal/journal.lrmj)",
                         "pass the --out directory of an 'lrm record' run")
    report = AssemblyReport()
    meta: dict[str, Any] = {}
    streams: dict[tuple[str, int], dict[str, Any]] = {}
    packets: dict[str, list[PacketRecord]] = defaultdict(list)
    gaps: dict[str, list[dict[str, Any]]] = defaultdict(list)
    try:
        for rec in read_journal(path, report.stats):
            if isinstance(rec, PacketRecord):
                packets[rec.side].append(rec)
                report.last_wall_s = rec.wall_ns / 1e9
            elif isinstance(rec, JsonRecord):
                if rec.kind == META and not meta:
                    meta = rec.data
                elif rec.kind == STREAM:
                    streams[(rec.data["side"], int(rec.data["conn"]))] = rec.data["info"]
                elif rec.kind == GAP:
                    gaps[rec.data["side"]].append(rec.data)
                elif rec.kind == EVENT and rec.data.get("kind") == "stop":
                    report.stopped_cleanly = True
    except ValueError as exc:
        raise InputError(str(path), "", str(exc), "pass the journal written by 'lrm record'") from None

    legs: dict[str, Leg] = {}
    for side in ("left", "right"):
        leg_meta = (meta.get("legs") or {}).get(side)
        if not packets.get(side):
            continue
        dev_t, accel, host_last, dev_last, seg_forced, seg_of_packet = [], [], [], [], [], []
        counts: list[int] = []
        decoder, current, info = None, None, None
        infos: dict[int, dict[str, Any]] = {}
        synth: dict[int, int] = defaultdict(int)
        malformed = 0
        for p in packets[side]:
            if p.conn != current:
                current = p.conn
                info = streams.get((side, p.conn))
                decoder = make_decoder(info["family"], info["decoder_config"]) if info else None
                if info:
                    infos[p.conn] = info
            if decoder is None or info is None:
                continue                       # packets before the connection's STREAM record (none expected)
            try:
                s = decoder.decode(p.payload)
            except MalformedPacket:
                malformed += 1
                continue
            if not s.n:
                continue
            t = s.sensor_time_s
            if not s.has_device_time:          # no device clock: count samples per connection
                k0 = synth[p.conn]
                t = (k0 + np.arange(s.n)) / float(info["rate_hz"])
                synth[p.conn] += s.n
                seg_forced.append(p.conn)
            else:
                seg_forced.append(0)
            dev_t.append(t)
            accel.append(s.accel_g)
            host_last.append(p.wall_ns / 1e9)
            dev_last.append(float(t[-1]))
            counts.append(s.n)
        report.malformed[side] = malformed
        report.packets[side] = len(packets[side])
        if not counts:
            continue
        model, seg = fit_clock(np.asarray(dev_last), np.asarray(host_last), segments=np.asarray(seg_forced))
        seg_samples = np.repeat(seg, counts)
        t_host = model.to_host(np.concatenate(dev_t), seg_samples)
        acc = np.concatenate(accel).astype(np.float32)
        order = np.argsort(t_host, kind="stable")
        t_host, acc = t_host[order], acc[order]
        keep = np.r_[True, np.diff(t_host) > 1e-6]          # a sample journaled twice counts once
        t_host, acc = t_host[keep], acc[keep]
        first_info = next(iter(infos.values()))
        fs = float(first_info["rate_hz"])
        leg_gaps = _find_gaps(t_host, fs, gaps.get(side, []))
        notes = [f"recorded over BLE ({first_info.get('display_name', '')}, {len(infos)} connection(s))"]
        notes += list(first_info.get("warnings", []))
        if not first_info.get("has_device_clock", True):
            notes.append("no device clock: sample times come from host arrival times (uncertainty ~ one "
                         "connection interval)")
        if malformed:
            notes.append(f"{malformed} malformed packets skipped")
        report.samples[side] = int(len(t_host))
        legs[side] = Leg(
            side=side, t_s=t_host, accel_g=acc, fs_hz=fs, device=str(first_info.get("display_name", "")),
            serial=str((leg_meta or {}).get("address", "")), range_g=float(first_info.get("range_g") or 0) or None,
            source=str(root), gaps=tuple(leg_gaps), clock_offset_s=model.offset_s,
            clock_drift_ppm=model.drift_ppm, notes=tuple(notes),
        )
    if not legs:
        raise LrmError(f"{path}: the journal holds no samples (the sensors never streamed). "
                       "Fix: check the sensors with 'lrm scan' and record again")
    recording = Recording(legs=legs, time_is_absolute=True, subject=str((meta.get("meta") or {}).get("subject", "")),
                          meta={"recorded_by": "lrm record", **(meta.get("meta") or {}), "journal": report.to_dict()})
    return recording, report


def _find_gaps(t: np.ndarray, fs: float, journaled: list[dict[str, Any]]) -> list[Gap]:
    """Gaps between consecutive samples longer than 1.5 periods, with the journaled cause when one overlaps."""
    period = 1.0 / fs
    idx = np.flatnonzero(np.diff(t) > GAP_FACTOR * period)
    out = []
    for i in idx:
        start, end = float(t[i] + period), float(t[i + 1])
        cause, detail = "dropped", f"{int(round((end - start) * fs))} samples lost inside a connection"
        for g in journaled:
            g_start, g_end = g["start_wall_ns"] / 1e9, g.get("end_wall_ns", g["start_wall_ns"]) / 1e9
            if g_start <= end + 1.0 and g_end >= start - 1.0:
                cause, detail = str(g["cause"]), str(g.get("detail", ""))
                break
        out.append(Gap(start, end, cause, detail))
    return out


def finalize(night_dir: str | os.PathLike[str]) -> tuple[Path, AssemblyReport]:
    """Assemble the journal of ``night_dir`` and write its native recording (never over an existing one)."""
    from lrm.io.native import MANIFEST, write_native

    root = Path(night_dir)
    if (root / MANIFEST).exists():
        raise OutputExistsError(str(root / MANIFEST), "this night is already complete: analyse it with 'lrm analyze DIR'")
    recording, report = assemble(root)
    write_native(recording, root)
    return root, report


def recover(night_dir: str | os.PathLike[str]) -> tuple[Path, AssemblyReport]:
    """``lrm recover``: rebuild the recording of an interrupted night from its journal."""
    return finalize(night_dir)
