"""Time zones: every recording carries one (from the file, ``--tz``, the computer's zone, or unknown).

A zone is kept as text: an IANA name (``"Europe/Berlin"``, DST-aware, via :mod:`zoneinfo`) or a fixed
offset (``"+02:00"``, ``"-08:00"``, ``"UTC"``) when a file states only its offset. ``None`` means the zone
is unknown: clock times are then shown in UTC and labelled so, never silently.

A file that holds only local wall-clock times and states no zone (a device clock set from a computer:
Polar, Axivity, ActiLife CSV) gives a recording whose ``clock`` is ``"local"``: its seconds count that wall
clock as if it were UTC and are shown as local time "(time zone not stated)", never labelled UTC. With a zone
(``--tz``) such times are converted to true UTC with the zone's offset at the first sample: device clocks run
on through a DST change, they do not jump (:func:`wall_to_utc`).

Examples
--------
>>> to_local(0.0, "+02:00").isoformat()
'1970-01-01T02:00:00+02:00'
>>> to_local(1_700_000_000.0, "Europe/Berlin").isoformat()
'2023-11-14T23:13:20+01:00'
>>> tzinfo_for("-0800").utcoffset(None)
datetime.timedelta(days=-1, seconds=57600)
"""

from __future__ import annotations

import os
import re
import time
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["TZ_FIX", "tzinfo_for", "to_local", "normalize_tz", "offset_s", "wall_to_utc", "computer_timezone",
           "zone_label", "local_iso", "start_iso", "clock_at", "clock_text", "advance", "zone_name"]

TZ_FIX = "use an IANA name such as Europe/Berlin or an offset such as +02:00"
"""The fix an error about a zone a person typed names (``--tz``); :func:`tzinfo_for` leaves it to its callers."""

_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2}):?(\d{2})?$", re.IGNORECASE)


@lru_cache(maxsize=64)
def tzinfo_for(name: str) -> tzinfo:
    """The tzinfo for an IANA zone name or a fixed offset (``+02:00``, ``-0800``, ``GMT-04:00``, ``UTC``).

    Raises
    ------
    ValueError
        If ``name`` is neither a known IANA zone nor an offset within +-18 h.
    """
    text = name.strip()
    if text.upper() in {"UTC", "Z", "GMT"}:
        return timezone.utc
    if m := _OFFSET.match(text):
        sign, hours, minutes = m.group(1), int(m.group(2)), int(m.group(3) or 0)
        delta = timedelta(hours=hours, minutes=minutes)
        if delta > timedelta(hours=18) or minutes >= 60:
            raise ValueError(f"time zone offset out of range: {name!r}")
        return timezone(-delta if sign == "-" else delta)
    try:
        return ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc   # the callers add TZ_FIX


