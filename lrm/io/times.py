"""Times a person types (``--start``, ``--lights-out``, a batch manifest's ``lights_out``), parsed once, at the edge.

Everything past this module works in seconds: Unix epoch seconds for a recording's start, seconds since the
recording start for lights-out and lights-on. A clock time "HH:MM[:SS]" is local clock time in the
recording's zone (:attr:`lrm.io.recording.Recording.timezone`; on the recording's own wall clock when it
is local time of an unstated zone; UTC when the zone is unknown and the times are UTC, with a warning saying
so); an ISO 8601 time honours its own offset and is otherwise local clock time too.
"""

from __future__ import annotations

import re
import warnings
from datetime import datetime, timedelta, timezone

from lrm.errors import InputError, LrmWarning
from lrm.io.plausibility import EPOCH_RANGE_S
from lrm.io.recording import Recording
from lrm.io.timezones import tzinfo_for

__all__ = ["parse_start_time", "parse_night_time", "parse_lights"]

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_DAY_S = 86400.0


def parse_start_time(text: str | float | None, *, flag: str = "--start", tz: str | None = None) -> float | None:
    """Unix seconds of a recording's first sample from Unix seconds or ISO 8601; an ISO time without an offset
    is local clock time in ``tz`` (``--tz``), and refused without one (lrm does not guess a zone).

    >>> parse_start_time("2024-05-01T22:30:00+02:00"), parse_start_time(1700000000)
    (1714595400.0, 1700000000.0)
    >>> parse_start_time("2024-05-01T22:30:00", tz="Europe/Berlin")
    1714595400.0
    """
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        try:
            dt = datetime.fromisoformat(str(text).strip().replace("Z", "+00:00"))
        except ValueError:
            raise InputError(flag, "", f"cannot read {text!r} as a time", "use Unix seconds or ISO 8601") from None
        if dt.tzinfo is None:
            if tz is None:
                raise InputError(flag, "", f"{text!r} states no time zone",
                                 "add its UTC offset (2024-05-01T22:30:00+02:00) or pass --tz with the night's zone")
            dt = dt.replace(tzinfo=tzinfo_for(tz))
        value = dt.timestamp()
    if not EPOCH_RANGE_S[0] <= value <= EPOCH_RANGE_S[1]:  # NaN and inf fail too (lrm.io.plausibility)
        raise InputError(flag, "", f"{text!r} is not a time between 1970 and 2100",
                         "give the Unix seconds (e.g. 1714595400) or ISO 8601 time of the first sample")
    return value


def parse_night_time(value: str | float, *, start_s: float | None, duration_s: float, tz: str | None = None,
                     flag: str = "--lights-out", after_s: float = 0.0) -> float:
    """Seconds since the recording start for a time of the night.

    Parameters
    ----------
    value : str or float
        Seconds since the recording start (a number or numeric text), a local clock time "HH:MM[:SS]" (the
        first such moment at or after ``after_s``), or ISO 8601 (its offset honoured; without one, local).
    start_s : float or None
        Unix seconds of the recording start; None when the recording's times are relative (then only
        seconds can be given).
    duration_s : float
        The recording's length in s: the result lies in [0, duration_s].
    tz : str or None
        The recording's zone (IANA name or offset); None = unknown: clock times are taken as UTC and an
        :class:`LrmWarning` says so.
    flag : str
        The option or field named in errors and warnings.
    after_s : float
        A clock time resolves to its first occurrence at or after this many s from the start (lights-on
        after lights-out).

    Raises
    ------
    InputError
        Unreadable text, a clock time without absolute timestamps, or a time outside the recording.

    Examples
    --------
    >>> parse_night_time("23:00", start_s=1700000000.0, duration_s=36000.0, tz="UTC")  # start 22:13:20 UTC
    2800.0
    >>> parse_night_time("06:30", start_s=1700000000.0, duration_s=36000.0, tz="+01:00")  # start 23:13:20 local
    26200.0
    """
    out = _seconds(value, start_s, tz, flag, after_s)
    if -1.0 < out < 0.0 or duration_s < out < duration_s + 1.0:
        out = min(max(out, 0.0), duration_s)  # within the first or last partial second
    if not 0.0 <= out <= duration_s:
        zone = tz or "UTC"
        raise InputError(flag, "", f"{value!r} lies outside the recording ({_span(start_s, duration_s, tz)}"
                         f"0-{duration_s:.0f} s from its start)", f"check the date and time (clock times are read in {zone})")
    return out


