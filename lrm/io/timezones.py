"""Time zones: every recording carries one (from the file, ``--tz``, the computer's zone, or unknown).

A zone is kept as text: an IANA name (``"Europe/Berlin"``, DST-aware, via :mod:`zoneinfo`) or a fixed
offset (``"+02:00"``, ``"-08:00"``, ``"UTC"``) when a file states only its offset. ``None`` means the zone
is unknown: clock times are then shown in UTC and labelled so, never silently.

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

import re
from datetime import datetime, timedelta, timezone, tzinfo
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["tzinfo_for", "to_local", "normalize_tz"]

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
        raise ValueError(f"unknown time zone {name!r}: use an IANA name such as Europe/Berlin or an offset "
                         "such as +02:00") from exc


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
