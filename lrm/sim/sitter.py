"""A simulated person doing the suggested immobilization test (SIT) at home, with the truth (a test bed).

The script follows ``lrm sit``'s instructions (docs/sit.md): standing still beside the bed (the
calibration), sitting down in bed with the legs outstretched, a few adjustments, then an hour awake and
as still as the legs allow. Optional posture breaks: standing up beside the bed for a while and coming
back. Waveforms, shank kinematics and the sensor model are the night simulator's (:mod:`lrm.sim.movements`,
:mod:`lrm.sim.body`, :mod:`lrm.sim.sensor`); this module only plans the SIT.

What is simulated, and from where (docs/scoring.md, docs/sit.md):

* ``rls``: leg movements in periodic runs while awake, the interval log-normal with a median of 11-16 s
  (SIT intervals peak at 11-12 s, Michaud 2001), LMs longer than in sleep (median 4-5 s, many 5-10 s,
  Michaud 2001), 40-70 % with contralateral activity, more runs as the hour goes on (rest effect: the
  movement rate rises over the first ~45 min, Mov Disord 2005; Allen 2005; docs/sit.md). Discomfort starts at 1-3 and rises
  by 3-6 points per hour.
* ``healthy``: 4-15 isolated movements per hour (settling, small voluntary adjustments), one short
  run of 4-6 in a fifth of the tests; discomfort 0-1 throughout.

Times are seconds since the sensors were switched on (the simulated clock), on the true clock.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from lrm.io.recording import Leg, Recording
from lrm.sim.body import specific_force_g
from lrm.sim.plan import Component
from lrm.sim.sensor import draw_sensor, measure, true_sample_times

__all__ = ["SitProfile", "SitterTruth", "SimulatedSit", "simulate_sit", "SIT_PROFILES"]

SitProfile = Literal["healthy", "rls"]
SIT_PROFILES: tuple[str, ...] = ("healthy", "rls")
SIDES = ("left", "right")
GUARD_S = 1.0   # minimum quiet between two movements of one leg (as lrm.sim.plan)


@dataclass(frozen=True, slots=True, eq=False)
class SitterTruth:
    """What the simulated sitter did; times in s since the sensors were switched on (true clock).

    ``lms``: one row per leg movement component (``onset_s``, ``offset_s``, ``side``, ``type`` = lm,
    ``movement_id``, ``run``: the periodic run it was planned in, -1 for isolated ones).
    ``standing_s``: the still standing stretch (the calibration). ``settled_s``: when the sitter was
    still in bed, legs outstretched. ``breaks_s``: (k, 2) out of the test posture (first movement of
    getting up to settled back in bed). ``discomfort``: the sitter's answer (0-10) at any time.
    """

    profile: str
    seed: int
    standing_s: tuple[float, float]
    settled_s: float
    breaks_s: np.ndarray
    lms: pd.DataFrame
    discomfort_start: float
    discomfort_per_h: float
    notes: tuple[str, ...] = field(default_factory=tuple)

    def discomfort(self, t_s: float) -> int:
        """The 0-10 rating the sitter gives at ``t_s`` (s since switch-on)."""
        hours = max(0.0, t_s - self.settled_s) / 3600.0
        return int(np.clip(round(self.discomfort_start + self.discomfort_per_h * hours), 0, 10))


@dataclass(frozen=True, slots=True, eq=False)
class SimulatedSit:
    """The sensors' output per side (``accel_g`` (n, 3) float32 in g, sensor axes, at ``rate_hz``) and the truth."""

    accel_g: dict[str, np.ndarray]
    rate_hz: float
    duration_s: float
    truth: SitterTruth

    def to_recording(self, start_s: float = 1_704_139_200.0) -> Recording:
        """The sensors' output as a :class:`Recording` whose first sample is at ``start_s`` (Unix s): what an
        ideal recorder would have written (times = switch-on time + true time)."""
        legs = {}
        for side, acc in self.accel_g.items():
            t = start_s + np.arange(acc.shape[0], dtype=np.float64) / self.rate_hz
            legs[side] = Leg(side, t, acc, self.rate_hz, device="lrm simulated ankle sensor", range_g=8.0,  # type: ignore[arg-type]
                             source=f"lrm.sim.sitter(profile={self.truth.profile!r}, seed={self.truth.seed})")
        return Recording(legs=legs, subject=f"sim-sit-{self.truth.profile}-{self.truth.seed}",
                         meta={"simulated": True, "profile": self.truth.profile, "seed": self.truth.seed})


