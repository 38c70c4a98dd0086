"""Registry adapter for the native recording directory (see :mod:`lrm.io.native`)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from lrm.io.native import is_native, read_native
from lrm.io.recording import Recording
from lrm.io.registry import ReadOptions


def sniff_dir(path: Path) -> bool:
    return is_native(path) or (path / "journal").is_dir()


def read_dir(path: Path, options: ReadOptions) -> Recording:
    """The recording; a manifest without a zone (an older or simulated one) takes ``--tz``."""
    rec = read_native(path)
    if rec.timezone is not None or options.tz is None or not rec.time_is_absolute:
        return rec
    if rec.clock == "utc":
        return replace(rec, timezone=options.tz, timezone_source="option")
    from lrm.io.registry import _shift_leg
    from lrm.io.timezones import wall_to_utc

    legs = {side: _shift_leg(leg, -wall_to_utc(rec.start_s, options.tz),
                             (*leg.notes, f"time: local wall clock converted to UTC with --tz {options.tz}"))
            for side, leg in rec.legs.items()}
    return replace(rec, legs=legs, timezone=options.tz, timezone_source="option", clock="utc")
