"""A randomised stress test of the hypnic-jerk classifier: nights that plant the confounders an independent
simulator caught it on, with every planted event's parameters, written without lrm.sim's families.

Built on the shank physics of tests/jerk_nights.py (gravity turned by the shank's orientation, plus the
tangential and centripetal acceleration of a flexion about a pivot, docs/scoring.md §6). Each night draws its
sensor (10-200 Hz, noise 1-15 mg per axis, quantisation up to 16 mg), its LM size (median peak 0.02-0.3 g,
log-normal spread), and plants, with a label per event:

* ``plm_member``: bilateral 0.9-3 s movements of 0.05-0.3 g as members of PLM series 30 min or more after a
  sleep (re)onset and 20 min or more before the next awakening (shapes: a rotation with a hold, a run of quick pulses, a 2-5 Hz tremor, one dominant
  0.15-0.3 s lobe with quieter ones);
* ``restless``: runs of 3-8 restless wake movements (fidgets with a lasting turn, brief-looking ones with one
  dominant lobe and clean edges, short kicks; 0.1-1 g; 3-40 s apart) ending 0.5-10 min before the first sleep
  onset and before re-onsets;
* ``onset_fidget``: 0.8-1.2 s bilateral fidgets of 0.5-0.7 g, 0.5-10 min before or after a sleep onset,
  isolated by 12 s;
* ``jerk``: true jerks, bursts of 0.1-0.5 s on one or both legs, 1-20x the night's median LM peak, 2 min
  before to 3 min after the first onset and re-onsets, isolated by 10 s.

``python tests/jerk_stress.py --nights 40 --first-seed 0`` runs ``lrm.analyze`` (lights-out/on given) and
prints false jerks per planted kind, misses per jerk parameter, and the worst cases.
"""

from __future__ import annotations

import argparse
import sys
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from jerk_nights import G, SIDES, _bump, _Night, _rotation_lin, _smooth_step
from lrm.io.recording import Leg, Recording

RATES_HZ = (10.0, 12.5, 13.0, 20.0, 25.0, 26.0, 32.0, 50.0, 52.0, 64.0, 100.0, 104.0, 128.0, 200.0)
CONFOUNDERS = ("plm_member", "restless", "onset_fidget")


@dataclass(frozen=True)
class StressNight:
    """The recording, every planted event (``onset_s``, ``offset_s``, ``side``, ``kind``, ``peak_g``, ``shape``,
    ``width_s``, ``group``: one id per event, both legs' rows share it), the true onsets and the night's draws."""

    recording: Recording
    truth: pd.DataFrame
    onsets_s: tuple[float, ...]
    lights_out_s: float
    lights_on_s: float
    fs_hz: float
    noise_g: float
    lm_median_g: float


def _force(pitch: np.ndarray, roll: np.ndarray) -> np.ndarray:
    return np.column_stack([-np.sin(pitch), np.sin(roll) * np.cos(pitch), np.cos(roll) * np.cos(pitch)])