class _Plan:
    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.components: list[Component] = []
        self.busy: dict[str, list[tuple[float, float]]] = {s: [] for s in SIDES}
        self.blocked: list[tuple[float, float]] = []
        self.next_id = 0

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def posture(self, t_s: float, d_pitch: dict[str, float], duration_s: float) -> None:
        r, mid = self.rng, self.new_id()
        for side in SIDES:
            lag = abs(r.normal(0, 0.2))
            params = {"duration_s": duration_s, "d_pitch_rad": d_pitch[side], "d_roll_rad": np.radians(r.normal(0, 8)),
                      "wobble_rad": np.radians(r.uniform(1, 5)), "wobble_hz": r.uniform(0.8, 2.5), "radius_m": 0.4,
                      "shift_g": r.uniform(0.05, 0.25)}
            self.components.append(Component(mid, "posture_change", side, t_s + lag, t_s + lag + duration_s, params))
        self.blocked.append((t_s - 2.0, t_s + duration_s + 3.0))

    def fidget(self, t_s: float) -> None:
        r, mid = self.rng, self.new_id()
        d = float(r.uniform(2.0, 6.0))
        for side in SIDES:
            parts = int(r.integers(1, 4))
            params = {"duration_s": d, "n_parts": parts, "radius_m": r.uniform(0.15, 0.35), "roll_ratio": r.uniform(-0.4, 0.4),
                      "d_pitch_rad": np.radians(r.normal(0, 1.5)), "d_roll_rad": np.radians(r.normal(0, 3))}
            for k in range(parts):
                params |= {f"start{k}": r.uniform(0, 0.7), f"len{k}": r.uniform(0.15, 0.5), f"angle{k}": np.radians(r.uniform(2, 8))}
            self.components.append(Component(mid, "fidget", side, t_s, t_s + d, params))

    def lm_params(self, duration_s: float) -> dict[str, float]:
        r = self.rng
        angle = np.radians(np.clip(np.exp(r.normal(np.log(9.0), 0.45)), 3.0, 25.0))
        return {"duration_s": duration_s, "angle_rad": float(angle), "rise_s": r.uniform(0.15, 0.5),
                "fall_s": r.uniform(0.3, 1.0), "clonic_hz": r.uniform(1.0, 4.0), "clonic_depth": r.uniform(0.05, 0.3),
                "phase": r.uniform(0, 2 * np.pi), "radius_m": r.uniform(0.15, 0.35), "roll_ratio": r.uniform(-0.3, 0.3),
                "sign": float(r.choice([1.0, 1.0, 1.0, -1.0]))}

    def free(self, side: str, a: float, b: float) -> bool:
        if any(lo < b and a < hi for lo, hi in self.blocked):
            return False
        return all(not (lo - GUARD_S <= b and a <= hi + GUARD_S) for lo, hi in self.busy[side])

    def lm(self, t_s: float, *, run: int, bilateral_share: float, median_s: float) -> bool:
        """Add one LM (one leg, sometimes both overlapping) if it collides with nothing; True if added."""
        r = self.rng
        d = float(np.clip(np.exp(r.normal(np.log(median_s), 0.45)), 0.6, 10.0)) if r.random() > 0.015 \
            else float(r.uniform(10.5, 14.0))                     # a few too long to be CLMs
        first = str(r.choice(SIDES))
        comps = [(first, t_s, d)]
        if r.random() < bilateral_share:
            d2 = float(np.clip(d * np.exp(r.normal(0, 0.3)), 0.6, 10.0)) if d <= 10 else d
            comps.append(("right" if first == "left" else "left", t_s + float(np.clip(r.normal(0, 0.3), -0.5, 0.8 * d)), d2))
        if not all(self.free(side, a, a + dd) for side, a, dd in comps):
            return False
        mid = self.new_id()
        for side, a, dd in comps:
            self.components.append(Component(mid, "lm", side, a, a + dd, self.lm_params(dd), run))
            self.busy[side].append((a, a + dd))
        return True


