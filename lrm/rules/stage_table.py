"""The per-stage table of a scored night, in MATPLM-Score's layout: metric x TIB/TST/W/N1/N2/N3/REM/NREM.

MATPLM-Score (Johns Hopkins RLS lab; docs/scoring.md ref. [5]) prints one table per night whose rows are
the time in stage, then per column: CLMs and PLMs per hour of that column's time, PLMs with an arousal per
hour, PI (PLM / CLM), and the geometric mean and geometric SD (exp of the SD of ln IMI) of the intervals
inside PLM series; the same rows with respiratory-related CLMs removed ("nr") come first when respiratory
events were scored. Columns: TIB is the analysis period (``time_in_bed_h``), TST all sleep, NREM N1-N3.

A movement belongs to the column of the 30 s epoch holding its onset (docs/scoring.md §1.2 step 9). An IMI
belongs to the PLM that ends it, and counts only when the previous LM is in the same series. For the "nr"
rows the CLMr leave the sequence and the series and IMIs are recomputed (§1.2 step 10).
"""

from __future__ import annotations

from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from lrm.io.hypnogram import SLEEP_STAGES, Hypnogram
from lrm.rules.rulesets import RuleSet
from lrm.rules.series import compute_imi, number_series

__all__ = ["STAGE_COLUMNS", "stage_table"]

#: column name -> the hypnogram stages it spans (None: the whole analysis period)
STAGE_COLUMNS: Final[dict[str, tuple[str, ...] | None]] = {
    "TIB": None, "TST": SLEEP_STAGES, "W": ("W",), "N1": ("N1",), "N2": ("N2",), "N3": ("N3",), "REM": ("R",),
    "NREM": ("N1", "N2", "N3"),
}


