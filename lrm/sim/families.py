"""Night families: the ranges from which one night's sensor, movements and distractors are drawn.

``simulate(profile, family=...)``: the profile says who sleeps (PLM index, IMIs, awakenings: lrm.sim.profiles);
the family says how widely everything else varies.

* ``classic``: lrm's first simulator (:func:`lrm.sim.profiles.draw_variation`): noise 1.5-12 mg, 12-16 bit
  int16, one LM waveform, 25-100 Hz in the old validation. Kept unchanged for the bundled sample night,
  the tests and the BLE virtual sensors.
* ``wide``: every range the validation must cover (issue 11), so that no single simulator choice carries
  its result. Movements come from the shank model (:mod:`lrm.sim.shank`).
* ``hard``: the wide family's difficult corner: noisy, coarse, slow sensors, small LMs, more gaps and
  more distractors.

Each range and its reason (wide; hard in brackets):

======================== ============================== =====================================================
value                    range                          source or physical reason
======================== ============================== =====================================================
sample rate              10-200 Hz from real output     docs/sensors.md and the sensors' protocols: Polar H10 25-200,
                         data rates (10-32 Hz)          Verity 26-208, Movesense 13-208, WitMotion 10-200, MetaMotion
                                                        12.5-800 Hz; ActiGraph 30 Hz, PAM-RL 40 Hz, Daphnet 64 Hz;
                                                        10 Hz is the least the 0.5 s rules allow (issue 11)
sensor low-pass corner   0.25-0.5 x rate                ODR/4 or ODR/2 (LSM6DSL, BMI160, LIS2DH12 datasheets)
noise (sd per axis)      1-15 mg log-uniform (5-15)     datasheets: BMI160 ~1 mg, LIS3DH ~2 mg, ADXL345 ~4 mg rms at
                                                        their usual bandwidths, several times more in low-power
                                                        modes, plus strap and soft-tissue jitter; issue 11's
                                                        independent simulator used 2-15 mg
quantisation step (LSB)  16 bit (1 in 4), else 1-16 mg  LIS3DH 1-16 mg/digit (12/10 bit modes), ADXL345 3.9 mg,
                         log-uniform (6-16 mg)          exports rounded to 0.01 g (Daphnet: 10 mg, issue 11)
full-scale range         2/4/8/16 g (8/16 g)            the sensors' settings (docs/sensors.md)
mounting                 any turn about the shank, any  how a strap sits (:mod:`lrm.sim.sensor`)
                         axis along it, 0-20 deg tilt
LM peak, night median    15-300 mg log-uniform (15-60)  thresholds of 15 mg to 200 mg, typical sleep movements
                                                        ~380 mg, forward model 30 mg (4 deg) to ~1 g (20 deg)
                                                        (docs/scoring.md §6); issue 11 saw nights of 25-50 mg medians
LM peak spread           sigma of ln 0.3-0.8 (0.4-0.8)  within-night spread of movement size (not published;
                                                        wide enough that each night spans a decade)
LM class shares          Dirichlet(4, 1.5, 1.5) over    docs/scoring.md §6 (dorsiflexion alone to triple flexion);
                         rotation/twitch/tremor         Smith 1985 (tonic/clonic in ~75 %); rotation most likely
                         (Dirichlet(3, 2, 2))           (no published shares)
LM duration median       profile median x e^U(-0.5,0.5) 3.2 s EMG, 4.2 s PAM-RL, many 5-10 s in wake (§2.4)
jerk peak, night median  0.3-1.5 g (0.15-0.6 g)         large, often whole-body jerks (docs/scoring.md §3.1); above
                                                        typical sleep movements (~0.38 g, §6), below waking ones
jerk at first onset      1-5 x likelier than a re-onset "mostly at sleep onset", also after awakenings (§3.1)
distractor rates         x 0.7-1.5 (x 1.5-3)            roll-overs 2-5 /h, restless wake, HFT/ALMA (§3.2, §5)
bathroom trips           0-3 (1-3)                      nocturia: one or more voids a night is common in adults
walking stride           0.6-1.05 Hz                    cadence 72-126 steps/min: slow night-time to normal gait
BLE gaps                 0-1.5 /h (1-4 /h)              PROTOCOLS.md §A5.5 (reconnects, out of range)
======================== ============================== =====================================================
"""

from __future__ import annotations

from dataclasses import fields
from typing import Literal

import numpy as np

from lrm.sim.profiles import Profile, SimVariation, draw_variation

__all__ = ["FamilyName", "FAMILIES", "OUTPUT_RATES_HZ", "draw_family_variation"]

FamilyName = Literal["classic", "wide", "hard"]
FAMILIES: tuple[str, ...] = ("classic", "wide", "hard")

