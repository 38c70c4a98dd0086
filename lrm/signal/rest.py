"""The rest period (time in bed): lights-out to the final rising, out-of-bed excursions removed.

SCORING.md §5: leg actigraphs report indices per hour of time in bed, from a diary or estimated; here it is
estimated from posture (the HDCZA idea of van Hees 2018 with GGIR's "HorAngle" variant: the leg lying near
horizontal) and can be overridden with ``--lights-out``/``--lights-on``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import numpy as np
import numpy.typing as npt

from lrm.errors import InputError
from lrm.params import RestParams
from lrm.signal.detect import runs

__all__ = ["RestPeriod", "find_rest_period", "parse_clock"]


@dataclass(frozen=True, slots=True, eq=False)
class RestPeriod:
    """Lights-out and lights-on in s since the recording start; ``in_bed`` per second (bool).

    ``time_in_bed_h`` counts in-bed seconds with data on at least one leg (gaps excluded).
    ``source`` is "posture", "override" or "whole recording" (posture unknown).
    """

    lights_out_s: float
    lights_on_s: float
    in_bed: npt.NDArray[np.bool_]
    time_in_bed_h: float
    source: str


def _close_holes(mask: npt.NDArray[np.bool_], max_len: int) -> npt.NDArray[np.bool_]:
    """Set short runs of False (<= max_len, not touching the ends) to True."""
    out = mask.copy()
    holes = runs(~mask)
    inner = holes[(holes[:, 0] > 0) & (holes[:, 1] < mask.size) & (holes[:, 1] - holes[:, 0] <= max_len)]
    for a, b in inner:  # few
        out[a:b] = True
    return out


def find_rest_period(lying: npt.NDArray[np.bool_], valid: npt.NDArray[np.bool_], *, posture_known: bool,
                     params: RestParams = RestParams(), recording_start_s: float | None = None) -> RestPeriod:
    """Estimate (or take from ``params``) the rest period from per-second lying and validity.

    Parameters
    ----------
    lying : ndarray of bool (s,)
        The legs lie near horizontal (any recorded leg).
    valid : ndarray of bool (s,)
        At least one leg has data in that second.
    posture_known : bool
        False when no upright period revealed the tibia axis: the whole recording is then the rest period.
    params : RestParams
        Bout length, joining, excursion length and the lights-out/on overrides.
    recording_start_s : float, optional
        Unix time of second 0, to resolve clock-time overrides ("22:30").
    """
    s = lying.size
    smooth = _close_holes(lying | ~valid, int(params.min_excursion_s))
    if posture_known:
        bouts = runs(smooth)
        bouts = bouts[bouts[:, 1] - bouts[:, 0] >= params.min_bout_s]
    else:
        bouts = np.empty((0, 2), np.int64)
    if bouts.shape[0]:
        # join bouts separated by less than join_s; keep the cluster with the most lying time
        split = np.flatnonzero(bouts[1:, 0] - bouts[:-1, 1] >= params.join_s) + 1
        clusters = np.split(bouts, split)
        best = max(clusters, key=lambda c: int((c[:, 1] - c[:, 0]).sum()))
        start, end, source = float(best[0, 0]), float(best[-1, 1]), "posture"
    else:
        ok = np.flatnonzero(valid)
        start, end = (float(ok[0]), float(ok[-1] + 1)) if ok.size else (0.0, float(s))
        smooth = np.ones(s, bool)
        source = "whole recording"
    if params.lights_out is not None:
        start, source = parse_clock(params.lights_out, recording_start_s, "--lights-out", s), "override"
    if params.lights_on is not None:
        end, source = parse_clock(params.lights_on, recording_start_s, "--lights-on", s, after=start), "override"
    if not end > start:
        raise InputError("--lights-on", "", f"lights-on ({end:.0f} s) is not after lights-out ({start:.0f} s)",
                         "check the two times")
    sec = np.arange(s)
    in_bed = (sec >= int(np.floor(start))) & (sec < int(np.ceil(end))) & smooth
    return RestPeriod(start, end, in_bed, float(np.count_nonzero(in_bed & valid)) / 3600.0, source)


_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def parse_clock(value: str | float, recording_start_s: float | None, flag: str, duration_s: float,
                after: float = -np.inf) -> float:
    """Seconds since the recording start for a number (s), a clock time "HH:MM[:SS]" (UTC) or ISO 8601.

    A clock time is the first such moment after the recording start (or after ``after``).

    >>> parse_clock("23:00", 1700000000.0, "--lights-out", 36000.0)  # 2023-11-14 22:13:20 UTC
    2800.0
    >>> parse_clock(120, None, "--lights-out", 3600.0)
    120.0
    """
    if isinstance(value, (int, float)):
        out = float(value)
    else:
        text = value.strip()
        m = _CLOCK.match(text)
        if m and recording_start_s is not None:
            t0 = datetime.fromtimestamp(recording_start_s, tz=timezone.utc)
            h, mi, se = int(m[1]), int(m[2]), int(m[3] or 0)
            if h > 23 or mi > 59 or se > 59:
                raise InputError(flag, "", f"{text!r} is not a clock time", "use HH:MM, e.g. 22:30")
            cand = t0.replace(hour=h, minute=mi, second=se, microsecond=0)
            out = (cand - t0).total_seconds()
            while out < max(0.0, after if np.isfinite(after) else 0.0):
                out += 86400.0
            if out - 86400.0 >= max(0.0, after if np.isfinite(after) else 0.0):
                out -= 86400.0
        elif m:
            raise InputError(flag, "", f"clock time {text!r} needs absolute timestamps",
                             "give seconds from the recording start instead")
        else:
            try:
                dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                try:
                    out = float(text)
                except ValueError:
                    raise InputError(flag, "", f"cannot read {text!r} as a time",
                                     "use HH:MM, ISO 8601 (2024-05-01T22:30) or seconds from the start") from None
            else:
                if recording_start_s is None:
                    raise InputError(flag, "", f"{text!r} needs absolute timestamps", "give seconds instead")
                if dt.tzinfo is None:
                    dt = dt.replace(tzinfo=timezone.utc)
                out = (dt - datetime.fromtimestamp(recording_start_s, tz=timezone.utc)) / timedelta(seconds=1)
    if -1.0 < out < 0.0 or duration_s < out < duration_s + 1.0:
        out = min(max(out, 0.0), duration_s)  # within the last partial second
    if not 0.0 <= out <= duration_s:
        raise InputError(flag, "", f"{value!r} lies outside the recording (0-{duration_s:.0f} s from its start)",
                         "check the date and time (clock times are UTC)")
    return out