def _same_series(series: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
    """True where an LM and the one before it are in the same PLM series (its IMI is a within-series IMI)."""
    same = np.zeros(series.size, bool)
    same[1:] = (series[1:] > 0) & (series[1:] == series[:-1])
    return same


def _geometric(imi_s: npt.NDArray[np.float64]) -> tuple[float, float]:
    """Geometric mean (s) and geometric SD (exp of the sample SD of ln IMI) of ``imi_s``; NaN when undefined."""
    logs = np.log(imi_s[np.isfinite(imi_s) & (imi_s > 0)])
    mean = float(np.exp(logs.mean())) if logs.size else float("nan")
    return mean, float(np.exp(logs.std(ddof=1))) if logs.size > 1 else float("nan")


def _rows(mask: npt.NDArray[np.bool_], hours: float, clm: np.ndarray, plm: np.ndarray, arousal: np.ndarray | None,
          imi_s: np.ndarray, same: np.ndarray) -> dict[str, float]:
    per_h = (lambda n: n / hours) if hours > 0 else (lambda n: float("nan"))
    n_clm, n_plm = int(np.sum(mask & clm)), int(np.sum(mask & plm))
    mean, sd = _geometric(imi_s[mask & same])
    out = {"clm_index": per_h(n_clm), "plm_index": per_h(n_plm)}
    if arousal is not None:
        out["plm_arousal_index"] = per_h(int(np.sum(mask & plm & arousal)))
    return out | {"pi": n_plm / n_clm if n_clm else float("nan"), "imi_geo_mean_s": mean, "imi_geo_sd": sd}


def stage_table(events: pd.DataFrame, hypnogram: Hypnogram, *, rules: RuleSet, time_in_bed_h: float,
                period: tuple[float, float] | None = None, respiratory_scored: bool | None = None,
                arousals_scored: bool | None = None) -> pd.DataFrame:
    """The per-stage table of one scored night.

    Parameters
    ----------
    events : DataFrame
        The scored events table (rows of type ``lm`` are used: ``onset_s``, ``is_clm``, ``in_plm_series``,
        ``series_id``, ``imi_s``, ``stage``; ``respiratory`` and ``arousal`` when scored).
    hypnogram : Hypnogram
        The night's 30 s stages: the hours of each column.
    rules : RuleSet
        The rule set the night was scored with (series are recomputed with it for the "nr" rows).
    time_in_bed_h : float
        The analysis period in h: the TIB column's hours.
    period : (float, float), optional
        The analysis period (s, s): stage hours are counted inside it.
    respiratory_scored, arousals_scored : bool, optional
        Whether respiratory events / arousals were given (summary.json's ``respiratory_event_count`` and
        ``arousal_count`` are not None); by default, whether the column holds any value.

    Returns
    -------
    DataFrame
        Index: ``time_h``, then (with respiratory events) ``clm_nr_index``, ``plm_nr_index``,
        (``plm_nr_arousal_index``), ``pi_nr``, ``imi_nr_geo_mean_s``, ``imi_nr_geo_sd``, then ``clm_index``,
        ``plm_index``, (``plm_arousal_index``), ``pi``, ``imi_geo_mean_s``, ``imi_geo_sd``; columns
        :data:`STAGE_COLUMNS`. Indices per hour of the column's time; NaN where undefined (no time, no CLM,
        no within-series IMI).

    Notes
    -----
    docs/scoring.md §1.2 steps 9-10 and §2.1; layout of MATPLM-Score's "Major PLM Statistics" table.
    """
    lms = events[events["type"].astype(str) == "lm"].sort_values("onset_s", kind="stable")
    onset_s = lms["onset_s"].to_numpy(float)
    clm = lms["is_clm"].to_numpy(bool)
    plm = pd.to_numeric(lms["in_plm_series"], errors="coerce").fillna(0).to_numpy() != 0
    series = pd.to_numeric(lms["series_id"], errors="coerce").fillna(0).to_numpy(np.int64)
    stage = lms["stage"].astype(object).to_numpy() if "stage" in lms else np.full(len(lms), None, object)
    arousal = _flag(lms, "arousal", arousals_scored)
    respiratory = _flag(lms, "respiratory", respiratory_scored)
    columns: dict[str, dict[str, float]] = {}
    for name, stages in STAGE_COLUMNS.items():
        hours = time_in_bed_h if stages is None else hypnogram.hours(stages, period)
        mask = np.ones(len(lms), bool) if stages is None else np.isin(stage, stages)
        column: dict[str, float] = {"time_h": hours}
        if respiratory is not None:
            keep = ~(respiratory & clm)
            series_nr = np.zeros(len(lms), np.int64)
            series_nr[keep] = number_series(onset_s[keep], clm[keep], rules)
            imi_nr = np.full(len(lms), np.nan)
            imi_nr[keep] = compute_imi(onset_s[keep])
            same_nr = np.zeros(len(lms), bool)
            same_nr[keep] = _same_series(series_nr[keep])
            nr = _rows(mask & keep, hours, clm, series_nr > 0, arousal, imi_nr, same_nr)
            column |= {_nr_key(key): value for key, value in nr.items()}
        column |= _rows(mask, hours, clm, plm, arousal, lms["imi_s"].to_numpy(float), _same_series(series))
        columns[name] = column
    return pd.DataFrame(columns)


def _flag(lms: pd.DataFrame, column: str, scored: bool | None) -> npt.NDArray[np.bool_] | None:
    """A 0/1 association column as bool; None when the night was not scored for it."""
    if scored is None:
        scored = column in lms and bool(lms[column].notna().any())
    if not scored:
        return None
    values = lms[column] if column in lms else pd.Series(0, index=lms.index)
    return pd.to_numeric(values, errors="coerce").fillna(0).to_numpy() == 1


def _nr_key(key: str) -> str:
    """``clm_index`` -> ``clm_nr_index``, ``pi`` -> ``pi_nr``, ``imi_geo_sd`` -> ``imi_nr_geo_sd``."""
    head, _, tail = key.partition("_")
    return f"{head}_nr_{tail}" if tail else f"{head}_nr"
