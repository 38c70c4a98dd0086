"""Randomised two-ankle nights around sleep onset, written independently of lrm.sim, to test hypnic jerks.

Each night is drawn from its seed: the sensor (rate 12.5-200 Hz, noise 1-15 mg, quantisation up to 16 mg,
any mounting), lights-out, a restless wake period, sleep onset, awakenings with re-onsets, PLM series
(some starting right at sleep onset, some made of brief twitch-like pulses), isolated leg movements,
roll-overs, brief twitches hours into sleep, and hypnic jerks of several shapes (flexion pulse, pulse with
rebound, axial jolt, pulse that leaves the leg slightly turned; each with a ring-down of 6-25 Hz) from
2 min before to 3 min after each sleep onset, 80 % on both legs. Physics: the shank's orientation turns
gravity in the sensor frame; a flexion about a pivot r metres away adds the tangential ``r theta''`` and
centripetal ``r theta'^2`` accelerations (docs/scoring.md §6).

``python tests/jerk_nights.py --nights 40 --first-seed 0`` runs the pipeline on nights and prints jerk
precision and recall, the worst decile, and the false jerks by what they really were.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lrm.io.recording import Leg, Recording

G = 9.80665
OVERSAMPLE = 4
SIDES = ("left", "right")
RATES_HZ = (12.5, 20.0, 25.0, 26.0, 32.0, 50.0, 52.0, 64.0, 100.0, 104.0, 128.0, 200.0)


@dataclass(frozen=True)
class JerkNight:
    """A night, its truth (``onset_s``, ``offset_s``, ``side`` left/right/both, ``kind``, ``peak_g``) and its
    true sleep onsets (s since the recording start); lights-out/on are given to the analysis (a diary)."""

    recording: Recording
    truth: pd.DataFrame
    onsets_s: tuple[float, ...]
    lights_out_s: float
    lights_on_s: float


def _smooth_step(x: np.ndarray) -> np.ndarray:
    x = np.clip(x, 0.0, 1.0)
    return x * x * x * (10.0 - 15.0 * x + 6.0 * x * x)


def _bump(t: np.ndarray, width: float) -> np.ndarray:
    """sin^2 pulse of ``width`` s starting at t = 0."""
    return np.where((t >= 0) & (t <= width), np.sin(np.pi * np.clip(t / width, 0, 1)) ** 2, 0.0)


class _Leg:
    """One leg's pitch, roll (rad) and linear acceleration (g, shank frame) at the sensor's sample times."""

    def __init__(self, n: int, fs: float, pitch0: float, roll0: float) -> None:
        self.fs, self.t = fs, np.arange(n) / fs
        self.pitch, self.roll = np.full(n, pitch0), np.full(n, roll0)
        self.lin = np.zeros((n, 3))

    def add(self, t0: float, length_s: float, fn, lasting: tuple[float, float] = (0.0, 0.0)) -> None:
        """Add ``fn(tau) -> (dpitch, droll, lin (m, 3))`` over [t0, t0 + length_s], averaged over OVERSAMPLE
        sub-samples per sample (the sensor's anti-alias filter), and a lasting pose change from then on."""
        i0, i1 = max(0, int(np.floor(t0 * self.fs)) - 1), min(self.t.size, int(np.ceil((t0 + length_s) * self.fs)) + 2)
        if i1 <= i0:
            return
        sub = (self.t[i0:i1, None] + (np.arange(OVERSAMPLE) - (OVERSAMPLE - 1) / 2) / (OVERSAMPLE * self.fs)).ravel()
        dp, dr, lin = fn(sub - t0)
        m = i1 - i0
        self.pitch[i0:i1] += dp.reshape(m, OVERSAMPLE).mean(1)
        self.roll[i0:i1] += dr.reshape(m, OVERSAMPLE).mean(1)
        self.lin[i0:i1] += lin.reshape(m, OVERSAMPLE, 3).mean(1)
        if lasting != (0.0, 0.0):
            self.pitch[i1:] += lasting[0]
            self.roll[i1:] += lasting[1]

    def force_g(self) -> np.ndarray:
        p, r = self.pitch, self.roll
        f = np.column_stack([-np.sin(p), np.sin(r) * np.cos(p), np.cos(r) * np.cos(p)])
        return f + self.lin


def _rotation_lin(theta: np.ndarray, tau: np.ndarray, radius: float) -> np.ndarray:
    dt = tau[1] - tau[0] if tau.size > 1 else 1e-3
    omega = np.gradient(theta, dt)
    alpha = np.gradient(omega, dt)
    return np.column_stack([-radius * omega**2 / G, np.zeros_like(theta), -radius * alpha / G])


def walk_shapes(r: np.random.Generator, d: float) -> dict:
    """Each leg's walking shape over ``d`` s: the shank swings by 10-30 deg about upright at the stride rate
    (0.7-1.0 strides/s, the legs half a stride apart) with a heel strike per stride; draws three numbers of ``r``."""
    stride, swing, impact = r.uniform(0.7, 1.0), np.radians(r.uniform(10, 30)), r.uniform(0.3, 2.0)
    shapes = {}
    for k, side in enumerate(SIDES):
        def shape(tau, ph=k * np.pi, d=d):
            theta = swing * np.sin(2 * np.pi * stride * tau + ph) * np.clip(np.minimum(tau, d - tau), 0, 1)
            lin = _rotation_lin(theta, tau, 0.45)
            phase = (stride * tau + ph / (2 * np.pi)) % 1.0
            lin[:, 0] -= impact * np.exp(-0.5 * ((phase - 0.5) / (0.015 * stride)) ** 2)
            return theta, 0.1 * theta, lin
        shapes[side] = shape
    return shapes


def _flexion(shape: np.ndarray, tau: np.ndarray, radius: float, roll_ratio: float = 0.0):
    return shape, roll_ratio * shape, _rotation_lin(shape, tau, radius)


class _Night:
    """Draws and renders one night."""

    def __init__(self, seed: int, hours: float) -> None:
        self.r = np.random.default_rng(seed)
        r = self.r
        self.fs = float(r.choice(RATES_HZ))
        self.duration = hours * 3600.0
        n = int(self.duration * self.fs)
        self.noise = float(np.exp(r.uniform(np.log(0.001), np.log(0.015))))
        self.lsb = 16.0 / 65536 if r.random() < 0.35 else float(np.exp(r.uniform(np.log(0.001), np.log(0.016))))
        self.legs = {s: _Leg(n, self.fs, np.radians(r.uniform(70, 90)), np.radians(r.normal(0, 10))) for s in SIDES}
        self.lm_scale = float(np.exp(r.uniform(np.log(0.5), np.log(3.0))))    # this person's LM size
        self.truth: list[tuple[float, float, str, str, float]] = []
        self.busy: list[tuple[float, float]] = []

    def free(self, a: float, b: float, pad: float = 1.0) -> bool:
        return all(b + pad < x or a - pad > y for x, y in self.busy)

    def note(self, a: float, b: float, side: str, kind: str, peak: float = np.nan) -> None:
        self.truth.append((a, b, side, kind, peak))
        self.busy.append((a, b))

    # --- movements ----------------------------------------------------------------------------------
    def lm(self, t: float, kind: str = "lm", sides: tuple[str, ...] | None = None, twitchy: bool = False) -> None:
        r = self.r
        d = float(np.clip(np.exp(r.normal(np.log(2.5), 0.5)), 0.6, 9.0)) if not twitchy else r.uniform(0.9, 3.0)
        sides = sides or (SIDES if r.random() < 0.5 else (str(r.choice(SIDES)),))
        if not self.free(t, t + d + 0.5):
            return
        for side in sides:
            lag = abs(r.normal(0, 0.2)) if side != sides[0] else 0.0
            radius, angle = r.uniform(0.1, 0.8), np.radians(np.clip(r.lognormal(np.log(4.0), 0.6) * self.lm_scale, 0.5, 25))
            if twitchy:   # a run of quick pulses with little hold: a clonic flick of the foot
                k = int(r.integers(2, 7))
                starts = np.sort(r.uniform(0, d - 0.25, k))
                widths = r.uniform(0.08, 0.25, k)
                amp = np.radians(r.uniform(0.5, 2.0)) * self.lm_scale
                shape = lambda tau, s=starts, w=widths, a=amp: sum(a * _bump(tau - s0, w0) for s0, w0 in zip(s, w))
            else:
                rise, fall = r.uniform(0.15, 0.6), r.uniform(0.3, 1.0)
                clonic, hz = r.uniform(0.0, 0.3), r.uniform(1.0, 4.0)
                shape = lambda tau, d=d, rise=rise, fall=fall, a=angle, c=clonic, hz=hz: a * (
                    _smooth_step(tau / rise) - _smooth_step((tau - d + fall) / fall)) * (1 + c * np.sin(2 * np.pi * hz * tau))
            self.legs[side].add(t + lag, d, lambda tau, f=shape, rr=radius: _flexion(f(tau), tau, rr, 0.2))
            self.note(t + lag, t + lag + d, side, kind)

    def fidget(self, t: float) -> None:
        r = self.r
        d = float(np.clip(np.exp(r.normal(np.log(3.0), 0.7)), 0.8, 20.0))
        if not self.free(t, t + d + 0.5):
            return
        for side in (SIDES if r.random() < 0.5 else (str(r.choice(SIDES)),)):
            parts = [(r.uniform(0, 0.7 * d), r.uniform(0.4, max(0.5, 0.5 * d)), np.radians(r.uniform(2, 12)))
                     for _ in range(int(r.integers(1, 5)))]
            keep = (np.radians(r.normal(0, 2.5)), np.radians(r.normal(0, 5)))
            shape = lambda tau, ps=parts, kp=keep, d=d: (
                sum(a * _bump(tau - s, w) for s, w, a in ps) + kp[0] * _smooth_step(tau / d))
            self.legs[side].add(t, d, lambda tau, f=shape, kp=keep, d=d: (
                f(tau), kp[1] * _smooth_step(tau / d), _rotation_lin(f(tau), tau, 0.3)), lasting=keep)
            self.note(t, t + d, side, "fidget")

    def roll_over(self, t: float) -> None:
        r = self.r
        d = r.uniform(1.5, 4.0)
        if not self.free(t - 2, t + d + 2):
            return
        turn = np.radians(r.choice([-1, 1]) * r.uniform(30, 120))
        for side in SIDES:
            dp, dr = np.radians(r.normal(0, 8)), turn + np.radians(r.normal(0, 10))
            self.legs[side].add(t, d, lambda tau, dp=dp, dr=dr, d=d: (
                dp * _smooth_step(tau / d), dr * _smooth_step(tau / d),
                _rotation_lin(np.radians(4) * _bump(tau, d), tau, 0.4)), lasting=(dp, dr))
            self.note(t, t + d, side, "roll")

    def jerk(self, t: float) -> bool:
        r = self.r
        width = r.uniform(0.075, 0.25)
        if not self.free(t - 10, t + width + 10, pad=0.0):
            return False
        variant = str(r.choice(["flexion", "rebound", "axial", "shift"], p=[0.4, 0.25, 0.15, 0.2]))
        peak = float(np.exp(r.uniform(np.log(0.15), np.log(2.0))))
        sides = SIDES if r.random() < 0.8 else (str(r.choice(SIDES)),)
        for k, side in enumerate(sides):
            lag = abs(r.normal(0, 0.02)) if k else 0.0
            pk = peak * np.exp(r.normal(0, 0.3)) if k else peak
            radius = r.uniform(0.3, 0.9)
            amp = pk * G * width**2 / (2 * np.pi**2 * radius)
            ring = (r.uniform(0.1, 0.6) * pk, r.uniform(6, 25), r.uniform(0.03, 0.2), r.normal(size=3))
            lasting = (r.choice([-1, 1]) * np.radians(r.uniform(0.5, 3.0)), 0.0) if variant == "shift" else (0.0, 0.0)
            self.legs[side].add(t + lag, width + 1.5, lambda tau, v=variant, a=amp, w=width, rr=radius, rg=ring, ls=lasting:
                                _jerk_shape(tau, v, a, w, rr, rg, ls), lasting=lasting)
            self.note(t + lag, t + lag + width, side, "jerk", pk)
        return True

    def twitch(self, t: float) -> None:
        """A brief twitch hours into sleep (a REM-sleep twitch of the foot), sized like the night's LMs."""
        r = self.r
        if not self.free(t - 10, t + 10, pad=0.0):
            return
        side, width = str(r.choice(SIDES)), r.uniform(0.08, 0.25)
        amp = np.radians(r.uniform(0.3, 2.0)) * self.lm_scale
        self.legs[side].add(t, width, lambda tau, a=amp, w=width: _flexion(a * _bump(tau, w), tau, 0.3))
        self.note(t, t + width, side, "sleep_twitch")

    def walk(self, a: float, b: float) -> None:
        """Walking: the shank swings by 10-30 deg at the stride rate, with a heel strike per stride."""
        for side, shape in walk_shapes(self.r, b - a).items():
            self.legs[side].add(a, b - a, shape)
            self.note(a, b, side, "walking")

    def pose_change(self, t: float, pitch_deg: float | None, kind: str) -> None:
        """Lying down (``pitch_deg`` the lying shank elevation) or getting up (None: back upright)."""
        r, d = self.r, self.r.uniform(3.0, 6.0)
        for side, leg in self.legs.items():
            i = min(leg.t.size - 1, int(t * self.fs))
            target = np.radians(pitch_deg + r.normal(0, 3)) if pitch_deg is not None else np.radians(r.uniform(70, 90))
            dp, dr = target - leg.pitch[i], np.radians(r.normal(0, 40)) if pitch_deg is not None else -leg.roll[i]
            leg.add(t, d, lambda tau, dp=dp, dr=dr, d=d: (dp * _smooth_step(tau / d), dr * _smooth_step(tau / d),
                                                          _rotation_lin(np.radians(5) * _bump(tau, d), tau, 0.4)),
                    lasting=(dp, dr))
            self.note(t, t + d, side, kind)

    # --- the night ----------------------------------------------------------------------------------
    def restless(self, a: float, b: float, rate_h: float) -> None:
        for t in np.sort(self.r.uniform(a, b, self.r.poisson(rate_h * (b - a) / 3600.0))):
            self.fidget(float(t)) if self.r.random() < 0.85 else self.roll_over(float(t))

    def plm_series(self, start: float, end: float, twitchy_share: float) -> None:
        r = self.r
        t, imi = start, r.uniform(15.0, 40.0)
        for _ in range(int(r.integers(5, 40))):
            if t > end:
                break
            self.lm(t, "plm", twitchy=r.random() < twitchy_share)
            t += imi * np.exp(r.normal(0, 0.2))

    def draw(self) -> tuple[float, float, list[float]]:
        """Lights-out, a restless wake period, sleep onset; awakenings (restless) with re-onsets; lights-on."""
        r = self.r
        lights_out, lights_on = r.uniform(180, 600), self.duration - r.uniform(150, 300)
        self.walk(r.uniform(10, 60), lights_out - r.uniform(20, 40))    # to bed: the shank upright, swinging
        self.pose_change(lights_out - 6.0, r.uniform(-5, 25), "lie_down")
        self.pose_change(lights_on, None, "get_up")
        self.walk(lights_on + 10, self.duration - 10)
        sleep_end = lights_on - r.uniform(60, 300)
        self.restless(sleep_end, lights_on, r.uniform(20, 90))
        wake = [(lights_out, lights_out + r.uniform(5, 40) * 60)]
        room = sleep_end - wake[0][1] - 2400
        for cut in np.sort(r.uniform(wake[0][1] + 1200, sleep_end - 1200, int(r.integers(0, 3)))) if room > 0 else []:
            if cut > wake[-1][1] + 1200:
                wake.append((float(cut), float(cut) + r.uniform(2, 10) * 60))
        onsets, stretches = [], []
        for k, (a, b) in enumerate(wake):   # restless, then 0-3 min lying still, then sleep
            self.restless(a, b, r.uniform(20, 90))
            onset = b + r.uniform(0, 180)
            end = wake[k + 1][0] if k + 1 < len(wake) else sleep_end
            if onset < end - 600:
                onsets.append(onset)
                stretches.append((onset, end))
        self.sleep_movements(stretches)
        self.place_jerks(onsets)
        return lights_out, lights_on, onsets

    def sleep_movements(self, stretches: list[tuple[float, float]]) -> None:
        r = self.r
        plm_rate, twitchy = r.choice([0.0, 0.0, r.uniform(5, 60)]), r.choice([0.0, r.uniform(0.2, 0.8)])
        for a, b in stretches:
            if plm_rate and r.random() < 0.4:       # a series right at sleep onset
                self.plm_series(a + r.uniform(0, 180), b, twitchy)
            for s in r.uniform(a, b, r.poisson(plm_rate * (b - a) / 3600.0 / 15.0)):
                self.plm_series(float(s), b, twitchy)
            if b - a > 1800:   # brief twitches in established sleep, 20 min or more after the onset
                for s in r.uniform(a + 1200, b, r.poisson(r.uniform(0, 4) * (b - a) / 3600.0)):
                    self.twitch(float(s))
            for s in r.uniform(a, b, r.poisson(r.uniform(2, 10) * (b - a) / 3600.0)):
                self.lm(float(s))
            for s in r.uniform(a + 300, max(b, a + 300), r.poisson(r.uniform(1, 3) * (b - a) / 3600.0)):
                self.roll_over(float(s))

    def place_jerks(self, onsets: list[float]) -> None:
        r = self.r
        n = int(r.choice([0, 1, 2, 3, 5, 8]))
        w = np.array([r.uniform(1, 5)] + [1.0] * (len(onsets) - 1))
        for k in r.choice(len(onsets), size=n, p=w / w.sum()):
            for _ in range(20):   # a free moment from 2 min before to 3 min after the onset
                if self.jerk(float(onsets[k] + r.uniform(-120, 180))):
                    break

    def recording(self) -> Recording:
        legs = {}
        for side, leg in self.legs.items():
            mount = _random_rotation(self.r)
            a = leg.force_g() @ mount.T + self.r.normal(0, self.noise, (leg.t.size, 3))
            a = np.round(a / self.lsb) * self.lsb
            legs[side] = Leg(side, leg.t + 1.7e9, a.astype(np.float32), self.fs, range_g=8.0, source=f"{side}.sim")
        return Recording(legs)


def _jerk_shape(tau, variant, amp, width, radius, ring, lasting):
    if variant == "axial":   # the body jolts along the bed: translation along the shank, no rotation
        lin = np.zeros((tau.size, 3))
        lin[:, 0] = amp * radius * (2 * np.pi**2 / width**2) / G * np.sin(2 * np.pi * np.clip(tau / width, 0, 1)) * (tau <= width)
        theta = np.zeros_like(tau)
    else:
        theta = amp * _bump(tau, width)
        if variant == "rebound":
            theta -= 0.5 * amp * _bump(tau - width, 1.5 * width)
        if variant == "shift":   # the leg settles slightly turned
            theta += lasting[0] * _smooth_step(tau / width)
        lin = _rotation_lin(theta, tau, radius)
    size, hz, tau_s, axis = ring
    after = np.clip(tau - width, 0, None)
    lin += np.outer(size * np.exp(-after / tau_s) * np.sin(2 * np.pi * hz * after) * (tau > width), axis / np.linalg.norm(axis))
    return theta, np.zeros_like(tau), lin


def _random_rotation(r: np.random.Generator) -> np.ndarray:
    q = r.normal(size=4)
    w, x, y, z = q / np.linalg.norm(q)
    return np.array([[1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w)],
                     [2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w)],
                     [2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y)]])