#: output data rates of real sensors within 10-200 Hz (see the table above)
OUTPUT_RATES_HZ = (10.0, 12.5, 13.0, 20.0, 25.0, 26.0, 30.0, 32.0, 40.0, 50.0, 52.0, 64.0, 100.0, 104.0, 128.0, 200.0)
HARD_RATES_HZ = tuple(r for r in OUTPUT_RATES_HZ if r <= 32.0)


def _log_uniform(rng: np.random.Generator, lo: float, hi: float) -> float:
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def _rates(rng: np.random.Generator, choices: tuple[float, ...]) -> dict[str, float]:
    """One rate for both legs (the same device twice), or in 15 % of nights two different devices."""
    left = float(rng.choice(choices))
    right = float(rng.choice(choices))
    return {"left": left, "right": left if rng.random() < 0.85 else right}


def _drawn(rng: np.random.Generator, profile: Profile, hard: bool) -> SimVariation:
    """The wide (or hard) family's sensor, movement and distractor values for one night, in a fixed order."""
    range_g = float(rng.choice([8.0, 16.0]) if hard else rng.choice([2.0, 4.0, 8.0, 16.0], p=[0.2, 0.25, 0.35, 0.2]))
    finest = range_g / 32768.0  # 16 bit over +-range
    fine = rng.random() < (0.0 if hard else 0.25)
    lsb = _log_uniform(rng, 0.006, 0.016) if hard else _log_uniform(rng, 0.001, 0.016)
    mix = rng.dirichlet([3.0, 2.0, 2.0] if hard else [4.0, 1.5, 1.5])
    trips = int(rng.choice([1, 2, 3]) if hard else rng.choice([0, 1, 2, 3], p=[0.3, 0.4, 0.2, 0.1]))
    return SimVariation(
        noise_g=_log_uniform(rng, 0.005, 0.015) if hard else _log_uniform(rng, 0.001, 0.015),
        range_g=range_g,
        lsb_g=finest if fine else max(lsb, finest),
        rate_hz=_rates(rng, HARD_RATES_HZ if hard else OUTPUT_RATES_HZ),
        bandwidth_ratio=float(rng.uniform(0.25, 0.5)),
        gaps_per_h=float(rng.uniform(1.0, 4.0) if hard else rng.uniform(0.0, 1.5)),
        mounting="shank",
        weak_lm_share=0.0,
        lm_peak_median_g=_log_uniform(rng, 0.015, 0.06) if hard else _log_uniform(rng, 0.015, 0.3),
        lm_peak_sigma=float(rng.uniform(0.4, 0.8) if hard else rng.uniform(0.3, 0.8)),
        lm_shape_mix=dict(zip(("rotation", "twitch", "tremor"), (float(x) for x in mix))),
        lm_duration_median_s=float(profile.lm_duration_median_s * np.exp(rng.uniform(-0.5, 0.5))),
        jerk_peak_median_g=_log_uniform(rng, 0.15, 0.6) if hard else _log_uniform(rng, 0.3, 1.5),
        jerk_first_onset_weight=float(rng.uniform(1.0, 5.0)),
        distractor_scale=float(rng.uniform(1.5, 3.0) if hard else rng.uniform(0.7, 1.5)),
        bathroom_trips=trips,
        walk_stride_hz=float(rng.uniform(0.6, 1.05)),
    )


def draw_family_variation(rng: np.random.Generator, profile: Profile, family: FamilyName,
                          given: SimVariation | None = None) -> SimVariation:
    """One night's values for ``family``: fields of ``given`` that are not None win, the rest is drawn.

    The sleeper and the clocks (PLM index, IMIs, bilateral share, jerk count, drift, offsets, jitter) are
    drawn as in the classic family; the wide and hard families then draw the sensor, movement and
    distractor values above. Every value is drawn whether pinned or not, so pinning one leaves the others.
    """
    if family not in FAMILIES:
        raise ValueError(f"family must be one of {', '.join(FAMILIES)}, got {family!r}")
    given = given or SimVariation()
    base = draw_variation(rng, profile, given)
    if family == "classic":
        return base
    drawn = _drawn(rng, profile, hard=family == "hard")
    values = {f.name: getattr(base, f.name) for f in fields(SimVariation) if f.name != "extra"}
    for f in fields(SimVariation):
        if f.name != "extra" and getattr(given, f.name) is None and getattr(drawn, f.name) is not None:
            values[f.name] = getattr(drawn, f.name)
    if given.rate_hz is not None:
        values["rate_hz"] = {**drawn.rate_hz, **dict(given.rate_hz)}  # type: ignore[dict-item]
    return SimVariation(**values, extra=dict(given.extra))
