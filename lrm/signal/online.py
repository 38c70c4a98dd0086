"""Online (streaming) leg-movement detection: the offline detector, run on buffered windows with carried state.

Every step of the offline per-leg chain (:mod:`lrm.signal.leg`: grid, gravity, deviation from rest,
thresholds, detection) is local in time: a grid sample's statistics depend on the data at most
``lookahead_s`` after it (gap margins, the centred gravity median and the resting vector's uncertainty near
a lasting change, the statistics' windows) and at most ``history_s`` before it. The thresholds' measured
null reads the blocks of the last five minutes (``DetectParams.null_window_s``): their medians are carried
as state once final, so the window need not hold them. :class:`OnlineDetector` therefore keeps a short
window of raw samples and, every ``update_s`` of data, runs the *same* functions as the offline analysis
(``lrm.signal.leg.leg_signals``, ``lrm.signal.leg.detect_leg_movements``) on that window. It then finalises
the LMs that lie entirely in the part of the window whose values are already those of the whole night:

- the *trusted* end ``p``: ``lookahead_s`` before the newest sample (and before the start of any gap that
  ended less than ``lookahead_s`` ago: the gravity bridge across a gap needs data after it);
- the *commit point* ``c`` (the carried state): a grid sample known to start ``min_quiet_s`` of quiet, the
  0.5 s offset rule of docs/scoring.md §1.2 step 1. No movement spans it, so the window's segmentation after
  ``c`` is the night's. LMs with onset >= ``c`` that end before the new commit point are final.

The window starts ``history_s`` before ``c`` (further back across a recent gap, so the gravity bridge sees
the last good second before it, as offline does), on a block boundary of the measured null. Both follow the
gravity median's reach (``lrm.signal.gravity.gravity_reach_s``: one 41 s window each way by default) and the
resting vector's uncertainty near lasting changes (``lrm.signal.envelope.rest_error_reach_s``: 66 s ahead).
Latency: ``lookahead_s + update_s + min_quiet_s`` (~160 s with the defaults: ~130 s look-ahead, updates every
30 s; each update re-runs a window of ~280 s, so halving ``update_s`` doubles the CPU: at 10 s two 100 Hz legs
took 0.18 % of a core, at 30 s ~0.06 %, benchmarks/run.py); memory: the window, ``history_s`` (~150 s) plus the
look-ahead, ~280 s of raw samples per leg in steady state.

Equivalence with the offline analysis (tests/signal/test_online.py): for the same samples, the same grid
origin, the same sensor noise model and ``finish(end_s=recording end)``, the finalised LMs equal the per-leg
chain's on the prepared leg (:func:`detect_leg_lms_offline`): onsets, offsets, burst times and the
morphology flag bit for bit (edges in whole ms), ``peak_g`` to float32 rounding (relative 1e-6: a running-sum
filter's rounding depends on where its array starts, so in principle a threshold met to within one float32
step could also move an onset by one grid sample); and with these documented limits:

- the sensor's noise model (white noise and quantisation step, ``lrm.signal.noise``) is measured from the
  first ``noise_s`` of data (or given as ``noise``) instead of the whole night: it reads the stillest tenth
  of that time, so first minutes spent mostly moving still give the sensor's noise, but minutes of nothing
  but walking raise it, and with it the thresholds, for the whole recording;
- samples must arrive in time order: non-finite rows and samples not later than the previous one are
  dropped (the offline analysis sorts and de-duplicates them instead);
- a single movement (active segment) longer than ``max_pending_s`` is cut (walking, never an LM).

The recorder-facing half (device clock to host clock, one detector per leg) is
:class:`lrm.ble.online_feed.RecorderFeed`. The offline pipeline's clock alignment of the second leg (``lrm.signal.align``) needs the whole night, so the
comparison is per leg, before alignment, posture labelling, the morphology filter and scoring.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

import pandas as pd

from lrm.io.recording import Leg
from lrm.params import Params
from lrm.signal.detect import runs
from lrm.signal.envelope import LASTING_CHECK_S, REST_TRACK_S, rest_error_reach_s
from lrm.signal.gravity import gravity_reach_s
from lrm.signal.leg import MASK_MAX_S, detect_leg_movements, leg_signals
from lrm.signal.noise import SensorNoise, estimate_sensor_noise
from lrm.signal.prepare import PreparedLeg, block_means, interp_rows, prepare_leg
from lrm.signal.pulses import kept_samples, pulse_on_grid

__all__ = ["OnlineLM", "OnlineDetector", "detect_leg_lms_offline"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class OnlineLM:
    """One finalised movement: times in s since the detector's grid origin, ``peak_g`` in g.

    ``burst_s``: time above the onset threshold (s); ``morphology_ok``: docs/scoring.md §1.2 step 5.
    """

    onset_s: float
    offset_s: float
    peak_g: float
    burst_s: float
    morphology_ok: bool


class OnlineDetector:
    """Streaming LM detection on one leg, equal to the offline per-leg detection (see the module docstring).

    Parameters
    ----------
    fs_hz : float
        Nominal raw sample rate in Hz (``Leg.fs_hz``): sets the block size of the working grid.
    origin_s : float
        Time in s (same clock as the pushed ``t_s``) of grid sample 0, e.g. the recording start.
    side : str
        Leg name written into nothing but logs and :func:`detect_lms`'s side column.
    params : Params
        Analysis parameters (the same as the offline analysis).
    update_s : float
        Run the window every this many seconds of new data (latency vs CPU; 30 s: ~0.03 % of a core per
        100 Hz leg; the live count is a running total, for which 2-3 min of latency is no loss).
    hole_periods : float or None
        Also treat a hole longer than this many nominal periods as a known gap starting one period after
        the last sample, as ``lrm record`` recordings list their gaps (``Leg.gaps``). None: only
        ``PrepareParams.gap_s`` holes count (any other reader).
    noise : SensorNoise or None
        The sensor's white noise and quantisation step (``lrm.signal.noise``); None = measured from the first
        ``noise_s`` of data.
    max_pending_s : float
        Longest active stretch (s) kept whole; longer ones are cut (bounds memory).
    range_g : float or None
        The sensor's full scale (g; None: unknown): P (``lrm.signal.pulses``) leaves out the samples no sensor of
        that range can report, as the offline chain does (``Leg.range_g``).

    Examples
    --------
    Ten minutes of a still leg (3 mg noise) with one 1 s movement at 300 s, pushed in 1 s packets:

    >>> det = OnlineDetector(fs_hz=50.0, origin_s=0.0)
    >>> t = np.arange(50 * 600) / 50.0
    >>> x = np.float32([0, 0, 1]) + np.float32(0.003) * np.random.default_rng(0).standard_normal((t.size, 3))
    >>> x[15000:15050, 0] += 0.3
    >>> lms = [lm for i in range(0, t.size, 50) for lm in det.push(t[i : i + 50], x[i : i + 50])]
    >>> [(round(lm.onset_s, 2), round(lm.offset_s, 2)) for lm in lms + det.finish()]
    [(299.97, 301.04)]
    """

    def __init__(self, *, fs_hz: float, origin_s: float, side: str = "left", params: Params | None = None,
                 update_s: float = 30.0, hole_periods: float | None = None, noise: SensorNoise | None = None,
                 max_pending_s: float = 1800.0, noise_s: float = 120.0, range_g: float | None = None) -> None:
        if not fs_hz > 0:
            raise ValueError(f"fs_hz must be > 0 Hz, got {fs_hz}")
        if not update_s > 0:
            raise ValueError(f"update_s must be > 0 s, got {update_s}")
        self.params = params or Params()
        self.side = side
        self.fs_hz = float(fs_hz)
        self.origin_s = float(origin_s)
        self.update_s = float(update_s)
        self.hole_periods = hole_periods
        self.max_pending_s = float(max_pending_s)
        self.noise_s = float(noise_s)
        self.range_g = range_g
        self._pulse_index = 0                              # raw samples P kept before the buffer (trimmed)
        pp, dp = self.params.prepare, self.params.detect
        self.grid_hz = float(pp.work_fs_hz)
        self.per_s = int(round(self.grid_hz))            # grid samples per second (a whole number)
        self.q = max(1, int(round(self.fs_hz / self.grid_hz)))
        reach = gravity_reach_s(pp.gravity_window_s)
        # the resting vector at a second reads the movements (<= MASK_MAX_S) a gravity window around it, which
        # a first pass found against the plain gravity estimate (reach, and the resting vector's uncertainty)
        mask_reach = reach + MASK_MAX_S + 1.0
        ahead = mask_reach + max(reach, rest_error_reach_s(pp.gravity_window_s))
        self.lookahead_s = pp.gap_s + pp.gap_margin_s + ahead + dp.window_s + dp.smooth_s + 3.0
        behind = mask_reach + 2 * reach + reach // 2 + LASTING_CHECK_S + REST_TRACK_S / 2
        self.history_s = behind + dp.window_s + dp.smooth_s + pp.gap_margin_s + 4.0
        self.per_block = max(1, int(round(dp.null_block_s * self.grid_hz)))   # grid samples per null block
        self._back_reach = int(np.ceil((behind + dp.window_s) * self.grid_hz))
        self._medians: list[npt.NDArray[np.float32]] = []   # final null medians of blocks 0, 1, ... (state)
        self._first_medians: list[npt.NDArray[np.float32]] = []   # the first pass's (lrm.signal.leg)
        self.n_quiet = max(1, int(round(dp.min_quiet_s * self.grid_hz)))
        self._pending_t: list[npt.NDArray[np.float64]] = []   # pushed, not yet checked
        self._pending_x: list[npt.NDArray[np.float32]] = []
        self._t: list[npt.NDArray[np.float64]] = []       # raw buffer, starting at a block boundary
        self._x: list[npt.NDArray[np.float32]] = []
        self._n_buf = 0
        self._last_t = -math.inf
        self._gaps: list[tuple[float, float]] = []        # known gaps (absolute s), as prepare_leg sees them
        self._commit = 0                                   # grid index: start of known quiet (or 0)
        self._done_t = -math.inf                           # newest sample time at the last window run
        self._noise = noise
        self._lms: list[OnlineLM] = []
        self.dropped = 0

    # -- public ---------------------------------------------------------------------------------------
    @property
    def lms(self) -> tuple[OnlineLM, ...]:
        """Every LM finalised so far, in time order."""
        return tuple(self._lms)

    @property
    def noise(self) -> SensorNoise | None:
        """The sensor noise model in use (None until measured from the first ``noise_s`` of data)."""
        return self._noise

    @property
    def latest_s(self) -> float:
        """Time (same clock as ``t_s``) of the newest sample pushed."""
        return self._last_t

    def push(self, t_s: npt.ArrayLike, accel_g: npt.ArrayLike) -> list[OnlineLM]:
        """Add samples (``t_s`` (n,) in s ascending, ``accel_g`` (n, 3) in g); return the newly final LMs.

        Cheap per call: samples are only checked and processed every ``update_s`` of data.
        """
        t = np.asarray(t_s, dtype=np.float64).reshape(-1)
        x = np.asarray(accel_g, dtype=np.float32).reshape(-1, 3)
        if t.size != x.shape[0]:
            raise ValueError(f"t_s has {t.size} samples but accel_g has {x.shape[0]}")
        if t.size == 0:
            return []
        self._pending_t.append(t)
        self._pending_x.append(x)
        newest = t[-1]
        if not newest - self._done_t >= self.update_s:     # (also False for NaN)
            return []
        self._ingest()
        if self._n_buf == 0:
            return []
        self._done_t = self._last_t
        if self._noise is None:
            if self._last_t - float(self._t[0][0]) < self.noise_s:
                return []
            self._noise = estimate_sensor_noise(np.concatenate(self._x), fs_hz=self.fs_hz)
        return self._run(final=False)

    def finish(self, end_s: float | None = None) -> list[OnlineLM]:
        """Flush: finalise everything, the grid ending at ``end_s`` (default: the newest sample).

        Pass the recording's end (its latest sample over all legs) to match the offline analysis exactly.
        """
        self._ingest()
        if self._n_buf == 0:
            return []
        if self._noise is None:
            self._noise = estimate_sensor_noise(np.concatenate(self._x), fs_hz=self.fs_hz)
        end = self._last_t if end_s is None else max(float(end_s), self._last_t)
        return self._run(final=True, end_s=end)

    # -- steps ----------------------------------------------------------------------------------------
    def _ingest(self) -> None:
        """Check the pushed samples (order, finite values), note their gaps, append them to the window."""
        if not self._pending_t:
            return
        t = np.concatenate(self._pending_t) if len(self._pending_t) > 1 else self._pending_t[0]
        x = np.concatenate(self._pending_x) if len(self._pending_x) > 1 else self._pending_x[0]
        self._pending_t, self._pending_x = [], []
        t, x = self._clean(t, x)
        if t.size == 0:
            return
        self._note_gaps(t)
        self._t.append(t)
        self._x.append(x)
        self._n_buf += t.size
        self._last_t = float(t[-1])

    def _clean(self, t: npt.NDArray[np.float64], x: npt.NDArray[np.float32]
               ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float32]]:
        ok = np.isfinite(t) & np.isfinite(x).all(axis=1)
        if t.size:
            order_ok = np.diff(np.maximum.accumulate(np.concatenate(([self._last_t], np.where(ok, t, -np.inf))))) > 0
            ok &= order_ok
        if not ok.all():
            self.dropped += int(t.size - ok.sum())
            t, x = t[ok], x[ok]
        return t, np.ascontiguousarray(x, dtype=np.float32)

    def _note_gaps(self, t: npt.NDArray[np.float64]) -> None:
        """Record the holes this chunk reveals, with prepare_leg's rules (gap_s, and the recorder's holes)."""
        prev = np.concatenate(([self._last_t], t[:-1])) if math.isfinite(self._last_t) else t[:-1]
        nxt = t if math.isfinite(self._last_t) else t[1:]
        dt = nxt - prev
        gap_s = self.params.prepare.gap_s
        for i in np.flatnonzero(dt > gap_s):
            self._gaps.append((float(prev[i]), float(nxt[i])))
        if self.hole_periods is not None:
            period = 1.0 / self.fs_hz
            for i in np.flatnonzero(dt > self.hole_periods * period):
                start = float(prev[i] + period)
                if nxt[i] - start > 0:
                    self._gaps.append((start, float(nxt[i])))

    def _run(self, *, final: bool, end_s: float | None = None) -> list[OnlineLM]:
        t = np.concatenate(self._t) if len(self._t) > 1 else self._t[0]
        x = np.concatenate(self._x) if len(self._x) > 1 else self._x[0]
        self._t, self._x = [t], [x]
        fs = self.grid_hz
        i0 = self._window_start()
        if final:
            i1 = int(np.floor((end_s - self.origin_s) * fs)) + 1
            trusted = i1
        else:
            i1 = int(np.floor((self._last_t - self.origin_s) * fs)) + 1
            trusted = self._trusted_end()
        m = t.size // self.q
        if m < 2 or i1 - i0 < 2 * self.per_s or (not final and trusted - self._commit < self.n_quiet):
            return []
        accel, valid = self._grid(t[: m * self.q], x[: m * self.q], i0, i1)
        prep = PreparedLeg(self.side, accel, valid, fs, np.empty((0, 2)), self.fs_hz, None, (), self.side,
                           self._noise.lsb_g, self._noise)
        g0 = i0 // self.per_block                              # the window starts on a block boundary
        n_back = max(1, int(round(self.params.detect.null_window_s / self.params.detect.null_block_s)))
        k0 = max(0, g0 - n_back)
        known = np.asarray(self._medians[k0:], np.float32).reshape(-1, 2)
        known_first = np.asarray(self._first_medians[k0:], np.float32).reshape(-1, 2)
        pulse = None
        if self.params.detect.pulses:   # P on the window's raw samples (lrm.signal.pulses), as offline
            pulse = pulse_on_grid(t, x, fs_hz=self._noise.fs_hz, origin_s=self.origin_s + i0 / fs, grid_hz=fs,
                                  n_grid=i1 - i0, range_g=self.range_g, first_index=self._pulse_index)
        sig = leg_signals(prep, self.params, known=known, known_first=known_first, known_before=g0 - k0,
                          pulse_g=pulse)
        det = detect_leg_movements(sig, self.params, side=self.side, first_index=i0)
        self._keep_medians(self._medians, det.medians, g0, i0, trusted)
        self._keep_medians(self._first_medians, sig.first_medians, g0, i0, trusted)
        c = self._commit - i0
        if final:
            new_commit = i1 - i0
        else:
            new_commit = self._next_commit(det.offset_ratio, valid, c, trusted - i0)
        table = det.moves
        on, off = det.intervals[:, 0] - i0, det.intervals[:, 1] - i0
        onset, offset = table["onset_s"].to_numpy(), table["offset_s"].to_numpy()
        peak, burst = table["peak_g"].to_numpy(), table["burst_s"].to_numpy()
        morph = table["morphology_ok"].to_numpy()
        out = [OnlineLM(float(onset[k]), float(offset[k]), float(peak[k]), float(burst[k]), bool(morph[k]))
               for k in np.flatnonzero((on >= c) & (off <= new_commit))]
        self._lms.extend(out)
        self._commit = i0 + new_commit
        self._trim()
        return out

    def _keep_medians(self, state: list[npt.NDArray[np.float32]], medians: npt.NDArray[np.float32] | None, g0: int,
                      i0: int, trusted: int) -> None:
        """Carry the null medians of the blocks that became final in this window: wholly before the trusted
        end, and far enough after the window's start for the statistics there to be the night's."""
        if medians is None:
            return
        first_final = 0 if i0 == 0 else -(-(i0 + self._back_reach) // self.per_block)
        for g in range(len(state), g0 + medians.shape[0]):
            if (g + 1) * self.per_block > trusted or g < max(first_final, g0):
                break
            state.append(medians[g - g0])

    def _next_commit(self, offset_ratio: npt.NDArray[np.float32], valid: npt.NDArray[np.bool_], c: int, p: int) -> int:
        """The latest index in [c, p) that starts ``n_quiet`` trusted quiet samples (the offset rule's quiet)."""
        quiet = ~((offset_ratio[c:p] > 1.0) & valid[c:p])
        r = runs(quiet)
        long_runs = r[(r[:, 1] - r[:, 0]) >= self.n_quiet]
        if long_runs.shape[0]:
            return c + int(long_runs[-1, 1]) - self.n_quiet
        if (p - c) / self.grid_hz > self.max_pending_s:
            log.info("%s: an active stretch longer than %.0f s was cut", self.side, self.max_pending_s)
            return p - self.n_quiet
        return c

    def _trusted_end(self) -> int:
        """Grid index up to which the window's values are those of the whole night."""
        lead = self.lookahead_s
        end = self._last_t - lead
        for g0, g1 in self._gaps:
            if g1 > self._last_t - lead:
                end = min(end, g0 - lead)
        return int(np.floor((end - self.origin_s) * self.grid_hz))

    def _window_start(self) -> int:
        """First grid index of the window: on a null block's boundary, ``history_s`` before the commit, before
        recent gaps."""
        pp = self.params.prepare
        start_s = self._commit / self.grid_hz - self.history_s
        # the next null block to finish must be computable from this window (see _keep_medians)
        done = min(len(self._medians), len(self._first_medians))
        start_s = min(start_s, (done * self.per_block - self._back_reach) / self.grid_hz - 1.0)
        reach = pp.gap_margin_s + gravity_reach_s(pp.gravity_window_s) + MASK_MAX_S + 1.0 + 3.0   # + masked seconds
        for g0, g1 in sorted(self._gaps, reverse=True):   # latest first: a chain of close gaps moves it on
            if g0 - self.origin_s < start_s + reach and g1 - self.origin_s > start_s - reach:
                start_s = min(start_s, g0 - self.origin_s - reach)
        return max(0, int(np.floor(start_s * self.grid_hz / self.per_block)) * self.per_block)

    def _grid(self, t: npt.NDArray[np.float64], x: npt.NDArray[np.float32], i0: int, i1: int
              ) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.bool_]]:
        """prepare_leg's block means, interpolation and validity for grid samples [i0, i1), same arithmetic."""
        q, fs, pp = self.q, self.grid_hz, self.params.prepare
        m = t.size // q
        if q > 1:
            blocks = block_means(x, q)
            tb = 0.5 * (t[0 : m * q : q] + t[q - 1 : m * q : q]) - self.origin_s
        else:
            blocks = np.ascontiguousarray(x, dtype=np.float32)
            tb = t - self.origin_s
        grid_t = np.arange(i0, i1, dtype=np.float64) / fs
        accel = interp_rows(grid_t, tb, blocks)
        valid = grid_t <= tb[-1]
        if self._raw_start_is_first:
            valid &= grid_t >= tb[0]
        margin = pp.gap_margin_s
        delta = np.zeros(i1 - i0 + 1, np.int32)
        for g0, g1 in self._gaps:
            a = min(max(int(np.ceil((g0 - self.origin_s - margin) * fs)), i0), i1)
            b = min(max(int(np.floor((g1 - self.origin_s + margin) * fs)) + 1, i0), i1)
            if b > a:
                delta[a - i0] += 1
                delta[b - i0] -= 1
        valid &= ~(np.cumsum(delta[:-1]) > 0)
        return accel, valid

    def _trim(self) -> None:
        """Drop raw samples (whole blocks) and gaps the next window no longer needs."""
        i0 = self._window_start()
        keep_from = self.origin_s + i0 / self.grid_hz - 2.0
        t = self._t[0]
        k = int(np.searchsorted(t, keep_from)) // self.q * self.q
        if k > 0:
            if self.params.detect.pulses:   # P lays its products out on the leg's sample index (lrm.signal.pulses)
                kept = kept_samples(self._x[0][:k], self.range_g)
                self._pulse_index += k if kept is None else int(np.count_nonzero(kept))
            self._t, self._x = [t[k:]], [self._x[0][k:]]
            self._n_buf -= k
            self._raw_start_is_first = False
        reach = self.params.prepare.gap_margin_s + 1.0
        self._gaps = [g for g in self._gaps if g[1] + reach >= keep_from]

    _raw_start_is_first = True


