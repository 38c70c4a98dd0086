"""Sanity limits on the values a file holds, so that a value never decides how much lrm allocates.

A reader turns a file into samples; a corrupt byte can turn one sample's time into a date 30 years away, or
its acceleration into 1e20 g (a "missing" sentinel some devices write). Such a value must not become a grid
of 10^10 samples or a silent zero: the checks here bound what the analysis allocates by what the file holds
and report each repair with the sample (and the line, where the reader knows it).

The limits, each with its reason:

* :data:`MAX_RECORDING_S` (48 h): the longest recording lrm analyses. lrm scores one night (a rest period of
  at most ~14 h, SCORING.md §2.1) and a day-long recording around it; 48 h keeps the working grid (25 Hz,
  lrm.params.PrepareParams) of two legs at ~4.3 M samples each, well inside 1 GiB.
* :data:`OUTLIER_GAP_S` (1 h) and :data:`OUTLIER_SHARE` (1 %): a group of samples that holds less than 1 % of
  the file and lies more than 1 h before or after all the others is a time outlier (a corrupt time field,
  a clock reset): it is left out with a note. A real sensor loses contact for minutes, not hours, and a
  group that small at the edge of a night carries no usable data (every gap has 2 s margins).
* :data:`EPOCH_RANGE_S`: absolute times must fall in 1970-2100 (Unix seconds); anything else is a wrong
  unit or a corrupt field.
* :data:`MAX_SAMPLES_PER_LEG` (8 million, e.g. 22 h at 100 Hz or 11 h at 200 Hz): the most samples lrm reads
  per leg. The analysis holds ~55 bytes per raw sample of each leg at its peak; two legs of 8 million stay
  under 1 GiB (measured: 880 MiB). Compressed containers (a native recording's Parquet, a .gt3x zip) are
  checked before they are decompressed: a file of a few kB can otherwise expand to billions of samples.
* :data:`MAX_EVENT_S` (1 h): the longest scored event (leg movement, arousal, apnea) lrm accepts. Scored
  events last seconds to minutes (an LM 0.5-10 s, SCORING.md §1.2; the longest apneas a few minutes); an
  hour is a typo, refused with its line.
* :func:`accel_limit_g`: an acceleration beyond the sensor's declared range (+5 % and 0.5 g for calibration
  offsets) cannot have been measured, nor can more than 50 g at the ankle when the range is unknown
  (consumer IMUs measure at most +-32 g; a kick peaks far below). Such samples are treated as missing.
"""

from __future__ import annotations

import math
import warnings
import zipfile
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lrm.errors import InputError, LrmWarning

__all__ = ["LEFT_OUT", "MAX_EVENT_S", "MAX_RECORDING_S", "MAX_SAMPLES_PER_LEG", "check_sample_count", "read_zip_member", "OUTLIER_GAP_S", "OUTLIER_SHARE", "EPOCH_RANGE_S", "UNKNOWN_RANGE_LIMIT_G",
           "accel_limit_g", "screen_times", "TimeScreen", "check_duration"]

MAX_RECORDING_S = 48 * 3600.0
OUTLIER_GAP_S = 3600.0
OUTLIER_SHARE = 0.01
EPOCH_RANGE_S = (0.0, 4_102_444_800.0)  # 1970-01-01 .. 2100-01-01 UTC
UNKNOWN_RANGE_LIMIT_G = 50.0
MAX_EVENT_S = 3600.0
MAX_SAMPLES_PER_LEG = 8_000_000
LEFT_OUT = "left out (a corrupt time or a reset clock)"  # ends every note of a time outlier left out
_MAX_LEFT_OUT_SHARE = 0.05  # more outliers than this: the times are scattered, not a few corrupt fields


def accel_limit_g(range_g: float | None) -> float:
    """Largest acceleration magnitude per axis (g) a sensor of full-scale ``range_g`` can report.

    >>> accel_limit_g(8.0), accel_limit_g(None)
    (8.9, 50.0)
    """
    if range_g is None or not math.isfinite(range_g) or range_g <= 0:
        return UNKNOWN_RANGE_LIMIT_G
    return round(1.05 * float(range_g) + 0.5, 6)


@dataclass(frozen=True, slots=True)
class TimeScreen:
    """What :func:`screen_times` decided: ``keep`` is None when every sample stays, else a bool mask."""

    keep: npt.NDArray[np.bool_] | None
    notes: tuple[str, ...]


def _where(describe: Callable[[int], str] | None, i: int) -> str:
    return describe(i) if describe is not None else f"sample {i + 1}"


def _span_text(seconds: float) -> str:
    seconds = abs(seconds)
    if seconds >= 2 * 365.25 * 86400:
        return f"{seconds / (365.25 * 86400):.0f} years"
    if seconds >= 2 * 86400:
        return f"{seconds / 86400:.1f} days"
    if seconds >= 7200:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 60:.1f} min"


