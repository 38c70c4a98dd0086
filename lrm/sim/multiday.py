"""Simulated multi-day recordings: several simulated nights with the days between them, as device files.

A week-long device recording is nights (each simulated by :func:`lrm.sim.night.simulate`, with its truth)
and days between them: either worn (standing, sitting, walking bouts) or not worn (the sensor taken off in
the morning and left on a table until the evening). Night ``k`` starts at a local evening time on the
``k``-th evening; the whole recording starts at 13:00 local on the first day and ends at 11:00 local after
the last night. Samples are streamed at the nominal rate, whole seconds at a time, as :class:`Segment` s for
the vendor-format writers (:mod:`lrm.io.device_writers`), so a 7-day 100 Hz two-leg recording is written in
bounded memory; one night is simulated at a time (twice: once per leg's file).

>>> md = plan_multiday(3, seed=1, daytime=("wear", "nonwear"), timezone="Europe/Berlin", night_hours=2.0)
>>> [k for k in md.day_kinds], md.evening_dates
(['wear', 'nonwear'], ('2024-03-04', '2024-03-05', '2024-03-06'))
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from lrm.io.device_writers import Segment, write_cwa, write_geneactiv_bin, write_gt3x
from lrm.sim.night import SimulatedNight, simulate
from lrm.sim.profiles import ProfileName, SimVariation

__all__ = ["MultiDay", "plan_multiday", "leg_segments", "night_segments", "write_multiday"]

DayKind = Literal["wear", "nonwear"]
FileFormat = Literal["cwa", "gt3x", "bin"]
CHUNK_S = 3600


@dataclass(frozen=True, slots=True)
class MultiDay:
    """The plan of a multi-day recording; nights are simulated on demand (:meth:`night`).

    ``night_start_s[k]``: Unix s of night k's first sample (its recording includes the upright time before
    lights-out and after lights-on); ``start_s``/``end_s``: the whole recording; ``day_kinds[k]``: the day
    after night k ("wear" or "nonwear"); ``timezone``: where it was recorded (an IANA name); ``night_worn[k]``:
    False when night k's sensor lay on a table (no lying, no movements: a non-wear night).
    """

    profile: ProfileName
    seed: int
    fs_hz: float
    night_hours: float
    timezone: str
    start_s: float
    end_s: float
    night_start_s: tuple[float, ...]
    day_kinds: tuple[DayKind, ...]
    evening_dates: tuple[str, ...]
    sides: tuple[str, ...]
    variation: SimVariation
    night_worn: tuple[bool, ...] = ()

    def night(self, k: int) -> SimulatedNight:
        """Night ``k`` as :func:`lrm.sim.night.simulate` gives it (its own times; shift by :meth:`offset_s`)."""
        return simulate(self.profile, seed=self.seed * 1000 + k, hours=self.night_hours, rate_hz=self.fs_hz,
                        sides=self.sides, variation=self.variation)

    def offset_s(self, k: int, night: SimulatedNight) -> float:
        """What to add to night ``k``'s own times (samples and truth) to place it in this recording."""
        return self.night_start_s[k] - night.recording.start_s


def plan_multiday(n_nights: int, *, seed: int = 0, profile: ProfileName = "plmd", rate_hz: float = 100.0,
                  night_hours: float = 9.0, daytime: Sequence[DayKind] | None = None,
                  timezone: str = "Europe/Berlin", first_evening: str = "2024-03-04",
                  sides: Sequence[str] = ("left", "right"), night_worn: Sequence[bool] | None = None) -> MultiDay:
    """Plan ``n_nights`` nights (night ``k`` starts 21:00-22:30 local on evening ``k``) and the days between.

    ``daytime``: the kind of each of the ``n_nights - 1`` days between nights (default: every third day not
    worn, the others worn). ``night_worn``: per night, False when the sensor stayed on the table that night
    (and the days around it). The nights' sensors are clean of BLE artefacts (no gaps, jitter or timestamp
    drift: device files sample on one clock) and strapped the same way every night (sensor axes along the
    shank's: a random mounting would differ night by night); everything else is drawn from the seed.
    """
    if n_nights < 1:
        raise ValueError(f"n_nights must be >= 1, got {n_nights}")
    kinds = tuple(daytime) if daytime is not None else tuple("nonwear" if k % 3 == 1 else "wear" for k in range(n_nights - 1))
    if len(kinds) != n_nights - 1 or any(k not in ("wear", "nonwear") for k in kinds):
        raise ValueError(f"daytime must give 'wear' or 'nonwear' for each of the {n_nights - 1} days between nights")
    worn = tuple(bool(w) for w in night_worn) if night_worn is not None else (True,) * n_nights
    if len(worn) != n_nights:
        raise ValueError(f"night_worn must give one bool per night ({n_nights})")
    kinds = tuple("nonwear" if not (worn[k] and worn[k + 1]) else kind for k, kind in enumerate(kinds))
    if not 2.0 <= night_hours <= 13.0:
        raise ValueError(f"night_hours must lie in [2, 13] h, got {night_hours}")
    zone, rng = ZoneInfo(timezone), np.random.default_rng(seed)
    first = date.fromisoformat(first_evening)

    def local(day: date, hour: float) -> float:
        return datetime.combine(day, time(), tzinfo=zone).timestamp() + round(hour * 3600.0)

    starts = tuple(local(first + timedelta(days=k), float(rng.uniform(21.0, 22.5))) for k in range(n_nights))
    zero = {"left": 0.0, "right": 0.0}
    variation = SimVariation(gaps_per_h=0.0, timestamp_jitter_s=0.0, drift_ppm=zero, clock_offset_s=zero, start_lag_s=zero,
                             range_g=8.0, mounting="aligned")   # one strapping for the week: the same axes every night
    end = local(first + timedelta(days=n_nights), 11.0)
    return MultiDay(profile, int(seed), float(rate_hz), float(night_hours), timezone, local(first, 13.0),
                    max(end, starts[-1] + night_hours * 3600.0 + 3600.0), starts, kinds,
                    tuple((first + timedelta(days=k)).isoformat() for k in range(n_nights)), tuple(sides), variation,
                    worn)