def _span(start_s: float | None, duration_s: float, tz: str | None) -> str:
    """The recording's first and last moment on its local clock, as a person types them ("" when relative):
    '2024-01-15 00:45 to 03:45 +02:00; '."""
    if start_s is None:
        return ""
    zone = timezone.utc if tz is None else tzinfo_for(tz)
    first, last = datetime.fromtimestamp(start_s, tz=zone), datetime.fromtimestamp(start_s + duration_s, tz=zone)
    end = last.strftime("%H:%M" if first.date() == last.date() else "%Y-%m-%d %H:%M")
    return f"{first:%Y-%m-%d %H:%M} to {end} {tz or 'UTC'}; "


def parse_lights(recording: Recording, lights_out: str | float | None, lights_on: str | float | None,
                 *, flags: tuple[str, str] = ("--lights-out", "--lights-on")) -> tuple[float | None, float | None]:
    """Lights-out and lights-on of ``recording`` in s since its start (None where not given), read in its zone.

    Lights-on resolves to its first occurrence after lights-out; :class:`InputError` when it is not after it.
    """
    start = recording.start_s if recording.time_is_absolute else None
    duration_s = recording.end_s - recording.start_s
    # a local clock of unstated zone counts its wall clock as if UTC: clock times are read on it, no warning
    tz = "UTC" if recording.clock == "local" else recording.timezone
    out = None if lights_out is None else parse_night_time(lights_out, start_s=start, duration_s=duration_s,
                                                            tz=tz, flag=flags[0])
    on = None if lights_on is None else parse_night_time(lights_on, start_s=start, duration_s=duration_s,
                                                          tz=tz, flag=flags[1], after_s=out or 0.0)
    if out is not None and on is not None and not on > out:
        raise InputError(flags[1], "", f"lights-on ({on:.0f} s) is not after lights-out ({out:.0f} s)",
                         "check the two times")
    return out, on


def _seconds(value: str | float, start_s: float | None, tz: str | None, flag: str, after_s: float) -> float:
    if isinstance(value, (int, float)):
        return float(value)
    text = value.strip()
    try:
        return float(text)
    except ValueError:
        pass
    if start_s is None:
        raise InputError(flag, "", f"{text!r} needs a recording with absolute timestamps",
                         "give seconds from the recording start instead")
    zone = _zone(tz, flag)
    if m := _CLOCK.match(text):
        h, mi, se = int(m[1]), int(m[2]), int(m[3] or 0)
        if h > 23 or mi > 59 or se > 59:
            raise InputError(flag, "", f"{text!r} is not a clock time", "use HH:MM, e.g. 22:30")
        t0 = datetime.fromtimestamp(start_s, tz=zone)
        day = t0.date() - timedelta(days=1)
        for _ in range(4):  # the day before the start to two days after: the first one at or after after_s
            for fold in (0, 1):   # a clock time repeated when DST ends: its earlier, then its later moment
                cand = datetime(day.year, day.month, day.day, h, mi, se, tzinfo=zone, fold=fold).timestamp() - start_s
                if cand >= max(0.0, after_s):
                    return cand
            day += timedelta(days=1)
        return cand
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise InputError(flag, "", f"cannot read {text!r} as a time",
                         "use HH:MM, ISO 8601 (2024-05-01T22:30) or seconds from the start") from None
    return (dt if dt.tzinfo else dt.replace(tzinfo=zone)).timestamp() - start_s


def _zone(tz: str | None, flag: str):  # noqa: ANN202 - a tzinfo
    if tz is None:
        warnings.warn(f"{flag}: the recording's time zone is unknown, so clock times are read as UTC "
                      "(give an ISO time with its offset to be exact)", LrmWarning, stacklevel=4)
        return timezone.utc
    return tzinfo_for(tz)
