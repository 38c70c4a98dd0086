"""Build a night's native recording from its journal: at the end of ``lrm record`` and in ``lrm recover``.

The same function runs in both cases, so a night recovered after ``kill -9`` is exactly what a clean stop
would have written, minus what never reached the disk (at most the last 2 s).

Per leg: every journaled payload is re-decoded with a fresh decoder per connection
(``make_decoder(info.family, info.decoder_config)`` from the connection's STREAM record); the clock model
(:mod:`lrm.ble.clock`) maps device time to host time. Sensors without a device clock (WitMotion,
Thingy:52) get a sample-index clock per connection in which lost notifications are counted from the
steps of the arrivals' lower envelope (:func:`lrm.ble.clock.estimate_arrival_losses`), mapped the same
way, so their losses are gaps too and do not bend the drift estimate.

Gaps are stretches longer than 1.5 sample periods. A gap between two connections takes the cause the
recorder journaled for that link loss (the GAP record closed by the new connection's first packet:
"disconnected", "silent" for the watchdog, with its reconnect attempts); a gap inside one connection is
"dropped" (notifications lost on a live link), however close it is to a disconnect.
"""

from __future__ import annotations

import math
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lrm.ble.clock import ARRIVAL_TIMING_NOTE, estimate_arrival_losses, fit_clock
from lrm.ble.journal import GAP, META, STREAM, EVENT, JsonRecord, PacketRecord, ReadStats, journal_path, read_journal
from lrm.errors import InputError, LrmError, OutputExistsError
from lrm.io.recording import Gap, Leg, Recording

__all__ = ["assemble", "finalize", "recover", "find_gaps", "measured_rate_hz", "AssemblyReport"]

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
    lost_events: dict[str, list[dict[str, Any]]] = defaultdict(list)
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
                    side_packets = packets.get(rec.data["side"])
                    # the recorder writes a GAP right after the packet that ended it: the next connection's first
                    closer = side_packets[-1] if side_packets else None
                    conn_after = closer.conn if closer is not None and closer.wall_ns == rec.data.get("end_wall_ns") else None
                    gaps[rec.data["side"]].append({**rec.data, "conn_after": conn_after})
                elif rec.kind == EVENT and rec.data.get("kind") == "lost":
                    lost_events[rec.data.get("side", "")].append(rec.data)
                elif rec.kind == EVENT and rec.data.get("kind") == "stop":
                    report.stopped_cleanly = True
    except ValueError as exc:
        raise InputError(str(path), "", str(exc), "pass the journal written by 'lrm record'") from None

    legs: dict[str, Leg] = {}
    for side in ("left", "right"):
        leg_meta = (meta.get("legs") or {}).get(side)
        if not packets.get(side):
            continue
        decoded = _decode_leg(side, packets[side], streams)
        report.malformed[side] = malformed = decoded.malformed
        report.packets[side] = len(packets[side])
        if not decoded.counts:
            continue
        infos = decoded.infos
        dev_last, host_last, counts, conns, host_timed, dev_t = decoded.arrays()
        if host_timed.any():
            dev_t, dev_last = _index_clock(dev_t, dev_last, host_last, counts, conns, host_timed, infos)
        model, seg = fit_clock(dev_last, host_last, segments=np.where(host_timed, conns, 0))
        t_host = model.to_host(dev_t, np.repeat(seg, counts))
        acc = np.concatenate(decoded.accel).astype(np.float32)
        conn_of_sample = np.repeat(conns, counts)
        order = np.argsort(t_host, kind="stable")
        t_host, acc, conn_of_sample = t_host[order], acc[order], conn_of_sample[order]
        keep = np.r_[True, np.diff(t_host) > 1e-6]          # a sample journaled twice counts once
        t_host, acc, conn_of_sample = t_host[keep], acc[keep], conn_of_sample[keep]
        first_info = next(iter(infos.values()))
        fs = measured_rate_hz(t_host, nominal_hz=float(first_info["rate_hz"]))   # the true rate, not the nominal
        leg_gaps = find_gaps(t_host, conn_of_sample, fs_hz=fs, journaled=gaps.get(side, []),
                             lost_events=lost_events.get(side, []), host_timed=bool(host_timed.all()))
        notes = [f"recorded over BLE ({first_info.get('display_name', '')}, {len(infos)} connection(s))"]
        notes += list(first_info.get("warnings", []))
        if not first_info.get("has_device_clock", True):
            notes.append(ARRIVAL_TIMING_NOTE)
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
                          meta={"recorded_by": "lrm record", **(meta.get("meta") or {}), "journal": report.to_dict()},
                          **_recorded_zone(meta))
    return recording, report