def _rotate(v: npt.NDArray[np.float64], axis: npt.NDArray[np.float64], angle_rad: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    """Rodrigues: the vector ``v`` (3,) rotated about the unit ``axis`` (3,) by each angle (n,) -> (n, 3)."""
    c, s = np.cos(angle_rad)[:, None], np.sin(angle_rad)[:, None]
    return v * c + np.cross(axis, v) * s + axis * np.dot(axis, v) * (1 - c)


def _day_samples(seconds: int, fs: float, rng: np.random.Generator, kind: DayKind, upright_g: npt.NDArray[np.float64],
                 noise_g: float, *, off_before: bool = False, off_after: bool = False,
                 table_g: npt.NDArray[np.float64] | None = None) -> Iterator[tuple[int, npt.NDArray[np.float32], bool]]:
    """A day's samples in chunks: (offset in s, (n, 3) g, worn). Worn: standing, sitting and walking bouts
    (the shank swinging +-25 deg at 0.9 strides/s with heel strikes), with a weight shift or fidget (a tilt
    change of ~6 deg) every 20-240 s; not worn (``table_g``: the orientation it lies in, kept through a night
    off, ``off_before``/``off_after`` when the night before/after was off too): the sensor lies on a table
    from 20-40 min after the night until 20-40 min before the next."""
    u = upright_g / np.linalg.norm(upright_g)
    lateral = np.cross(u, [1.0, 0.0, 0.0] if abs(u[0]) < 0.9 else [0.0, 1.0, 0.0])
    lateral /= np.linalg.norm(lateral)
    off_from, off_to = seconds, seconds
    if kind == "nonwear":               # off from the morning to the evening, or on from/to a night off
        off_from = 0 if off_before else int(rng.uniform(1200, 2400))
        off_to = seconds if off_after else seconds - int(rng.uniform(1200, 2400))
    table = rng.normal(0, 1, 3) if table_g is None else np.asarray(table_g, np.float64)
    table /= np.linalg.norm(table)
    shifts, t = [], 0.0                     # weight shifts and fidgets: the shank tilt changes by a few degrees
    while t < seconds:
        shifts.append((t, float(rng.normal(0.0, np.radians(6.0)))))
        t += float(rng.uniform(20, 240))
    shift_t, shift_rad = np.array([a for a, _ in shifts]), np.array([b for _, b in shifts])
    bouts, t = [], 0.0
    while t < seconds:                      # (start, end, state): 0 stand, 1 sit, 2 walk
        length = float(rng.uniform(60, 1200))
        bouts.append((t, t + length, int(rng.choice(3, p=[0.3, 0.5, 0.2]))))
        t += length
    for at in range(0, seconds, CHUNK_S):
        n_s = min(CHUNK_S, seconds - at)
        ts = at + np.arange(int(n_s * fs)) / fs
        angle = shift_rad[np.searchsorted(shift_t, ts, side="right") - 1]
        lin = np.zeros((ts.size, 3))
        for b0, b1, state in bouts:
            k = (ts >= b0) & (ts < b1)
            if not k.any():
                continue
            if state == 1:
                angle[k] += np.radians(20.0)
            elif state == 2:
                phase = 2 * np.pi * 0.9 * ts[k]
                angle[k] += np.radians(25.0) * np.sin(phase)
                lin[k] = (0.3 * np.sin(2 * phase) + 0.8 * np.maximum(np.sin(phase), 0) ** 8)[:, None] * u
        accel = _rotate(u, lateral, angle) + lin
        off = (ts >= off_from) & (ts < off_to)
        accel[off] = table
        accel += rng.normal(0, noise_g, accel.shape)
        worn = not off.all()
        yield at, accel.astype(np.float32), worn


def _upright_g(night: SimulatedNight, side: str) -> npt.NDArray[np.float64]:
    """The leg's gravity reading when upright (sensor frame, g): its mean while walking in the simulated night
    (gait swings average out), else over its first 30 s."""
    leg = night.recording.legs[side]
    events = night.truth.events
    walks = events[(events["type"] == "walking") & events["side"].isin([side, "bilateral"])]
    t = leg.t_s - night.recording.start_s
    inside = np.zeros(t.size, bool)
    for a, b in walks[["onset_s", "offset_s"]].to_numpy(float):
        inside |= (t >= a) & (t < b)
    samples = leg.accel_g[inside] if inside.sum() >= 10 * leg.fs_hz else leg.accel_g[: int(30 * leg.fs_hz)]
    return np.mean(samples, axis=0).astype(np.float64)


def _table_g(md: MultiDay, k: int) -> npt.NDArray[np.float64]:
    """The orientation the sensor lies in on the table while off around night ``k`` (g, unit)."""
    v = np.random.default_rng([md.seed, k, 9]).normal(0, 1, 3)
    return v / np.linalg.norm(v)


def night_segments(md: MultiDay, k: int, side: str, night: SimulatedNight | None = None) -> Iterator[Segment]:
    """Night ``k``'s samples of one leg at the nominal rate from its start (whole seconds)."""
    night = night or md.night(k)
    accel = night.recording.legs[side].accel_g
    fs = int(md.fs_hz)
    n = accel.shape[0] // fs * fs
    if md.night_worn and not md.night_worn[k]:                         # on the table all night
        rng = np.random.default_rng([md.seed, k, 7])
        accel = (_table_g(md, k) + rng.normal(0, 0.003, (n, 3))).astype(np.float32)
    for at in range(0, n, CHUNK_S * fs):
        yield Segment(md.night_start_s[k] + at / md.fs_hz, accel[at:min(n, at + CHUNK_S * fs)])


def leg_segments(md: MultiDay, side: str) -> Iterator[Segment]:
    """The whole recording of one leg, in time order: afternoon, night 0, day 0, night 1, ..., morning."""
    rng = np.random.default_rng([md.seed, 0 if side == "left" else 1])
    cursor, fs = md.start_s, md.fs_hz
    for k in range(len(md.night_start_s)):
        night = md.night(k)
        accel = night.recording.legs[side].accel_g
        upright = _upright_g(night, side)
        kind: DayKind = "wear" if k == 0 else md.day_kinds[k - 1]
        lead = int(md.night_start_s[k] - cursor)
        worn = md.night_worn or (True,) * len(md.night_start_s)
        before_off = k > 0 and not worn[k - 1]
        table = _table_g(md, k) if not worn[k] else (_table_g(md, k - 1) if before_off else None)
        for at, chunk, worn_now in _day_samples(lead, fs, rng, kind, upright, 0.004, off_before=before_off,
                                                off_after=not worn[k], table_g=table):
            yield Segment(cursor + at, chunk, worn_now)
        yield from night_segments(md, k, side, night)
        cursor = md.night_start_s[k] + accel.shape[0] // int(fs)
        if k == len(md.night_start_s) - 1:
            for at, chunk, worn in _day_samples(int(md.end_s - cursor), fs, rng, "wear", upright, 0.004):
                yield Segment(cursor + at, chunk, worn)


def write_multiday(md: MultiDay, out_dir: str | os.PathLike[str], fmt: FileFormat = "cwa",
                   night: int | None = None) -> dict[str, Path]:
    """Write one device file per leg (``<side>.<fmt>``) of the whole recording, or of night ``night`` alone.

    Times in the files are local wall clock: the ``.cwa`` format states no zone; ``.gt3x`` and ``.bin`` state
    the offset of the recording's first day (a recording that crosses a DST change keeps one offset, as the
    devices do).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    zone = ZoneInfo(md.timezone)
    offset_s = datetime.fromtimestamp(md.start_s, zone).utcoffset().total_seconds()  # type: ignore[union-attr]
    paths = {}
    for side in md.sides:
        segments = leg_segments(md, side) if night is None else night_segments(md, night, side)
        local = (replace(seg, start_s=seg.start_s + offset_s) for seg in segments)
        path = out / f"{side}.{fmt}"
        if fmt == "cwa":
            write_cwa(path, local, fs_hz=md.fs_hz)
        elif fmt == "gt3x":
            write_gt3x(path, local, fs_hz=md.fs_hz, tz_offset_s=offset_s)
        elif fmt == "bin":
            pages = int((md.end_s - md.start_s) * md.fs_hz) // 300
            write_geneactiv_bin(path, local, fs_hz=md.fs_hz, tz_offset_s=offset_s, n_pages_hint=pages)
        else:
            raise ValueError(f"fmt must be 'cwa', 'gt3x' or 'bin', got {fmt!r}")
        paths[side] = path
    return paths
