"""Faults a virtual sensor can inject, and the ``--faults`` mini-language of ``lrm record --simulate``.

Times are seconds of (simulated) night since the sensor was switched on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from lrm.errors import LrmError

__all__ = ["Faults", "FaultSyntaxError", "parse_faults", "FAULTS_HELP"]

FAULTS_HELP = """\
comma-separated faults, applied to every simulated sensor (prefix with left: or right: for one side):
  disconnect@T+D   the link drops at T s and the sensor is out of range for D s (connections time out)
  stall@T+D        notifications silently stop at T s although the link stays up (the watchdog must
                   reconnect); D is how long the sensor ignores reconnections after that (0 = none)
  refuse=N         after every drop, the next N connection attempts are refused
  drop=P           each notification is lost with probability P (device buffer overflow)
  drift=PPM        device clock error in ppm (default: +35 left, -20 right)
  battery=PCT/H    battery drain in percent per hour (default 2)
  mtu=23           the sensor only supports the default 23-byte ATT MTU
  odr=PCT          (Polar) the output data rate is off its nominal value by PCT percent on the sensor's own clock
  sensorstop@T     (Polar) the sensor ends the stream itself at T s ("measurement stopped" on the control point)
example: disconnect@600+45,stall@1500+0,refuse=2,drop=0.002,right:drift=-60"""


class FaultSyntaxError(LrmError):
    def __init__(self, text: str, problem: str) -> None:
        super().__init__(text, problem)

    def __str__(self) -> str:
        return f"--faults {self.args[0]!r}: {self.args[1]}. Fix: see 'lrm record --help' for the fault syntax"


@dataclass(frozen=True)
class Faults:
    """Fault plan of one virtual sensor.

    Attributes
    ----------
    disconnects : tuple of (at_s, down_s)
        Link drops at ``at_s`` s after power-on; the sensor is unreachable for ``down_s`` s afterwards.
    stalls : tuple of (at_s, down_s)
        Notifications stop at ``at_s`` with the link up; after the central gives up on the link the
        sensor stays unreachable for ``down_s`` s.
    refuse_reconnects : int
        Connection attempts refused after each drop (``le-connection-abort-by-local``).
    drop_prob : float
        Probability that a notification is lost on the device (0..1).
    drift_ppm : float or None
        Device clock error in ppm (positive: the device clock runs fast); None keeps the sensor default.
    battery_drain_pct_per_h : float
        Battery drain in % per hour.
    mtu : int or None
        Largest ATT MTU the sensor accepts (None: 247).
    odr_error_pct : float
        The sensor's true output data rate differs from its nominal one by this % as its own clock measures it
        (Polar: MEMS oscillators are specified to a few %; the frame timestamps then show the true rate).
    sensor_stops : tuple of float
        Times at which the sensor ends the stream by itself and says so (Polar ``01 02`` on the control point).
    """

    disconnects: tuple[tuple[float, float], ...] = ()
    stalls: tuple[tuple[float, float], ...] = ()
    refuse_reconnects: int = 0
    drop_prob: float = 0.0
    drift_ppm: float | None = None
    battery_drain_pct_per_h: float = 2.0
    mtu: int | None = None
    odr_error_pct: float = 0.0
    sensor_stops: tuple[float, ...] = ()
    seed: int = field(default=0, compare=False)


_WINDOW = re.compile(r"^(disconnect|stall)@(\d+(?:\.\d*)?)\+(\d+(?:\.\d*)?)$")
_VALUE = re.compile(r"^(refuse|drop|drift|battery|mtu|odr)=([-+]?\d+(?:\.\d*)?)(?:/h|%)?$")
_AT = re.compile(r"^sensorstop@(\d+(?:\.\d*)?)$")


def parse_faults(text: str | None) -> dict[str, Faults]:
    """Parse the ``--faults`` text into one :class:`Faults` per side.

    >>> plan = parse_faults("disconnect@600+45,refuse=2,right:drift=-60")
    >>> plan["left"].disconnects, plan["left"].refuse_reconnects, plan["right"].drift_ppm
    (((600.0, 45.0),), 2, -60.0)
    """
    plans = {"left": Faults(), "right": Faults()}
    for raw in (text or "").split(","):
        item = raw.strip()
        if not item:
            continue
        sides = ("left", "right")
        if ":" in item:
            side, item = item.split(":", 1)
            if side not in sides:
                raise FaultSyntaxError(raw, f"unknown side {side!r} (use left: or right:)")
            sides = (side,)
        for side in sides:
            plans[side] = _apply(plans[side], item, raw)
    return plans


def _apply(plan: Faults, item: str, raw: str) -> Faults:
    if m := _WINDOW.match(item):
        window = (float(m[2]), float(m[3]))
        if m[1] == "disconnect":
            return replace(plan, disconnects=tuple(sorted(plan.disconnects + (window,))))
        return replace(plan, stalls=tuple(sorted(plan.stalls + (window,))))
    if m := _AT.match(item):
        return replace(plan, sensor_stops=tuple(sorted(plan.sensor_stops + (float(m[1]),))))
    if m := _VALUE.match(item):
        key, value = m[1], float(m[2])
        if key == "odr":
            if not -20 < value < 20:
                raise FaultSyntaxError(raw, "odr must be a % within (-20, 20)")
            return replace(plan, odr_error_pct=value)
        if key == "refuse":
            return replace(plan, refuse_reconnects=int(value))
        if key == "drop":
            if not 0 <= value < 1:
                raise FaultSyntaxError(raw, "drop probability must be in [0, 1)")
            return replace(plan, drop_prob=value)
        if key == "drift":
            return replace(plan, drift_ppm=value)
        if key == "battery":
            return replace(plan, battery_drain_pct_per_h=value)
        if int(value) not in range(23, 518):
            raise FaultSyntaxError(raw, "mtu must be between 23 and 517")
        return replace(plan, mtu=int(value))
    raise FaultSyntaxError(raw, f"cannot parse {item!r}")