def _recorded_zone(meta: dict[str, Any]) -> dict[str, Any]:
    """The computer's zone, which ``lrm record`` journals when it starts (older journals: unknown)."""
    zone = meta.get("timezone")
    return {"timezone": zone, "timezone_source": meta.get("timezone_source", "computer") if zone else "unknown"}


@dataclass
class _DecodedLeg:
    """Per sample-bearing packet of one leg: device time of its samples (NaN without a device clock)."""

    dev_t: list[np.ndarray] = field(default_factory=list)
    accel: list[np.ndarray] = field(default_factory=list)
    host_last: list[float] = field(default_factory=list)
    counts: list[int] = field(default_factory=list)
    conns: list[int] = field(default_factory=list)
    host_timed: list[bool] = field(default_factory=list)
    infos: dict[int, dict[str, Any]] = field(default_factory=dict)
    malformed: int = 0

    def arrays(self) -> tuple[np.ndarray, ...]:
        """(dev_last, host_last, counts, conns, host_timed) per packet, then dev_t per sample."""
        dev_t = np.concatenate(self.dev_t)
        counts = np.asarray(self.counts, dtype=np.int64)
        return (dev_t[np.cumsum(counts) - 1], np.asarray(self.host_last), counts,
                np.asarray(self.conns, dtype=np.int64), np.asarray(self.host_timed, dtype=bool), dev_t)


def _decode_leg(side: str, packets: list[PacketRecord], streams: dict[tuple[str, int], dict[str, Any]]) -> _DecodedLeg:
    """Re-decode one leg's journaled packets with a fresh decoder per connection."""
    from lrm.ble.protocols import MalformedPacket, make_decoder

    out = _DecodedLeg()
    decoder, current, info = None, None, None
    for p in packets:
        if p.conn != current:
            current = p.conn
            info = streams.get((side, p.conn))
            decoder = make_decoder(info["family"], info["decoder_config"]) if info else None
            if info:
                out.infos[p.conn] = info
        if decoder is None or info is None:
            continue                       # packets before the connection's STREAM record (none expected)
        try:
            s = decoder.decode(p.payload)
        except MalformedPacket:
            out.malformed += 1
            continue
        if not s.n:
            continue
        out.dev_t.append(s.sensor_time_s)
        out.accel.append(s.accel_g)
        out.host_last.append(p.wall_ns / 1e9)
        out.counts.append(s.n)
        out.conns.append(p.conn)
        out.host_timed.append(not s.has_device_time)
    return out


def _index_clock(dev_t: np.ndarray, dev_last: np.ndarray, host_last: np.ndarray, counts: np.ndarray,
                 conns: np.ndarray, host_timed: np.ndarray, infos: dict[int, dict[str, Any]]) -> tuple[np.ndarray, np.ndarray]:
    """Device times (s) for packets without a device clock: sample index / rate per connection, the index
    counting the notifications lost before each packet (:func:`~lrm.ble.clock.estimate_arrival_losses`)."""
    dev_t, dev_last = dev_t.copy(), dev_last.copy()
    first_sample = np.cumsum(counts) - counts
    for conn in np.unique(conns[host_timed]):
        idx = np.flatnonzero(host_timed & (conns == conn))
        rate = float(infos[int(conn)]["rate_hz"])
        n = counts[idx]
        last = np.cumsum(n) - 1 + estimate_arrival_losses(host_last[idx], n, rate)
        dev_last[idx] = last / rate
        within = np.arange(int(n.sum())) - np.repeat(np.cumsum(n) - n, n)      # sample number in its packet
        dev_t[np.repeat(first_sample[idx], n) + within] = (np.repeat(last - n + 1, n) + within) / rate
    return dev_t, dev_last