def detect_leg_lms_offline(leg: Leg, *, origin_s: float, end_s: float, params: Params | None = None,
                           noise: SensorNoise | None = None) -> pd.DataFrame:
    """The offline reference: the per-leg chain's detection (:mod:`lrm.signal.leg`) on one leg prepared as
    ``lrm.pipeline.analyze`` does (before the second leg's clock alignment). Times in s since ``origin_s``;
    the grid ends at ``end_s``. ``noise``: the sensor noise model to use instead of the whole night's (e.g.
    an online detector's, to compare the two chains on the same model)."""
    from dataclasses import replace

    params = params or Params()
    fs = float(params.prepare.work_fs_hz)
    n_grid = int(np.floor((end_s - origin_s) * fs)) + 1
    prep = prepare_leg(leg, origin_s=origin_s, n_grid=n_grid, params=params.prepare)
    if noise is not None:
        prep = replace(prep, noise=noise, resolution_g=noise.lsb_g)
    pulse = None
    if params.detect.pulses:
        pulse = pulse_on_grid(leg.t_s, leg.accel_g, fs_hz=prep.noise.fs_hz if prep.noise else leg.fs_hz,
                              origin_s=origin_s, grid_hz=fs, n_grid=prep.accel_g.shape[0], range_g=leg.range_g)
    return detect_leg_movements(leg_signals(prep, params, pulse_g=pulse), params, side=leg.side).moves
