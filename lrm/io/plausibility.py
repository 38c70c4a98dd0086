"""Sanity limits on the values a file holds, so that a value never decides how much lrm allocates.

A reader turns a file into samples; a corrupt byte can turn one sample's time into a date 30 years away, or
its acceleration into 1e20 g (a "missing" sentinel some devices write). Such a value must not become a grid
of 10^10 samples or a silent zero: the checks here bound what the analysis allocates by what the file holds
and report each repair with the sample (and the line, where the reader knows it).

The limits, each with its reason:

* :data:`MAX_NIGHT_S` (48 h): the longest stretch one analysis grids, and the span of one night's scored events.
  lrm scores a night (a rest period of at most ~14 h, SCORING.md §2.1) within a day around it (longer
  recordings are analysed night by night, lrm.nights); 48 h keeps the working grid (25 Hz,
  lrm.params.PrepareParams) of two legs at ~4.3 M samples each, well inside 1 GiB.
* :data:`MAX_RECORDING_S` (62 days): the longest span a recording file may cover. Devices worn for days
  record for at most a few weeks (an AX3 14 days at 100 Hz, a GENEActiv 45 days at 10 Hz); the nights and
  the per-second non-wear sums over the whole recording are sized by it.
* :data:`OUTLIER_GAP_S` (1 h), :data:`OUTLIER_SHARE` (1 %) and :data:`OUTLIER_MAX_SPAN_S` (10 min): a group of
  samples that holds less than 1 % of the file, covers less than 10 minutes and lies more than 1 h before
  or after all the others is a time outlier (a corrupt time field, a clock reset): it is left out with a
  note. A real sensor loses contact for minutes, not hours, and so short a stretch at the edge of a
  recording carries no night (every gap has 2 s margins).
* :data:`EPOCH_RANGE_S`: absolute times must fall in 1970-2100 (Unix seconds); anything else is a wrong
  unit or a corrupt field.
* compressed containers are checked before they are decompressed, since a file of a few kB can expand to
  billions of samples: a native recording's Parquet leg holds at most :data:`MAX_SAMPLES_PER_LEG` (8 million,
  e.g. 22 h at 100 Hz; two such legs peak at 969 MiB in an analysis) or one sample per byte of the file
  (sensor data compresses to 1.5-2 bytes per sample), whichever is more; a zip member (.gt3x, phyphox)
  expands at most :data:`MAX_ZIP_RATIO` (20) times its compressed size plus 64 MiB (deflated sensor data:
  2-4 times).
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

__all__ = ["LEFT_OUT", "MAX_EVENT_S", "MAX_NIGHT_S", "MAX_RECORDING_S", "MAX_SAMPLES_PER_LEG", "MAX_ZIP_RATIO",
           "OUTLIER_GAP_S", "OUTLIER_SHARE", "OUTLIER_MAX_SPAN_S", "EPOCH_RANGE_S", "UNKNOWN_RANGE_LIMIT_G", "accel_limit_g", "screen_times",
           "TimeScreen", "check_duration", "check_span", "step_range", "zip_member_limit", "read_zip_member"]

MAX_NIGHT_S = 48 * 3600.0
MAX_RECORDING_S = 62 * 86400.0
OUTLIER_GAP_S = 3600.0
OUTLIER_SHARE = 0.01
OUTLIER_MAX_SPAN_S = 600.0
EPOCH_RANGE_S = (0.0, 4_102_444_800.0)  # 1970-01-01 .. 2100-01-01 UTC
UNKNOWN_RANGE_LIMIT_G = 50.0
MAX_EVENT_S = 3600.0
MAX_SAMPLES_PER_LEG = 8_000_000
MAX_ZIP_RATIO = 20
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
    (1, 'sample 1001: 1 sample 365.0 days after the other 1000: left out (a corrupt time or a reset clock)')
    """
    n = int(t_s.shape[0])
    if n < 2:
        return TimeScreen(None, ())
    times = _Sorted(t_s, describe, what)
    if times.ts[-1] == times.ts[0]:
        raise InputError(source, "time column", f"all {n} {what} have the same time ({times.ts[0]:.6g} s)",
                         "export the file again with one time per sample (or check the time column is the time)")
    if not times.max_step <= gap_s:   # groups of times: ts[starts[k]:...] (NaN steps: looked at one by one)
        starts = np.r_[0, np.flatnonzero(np.diff(times.ts) > gap_s) + 1]
    else:                        # the usual file: one group, found without an array of n steps
        starts = np.zeros(1, np.intp)
    sizes = np.diff(np.r_[starts, n])
    if sizes.size > 1 and not leave_out:
        times.refuse_far_group(starts, sizes, source)
    lo, hi = times.kept_range(starts, sizes, source) if sizes.size > 1 else (0, n)
    times.check_span(lo, hi, source, absolute)
    if (lo, hi) == (0, n):
        return TimeScreen(None, ())
    notes = times.left_out_notes(lo, hi)
    keep = np.zeros(n, bool)
    keep[times.original(np.arange(lo, hi))] = True
    for note in notes if warn else ():
        warnings.warn(f"{source}: {note}", LrmWarning, stacklevel=2)
    return TimeScreen(keep, tuple(notes))