def _plan_rls(plan: _Plan, t0: float, t1: float) -> None:
    r = plan.rng
    imi_median = r.uniform(11.0, 16.0)
    sigma = r.uniform(0.2, 0.35)
    bilateral, lm_median = r.uniform(0.4, 0.7), r.uniform(4.0, 5.0)
    pause_s = r.uniform(250.0, 450.0)
    t, run = t0 + r.uniform(30, 180), 0
    while t < t1:
        run += 1
        n = max(4, int(round(np.exp(r.normal(np.log(8.0), 0.5)))))
        for _ in range(n):
            if t >= t1:
                break
            plan.lm(t, run=run, bilateral_share=bilateral, median_s=lm_median)
            if r.random() < 0.08:                                 # an extra movement < 10 s later
                plan.lm(t + r.uniform(3.0, 8.0), run=-1, bilateral_share=bilateral, median_s=lm_median)
            t += float(np.exp(r.normal(np.log(imi_median), sigma)))
        progress = min(1.0, (t - t0) / 2700.0)                   # rest effect: pauses shrink over ~45 min
        t += float(r.exponential(pause_s * (1.0 - 0.6 * progress))) + 30.0


def _plan_healthy(plan: _Plan, t0: float, t1: float) -> None:
    r = plan.rng
    rate_h = r.uniform(4.0, 15.0)
    for t in np.sort(r.uniform(t0, t1, r.poisson(rate_h * (t1 - t0) / 3600.0))):
        plan.lm(float(t), run=-1, bilateral_share=0.6, median_s=2.5)
    if r.random() < 0.2:
        t = float(r.uniform(t0, max(t0, t1 - 300.0)))
        for _ in range(int(r.integers(4, 7))):
            plan.lm(t, run=1, bilateral_share=0.6, median_s=2.5)
            t += float(r.uniform(15.0, 40.0))


