"""The movement plan of the wide and hard families: the classic plan's timing and conflicts, with
movements from the shank model (:mod:`lrm.sim.shank`) sized to the night's amplitude distribution.

What changes against the classic plan (:mod:`lrm.sim.plan`), and why:

* **LMs** get a class (rotation, twitch, tremor: drawn from the night's ``lm_shape_mix``) and a target
  peak drawn from the night's log-normal (``lm_peak_median_g``, ``lm_peak_sigma``); the movement is then
  scaled so that its peak, in the pose the leg lies in at that moment, meets the target
  (:func:`lrm.sim.shank.scale_to_peak`). A bilateral LM's second leg mostly shares the class (80 %) and
  has its own size (x e^N(0, 0.4)): the two tibialis anterior muscles are not equally active (docs/scoring.md
  §1.2 step 4, bilateral LMs). Durations 0.5-10 s around the night's median (§2.4), 1.5 % longer.
* Pivots (:mod:`lrm.sim.shank`, Winter's segment lengths): the heel (knee rises, heel stays on the
  mattress: r = -0.06..-0.15 m), the knee (foot lifts: 0.28-0.42 m) or the hip (the whole leg: 0.6-0.9 m).
* Time course. Rotation: rise 0.3-1.5 s and release 0.3-2 s (within LMs of 0.5-10 s, 3-4 s typical,
  docs/scoring.md §2.4, and keeping the energy below ~6 Hz, §6), hold creep +-15 % and a clonic ripple of
  3-15 % at 1-4 Hz in half of them (tonic/clonic pattern, §6), axial rotation up to +-0.3 of the flexion
  (hip rotation with flexion). Twitch: pulses of 80-300 ms (the EMG bursts of jerks and myoclonus are
  75-250 ms, §3), 0.05-0.45 s apart (EMG gaps < 0.5 s keep one LM, §1.2 step 1), tonic offset 0-20 %.
  Tremor: 1-4 Hz, duty so that gaps stay < 0.5 s, tonic 0-50 %, burst heights +-30 %. Ring-down after
  brief pulses at 5-20 Hz, decaying in 30-150 ms, 5-50 % of the pulse: the shank's soft tissue and the
  strap ring at the order of 10-20 Hz after an impact (Wakeling & Nigg, J Appl Physiol 2001;90:412-20).
* **Hypnic jerks**: 75-250 ms (§3.1), one of four variants, size from the night's jerk median
  (x e^N(0, 0.4), 0.08-4 g), bilateral in 80 % with the second leg within tens of ms and its own size,
  from 2 min before to 3 min after a sleep onset or re-onset (the falling-asleep period and light sleep,
  §3.1), the first onset ``jerk_first_onset_weight`` times likelier; isolated by 10 s from any other
  movement and moved out of runs of restless wake within its window as in the classic plan
  (:meth:`lrm.sim.plan.Planner.resolve`: a jerk is isolated, and one of a run of restless wake movements
  never is one), re-sized for the pose at its new time.
* **Distractors**: roll-overs, fidgets and foot tremor/ALMA trains at the profile's rates times
  ``distractor_scale``; trains at any sleep onset; extra restless movements while lying awake before
  the first sleep onset (RLS: its urge to move peaks then; everyone shifts while falling asleep);
  walking at the night's stride rate (+-10 % per bout) with 10-35 deg shank swing and 0.3-3 g heel strikes.
"""

from __future__ import annotations

import bisect
from dataclasses import replace

import numpy as np

from lrm.sim.movements import G
from lrm.sim.plan import SIDES, Component, Planner
from lrm.sim.profiles import Profile, SimVariation
from lrm.sim.shank import JERK_VARIANTS, SHANK_KINDS, scale_to_peak
from lrm.sim.timeline import Timeline

__all__ = ["WidePlanner", "LM_CLASSES"]

LM_CLASSES = ("rotation", "twitch", "tremor")
#: the largest ``amp`` of each movement (rad; m for the axial jolt): what a sleeping leg can do
MAX_AMP = {"lm_rotation": np.radians(45.0), "lm_twitch": np.radians(6.0), "lm_tremor": np.radians(15.0),
           "jerk": np.radians(12.0), "jerk_axial": 0.05}
JERK_VARIANT_P = (0.4, 0.25, 0.15, 0.2)  # flexion, biphasic, axial, shift