class _Stress(_Night):
    """Draws and renders one stress night (the base class's legs, noise and rendering)."""

    def __init__(self, seed: int, hours: float) -> None:
        super().__init__(seed, hours)
        r = self.r
        self.fs = float(r.choice(RATES_HZ))       # redrawn with 10 Hz included
        n = int(self.duration * self.fs)
        self.legs = {s: type(self.legs[s])(n, self.fs, np.radians(r.uniform(70, 90)), np.radians(r.normal(0, 10)))
                     for s in SIDES}
        self.lm_median = float(np.exp(r.uniform(np.log(0.02), np.log(0.3))))
        self.rows: list[dict] = []
        self.group = 0

    # --- planting with a target peak ---------------------------------------------------------------------
    def _peak(self, side: str, t0: float, length: float, fn) -> float:
        """Peak (g) of ``fn`` (tau -> dpitch, droll, lin) against the leg's pose at ``t0``, on a 1 kHz grid."""
        leg = self.legs[side]
        i = min(leg.t.size - 1, max(0, int(t0 * self.fs) - 1))
        tau = np.arange(-0.05, length + 0.3, 1e-3)
        dp, dr, lin = fn(tau)
        p0, r0 = leg.pitch[i], leg.roll[i]
        d = _force(p0 + dp, r0 + dr) + lin - _force(np.full(1, p0), np.full(1, r0))
        return float(np.linalg.norm(d, axis=1).max())

    def plant(self, side: str, t0: float, length: float, make, peak_g: float, kind: str, shape: str,
              width: float = np.nan, lasting: tuple[float, float] = (0.0, 0.0)) -> float:
        """Add ``make(k)`` (a movement whose size scales with ``k``) scaled so that its peak meets ``peak_g``."""
        k = 1.0
        for _ in range(3):
            got = self._peak(side, t0, length, make(k))
            if got <= 0:
                break
            k *= peak_g / got
        self.legs[side].add(t0, length, make(k), lasting=lasting)
        got = self._peak(side, t0, length, make(k))
        self.rows.append({"onset_s": t0, "offset_s": t0 + length, "side": side, "kind": kind, "peak_g": got,
                          "shape": shape, "width_s": width, "group": self.group})
        self.busy.append((t0, t0 + length))
        return got

    # --- shapes: each returns make(k) -> fn(tau) -> (dpitch, droll, lin) ---------------------------------
    def shape(self, name: str, d: float):
        r = self.r
        radius = r.uniform(0.3, 0.6)
        if name == "rotation":
            rise, fall, c, hz = r.uniform(0.15, 0.5), r.uniform(0.2, 0.6), r.uniform(0, 0.3), r.uniform(1, 4)
            fall = min(fall, 0.5 * d)
            f = lambda tau: (_smooth_step(tau / rise) - _smooth_step((tau - d + fall) / fall)) * (1 + c * np.sin(2 * np.pi * hz * tau))
        elif name == "pulses":
            m = int(r.integers(2, 6))
            s, w = np.sort(r.uniform(0, max(d - 0.25, 0.05), m)), r.uniform(0.08, 0.25, m)
            f = lambda tau: sum(_bump(tau - a, b) for a, b in zip(s, w))
        elif name == "tremor":
            hz = r.uniform(2, 5)
            f = lambda tau: _bump(tau, d) * (0.5 + 0.5 * np.sin(2 * np.pi * hz * tau))
        else:   # one dominant lobe of 0.15-0.3 s and quieter lobes over the rest of the movement
            w0, at = r.uniform(0.15, 0.3), r.uniform(0, max(d - 0.3, 0.01))
            m = int(r.integers(1, 4))
            s, w, a = r.uniform(0, max(d - 0.2, 0.01), m), r.uniform(0.15, 0.5, m), r.uniform(0.15, 0.45, m)
            f = lambda tau: _bump(tau - at, w0) + sum(c * _bump(tau - x, y) for x, y, c in zip(s, w, a))
        return lambda k: (lambda tau: (k * f(tau), 0.2 * k * f(tau), _rotation_lin(k * f(tau), tau, radius)))

    def movement(self, t: float, d: float, names, peak: float, kind: str, sides, lag_s: float = 0.2) -> bool:
        if not self.free(t - 0.5, t + d + 1.0, pad=0.0):
            return False
        name = str(self.r.choice(names))
        self.group += 1
        for j, side in enumerate(sides):
            lag = abs(self.r.normal(0, lag_s)) if j else 0.0
            self.plant(side, t + lag, d, self.shape(name, d), peak * (np.exp(self.r.normal(0, 0.3)) if j else 1.0),
                       kind, name)
        return True

    def true_jerk(self, t: float, kind: str) -> bool:
        r = self.r
        width = r.uniform(0.1, 0.5)
        if not self.free(t - 10, t + width + 10, pad=0.0):
            return False
        ratio = float(np.exp(r.uniform(0.0, np.log(20.0))))
        variant = str(r.choice(["flexion", "rebound", "axial", "shift"], p=[0.4, 0.25, 0.15, 0.2]))
        sides = SIDES if r.random() < 0.7 else (str(r.choice(SIDES)),)
        self.group += 1
        from jerk_nights import _jerk_shape
        for j, side in enumerate(sides):
            lag = abs(r.normal(0, 0.02)) if j else 0.0
            radius = r.uniform(0.3, 0.9)
            ring = (r.uniform(0.1, 0.6), r.uniform(6, 25), r.uniform(0.03, 0.2), r.normal(size=3))
            shift = r.choice([-1, 1]) * np.radians(r.uniform(0.5, 3.0)) if variant == "shift" else 0.0

            def make(k, w=width, rr=radius, rg=ring, v=variant, sh=shift):
                amp = k * G * w**2 / (2 * np.pi**2 * rr)
                return lambda tau: _jerk_shape(tau, v, amp, w, rr, (rg[0] * k, *rg[1:]), (sh, 0.0))
            pk = ratio * self.lm_median * (np.exp(r.normal(0, 0.3)) if j else 1.0)
            self.plant(side, t + lag, width + 1.5, make, pk, "jerk", f"{variant}/{kind}", width,
                       lasting=(shift, 0.0) if shift else (0.0, 0.0))
            self.rows[-1]["offset_s"] = t + lag + width
        self.busy.append((t - 10.0, t + width + 10.0))   # isolated: nothing planted later comes closer
        return True

    # --- the night ---------------------------------------------------------------------------------------
    def lm(self, t: float, kind: str = "lm", sides=None, twitchy: bool = False) -> None:   # noqa: ARG002
        r = self.r
        d = float(np.clip(np.exp(r.normal(np.log(2.5), 0.5)), 0.6, 9.0))
        sides = sides or (SIDES if r.random() < 0.5 else (str(r.choice(SIDES)),))
        self.movement(t, d, ["rotation", "rotation", "pulses", "tremor"], self.lm_median * np.exp(r.normal(0, 0.5)),
                      kind, sides)

    def plm_series(self, start: float, end: float, members: int = 0) -> None:
        r = self.r
        t, imi = start, r.uniform(15.0, 40.0)
        slots = int(r.integers(max(6, members + 4), 30))
        plant = set(r.choice(np.arange(2, slots - 2), size=min(members, slots - 4), replace=False)) if members else set()
        for k in range(slots):
            if t > end:
                break
            if k in plant:
                self.movement(t, r.uniform(0.9, 3.0), ["rotation", "pulses", "tremor", "lobe"],
                              float(np.exp(r.uniform(np.log(0.05), np.log(0.3)))), "plm_member", SIDES)
            else:
                self.lm(t, "plm")
            t += imi * np.exp(r.normal(0, 0.1))

    def restless_run(self, end: float) -> None:
        r = self.r
        m = int(r.integers(3, 9))
        gaps = r.uniform(3, 40, m - 1)
        t = end - gaps.sum() - 2.0
        for g in [0.0, *gaps]:
            t += g
            name = str(r.choice(["fidget", "lobe", "kick"]))
            sides = SIDES if r.random() < 0.6 else (str(r.choice(SIDES)),)
            if name == "fidget":
                if self.free(t - 0.5, t + 4.0, pad=0.0):
                    self.group += 1
                    before = len(self.truth)
                    self.fidget(t)
                    for a, b, side, _kind, _pk in self.truth[before:]:
                        self.rows.append({"onset_s": a, "offset_s": b, "side": side, "kind": "restless",
                                          "peak_g": np.nan, "shape": "fidget", "width_s": np.nan, "group": self.group})
            else:
                d = r.uniform(0.8, 2.0) if name == "lobe" else r.uniform(0.6, 1.5)
                self.movement(t, d, ["lobe"] if name == "lobe" else ["rotation", "pulses"],
                              float(np.exp(r.uniform(np.log(0.1), np.log(1.0)))), "restless", sides, lag_s=0.1)

    def draw(self) -> tuple[float, float, list[float]]:
        r = self.r
        lights_out, lights_on = r.uniform(180, 400), self.duration - r.uniform(150, 300)
        self.walk(r.uniform(10, 60), lights_out - r.uniform(20, 40))
        self.pose_change(lights_out - 6.0, r.uniform(-5, 25), "lie_down")
        self.pose_change(lights_on, None, "get_up")
        self.walk(lights_on + 10, self.duration - 10)
        onsets = [lights_out + r.uniform(12, 30) * 60]
        awakenings = []
        for _ in range(int(r.integers(0, 3))):
            a = onsets[-1] + r.uniform(35, 60) * 60
            b = a + r.uniform(3, 10) * 60
            if b + 40 * 60 < lights_on:
                awakenings.append((a, b))
                onsets.append(b + r.uniform(0.5, 3) * 60)
        # restless wake before every onset (wake periods), ending 0.5-10 min before it
        wake = [(lights_out + 30, onsets[0])] + [(a, o) for (a, _b), o in zip(awakenings, onsets[1:])]
        for a, o in wake:
            for _ in range(int(r.integers(1, 4))):
                end = o - r.uniform(0.5, 10) * 60
                if end - 200 > a:
                    self.restless_run(end)
        # true jerks and 1 s fidgets at the onsets (planted before the sleep movements, which avoid them)
        for k, o in enumerate(onsets):
            for _ in range(int(r.choice([0, 1, 1, 2, 3]))):
                for _try in range(20):
                    if self.true_jerk(o + r.uniform(-120, 180), "first" if k == 0 else "re-onset"):
                        break
            if r.random() < 0.7:
                for _try in range(20):
                    t = o + r.choice([-1, 1]) * r.uniform(30, 600)
                    if self.free(t - 12, t + 13, pad=0.0) and self.movement(
                            t, r.uniform(0.8, 1.2), ["lobe", "pulses", "rotation"], r.uniform(0.5, 0.7),
                            "onset_fidget", SIDES, lag_s=0.05):
                        self.busy.append((t - 12.0, t + 13.0))
                        break
        # sleep: PLM series, isolated LMs; series with planted members far from any onset
        sleep = [(o, awakenings[k][0] if k < len(awakenings) else lights_on - 120) for k, o in enumerate(onsets)]
        plm_rate = r.uniform(0, 40)
        for a, b in sleep:
            for s in r.uniform(a, b, r.poisson(plm_rate * (b - a) / 3600.0 / 15.0)):
                self.plm_series(float(s), b)
            for s in r.uniform(a, b, r.poisson(r.uniform(2, 8) * (b - a) / 3600.0)):
                self.lm(float(s))
            far = (a + 1800, b - 1800)
            for _ in range(int(r.integers(1, 4))) if far[1] > far[0] else []:
                self.plm_series(float(r.uniform(*far)), b - 1200, members=int(r.integers(1, 4)))
        return lights_out, lights_on, onsets

    def recording(self) -> Recording:
        legs = {}
        for side, leg in self.legs.items():
            a = leg.force_g() + self.r.normal(0, self.noise, (leg.t.size, 3))   # sensor axes = shank axes
            a = np.round(a / self.lsb) * self.lsb
            legs[side] = Leg(side, leg.t + 1.7e9, a.astype(np.float32), self.fs, range_g=8.0, source=f"{side}.sim")
        return Recording(legs)