def make_night(seed: int, hours: float = 2.0) -> JerkNight:
    """Draw and render the night of ``seed`` (``hours`` long)."""
    night = _Night(seed, hours)
    lights_out, lights_on, onsets = night.draw()
    truth = pd.DataFrame(night.truth, columns=["onset_s", "offset_s", "side", "kind", "peak_g"])
    return JerkNight(night.recording(), truth.sort_values("onset_s", ignore_index=True), tuple(onsets),
                     float(lights_out), float(lights_on))


def score_jerks(night: JerkNight, events: pd.DataFrame, tol_s: float = 1.0) -> dict[str, object]:
    """Jerk true/false positives and misses (one jerk per movement, both legs' halves together) and what
    each false jerk really was."""
    t = night.truth
    true_on = np.sort(t.loc[t["kind"] == "jerk", "onset_s"].to_numpy(float))
    true_on = true_on[np.concatenate(([True], np.diff(true_on) > 0.5))] if true_on.size else true_on
    found = np.sort(events.loc[events["type"] == "hypnic_jerk", "onset_s"].to_numpy(float))
    hit_t = np.array([np.any(np.abs(found - x) <= tol_s) for x in true_on], bool)
    hit_f = np.array([np.any(np.abs(true_on - x) <= tol_s) for x in found], bool)
    kinds = []
    for x in found[~hit_f]:
        near = t[(t["onset_s"] - 1.5 <= x) & (t["offset_s"] + 1.5 >= x)]
        kinds.append(",".join(sorted(set(near["kind"]))) or "nothing")
    return {"tp": int(hit_t.sum()), "fn": int((~hit_t).sum()), "fp": int((~hit_f).sum()), "false_kinds": kinds}


