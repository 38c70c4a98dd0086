"""Clock times in the report: every time in the recording's zone, with the zone named, never silently UTC.

A night's times are s since the recording start (``onset_s``). :class:`NightClock` turns them into the local
clock time of the recording's zone (:func:`lrm.io.timezones.clock_at`: in absolute time, so a night across a
DST change reads as the clocks showed it) and names that zone in every table header and axis label: the
IANA name and its UTC offset that night ("Europe/Berlin, UTC+01:00"), "UTC (time zone unknown)" when the
zone is unknown, or "local time (time zone not stated)" for a recording start stored without an offset
(files that hold only a wall clock: RemLogic and EDF+ exports, device clocks of unknown zone). Without an
absolute start (relative times) clock times are not available and elapsed time is shown instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from lrm.io.timezones import clock_at, to_local

__all__ = ["NightClock", "zone_text", "night_date"]

_NIGHT_DATE_SHIFT = timedelta(hours=12)
"""A night is dated by its evening: a start before noon belongs to the previous day's night."""


def zone_text(tz: str | None, clock: str = "utc", at: datetime | None = None) -> str:
    """The zone as the report names it: ``tz`` (with its UTC offset at ``at``), or what is not known.

    >>> zone_text("Europe/Berlin", at=to_local(1_700_000_000.0, "Europe/Berlin")), zone_text(None)
    ('Europe/Berlin, UTC+01:00', 'UTC (time zone unknown)')
    >>> zone_text(None, "local"), zone_text("+02:00")
    ('local time (time zone not stated)', 'UTC+02:00')
    """
    if tz is None:
        return "local time (time zone not stated)" if clock == "local" else "UTC (time zone unknown)"
    if tz.startswith(("+", "-")):
        return f"UTC{tz}"
    if tz == "UTC" or at is None:
        return tz
    offset = at.strftime("%z")
    return f"{tz}, UTC{offset[:3]}:{offset[3:]}"


def night_date(start: datetime | None) -> date | None:
    """The date a night is filed under: that of its evening (a start before noon counts to the day before).

    >>> night_date(datetime(2026, 3, 2, 0, 40)), night_date(datetime(2026, 3, 1, 22, 5))
    (datetime.date(2026, 3, 1), datetime.date(2026, 3, 1))
    """
    return None if start is None else (start - _NIGHT_DATE_SHIFT).date()


@dataclass(frozen=True, slots=True)
class NightClock:
    """Local clock times of one night.

    start : the recording start as an aware datetime in the display zone (wall clock for a local clock of
        unstated zone), or None when the recording's times are relative.
    zone : the zone's name as shown (:func:`zone_text`).
    tz : the zone (IANA name or offset) times are converted to; None shows them as UTC wall clock.
    """

    start: datetime | None
    zone: str
    tz: str | None = None

    @classmethod
    def of(cls, recording_start: str | None, tz: str | None, clock: str | None = None) -> NightClock:
        """From summary.json's ``recording_start`` (ISO 8601 UTC; without an offset: a local clock of unknown
        zone) and ``timezone``; ``clock="local"`` reads an offset-less start so even when it has one."""
        try:
            start = clock_at(recording_start, 0.0, tz) if recording_start else None
        except ValueError:  # an unreadable start, or a zone name this Python does not know: say so, never guess
            start = clock_at(recording_start, 0.0, None) if recording_start and tz else None
            tz = None
        if start is None:
            return cls(None, "time since the recording started")
        if clock == "local" and start.tzinfo is not None:
            start = start.replace(tzinfo=None)
        local = start.tzinfo is None
        return cls(start, zone_text(None if local else tz, "local" if local else "utc", start), None if local else tz)

    def at(self, t_s: float) -> datetime | None:
        """The clock time ``t_s`` s after the recording start (None without an absolute start); in absolute time,
        so a DST change during the night shows as the clocks showed it; naive for a local clock of unknown zone."""
        return None if self.start is None else clock_at(self.start, float(t_s), self.tz)

    def format(self, t_s: float | None, fmt: str = "%H:%M:%S") -> str:
        """``t_s`` as clock time; elapsed h:mm:ss since the start when clock times are not available."""
        if t_s is None:
            return ""
        moment = self.at(t_s)
        if moment is not None:
            return moment.strftime(fmt)
        whole = int(round(float(t_s)))
        return f"+{whole // 3600}:{whole % 3600 // 60:02d}:{whole % 60:02d}"

    @property
    def night_date(self) -> date | None:
        """The night's date (:func:`night_date`)."""
        return night_date(self.start)

    @property
    def has_clock(self) -> bool:
        return self.start is not None
