"""Hypnic jerks (sleep starts), kept apart from leg movements by their physiology, never scored as PLMs.

docs/scoring.md §3.1. ICSD-3 lists sleep starts among the normal variants of sleep-related movement
disorders: sudden, brief, non-periodic jerks of one or more body segments at the transition from wake to
sleep (Whitney & Weiss 2018; Stefani & Högl 2019; Calandra-Buonaura et al. 2014: "physiological,
non-periodic, myoclonic bodily jerks, occurring mainly at sleep onset"), with a short (75-250 ms),
high-amplitude EMG burst while falling asleep or in light sleep (secondary, paraphrasing ICSD). For an
ankle sensor, a movement is a hypnic jerk when every one of these holds (numbers in
:class:`lrm.params.JerkParams`, each with its reason):

1. **a very brief burst**: its high-amplitude part lasts <= ``max_high_s``, the central 90 % of its
   energy lies within ``max_core_s`` and the leg moves (at or above a quarter of the peak) for at most
   ``max_span_s`` (a movement of more than 1 s is never a jerk). All are measured on the burst itself
   (:mod:`lrm.signal.burst`), not on the detected interval, which the ring-down and the detector's ~1 s
   averaging window stretch; a jerk's onset and offset are its burst's start and end on the samples. The
   span is read in whole samples (N samples: the leg moved for more than (N - 1) / fs), so a 0.2 s burst on a
   10-13 Hz sensor is brief. The high part's limit allows for the sensor (:func:`high_part_on_sensor`): a
   slow sensor's anti-alias filter and sampling spread the longest jerk burst (250 ms) over more samples at
   or above half its peak than ``max_high_s`` counts (4 samples, 0.4 s, at 10 Hz), so the limit is the larger
   of the two. A detected interval longer than ``max_moved_s`` (1 s plus the detector's 1 s window) is a
   movement of more than 1 s whatever its burst looks like (a restless adjustment with one large lobe). The
   burst measures read a movement against its own largest lobe, so a tremor-shaped LM or a fidget of 1-2 s
   with one dominant lobe looks brief on them; the detector's envelope (a 0.2 s RMS) counts its quieter lobes,
   and a 250 ms burst keeps it at or above half its peak for at most what :func:`envelope_half_on_grid` gives
   for the leg's sensor (at most ``max_envelope_half_s``, which also applies when the rate is unknown): a
   candidate whose every leg holds it up longer is no jerk;
2. **large**: its peak is >= ``min_peak_g`` and >= ``min_size_ratio`` times the median of the night's
   other leg movements;
3. **at a wake-to-sleep transition**: from ``before_onset_s`` before to ``after_onset_s`` after an observed
   sleep onset or re-onset (:mod:`lrm.signal.sleep`); hours into established sleep it is never a jerk,
   and where no transition could be estimated no movement is classed. An onset after the burst times it only
   if no run of ``onset_run`` irregular movements (restless ones and brief bursts, linked by gaps of at most
   ``restless_window_s``) lies between them: sleep begins where the restless wake ends (docs/scoring.md §5), so a
   burst that restless wake follows before the onset did not end the wake (:func:`_runs_before_onsets`);
4. **isolated**: no other movement within ``isolation_s``, and not one of a run of restless wake
   movements (``max_restless`` or more linked to it by gaps of at most ``restless_window_s``, one PSG epoch;
   a leg movement whose burst peak is below ``min_noise_ratio`` times the sensor noise around it cannot be
   told from noise and shows no restlessness, and a train of brief bursts, hypnagogic foot tremor, ALMA or
   high-frequency leg movements at sleep onset, is no wake restlessness: docs/scoring.md §3.2, :func:`_trains`);
5. **not periodic**: never a member of a periodic run of the night's leg movements (a PLM series). The
   series is built from leg movements only: a jerk's EMG burst (< 0.5 s) is not an LM under WASM 2016 (§1.2
   step 2), so other brief bursts (jerks in a cluster at sleep onset) never make a series with it, nor does
   the burst itself: it is inside a series only when the series goes on around it without it; one that
   would merely start, end or join a series that exists without it is at its edge (at most
   ``series_edge_confidence``); a run of movements that would be a series only with it is no series. A brief
   burst inside a series is a member of it unless it is ``series_outsize_ratio`` times the series' median
   burst peak or more (a startle among the series' dorsiflexions: at most ``series_edge_confidence``). A burst
   seen on one leg of two is ambiguous (a twitch, part of an adjustment) and counts as one of the movements:
   inside any periodic run it makes with them, it is no jerk.

The two legs' bursts starting within ``bilateral_s`` of each other are one jerk (``side = "bilateral"``); when
the other leg shows no burst that close, its movement that holds the burst's moment is the other half. Each jerk gets a
``jerk_confidence`` in [0.5, 1]: every criterion scores 1 at its textbook value and 0.5 at its limit, and
the weakest one sets the confidence (a jerk seen on one leg of two scores ``unilateral_confidence`` and must be a
textbook brief burst, timed by a sleep onset, outside any PLM series). One score bears on the confidence only, never
on whether a movement is a jerk: a jerk ends the wake before sleep, so irregular movements (restless ones and brief
bursts, not a PLM series' members) in the ``settle_window_s`` (5 min) after it lower it, to 0.5 at ``settle_limit``.
``jerk_reason`` says why it was classed, and for a brief burst that was not, which criterion failed.

Look-alikes (§3.2): hypnagogic foot tremor, ALMA and high-frequency leg movements are trains at 0.3-4 Hz,
never isolated; fragmentary myoclonus (75-150 ms) is too small to move the leg.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import signal

from lrm.params import JerkParams
from lrm.rules.rulesets import WASM2016, RuleSet
from lrm.rules.series import mark_periodic_runs, number_periodic_runs, same_movement_s
from lrm.signal.burst import burst_retention

__all__ = ["classify_hypnic_jerks", "envelope_half_on_grid", "high_part_on_sensor", "JERK_COLUMNS", "LONGEST_BURST_S"]

JERK_COLUMNS = ("jerk_confidence", "jerk_reason")
WAKE_TYPES = ("posture_change", "walking")
LONGEST_BURST_S = 0.25
"""The longest EMG burst of a hypnic jerk (s): 75-250 ms (docs/scoring.md §3.1)."""


@dataclass(frozen=True, slots=True)
class _Night:
    """The movements' arrays (time order) the criteria read."""

    on: npt.NDArray[np.float64]
    off: npt.NDArray[np.float64]
    side: npt.NDArray[np.str_]
    kind: npt.NDArray[np.str_]
    peak: npt.NDArray[np.float64]
    high: npt.NDArray[np.float64]
    core: npt.NDArray[np.float64]
    brief: npt.NDArray[np.bool_]       # a jerk-shaped burst (criterion 1)
    restless: npt.NDArray[np.bool_]    # counts towards a run of restless wake movements
    lm_on: npt.NDArray[np.float64]      # onsets of every leg movement (time order)
    lm_brief: npt.NDArray[np.bool_]     # ... and whether it is a brief burst
    lm_peak: npt.NDArray[np.float64]    # ... and its burst peak (g)
    seen: npt.NDArray[np.float64]       # share of a brief burst's peak the row's sensor shows (0-1)
    sample_s: npt.NDArray[np.float64]   # the row's sensor's sampling interval (s; 0 when unknown)
    turn: npt.NDArray[np.float64]       # lasting turn of the leg's resting orientation (deg; 0 when unknown)
    noise: npt.NDArray[np.float64]      # the sensor's noise around the movement (g; 0 when unknown)
    burst_t: npt.NDArray[np.float64]    # when the burst starts (s; the detected onset when unknown)
    span: npt.NDArray[np.float64]       # how long the leg moved, read on the samples (s)
    lm_long: npt.NDArray[np.bool_]      # per leg movement: longer than an LM may be (no series member)
    lm_moved: npt.NDArray[np.bool_]     # per leg movement: a repositioning that kept its turn (no series member)
    high_limit: npt.NDArray[np.float64]  # the longest high part a jerk may show on the row's sensor (s)
    envelope_half: npt.NDArray[np.float64]  # the detector's envelope at or above half its peak (s; NaN unknown)
    envelope_limit: npt.NDArray[np.float64]  # the longest such time a jerk burst may show on the row's sensor (s)