def simulate_sit(profile: SitProfile = "rls", *, seed: int = 0, minutes: float = 60.0, rate_hz: float = 52.0,
                 breaks: Sequence[tuple[float, float]] = (), noise_g: float | None = None,
                 extra_s: float = 600.0) -> SimulatedSit:
    """Simulate a person doing a SIT of ``minutes`` with two ankle sensors.

    Parameters
    ----------
    profile : {"healthy", "rls"}
        Who sits (module docstring).
    seed : int
        Everything random follows from it.
    minutes : float
        Planned test length in min; the simulated sitter keeps sitting ``extra_s`` s longer (the test
        starts a little after the sitter settles, and the sensors' data must outlast it).
    rate_hz : float
        Sample rate in Hz of the sensors.
    breaks : sequence of (at_min, duration_s)
        Posture breaks: at ``at_min`` minutes after settling in bed the sitter stands up beside the bed for
        ``duration_s`` s and then sits back (legs outstretched again).
    noise_g : float, optional
        Sensor noise SD per axis in g (default: drawn, 1.5-8 mg).

    Returns
    -------
    SimulatedSit
    """
    if profile not in SIT_PROFILES:
        raise ValueError(f"profile must be one of {', '.join(SIT_PROFILES)}, got {profile!r}")
    if not 1.0 <= minutes <= 240.0:
        raise ValueError(f"minutes must lie in [1, 240], got {minutes:g}")
    rng_plan, rng_legs = (np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(2))
    plan = _Plan(rng_plan)
    r = rng_plan
    stand_end = float(r.uniform(35.0, 45.0))
    up_pitch = float(np.radians(r.uniform(82.0, 90.0)))
    bed_pitch = {s: float(np.radians(r.uniform(-3.0, 12.0))) for s in SIDES}
    sit_d = float(r.uniform(3.0, 5.0))
    plan.posture(stand_end, {s: bed_pitch[s] - up_pitch for s in SIDES}, sit_d)
    t = stand_end + sit_d + 2.0
    for _ in range(int(r.integers(1, 3))):                          # getting comfortable
        plan.fidget(t)
        t += float(r.uniform(7.0, 10.0))
    settled = t + 2.0
    duration = settled + minutes * 60.0 + extra_s
    true_breaks = []
    for at_min, dur in breaks:
        a = settled + float(at_min) * 60.0
        if not (settled < a and a + dur + 30.0 < duration):
            raise ValueError(f"break at {at_min:g} min for {dur:g} s does not fit in the simulated test")
        up_d, down_d = float(r.uniform(2.5, 4.0)), float(r.uniform(3.0, 5.0))
        plan.posture(a, {s: up_pitch - bed_pitch[s] for s in SIDES}, up_d)
        plan.posture(a + up_d + dur, {s: bed_pitch[s] - up_pitch for s in SIDES}, down_d)
        plan.blocked.append((a, a + up_d + dur + down_d + 5.0))
        true_breaks.append((a, a + up_d + float(dur) + down_d + 2.0))
    (_plan_rls if profile == "rls" else _plan_healthy)(plan, settled + 5.0, duration - 5.0)
    accel, noise = {}, float(noise_g) if noise_g is not None else float(np.exp(rng_legs.uniform(np.log(0.0015), np.log(0.008))))
    t_true = true_sample_times(duration, fs_hz=rate_hz, drift_ppm=0.0, start_lag_s=0.0)
    leg_rngs = dict(zip(SIDES, (np.random.default_rng(s) for s in np.random.SeedSequence(seed + 7919).spawn(2)), strict=True))
    for side in SIDES:
        rng = leg_rngs[side]
        comps = sorted((c for c in plan.components if c.side == side), key=lambda c: c.onset_s)
        force = specific_force_g(t_true, comps, pitch0_rad=up_pitch, roll0_rad=float(np.radians(rng.normal(0, 10))), rng=rng)
        spec = draw_sensor(rng, mounting="random", noise_g=noise, range_g=8.0, scale_g=16.0 / 65536)
        counts, _ = measure(force, spec, rng)
        accel[side] = counts.astype(np.float32) * np.float32(spec.scale_g)
    lm_rows = [{"onset_s": c.onset_s, "offset_s": c.offset_s, "side": c.side, "type": "lm", "movement_id": c.movement_id,
                "run": c.series} for c in plan.components if c.kind == "lm"]
    lms = pd.DataFrame(lm_rows, columns=["onset_s", "offset_s", "side", "type", "movement_id", "run"])
    lms = lms.sort_values(["onset_s", "side"], kind="stable").reset_index(drop=True)
    start_d, per_h = (float(r.uniform(1.0, 3.0)), float(r.uniform(3.0, 6.0))) if profile == "rls" else \
        (float(r.uniform(0.0, 1.0)), 0.0)
    truth = SitterTruth(profile, int(seed), (2.0, stand_end - 1.0), settled,
                        np.asarray(true_breaks, dtype=float).reshape(-1, 2), lms, start_d, per_h,
                        notes=(f"sensor noise {noise * 1000:.1f} mg",))
    return SimulatedSit(accel, float(rate_hz), float(duration), truth)