def find_gaps(t_s: np.ndarray, conn: np.ndarray, *, fs_hz: float, journaled: list[dict[str, Any]] = (),  # type: ignore[assignment]
              lost_events: list[dict[str, Any]] = (), host_timed: bool = False) -> list[Gap]:  # type: ignore[assignment]
    """Gaps between consecutive samples longer than 1.5 periods, with their cause.

    ``t_s``: sample times (s, sorted); ``conn``: the connection each sample arrived on. A gap between
    two connections takes the cause of the journaled GAP record closed by the later connection
    (``conn_after``), else of the journaled link-loss EVENT of the earlier one, else "disconnected"; a gap
    inside one connection is "dropped".

    >>> t = np.r_[np.arange(0, 1, 0.02), np.arange(1.04, 2, 0.02), np.arange(5, 6, 0.02)]
    >>> c = np.r_[np.ones(50), np.ones(48), 2 * np.ones(50)].astype(int)
    >>> [(g.cause, round(g.duration_s, 2)) for g in find_gaps(t, c, fs_hz=50.0,
    ...     journaled=[{"cause": "silent", "detail": "", "conn_after": 2}])]
    [('dropped', 0.04), ('silent', 3.0)]
    """
    period = 1.0 / fs_hz
    idx = np.flatnonzero(np.diff(t_s) > GAP_FACTOR * period)
    by_conn_after = {g.get("conn_after"): g for g in journaled if g.get("conn_after") is not None}
    lost_by_conn = {int(e.get("conn", -1)): e for e in lost_events}
    how = "inferred from arrival times" if host_timed else "from the device clock"
    out = []
    for i in idx:
        start, end = float(t_s[i] + period), float(t_s[i + 1])
        before, after = int(conn[i]), int(conn[i + 1])
        if before == after:
            out.append(Gap(start, end, "dropped",
                           f"{int(round((end - start) * fs_hz))} samples lost inside a connection ({how})"))
            continue
        g = next((by_conn_after[c] for c in range(before + 1, after + 1) if c in by_conn_after), None)
        if g is None:
            e = next((lost_by_conn[c] for c in range(before, after) if c in lost_by_conn), None)
            g = {"cause": e.get("cause") or "disconnected", "detail": e.get("detail", "")} if e else \
                {"cause": "disconnected", "detail": "link lost (not journaled)"}
        out.append(Gap(start, end, str(g["cause"]), str(g.get("detail", ""))))
    return out


def measured_rate_hz(t_s: np.ndarray, *, nominal_hz: float) -> float:
    """The leg's true sample rate (Hz) on the host clock: sample intervals of at most 1.5 nominal periods
    (no loss) over their total duration; the nominal rate when there are none.

    >>> round(measured_rate_hz(np.r_[np.arange(100) / 52.4, 10 + np.arange(100) / 52.4], nominal_hz=52.0), 6)
    52.4
    """
    dt = np.diff(t_s)
    ok = dt[(dt > 0) & (dt <= GAP_FACTOR / nominal_hz)]
    return float(ok.size / ok.sum()) if ok.size else float(nominal_hz)


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
    """``lrm recover``: rebuild the recording of an interrupted night from its journal.

    Raises :class:`~lrm.io.recording_lock.RecordingInProgressError` while a live ``lrm record`` holds the night
    (recovering it would cut the recording short and make the recorder's own save fail).
    """
    from lrm.io.recording_lock import RecordingInProgressError, RecordingLock

    try:
        lock = RecordingLock(Path(night_dir)).acquire() if (Path(night_dir) / "journal").is_dir() else None
    except RecordingInProgressError as exc:
        raise RecordingInProgressError(exc.args[0], exc.args[1], "recovering it now would cut it short") from None
    try:
        return finalize(night_dir)
    finally:
        if lock is not None:
            lock.release()
