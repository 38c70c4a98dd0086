"""A randomised stress test of the rest period (time in bed), written without lrm.sim's families.

Issue 11: an independently written simulator found lrm's time in bed 16 min short on average. This generator
draws nights around the bed period with what lrm's simulator does not do or does narrowly, each with a
probability per night, and keeps the truth per second:

* ``sofa``: 15-60 min lying on a sofa (shank 0-25 deg) in the evening, then up for 5-40 min before bed. Not in bed.
  An ankle sensor cannot tell a sofa from a bed: lrm has no way to know.
* ``reading``: 10-45 min sitting up in bed before lights-out, legs stretched out (shank 0-15 deg: an ankle
  cannot tell it from lying) or knees up with a book on them (30-55 deg). Not in the rest period (lights-out
  starts it), and lrm cannot know either.
* ``drawn_up``: one to three stretches of 20-90 min asleep on the side with the legs drawn up (shank 30-60 deg,
  each leg its own angle).
* ``knees_up``: one or two stretches of 10-60 min on the back with the feet flat and the knees up (hook lying:
  thigh 45-70 deg up, knee bent 90-130 deg, so the shank is at 40-65 deg), lying awake.
* ``prone``: lying prone for 30-120 min (the shank horizontal, turned over by ~180 deg).
* ``trips``: one to three times out of bed for 1-20 min (walk, stand, sit on the toilet: shank 70-90 deg).
* ``strap``: the strap turns on one leg by 30-120 deg about the leg (tilted up to 20 deg off the tibia) once in
  the night: the sensor's mounting changes.
* ``still_wake``: 15-60 min of still wake in bed in the morning before the final rising.
* ``gaps``: 1-6 BLE gaps on both legs of 5 s-20 min; ``dropout``: one leg's sensor silent for 30-90 min.
* the sensor: 10-25 Hz (mostly 10-20), noise 2-30 mg per axis, any mounting.

Physics: the shank's elevation above horizontal and its roll about the tibia turn gravity in the shank frame
(tests/jerk_nights.py's _Leg), walking swings the shank with a heel strike per stride, the sensor sits at a
random rotation on the shank. Truth: the rest period runs from lights-out to the final rising; ``tib_h`` is that
minus the time out of bed, ``analysis_h`` that minus the seconds any leg has no data (lrm's ``time_in_bed_h``
contract: README "Outputs", docs/scoring.md §5).

``python tests/rest_stress.py --nights 24 --first-seed 0`` runs ``lrm.analyze`` (rest period estimated) and prints
the time-in-bed error per night (signed and absolute, mean and worst decile) and by scenario.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from jerk_nights import SIDES, _bump, _Leg, _random_rotation, _rotation_lin, _smooth_step, walk_shapes
from lrm.io.recording import Leg, Recording

RATES_HZ = (10.0, 12.5, 13.0, 16.0, 20.0, 25.0)
SCENARIOS = ("sofa", "reading", "drawn_up", "knees_up", "prone", "trips", "strap", "still_wake", "gaps", "dropout")


@dataclass(frozen=True)
class RestNight:
    """The recording, its truth per second and its draws.

    ``in_bed`` (s,): True from lights-out to the final rising except out of bed; ``valid`` (s,): every leg has
    data. ``scenarios``: the names planted. ``lights_out_s``/``rising_s``: the rest period's true ends (s).
    """

    recording: Recording
    in_bed: np.ndarray
    valid: np.ndarray
    lights_out_s: float
    rising_s: float
    scenarios: tuple[str, ...]
    fs_hz: float
    noise_g: float

    @property
    def tib_h(self) -> float:
        return float(self.in_bed.sum()) / 3600.0

    @property
    def analysis_h(self) -> float:
        return float((self.in_bed & self.valid).sum()) / 3600.0


class _Rest:
    """Draws one night as a sequence of poses per leg (elevation and roll, deg) and renders it."""

    def __init__(self, seed: int, hours: float) -> None:
        self.r = r = np.random.default_rng(seed)
        self.fs = float(r.choice(RATES_HZ, p=[0.2, 0.2, 0.15, 0.15, 0.2, 0.1]))
        self.noise = float(np.exp(r.uniform(np.log(0.002), np.log(0.03))))
        self.duration = hours * 3600.0
        n = int(self.duration * self.fs)
        self.legs = {s: _Leg(n, self.fs, np.radians(r.uniform(78, 90)), np.radians(r.normal(0, 8))) for s in SIDES}
        self.in_bed = np.zeros(int(self.duration), bool)
        self.t = 0.0
        self.plan = {name: bool(r.random() < p) for name, p in zip(
            SCENARIOS, (0.3, 0.35, 0.5, 0.4, 0.3, 0.7, 0.3, 0.35, 0.5, 0.25))}

    # --- poses -------------------------------------------------------------------------------------------
    def pose(self, t: float, elev_deg: dict[str, float] | float, roll_deg: dict[str, float] | float | None = None,
             d: float = 4.0) -> None:
        """Move both legs to the shank elevation ``elev_deg`` (deg above horizontal) and roll (deg) over ``d`` s."""
        for side, leg in self.legs.items():
            e = elev_deg[side] if isinstance(elev_deg, dict) else elev_deg + self.r.normal(0, 3)
            i = min(leg.t.size - 1, int(t * self.fs))
            dp = np.radians(e) - leg.pitch[i]
            if roll_deg is None:
                dr = 0.0
            else:
                rl = roll_deg[side] if isinstance(roll_deg, dict) else roll_deg + self.r.normal(0, 10)
                dr = np.radians(rl) - leg.roll[i]
            leg.add(t, d, lambda tau, dp=dp, dr=dr, d=d: (dp * _smooth_step(tau / d), dr * _smooth_step(tau / d),
                                                          _rotation_lin(np.radians(5) * _bump(tau, d), tau, 0.4)),
                    lasting=(dp, dr))

    def walk(self, a: float, b: float) -> None:
        """Walking from a to b (s): the shank swings by 10-30 deg about upright at the stride rate, heel strikes."""
        for side, shape in walk_shapes(self.r, b - a).items():
            self.legs[side].add(a, b - a, shape)

    def up(self, t: float, length: float) -> float:
        """Out of bed (or up) from t for ``length`` s: stand, walk, sit with the feet down, walk back; returns the
        end (s)."""
        r = self.r
        self.pose(t, r.uniform(78, 90), 0.0)
        w = min(length * 0.4, r.uniform(20, 90))
        self.walk(t + 5, t + 5 + w / 2)
        if length > w + 60:
            self.pose(t + 8 + w / 2, r.uniform(68, 88))           # sitting (chair, toilet): shank near vertical
            self.pose(t + length - w / 2 - 8, r.uniform(78, 90))
        self.walk(t + length - w / 2 - 3, t + length - 3)
        return t + length

    def lie(self, t: float, elev: float | None = None, roll: float | None = None) -> None:
        r = self.r
        e = r.uniform(-3, 15) if elev is None else elev
        self.pose(t, e, r.normal(0, 40) if roll is None else roll)

    def roll_over(self, t: float) -> None:
        r = self.r
        turn = r.choice([-1, 1]) * r.uniform(30, 120)
        for side, leg in self.legs.items():
            i = min(leg.t.size - 1, int(t * self.fs))
            dr = np.radians(turn + r.normal(0, 10))
            d = r.uniform(1.5, 4.0)
            leg.add(t, d, lambda tau, dr=dr, d=d: (0.0 * tau, dr * _smooth_step(tau / d),
                                                   _rotation_lin(np.radians(4) * _bump(tau, d), tau, 0.4)),
                    lasting=(0.0, dr))

    def lms(self, a: float, b: float, rate_h: float) -> None:
        """Leg movements in sleep: 0.5-5 s flexions of 2-15 deg that return the shank."""
        r = self.r
        for t in r.uniform(a, b, r.poisson(rate_h * (b - a) / 3600.0)):
            d, amp = r.uniform(0.5, 5.0), np.radians(r.uniform(2, 15))
            side = str(r.choice(SIDES))
            self.legs[side].add(float(t), d, lambda tau, d=d, a=amp: (
                a * _bump(tau, d), 0.2 * a * _bump(tau, d), _rotation_lin(a * _bump(tau, d), tau, 0.4)))

    # --- the night ---------------------------------------------------------------------------------------
    def draw(self) -> tuple[float, float]:
        r, p = self.r, self.plan
        t = r.uniform(300, 900)
        self.walk(60, t - 30)
        if p["sofa"]:
            self.lie(t, r.uniform(0, 25))
            t += r.uniform(15, 60) * 60
            t = self.up(t, r.uniform(5, 40) * 60)
        if p["reading"]:                                      # sitting up in bed before lights-out
            self.pose(t, r.uniform(0, 15) if r.random() < 0.6 else r.uniform(30, 55), r.normal(0, 15))
            t += r.uniform(10, 45) * 60
        lights_out = t
        self.lie(t)
        end_of_sleep = self.duration - r.uniform(20, 45) * 60
        rising = end_of_sleep + (r.uniform(15, 60) * 60 if p["still_wake"] else r.uniform(0, 5) * 60)
        rising = min(rising, self.duration - 600)
        self.in_bed[int(lights_out):int(rising)] = True
        events = self._sleep_events(lights_out + 900, end_of_sleep - 300)
        for kind, a, b in events:
            if kind == "trip":
                self.up(a, b - a)
                self.in_bed[int(a) + 3:int(b) - 3] = False        # up from standing to lying back down
                self.lie(b)
            elif kind == "drawn_up":
                self.pose(a, {s: r.uniform(30, 60) for s in SIDES}, r.choice([-1, 1]) * r.uniform(60, 100))
                self.lie(b)
            elif kind == "knees_up":                         # on the back, feet flat, knees up
                self.pose(a, {s: r.uniform(40, 65) for s in SIDES}, r.normal(0, 10))
                self.lie(b)
            elif kind == "prone":
                self.lie(a, r.uniform(-5, 10), 180 + r.normal(0, 15))
                self.lie(b)
            elif kind == "strap":
                self.strap_at = (a, str(r.choice(SIDES)))
        for a, b in _free_stretches(events, lights_out + 300, end_of_sleep):
            self.lms(a, b, r.uniform(2, 30))
            for s in r.uniform(a, b, r.poisson(1.5 * (b - a) / 3600.0)):
                self.roll_over(float(s))
        self.up(rising, self.duration - rising - 5)
        return lights_out, rising

    def _sleep_events(self, a: float, b: float) -> list[tuple[str, float, float]]:
        """Non-overlapping trips, drawn-up and prone stretches and a strap turn inside [a, b] s."""
        r, p = self.r, self.plan
        want: list[tuple[str, float]] = []
        if p["trips"]:
            want += [("trip", r.uniform(1, 20) * 60) for _ in range(int(r.integers(1, 4)))]
        if p["drawn_up"]:
            want += [("drawn_up", r.uniform(20, 90) * 60) for _ in range(int(r.integers(1, 4)))]
        if p["knees_up"]:
            want += [("knees_up", r.uniform(10, 60) * 60) for _ in range(int(r.integers(1, 3)))]
        if p["prone"]:
            want.append(("prone", r.uniform(30, 120) * 60))
        if p["strap"]:
            want.append(("strap", 10.0))
        out: list[tuple[str, float, float]] = []
        for kind, length in want:
            for _ in range(30):
                s = r.uniform(a, max(a, b - length))
                if all(s + length + 120 < x or s - 120 > y for _, x, y in out):
                    out.append((kind, float(s), float(s + length)))
                    break
        return sorted(out, key=lambda e: e[1])

    def recording(self) -> tuple[Recording, np.ndarray]:
        r = self.r
        n_sec = int(self.duration)
        valid = np.ones(n_sec, bool)
        cut = {s: np.zeros(n_sec, bool) for s in SIDES}
        if self.plan["gaps"]:
            for _ in range(int(r.integers(1, 7))):
                g0, g = r.uniform(0, self.duration), float(np.exp(r.uniform(np.log(5), np.log(1200))))
                for s in SIDES:
                    cut[s][int(g0):int(g0 + g)] = True
        if self.plan["dropout"]:
            g0, s = r.uniform(0.15, 0.75) * self.duration, str(r.choice(SIDES))
            cut[s][int(g0):int(g0 + r.uniform(30, 90) * 60)] = True
        strap = getattr(self, "strap_at", None)
        legs = {}
        for side, leg in self.legs.items():
            mount = _random_rotation(r)
            f = leg.force_g()
            a = f @ mount.T
            if strap is not None and strap[1] == side:        # the strap turns about the leg, tilted up to 20 deg
                k = int(strap[0] * self.fs)
                axis = _tilted_x(r, np.radians(r.uniform(0, 20)))
                turn = _rotation(axis, np.radians(r.choice([-1, 1]) * r.uniform(30, 120)))
                a[k:] = f[k:] @ (mount @ turn).T
            a = a + r.normal(0, self.noise, a.shape)
            a = np.round(a / (16.0 / 65536)) * (16.0 / 65536)
            keep = ~cut[side][np.minimum((leg.t).astype(np.int64), n_sec - 1)]
            valid &= ~cut[side]
            legs[side] = Leg(side, leg.t[keep] + 1.7e9, a[keep].astype(np.float32), self.fs, range_g=8.0,
                             source=f"{side}.sim")
        return Recording(legs), valid


def _tilted_x(r: np.random.Generator, tilt: float) -> np.ndarray:
    phi = r.uniform(0, 2 * np.pi)
    return np.array([np.cos(tilt), np.sin(tilt) * np.cos(phi), np.sin(tilt) * np.sin(phi)])


def _rotation(axis: np.ndarray, angle: float) -> np.ndarray:
    x, y, z = axis / np.linalg.norm(axis)
    c, s, C = np.cos(angle), np.sin(angle), 1 - np.cos(angle)
    return np.array([[c + x * x * C, x * y * C - z * s, x * z * C + y * s],
                     [y * x * C + z * s, c + y * y * C, y * z * C - x * s],
                     [z * x * C - y * s, z * y * C + x * s, c + z * z * C]])


def _free_stretches(events, a: float, b: float) -> list[tuple[float, float]]:
    out, t = [], a
    for _, x, y in events:
        if x > t:
            out.append((t, x))
        t = max(t, y + 10)
    if b > t:
        out.append((t, b))
    return out


def make_rest_night(seed: int, hours: float = 9.0) -> RestNight:
    """One stress night from its seed (s since the recording start throughout)."""
    n = _Rest(seed, hours)
    lights_out, rising = n.draw()
    rec, valid = n.recording()
    return RestNight(rec, n.in_bed, valid, lights_out, rising, tuple(k for k, v in n.plan.items() if v), n.fs,
                     n.noise)


def score_rest(night: RestNight, summary) -> dict[str, float]:
    """Time-in-bed errors (min, estimate - truth): the analysis period (gaps excluded) and the gross period."""
    est = float(summary.time_in_bed_h or 0.0)
    gross = float(summary.time_in_bed_gross_h or 0.0)
    return {"tib_true_h": night.analysis_h, "tib_est_h": est, "err_min": (est - night.analysis_h) * 60.0,
            "gross_err_min": (gross - night.tib_h) * 60.0,
            "lights_out_err_min": ((summary.lights_out_s or 0.0) - night.lights_out_s) / 60.0,
            "lights_on_err_min": ((summary.lights_on_s or 0.0) - night.rising_s) / 60.0}


def run(seeds, hours: float) -> pd.DataFrame:
    import lrm
    rows = []
    for seed in seeds:
        night = make_rest_night(seed, hours)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = lrm.analyze(night.recording, threads=1)
        rows.append({"seed": seed, "fs_hz": night.fs_hz, "noise_mg": 1000 * night.noise_g,
                     "scenarios": ",".join(night.scenarios), **score_rest(night, res.summary)})
        print(f"seed {seed}: {rows[-1]['err_min']:+6.1f} min (gross {rows[-1]['gross_err_min']:+6.1f}; lights-out "
              f"{rows[-1]['lights_out_err_min']:+6.1f}, on {rows[-1]['lights_on_err_min']:+6.1f}) "
              f"{rows[-1]['scenarios']}",
              flush=True)
    return pd.DataFrame(rows)


def report(table: pd.DataFrame) -> str:
    def line(name: str, t: pd.DataFrame) -> str:
        e = t["err_min"]
        worst = e.abs().quantile(0.9) if len(e) else np.nan
        return (f"{name:12s} n={len(t):3d}  signed {e.mean():+6.1f}  abs {e.abs().mean():5.1f}  worst decile |err| "
                f"{worst:5.1f}  min {e.min():+6.1f}")
    out = [line("all", table)]
    for s in SCENARIOS:
        out.append(line(s, table[table["scenarios"].str.contains(s)]))
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--nights", type=int, default=24)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--hours", type=float, default=9.0)
    ap.add_argument("--csv")
    a = ap.parse_args(argv)
    table = run(range(a.first_seed, a.first_seed + a.nights), a.hours)
    if a.csv:
        table.to_csv(a.csv, index=False)
    print(report(table))
    return 0


if __name__ == "__main__":
    sys.exit(main())