_STEP_BLOCK = 1 << 16  # steps computed per block: 512 KiB of float64, reused (no array of n steps to fault in)


def step_range(t_s: npt.NDArray[np.float64]) -> tuple[float, float]:
    """Smallest and largest step ``t_s[i + 1] - t_s[i]`` (NaN if any step is NaN), in blocks of
    :data:`_STEP_BLOCK` steps: one pass over ``t_s`` that allocates no array of its length.

    >>> step_range(np.array([0.0, 1.0, 3.0, 2.5]))
    (-0.5, 2.0)
    """
    n = int(t_s.shape[0]) - 1
    if n < 1:
        return math.nan, math.nan
    buf = np.empty(min(n, _STEP_BLOCK), np.float64)
    low, high = np.inf, -np.inf
    for i in range(0, n, _STEP_BLOCK):
        j = min(i + _STEP_BLOCK, n)
        steps = np.subtract(t_s[i + 1:j + 1], t_s[i:j], out=buf[:j - i])
        low, high = np.minimum(low, steps.min()), np.maximum(high, steps.max())   # NaN propagates
    return float(low), float(high)


class _Sorted:
    """Times sorted once (``ts``), with the way back to the file's order for messages."""

    def __init__(self, t_s: npt.NDArray[np.float64], describe: Callable[[int], str] | None, what: str) -> None:
        low, high = step_range(t_s)
        self.order = None if low >= 0 else np.argsort(t_s, kind="stable")   # NaN: not ordered either
        self.ts = t_s if self.order is None else t_s[self.order]
        self.max_step = high if self.order is None else step_range(self.ts)[1]
        self.describe, self.what = describe, what

    def original(self, i: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        return i if self.order is None else self.order[i]

    def where(self, i: int) -> str:
        """Where sorted sample ``i`` is in the file (its line, or ``sample k``)."""
        j = i if self.order is None else int(self.order[i])
        return self.describe(j) if self.describe is not None else f"sample {j + 1}"

    def first_where(self, lo: int, hi: int) -> str:
        return self.where(int(np.argmin(self.original(np.arange(lo, hi)))) + lo)

    def count(self, k: int) -> str:
        return f"{k} {self.what}" if k > 1 else f"1 {self.what.rstrip('s')}"

    def refuse_far_group(self, starts: npt.NDArray[np.int64], sizes: npt.NDArray[np.int64], source: str) -> None:
        """InputError naming the smallest group of times far from the largest one (scored events: a typo)."""
        body = int(np.argmax(sizes))
        other = int(np.argmin(sizes + (np.arange(sizes.size) == body) * sizes.sum()))
        lo, hi = int(starts[other]), int(starts[other] + sizes[other])
        b_lo, b_hi = int(starts[body]), int(starts[body] + sizes[body])
        after = other > body
        away = self.ts[lo] - self.ts[b_hi - 1] if after else self.ts[b_lo] - self.ts[hi - 1]
        raise InputError(source, self.first_where(lo, hi), f"{self.count(hi - lo)} {_span_text(away)} "
                         f"{'after' if after else 'before'} the other {int(sizes[body])}",
                         "correct the date or time (a typo?) or remove the line")

    def kept_range(self, starts: npt.NDArray[np.int64], sizes: npt.NDArray[np.int64], source: str) -> tuple[int, int]:
        """The sorted range kept: from the first to the last group holding more than :data:`OUTLIER_SHARE` of
        the times; InputError when that would leave out more than 5 % (scattered times, not a few outliers)."""
        n = int(sizes.sum())
        spans = self.ts[starts + sizes - 1] - self.ts[starts]
        big = np.flatnonzero((sizes > OUTLIER_SHARE * n) | (spans >= OUTLIER_MAX_SPAN_S))   # worn data is kept
        lo, hi = (int(starts[big[0]]), int(starts[big[-1]] + sizes[big[-1]])) if big.size else (0, 0)
        if not big.size or n - (hi - lo) > _MAX_LEFT_OUT_SHARE * n:
            jumps = np.diff(self.ts)
            i = int(np.argmax(jumps))
            raise InputError(source, f"{self.where(i)} and {self.where(i + 1)}",
                             f"the times jump by {_span_text(jumps[i])}, and the {self.what} are scattered over "
                             f"{_span_text(self.ts[-1] - self.ts[0])} in groups none of which holds most of them",
                             "check the file's time column (a corrupt export or a reset clock)")
        return lo, hi

    def check_span(self, lo: int, hi: int, source: str, absolute: bool) -> None:
        """InputError if the kept times span more than :data:`MAX_RECORDING_S`, or (``absolute``) leave 1970-2100."""
        span = float(self.ts[hi - 1] - self.ts[lo])
        if span > MAX_RECORDING_S:
            jumps = np.diff(self.ts[lo:hi])
            i = lo + int(np.argmax(jumps))
            raise InputError(source, f"{self.where(i)} to {self.where(i + 1)}",
                             f"the {self.what} span {_span_text(span)} (the largest jump: {_span_text(float(jumps.max()))}); "
                             f"a recording lrm reads spans at most {MAX_RECORDING_S / 86400:.0f} days",
                             "check the device's clock (a corrupt time?), or cut the recording")
        if absolute and not (EPOCH_RANGE_S[0] <= self.ts[lo] and self.ts[hi - 1] <= EPOCH_RANGE_S[1]):
            bad = lo if self.ts[lo] < EPOCH_RANGE_S[0] else hi - 1
            raise InputError(source, self.where(bad), f"time {self.ts[bad]:.6g} s is not a date between 1970 and 2100",
                             "check the time column's unit (s, ms, us, ns) and epoch")

    def left_out_notes(self, lo: int, hi: int) -> list[str]:
        """One note per end of the kept range with times left out: where, how many, how far."""
        n, notes = self.ts.shape[0], []
        for a, b, after in ((0, lo, False), (hi, n, True)):
            if b > a:
                away = self.ts[a] - self.ts[hi - 1] if after else self.ts[lo] - self.ts[b - 1]
                notes.append(f"{self.first_where(a, b)}: {self.count(b - a)} {_span_text(away)} "
                             f"{'after' if after else 'before'} the other {hi - lo}: {LEFT_OUT}")
        return notes


def check_duration(duration_s: float, *, source: str) -> None:
    """InputError if one analysis' first-to-last span (s) is not finite or longer than :data:`MAX_NIGHT_S`.

    The guard of every array one analysis sizes by time (the working grid, per-second tables); longer
    recordings are analysed night by night (:mod:`lrm.nights`), each night within this bound.
    """
    if not math.isfinite(duration_s) or duration_s > MAX_NIGHT_S:
        raise InputError(source, "", f"the recording spans {_span_text(duration_s) if math.isfinite(duration_s) else duration_s} "
                         f"from its first to its last sample; one analysis covers at most {MAX_NIGHT_S / 3600:.0f} h",
                         "analyse it night by night (lrm analyze does for recordings over 30 h), or check the clock")


def check_span(start_s: float, end_s: float, *, source: str) -> None:
    """InputError if a recording file's span (s) is not finite or longer than :data:`MAX_RECORDING_S` (e.g. a
    device file whose block index holds a corrupt time; readers that index their blocks are checked here)."""
    span = end_s - start_s
    if not (math.isfinite(span) and 0 <= span <= MAX_RECORDING_S):
        shown = _span_text(span) if math.isfinite(span) else str(span)
        raise InputError(source, "", f"its samples span {shown}; a recording lrm reads spans at most "
                         f"{MAX_RECORDING_S / 86400:.0f} days", "check the device's clock (a corrupt block time?), "
                         "or cut the recording")




def zip_member_limit(info: zipfile.ZipInfo) -> int:
    """Most bytes a zip member may expand to: :data:`MAX_ZIP_RATIO` times its compressed size plus 64 MiB."""
    return MAX_ZIP_RATIO * int(info.compress_size) + (64 << 20)


def read_zip_member(archive: zipfile.ZipFile, name: str, *, source: str, max_bytes: int | None = None) -> bytes:
    """``archive``'s member ``name``, refused (InputError) when it would expand beyond ``max_bytes`` (default and
    at most :func:`zip_member_limit`).

    The size is read from the archive's directory before anything is decompressed, so a zip bomb (a few kB
    expanding to gigabytes) costs nothing; a member that decompresses to more than it declared is cut at
    ``max_bytes`` + 1 and refused the same way.
    """
    info = archive.getinfo(name)
    max_bytes = zip_member_limit(info) if max_bytes is None else min(max_bytes, zip_member_limit(info))
    if info.file_size > max_bytes:
        raise InputError(source, name, f"expands to {info.file_size} bytes from {info.compress_size}, more than "
                         f"lrm reads from one archive member ({max_bytes >> 20} MiB)",
                         "check the file (a damaged or foreign archive)")
    with archive.open(info) as member:
        data = member.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise InputError(source, name, f"expands to more than {max_bytes >> 20} MiB", "check the file")
    return data