def normalize_tz(name: str) -> str:
    """The canonical text for a zone: IANA names unchanged, offsets as ``+HH:MM``, UTC as ``UTC``.

    >>> normalize_tz("GMT-04:00"), normalize_tz("-0800"), normalize_tz("z"), normalize_tz("Europe/Paris")
    ('-04:00', '-08:00', 'UTC', 'Europe/Paris')
    """
    tz = tzinfo_for(name)
    if tz is timezone.utc:
        return "UTC"
    if isinstance(tz, timezone):
        minutes = int(tz.utcoffset(None).total_seconds() // 60)
        sign = "-" if minutes < 0 else "+"
        return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"
    return name.strip()


def to_local(epoch_s: float, tz: str | None) -> datetime:
    """Unix epoch seconds as an aware datetime in zone ``tz`` (UTC when the zone is unknown, ``None``)."""
    return datetime.fromtimestamp(epoch_s, tz=timezone.utc if tz is None else tzinfo_for(tz))


def offset_s(tz: str, epoch_s: float) -> float:
    """Seconds east of UTC of zone ``tz`` at the instant ``epoch_s`` (Unix s).

    >>> offset_s("Europe/Berlin", 1_719_000_000.0), offset_s("-0800", 0.0)
    (7200.0, -28800.0)
    """
    delta = datetime.fromtimestamp(epoch_s, tz=tzinfo_for(tz)).utcoffset()
    return delta.total_seconds() if delta is not None else 0.0


def wall_to_utc(wall_s: float, tz: str) -> float:
    """The UTC offset (s) to subtract from local wall-clock seconds (counted as if UTC) of zone ``tz``.

    The offset is that of the wall-clock instant ``wall_s`` (at a DST change, the first of two ambiguous
    readings, ``fold=0``): readers apply the offset at the first sample to the whole file, because a device
    clock set to local time runs on through a DST change instead of jumping.

    >>> wall_to_utc(1_719_000_000.0, "Europe/Berlin"), wall_to_utc(1_703_000_000.0, "Europe/Berlin")
    (7200.0, 3600.0)
    """
    naive = datetime(1970, 1, 1) + timedelta(seconds=wall_s)
    delta = naive.replace(tzinfo=tzinfo_for(tz)).utcoffset()
    return delta.total_seconds() if delta is not None else 0.0


def computer_timezone() -> str:
    """This computer's time zone: its IANA name when the system names it (``TZ``, ``/etc/localtime``,
    ``/etc/timezone``), else its current UTC offset (``"+01:00"``)."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    try:
        link = os.readlink("/etc/localtime")
        if "zoneinfo/" in link:
            candidates.append(link.split("zoneinfo/", 1)[1])
    except OSError:
        pass
    try:
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    except OSError:
        pass
    for name in candidates:
        if name and "/" in name or name in ("UTC", "Etc/UTC"):
            try:
                tzinfo_for(name)
                return normalize_tz(name)
            except ValueError:
                continue
    gmtoff = time.localtime().tm_gmtoff
    return normalize_tz(f"{'-' if gmtoff < 0 else '+'}{abs(gmtoff) // 3600:02d}:{abs(gmtoff) % 3600 // 60:02d}")


def zone_label(tz: str | None, clock: str = "utc") -> str:
    """How times of a recording are labelled: the zone, or what is not known.

    >>> zone_label("Europe/Berlin"), zone_label(None), zone_label(None, "local")
    ('Europe/Berlin', 'UTC (time zone unknown)', 'local time (time zone not stated)')
    """
    if tz is not None:
        return tz
    return "local time (time zone not stated)" if clock == "local" else "UTC (time zone unknown)"


def local_iso(epoch_s: float, tz: str | None, clock: str = "utc", timespec: str = "seconds") -> str:
    """ISO 8601 local clock time with its UTC offset; without an offset for a local clock of unknown zone.

    >>> local_iso(0.0, "+02:00"), local_iso(0.0, None), local_iso(0.0, None, "local")
    ('1970-01-01T02:00:00+02:00', '1970-01-01T00:00:00+00:00', '1970-01-01T00:00:00')
    """
    moment = to_local(epoch_s, tz)
    if tz is None and clock == "local":
        moment = moment.replace(tzinfo=None)
    return moment.isoformat(timespec=timespec)


def start_iso(epoch_s: float, clock: str = "utc") -> str:
    """A recording start as stored in summary.json: ISO 8601 UTC (``...Z``), or without an offset for a local
    clock of unknown zone (it is not UTC).

    >>> start_iso(1_700_000_000.25), start_iso(1_700_000_000.25, "local")
    ('2023-11-14T22:13:20.250000Z', '2023-11-14T22:13:20.250000')
    """
    moment = datetime.fromtimestamp(epoch_s, tz=timezone.utc)
    if clock == "local":
        return moment.replace(tzinfo=None).isoformat()
    return moment.isoformat().replace("+00:00", "Z")


def clock_at(recording_start: str | datetime | None, seconds: float | None, tz: str | None) -> datetime | None:
    """The local clock time ``seconds`` after a recording start (ISO text as in summary.json, or a datetime).

    Aware starts give an aware datetime in zone ``tz`` (UTC when None), computed in absolute time, so a night
    across a DST change reads right after it; a start without an offset (a local clock of unknown zone) gives
    a naive datetime. None when the start or the seconds are unknown.

    >>> clock_at("2024-10-26T20:00:00Z", 9 * 3600.0, "Europe/Berlin").isoformat()  # 22:00 CEST + 9 h
    '2024-10-27T06:00:00+01:00'
    >>> clock_at("2024-10-26T22:00:00", 3600.0, None).isoformat()
    '2024-10-26T23:00:00'
    """
    if recording_start is None or seconds is None:
        return None
    start = recording_start if isinstance(recording_start, datetime) else datetime.fromisoformat(
        recording_start.strip().replace("Z", "+00:00"))
    moment = start + timedelta(seconds=float(seconds)) if start.tzinfo is None else (
        start.astimezone(timezone.utc) + timedelta(seconds=float(seconds)))
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(timezone.utc if tz is None else tzinfo_for(tz))


def clock_text(moment: datetime | None, fmt: str = "%H:%M") -> str:
    """``moment`` as clock time with its zone's short name (CEST, UTC, UTC+05:30); "local" when its zone is not
    stated; "n/a" when unknown.

    >>> clock_text(clock_at("2024-07-01T20:40:00Z", 0.0, "Europe/Berlin")), clock_text(clock_at("2024-07-01T22:40", 0.0, None))
    ('22:40 CEST', '22:40 local')
    """
    if moment is None:
        return "n/a"
    if moment.tzinfo is None:
        return f"{moment:{fmt}} local"
    name = moment.tzname() or ""
    return f"{moment:{fmt}} {name}".strip()


def advance(moment: datetime, seconds: float) -> datetime:
    """``moment`` plus ``seconds`` of real time, read on its own zone's clock (an aware datetime's ``+`` adds to
    the wall clock and is off by an hour across a DST change); a naive moment (local clock of unknown zone)
    just advances.

    >>> from zoneinfo import ZoneInfo
    >>> advance(datetime(2024, 10, 27, 1, 0, tzinfo=ZoneInfo("Europe/Berlin")), 3 * 3600).isoformat()
    '2024-10-27T03:00:00+01:00'
    """
    if moment.tzinfo is None:
        return moment + timedelta(seconds=float(seconds))
    return (moment.astimezone(timezone.utc) + timedelta(seconds=float(seconds))).astimezone(moment.tzinfo)


def zone_name(moment: datetime | None) -> str:
    """The name of ``moment``'s zone for labels: the IANA name, ``UTC+05:30``, ``UTC``, or "local time, time
    zone not stated" for a naive moment.

    >>> zone_name(datetime(2024, 1, 1, tzinfo=tzinfo_for("+05:30"))), zone_name(datetime(2024, 1, 1))
    ('UTC+05:30', 'local time, time zone not stated')
    """
    if moment is None or moment.tzinfo is None:
        return "local time, time zone not stated"
    key = getattr(moment.tzinfo, "key", None)
    if key:
        return key
    offset = moment.strftime("%z")
    return "UTC" if offset in ("+0000", "") else f"UTC{offset[:3]}:{offset[3:]}"
