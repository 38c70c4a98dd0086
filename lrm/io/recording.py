"""The in-memory recording every reader returns and every analysis starts from."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

__all__ = ["Side", "SIDES", "Gap", "Leg", "Recording", "READ_WARNINGS"]

READ_WARNINGS = "read_warnings"
"""The ``Recording.meta`` key of what reading found but could not decide (a file named for the other ankle): a tuple
of one-line notes, warned when read and listed again with the night's warnings when it is analysed."""

Side = Literal["left", "right"]
SIDES: tuple[Side, ...] = ("left", "right")


@dataclass(frozen=True, slots=True)
class Gap:
    """A stretch with no samples on one leg, as known to the recorder or reader.

    ``start_s``/``end_s`` are Unix epoch seconds (the same clock as :attr:`Leg.t_s`);
    ``cause`` is a short machine-readable word (``"disconnected"``, ``"silent"``, ``"sensor-stopped"``,
    ``"dropped"``, ``"missing"``) and ``detail`` free text.
    """

    start_s: float
    end_s: float
    cause: str = "missing"
    detail: str = ""

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True, slots=True, eq=False)
class Leg:
    """Samples of one ankle sensor.

    Attributes
    ----------
    side : {"left", "right"}
        Which ankle.
    t_s : ndarray of float64, shape (n,)
        Sample times in s. Unix epoch seconds when :attr:`Recording.time_is_absolute`, otherwise
        seconds from an arbitrary origin shared by both legs. Non-decreasing after reading; readers
        report (not hide) repairs in ``notes``.
    accel_g : ndarray of float32, shape (n, 3)
        Acceleration in g (1 g = 9.80665 m/s^2), gravity included, sensor axes.
    fs_hz : float
        Nominal (declared or estimated) sampling rate in Hz.
    device, serial : str
        Device model and serial number or BLE address, when known.
    range_g : float or None
        Declared full-scale range in g (e.g. 8 for +-8 g), used to detect clipping.
    source : str
        The file (or recording directory) the samples came from.
    gaps : tuple of Gap
        Gaps known from the source (BLE disconnects with their cause); readers that cannot know leave
        it empty and the pipeline finds gaps from the timestamps.
    filled : tuple of Gap
        Stretches the device did not record but whose samples the reader filled as the vendor's software
        does (ActiGraph idle sleep: the last sample repeated, ``cause="idle-sleep"``); their samples are in
        ``t_s``/``accel_g``, and reports say how much was filled.
    clock_offset_s, clock_drift_ppm : float
        Clock correction already applied to ``t_s`` by the source (BLE clock model), for reporting.
    notes : tuple of str
        Human-readable remarks from the reader (repaired timestamps, unit conversion, ...).
    """

    side: Side
    t_s: npt.NDArray[np.float64]
    accel_g: npt.NDArray[np.float32]
    fs_hz: float
    device: str = ""
    serial: str = ""
    range_g: float | None = None
    source: str = ""
    gaps: tuple[Gap, ...] = ()
    filled: tuple[Gap, ...] = ()
    clock_offset_s: float = 0.0
    clock_drift_ppm: float = 0.0
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.side not in SIDES:
            raise ValueError(f"side must be 'left' or 'right', got {self.side!r}")
        if self.t_s.ndim != 1 or self.accel_g.shape != (self.t_s.shape[0], 3):
            raise ValueError(
                f"t_s must be (n,) and accel_g (n, 3); got {self.t_s.shape} and {self.accel_g.shape}"
            )
        if not self.fs_hz > 0:
            raise ValueError(f"fs_hz must be > 0 Hz, got {self.fs_hz}")

    @property
    def n_samples(self) -> int:
        return int(self.t_s.shape[0])

    @property
    def duration_s(self) -> float:
        """Seconds from the first to the last sample (0 for fewer than two samples)."""
        return float(self.t_s[-1] - self.t_s[0]) if self.n_samples > 1 else 0.0


@dataclass(frozen=True, slots=True, eq=False)
class Recording:
    """One night: one or two legs sharing one clock.

    ``legs`` maps ``"left"``/``"right"`` to :class:`Leg`. ``time_is_absolute`` says whether
    ``t_s`` are Unix epoch seconds (``True``) or relative seconds. ``meta`` carries free-form
    provenance (format name, subject id, file hashes) that reports show.

    ``timezone`` is the zone of the place where the night was recorded (lrm.io.timezones): an IANA name
    (``"Europe/Berlin"``) or a fixed offset (``"+02:00"``), or ``None`` when unknown (times are then shown
    in UTC and labelled so). ``timezone_source`` says where it came from: ``"file"``, ``"option"``
    (``--tz``), ``"computer"`` (``lrm record``) or ``"unknown"``.

    ``clock`` is ``"utc"`` when absolute ``t_s`` are true Unix epoch seconds, or ``"local"`` when the file
    held only local wall-clock times and no zone was known to convert them: ``t_s`` then count that wall clock
    as if it were UTC, ``timezone`` is ``None``, and times are shown as local clock time "(time zone not
    stated)", never labelled UTC (:func:`lrm.io.timezones.zone_label`).
    """

    legs: Mapping[str, Leg]
    time_is_absolute: bool = True
    subject: str = ""
    meta: Mapping[str, object] = field(default_factory=dict)
    timezone: str | None = None
    timezone_source: str = "unknown"
    clock: str = "utc"

    def __post_init__(self) -> None:
        if not self.legs:
            raise ValueError("a Recording needs at least one leg")
        if self.clock not in ("utc", "local") or (self.clock == "local" and self.timezone is not None):
            raise ValueError(f"clock must be 'utc', or 'local' without a timezone; got {self.clock!r}, {self.timezone!r}")
        for key, leg in self.legs.items():
            if key != leg.side:
                raise ValueError(f"legs[{key!r}] holds the {leg.side} leg")

    @property
    def start_s(self) -> float:
        """Earliest sample time over all legs (the origin of ``onset_s`` in events.csv)."""
        return float(min(leg.t_s[0] for leg in self.legs.values() if leg.n_samples))

    @property
    def end_s(self) -> float:
        return float(max(leg.t_s[-1] for leg in self.legs.values() if leg.n_samples))

    @property
    def sides(self) -> tuple[str, ...]:
        return tuple(side for side in SIDES if side in self.legs)
