"""The typed result of one night, the same in memory (``lrm.analyze``) and on disk (``lrm.load``).

:class:`NightResult` holds the events table, the :class:`Summary` (everything summary.json carries: the
scoring's counts and indices, the rest period, sleep onsets, data quality, provenance), the 1 Hz trace and
the parameters. ``result.save(DIR)`` writes a night directory and ``lrm.load(DIR)`` reads it back
(:mod:`lrm.io.night_dir`); the report (:mod:`lrm.report`) is drawn from this object alone.

Times are s since the recording start (``onset_s``), plus a time-zone-aware ``onset`` column in the
events (the recording's zone, UTC when unknown; NaT when the recording's times are relative).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from lrm.errors import LrmError
from lrm.io.hypnogram import Hypnogram
from lrm.params import Params
from lrm.rules.rulesets import RuleSet, get_ruleset
from lrm.rules.summary import NightSummary
from lrm.signal.align import ClockFit
from lrm.signal.quality import LegQuality
from lrm.signal.snippets import Snippets

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["Summary", "NightContext", "NightResult", "add_onset_column", "load_night"]


@dataclass(frozen=True, slots=True)
class Summary(NightSummary):
    """What summary.json carries: the scoring's :class:`~lrm.rules.summary.NightSummary` (counts, indices per
    hour of ``time_in_bed_h``) and the night's own values. ``to_dict()`` is summary.json.

    ``time_in_bed_h`` is the analysis period in h (in bed, gaps excluded): the indices' denominator.
    ``time_in_bed_gross_h`` counts every second in bed, gaps included. Times ``*_s`` are s since the
    recording start; ``recording_start`` is ISO 8601 UTC (``...Z``; without an offset when the recording's
    clock is local time of an unknown zone; None when its times are relative), ``timezone`` the recording's
    zone (IANA name or offset; None when unknown) and ``timezone_source`` where it came from ("file",
    "option" for --tz, "computer" for lrm record, "unknown"). summary.json also carries the local clock
    times ``recording_start_local``, ``lights_out_local``, ``lights_on_local`` and ``sleep_onset_local``
    (ISO 8601 with the zone's offset at that moment; no offset for a local clock of unknown zone; UTC when
    the zone is unknown; None when not known). Values that a directory written by ``lrm score-events``
    lacks (no signal) are None.
    """

    lights_out_s: float | None = None
    lights_on_s: float | None = None
    time_in_bed_gross_h: float | None = None
    rest_period_source: str | None = None            # "posture", "override" or "none" (no lying period)
    sleep_onsets_s: tuple[float, ...] = ()          # sleep onset and re-onsets within the rest period
    sleep_latency_min: float | None = None
    estimated_sleep_h: float | None = None
    quality: Mapping[str, LegQuality] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    params: Mapping[str, Any] | None = None         # Params.to_dict() of the analysis
    params_digest: str | None = None
    lrm_version: str | None = None
    input_files: Mapping[str, Any] = field(default_factory=dict)
    subject: str = ""
    duration_h: float | None = None
    timezone: str | None = None
    timezone_source: str | None = None

    @property
    def sleep_onset_s(self) -> float | None:
        """The first sleep onset (s since the start), None when none was found."""
        return self.sleep_onsets_s[0] if self.sleep_onsets_s else None

    @property
    def ruleset(self) -> RuleSet:
        """The :class:`RuleSet` the night was scored with."""
        return get_ruleset(self.rules)  # type: ignore[arg-type]

    def local_time(self, seconds: float | None) -> str | None:
        """ISO 8601 local clock time ``seconds`` after the recording start (lrm.io.timezones.clock_at)."""
        from lrm.io.timezones import clock_at

        moment = clock_at(self.recording_start, seconds, self.timezone)
        return None if moment is None else moment.isoformat(timespec="seconds")

    def to_dict(self) -> dict[str, Any]:
        """summary.json: NaN/inf -> None, quality as plain dicts, ``sleep_onset_s`` beside the onsets, each clock
        time also as local ISO 8601 (``*_local``) beside its seconds."""
        out = NightSummary.to_dict(self)
        out["quality"] = {side: q.to_dict() for side, q in self.quality.items()}
        out["sleep_onsets_s"] = list(self.sleep_onsets_s)
        out["warnings"] = list(self.warnings)
        out["input_files"] = dict(self.input_files)
        local = {"recording_start": ("recording_start_local", 0.0), "lights_out_s": ("lights_out_local", self.lights_out_s),
                 "lights_on_s": ("lights_on_local", self.lights_on_s)}
        items = []
        for key, value in out.items():
            items.append((key, value))
            if key in local:
                name, seconds = local[key]
                items.append((name, self.local_time(seconds)))
            if key == "rest_period_source":
                items += [("sleep_onset_s", self.sleep_onset_s), ("sleep_onset_local", self.local_time(self.sleep_onset_s))]
        return dict(items)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Summary:
        """From a summary.json mapping: unknown keys are ignored, missing ones take their defaults."""
        names = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in names}
        if isinstance(values.get("quality"), Mapping):
            values["quality"] = {side: _leg_quality(q) for side, q in values["quality"].items() if isinstance(q, Mapping)}
        for key in ("sleep_onsets_s", "warnings"):
            if key in values:
                values[key] = tuple(values[key] or ())
        if values.get("event_type_counts") is None:
            values.pop("event_type_counts", None)
        return cls(**values)

    def __repr__(self) -> str:
        plmi = "n/a" if self.plm_index is None else f"{self.plm_index:.1f}/h"
        return (f"Summary(rules={self.rules!r}, time_in_bed_h={self.time_in_bed_h:.2f}, plm_index={plmi}, "
                f"plm_count={self.plm_count}, lm_count={self.lm_count}, hypnic_jerk_count={self.hypnic_jerk_count})")


def _leg_quality(values: Mapping[str, Any]) -> LegQuality:
    names = {f.name for f in fields(LegQuality)}
    kept = {k: v for k, v in values.items() if k in names}
    for key in ("repairs", "warnings"):
        kept[key] = tuple(kept.get(key) or ())
    if kept.get("missed_share_range") is not None:
        kept["missed_share_range"] = tuple(kept["missed_share_range"])
    return LegQuality(**kept)


@dataclass(frozen=True, slots=True, eq=False)
class NightContext:
    """In-memory diagnostics of an analysis that summary.json does not hold (empty after :func:`lrm.load`).

    clock_fit : the second leg's clock against the first (zero, not ``ok``, for one leg).
    single_leg_onsets_s : per leg, the onsets (s) of its LMs before scoring combined the legs.
    duration_s : the recording's length in s.
    """

    clock_fit: ClockFit = field(default_factory=ClockFit)
    single_leg_onsets_s: Mapping[str, np.ndarray] = field(default_factory=dict)
    duration_s: float | None = None


@dataclass(frozen=True, slots=True, eq=False)
class NightResult:
    """The analysis of one night.

    events : DataFrame, one row per event (``lrm.rules.events.EVENT_COLUMNS`` first, then ``peak_g``,
        ``burst_s``, ``angle_deg`` ...) and a time-zone-aware ``onset``; types lm, hypnic_jerk,
        posture_change, walking; ``onset_s``/``offset_s`` in s since the recording start.
    summary : :class:`Summary`, what summary.json carries.
    trace : DataFrame at 1 Hz (``t_s``, ``<side>_envelope_g``, ``<side>_lying``, ``<side>_valid``,
        ``in_bed``), or None for a directory without trace.parquet (``lrm score-events``).
    params : the :class:`~lrm.params.Params` used (None when a loaded directory's cannot be rebuilt).
    context : :class:`NightContext`, in-memory diagnostics.
    hypnogram : the PSG sleep stages the night was scored with (:class:`~lrm.io.hypnogram.Hypnogram`), or None.
    respiratory, arousals : the PSG's respiratory events and arousals (``onset_s``, ``offset_s`` in s since the
        recording start), or None when none were given.
    snippets : acceleration around the events chosen for review (:class:`~lrm.signal.snippets.Snippets`),
        or None (``lrm score-events``: no signal).
    """

    events: pd.DataFrame
    summary: Summary
    trace: pd.DataFrame | None = None
    params: Params | None = None
    context: NightContext = field(default_factory=NightContext)
    hypnogram: Hypnogram | None = None
    respiratory: pd.DataFrame | None = None
    arousals: pd.DataFrame | None = None
    snippets: Snippets | None = None

    @property
    def quality(self) -> Mapping[str, LegQuality]:
        """Data quality per leg (``summary.quality``)."""
        return self.summary.quality

    @property
    def rules(self) -> RuleSet:
        """The rule set the night was scored with."""
        return self.summary.ruleset

    def summary_dict(self) -> dict[str, Any]:
        """summary.json as a dict (``summary.to_dict()``)."""
        return self.summary.to_dict()

    def save(self, out_dir: str | os.PathLike[str], *, overwrite: bool = False) -> Path:
        """Write the night directory (summary.json, events.csv, trace.parquet); see :func:`lrm.io.night_dir.save_night`."""
        from lrm.io.night_dir import save_night

        return save_night(self, out_dir, overwrite=overwrite)

    @classmethod
    def load(cls, out_dir: str | os.PathLike[str]) -> NightResult:
        """Read a night directory back (:func:`load_night`)."""
        return load_night(out_dir)

    def plot_night(self) -> Axes:
        """The night chart (the report's first figure: sleep stages when the night has them, the events, each
        leg's movement and position on one time axis); returns its top Axes (``.figure`` is the whole figure,
        built without pyplot)."""
        from lrm.report.figures import night_axes

        return night_axes(self)

    def plot_imi(self) -> Axes:
        """The report's histograms of intervals between CLMs (2 s bins; the log-scale one is ``.figure.axes[1]``),
        with the rule set's periodic range; the first Axes."""
        from lrm.report.figures import imi_figure

        return imi_figure(self)

    def __repr__(self) -> str:
        s = self.summary
        plmi = "n/a" if s.plm_index is None else f"{s.plm_index:.1f}/h"
        legs = "+".join(s.quality) or "no signal"
        return (f"<NightResult {s.rules}: {len(self.events)} events, PLM index {plmi} over {s.time_in_bed_h:.2f} h "
                f"in bed, {s.hypnic_jerk_count} hypnic jerk(s), legs {legs}>")