def _margin(x: float, ideal: float, limit: float) -> float:
    """1 at or beyond ``ideal``, 0.5 at ``limit``, linear between (either direction); below 0.5 past the limit.

    >>> _margin(0.2, 0.25, 0.4), _margin(0.4, 0.25, 0.4), _margin(3.0, 3.0, 1.0), _margin(2.0, 3.0, 1.0)
    (1.0, 0.5, 1.0, 0.75)
    """
    if limit == ideal:
        return 1.0 if (x - ideal) * (limit - ideal) <= 0 else 0.0
    return float(min(1.0, 1.0 - 0.5 * (x - ideal) / (limit - ideal)))


def _column(t: pd.DataFrame, name: str, fallback: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return t[name].to_numpy(float, na_value=np.nan) if name in t else fallback


def _night(t: pd.DataFrame, params: JerkParams, rules: RuleSet, rates_hz: Mapping[str, float] | None,
           moved: npt.NDArray[np.bool_]) -> _Night:
    on, off = t["onset_s"].to_numpy(float), t["offset_s"].to_numpy(float)
    kind = t["type"].astype(str).to_numpy()
    peak = _column(t, "burst_peak_g", _column(t, "peak_g", np.full(len(t), np.nan)))
    high = _column(t, "burst_high_s", _column(t, "half_peak_s", off - on))
    core = _column(t, "burst_core_s", off - on)
    span = _column(t, "burst_span_s", np.full(len(t), np.nan))   # unknown: criterion 1 reads high and core only
    is_lm = kind == "lm"
    # a span of N samples at fs means the leg moved for more than (N - 1) / fs: a 0.2 s burst at 12.5 Hz may
    # fill 3-4 samples (0.24-0.32 s read as N / fs), a 0.45 s one at 10 Hz 5-6 samples
    side = t["side"].astype(str).to_numpy()
    seen, sample_s = _sensor(side, rates_hz)
    # the high part's limit allows for what a slow sensor makes of the longest jerk burst (high_part_on_sensor)
    steps, row_step = np.unique(sample_s, return_inverse=True)       # one model per leg's rate, not per row
    high_limit = np.maximum(params.max_high_s,
                            np.array([high_part_on_sensor(float(1.0 / d)) if d > 0 else 0.0 for d in steps])[row_step])
    # and what the longest burst makes of the detector's envelope on that sensor (envelope_half_on_grid)
    envelope_limit = np.minimum(params.max_envelope_half_s,
                                np.array([envelope_half_on_grid(float(1.0 / d)) if d > 0 else np.inf
                                          for d in steps])[row_step])
    brief = is_lm & (high <= high_limit) & (core <= params.max_core_s) & ~(span - sample_s >= params.max_span_s)
    long = (off - on) > rules.max_clm_one_leg_s     # no LM under WASM 2016 (§1.2 step 2): never in a series
    periodic = np.zeros(len(t), bool)
    members = is_lm & ~brief & ~long & ~moved   # a repositioning is no LM of a series (docs/scoring.md §1.2, §6)
    periodic[members] = mark_periodic_runs(on[members], rules)
    noise = np.nan_to_num(_column(t, "burst_noise_g", np.zeros(len(t))))
    clear = ~(peak < params.min_noise_ratio * noise)   # a detection lost in the sensor's noise shows no restlessness
    restless = np.isin(kind, WAKE_TYPES) | (is_lm & ~brief & ~periodic & clear & ~_trains(t, params))
    burst_t = on + np.nan_to_num(_column(t, "burst_at_s", np.zeros(len(t))))
    return _Night(on, off, side, kind, peak, high, core, brief, restless,
                  on[is_lm], brief[is_lm], peak[is_lm], seen, sample_s,
                  np.nan_to_num(_column(t, "angle_deg", np.zeros(len(t)))), noise, burst_t, span, long[is_lm],
                  moved[is_lm],
                  high_limit, _column(t, "half_peak_s", np.full(len(t), np.nan)), envelope_limit)


def _trains(t: pd.DataFrame, params: JerkParams) -> npt.NDArray[np.bool_]:
    """Per row, whether the movement is a train of brief bursts (hypnagogic foot tremor, ALMA, high-frequency leg
    movements: >= 4 bursts at 0.3-4 Hz, docs/scoring.md §3.2), read on lrm.signal.burst's pulses: at least
    ``min_train_bursts`` separate pulses (``burst_pulses``), none longer than ``max_train_burst_s`` (s,
    ``burst_pulse_s``), at ``min_train_hz`` to ``max_train_hz`` (Hz, ``burst_pulse_hz``), at intervals whose
    coefficient of variation is at most ``max_train_cv`` (``burst_pulse_cv``: rhythmic). False where unknown.

    >>> m = pd.DataFrame({"burst_pulses": [6.0, 1.0, 2.0, 5.0, 5.0], "burst_pulse_s": [0.2, 1.0, 0.3, 1.6, 0.2],
    ...                   "burst_pulse_hz": [1.5, np.nan, 1.0, 1.2, 1.2], "burst_pulse_cv": [0.05, np.nan, np.nan, 0.1, 0.8]})
    >>> _trains(m, JerkParams()).tolist()
    [True, False, False, False, False]
    """
    pulses = _column(t, "burst_pulses", np.zeros(len(t)))
    longest = _column(t, "burst_pulse_s", np.full(len(t), np.inf))
    rate = _column(t, "burst_pulse_hz", np.full(len(t), np.nan))
    spread = _column(t, "burst_pulse_cv", np.full(len(t), np.nan))
    return (pulses >= params.min_train_bursts) & (longest <= params.max_train_burst_s) \
        & (rate >= params.min_train_hz) & (rate <= params.max_train_hz) & (spread <= params.max_train_cv)


def _sensor(side: npt.NDArray[np.str_], rates_hz: Mapping[str, float] | None
            ) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Per row, the share of a brief burst's peak its leg's sensor shows (:func:`lrm.signal.burst.burst_retention`)
    and its sampling interval in s (1 and 0 when the rate is not given)."""
    rates = dict(rates_hz or {})
    seen = np.array([burst_retention(float(rates[s])) if s in rates else 1.0 for s in side])
    return seen, np.array([1.0 / float(rates[s]) if s in rates else 0.0 for s in side])


_FINE_HZ = 2000.0
"""Rate (Hz) of the fine time grid on which the burst model is computed before the sensor samples it."""


def _burst_behind_filter(fs_hz: float, width_s: float, *, start_s: float) -> npt.NDArray[np.float64]:
    """The modelled jerk burst of ``width_s`` (a flexion pulse whose tangential acceleration swings through three
    lobes, as :func:`lrm.signal.burst.burst_retention` models it) behind a 2nd-order anti-alias low-pass at a
    quarter of ``fs_hz``, on a :data:`_FINE_HZ` grid from ``start_s`` to 2 s (g, unit peak before the filter)."""
    t = np.arange(start_s, 2.0, 1.0 / _FINE_HZ)
    pulse = np.where((t >= 0) & (t <= width_s), np.cos(2 * np.pi * t / width_s), 0.0)
    return signal.sosfilt(signal.butter(2, min(0.25 * fs_hz, 0.45 * _FINE_HZ), fs=_FINE_HZ, output="sos"), pulse)


@lru_cache(maxsize=64)
def high_part_on_sensor(fs_hz: float, width_s: float = LONGEST_BURST_S) -> float:
    """The longest high part (s; ``burst_high_s``: samples at or above half the peak, N / ``fs_hz``) that a brief
    burst of ``width_s`` can show on a sensor sampling at ``fs_hz``.

    A jerk's EMG burst lasts 75-250 ms (docs/scoring.md §3.1). The burst is modelled as
    :func:`lrm.signal.burst.burst_retention` models it (a flexion pulse whose tangential acceleration swings
    through three lobes), seen through the slowest anti-alias filter of common MEMS parts: a 2nd-order low-pass
    at a quarter of the output data rate (the LSM6DSL, BMI160 and LIS2DH12 datasheets filter at ODR/4 to ODR/2;
    docs/validation.md's simulator draws from that range), sampled at every phase; the largest count of
    samples at or above half the sampled peak is returned. The filter's ring and the sampling grid widen what is
    counted, so at 10 Hz a 250 ms burst may fill 4 samples above half its peak (0.4 s as counted), more than
    ``JerkParams.max_high_s`` (0.35 s) allows; from ~12 Hz the count stays under that limit (0.33 s at 12 Hz,
    0.2 s from 20 Hz), so it changes nothing there.

    >>> [round(high_part_on_sensor(f), 2) for f in (10.0, 11.0, 12.0, 12.5, 25.0, 100.0)]
    [0.4, 0.36, 0.33, 0.32, 0.2, 0.17]
    """
    if not fs_hz > 0:
        raise ValueError(f"fs_hz must be > 0, got {fs_hz}")
    seen = np.abs(_burst_behind_filter(fs_hz, width_s, start_s=-0.5))
    return float(_most_at_half_peak(seen, int(min(seen.size, max(1.0, round(_FINE_HZ / fs_hz))))) / fs_hz)


@lru_cache(maxsize=64)
def envelope_half_on_grid(fs_hz: float, width_s: float = LONGEST_BURST_S, *, grid_hz: float = 25.0,
                          smooth_s: float = 0.2) -> float:
    """The longest time (s) the detector's envelope of a brief burst of ``width_s`` stays at or above half its peak
    (``half_peak_s``: grid samples at or above half the peak, N / ``grid_hz``) on a sensor sampling at ``fs_hz``.

    The envelope (:mod:`lrm.signal.envelope`, ``envelope_g``) is the ``smooth_s`` (0.2 s) RMS deviation from rest
    on the ``grid_hz`` (25 Hz) working grid. The burst is modelled as :func:`high_part_on_sensor` models it (a
    flexion pulse whose tangential acceleration swings through three lobes, behind a 2nd-order anti-alias
    low-pass at a quarter of the sensor's rate, the slowest of the LSM6DSL, BMI160 and LIS2DH12 datasheets'
    ODR/4-ODR/2); its energy is averaged over ``smooth_s`` and read on the grid at every phase, and the largest
    count of grid samples at or above half the envelope's peak is returned. A 250 ms burst (the longest jerk EMG
    burst, docs/scoring.md §3.1) gives at most 0.40 s from 10 to 200 Hz; a movement whose envelope stays up longer
    moved for longer than one burst.

    >>> [round(envelope_half_on_grid(f), 2) for f in (10.0, 12.5, 25.0, 50.0, 100.0, 200.0)]
    [0.36, 0.32, 0.36, 0.4, 0.4, 0.4]
    >>> round(envelope_half_on_grid(100.0, 0.15), 2)
    0.28
    """
    if not fs_hz > 0 or not grid_hz > 0:
        raise ValueError(f"fs_hz and grid_hz must be > 0, got {fs_hz}, {grid_hz}")
    seen = _burst_behind_filter(fs_hz, width_s, start_s=-1.0)
    box = max(1, int(round(smooth_s * _FINE_HZ)))
    envelope = np.sqrt(np.convolve(seen**2, np.ones(box) / box, mode="same"))
    return float(_most_at_half_peak(envelope, int(max(1.0, round(_FINE_HZ / grid_hz)))) / grid_hz)


def _most_at_half_peak(fine: npt.NDArray[np.float64], step: int) -> float:
    """The most samples at or above half their own peak that ``fine`` (a burst on the :data:`_FINE_HZ` grid) shows
    when it is sampled every ``step`` fine points, over every sampling phase."""
    return float(max(np.count_nonzero(x >= 0.5 * x.max()) for x in (fine[phase::step] for phase in range(step))))


def _count_movements(on: npt.NDArray[np.float64], off: npt.NDArray[np.float64], within_s: float) -> int:
    """How many movements the rows are, rows that overlap or start within ``within_s`` of each other (the two
    legs' rows of one roll-over) counting as one.

    >>> _count_movements(np.array([0.0, 0.2, 30.0]), np.array([3.0, 3.5, 31.0]), 0.5)
    2
    """
    if not on.size:
        return 0
    order = np.argsort(on, kind="stable")
    reach = np.maximum.accumulate(off[order])
    return int(1 + np.count_nonzero(on[order][1:] > reach[:-1] + within_s))


def _size_bar(n: _Night, params: JerkParams) -> tuple[float, float | None]:
    """The smallest jerk peak (g) on a sensor that shows a brief burst whole, and the night's median LM burst
    peak (None with too few LMs)."""
    ref = n.peak[(n.kind == "lm") & ~n.brief & np.isfinite(n.peak)]
    if ref.size < params.min_size_reference:
        return params.min_peak_g, None
    median = float(np.median(ref))
    return max(params.min_peak_g, params.min_size_ratio * median), median


def _series_position(i: int, halves: npt.NDArray[np.bool_], n: _Night, rules: RuleSet, *,
                     counted: bool = False) -> tuple[str, float]:
    """Where movement ``i`` lies against the night's PLM-like series: "inside" one (the series goes on on both
    sides of it), at its "edge" (it would start or end the series) or "none"; and the median burst peak (g)
    of that series' movements (NaN for "none").

    A series is a periodic run (>= ``min_series_len`` onsets 10-90 s apart under WASM 2016; the two legs'
    onsets within the bilateral window count as one) of the night's leg movements other than brief bursts:
    a jerk's EMG burst (< 0.5 s) is no LM under WASM 2016 (docs/scoring.md §1.2 step 2), so brief bursts
    neither make a series nor break one (a cluster of sleep starts at sleep onset is no PLM series); nor
    do movements longer than an LM may be (``rules.max_clm_one_leg_s``, §1.2 step 2: restless wake
    fidgets), nor the other-leg halves of brief bursts (``halves``, per leg movement: one leg may show a
    jerk less briefly than the other, and it is still that jerk).

    The burst is "inside" only when the series goes on around it without it (its onset between two members
    of one run of >= ``min_series_len``); it is at the "edge" when it lies within ``imi_max_s`` of the first
    or last member of such a run (it would start, end, or join it); a run that reaches ``min_series_len`` only
    with the burst is no series ("none"): a < 0.5 s burst is no LM, so it can neither make nor bridge a
    series (docs/scoring.md §3.1). With ``counted`` (a burst on one leg of two, which may be a twitch or part
    of an adjustment rather than a startle) the burst counts as one of the movements: inside or at the edge
    of any periodic run it makes with them.
    """
    same = same_movement_s(rules)
    ordinary = ~n.lm_brief & ~n.lm_long & ~n.lm_moved & ~halves
    x, peaks = n.lm_on[ordinary], n.lm_peak[ordinary]
    if x.size:
        head = np.concatenate(([True], np.diff(x) >= same))
        x, peaks = x[head], peaks[head]
    c = int(np.searchsorted(x, n.on[i]))
    run = number_periodic_runs(x, rules)
    series = np.bincount(run)[run] >= rules.min_series_len if x.size else np.zeros(0, bool)   # without the burst
    if 0 < c < x.size and run[c - 1] == run[c] and series[c]:
        return "inside", float(np.nanmedian(peaks[run == run[c]]))   # the series goes on around it
    if counted:   # the burst counted as one of the movements: inside a run it makes with them, too
        x = np.insert(x, c, n.on[i])
        run = number_periodic_runs(x, rules)
        members = np.flatnonzero(run == run[c])
        if members.size < rules.min_series_len:
            return "none", np.nan
        median = float(np.nanmedian(np.insert(peaks, c, np.nan)[members]))
        return ("inside" if 0 < c < x.size - 1 and run[c - 1] == run[c] == run[c + 1] else "edge"), median
    # it would start, end or join a series that exists without it; one that exists only with it is none (a brief
    # burst is no LM, so it cannot make a series)
    ends = [k for k, gap in ((c - 1, n.on[i] - x[c - 1] if c > 0 else np.inf),
                             (c, x[c] - n.on[i] if c < x.size else np.inf))
            if gap <= rules.imi_max_s and series[k]]
    if not ends:
        return "none", np.nan
    return "edge", float(np.nanmedian(peaks[np.isin(run, run[ends])]))


def _timing(onset_s: float, transitions: pd.DataFrame, params: JerkParams) -> tuple[float, float, str] | None:
    """(score, minutes from the onset, its kind) for the best-placed observed transition, None if none fits."""
    best = None
    for o, kind in zip(transitions["onset_s"].to_numpy(float), transitions["kind"].astype(str)):
        dt = onset_s - o
        if not -params.before_onset_s <= dt <= params.after_onset_s:
            continue
        score = _margin(-dt, params.onset_ideal_before_s, params.before_onset_s) if dt < 0 else \
            _margin(dt, params.onset_ideal_after_s, params.after_onset_s)
        if kind == "restless":   # a restless moment that was no awakening: possibly a brief one
            score = min(score, params.restless_transition_confidence)
        if best is None or score > best[0]:
            best = (score, dt / 60.0, kind)
    return best


def _judge(i: int, twin: int, n: _Night, transitions: pd.DataFrame, bar: tuple[float, float | None],
           params: JerkParams, n_legs: int, rules: RuleSet, halves: npt.NDArray[np.bool_]) -> tuple[float | None, str]:
    """(confidence, reason) for the brief burst ``i`` (with its other-leg half ``twin``, -1 if none; ``halves``: per
    leg movement, whether it is the other-leg half of a brief burst):
    confidence None when it is not a jerk."""
    pair = [i] if twin < 0 else [i, twin]
    if twin >= 0 and not n.core[twin] <= params.max_core_s:
        return None, f"not a jerk: the other leg moved for longer ({n.core[twin]:.2f} s of energy)"
    main = pair[int(np.nanargmax(n.peak[pair]))] if np.isfinite(n.peak[pair]).any() else pair[0]
    moved = float((n.off[pair] - n.on[pair]).min())
    if moved > params.max_moved_s:
        return None, f"not a jerk: the leg moved for {moved:.1f} s (a movement of more than 1 s is never a jerk)"
    held = n.envelope_half[pair]
    limit = n.envelope_limit[pair]
    if np.isfinite(held).all() and (held > limit + 1e-9).all():
        legs = "both legs" if len(pair) == 2 else "its leg"
        return None, (f"not a jerk: the movement's envelope stayed at or above half its peak for {held.min():.2f} s on "
                      f"{legs} (a burst of <= 250 ms keeps it there <= {limit.max():.2f} s on that sensor): "
                      "a sustained movement whose largest lobe looks brief")
    peak, seen = float(n.peak[main]), float(n.seen[main])
    filled = n.span[main] if np.isfinite(n.span[main]) else n.high[main]   # samples >= 1/4 peak (and 2x noise)
    if len(pair) == 1 and filled < params.min_burst_samples * n.sample_s[main] - 1e-9:
        return None, (f"not classified: a burst on one leg that fills fewer than {params.min_burst_samples} samples "
                      "of its sensor at a quarter of its peak cannot be told from a glitch")
    if not peak >= bar[0] * seen:
        return None, f"not a jerk: burst peak {peak:.3f} g below {bar[0] * seen:.3f} g"
    noise = float(n.noise[pair].max())
    if not peak >= params.min_noise_ratio * noise:
        return None, (f"not a jerk: burst peak {peak:.3f} g is less than {params.min_noise_ratio:g}x the sensor noise "
                      f"around it ({noise * 1e3:.0f} mg)")
    turn = float(n.turn[pair].max())
    if turn > params.max_lasting_turn_deg:
        return None, f"not a jerk: it left the leg turned by {turn:.1f} deg (a repositioning)"
    one_of_two = len(pair) == 1 and n_legs == 2   # a startle among a series' movements moves both legs
    series = _series_position(i, halves, n, rules, counted=one_of_two)
    if series[0] == "inside" and (one_of_two or not peak >= params.series_outsize_ratio * series[1] * seen):
        return None, "not a jerk: inside a periodic series of leg movements"
    start = float(n.on[pair].min())
    end = min(float(n.off[pair].max()), start + params.max_core_s)
    others = np.ones(n.on.size, bool)
    others[pair] = False
    gap = np.maximum(np.maximum(n.on - end, start - n.off), 0.0)[others]
    nearest = float(gap.min()) if gap.size else np.inf
    if nearest < params.isolation_s:
        return None, f"not a jerk: another movement {nearest:.1f} s away"
    if params.restless_linked:   # the run goes on along every gap of <= restless_window_s
        near = _linked(start, end, np.flatnonzero(others & n.restless), n, params.restless_window_s)
    else:
        near = np.flatnonzero(others)[n.restless[others] & (gap <= params.restless_window_s)]
    restless = _count_movements(n.on[near], n.off[near], params.bilateral_s)
    if restless >= params.max_restless:
        how = "linked by gaps of <= " if params.restless_linked else "within "
        return None, f"not a jerk: one of a run of restless movements ({restless} {how}{params.restless_window_s:g} s)"
    if transitions.empty:
        return None, "not classified: no wake-to-sleep transition could be estimated"
    runs = _runs_before_onsets(end, others, n, transitions["onset_s"].to_numpy(float), params)
    timing = _timing(n.on[i], transitions.loc[runs < params.onset_run] if params.onset_run else transitions, params)
    if timing is None and _timing(n.on[i], transitions, params) is not None:
        return None, (f"not a jerk: the wake went on after it (a run of {int(runs.max())} irregular movements "
                      f"linked by gaps of <= {params.restless_window_s:g} s before the sleep onset it precedes)")
    if timing is None:
        return None, "not a jerk: not within a wake-to-sleep transition (-3 to +15 min around a sleep onset)"
    facts = {"main": main, "seen": seen, "bar": bar, "nearest": nearest, "timing": timing, "series": series,
             "after": _restless_after(end, others, n, params)}
    return _confidence(pair, n, facts, params, n_legs)


def _linked(start_s: float, end_s: float, rows: npt.NDArray[np.int64], n: _Night, gap_s: float
            ) -> npt.NDArray[np.int64]:
    """The rows of ``rows`` linked to [``start_s``, ``end_s``] by gaps of at most ``gap_s`` (s) each: the stretch
    grows by every row within ``gap_s`` of it until none is left."""
    lo, hi = start_s, end_s
    taken = np.zeros(rows.size, bool)
    while True:
        grow = ~taken & (n.on[rows] - hi <= gap_s) & (lo - n.off[rows] <= gap_s)
        if not grow.any():
            return rows[taken]
        taken |= grow
        lo, hi = min(lo, float(n.on[rows[grow]].min())), max(hi, float(n.off[rows[grow]].max()))


def _runs_before_onsets(end_s: float, others: npt.NDArray[np.bool_], n: _Night, onsets_s: npt.NDArray[np.float64],
                        params: JerkParams) -> npt.NDArray[np.int64]:
    """Per transition onset (s), the longest run of irregular movements (``n.restless`` or brief bursts, as
    :func:`_restless_after` counts them; rows of ``others`` only, two legs' rows within ``bilateral_s`` as one, linked
    by gaps of at most ``params.restless_window_s``) that starts after ``end_s`` (s, the burst's end) and no later
    than that onset; 0 for an onset not after the burst or more than ``params.before_onset_s`` after it.

    Sleep begins where the restless wake ends (docs/scoring.md §5), so a burst followed by such a run before the onset
    did not end the wake: that onset does not time it (``JerkParams.onset_run``).

    >>> from types import SimpleNamespace as NS
    >>> on = np.array([50.0, 75.0, 100.0, 125.0]); rows = np.ones(4, bool)
    >>> n = NS(on=on, off=on + 2.0, restless=rows, brief=~rows)
    >>> _runs_before_onsets(0.0, rows, n, np.array([-60.0, 90.0, 200.0, 2000.0]), JerkParams()).tolist()
    [0, 2, 4, 0]
    """
    out = np.zeros(onsets_s.size, np.int64)
    rows = np.flatnonzero(others & (n.restless | n.brief) & (n.on > end_s))
    if not rows.size:
        return out
    rows = rows[np.argsort(n.on[rows], kind="stable")]
    on, off = n.on[rows], n.off[rows]
    # runs in onset order; the rows up to an onset are a prefix, whose runs are these runs cut at it
    run = np.cumsum(np.concatenate(([True], on[1:] - np.maximum.accumulate(off)[:-1] > params.restless_window_s)))
    for k, onset in enumerate(onsets_s):   # transitions are few
        if not end_s < onset <= end_s + params.before_onset_s:
            continue
        upto = on <= onset
        if upto.any():
            out[k] = max(_count_movements(on[upto & (run == r)], off[upto & (run == r)], params.bilateral_s)
                         for r in np.unique(run[upto]))
    return out


def _restless_after(end_s: float, others: npt.NDArray[np.bool_], n: _Night, params: JerkParams) -> int:
    """How many irregular movements (``n.restless`` or brief bursts, two legs' rows within ``bilateral_s`` as
    one) start within ``params.settle_window_s`` (s) after ``end_s``, among the rows of ``others``: wake going on
    after a burst that should end it (docs/scoring.md §3.1; scored in :func:`_confidence`, never refused for)."""
    near = others & (n.restless | n.brief) & (n.on > end_s) & (n.on <= end_s + params.settle_window_s)
    return _count_movements(n.on[near], n.off[near], params.bilateral_s)


def _confidence(pair: list[int], n: _Night, facts: dict, params: JerkParams, n_legs: int) -> tuple[float | None, str]:
    """The jerk's confidence (the weakest criterion's score) and the reason text; None if seen on one leg of two
    without being a textbook brief burst timed by a sleep onset. ``facts``: the pair's ``peak`` (g), the size
    ``bar``, the ``nearest`` other movement (s), its ``timing``, its ``series`` position (see :func:`_judge`) and
    the irregular movements ``after`` it (:func:`_restless_after`).

    The settling score is the only one that never refuses: a jerk ends the wake before sleep, so irregular
    movements in the ``settle_window_s`` after it (wake going on) lower the confidence down to 0.5 at
    ``settle_limit``, but the decision stays with the criteria of docs/scoring.md §3.1 (true jerks followed by
    such movements exist: a jerk may rouse the sleeper). On the jerk stress test's choosing nights it raised the
    confidence's AUC for true against false jerks from 0.77 to 0.87 (docs/validation.md)."""
    main, seen, bar, nearest, timing, series, after = (facts[k] for k in ("main", "seen", "bar", "nearest", "timing",
                                                                          "series", "after"))
    peak, high, core = float(n.peak[main]), float(n.high[main]), float(n.core[main])   # the larger half shows it best
    ratio = peak / (bar[1] * seen) if bar[1] else None
    legs = 1.0 if len(pair) == 2 else (params.unilateral_confidence if n_legs == 2 else params.one_leg_confidence)
    scores = {
        "burst": _margin(high, params.high_ideal_s, float(n.high_limit[main])),
        "energy": _margin(core, params.core_ideal_s, params.max_core_s),
        "size": _margin(ratio, params.size_ideal_ratio, params.min_size_ratio) if ratio else 0.75,
        "timing": timing[0],
        "isolation": _margin(nearest, params.isolation_ideal_s, params.isolation_s),
        "legs": legs,
        "series": params.series_edge_confidence if series[0] != "none" else 1.0,
        # confidence only: at least 0.5, so it never refuses a jerk (the counts do not depend on it)
        "settling": max(0.5, _margin(after, params.settle_ideal, params.settle_limit)),
    }
    weakest = min(scores, key=scores.__getitem__)
    if min(scores["burst"], scores["energy"]) < 0.5:
        return None, f"not a jerk: the larger leg's burst is not brief (burst {high:.2f} s, energy within {core:.2f} s)"
    if len(pair) == 1 and n_legs == 2 and min(scores["burst"], scores["energy"]) < 1.0:
        return None, ("not a jerk: seen on one leg of two, so it must be a textbook brief burst (burst "
                      f"{high:.2f} s where <= {params.high_ideal_s:g} s is textbook, energy within {core:.2f} s where "
                      f"<= {params.core_ideal_s:g} s is)")
    if len(pair) == 1 and n_legs == 2 and timing[2] == "restless":
        return None, ("not a jerk: seen on one leg of two and timed only by the end of a restless moment "
                      f"({timing[1]:+.1f} min), not by a sleep onset")
    size = f"{ratio:.1f}x the night's median LM" if ratio else f"{peak:.2f} g (too few LMs to compare)"
    if seen < 0.9:
        size += f" (this sensor shows ~{seen:.0%} of a brief burst's peak)"
    where = "both legs" if len(pair) == 2 else ("one leg of two" if n_legs == 2 else "one leg recorded")
    onset = "the end of a restless moment" if timing[2] == "restless" else f"the {timing[2]} sleep onset"
    when = f"{abs(timing[1]):.1f} min {'before' if timing[1] < 0 else 'after'} {onset}"
    alone = "no other movement" if not np.isfinite(nearest) else f"nearest movement {nearest:.0f} s away"
    if after > params.settle_ideal:
        alone += f", {after} irregular movements within {params.settle_window_s / 60:g} min after it"
    among = {"inside": f", among a periodic series' movements ({peak / (series[1] * seen):.0f}x their size)",
             "edge": ", where a periodic series starts or ends", "none": ""}[series[0]]
    last = f"; weakest: {weakest}" if scores[weakest] < 1.0 else "; every criterion textbook"
    reason = f"burst {high:.2f} s, energy within {core:.2f} s, {size}, {where}, {when}, {alone}{among}{last}"
    return round(float(scores[weakest]), 3), reason


def _twins(n: _Night, params: JerkParams) -> npt.NDArray[np.int64]:
    """For each brief burst, the other leg's movement whose burst starts within ``bilateral_s`` of its own (-1 if
    none). The bursts' times are compared, not the detected onsets: the detector's statistics average over a
    window, so each leg's onset may lie up to half that window before its burst, and two legs' onsets of one
    jerk may differ by more than the bilateral window."""
    twin = np.full(n.on.size, -1, np.int64)
    for i in np.flatnonzero(n.brief):  # brief bursts are few
        near = np.flatnonzero((np.abs(n.burst_t - n.burst_t[i]) < params.bilateral_s) & (n.side != n.side[i])
                              & (n.kind == "lm"))
        if not near.size:   # the other leg's movement at the same moment: one holds the other's burst start
            b = params.bilateral_s
            holds = ((n.on - b <= n.burst_t[i]) & (n.burst_t[i] <= n.off + b)) \
                | ((n.on[i] - b <= n.burst_t) & (n.burst_t <= n.off[i] + b))
            near = np.flatnonzero(holds & (n.side != n.side[i]) & (n.kind == "lm"))
        if near.size:
            twin[i] = near[np.argmin(np.abs(n.burst_t[near] - n.burst_t[i]))]
    return twin


def classify_hypnic_jerks(moves: pd.DataFrame, transitions: pd.DataFrame | None, params: JerkParams = JerkParams(),
                          *, n_legs: int = 2, rules: RuleSet = WASM2016, unknown_reason: str | None = None,
                          rates_hz: Mapping[str, float] | None = None,
                          repositioned: npt.ArrayLike | None = None) -> pd.DataFrame:
    """Relabel the movements that are hypnic jerks (``type = "hypnic_jerk"``) and say why.

    Parameters
    ----------
    moves : DataFrame
        The night's single-leg movements: ``onset_s``, ``offset_s`` (s since the recording start), ``side``,
        ``type`` and the burst measures of :mod:`lrm.signal.burst` (``burst_peak_g`` in g, ``burst_high_s``
        and ``burst_core_s`` in s; without them ``peak_g``, ``half_peak_s`` and the duration stand in).
        Only ``type == "lm"`` rows can become jerks.
    transitions : DataFrame or None
        The observed wake-to-sleep transitions (:meth:`lrm.signal.sleep.SleepEstimate.transitions`):
        ``onset_s`` (s) and ``kind`` ("first" or "re-onset"). Empty or None: none could be estimated, and
        no movement is classed (each brief burst's reason says so).
    params : JerkParams
        The criteria's limits and textbook values.
    n_legs : int
        Legs recorded (1 or 2).
    rules : RuleSet
        The periodic runs a jerk may not sit inside (IMI limits, run length, bilateral window).
    unknown_reason : str, optional
        Why no transition could be estimated, for the reasons of the brief bursts.
    rates_hz : mapping of side to Hz, optional
        Each leg's sampling rate: a slow sensor shows only part of a brief burst's peak
        (:func:`lrm.signal.burst.burst_retention`), and the size criterion allows for it.
    repositioned : array of bool, optional
        Per row of ``moves``, a movement that kept its lasting turn (:func:`lrm.signal.posture.kept_turns`): a
        repositioning, not an LM (docs/scoring.md §5 "Restless wake", §6), so no member of the PLM-like series a jerk
        may not sit inside (§1.2 step 7: a series is made of LMs). It stays a restless movement when it is one.

    Returns
    -------
    DataFrame
        ``moves`` in time order with the jerks relabelled; the two legs' halves of a bilateral jerk become
        one row (``side = "bilateral"``, onset the earlier, offset the later, the larger burst's measures).
        Columns :data:`JERK_COLUMNS` are added: ``jerk_confidence`` (0.5-1, NaN unless a jerk) and
        ``jerk_reason`` (why a jerk was classed; for a brief burst that was not, why not; else <NA>).

    Examples
    --------
    >>> m = pd.DataFrame({"onset_s": [600.0, 600.05, 2000.0], "offset_s": [600.6, 600.7, 2003.0],
    ...                   "side": ["left", "right", "left"], "type": "lm", "burst_peak_g": [0.9, 0.7, 0.15],
    ...                   "burst_high_s": [0.12, 0.16, 2.0], "burst_core_s": [0.3, 0.35, 2.6]})
    >>> onsets = pd.DataFrame({"onset_s": [480.0], "kind": ["first"]})
    >>> out = classify_hypnic_jerks(m, onsets)
    >>> out[["onset_s", "side", "type", "jerk_confidence"]].values.tolist()
    [[600.0, 'bilateral', 'hypnic_jerk', 0.75], [2000.0, 'left', 'lm', nan]]
    >>> out["jerk_reason"].iloc[0]
    'burst 0.12 s, energy within 0.30 s, 0.90 g (too few LMs to compare), both legs, 2.0 min after the first sleep onset, nearest movement 1399 s away; weakest: size'
    """
    moved = np.zeros(len(moves), bool) if repositioned is None else np.asarray(repositioned, bool)
    order = np.argsort(moves["onset_s"].to_numpy(float), kind="stable")
    t = moves.iloc[order].reset_index(drop=True)
    conf, reason = np.full(len(t), np.nan), np.full(len(t), None, object)
    if t.empty:
        return t.assign(jerk_confidence=conf, jerk_reason=pd.array(reason, dtype="string"))
    transitions = transitions if transitions is not None else pd.DataFrame({"onset_s": [], "kind": []})
    n = _night(t, params, rules, rates_hz, moved[order])
    bar, twin = _size_bar(n, params), _twins(n, params)
    half = np.zeros(len(t), bool)
    half[twin[n.brief & (twin >= 0)]] = True
    halves = half[n.kind == "lm"] & ~n.lm_brief
    done = np.zeros(len(t), bool)
    for i in np.flatnonzero(n.brief):
        if done[i]:
            continue
        j = int(twin[i]) if twin[i] >= 0 and not done[twin[i]] else -1
        c, why = _judge(i, j, n, transitions, bar, params, n_legs, rules, halves)
        if why.startswith("not classified") and unknown_reason:
            why = f"not classified: {unknown_reason}"
        for k in ([i, j] if j >= 0 and n.core[j] <= params.max_core_s else [i]):
            done[k], conf[k], reason[k] = True, np.nan if c is None else c, why
    return _relabel(t, conf, reason, twin, n)


def _relabel(t: pd.DataFrame, conf: npt.NDArray[np.float64], reason: npt.NDArray[np.object_],
             twin: npt.NDArray[np.int64], n: _Night) -> pd.DataFrame:
    """Write the labels; time each jerk by its burst (the detector's interval of a brief burst is its
    averaging window's, up to a window early); merge each bilateral jerk's two rows into the row with the
    larger burst."""
    out = t.copy()
    out["jerk_confidence"], out["jerk_reason"] = conf, pd.array(reason, dtype="string")
    jerk = np.isfinite(conf)
    kind = out["type"].astype(object).to_numpy(copy=True)
    side = out["side"].astype(object).to_numpy(copy=True)
    on, off = out["onset_s"].to_numpy(float, copy=True), out["offset_s"].to_numpy(float, copy=True)
    timed = jerk & np.isfinite(n.span) & (n.span > 0)
    on[timed] = n.burst_t[timed]
    off[timed] = np.minimum(n.burst_t[timed] + n.span[timed], off[timed])
    drop = np.zeros(len(t), bool)
    peak = _column(out, "burst_peak_g", np.zeros(len(t)))
    for i in np.flatnonzero(jerk):  # jerks are few
        j = int(twin[i])
        kind[i] = "hypnic_jerk"
        if j < 0 or not jerk[j] or drop[i] or drop[j]:
            continue
        keep, gone = (i, j) if not peak[j] > peak[i] else (j, i)
        kind[keep], side[keep], drop[gone] = "hypnic_jerk", "bilateral", True
        on[keep], off[keep] = min(on[i], on[j]), max(off[i], off[j])
    out["type"], out["side"] = pd.array(kind, dtype="string"), pd.array(side, dtype="string")
    out["onset_s"], out["offset_s"] = on, off
    return out.loc[~drop].sort_values("onset_s", kind="stable").reset_index(drop=True)
