"""From a scored LM table to the :class:`NightSummary`: counts, indices per hour, statistics (docs/scoring.md §2.1)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lrm.io.hypnogram import SLEEP_STAGES, Hypnogram
from lrm.rules.histogram import LINEAR_IMI_EDGES_S, LOG_IMI_EDGES_S, imi_histogram
from lrm.rules.periodicity import log_imi_stats, periodicity_index
from lrm.rules.rulesets import RuleSet
from lrm.rules.summary import NightSummary

__all__ = ["SummaryContext", "per_hour", "summarize_night"]


@dataclass(frozen=True, slots=True)
class SummaryContext:
    """What the summary needs besides the scored table: denominators and input counts."""

    rules: RuleSet
    hours: float  # analysis period, h
    hypnogram: Hypnogram | None = None
    period: tuple[float, float] | None = None  # s since recording start
    respiratory_event_count: int | None = None
    arousal_count: int | None = None
    dropped_short_lm_count: int = 0
    recording_start: str | None = None


def per_hour(count: int | None, hours: float | None) -> float | None:
    """``count / hours``, None when either is missing or hours is 0.

    >>> per_hour(12, 8.0), per_hour(3, 0.0)
    (1.5, None)
    """
    if count is None or hours is None or not hours > 0:
        return None
    return float(count) / float(hours)


def _stage_counts(lms: pd.DataFrame, flag: pd.Series, hyp: Hypnogram, period) -> dict[str, object]:
    """PLMS/PLMW counts and per-stage indices (docs/scoring.md §1.2 step 9, §2.1)."""
    stage = lms["stage"]
    in_sleep = stage.isin(SLEEP_STAGES).to_numpy(bool)
    tst_h = hyp.hours(SLEEP_STAGES, period)
    wake_h = hyp.hours(("W",), period)
    plm = flag.to_numpy(bool)
    by_stage = {
        name: per_hour(int(np.sum(plm & stage.isin(stages).to_numpy(bool))), hyp.hours(stages, period))
        for name, stages in {"n1": ("N1",), "n2": ("N2",), "n3": ("N3",), "nrem": ("N1", "N2", "N3"), "rem": ("R",)}.items()
    }
    plms = int(np.sum(plm & in_sleep))
    plmw = int(np.sum(plm & (stage == "W").to_numpy(bool)))
    clms = int(np.sum(lms["is_clm"].to_numpy(bool) & in_sleep))
    return {
        "total_sleep_time_h": tst_h, "wake_time_h": wake_h, "n1_time_h": hyp.hours(("N1",), period),
        "n2_time_h": hyp.hours(("N2",), period), "n3_time_h": hyp.hours(("N3",), period),
        "rem_time_h": hyp.hours(("R",), period), "clms_count": clms, "clms_index": per_hour(clms, tst_h),
        "plms_count": plms, "plms_index": per_hour(plms, tst_h), "plmw_count": plmw,
        "plmw_index": per_hour(plmw, wake_h), **{f"plms_{k}_index": v for k, v in by_stage.items()},
    }


def _interval_stats(lms: pd.DataFrame, rules: RuleSet) -> dict[str, object]:
    onset_s, is_clm = lms["onset_s"].to_numpy(float), lms["is_clm"].to_numpy(bool)
    imi_s = lms["imi_s"].to_numpy(float)
    series = lms["series_id"].fillna(0).to_numpy(np.int64)
    same_series = np.zeros(len(lms), bool)
    same_series[1:] = (series[1:] > 0) & (series[1:] == series[:-1])
    clm_pair = np.zeros(len(lms), bool)
    clm_pair[1:] = is_clm[1:] & is_clm[:-1]
    geo_mean, log_sd = log_imi_stats(imi_s[same_series])
    short_imi = is_clm & (imi_s < rules.imi_min_s)  # SOMAS short-IMI CLMs (previous LM of any kind)
    plm = lms["in_plm_series"].to_numpy(bool)
    return {
        "periodicity_index": periodicity_index(onset_s, is_clm),
        "plm_imi_geometric_mean_s": geo_mean, "plm_imi_log_sd": log_sd,
        "clm_imi_log_histogram": imi_histogram(imi_s[clm_pair], LOG_IMI_EDGES_S),
        "clm_imi_histogram": imi_histogram(imi_s[clm_pair], LINEAR_IMI_EDGES_S),
        "short_imi_clm_count": int(np.sum(short_imi)),
        "isolated_clm_count": int(np.sum(is_clm & ~plm & ~short_imi)),
    }


def _duration_stats(lms: pd.DataFrame) -> dict[str, float | None]:
    duration_s = lms["duration_s"].to_numpy(float)
    plm_s = duration_s[lms["in_plm_series"].to_numpy(bool)]
    return {
        "lm_duration_mean_s": float(duration_s.mean()) if duration_s.size else None,
        "lm_duration_median_s": float(np.median(duration_s)) if duration_s.size else None,
        "lm_duration_sd_s": float(duration_s.std(ddof=1)) if duration_s.size > 1 else None,
        "plm_duration_mean_s": float(plm_s.mean()) if plm_s.size else None,
        "plm_duration_median_s": float(np.median(plm_s)) if plm_s.size else None,
    }


def _respiratory_counts(lms: pd.DataFrame, ctx: SummaryContext) -> dict[str, object]:
    if ctx.respiratory_event_count is None:
        return {}
    clmr = int(np.sum(lms["is_clm"].to_numpy(bool) & (lms["respiratory"].fillna(0).to_numpy(int) == 1)))
    plm_nr = lms["in_plm_series_nr"].fillna(0).to_numpy(bool)
    out = {
        "respiratory_event_count": ctx.respiratory_event_count, "clmr_count": clmr,
        "clm_nr_index": per_hour(int(lms["is_clm"].sum()) - clmr, ctx.hours),
        "plm_nr_count": int(plm_nr.sum()), "plm_nr_index": per_hour(int(plm_nr.sum()), ctx.hours),
    }
    if ctx.hypnogram is not None:
        plms_nr = int(np.sum(plm_nr & lms["stage"].isin(SLEEP_STAGES).to_numpy(bool)))
        tst_h = ctx.hypnogram.hours(SLEEP_STAGES, ctx.period)
        out |= {"plms_nr_count": plms_nr, "plms_nr_index": per_hour(plms_nr, tst_h)}
    return out


def _arousal_counts(lms: pd.DataFrame, ctx: SummaryContext) -> dict[str, object]:
    if ctx.arousal_count is None:
        return {}
    with_arousal = lms["in_plm_series"].to_numpy(bool) & (lms["arousal"].fillna(0).to_numpy(int) == 1)
    out = {
        "arousal_count": ctx.arousal_count, "plm_arousal_count": int(with_arousal.sum()),
        "plm_arousal_index": per_hour(int(with_arousal.sum()), ctx.hours),
    }
    if ctx.hypnogram is not None:
        count = int(np.sum(with_arousal & lms["stage"].isin(SLEEP_STAGES).to_numpy(bool)))
        out |= {"plms_arousal_count": count,
                "plms_arousal_index": per_hour(count, ctx.hypnogram.hours(SLEEP_STAGES, ctx.period))}
    return out


def summarize_night(lms: pd.DataFrame, type_counts: dict[str, int], ctx: SummaryContext) -> NightSummary:
    """Summarise a scored LM table (rows of type ``lm`` only, in time order) into a :class:`NightSummary`.

    Parameters
    ----------
    lms : DataFrame
        Scored LMs with the events-table columns (``is_clm``, ``in_plm_series``, ``series_id``, ``imi_s``,
        ``stage``, ``respiratory``, ``arousal``, ``in_plm_series_nr``, ``duration_s``, ``side``).
    type_counts : dict
        Number of events of every type in the output table (``lm`` included).
    ctx : SummaryContext
        Rule set, analysis hours, hypnogram and period, input counts.

    Notes
    -----
    docs/scoring.md §2.1: LM, CLM and PLM index per hour of the analysis period; PLMS index per hour of TST,
    PLMW index per hour of wake (W epochs), PLMSnr with CLMr removed and series recomputed (§1.2 step 10),
    PLMS-arousal index per hour of TST.
    """
    is_clm, plm = lms["is_clm"].to_numpy(bool), lms["in_plm_series"].to_numpy(bool)
    series_id = lms["series_id"].to_numpy(dtype=np.float64, na_value=np.nan)[plm]   # ids < 2**53: exact
    n_series = int(np.unique(series_id[~np.isnan(series_id)]).size)                   # as nunique(): <NA> not counted
    side = lms["side"]
    values: dict[str, object] = {
        "rules": ctx.rules.name, "rules_description": ctx.rules.describe(), "time_in_bed_h": float(ctx.hours),
        "recording_start": ctx.recording_start, "lm_count": len(lms), "lm_index": per_hour(len(lms), ctx.hours),
        "left_lm_count": int((side == "left").sum()), "right_lm_count": int((side == "right").sum()),
        "bilateral_lm_count": int((side == "bilateral").sum()),
        "dropped_short_lm_count": ctx.dropped_short_lm_count, "non_clm_count": int((~is_clm).sum()),
        "clm_count": int(is_clm.sum()), "clm_index": per_hour(int(is_clm.sum()), ctx.hours),
        "plm_count": int(plm.sum()), "plm_index": per_hour(int(plm.sum()), ctx.hours),
        "plm_series_count": n_series, "plm_series_mean_length": plm.sum() / n_series if n_series else None,
        "plm_clm_ratio": plm.sum() / is_clm.sum() if is_clm.sum() else None,
        "hypnic_jerk_count": int(type_counts.get("hypnic_jerk", 0)), "event_type_counts": dict(type_counts),
        **_interval_stats(lms, ctx.rules), **_duration_stats(lms),
        **_respiratory_counts(lms, ctx), **_arousal_counts(lms, ctx),
    }
    if ctx.hypnogram is not None:
        values |= _stage_counts(lms, lms["in_plm_series"], ctx.hypnogram, ctx.period)
    values = {k: (float(v) if isinstance(v, np.floating) else v) for k, v in values.items()}
    return NightSummary(**values)
