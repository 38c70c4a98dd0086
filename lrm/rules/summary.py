"""The night summary (``summary.json``): a frozen dataclass of counts, indices and statistics.

Indices are counts per hour: ``*_index`` of the analysis period (``time_in_bed_h``) unless the name says
otherwise; ``plms_*`` per hour of total sleep time, ``plmw_index`` per hour of wake. A value that does not
apply (no hypnogram, no respiratory events, zero hours) is None (null in JSON), never missing.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any, Final

__all__ = ["SCHEMA_VERSION", "NightSummary"]

SCHEMA_VERSION: Final = 1


@dataclass(frozen=True, slots=True)
class NightSummary:
    """Counts, indices (per hour) and statistics of one scored night. See the module docstring."""

    rules: str  # "wasm2016" | "aasm"
    time_in_bed_h: float  # the analysis period (gaps excluded), denominator of lm/clm/plm_index
    total_sleep_time_h: float | None = None  # from the hypnogram, within the period
    wake_time_h: float | None = None  # W epochs within the period (denominator of plmw_index)
    n1_time_h: float | None = None
    n2_time_h: float | None = None
    n3_time_h: float | None = None
    rem_time_h: float | None = None
    recording_start: str | None = None  # ISO 8601 UTC, or None when times are relative
    schema_version: int = SCHEMA_VERSION
    rules_description: str = ""
    # counts and indices over the analysis period
    lm_count: int = 0  # scored LMs (after merge, drop < 0.5 s, bilateral combination), non-CLMs included
    lm_index: float | None = None
    left_lm_count: int = 0
    right_lm_count: int = 0
    bilateral_lm_count: int = 0
    dropped_short_lm_count: int = 0  # single-leg LMs < 0.5 s after merging (not in lm_count)
    non_clm_count: int = 0
    clm_count: int = 0
    clm_index: float | None = None
    plm_count: int = 0
    plm_index: float | None = None
    plm_series_count: int = 0
    plm_series_mean_length: float | None = None  # PLMs per series
    short_imi_clm_count: int = 0  # CLMs whose IMI from the previous LM is < imi_min_s
    isolated_clm_count: int = 0  # CLMs neither in a series nor after a short IMI
    periodicity_index: float | None = None  # Ferri 2006 interval form (see lrm.rules.periodicity)
    plm_clm_ratio: float | None = None  # movement form PLM / CLM ("PI" in MATPLM-Score and SOMAS)
    # sleep / wake (hypnogram)
    clms_count: int | None = None
    clms_index: float | None = None  # CLMs in sleep per hour of TST
    plms_count: int | None = None
    plms_index: float | None = None  # PLMs in sleep per hour of TST
    plmw_count: int | None = None
    plmw_index: float | None = None  # PLMs in wake per hour of wake
    plms_n1_index: float | None = None  # per hour of N1 (and so on)
    plms_n2_index: float | None = None
    plms_n3_index: float | None = None
    plms_nrem_index: float | None = None
    plms_rem_index: float | None = None
    # respiratory events (CLMr) and PLMs without them (series recomputed)
    respiratory_event_count: int | None = None
    clmr_count: int | None = None
    clm_nr_index: float | None = None
    plm_nr_count: int | None = None
    plm_nr_index: float | None = None
    plms_nr_count: int | None = None
    plms_nr_index: float | None = None
    # arousals
    arousal_count: int | None = None
    plm_arousal_count: int | None = None
    plm_arousal_index: float | None = None
    plms_arousal_count: int | None = None
    plms_arousal_index: float | None = None  # PLMS with an arousal per hour of TST
    # other event types passed through (counted, not scored)
    hypnic_jerk_count: int | None = 0  # None: not classified (no wake-to-sleep transition could be estimated)
    event_type_counts: dict[str, int] = field(default_factory=dict)
    # intervals and durations
    plm_imi_geometric_mean_s: float | None = None  # IMIs inside PLM series
    plm_imi_log_sd: float | None = None  # SD of ln(IMI) inside PLM series
    clm_imi_log_histogram: dict[str, Any] = field(default_factory=dict)  # IMIs between consecutive CLMs
    clm_imi_histogram: dict[str, Any] = field(default_factory=dict)  # same, 2 s bins over 0-90 s
    lm_duration_mean_s: float | None = None
    lm_duration_median_s: float | None = None
    lm_duration_sd_s: float | None = None
    plm_duration_mean_s: float | None = None
    plm_duration_median_s: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict; NaN and inf become None.

        >>> NightSummary(rules="wasm2016", time_in_bed_h=8.0, lm_index=float("nan")).to_dict()["lm_index"] is None
        True
        """
        values = dataclasses.asdict(self)
        ordered = {"schema_version": values.pop("schema_version"), **values}
        return {key: _clean(value) for key, value in ordered.items()}


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value
