"""Who is simulated: the four night profiles and the per-night variation drawn from the seed.

A :class:`Profile` holds *ranges* (what kind of sleeper); :class:`SimVariation` holds the *values* of one
night (this sensor, this mounting, this PLM index). :func:`draw_variation` fills every field the caller left
``None`` from the random generator, so ``simulate(seed=s)`` varies everything and a caller can pin any part.

Numbers and where they come from (docs/scoring.md):

* PLM index: PLMD diagnosis > 15/h (§2.2); healthy sleepers mostly < 5/h, 90th percentile 24.8/h (§2.3).
* IMI: log-normal around 15-40 s, RLS peak 15-30 s (§2.1, Ferri 2006; §2.4 commonly 20-40 s).
* LM duration: ~3-4 s typical (§2.4: 3.2 s EMG, 4.2 s PAM-RL); > 10 s rare.
* Bilateral: in RLS 42 +- 22 % of LMs have no contralateral activity; 93 % of those with one overlap (§1.2 step 4).
* Hypnic jerks: brief (75-250 ms), large, mostly bilateral, at sleep onset (§3.1).
* Clock drift up to +-100 ppm, BLE gaps (PROTOCOLS.md §A5.5-A5.6).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Literal

import numpy as np

__all__ = ["ProfileName", "Profile", "PROFILES", "SimVariation", "draw_variation"]

ProfileName = Literal["healthy", "plmd", "rls", "hypnic"]


@dataclass(frozen=True, slots=True)
class Profile:
    """Ranges (lo, hi) from which one night's values are drawn uniformly.

    Rates are per hour of the stated state; times in s or min as the suffix says.
    """

    name: str
    plm_index_per_h: tuple[float, float]  # target PLMs per hour of sleep
    wake_plm_share: float  # fraction of series placed in wake in bed (PLMW, RLS)
    series_len_median: float  # PLMs per series, log-normal median (sigma 0.6), >= 4
    imi_median_s: tuple[float, float]
    imi_sigma: tuple[float, float]  # sigma of log IMI
    short_imi_prob: float  # per series LM: an extra LM 2-9 s later (breaks the series, WASM §1.2 step 8a)
    isolated_lm_per_h: tuple[float, float]  # non-periodic LMs per hour in bed
    bilateral_share: tuple[float, float]  # LMs with contralateral activity
    lm_duration_median_s: float
    awakenings: tuple[int, int]
    sleep_latency_min: tuple[float, float]
    hypnic_jerks: tuple[int, int]  # total per night, at sleep onsets
    rollovers_per_h: tuple[float, float]
    fidgets_per_h_wake: tuple[float, float]
    tremor_prob: float  # chance of hypnagogic foot tremor / ALMA trains at sleep onset


PROFILES: Mapping[str, Profile] = {
    "healthy": Profile("healthy", (0.0, 4.0), 0.0, 6.0, (18.0, 35.0), (0.25, 0.45), 0.05, (2.0, 8.0), (0.5, 0.75),
                       2.5, (1, 3), (5.0, 20.0), (0, 1), (2.0, 4.0), (20.0, 40.0), 0.1),
    "plmd": Profile("plmd", (15.0, 60.0), 0.05, 14.0, (18.0, 32.0), (0.18, 0.32), 0.04, (3.0, 10.0), (0.45, 0.7),
                    3.0, (1, 4), (5.0, 25.0), (0, 2), (2.0, 4.0), (20.0, 40.0), 0.15),
    "rls": Profile("rls", (12.0, 45.0), 0.3, 12.0, (15.0, 28.0), (0.2, 0.35), 0.06, (4.0, 12.0), (0.36, 0.8),
                   3.5, (2, 5), (15.0, 45.0), (0, 1), (2.5, 5.0), (30.0, 60.0), 0.2),
    "hypnic": Profile("hypnic", (0.0, 5.0), 0.0, 6.0, (18.0, 35.0), (0.25, 0.45), 0.05, (2.0, 8.0), (0.5, 0.75),
                      2.5, (3, 6), (10.0, 30.0), (5, 12), (2.0, 4.0), (20.0, 40.0), 0.25),
}


@dataclass(frozen=True, slots=True)
class SimVariation:
    """One night's sensor and sleeper values; ``None`` fields are drawn from the seed.

    Attributes (units in the names)
    ----------
    noise_g : white sensor noise, standard deviation per axis in g (typical MEMS 1.5-12 mg at 25-200 Hz).
    range_g : full-scale range +-range_g; samples beyond it clip.
    resolution_bits : ADC bits over the full range (12-16); the int16 count is ``2 * range_g / 2**bits`` g.
    drift_ppm : per side, how fast that sensor's clock runs against the true clock (+-100 ppm).
    clock_offset_s : per side, the sensor clock's offset at the recording start in s.
    start_lag_s : per side, true delay before the sensor's first sample (legs connect one after the other).
    timestamp_jitter_s : standard deviation of timestamp jitter in s (host arrival stamps).
    gaps_per_h : expected BLE gaps per hour per leg.
    mounting : "random" (any rotation), "shank" (a strapped device: lrm.sim.sensor) or "aligned" (axes = shank axes).
    lm_amplitude_scale : multiplies every LM's angle (this person's movement size).
    weak_lm_share : share of LMs with a tiny angle near the noise floor.
    plm_index_per_h : target PLMs per hour of sleep.
    imi_median_s, imi_sigma : log-normal IMI within a PLM series (median in s, sigma of log).
    bilateral_share : share of LMs with contralateral activity.
    hypnic_jerks : number of hypnic jerks, placed at sleep onsets.

    The wide and hard families (:mod:`lrm.sim.families`) also draw these; the classic family leaves them
    ``None`` (and ignores them, except ``lsb_g``):

    lsb_g : quantisation step in g per count; when set it replaces ``2 * range_g / 2**resolution_bits``.
    rate_hz : per side, the output data rate in Hz (used when ``simulate`` is called with ``rate_hz=None``).
    bandwidth_ratio : the sensor low-pass corner as a share of the rate (0.25-0.5: ODR/4 to ODR/2).
    lm_peak_median_g, lm_peak_sigma : this night's LM amplitude distribution, log-normal: median peak in g
        and sigma of the natural log (the peak as defined in :mod:`lrm.sim.truth`).
    lm_shape_mix : shares of the LM classes ``rotation``, ``twitch``, ``tremor`` (:mod:`lrm.sim.shank`).
    lm_duration_median_s : median LM duration in s (log-normal, sigma 0.45, 0.5-10 s).
    jerk_peak_median_g : median peak of this night's hypnic jerks in g (log-normal, sigma 0.4).
    jerk_first_onset_weight : how much likelier a jerk falls at the first sleep onset than at a re-onset.
    distractor_scale : multiplies the rates of roll-overs, fidgets and foot tremor/ALMA trains.
    bathroom_trips : walks out of bed during the night.
    walk_stride_hz : stride rate of this person's walking at night (cadence / 2).
    """

    noise_g: float | None = None
    range_g: float | None = None
    resolution_bits: int | None = None
    drift_ppm: Mapping[str, float] | None = None
    clock_offset_s: Mapping[str, float] | None = None
    start_lag_s: Mapping[str, float] | None = None
    timestamp_jitter_s: float | None = None
    gaps_per_h: float | None = None
    mounting: Literal["random", "shank", "aligned"] | None = None
    lm_amplitude_scale: float | None = None
    weak_lm_share: float | None = None
    plm_index_per_h: float | None = None
    imi_median_s: float | None = None
    imi_sigma: float | None = None
    bilateral_share: float | None = None
    hypnic_jerks: int | None = None
    lsb_g: float | None = None
    rate_hz: Mapping[str, float] | None = None
    bandwidth_ratio: float | None = None
    lm_peak_median_g: float | None = None
    lm_peak_sigma: float | None = None
    lm_shape_mix: Mapping[str, float] | None = None
    lm_duration_median_s: float | None = None
    jerk_peak_median_g: float | None = None
    jerk_first_onset_weight: float | None = None
    distractor_scale: float | None = None
    bathroom_trips: int | None = None
    walk_stride_hz: float | None = None
    extra: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def ideal(cls, **overrides: object) -> SimVariation:
        """A clean sensor: low noise, 16-bit +-8 g, no drift, offset, jitter or gaps, aligned axes."""
        zero = {"left": 0.0, "right": 0.0}
        base = cls(noise_g=0.002, range_g=8.0, resolution_bits=16, drift_ppm=zero, clock_offset_s=zero,
                   start_lag_s=zero, timestamp_jitter_s=0.0, gaps_per_h=0.0, mounting="aligned",
                   lm_amplitude_scale=1.0, weak_lm_share=0.0)
        return replace(base, **overrides)  # type: ignore[arg-type]

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            out[f.name] = dict(value) if isinstance(value, Mapping) else value
        return out

    @property
    def scale_g(self) -> float:
        """g per int16 count: ``lsb_g`` when set, else from range_g and resolution_bits."""
        if self.lsb_g is not None:
            return float(self.lsb_g)
        if self.range_g is None or self.resolution_bits is None:
            raise ValueError("scale_g needs range_g and resolution_bits")
        return 2.0 * self.range_g / 2.0**self.resolution_bits


def _per_side(rng: np.random.Generator, draw: object) -> dict[str, float]:
    return {side: float(draw(rng)) for side in ("left", "right")}  # type: ignore[operator]


def draw_variation(rng: np.random.Generator, profile: Profile, given: SimVariation | None = None) -> SimVariation:
    """Fill every ``None`` field of ``given`` with a value drawn for ``profile``.

    All fields are drawn in a fixed order whether given or not, so pinning one field leaves the others
    unchanged for the same seed.
    """
    given = given or SimVariation()
    p = profile
    lag_right_first = rng.random() < 0.5
    lag = float(rng.uniform(0.0, 8.0))
    drawn = SimVariation(
        noise_g=float(np.exp(rng.uniform(np.log(0.0015), np.log(0.012)))),
        range_g=float(rng.choice([2.0, 4.0, 8.0, 16.0], p=[0.15, 0.25, 0.4, 0.2])),
        resolution_bits=int(rng.choice([12, 14, 16], p=[0.15, 0.15, 0.7])),
        drift_ppm=_per_side(rng, lambda r: r.uniform(-100.0, 100.0)),
        clock_offset_s=_per_side(rng, lambda r: r.normal(0.0, 0.25)),
        start_lag_s={"left": lag if lag_right_first else 0.0, "right": 0.0 if lag_right_first else lag},
        timestamp_jitter_s=float(np.exp(rng.uniform(np.log(1e-5), np.log(3e-3)))),
        gaps_per_h=float(rng.uniform(0.0, 0.8)),
        mounting="random",
        lm_amplitude_scale=float(np.exp(rng.normal(0.0, 0.25))),
        weak_lm_share=float(rng.uniform(0.01, 0.05)),
        plm_index_per_h=float(rng.uniform(*p.plm_index_per_h)),
        imi_median_s=float(rng.uniform(*p.imi_median_s)),
        imi_sigma=float(rng.uniform(*p.imi_sigma)),
        bilateral_share=float(rng.uniform(*p.bilateral_share)),
        hypnic_jerks=int(rng.integers(p.hypnic_jerks[0], p.hypnic_jerks[1] + 1)),
    )
    values = {f.name: getattr(given, f.name) if getattr(given, f.name) is not None else getattr(drawn, f.name)
              for f in fields(SimVariation) if f.name != "extra"}
    for name in ("drift_ppm", "clock_offset_s", "start_lag_s"):  # a partial mapping pins only its sides
        values[name] = {**getattr(drawn, name), **dict(getattr(given, name) or {})}
    return SimVariation(**values, extra=dict(given.extra))