def analyze_night(night: JerkNight, *, diary: bool):
    """``lrm.analyze`` on the night, with its lights-out/on given (a diary) or estimated from posture."""
    import lrm

    times = {"lights_out": night.lights_out_s, "lights_on": night.lights_on_s} if diary else {}
    return lrm.analyze(night.recording, threads=1, **times)


def main(argv: list[str] | None = None) -> int:

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nights", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--hours", type=float, default=2.0)
    args = parser.parse_args(argv)
    rows = []
    for seed in range(args.first_seed, args.first_seed + args.nights):
        night = make_night(seed, args.hours)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = analyze_night(night, diary=seed % 2 == 0)
        s = score_jerks(night, res.events)
        rows.append({"seed": seed, "rate_hz": night.recording.legs["left"].fs_hz, **s})
        print(f"seed {seed:4d} {rows[-1]['rate_hz']:6.1f} Hz  jerks tp/fp/fn {s['tp']}/{s['fp']}/{s['fn']}  "
              f"false: {', '.join(s['false_kinds'])}", file=sys.stderr, flush=True)
    df = pd.DataFrame(rows)
    tp, fp, fn = df["tp"].sum(), df["fp"].sum(), df["fn"].sum()
    with np.errstate(invalid="ignore", divide="ignore"):
        prec_n, rec_n = df["tp"] / (df["tp"] + df["fp"]), df["tp"] / (df["tp"] + df["fn"])
    print(f"{len(df)} nights: jerk precision {tp / max(tp + fp, 1):.3f} recall {tp / max(tp + fn, 1):.3f} "
          f"({tp + fn} true, {tp + fp} found); per night worst decile precision {np.nanpercentile(prec_n, 10):.2f} "
          f"recall {np.nanpercentile(rec_n, 10):.2f}")
    print("false jerks by kind:", pd.Series([k for ks in df["false_kinds"] for k in ks]).value_counts().to_dict())
    return 0


if __name__ == "__main__":
    sys.exit(main())
