"""Virtual ankle sensors wearing a simulated night (``lrm record --simulate``, ``lrm scan --simulate``).

The night simulator (:func:`lrm.sim.night.simulate`) provides what each ankle moves like; the virtual
sensors add everything BLE does to it (their own clock drift, packetising, link faults). The simulator is
asked for a clean sensor (no clock drift, no gaps, no timestamp jitter) so those come only from here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from lrm.ble.timebase import SimulatedTime
from lrm.ble.virtual.backend import VirtualRadio
from lrm.ble.virtual.families import FAMILIES, make_sensor
from lrm.ble.virtual.faults import Faults

__all__ = ["virtual_radio", "showroom_radio", "DEFAULT_DRIFT_PPM"]

DEFAULT_DRIFT_PPM = {"left": 35.0, "right": -20.0}


def virtual_radio(
    timebase: SimulatedTime,
    *,
    profile: str = "plmd",
    hours: float = 8.0,
    family: str | Mapping[str, str] = "lrm-open",
    sides: Sequence[str] = ("left", "right"),
    faults: Mapping[str, Faults] | None = None,
    seed: int = 0,
    rate_hz: float | Mapping[str, float] | None = None,
) -> VirtualRadio:
    """A radio with one virtual ``family`` sensor per side, streaming a simulated ``profile`` night.

    ``family`` is a key of :data:`~lrm.ble.virtual.families.FAMILIES` or one per side. ``rate_hz`` (one, or
    one per side) is the output rate the sensors run at, i.e. the rate their driver will configure (default:
    each family's default rate); the night is simulated at that rate. The simulated time of ``timebase`` is
    moved to the simulated night's start (its wall clock then reads the night's real date and time). Each
    sensor is reachable as ``radio.sensors`` and keeps the truth (``sensor.night`` is the
    :class:`~lrm.sim.night.SimulatedNight`).
    """
    from lrm.sim.night import simulate
    from lrm.sim.profiles import SimVariation

    families = {s: family if isinstance(family, str) else family[s] for s in sides}
    for fam in families.values():
        if fam not in FAMILIES:
            raise ValueError(f"no virtual sensor for family {fam!r}; known: {', '.join(FAMILIES)}")
    rates = {s: float(rate_hz if isinstance(rate_hz, (int, float)) else (rate_hz or {}).get(s)
                      or FAMILIES[families[s]].default_rate_hz) for s in sides}
    variation = SimVariation(drift_ppm={s: 0.0 for s in sides}, clock_offset_s={s: 0.0 for s in sides},
                             start_lag_s={s: 0.0 for s in sides}, timestamp_jitter_s=0.0, gaps_per_h=0.0)
    night = simulate(profile, seed=seed, hours=hours, rate_hz=rates, sides=tuple(sides), variation=variation)
    start = night.recording.start_s if night.recording.time_is_absolute else timebase.time()
    timebase.wall0_ns = int(round(start * 1e9)) - timebase.monotonic_ns()
    radio = VirtualRadio(timebase)
    plans = dict(faults or {})
    for i, side in enumerate(sides):
        plan = plans.get(side, Faults(seed=seed))
        if plan.drift_ppm is None:
            plan = replace(plan, drift_ppm=DEFAULT_DRIFT_PPM.get(side, 0.0))
        leg = night.recording.legs[side]
        sensor = make_sensor(families[side], side_index=i, source_g=np.asarray(leg.accel_g), timebase=timebase,
                             faults=plan, power_on_s=float(leg.t_s[0]), seed=seed + i, rate_hz=rates[side])
        sensor.night = night  # type: ignore[attr-defined]
        radio.add(sensor)
    return radio


def showroom_radio(timebase: SimulatedTime, *, families: Sequence[str] = tuple(FAMILIES), seed: int = 0) -> VirtualRadio:
    """One virtual sensor of each family in ``families`` (``lrm scan --simulate``), wearing a short simulated
    resting ankle; different distances give different signal strengths."""
    from lrm.sim.night import simulate

    night = simulate("healthy", seed=seed, hours=1 / 6, rate_hz=50.0, sides=("left",))
    source = np.asarray(night.recording.legs["left"].accel_g)
    radio = VirtualRadio(timebase)
    for i, fam in enumerate(families):
        radio.add(make_sensor(fam, side_index=i, source_g=source, timebase=timebase, seed=seed + i, rssi=-55 - 4 * i))
    return radio