def make_stress_night(seed: int, hours: float = 3.0) -> StressNight:
    """Draw and render the stress night of ``seed``."""
    night = _Stress(seed, hours)
    lights_out, lights_on, onsets = night.draw()
    truth = pd.DataFrame(night.rows).sort_values("onset_s", ignore_index=True)
    lm_peaks = truth.loc[truth["kind"].isin(["plm", "lm"]), "peak_g"]
    return StressNight(night.recording(), truth, tuple(onsets), float(lights_out), float(lights_on), night.fs,
                       night.noise, float(lm_peaks.median()) if len(lm_peaks) else night.lm_median)


def score_stress(night: StressNight, events: pd.DataFrame, tol_s: float = 1.0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per planted event group (jerks and confounders): whether it was called a jerk, and for a jerk missed,
    the reason on the nearest row; and the false jerks that hit no planted confounder (kind "other")."""
    t = night.truth
    found = events[events["type"] == "hypnic_jerk"]
    f_on = found["onset_s"].to_numpy(float)
    used = np.zeros(f_on.size, bool)
    out = []
    for g, rows in t[t["kind"].isin(("jerk", *CONFOUNDERS))].groupby("group"):
        a, b = rows["onset_s"].min(), rows["offset_s"].max()
        kind = rows["kind"].iloc[0]
        if kind == "jerk":
            hit = np.abs(f_on - a) <= tol_s
        else:
            hit = (f_on >= a - 1.5) & (f_on <= b + 1.5)
        used |= hit
        near = events[(events["onset_s"] <= b + 1.5) & (events["offset_s"] >= a - 1.5)]
        reasons = near["jerk_reason"].dropna().astype(str).tolist() if "jerk_reason" in near else []
        onset_dt = min((a - o for o in night.onsets_s), key=abs)
        out.append({"group": g, "kind": kind, "jerk": bool(hit.any()), "onset_s": a, "dur_s": b - a,
                    "legs": rows["side"].nunique(), "peak_g": rows["peak_g"].max(), "shape": rows["shape"].iloc[0],
                    "width_s": rows["width_s"].iloc[0], "ratio": rows["peak_g"].max() / night.lm_median_g,
                    "from_onset_min": onset_dt / 60.0, "types": ",".join(near["type"].astype(str)),
                    "reason": reasons[0] if reasons else ""})
    groups = pd.DataFrame(out)
    other = found[~used][["onset_s", "side", "jerk_reason"]].copy()
    lut = t.assign(lo=t["onset_s"] - 1.5, hi=t["offset_s"] + 1.5)
    other["what"] = [",".join(sorted(set(lut.loc[(lut["lo"] <= x) & (lut["hi"] >= x), "kind"]))) or "nothing"
                     for x in other["onset_s"]]
    return groups, other


def score_onsets(true_s, found_s, tol_s: float = 900.0) -> dict[str, float]:
    """The sleep estimate against the planted onsets (s): the first onset's error (min; NaN without one of
    either), estimated onsets more than ``tol_s`` from every true one (``far``: e.g. inside established sleep),
    and true onsets with no estimated one within ``tol_s`` (``missed``). ``tol_s`` is the jerk rule's timing
    window (15 min, docs/scoring.md §3.1): an estimated onset farther away times no jerk at the true one.

    >>> score_onsets([1000.0, 5000.0], [1060.0, 3000.0])
    {'first_err_min': 1.0, 'far': 1, 'missed': 1, 'true': 2}
    """
    t, f = np.asarray(true_s, float), np.asarray(found_s, float)
    dist = np.abs(t[:, None] - f[None, :]) if t.size and f.size else np.full((t.size, f.size), np.inf)
    return {"first_err_min": float(abs(f[0] - t[0]) / 60.0) if t.size and f.size else float("nan"),
            "far": int((dist.min(axis=0, initial=np.inf) > tol_s).sum()),
            "missed": int((dist.min(axis=1, initial=np.inf) > tol_s).sum()), "true": int(t.size)}


def analyze_stress(night: StressNight, *, keep_series_beat: bool = False):
    import dataclasses

    import lrm
    from lrm.params import Params

    params = Params()
    if keep_series_beat:
        params = dataclasses.replace(params, sleep=dataclasses.replace(params.sleep, keep_series_beat=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return lrm.analyze(night.recording, params, threads=1, lights_out=night.lights_out_s,
                           lights_on=night.lights_on_s)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nights", type=int, default=20)
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--hours", type=float, default=3.0)
    parser.add_argument("--csv", help="write one row per planted event group here")
    parser.add_argument("--keep-series-beat", action="store_true", help="SleepParams.keep_series_beat (opt-in)")
    args = parser.parse_args(argv)
    allg, allo, ons = [], [], []
    for seed in range(args.first_seed, args.first_seed + args.nights):
        night = make_stress_night(seed, args.hours)
        result = analyze_stress(night, keep_series_beat=args.keep_series_beat)
        g, o = score_stress(night, result.events)
        ons.append(score_onsets(night.onsets_s, result.summary.sleep_onsets_s))
        g["seed"], o["seed"] = seed, seed
        g["fs_hz"], g["noise_mg"] = night.fs_hz, night.noise_g * 1e3
        allg.append(g)
        allo.append(o)
        j = g[g["kind"] == "jerk"]
        print(f"seed {seed} {night.fs_hz:g} Hz {night.noise_g * 1e3:.1f} mg: jerks {int(j['jerk'].sum())}/{len(j)}, "
              f"false {int(g.loc[g['kind'] != 'jerk', 'jerk'].sum()) + len(o)}", file=sys.stderr, flush=True)
    g, o = pd.concat(allg, ignore_index=True), pd.concat(allo, ignore_index=True)
    if args.csv:
        g.to_csv(args.csv, index=False)
        o.to_csv(args.csv.replace(".csv", "-other.csv"), index=False)
    print(summarize(g, o))
    k = pd.DataFrame(ons)
    err = np.sort(k["first_err_min"].dropna().to_numpy())
    worst = err[-max(1, round(0.1 * err.size)):].mean()
    print(f"sleep onsets: first onset error {err.mean():.1f} min (worst decile {worst:.1f}); "
          f"estimated onsets > 15 min from every true one {int(k['far'].sum())}; true onsets without an estimated one "
          f"within 15 min {int(k['missed'].sum())} of {int(k['true'].sum())}")
    return 0


def summarize(g: pd.DataFrame, o: pd.DataFrame) -> str:
    lines = []
    for kind in CONFOUNDERS:
        k = g[g["kind"] == kind]
        lines.append(f"{kind}: {int(k['jerk'].sum())} of {len(k)} called jerks")
    lines.append(f"other false jerks: {len(o)} ({o['what'].value_counts().to_dict() if len(o) else {}})")
    j = g[g["kind"] == "jerk"]
    tp, fp = int(j["jerk"].sum()), int(g.loc[g["kind"] != "jerk", "jerk"].sum()) + len(o)
    lines.append(f"jerks: TP {tp} FP {fp} FN {len(j) - tp}; precision {tp / max(tp + fp, 1):.3f} "
                 f"recall {tp / max(len(j), 1):.3f}")
    for col, bins in (("width_s", [0.1, 0.2, 0.3, 0.4, 0.5]), ("ratio", [0, 2, 4, 8, 30]),
                      ("fs_hz", [9, 14, 30, 70, 210]), ("noise_mg", [0, 4, 8, 16]), ("legs", [0, 1.5, 3])):
        cut = pd.cut(j[col], bins)
        lines.append(f"recall by {col}: " + ", ".join(f"{iv}: {r['jerk'].mean():.2f} (n={len(r)})"
                                                     for iv, r in j.groupby(cut, observed=True)))
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