class WidePlanner(Planner):
    """The classic planner with shank-model LMs and jerks and the family's distractor rates."""

    train_onsets = None  # foot tremor / ALMA at any sleep onset

    def __init__(self, rng: np.random.Generator, profile: Profile, var: SimVariation, tl: Timeline) -> None:
        s = var.distractor_scale or 1.0
        profile = replace(profile, rollovers_per_h=(profile.rollovers_per_h[0] * s, profile.rollovers_per_h[1] * s),
                          fidgets_per_h_wake=(profile.fidgets_per_h_wake[0] * s, profile.fidgets_per_h_wake[1] * s),
                          tremor_prob=min(0.9, profile.tremor_prob * s))
        super().__init__(rng, profile, var, tl)
        self.pose_log: dict[str, list[tuple[float, float, float]]] = {side: [] for side in SIDES}
        self.jerk_peaks: dict[tuple[int, str], tuple[float, float]] = {}  # (id, side) -> (target peak g, amp cap)

    # --- where each leg lies -----------------------------------------------------------------------
    def add_posture(self, t_s: float, poses: dict[str, tuple[float, float]], state: dict[str, list[float]],
                    big: bool) -> None:
        first = len(self.fixed)
        super().add_posture(t_s, poses, state, big)
        for comp in self.fixed[first:]:
            self.pose_log[comp.side].append((comp.offset_s, *state[comp.side]))

    def plan_postures(self) -> dict[str, list[float]]:
        initial = super().plan_postures()
        for side in SIDES:
            self.pose_log[side] = [(-np.inf, *initial[side]), *sorted(self.pose_log[side])]
        return initial

    def pose_at(self, side: str, t_s: float) -> tuple[float, float]:
        """The planned resting (pitch, roll) of ``side`` at ``t_s`` (rad): the last posture change before it."""
        log = self.pose_log[side]
        k = bisect.bisect_right([row[0] for row in log], t_s) - 1
        return log[max(k, 0)][1], log[max(k, 0)][2]

    # --- leg movements -----------------------------------------------------------------------------
    def lm_duration(self, wake: bool) -> float:
        r = self.rng
        if r.random() < 0.015:
            return float(r.uniform(10.5, 20.0))  # long LM: not a CLM, breaks series (§1.2 step 3)
        median = (self.var.lm_duration_median_s or self.profile.lm_duration_median_s) * (1.4 if wake else 1.0)
        return float(np.clip(np.exp(r.normal(np.log(median), 0.45)), 0.5, 10.0))

    def lm_peak_g(self) -> float:
        v = self.var
        return float(np.clip(np.exp(self.rng.normal(np.log(v.lm_peak_median_g or 0.1), v.lm_peak_sigma or 0.5)),
                             0.003, 3.0))

    def lm_class(self) -> str:
        mix = self.var.lm_shape_mix or {"rotation": 1.0}
        p = np.array([mix.get(c, 0.0) for c in LM_CLASSES], dtype=float)
        return str(self.rng.choice(LM_CLASSES, p=p / p.sum()))

    def add_lm(self, onset_s: float, wake: bool, prefer: str | None = None, series: int = -1) -> None:
        r, v = self.rng, self.var
        mid, d = self.new_id(), self.lm_duration(wake)
        first = prefer if prefer and r.random() < 0.8 else str(r.choice(SIDES))
        cls, peak = self.lm_class(), self.lm_peak_g()
        comps = [self.lm_component(mid, first, onset_s, d, cls, peak, series)]
        if r.random() < (v.bilateral_share or 0.5):
            other = "right" if first == "left" else "left"
            d2 = float(np.clip(d * np.exp(r.normal(0, 0.3)), 0.5, 10.0)) if d <= 10 else d
            if r.random() < 0.93:  # overlapping contralateral activity (§1.2 step 4: 93 %)
                lag = float(np.clip(r.normal(0.0, 0.3), -0.8 * d2, 0.8 * d))
            else:  # contralateral activity within 5 s that does not overlap (a separate LM)
                lag = d + r.uniform(0.8, 3.0)
            cls2 = cls if r.random() < 0.8 else self.lm_class()
            peak2 = float(np.clip(peak * np.exp(r.normal(0.0, 0.4)), 0.003, 3.0))
            comps.append(self.lm_component(mid, other, onset_s + lag, d2, cls2, peak2, series))
        self.candidates.append(comps)

    def lm_component(self, mid: int, side: str, onset_s: float, duration_s: float, cls: str, peak_g: float,
                     series: int) -> Component:
        """One leg's LM of class ``cls`` whose peak change is ``peak_g`` in the pose it starts in."""
        kind = f"lm_{cls}"
        params = getattr(self, f"{cls}_params")(duration_s, peak_g)
        params = scale_to_peak(SHANK_KINDS[kind], params, peak_g, *self.pose_at(side, onset_s), max_amp=MAX_AMP[kind])
        return Component(mid, "lm", side, onset_s, onset_s + duration_s, params, series, False, kind)

    def pivot(self, *, heel: float) -> tuple[float, float]:
        """(signed radius m, flexion sign) of a pivot: heel with probability ``heel``, else knee, 1 in 3 hip."""
        r = self.rng
        if r.random() < heel:
            return -r.uniform(0.06, 0.15), 1.0   # knee rises, heel stays: the shank's elevation grows
        if r.random() < 2.0 / 3.0:
            return r.uniform(0.28, 0.42), -1.0   # the foot lifts about the knee
        return r.uniform(0.6, 0.9), -1.0         # the whole leg lifts about the hip

    def rotation_params(self, d: float, peak_g: float) -> dict[str, float]:
        r = self.rng
        radius, sign = self.pivot(heel=0.4)
        return {"duration_s": d, "amp": peak_g, "rise_s": r.uniform(0.3, 1.5), "fall_s": r.uniform(0.3, 2.0),
                "creep": r.uniform(-0.15, 0.15), "clonic_depth": 0.0 if r.random() < 0.5 else r.uniform(0.03, 0.15),
                "clonic_hz": r.uniform(1.0, 4.0), "phase": r.uniform(0, 2 * np.pi), "roll_ratio": r.uniform(-0.3, 0.3),
                "lasting": 0.0 if r.random() < 0.5 else r.uniform(-0.1, 0.1), "sign": sign * r.choice([1.0, 1.0, 1.0, -1.0]),
                "radius_m": radius}

    def twitch_params(self, d: float, peak_g: float) -> dict[str, float]:
        r = self.rng
        radius, _ = self.pivot(heel=0.0)
        width = r.uniform(0.08, 0.3)
        return {"duration_s": d, "amp": peak_g * G * width**2 / (2 * np.pi**2 * radius), "width_s": width,
                "hold": r.uniform(0.0, 0.2), "jitter_seed": float(r.integers(1 << 30)), "ring_rel": r.uniform(0.05, 0.3),
                "ring_hz": r.uniform(5.0, 20.0), "ring_tau_s": r.uniform(0.03, 0.12), "roll_ratio": r.uniform(-0.3, 0.3),
                "sign": float(r.choice([1.0, -1.0])), "radius_m": radius}

    def tremor_params(self, d: float, peak_g: float) -> dict[str, float]:
        r = self.rng
        radius, sign = self.pivot(heel=0.3)
        rate = r.uniform(1.0, 4.0)
        return {"duration_s": d, "amp": peak_g / (1.0 + (2 * np.pi * rate) ** 2 * abs(radius) / G), "rate_hz": rate,
                "duty": r.uniform(max(0.3, 1.0 - 0.45 * rate), 0.8),  # gaps between bursts < 0.5 s: one LM
                "tonic": r.uniform(0.0, 0.5), "jitter": r.uniform(0.0, 0.3), "jitter_seed": float(r.integers(1 << 30)),
                "rise_s": r.uniform(0.2, 0.8), "fall_s": r.uniform(0.2, 1.0), "roll_ratio": r.uniform(-0.3, 0.3),
                "sign": sign * r.choice([1.0, -1.0]), "radius_m": radius}

    # --- sleep-onset events and distractors --------------------------------------------------------
    def plan_jerks(self) -> None:
        r, tl, v = self.rng, self.tl, self.var
        onsets = tl.sleep_onsets_s
        weights = np.array([v.jerk_first_onset_weight or 3.0] + [1.0] * (len(onsets) - 1))
        for k in r.choice(len(onsets), size=int(v.hypnic_jerks or 0), p=weights / weights.sum()):
            t = onsets[k] + r.uniform(-120.0, 180.0)
            mid, width = self.new_id(), r.uniform(0.075, 0.25)
            self.jerk_windows[mid] = (onsets[k] - 120.0, onsets[k] + 180.0)
            variant = int(r.choice(len(JERK_VARIANTS), p=JERK_VARIANT_P))
            peak = float(np.clip(np.exp(r.normal(np.log(v.jerk_peak_median_g or 0.8), 0.4)), 0.08, 4.0))
            sides = SIDES if r.random() < 0.8 else (str(r.choice(SIDES)),)
            comps = []
            for i, side in enumerate(sides):
                if i:
                    variant = variant if r.random() < 0.8 else int(r.choice(len(JERK_VARIANTS), p=JERK_VARIANT_P))
                    peak = float(np.clip(peak * np.exp(r.normal(0.0, 0.3)), 0.08, 4.0))
                lag = abs(r.normal(0.0, 0.02)) if i else 0.0
                params = self.jerk_params(width, variant, peak)
                cap = MAX_AMP["jerk_axial" if JERK_VARIANTS[variant] == "axial" else "jerk"]
                params = scale_to_peak(SHANK_KINDS["jerk"], params, peak, *self.pose_at(side, t + lag), max_amp=cap)
                self.jerk_peaks[(mid, side)] = (peak, cap)
                comps.append(Component(mid, "hypnic_jerk", side, t + lag, t + lag + width, params, shape="jerk"))
            self.candidates.insert(0, comps)

    def shift_movement(self, movement: list[Component], shift_s: float) -> list[Component]:
        """A jerk moved out of a restless run (:meth:`Planner.resolve`), re-sized to its target peak in the pose
        the leg lies in at its new time (as when it was planned); other movements are only moved."""
        moved = super().shift_movement(movement, shift_s)
        out = []
        for old, c in zip(movement, moved):
            target = self.jerk_peaks.get((c.movement_id, c.side))
            if target and self.pose_at(c.side, c.onset_s) != self.pose_at(c.side, old.onset_s):
                c = replace(c, params=scale_to_peak(SHANK_KINDS["jerk"], c.params, target[0],
                                                    *self.pose_at(c.side, c.onset_s), max_amp=target[1]))
            out.append(c)
        return out

    def jerk_params(self, width: float, variant: int, peak_g: float) -> dict[str, float]:
        r = self.rng
        radius = r.uniform(0.6, 0.9) if r.random() < 0.5 else r.uniform(0.28, 0.42)
        amp = peak_g * G * width**2 / (2 * np.pi**2) * (1.0 if JERK_VARIANTS[variant] == "axial" else 1.0 / radius)
        return {"duration_s": width, "variant": float(variant), "amp": amp, "radius_m": radius,
                "sign": float(r.choice([1.0, -1.0])), "rebound": r.uniform(0.3, 0.7), "rebound_width": r.uniform(1.0, 2.0),
                "lasting_rad": np.radians(r.uniform(0.5, 3.0)), "ring_rel": r.uniform(0.1, 0.5),
                "ring_hz": r.uniform(5.0, 20.0), "ring_tau_s": r.uniform(0.03, 0.15), "roll_ratio": r.uniform(-0.4, 0.4)}

    def plan_walks(self) -> None:
        r = self.rng
        for a, b in self.tl.walks:
            mid, phase = self.new_id(), r.uniform(0, 2 * np.pi)
            stride = (self.var.walk_stride_hz or 0.9) * r.uniform(0.9, 1.1)
            swing, impact = np.radians(r.uniform(10, 35)), r.uniform(0.3, 3.0)
            for k, side in enumerate(SIDES):
                params = {"duration_s": b - a, "stride_hz": stride, "phase": phase + k * np.pi, "swing_rad": swing,
                          "radius_m": 0.45, "impact_g": impact * r.uniform(0.8, 1.2)}
                self.fixed.append(Component(mid, "walking", side, a, b, params))

    def plan_restless(self) -> None:
        """Restless adjustments while lying awake before the first sleep onset (20-60 /h, x2 in RLS)."""
        r, tl = self.rng, self.tl
        start, end = tl.lights_out_s, tl.sleep_onsets_s[0]
        rate = r.uniform(20.0, 60.0) * (self.var.distractor_scale or 1.0) * (2.0 if self.profile.name == "rls" else 1.0)
        for t in np.sort(r.uniform(start, end, r.poisson(rate * max(end - start, 0.0) / 3600.0))):
            if self.allowed(float(t), wake_ok=True):
                self.add_fidget(float(t))
