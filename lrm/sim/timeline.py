"""The night's timeline: upright before lights-out, sleep onset, awakenings (one may be a bathroom walk),
the final awakening, lights-on and upright again; plus a 30 s hypnogram.

All times are seconds on the true clock from the simulated recording's start.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lrm.sim.profiles import Profile

__all__ = ["EPOCH_S", "Timeline", "build_timeline"]

EPOCH_S = 30.0


@dataclass(frozen=True, slots=True)
class Timeline:
    """When the sleeper is upright, in bed awake and asleep.

    ``sleep`` is (k, 2) [onset, end) intervals of sleep; ``out_of_bed`` is (m, 2) intervals upright inside
    the time in bed (bathroom trips), with ``walks`` (w, 2) the walking bouts anywhere in the night.
    ``stages`` holds one of W/N1/N2/N3/R per 30 s epoch from t = 0.
    """

    duration_s: float
    lights_out_s: float
    lights_on_s: float
    sleep: np.ndarray
    out_of_bed: np.ndarray
    walks: np.ndarray
    stages: tuple[str, ...]

    @property
    def sleep_onsets_s(self) -> tuple[float, ...]:
        return tuple(float(s) for s in self.sleep[:, 0])

    def stage_at(self, t_s: np.ndarray) -> np.ndarray:
        """Stage label of the epoch holding each time (W past the end)."""
        idx = np.clip((np.asarray(t_s) // EPOCH_S).astype(int), 0, len(self.stages) - 1)
        return np.asarray(self.stages, dtype=object)[idx]

    def upright(self) -> np.ndarray:
        """(k, 2) intervals out of bed: before lights-out, bathroom trips, after lights-on."""
        rows = [[0.0, self.lights_out_s], *self.out_of_bed.tolist(), [self.lights_on_s, self.duration_s]]
        return np.asarray(rows, dtype=float).reshape(-1, 2)


def _walks_in(rng: np.random.Generator, start_s: float, end_s: float, share: float) -> list[list[float]]:
    """Walking bouts covering about ``share`` of an upright interval, 20-120 s each, away from its ends."""
    out: list[list[float]] = []
    t = start_s + rng.uniform(10.0, 40.0)
    while t < end_s - 30.0:
        length = float(min(rng.uniform(20.0, 120.0), end_s - 15.0 - t))
        if length >= 8.0:
            out.append([t, t + length])
        t += length / max(share, 0.05) * rng.uniform(0.6, 1.4)
    return out


def _hypnogram(rng: np.random.Generator, duration_s: float, sleep: np.ndarray) -> tuple[str, ...]:
    n = int(np.ceil(duration_s / EPOCH_S))
    stages = np.full(n, "W", dtype=object)
    cycle_start = None
    for onset, end in sleep:
        i0, i1 = int(np.ceil(onset / EPOCH_S)), int(end // EPOCH_S)
        first = cycle_start is None
        cycle_start = onset if first else cycle_start
        i = i0
        n1 = int(rng.integers(4, 14 if first else 8))  # 2-7 min N1 after an onset
        stages[i:min(i + n1, i1)] = "N1"
        i += n1
        while i < i1:  # ~90 min cycles: N2, N3 (early night), N2, REM (longer late)
            hours_in = (i * EPOCH_S - cycle_start) / 3600.0
            n3 = max(0.0, rng.uniform(10, 30) * (1.0 - hours_in / 5.0))
            block = [("N2", rng.uniform(15, 35)), ("N3", n3), ("N2", rng.uniform(5, 15)),
                     ("R", rng.uniform(5, 12) + 4.0 * hours_in)]
            for stage, minutes in block:
                k = int(minutes * 60.0 / EPOCH_S)
                stages[i:min(i + k, i1)] = stage
                i += k
                if i >= i1:
                    break
    return tuple(str(s) for s in stages)


def build_timeline(rng: np.random.Generator, profile: Profile, duration_s: float,
                   bathroom_trips: int | None = None) -> Timeline:
    """Draw a night's timeline of ``duration_s`` seconds for ``profile``.

    Upright 5-20 min before lights-out and 5-15 min after lights-on (at most ~8 % of the recording each);
    sleep latency from the profile (at most a quarter of the time in bed); awakenings of 1-8 min spread
    over the sleep. ``bathroom_trips`` None (the classic family): the first awakening (in nights > 4 h,
    60 % of them) is a 3-8 min bathroom trip with walking; a number: that many of the awakenings, chosen
    at random (awakenings are added as needed, one per 30 min of sleep at most).
    """
    if duration_s < 600.0:
        raise ValueError(f"the simulated night must last at least 600 s, got {duration_s:g} s")
    pre = min(rng.uniform(5.0, 20.0) * 60.0, 0.08 * duration_s)
    post = min(rng.uniform(5.0, 15.0) * 60.0, 0.08 * duration_s)
    lights_out, lights_on = pre, duration_s - post
    in_bed = lights_on - lights_out
    latency = min(rng.uniform(*profile.sleep_latency_min) * 60.0, 0.25 * in_bed)
    final_wake = min(rng.uniform(2.0, 15.0) * 60.0, 0.05 * in_bed)
    sleep_start, sleep_end = lights_out + latency, lights_on - final_wake
    n_wake = int(rng.integers(profile.awakenings[0], profile.awakenings[1] + 1))
    n_wake = min(n_wake, int((sleep_end - sleep_start) // 1800))
    if bathroom_trips is None:
        trips = {0} if n_wake > 0 and in_bed > 4 * 3600 and rng.random() < 0.6 else set()
    else:
        n_wake = min(max(n_wake, bathroom_trips), int((sleep_end - sleep_start) // 1800))
        trips = {int(k) for k in rng.permutation(n_wake)[:bathroom_trips]}
    centres = np.sort(rng.uniform(sleep_start + 1200.0, sleep_end - 600.0, n_wake)) if n_wake else np.empty(0)
    sleep_rows, out_of_bed, walks = [], [], []
    t = sleep_start
    for k, centre in enumerate(centres):
        length = rng.uniform(3.0, 8.0) * 60.0 if k in trips else rng.uniform(1.0, 8.0) * 60.0
        w0 = max(centre, t + 600.0)
        if w0 + length > sleep_end - 300.0:
            break
        sleep_rows.append([t, w0])
        if k in trips:  # awake 30-90 s, up, walk there and back, then lie awake before re-onset
            up0 = w0 + rng.uniform(30.0, 90.0)
            up1 = up0 + max(length - rng.uniform(60.0, 150.0), 100.0)
            out_of_bed.append([up0, up1])
            walk = rng.uniform(25.0, 60.0)
            walks += [[up0 + 5.0, up0 + 5.0 + walk], [up1 - 5.0 - walk, up1 - 5.0]]
            length = up1 - w0 + rng.uniform(120.0, 600.0)
        t = w0 + length
    sleep_rows.append([t, sleep_end])
    walks += _walks_in(rng, 0.0, lights_out, 0.4) + _walks_in(rng, lights_on, duration_s, 0.4)
    sleep = np.asarray(sleep_rows, dtype=float)
    walks_arr = np.asarray(sorted(walks), dtype=float).reshape(-1, 2)
    return Timeline(duration_s, float(lights_out), float(lights_on), sleep,
                    np.asarray(out_of_bed, dtype=float).reshape(-1, 2), walks_arr, _hypnogram(rng, duration_s, sleep))
