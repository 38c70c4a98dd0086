"""Virtual ankle sensors worn by a simulated SIT sitter (``lrm sit --simulate``).

The sitter (:func:`lrm.sim.sitter.simulate_sit`) provides what each ankle measures; the virtual sensors
add what BLE does to it (their own clock drift, packetising, link faults), as for a simulated night
(:mod:`lrm.ble.virtual.night`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from lrm.ble.timebase import SimulatedTime
from lrm.ble.virtual.backend import VirtualRadio
from lrm.ble.virtual.families import make_sensor
from lrm.ble.virtual.faults import Faults
from lrm.ble.virtual.night import DEFAULT_DRIFT_PPM

__all__ = ["sit_radio"]


def sit_radio(timebase: SimulatedTime, sim: object, *, family: str = "lrm-open",
              faults: Mapping[str, Faults] | None = None, seed: int = 0) -> VirtualRadio:
    """A radio with one virtual ``family`` sensor per ankle, switched on now, streaming ``sim`` (a
    :class:`lrm.sim.sitter.SimulatedSit`); each sensor keeps it as ``sensor.sit``."""
    radio = VirtualRadio(timebase)
    plans = dict(faults or {})
    power_on = timebase.time()
    for i, (side, accel) in enumerate(sim.accel_g.items()):  # type: ignore[attr-defined]
        plan = plans.get(side, Faults(seed=seed))
        if plan.drift_ppm is None:
            plan = replace(plan, drift_ppm=DEFAULT_DRIFT_PPM.get(side, 0.0))
        sensor = make_sensor(family, side_index=i, source_g=accel, timebase=timebase, faults=plan, power_on_s=power_on,
                             seed=seed + i, rate_hz=sim.rate_hz)  # type: ignore[attr-defined]
        sensor.sit = sim  # type: ignore[attr-defined]
        radio.add(sensor)
    return radio