def add_onset_column(events: pd.DataFrame, recording_start: str | None, tz: str | None) -> pd.DataFrame:
    """``events`` with a time-zone-aware ``onset`` column (last, after the events.csv contract's columns): the
    recording start plus ``onset_s``, in zone ``tz`` (UTC when None; across a DST change each onset has its own
    offset); naive (local clock of unknown zone) when ``recording_start`` has no offset; NaT throughout when
    ``recording_start`` is None. events.csv stores it as ISO 8601 text, ``onset_local``."""
    from lrm.io.timezones import tzinfo_for

    zone = "UTC" if tz is None else tzinfo_for(tz)
    if recording_start is None:
        onset = pd.Series(pd.NaT, index=events.index, dtype="datetime64[ns, UTC]")
    else:
        start = pd.Timestamp(recording_start.replace("Z", "+00:00"))
        onset = start + pd.to_timedelta(events["onset_s"].to_numpy(float), unit="s")
        onset = pd.Series(onset if start.tzinfo is None else onset.tz_convert(zone), index=events.index)
    out = events.drop(columns=["onset", "onset_local"], errors="ignore")
    out["onset"] = onset
    return out


def load_night(out_dir: str | os.PathLike[str]) -> NightResult:
    """Read a night directory (:mod:`lrm.io.night_dir`) back into the :class:`NightResult` that was saved.

    ``context`` (in-memory diagnostics) is empty; the PSG scoring (hypnogram, respiratory events, arousals) and
    the review snippets come back when the directory holds them; ``params`` is None when the directory's parameters are
    not valid for this version of lrm (or it has none: ``lrm score-events``).

    Raises
    ------
    InputError
        A missing or malformed file, named with the place and the fix.
    """
    from lrm.errors import InputError
    from lrm.io.night_dir import SUMMARY, read_night_files  # the files' format, in both directions

    files = read_night_files(out_dir)
    try:
        summary = Summary.from_dict(files.summary)
    except (TypeError, ValueError) as exc:
        raise InputError(str(files.directory / SUMMARY), "", f"not an lrm summary ({exc})",
                         "re-run the analysis") from None
    events = add_onset_column(files.events, summary.recording_start, summary.timezone)
    return NightResult(events, summary, files.trace, _params(summary.params), hypnogram=files.hypnogram,
                       respiratory=files.respiratory, arousals=files.arousals, snippets=files.snippets)


def _params(values: Any) -> Params | None:
    if not isinstance(values, Mapping):
        return None
    try:
        return Params.from_dict(dict(values))
    except (LrmError, ValueError, TypeError, LookupError):
        return None
