"""Scoring of the suggested immobilization test (SIT): tables in, tables out.

The SIT (Montplaisir et al. 1998 [1]_) counts leg movements while a person sits awake in bed, legs
outstretched, for about an hour. lrm scores the detected single-leg LMs of the test's *valid* time (the
test window minus posture breaks and sensor gaps) with the WASM 2016 rules ([2]_, docs/scoring.md §1.2),
and also with the interval limits under which the published SIT reference value was obtained.

Which interval limits apply during wake, and why (docs/sit.md §4):

* **Headline, WASM 2016 (IMI 10-90 s, CLM 0.5-10 s one leg / 0.5-15 s bilateral).** WASM 2016 scores
  PLMs with one set of rules whatever the state: series are built over the whole record and each PLM is
  labelled sleep or wake only afterwards (PLMW, per hour of wake; docs/scoring.md §1.2 steps 8-9). A SIT is
  all wake, so its SIT-PLM index is a PLMW index per hour of valid test time. The 0.5-10 s CLM duration is
  also what Michaud et al. 2001 [3]_ recommend for the SIT: wake LMs last longer than sleep LMs, many 5-10 s.
* **Comparison, the original SIT criteria (IMI 4-90 s, LM 0.5-10 s):** :data:`SIT_ORIGINAL`. The > 40/h
  SIT index that separated RLS patients from controls [1]_ was scored with the Coleman-era periodicity
  (series of >= 4 LMs 4-90 s apart, Michaud 2001 [3]_). SIT movements recur every 11-12 s at the mode of
  their intervals [3]_, just above WASM's 10 s limit, so a good share of SIT intervals fall in 4-10 s and
  end WASM series: the WASM index is lower, by most in wake and in controls (the 2016-vs-2006 comparison
  in docs/scoring.md §1.2). The published cut-off is therefore compared with the 4-90 s index only.

Every excluded stretch (posture break, gap) ends every series: nothing is known about the movements in
it, so IMIs are never measured across it (as a > 90 s IMI would end the series anyway in most cases).

References
----------
.. [1] Montplaisir J, et al. Immobilization tests and periodic leg movements in sleep for the diagnosis
   of restless leg syndrome. Mov Disord 1998;13:324-9.
.. [2] Ferri R, et al. WASM 2016 standards for recording and scoring leg movements in polysomnograms.
   Sleep Med 2016;26:86-95.
.. [3] Michaud M, et al. Restless legs syndrome: scoring criteria for leg movements recorded during the
   suggested immobilization test. Sleep Med 2001;2:317-21.
.. [4] Garcia-Borreguero D, et al. Validation of the multiple suggested immobilization test. Sleep
   2013;36:1101-9.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Final

import numpy as np
import numpy.typing as npt
import pandas as pd

from lrm.rules.events import conform_events, empty_events
from lrm.rules.indices import per_hour
from lrm.rules.rulesets import RuleSet, RuleSetName, get_ruleset
from lrm.rules.score import score_lms

__all__ = ["SIT_ORIGINAL", "SitCounts", "SitScore", "DiscomfortSummary", "ReferenceValue", "REFERENCE_VALUES",
           "valid_segments", "score_sit", "summarize_discomfort", "bin_sit"]

#: The interval rules of the original SIT work (Montplaisir 1998, Michaud 2001): series of >= 4 LMs
#: 4-90 s apart, LMs 0.5-10 s; leg combination as in WASM 2016, so only the lower IMI limit differs.
SIT_ORIGINAL: Final = RuleSet("sit-original", imi_min_s=4.0)

SCOPES: Final = ("both", "left", "right")
"""Scored scopes: ``both`` (the two legs combined by the WASM bilateral rule, the SIT index), each leg alone."""


@dataclass(frozen=True, slots=True)
class ReferenceValue:
    """A published SIT number with its conditions and source (shown in sit.json and the report)."""

    quantity: str
    value: str
    conditions: str
    source: str


REFERENCE_VALUES: Final = (
    ReferenceValue("SIT index (PLM per hour of SIT)", "> 40 per hour",
                   "separated RLS patients from matched controls: 81 % of patients and 81 % of controls "
                   "classified correctly; leg EMG, 1 h sitting in bed, IMI 4-90 s",
                   "Montplaisir et al., Mov Disord 1998;13:324-9"),
    ReferenceValue("interval between SIT movements", "mode 11-12 s",
                   "40 RLS patients with a SIT index > 40; many LMs last 5-10 s (hence 0.5-10 s)",
                   "Michaud et al., Sleep Med 2001;2:317-21"),
    ReferenceValue("leg discomfort during m-SIT (0-10)", "2.68 +- 2.35 (RLS) vs 0.08 +- 0.26 (controls)",
                   "mean of ratings every 10 min in four evening 60 min SITs; 19 patients on medication, 10 controls",
                   "Garcia-Borreguero et al., Sleep 2013;36:1101-9"),
)


@dataclass(frozen=True, slots=True)
class SitCounts:
    """Counts and indices (per hour of valid test time) of one scope under one rule set."""

    lm_count: int
    clm_count: int
    plm_count: int
    plm_series_count: int
    lm_index: float | None
    clm_index: float | None
    plm_index: float | None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass(frozen=True, slots=True, eq=False)
class SitScore:
    """The scored SIT.

    events : the scored LMs of both legs combined (events.csv columns + ``segment``), valid time only.
    segments_s : (m, 2) valid stretches [start, end) in s since the recording start.
    valid_h : valid test time in h (the indices' denominator).
    counts : scope (``both``, ``left``, ``right``) -> :class:`SitCounts` under ``rules``.
    original : :class:`SitCounts` of both legs under :data:`SIT_ORIGINAL` (comparable with the 40/h value).
    rules : the rule set's name.
    """

    events: pd.DataFrame
    segments_s: npt.NDArray[np.float64]
    valid_h: float
    counts: dict[str, SitCounts]
    original: SitCounts
    rules: str


@dataclass(frozen=True, slots=True)
class DiscomfortSummary:
    """Leg discomfort ratings (0-10): mean, maximum, first/last and least-squares slope per hour.

    ``None`` where no answer (or fewer than two, for the slope) was given.
    """

    n_prompts: int
    n_answered: int
    mean: float | None
    maximum: float | None
    first: float | None
    last: float | None
    slope_per_h: float | None

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


def valid_segments(window_s: tuple[float, float], excluded_s: npt.ArrayLike) -> npt.NDArray[np.float64]:
    """The stretches [start, end) (m, 2) in s of ``window_s`` not covered by any ``excluded_s`` (k, 2) interval.

    >>> valid_segments((0.0, 100.0), [[10, 20], [15, 30], [90, 120]]).tolist()
    [[0.0, 10.0], [30.0, 90.0]]
    """
    start, end = float(window_s[0]), float(window_s[1])
    if not end >= start:
        raise ValueError(f"window_s must have end >= start, got {window_s}")
    ex = np.asarray(excluded_s, dtype=np.float64).reshape(-1, 2)
    ex = ex[(ex[:, 1] > start) & (ex[:, 0] < end) & (ex[:, 1] > ex[:, 0])]
    ex = ex[np.argsort(ex[:, 0], kind="stable")]
    out, cursor = [], start
    for a, b in ex:                     # few intervals: posture breaks and gaps
        if a > cursor:
            out.append((cursor, min(a, end)))
        cursor = max(cursor, b)
    if cursor < end:
        out.append((cursor, end))
    return np.asarray(out, dtype=np.float64).reshape(-1, 2)


def _overlaps(onset_s: npt.NDArray[np.float64], offset_s: npt.NDArray[np.float64],
              intervals: npt.NDArray[np.float64]) -> npt.NDArray[np.bool_]:
    if intervals.size == 0 or onset_s.size == 0:
        return np.zeros(onset_s.size, bool)
    return ((onset_s[:, None] < intervals[None, :, 1]) & (offset_s[:, None] > intervals[None, :, 0])).any(axis=1)


def _score_scope(lms: pd.DataFrame, segments: npt.NDArray[np.float64], rules: RuleSet) -> tuple[pd.DataFrame, SitCounts]:
    tables, lm = [], np.zeros(4, np.int64)
    series_offset = 0
    hours = float((segments[:, 1] - segments[:, 0]).sum()) / 3600.0 if segments.size else 0.0
    for k, (a, b) in enumerate(segments):
        scored = score_lms(lms, hours=(b - a) / 3600.0, rules=rules, period=(a, b))
        s = scored.summary
        lm += (s.lm_count, s.clm_count, s.plm_count, s.plm_series_count)
        ev = scored.events.loc[scored.events["type"] == "lm"].copy()
        ev["series_id"] = ev["series_id"] + series_offset     # series numbered across segments
        series_offset += s.plm_series_count
        ev["segment"] = k
        tables.append(ev)
    events = pd.concat(tables, ignore_index=True) if tables else empty_events().assign(segment=pd.Series(dtype="int64"))
    counts = SitCounts(int(lm[0]), int(lm[1]), int(lm[2]), int(lm[3]), per_hour(int(lm[0]), hours),
                       per_hour(int(lm[1]), hours), per_hour(int(lm[2]), hours))
    return conform_events(events), counts


def score_sit(lms: pd.DataFrame, *, window_s: tuple[float, float], excluded_s: npt.ArrayLike = (),
              rules: RuleSet | RuleSetName = "wasm2016") -> SitScore:
    """Score a SIT's single-leg leg movements per hour of valid test time.

    Parameters
    ----------
    lms : DataFrame
        Single-leg LMs: ``onset_s``, ``offset_s`` (s since the recording start), ``side`` (left|right),
        optional ``type`` (only ``lm`` rows are scored) and pass-through columns (``peak_g``).
    window_s : (float, float)
        The test: start and end in s since the recording start (end = start + 60 min for a full SIT,
        earlier for a partial one).
    excluded_s : array_like (k, 2)
        Stretches [start, end) in s excluded from the test: posture breaks, sensor gaps on any leg.
    rules : RuleSet or {"wasm2016", "aasm"}
        The headline rule set (WASM 2016 by default).

    Returns
    -------
    SitScore
        Counts and indices for both legs combined and per leg, plus both legs under :data:`SIT_ORIGINAL`.

    Notes
    -----
    Each valid stretch is scored on its own (module docstring: an exclusion ends every series). LMs
    overlapping an excluded stretch are dropped: they are part of leaving or re-taking the test posture,
    or were cut by a gap. LM index: all scored LMs (after same-leg merging, the 0.5 s minimum and the
    bilateral combination; docs/scoring.md §1.2 steps 1-4), CLMs and non-CLMs; PLM index: CLMs in series.

    Examples
    --------
    >>> onsets = np.arange(0, 600, 20.0)                          # an LM every 20 s for 10 min
    >>> lms = pd.DataFrame({"onset_s": onsets, "offset_s": onsets + 2.0, "side": "left"})
    >>> s = score_sit(lms, window_s=(0.0, 600.0))
    >>> s.counts["both"].plm_count, round(s.counts["both"].plm_index, 1), s.counts["right"].lm_count
    (30, 180.0, 0)
    >>> cut = score_sit(lms, window_s=(0.0, 600.0), excluded_s=[[290.0, 330.0]])   # a 40 s posture break
    >>> cut.counts["both"].plm_count, round(cut.valid_h * 60, 1)
    (28, 9.3)
    """
    rules = get_ruleset(rules)
    segments = valid_segments(window_s, excluded_s)
    table = lms.copy()
    if "type" not in table.columns:
        table["type"] = "lm"
    ex = np.asarray(excluded_s, dtype=np.float64).reshape(-1, 2)
    keep = ~_overlaps(table["onset_s"].to_numpy(float), table["offset_s"].to_numpy(float), ex)
    table = table.loc[keep & (table["type"] == "lm").to_numpy()].reset_index(drop=True)
    valid_h = float((segments[:, 1] - segments[:, 0]).sum()) / 3600.0 if segments.size else 0.0
    counts, events = {}, None
    for scope in SCOPES:
        part = table if scope == "both" else table.loc[table["side"] == scope]
        scored, counts[scope] = _score_scope(part, segments, rules)
        if scope == "both":
            events = scored
    _, original = _score_scope(table, segments, SIT_ORIGINAL)
    return SitScore(events, segments, valid_h, counts, original, rules.name)  # type: ignore[arg-type]


def summarize_discomfort(t_s: npt.ArrayLike, rating: npt.ArrayLike) -> DiscomfortSummary:
    """Summarise discomfort ratings (0-10, NaN = no answer) taken at ``t_s`` (s since the test start).

    The slope is the least-squares line through the answered ratings, in rating points per hour
    (the "rest effect": discomfort rising with immobility, Michaud 2002; Garcia-Borreguero 2013 [4]_).

    >>> round(summarize_discomfort([600, 1200, 1800, 2400], [1, np.nan, 3, 4]).slope_per_h, 6)
    6.0
    """
    t = np.asarray(t_s, dtype=np.float64).reshape(-1)
    r = np.asarray(rating, dtype=np.float64).reshape(-1)
    if t.shape != r.shape:
        raise ValueError(f"t_s and rating must have the same length, got {t.size} and {r.size}")
    if np.any((r < 0) | (r > 10)):
        raise ValueError("ratings must lie in 0-10 (NaN for no answer)")
    ok = np.isfinite(r)
    answered = r[ok]
    slope = None
    if ok.sum() >= 2 and np.ptp(t[ok]) > 0:
        slope = float(np.polyfit(t[ok] / 3600.0, answered, 1)[0])
    some = answered.size > 0
    return DiscomfortSummary(int(r.size), int(answered.size), float(answered.mean()) if some else None,
                             float(answered.max()) if some else None, float(answered[0]) if some else None,
                             float(answered[-1]) if some else None, slope)


def bin_sit(events: pd.DataFrame, *, window_s: tuple[float, float], segments_s: npt.ArrayLike,
            bin_s: float = 600.0) -> pd.DataFrame:
    """Movements per ``bin_s`` of the test: valid minutes, LMs and PLMs, and their indices per hour.

    ``events`` is :attr:`SitScore.events` (times in s since the recording start). Columns: ``start_min``,
    ``end_min`` (since the test start), ``valid_min``, ``lm_count``, ``plm_count``, ``lm_index``,
    ``plm_index`` (None where a bin has no valid time).
    """
    if not bin_s > 0:
        raise ValueError(f"bin_s must be > 0 s, got {bin_s}")
    start, end = float(window_s[0]), float(window_s[1])
    edges = np.append(np.arange(start, end, bin_s), end) if end > start else np.array([start, end])
    seg = np.asarray(segments_s, dtype=np.float64).reshape(-1, 2)
    lo, hi = edges[:-1, None], edges[1:, None]
    valid_s = np.clip(np.minimum(hi, seg[None, :, 1]) - np.maximum(lo, seg[None, :, 0]), 0, None).sum(axis=1) \
        if seg.size else np.zeros(edges.size - 1)
    onset = events["onset_s"].to_numpy(float)
    plm = events["in_plm_series"].to_numpy(bool) if len(events) else np.zeros(0, bool)
    idx = np.searchsorted(edges, onset, side="right") - 1
    ok = (idx >= 0) & (idx < edges.size - 1)
    lm_n = np.bincount(idx[ok], minlength=edges.size - 1)
    plm_n = np.bincount(idx[ok & plm], minlength=edges.size - 1)
    hours = valid_s / 3600.0
    return pd.DataFrame({
        "start_min": (edges[:-1] - start) / 60.0, "end_min": (edges[1:] - start) / 60.0, "valid_min": valid_s / 60.0,
        "lm_count": lm_n.astype(np.int64), "plm_count": plm_n.astype(np.int64),
        "lm_index": [per_hour(int(n), h) for n, h in zip(lm_n, hours, strict=True)],
        "plm_index": [per_hour(int(n), h) for n, h in zip(plm_n, hours, strict=True)],
    })