def screen_times(t_s: npt.NDArray[np.float64], *, source: str, absolute: bool = True,
                 describe: Callable[[int], str] | None = None, warn: bool = False,
                 leave_out: bool = True, what: str = "samples", gap_s: float = OUTLIER_GAP_S) -> TimeScreen:
    """Find time outliers in sample times (s, file order; finite) and refuse implausible spans.

    Parameters
    ----------
    t_s : ndarray of float64, shape (n,)
        Sample times in s, in the order of the file (they need not be sorted).
    source : str
        The file, for messages.
    absolute : bool
        True when ``t_s`` are Unix seconds: they must lie in :data:`EPOCH_RANGE_S` (after outliers left out).
    describe : callable, optional
        Maps a sample index (file order) to where it is, e.g. ``"line 90002"``; default ``"sample i+1"``.
    leave_out : bool
        Leave time outliers out (sensor samples); False refuses any group of times more than ``gap_s``
        from the largest group, naming its first line (scored events and sleep stages: a technician's
        typo is corrected by the user, not guessed).
    what : str
        What the times are, for messages (``"samples"``, ``"events"``).
    gap_s : float
        A group of times further than this (s) from all others may be an outlier (default
        :data:`OUTLIER_GAP_S`; scored events, sparse by nature, use 12 h).
    warn : bool
        Also warn (:class:`~lrm.errors.LrmWarning`) about each outlier group left out. Readers do not: the
        notes go into ``Leg.notes`` and the analysis reports them among the leg's repairs.

    Returns
    -------
    TimeScreen
        ``keep`` (None: keep all) and notes naming what was left out.

    Raises
    ------
    InputError
        All samples at one time; the kept samples spanning more than :data:`MAX_RECORDING_S`; absolute times
        outside 1970-2100. The message names the sample (or line) and the span.

    Notes
    -----
    Cost O(n) for sorted times (O(n log n) otherwise), memory a few arrays of n: never by the values.

    Examples
    --------
    >>> t = np.r_[np.arange(1000.0), 1000.0 + 365 * 86400]           # one sample a year later
    >>> screen = screen_times(t + 1.7e9, source="x.csv")
    >>> int((~screen.keep).sum()), screen.notes[0]
    (1, 'sample 1001: 1 sample 365.0 days after the other 1000 left out (a corrupt time or a reset clock)')
    """
    n = int(t_s.shape[0])
    if n < 2:
        return TimeScreen(None, ())
    order = None if bool(np.all(t_s[1:] >= t_s[:-1])) else np.argsort(t_s, kind="stable")
    ts = t_s if order is None else t_s[order]
    if ts[-1] == ts[0]:
        raise InputError(source, "time column", f"all {n} {what} have the same time ({ts[0]:.6g} s)",
                         "export the file again with one time per sample (or check the time column is the time)")
    cut = np.flatnonzero(np.diff(ts) > gap_s)
    keep_lo, keep_hi = 0, n                       # the kept samples are ts[keep_lo:keep_hi]
    notes: list[str] = []
    if cut.size and not leave_out:  # scored events: any group far from the largest one is a typo, refused
        starts = np.r_[0, cut + 1]
        sizes = np.diff(np.r_[starts, n])
        body = int(np.argmax(sizes))
        other = int(np.argmin(sizes + (np.arange(sizes.size) == body) * n))   # the smallest other group
        lo, hi = int(starts[other]), int(starts[other] + sizes[other])
        idx = np.arange(lo, hi) if order is None else order[lo:hi]
        after = other > body
        b_lo, b_hi = int(starts[body]), int(starts[body] + sizes[body])
        away = ts[lo] - ts[b_hi - 1] if after else ts[b_lo] - ts[hi - 1]
        count = f"{hi - lo} {what}" if hi - lo > 1 else f"1 {what.rstrip('s')}"
        raise InputError(source, _where(describe, int(idx.min())),
                         f"{count} {_span_text(away)} {'after' if after else 'before'} the other {int(sizes[body])}",
                         "correct the date or time (a typo?) or remove the line")
    if cut.size:
        starts = np.r_[0, cut + 1]
        sizes = np.diff(np.r_[starts, n])
        big = np.flatnonzero(sizes > OUTLIER_SHARE * n)
        if big.size:
            first, last = int(big[0]), int(big[-1])
            keep_lo, keep_hi = int(starts[first]), int(starts[last] + sizes[last])
        if n - (keep_hi - keep_lo) > _MAX_LEFT_OUT_SHARE * n or not big.size:
            i = int(cut[np.argmax(np.diff(ts)[cut])])
            a, b = (i, i + 1) if order is None else (int(order[i]), int(order[i + 1]))
            raise InputError(source, f"{_where(describe, a)} and {_where(describe, b)}",
                             f"the times jump by {_span_text(ts[i + 1] - ts[i])}, and the {what} are scattered over "
                             f"{_span_text(ts[-1] - ts[0])} in groups none of which holds most of them",
                             "check the file's time column (a corrupt export or a reset clock); lrm analyses one night")
        for lo, hi, after in ((0, keep_lo, False), (keep_hi, n, True)):
            if hi > lo:
                idx = np.arange(lo, hi) if order is None else order[lo:hi]
                away = ts[lo] - ts[keep_hi - 1] if after else ts[keep_lo] - ts[hi - 1]
                count = f"{hi - lo} {what}" if hi - lo > 1 else f"1 {what.rstrip('s')}"
                notes.append(f"{_where(describe, int(idx.min()))}: {count} {_span_text(away)} "
                             f"{'after' if after else 'before'} the other {keep_hi - keep_lo} {LEFT_OUT}")
    span = float(ts[keep_hi - 1] - ts[keep_lo])
    if span > MAX_RECORDING_S:
        d = np.diff(ts[keep_lo:keep_hi])
        i = keep_lo + int(np.argmax(d))
        a, b = (i, i + 1) if order is None else (int(order[i]), int(order[i + 1]))
        raise InputError(source, f"{_where(describe, a)} to {_where(describe, b)}",
                         f"the {what} span {_span_text(span)} (the largest jump: {_span_text(float(d.max()))}); "
                         f"lrm analyses one night, at most {MAX_RECORDING_S / 3600:.0f} h",
                         "cut the recording to the night (or check the device's clock)")
    if absolute:
        lo_s, hi_s = float(ts[keep_lo]), float(ts[keep_hi - 1])
        if lo_s < EPOCH_RANGE_S[0] or hi_s > EPOCH_RANGE_S[1]:
            bad = keep_lo if lo_s < EPOCH_RANGE_S[0] else keep_hi - 1
            j = bad if order is None else int(order[bad])
            raise InputError(source, _where(describe, j), f"time {ts[bad]:.6g} s is not a date between 1970 and 2100",
                             "check the time column's unit (s, ms, us, ns) and epoch")
    if keep_lo == 0 and keep_hi == n:
        return TimeScreen(None, ())
    keep = np.zeros(n, bool)
    keep[np.arange(keep_lo, keep_hi) if order is None else order[keep_lo:keep_hi]] = True
    if warn:
        for note in notes:
            warnings.warn(f"{source}: {note}", LrmWarning, stacklevel=3)
    return TimeScreen(keep, tuple(notes))


