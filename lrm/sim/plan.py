"""Plan a night's movements: when each happens, on which leg, with what waveform parameters.

The plan is a list of :class:`Component` (one leg's part of one movement). A bilateral LM is two
components sharing a ``movement_id``. Movements that would collide (an LM during a roll-over or while
upright, two movements on one leg less than 1 s apart) are dropped, so every planned LM is unambiguous.
Hypnic jerks are isolated (no other movement within 10 s) and never one of a run of restless wake
movements: one drawn amid such a run is moved later within its onset window (:meth:`Planner.resolve`,
docs/scoring.md §3.1).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass, field, replace

import numpy as np

from lrm.sim.movements import G
from lrm.sim.profiles import Profile, SimVariation
from lrm.sim.timeline import Timeline

__all__ = ["Component", "Plan", "Planner", "plan_night", "run_neighbours"]

SIDES = ("left", "right")
GUARD_S = 1.0  # minimum gap between two movements on one leg, s
POSTURE_GUARD_S = 2.0  # no LM this close to a posture change or walking, s
ISOLATION_S = 10.0  # no other movement on either leg this close to a hypnic jerk, s
RUN_GAP_S = 30.0  # movements this close (end to start, s) are linked into one run: one PSG epoch
RUN_MAX_OTHERS = 2  # a hypnic jerk is linked to at most this many other movements (with 3 more it is one of a run)
JERK_STEP_S = 1.0  # a jerk inside a run is moved later within its onset window in steps of this, s
JERK_MARGIN_S = 5.0  # a moved jerk lies this far into its admissible stretch (or in its middle), s: half the isolation
NOT_RESTLESS = ("tremor", "alma")  # hypnagogic trains (docs/scoring.md §3.2) are no wake restlessness


@dataclass(frozen=True, slots=True)
class Component:
    movement_id: int
    kind: str
    side: str
    onset_s: float
    offset_s: float
    params: dict[str, float]
    series: int = -1  # generated PLM series number (-1: not generated as part of a series)
    weak: bool = False
    shape: str = ""  # the waveform rendered when it is not ``kind`` (lrm.sim.shank: lm_rotation, jerk, ...)


@dataclass(frozen=True, slots=True)
class Plan:
    components: list[Component]
    initial_pitch_rad: dict[str, float]
    initial_roll_rad: dict[str, float]
    blocked: np.ndarray = field(default_factory=lambda: np.empty((0, 2)))


class Planner:
    """The classic plan: posture, walking, PLM series, isolated LMs, trains, jerks and fidgets with the
    waveforms of :mod:`lrm.sim.movements`; subclasses (:mod:`lrm.sim.plan_wide`) change the movements."""

    train_onsets: int | None = 2  # foot tremor / ALMA trains are tried at this many first sleep onsets

    def __init__(self, rng: np.random.Generator, profile: Profile, var: SimVariation, tl: Timeline) -> None:
        self.rng, self.profile, self.var, self.tl = rng, profile, var, tl
        self.fixed: list[Component] = []  # posture changes and walking: always kept
        self.candidates: list[list[Component]] = []  # movements (lists of components) in priority order
        self.jerk_windows: dict[int, tuple[float, float]] = {}  # jerk movement id -> its onset window (s)
        self.next_id = 0

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    # --- posture -------------------------------------------------------------------------------
    def lying_pose(self) -> tuple[float, float]:
        r = self.rng
        kind = r.choice(["supine", "side", "prone"], p=[0.45, 0.45, 0.1])
        roll = {"supine": r.normal(0, 12), "side": r.choice([-1, 1]) * r.uniform(60, 110), "prone": 180 + r.normal(0, 12)}[kind]
        return float(np.radians(r.uniform(-8, 35))), float(np.radians(roll))

    def upright_pose(self) -> tuple[float, float]:
        return float(np.radians(self.rng.uniform(70, 95))), float(np.radians(self.rng.normal(0, 12)))

    def add_posture(self, t_s: float, poses: dict[str, tuple[float, float]], state: dict[str, list[float]], big: bool) -> None:
        r, mid = self.rng, self.new_id()
        d = r.uniform(2.0, 5.0) if big else r.uniform(1.0, 3.5)
        for side in SIDES:
            lag = abs(r.normal(0, 0.25))
            dp, dr = poses[side][0] - state[side][0], poses[side][1] - state[side][1]
            dr = (dr + np.pi) % (2 * np.pi) - np.pi  # roll the short way round
            params = {"duration_s": d, "d_pitch_rad": dp, "d_roll_rad": dr, "wobble_rad": np.radians(r.uniform(1, 6)),
                      "wobble_hz": r.uniform(0.8, 3.0), "radius_m": 0.4, "shift_g": r.uniform(0.05, 0.3)}
            self.fixed.append(Component(mid, "posture_change", side, t_s + lag, t_s + lag + d, params))
            state[side] = [state[side][0] + dp, state[side][1] + dr]

    def plan_postures(self) -> dict[str, list[float]]:
        r, tl = self.rng, self.tl
        up = self.upright_pose()
        initial = {s: [up[0] + r.normal(0, 0.05), up[1] + r.normal(0, 0.1)] for s in SIDES}
        state = {s: list(v) for s, v in initial.items()}
        changes: list[tuple[float, str]] = [(tl.lights_out_s - 6.0, "lie")]
        for a, b in tl.out_of_bed:
            changes += [(a - 6.0, "up"), (b - 6.0, "lie")]
        changes.append((tl.lights_on_s, "up"))
        in_bed_h = (tl.lights_on_s - tl.lights_out_s) / 3600.0
        n_roll = r.poisson(r.uniform(*self.profile.rollovers_per_h) * in_bed_h)
        for t in r.uniform(tl.lights_out_s + 60.0, tl.lights_on_s - 60.0, n_roll):
            if not any(a - 120 < t < b + 60 for a, b in tl.out_of_bed):
                changes.append((float(t), "roll"))
        for a, b in tl.upright():  # sit down / stand up while upright
            if b - a > 240:
                changes.append((float(r.uniform(a + 60, b - 60)), "shift"))
        for t, what in sorted(changes):
            if what in ("lie", "roll"):
                pose = self.lying_pose()
            else:
                pose = self.upright_pose()
            poses = {s: (pose[0] + r.normal(0, np.radians(8)), pose[1] + r.normal(0, np.radians(15))) for s in SIDES}
            self.add_posture(t, poses, state, big=what in ("lie", "up"))
        return initial

    def plan_walks(self) -> None:
        r = self.rng
        for a, b in self.tl.walks:
            mid, stride, phase = self.new_id(), r.uniform(0.8, 1.0), r.uniform(0, 2 * np.pi)
            swing, impact = np.radians(r.uniform(15, 30)), r.uniform(0.6, 2.5)
            for k, side in enumerate(SIDES):
                params = {"duration_s": b - a, "stride_hz": stride, "phase": phase + k * np.pi, "swing_rad": swing,
                          "radius_m": 0.45, "impact_g": impact * r.uniform(0.8, 1.2)}
                self.fixed.append(Component(mid, "walking", side, a, b, params))

    # --- leg movements -------------------------------------------------------------------------
    def lm_params(self, duration_s: float, weak: bool, angle_scale: float = 1.0) -> dict[str, float]:
        r, v = self.rng, self.var
        rise, radius = r.uniform(0.15, 0.5), r.uniform(0.15, 0.35)
        if weak:  # peak tangential accel 3-6x the noise: A/2 (pi/rise)^2 r = peak
            peak_g = r.uniform(3.0, 6.0) * (v.noise_g or 0.004)
            angle = 2.0 * peak_g * G / ((np.pi / rise) ** 2 * radius)
        else:
            angle = np.radians(np.clip(np.exp(r.normal(np.log(9.0), 0.5)) * (v.lm_amplitude_scale or 1.0) * angle_scale, 1.5, 30))
        return {"duration_s": duration_s, "angle_rad": float(angle), "rise_s": rise, "fall_s": r.uniform(0.3, 1.0),
                "clonic_hz": r.uniform(1.0, 4.0), "clonic_depth": r.uniform(0.05, 0.3), "phase": r.uniform(0, 2 * np.pi),
                "radius_m": radius, "roll_ratio": r.uniform(-0.3, 0.3), "sign": float(r.choice([1.0, 1.0, 1.0, -1.0]))}

    def lm_duration(self, wake: bool) -> float:
        r = self.rng
        if r.random() < 0.015:
            return float(r.uniform(10.5, 20.0))  # long LM: not a CLM, breaks series (§1.2 step 3)
        median = self.profile.lm_duration_median_s * (1.4 if wake else 1.0)
        return float(np.clip(np.exp(r.normal(np.log(median), 0.45)), 0.6, 10.0))

    def add_lm(self, onset_s: float, wake: bool, prefer: str | None = None, series: int = -1) -> None:
        r, v = self.rng, self.var
        mid, d = self.new_id(), self.lm_duration(wake)
        weak = r.random() < (v.weak_lm_share or 0.0)
        first = prefer if prefer and r.random() < 0.8 else str(r.choice(SIDES))
        comps = [Component(mid, "lm", first, onset_s, onset_s + d, self.lm_params(d, weak), series, weak)]
        if r.random() < (v.bilateral_share or 0.5):
            other = "right" if first == "left" else "left"
            d2 = float(np.clip(d * np.exp(r.normal(0, 0.3)), 0.6, 10.0)) if d <= 10 else d
            if r.random() < 0.93:  # overlapping contralateral activity
                lag = float(np.clip(r.normal(0.0, 0.3), -0.8 * d2, 0.8 * d))
            else:  # contralateral activity within 5 s that does not overlap (a separate LM)
                lag = d + r.uniform(0.8, 3.0)
            comps.append(Component(mid, "lm", other, onset_s + lag, onset_s + lag + d2, self.lm_params(d2, weak), series, weak))
        self.candidates.append(comps)

    def allowed(self, t_s: float, wake_ok: bool) -> bool:
        tl = self.tl
        if not tl.lights_out_s < t_s < tl.lights_on_s or any(a <= t_s <= b for a, b in tl.out_of_bed):
            return False
        stage = tl.stage_at(np.array([t_s]))[0]
        return stage in ("N1", "N2", "N3") or (wake_ok and stage == "W")

    def plan_series(self) -> None:
        r, v, p, tl = self.rng, self.var, self.profile, self.tl
        epoch_t = np.arange(len(tl.stages)) * 30.0 + 15.0
        stage = tl.stage_at(epoch_t)
        in_bed = (epoch_t > tl.lights_out_s) & (epoch_t < tl.lights_on_s)
        sleep_w = np.select([stage == "N1", stage == "N2", stage == "N3", stage == "R"], [1.0, 1.0, 0.5, 0.05], 0.0)
        sleep_w *= in_bed * np.exp(-(epoch_t - tl.lights_out_s) / 3600.0 / r.uniform(4.0, 10.0))
        wake_w = (stage == "W") * in_bed
        for k in range(len(tl.out_of_bed)):
            wake_w[(epoch_t >= tl.out_of_bed[k, 0]) & (epoch_t <= tl.out_of_bed[k, 1])] = 0
        sleep_h = float(np.isin(stage, ["N1", "N2", "N3", "R"]).sum() * 30.0 / 3600.0)
        # x1.3: short IMIs, posture changes, REM and wake cut about a quarter of the generated LMs out of series
        target = 1.3 * (v.plm_index_per_h or 0.0) * sleep_h
        placed, series = 0, 0
        while placed < target:
            wake = r.random() < p.wake_plm_share and wake_w.sum() > 0
            weights = wake_w if wake else sleep_w
            if weights.sum() <= 0:
                break
            start = float(r.choice(epoch_t, p=weights / weights.sum()) + r.uniform(-15, 15))
            n = max(4, int(round(np.exp(r.normal(np.log(p.series_len_median), 0.6)))))
            imis = np.exp(r.normal(np.log((v.imi_median_s or 25.0) * (0.8 if wake else 1.0)), v.imi_sigma or 0.25, n))
            onsets = start + np.concatenate(([0.0], np.cumsum(imis[:-1])))
            series += 1
            prefer, before = str(r.choice(SIDES)), placed
            for t in onsets:
                if not self.allowed(float(t), wake_ok=wake):
                    break  # the series ends at wake, REM or leaving the bed
                self.add_lm(float(t), wake, prefer, series)
                placed += 1
                if r.random() < p.short_imi_prob:
                    self.add_lm(float(t + r.uniform(2.0, 9.0)), wake, prefer)
            placed += placed == before  # guarantees progress when a series is cut at once

    def plan_isolated(self) -> None:
        r, tl = self.rng, self.tl
        n = r.poisson(r.uniform(*self.profile.isolated_lm_per_h) * (tl.lights_on_s - tl.lights_out_s) / 3600.0)
        for t in r.uniform(tl.lights_out_s, tl.lights_on_s, n):
            if self.allowed(float(t), wake_ok=True):
                self.add_lm(float(t), tl.stage_at(np.array([t]))[0] == "W")

    # --- sleep-onset events ----------------------------------------------------------------------
    def plan_jerks(self) -> None:
        r, tl = self.rng, self.tl
        onsets = tl.sleep_onsets_s
        n = int(self.var.hypnic_jerks or 0)
        weights = np.array([3.0] + [1.0] * (len(onsets) - 1))
        for k in r.choice(len(onsets), size=n, p=weights / weights.sum()):
            t = onsets[k] + r.uniform(-90.0, 60.0)
            mid, d, bilateral = self.new_id(), r.uniform(0.08, 0.25), r.random() < 0.85
            self.jerk_windows[mid] = (onsets[k] - 90.0, onsets[k] + 60.0)
            sides = SIDES if bilateral else (str(r.choice(SIDES)),)
            comps = []
            for side in sides:
                lag = abs(r.normal(0, 0.02))
                radius, peak_g = r.uniform(0.25, 0.45), np.exp(r.uniform(np.log(0.3), np.log(2.0)))
                angle = peak_g * G * d**2 / (2 * np.pi**2 * radius)  # peak tangential accel 2 A (pi/d)^2 r = peak
                params = {"duration_s": d, "angle_rad": angle, "radius_m": radius,
                          "ring_hz": r.uniform(8, 15), "ring_tau_s": r.uniform(0.04, 0.12), "ring_g": r.uniform(0.05, 0.4),
                          "sign": float(r.choice([1.0, -1.0])), "roll_ratio": r.uniform(-0.4, 0.4)}
                comps.append(Component(mid, "hypnic_jerk", side, t + lag, t + lag + d, params))
            self.candidates.insert(0, comps)

    def plan_trains(self) -> None:
        r, tl = self.rng, self.tl
        for onset in tl.sleep_onsets_s[:self.train_onsets]:
            if r.random() >= self.profile.tremor_prob:
                continue
            mid, t, alma = self.new_id(), onset - r.uniform(0, 120), r.random() < 0.4
            rate, d = (r.uniform(1.0, 2.0), r.uniform(5, 20)) if alma else (r.uniform(1.0, 2.0), r.uniform(10, 15))
            burst = r.uniform(0.1, 0.45) if alma else r.uniform(0.3, 0.6)
            sides = SIDES if (alma or r.random() < 0.3) else (str(r.choice(SIDES)),)
            comps = []
            for k, side in enumerate(sides):
                first = k * 0.5 / rate if alma else 0.0
                params = {"duration_s": d, "rate_hz": rate, "burst_s": burst, "first_s": first,
                          "angle_rad": np.radians(r.uniform(1.0, 4.0)), "radius_m": r.uniform(0.15, 0.3)}
                comps.append(Component(mid, "alma" if alma else "tremor", side, t, t + d, params))
            self.candidates.insert(0, comps)

    def plan_fidgets(self) -> None:
        r, tl = self.rng, self.tl
        rate = r.uniform(*self.profile.fidgets_per_h_wake)
        t_grid = np.arange(tl.lights_out_s, tl.lights_on_s, 30.0)
        wake = t_grid[tl.stage_at(t_grid) == "W"]
        n = r.poisson(rate * wake.size * 30.0 / 3600.0)
        for t in r.choice(wake, size=n) + r.uniform(0, 30, n) if wake.size else []:
            if self.allowed(float(t), wake_ok=True):
                self.add_fidget(float(t))

    def add_fidget(self, t: float) -> None:
        """A restless adjustment at ``t`` s on one or both legs (a candidate: conflicts drop it)."""
        r = self.rng
        mid, d = self.new_id(), float(np.exp(r.normal(np.log(4.0), 0.7)).clip(1.0, 25.0))
        sides = SIDES if r.random() < 0.5 else (str(r.choice(SIDES)),)
        comps = []
        for side in sides:
            parts = int(r.integers(1, 5))
            params = {"duration_s": d, "n_parts": parts, "radius_m": r.uniform(0.15, 0.4), "roll_ratio": r.uniform(-0.5, 0.5),
                      "d_pitch_rad": np.radians(r.normal(0, 2)), "d_roll_rad": np.radians(r.normal(0, 4))}
            for k in range(parts):
                params |= {f"start{k}": r.uniform(0, 0.8), f"len{k}": r.uniform(0.1, 0.5), f"angle{k}": np.radians(r.uniform(2, 10))}
            comps.append(Component(mid, "fidget", side, float(t), float(t) + d, params))
        self.candidates.append(comps)

    def plan_restless(self) -> None:
        """Extra restless movements before sleep onset: none in the classic plan (see lrm.sim.plan_wide)."""

    # --- conflicts -------------------------------------------------------------------------------
    def resolve(self) -> tuple[list[Component], np.ndarray]:
        """The movements kept (conflicts dropped; hypnic jerks moved out of restless runs) and the blocked spans.

        A hypnic jerk is isolated and happens at a wake-to-sleep transition (docs/scoring.md §3.1; issue 11:
        "a movement inside a PLM series ... or one of a run of restless wake movements is never a jerk"). The
        10 s isolation pad keeps other movements off it, but drawn within its onset window it may still fall
        amid restless wake: linked by gaps of <= ``RUN_GAP_S`` (one PSG epoch, so no epoch of sleep between)
        to ``RUN_MAX_OTHERS`` + 1 or more other movements, which with it make a run of >= 4, the smallest run
        in every scoring rule for repeated leg movements (§1.2 step 7, §3.2), or within ``ISOLATION_S`` of a
        posture change or walking (always kept, so the pad cannot clear them). Such a jerk is moved later in
        steps of ``JERK_STEP_S`` into the first stretch of its window where it is in no such run and isolated
        (then earlier, if none is later; :meth:`_place_jerk`), or dropped if there is none: the night's other
        movements and every random draw stay as they were (the move draws nothing). Jerks are placed in
        priority order, each checked with those placed before it.
        """
        candidates = list(self.candidates)
        kept, blocked = self._resolve(candidates)
        placed: list[int] = []
        for i, movement in enumerate(self.candidates):
            if not movement or movement[0].kind != "hypnic_jerk":
                continue
            placed.append(movement[0].movement_id)
            found = self._place_jerk(i, movement, candidates, placed)
            if found is None:
                candidates[i] = []  # nowhere in its window out of a run: not planted
                kept, _ = self._resolve(candidates)
            elif found:
                candidates, kept = found
        return kept, blocked

    def _place_jerk(self, i: int, movement: list[Component], candidates: list[list[Component]], placed: list[int]
                    ) -> tuple[list[list[Component]], list[Component]] | tuple[()] | None:
        """(candidates, kept) with jerk ``i`` moved where it is admissible; () to leave it as drawn (admissible, or
        dropped by a conflict there anyway); None when no time in its window is admissible.

        A moved jerk goes ``JERK_MARGIN_S`` into the first admissible stretch (later first, then earlier) that
        has that margin on both sides, else to the middle of the longest one: the first admissible second lies
        exactly at the isolation or run limit on the true movements, an artefact of the search, and a
        detector's ~1 s window stretches every neighbour towards it (docs/scoring.md §3.1)."""
        mid, margin = movement[0].movement_id, int(round(JERK_MARGIN_S / JERK_STEP_S))
        stretches: list[list[tuple[list[list[Component]], list[Component]]]] = [[]]
        sign = 0.0
        for shift in self._jerk_shifts(movement):
            trial = list(candidates)
            trial[i] = self.shift_movement(movement, shift)
            trial_kept, _ = self._resolve(trial)
            here = mid in {c.movement_id for c in trial_kept}
            good = here and self._jerks_apart(trial_kept, placed)
            if shift == 0.0 and (good or not here):
                return ()
            if stretches[-1] and (not good or np.sign(shift) != sign):
                stretches.append([])
            if good:
                stretches[-1].append((trial, trial_kept))
                sign = np.sign(shift)
                if len(stretches[-1]) > 2 * margin:
                    return stretches[-1][margin]
        best = max(stretches, key=len)
        return best[(len(best) - 1) // 2] if best else None

    def _jerk_shifts(self, movement: list[Component]) -> list[float]:
        """Shifts (s) to try for a jerk: none, then later and then earlier within its onset window."""
        t = min(c.onset_s for c in movement)
        lo, hi = self.jerk_windows.get(movement[0].movement_id, (t, t))
        later = np.arange(JERK_STEP_S, hi - t + 1e-9, JERK_STEP_S)
        earlier = -np.arange(JERK_STEP_S, t - lo + 1e-9, JERK_STEP_S)
        return [0.0, *later.tolist(), *earlier.tolist()]

    @staticmethod
    def _jerks_apart(kept: list[Component], jerk_ids: list[int]) -> bool:
        """True when every jerk in ``jerk_ids`` that is kept lies in no restless run (:func:`run_neighbours`) and
        no other movement, posture changes and walking included (which the isolation pad cannot drop), comes
        within ``ISOLATION_S`` of it."""
        others = run_neighbours(kept)
        if any(others.get(m, 0) > RUN_MAX_OTHERS for m in jerk_ids):
            return False
        mid = np.array([c.movement_id for c in kept])
        on, off = np.array([c.onset_s for c in kept]), np.array([c.offset_s for c in kept])
        for m in set(jerk_ids) & set(mid.tolist()):
            mine = mid == m
            near = (on < off[mine].max() + ISOLATION_S) & (off > on[mine].min() - ISOLATION_S)
            if (near & ~mine).any():
                return False
        return True

    def shift_movement(self, movement: list[Component], shift_s: float) -> list[Component]:
        """``movement`` moved by ``shift_s`` (s); subclasses re-size it for the pose at its new time."""
        if shift_s == 0.0:
            return movement
        return [replace(c, onset_s=c.onset_s + shift_s, offset_s=c.offset_s + shift_s) for c in movement]

    def _resolve(self, candidates: list[list[Component]]) -> tuple[list[Component], np.ndarray]:
        blocked = sorted([(c.onset_s - POSTURE_GUARD_S, c.offset_s + POSTURE_GUARD_S) for c in self.fixed]
                         + [(a, b) for a, b in self.tl.upright()])
        starts = [a for a, _ in blocked]
        reach = np.maximum.accumulate([b for _, b in blocked]).tolist() if blocked else []
        busy: dict[str, list[tuple[float, float]]] = {s: [] for s in SIDES}

        def free(side: str, a: float, b: float) -> bool:
            i = bisect.bisect_right(starts, b)  # blocked intervals starting before b; any reaching a?
            if i and reach[i - 1] >= a:
                return False
            iv = busy[side]
            j = bisect.bisect_left(iv, (a,))
            return all(not (lo - GUARD_S <= b and a <= hi + GUARD_S) for lo, hi in iv[max(0, j - 2):j + 2])

        kept = list(self.fixed)
        for movement in candidates:
            if movement and all(free(c.side, c.onset_s, c.offset_s) for c in movement):
                for c in movement:
                    pad = ISOLATION_S if c.kind == "hypnic_jerk" else 0.0  # jerks stay isolated (docs/scoring.md §3.1)
                    for side in (SIDES if pad else (c.side,)):
                        bisect.insort(busy[side], (c.onset_s - pad, c.offset_s + pad))
                kept += movement
        kept.sort(key=lambda c: (c.onset_s, c.side))
        return kept, np.asarray(blocked, dtype=float).reshape(-1, 2)


def run_neighbours(components: list[Component], *, gap_s: float = RUN_GAP_S,
                   ignore: tuple[str, ...] = NOT_RESTLESS) -> dict[int, int]:
    """Per movement id: how many other movements are linked to it by gaps of <= ``gap_s`` (s).

    A movement spans its components on both legs (first onset to last offset, s). Movements sorted by onset
    are linked where one starts within ``gap_s`` of the end of all before it; a run is a linked chain, and a
    movement's count is its run's size less one. Movements of the kinds in ``ignore`` (hypnagogic foot
    tremor and ALMA trains, which occur while falling asleep and are no wake restlessness, docs/scoring.md
    §3.2) are left out. 30 s is one PSG epoch: movement within an epoch on either side of a movement leaves
    no epoch of sleep between them.
    """
    spans: dict[int, list[float]] = {}
    for c in components:
        if c.kind not in ignore:
            a, b = spans.get(c.movement_id, (np.inf, -np.inf))
            spans[c.movement_id] = [min(a, c.onset_s), max(b, c.offset_s)]
    if not spans:
        return {}
    ids = sorted(spans, key=lambda m: spans[m][0])
    on = np.array([spans[m][0] for m in ids])
    reach = np.maximum.accumulate(np.array([spans[m][1] for m in ids]))
    run = np.cumsum(np.concatenate(([True], on[1:] - reach[:-1] > gap_s)))
    size = np.bincount(run)[run]
    return {m: int(size[k] - 1) for k, m in enumerate(ids)}


def plan_night(rng: np.random.Generator, profile: Profile, var: SimVariation, tl: Timeline, *,
               planner_class: type[Planner] | None = None) -> Plan:
    """Plan every movement of the night (both legs; the caller keeps the sides it records).

    ``planner_class``: the class that plans; :class:`Planner` (the classic waveforms) by default, or
    :class:`lrm.sim.plan_wide.WidePlanner` (the shank model, for the wide and hard families).
    """
    planner = (planner_class or Planner)(rng, profile, var, tl)
    initial = planner.plan_postures()
    planner.plan_walks()
    planner.plan_series()
    planner.plan_isolated()
    planner.plan_trains()
    planner.plan_jerks()  # inserted first: jerks win conflicts
    planner.plan_fidgets()
    planner.plan_restless()
    components, blocked = planner.resolve()
    return Plan(components, {s: v[0] for s, v in initial.items()}, {s: v[1] for s, v in initial.items()}, blocked)
