"""Split a movement where the leg lay still again, turned, and a new LM rose from there (opt-in).

A movement can leave the shank turned by less than the posture-change angle (3 deg): R, measured against the
resting vector (a 41 s median), then stays above its offset threshold while the leg lies still, and the next LM
is swallowed into one long movement (docs/validation.md, "Where the event logic loses LMs that crossed a threshold
(rules13)"). WASM ends an LM after 0.5 s of quiet (docs/scoring.md §1.2 step 1); for the shank quiet means the
dynamic part has died down and the orientation no longer changes, wherever the leg then lies. Global
re-anchoring (``DetectParams.reanchor_still_s``) acts on that everywhere and splits restless-wake fidgets into
LM-sized pieces; this step only splits a detected movement, only at a still gap, and only when what follows is
itself LM-shaped measured from the pose the leg held in the gap. The pipeline keeps such a split only inside the
estimated sleep period (``lrm.pipeline``), and keeps the movement whole elsewhere. The pieces are made in the
pipeline's per-leg chain (``lrm.signal.leg.process_leg``) only: the detector itself (``lrm.signal.detect``, the
online detector, the SIT) is unchanged.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from lrm.params import DetectParams
from lrm.signal.detect import REANCHOR_MEAN_S, LegDetection, LegThresholds, find_lm_intervals
from lrm.signal.envelope import Deviation

RETURNED_SHARE = 0.5
"""A still gap splits only when R over it (the lasting turn, its mean) is at most this share of R's peak over the
movement before it: that movement returned the leg more than half way, as an LM does (an LM returns the shank to
where it was, docs/scoring.md §6; lrm's simulator keeps at most 10 % of the flexion), while a tonic hold stays at
its peak turn until its release."""

__all__ = ["find_still_splits", "with_split_pieces", "choose_pieces", "MAX_LM_S", "MIN_LM_S"]

MIN_LM_S = 0.5
"""Shortest LM (s), docs/scoring.md §1.2 step 2: the piece after a still gap must last at least this long."""

MAX_LM_S = 10.0
"""Longest LM (s), docs/scoring.md §1.2 step 2: the piece after a still gap must last at most this long."""


def _ratios(dev: Deviation, r_g: npt.NDArray[np.float32], thr: LegThresholds, a: int, b: int, per_block: int
            ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """The onset and offset ratios (:func:`lrm.signal.detect.normalised_activity`) over samples [a, b) with R
    replaced by ``r_g`` (b - a,); B counts against its onset threshold in both, as there."""
    blk = np.arange(a, b) // per_block
    hi = np.zeros(b - a, np.float32)
    lo = np.zeros(b - a, np.float32)
    for values, hi_g, lo_g in ((r_g, thr.offset_hi_g, thr.offset_lo_g),
                               (dev.spread_g[a:b], thr.spread_hi_g, thr.spread_lo_g),
                               (None if dev.burst_g is None else dev.burst_g[a:b], thr.burst_hi_g, thr.burst_hi_g),
                               (None if dev.pulse_g is None else dev.pulse_g[a:b], thr.pulse_hi_g, thr.pulse_lo_g)):
        if values is None or hi_g is None or lo_g is None:
            continue
        k = np.minimum(blk, hi_g.size - 1)   # past the blocks: the last block's value (as _per_sample pads)
        np.maximum(hi, values / hi_g[k], out=hi)
        np.maximum(lo, values / lo_g[k], out=lo)
    return hi, lo


def _still_inside(dev: Deviation, means: npt.NDArray[np.float32], thr: LegThresholds, valid: npt.NDArray[np.bool_],
                  intervals: npt.NDArray[np.int64], *, per_block: int, h: int) -> npt.NDArray[np.int64]:
    """The still runs (k, 2) of :func:`lrm.signal.detect.reanchored_offset`'s definition, computed only over the
    movements ``intervals`` and one sample before each (a run that begins at or before a movement's onset is no
    gap inside it, whatever its true start): the samples outside movements are never read."""
    n = dev.offset_g.size
    on = np.maximum(intervals[:, 0] - 1, h)
    off = np.minimum(intervals[:, 1], n - h)
    ok = off > on
    if not ok.any():
        return np.empty((0, 2), np.int64)
    lengths = off[ok] - on[ok]
    first = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    idx = np.repeat(on[ok] - first, lengths) + np.arange(lengths.sum())
    blk = idx // per_block

    def below(values: npt.NDArray[np.float32], block: npt.NDArray[np.float32]) -> npt.NDArray[np.bool_]:
        return values < block[np.minimum(blk, block.size - 1)]

    still = below(dev.spread_g[idx], thr.spread_lo_g) & valid[idx]
    if dev.burst_g is not None and thr.burst_lo_g is not None:
        still &= below(dev.burst_g[idx], thr.burst_lo_g)
    k = np.flatnonzero(still)                                 # the orientation change only where D and B are quiet
    change = np.zeros(k.size, np.float32)
    for c in range(3):
        d = means[idx[k] + h, c] - means[idx[k] - h, c]
        change += d * d
    blk = blk[k]
    still[k] = below(np.sqrt(np.float32(0.5) * change), thr.offset_lo_g)
    brk = np.ones(idx.size, bool)
    brk[1:] = np.diff(idx) != 1                               # a run never continues into the next movement
    prev = np.zeros(idx.size, bool)
    prev[1:] = still[:-1]
    nxt_brk = np.ones(idx.size, bool)
    nxt_brk[:-1] = brk[1:]
    nxt = np.zeros(idx.size, bool)
    nxt[:-1] = still[1:]
    start = still & (brk | ~prev)
    end = still & (nxt_brk | ~nxt)
    return np.column_stack((idx[start], idx[end] + 1)).astype(np.int64).reshape(-1, 2)


def find_still_splits(intervals: npt.NDArray[np.int64], dev: Deviation, thr: LegThresholds,
                      valid: npt.NDArray[np.bool_], onset_ratio: npt.NDArray[np.float32],
                      offset_ratio: npt.NDArray[np.float32], *, fs_hz: float, params: DetectParams = DetectParams()
                      ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """The movements ``intervals`` (k, 2) [onset, offset) in grid samples with each one split where the leg lay
    still and a new LM rose from there: ``(intervals (m, 2), resumed (m,))``, ``resumed`` True for a piece that
    began at a still gap inside the movement before it (the pipeline may join it back).

    Parameters
    ----------
    intervals : ndarray of int (k, 2)
        The movements of :func:`lrm.signal.detect.find_lm_intervals`, ascending.
    dev : Deviation
        R, D, B (and P) per grid sample in g, with the 1 s window means ``means_g`` (n, 3) in g.
    thr : LegThresholds
        The leg's thresholds per block.
    valid : ndarray of bool (n,)
        False in gaps.
    onset_ratio, offset_ratio : ndarray (n,)
        The statistics over their thresholds (:func:`lrm.signal.detect.normalised_activity`); where a split is
        made they are overwritten from the gap's end to the movement's end with those measured from the new rest
        (the pieces' edges and morphology are read from them).
    fs_hz : float
        Grid rate in Hz.
    params : DetectParams
        The window and the 0.5 s offset rule.

    Notes
    -----
    A **still gap**: at least ``min_quiet_s`` (0.5 s, the offset rule, docs/scoring.md §1.2 step 1) of grid
    samples where D and B lie below their offset thresholds (the still leg's 99.9th percentiles: the dynamic part
    has died down) and the two adjacent 1 s window means around the sample differ by less than R's offset threshold
    (the orientation does not change), as :func:`lrm.signal.detect.reanchored_offset` defines it. There the leg
    holds a pose; its **new rest** is the mean of the window means over the gap's last (at most)
    :data:`lrm.signal.detect.REANCHOR_MEAN_S` seconds, the pose re-measured. From the gap's end on, R is the
    smaller of the old R and the distance from the new rest (with that anchor's noise, so R's thresholds hold),
    and the offset rule runs again on it. The split is made only when the first movement so found is LM-shaped:
    its onset ratio crosses 1 (a new rise above the onset threshold, measured from the held pose) and it lasts
    0.5-10 s (:data:`MIN_LM_S`, :data:`MAX_LM_S`: docs/scoring.md §1.2 step 2). The movement before the gap ends
    where the gap begins. A tonic hold (the leg held turned within an LM, then released) is no split: the release
    returns the leg toward its old rest, where the smaller of the two R's stays quiet and no new rise is found.
    Loops over the movements that hold a still gap (few); the still mask is vectorised over the night.
    """
    resumed = np.zeros(intervals.shape[0], bool)
    means = dev.means_g
    if means is None or not intervals.size:
        return intervals, resumed
    n = dev.offset_g.size
    per_block = max(1, int(round(thr.block_s * fs_hz)))
    w = max(1, int(round(params.window_s * fs_hz)))
    h = w // 2
    if n < 2 * h + 1:
        return intervals, resumed
    n_quiet = max(1, int(round(params.min_quiet_s * fs_hz)))
    lo_n, hi_n = int(round(MIN_LM_S * fs_hz)), int(round(MAX_LM_S * fs_hz))
    # a split needs a part before the gap, the gap and an LM after it: shorter movements are never read
    long = np.flatnonzero((intervals[:, 1] - intervals[:, 0]) > n_quiet + lo_n)
    held = _still_inside(dev, means, thr, valid, intervals[long], per_block=per_block, h=h)
    held = held[(held[:, 1] - held[:, 0]) >= n_quiet]
    if not held.size:
        return intervals, resumed
    # movements that hold a still gap strictly inside them (after their start, before their end) ...
    first = np.searchsorted(held[:, 0], intervals[:, 0], side="right")
    last = np.searchsorted(held[:, 1], intervals[:, 1], side="left")
    count = np.maximum(last - first, 0)
    owner = np.repeat(np.arange(intervals.shape[0]), count)
    if not owner.size:
        return intervals, resumed
    offset = np.concatenate(([0], np.cumsum(count)[:-1]))
    gaps = held[np.repeat(first - offset, count) + np.arange(owner.size)]
    # ... one of which passes the returned test with the movement's own R: until a first split is made, the test
    # below reads exactly these values, so a movement none of whose gaps passes here is never split
    r = dev.offset_g
    gap_mean = np.add.reduceat(r, gaps.ravel(), dtype=np.float64)[::2] / (gaps[:, 1] - gaps[:, 0])
    before_max = np.maximum.reduceat(r, np.column_stack((intervals[owner, 0], gaps[:, 0])).ravel())[::2]
    cand = np.unique(owner[gap_mean <= RETURNED_SHARE * before_max])
    n_mean = max(1, int(round(REANCHOR_MEAN_S * fs_hz)))
    pieces: dict[int, list[tuple[int, int, bool]]] = {}
    for i in cand:
        s, e = int(intervals[i, 0]), int(intervals[i, 1])
        r_cur = r[s:e].astype(np.float32, copy=True)
        out: list[tuple[int, int, bool]] = []
        start, end, was_resumed = s, e, False
        for a, b in held[first[i]:last[i]]:
            a, b = int(a), int(b)
            if a <= start or b >= end:
                continue
            # the movement before the gap came back more than half way: an excursion that returned, leaving a
            # lasting turn (a tonic hold stays near its peak and is no gap between two LMs)
            if r_cur[a - s:b - s].mean(dtype=np.float64) > RETURNED_SHARE * r_cur[start - s:a - s].max():
                continue
            span = min(b - a, n_mean)
            anchor = means[b - span:b].mean(axis=0, dtype=np.float64)
            v = (span - w / 3.0) * w / span ** 2 if span >= w else 1.0 - span / (3.0 * w)
            dist = np.sqrt(((means[b:end] - anchor) ** 2).sum(axis=1)) / np.sqrt(1.0 + v)
            r_new = np.minimum(r_cur[b - s:end - s], dist.astype(np.float32))
            hi, lo = _ratios(dev, r_new, thr, b, end, per_block)
            sub = find_lm_intervals(hi, lo, valid[b:end], fs_hz=fs_hz, params=params)
            if not sub.size or not lo_n <= sub[0, 1] - sub[0, 0] <= hi_n:
                continue
            out.append((start, a, was_resumed))
            r_cur[b - s:end - s] = r_new
            onset_ratio[b:end], offset_ratio[b:end] = hi, lo
            for j in range(sub.shape[0] - 1):
                out.append((b + int(sub[j, 0]), b + int(sub[j, 1]), True))
            start, end, was_resumed = b + int(sub[-1, 0]), b + int(sub[-1, 1]), True
        if out:
            pieces[int(i)] = out + [(start, end, was_resumed)]
    if not pieces:
        return intervals, resumed
    parts, flags, done = [], [], 0
    for i, rows in sorted(pieces.items()):
        parts += [intervals[done:i], np.array([(a, b) for a, b, _ in rows], np.int64)]
        flags += [resumed[done:i], np.array([f for _, _, f in rows], bool)]
        done = i + 1
    return np.vstack(parts + [intervals[done:]]), np.concatenate(flags + [resumed[done:]])


def with_split_pieces(detection: LegDetection, dev: Deviation, valid: npt.NDArray[np.bool_], *, fs_hz: float,
                      side: str, params: DetectParams) -> pd.DataFrame:
    """One leg's movements (``detection.moves``, a row per ``detection.intervals``, detected from ``dev`` on the
    whole night) with the pieces of each movement that :func:`find_still_splits` splits appended as extra rows.

    Columns added: ``split_id`` (the split movement's row number, on its own row and on its pieces; -1 for a
    movement not split), ``split_piece`` (True on a piece) and ``resumed`` (True on a piece that began at a still
    gap). :func:`choose_pieces` keeps either a split movement or its pieces. ``detection``'s ratios are
    overwritten where a split is made (:func:`find_still_splits`).
    """
    from lrm.signal.detect import _table

    moves, intervals = detection.moves, detection.intervals
    k = len(moves)
    moves["split_id"] = np.full(k, -1, np.int64)        # the detection's own table, made for this leg: in place
    moves["split_piece"] = np.zeros(k, bool)
    moves["resumed"] = np.zeros(k, bool)
    if intervals is None or dev.means_g is None or not k:
        return moves
    pieces, resumed = find_still_splits(intervals, dev, detection.thresholds, valid, detection.onset_ratio,
                                        detection.offset_ratio, fs_hz=fs_hz, params=params)
    parent = np.cumsum(~resumed) - 1
    split = np.bincount(parent, minlength=k) > 1
    if not split.any():
        return moves
    moves["split_id"] = np.where(split, np.arange(k), -1)
    take = split[parent]
    extra = _table(pieces[take], dev, detection.onset_ratio, detection.offset_ratio, fs_hz=fs_hz, side=side,
                   params=params)
    extra = extra.assign(split_id=parent[take], split_piece=True, resumed=resumed[take])
    return pd.concat([moves, extra], ignore_index=True)


def choose_pieces(moves: pd.DataFrame, keep: npt.NDArray[np.bool_] | None = None) -> pd.DataFrame:
    """``moves`` (one leg's, or both legs' with a ``side`` column) with, for each movement split by
    :func:`with_split_pieces`, either the movement itself or its pieces: the pieces where ``keep`` (per row) is
    True on every piece that began at a still gap, the movement elsewhere (everywhere when ``keep`` is None). Rows
    keep their order; the split columns are dropped; without them, ``moves`` is returned unchanged.
    """
    if "split_id" not in moves:
        return moves
    cols = [k for k, c in enumerate(moves.columns) if c not in ("split_id", "split_piece", "resumed")]
    piece = moves["split_piece"].to_numpy(bool)
    if not piece.any():
        return moves.iloc[:, cols]
    sid = moves["split_id"].to_numpy(np.int64)
    if "side" in moves:   # a movement is its leg's row number and its side
        codes = pd.factorize(moves["side"])[0].astype(np.int64)
        sid = np.where(sid >= 0, sid * (codes.max() + 1) + codes, -1)
    chosen = np.zeros(0, np.int64)
    if keep is not None:
        gap = piece & moves["resumed"].to_numpy(bool)
        refused = np.unique(sid[gap & ~np.asarray(keep, bool)])
        chosen = np.setdiff1d(np.unique(sid[gap]), refused)
    is_chosen = np.isin(sid, chosen)
    rows = np.where(piece, is_chosen, ~is_chosen)
    return moves.iloc[np.flatnonzero(rows), cols]