def check_duration(duration_s: float, *, source: str) -> None:
    """InputError if a recording's first-to-last span (s) is not finite or longer than :data:`MAX_RECORDING_S`.

    The guard of every array sized by time (the working grid, per-second tables), for recordings that did
    not come through a reader (the Python API).
    """
    if not math.isfinite(duration_s) or duration_s > MAX_RECORDING_S:
        raise InputError(source, "", f"the recording spans {_span_text(duration_s) if math.isfinite(duration_s) else duration_s} "
                         f"from its first to its last sample; lrm analyses one night, at most "
                         f"{MAX_RECORDING_S / 3600:.0f} h", "cut the recording to the night (or check the device's clock)")


def check_sample_count(n: int, *, source: str, where: str = "") -> None:
    """InputError if one leg holds more than :data:`MAX_SAMPLES_PER_LEG` samples (memory bound, see above)."""
    if n > MAX_SAMPLES_PER_LEG:
        raise InputError(source, where, f"{n} samples in one leg, more than lrm analyses ({MAX_SAMPLES_PER_LEG}: "
                         "e.g. 22 h at 100 Hz)", "split the recording into nights, or export it at a lower rate")


def read_zip_member(archive: zipfile.ZipFile, name: str, *, source: str, max_bytes: int) -> bytes:
    """``archive``'s member ``name``, refused (InputError) when it would expand beyond ``max_bytes``.

    The size is read from the archive's directory before anything is decompressed, so a zip bomb (a few kB
    expanding to gigabytes) costs nothing; a member that decompresses to more than it declared is cut at
    ``max_bytes`` + 1 and refused the same way.
    """
    info = archive.getinfo(name)
    if info.file_size > max_bytes:
        raise InputError(source, name, f"expands to {info.file_size} bytes, more than lrm reads from one archive "
                         f"member ({max_bytes >> 20} MiB: one night)", "check the file (a damaged or foreign archive)")
    with archive.open(info) as member:
        data = member.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError(source, name, f"expands to more than {max_bytes >> 20} MiB", "check the file")
    return data
