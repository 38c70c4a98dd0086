"""Validate lrm on simulated nights: ``python -m lrm.validate [--split dev|heldout] [--nights N] [--hours H]``.

Each night is drawn from lrm's simulator (:func:`lrm.simulate`) in the **wide** or **hard** family
(:mod:`lrm.sim.families`): sample rate 10-200 Hz, noise 1-15 mg, quantisation step up to 16 mg, 2-16 g,
a strapped sensor at any turn about the shank, the night's own LM amplitude distribution (median peak
15-300 mg), rotation-, acceleration- and tremor-like LMs from a model of the shank, hypnic-jerk variants
and timing, roll-overs, walking, fidgeting, restless wake, foot tremor/ALMA, clock drift and BLE gaps.
The night is analysed with the public :func:`lrm.analyze` and compared with its truth
(:mod:`lrm.sim.compare` defines every number).

Seeds. Night ``k`` (0, 1, 2, ...) of a split has seed ``base + k``: ``dev`` seeds start at 1000 and are the
ones to look at while choosing parameters; ``heldout`` seeds start at 9000 and are run only to report,
never to tune. Night ``k`` uses profile ``(healthy, plmd, rls, hypnic)[k % 4]`` and the hard family when
``k % 5 == 4`` (one night in five), the wide family otherwise; everything else is drawn from the seed.

Report. Per metric the mean over nights, the worst decile (the 10th percentile of a score, the 90th of an
error: one night in ten is worse) and the worst night with its seed; recall of true LMs by amplitude
band, noise level, sample rate, LM class and family; false LMs per hour on still stretches; and the
detection-limit calibration (recall of true LMs above / below the leg's stated ``detection_limit_g``,
"n/a" when the detector states none), and for brief-pulse LMs (the twitch class) the calibration of
``detection_limit_brief_g`` and their recall by multiple of ``detection_limit_g``; the statement about LMs below the
limit (``missed_share_estimate``): nights warned, under-estimated nights warned, and how often the true PLM index lay
at or below its stated upper end. ``--csv`` writes one row per night, ``--lm-csv`` one row per true
LM, ``--markdown`` the report (for docs/validation.md).

What this does and does not show: the simulator is our own physics (docs/scoring.md §6), randomised widely
so that no single choice carries the result; passing it is consistency with that physics across sensors
and nights, not agreement with polysomnography (docs/scoring.md §4 gives the real-world anchors).
"""

from __future__ import annotations

import argparse
import inspect
import math
import sys
import time
import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import stats

from lrm.sim.compare import match_onsets

__all__ = ["SPLITS", "night_plan", "evaluate_night", "summarize", "report", "main", "match_onsets",
           "limit_calibration", "brief_calibration", "expected_legs_below", "missed_calibration"]

PROFILES = ("healthy", "plmd", "rls", "hypnic")
SPLITS = {"dev": 1000, "heldout": 9000}  # first seed of each split
AMPLITUDE_BANDS_G = (0.0, 0.01, 0.02, 0.03, 0.05, 0.1, 0.15, 0.3, 1.0, math.inf)
COARSE_BANDS_G = (0.0, 0.05, 0.15, math.inf)
NOISE_BANDS_MG = (0.0, 3.0, 7.0, math.inf)
RATE_BANDS_HZ = (0.0, 20.0, 40.0, 80.0, math.inf)

#: (column, label, higher is better, format)
METRICS = (
    ("lm_f1", "LM F1", True, ".3f"),
    ("lm_precision", "LM precision", True, ".3f"),
    ("lm_recall", "LM recall", True, ".3f"),
    ("plmi_abs_err", "PLM index abs. error (/h)", False, ".2f"),
    ("hj_precision", "hypnic jerks precision", True, ".2f"),
    ("hj_recall", "hypnic jerks recall", True, ".2f"),
    ("tib_abs_err_min", "time in bed abs. error (min)", False, ".1f"),
    ("clock_err_s", "clock alignment error (s)", False, ".2f"),
    ("still_fp_per_h", "false LMs per still hour", False, ".2f"),
)


def night_plan(split: str, nights: int, family: str = "mixed") -> list[tuple[str, int, str]]:
    """(profile, seed, family) of the first ``nights`` nights of ``split`` (see the module docstring)."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {', '.join(SPLITS)}, got {split!r}")
    out = []
    for k in range(nights):
        fam = family if family != "mixed" else ("hard" if k % 5 == 4 else "wide")
        out.append((PROFILES[k % len(PROFILES)], SPLITS[split] + k, fam))
    return out


def _analyze(recording: Any) -> Any:
    """:func:`lrm.analyze` on one thread when it offers the choice (the harness's parallelism is ``--jobs``)."""
    import lrm

    if "threads" in inspect.signature(lrm.analyze).parameters:
        return lrm.analyze(recording, threads=1)
    return lrm.analyze(recording)


def evaluate_night(profile: str, seed: int, family: str, hours: float) -> tuple[dict[str, Any], pd.DataFrame]:
    """Simulate, analyse and compare one night: (its row, its true LMs with the found flag). Picklable.

    A night the pipeline refuses or fails on is returned with ``status`` "error: ..." and no metrics.
    """
    import lrm
    from lrm.sim.compare import compare_night

    t0 = time.perf_counter()
    sim = lrm.simulate(profile, seed=seed, hours=hours, family=family)  # type: ignore[arg-type]
    t1 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = _analyze(sim.recording)
        except Exception as exc:  # noqa: BLE001 - any failure is a finding of the validation, reported per night
            row = {"profile": profile, "family": family, "seed": seed, "hours": hours,
                   "status": f"error: {type(exc).__name__}: {exc}"[:300], "sim_s": t1 - t0}
            return row, pd.DataFrame()
    t2 = time.perf_counter()
    comparison = compare_night(sim, result)
    notes = sorted({str(w.message)[:100] for w in caught})
    row = comparison.row | {"status": "ok", "warnings": "; ".join(notes), "sim_s": t1 - t0, "analyze_s": t2 - t1}
    lms = comparison.lms.assign(seed=seed, family=family, profile=profile, noise_mg=row["noise_mg"])
    return row, lms


def _job(args: tuple[str, int, str, float]) -> tuple[dict[str, Any], pd.DataFrame]:
    return evaluate_night(*args)


def run(plan: list[tuple[str, int, str]], hours: float, jobs: int = 1) -> Iterator[tuple[dict[str, Any], pd.DataFrame]]:
    """Evaluate the nights of ``plan`` in order, in ``jobs`` processes (each night in a fresh worker, so the
    memory of one night is returned before the next)."""
    tasks = [(p, s, f, hours) for p, s, f in plan]
    if jobs <= 1:
        yield from map(_job, tasks)
        return
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=jobs, max_tasks_per_child=1) as pool:
        yield from pool.map(_job, tasks)


# --- aggregation ---------------------------------------------------------------------------------------
def _worst(values: pd.Series, higher_is_better: bool) -> float:
    """The worst decile: 10th percentile of a score, 90th of an error (an actual night's value)."""
    v = values.dropna().to_numpy(float)
    if not v.size:
        return float("nan")
    return float(np.percentile(v, 10, method="lower") if higher_is_better else np.percentile(v, 90, method="higher"))


def summarize(nights: pd.DataFrame) -> pd.DataFrame:
    """Per metric: mean, worst decile, worst night (value and seed), nights with a value."""
    ok = nights.loc[nights["status"] == "ok"] if "status" in nights else nights
    rows = []
    for column, label, higher, _ in METRICS:
        v = ok[column].astype(float) if column in ok else pd.Series(dtype=float)
        valid = v.dropna()
        worst_idx = (valid.idxmin() if higher else valid.idxmax()) if len(valid) else None
        rows.append({"metric": column, "label": label, "mean": float(valid.mean()) if len(valid) else float("nan"),
                     "worst_decile": _worst(v, higher), "worst": float(valid[worst_idx]) if worst_idx is not None else float("nan"),
                     "worst_seed": int(ok.loc[worst_idx, "seed"]) if worst_idx is not None else -1, "nights": len(valid)})
    return pd.DataFrame(rows)


def recall_by(lms: pd.DataFrame, column: str, edges: tuple[float, ...] | None = None) -> pd.DataFrame:
    """Pooled recall of true LMs grouped by ``column`` (binned at ``edges`` when given): overall, within each
    coarse amplitude band (so that a group is not judged by the sizes its nights happened to draw), and the
    worst night's (nights with >= 5 LMs in the group)."""
    if lms.empty:
        return pd.DataFrame(columns=["group", "true", "found", "recall", "worst_night_recall", "by_band"])
    key = pd.cut(lms[column], list(edges), right=False) if edges else lms[column]
    band = pd.cut(lms["peak_g"], list(COARSE_BANDS_G), right=False)
    out = []
    for group, grp in lms.groupby(key, observed=True, sort=True):
        per_night = grp.groupby("seed")["found"].agg(["sum", "size"])
        per_night = per_night.loc[per_night["size"] >= 5]  # a night's recall from fewer than 5 LMs says little
        worst = float((per_night["sum"] / per_night["size"]).min()) if len(per_night) else float("nan")
        by_band = grp.groupby(band.loc[grp.index], observed=False)["found"].agg(["mean", "size"])
        out.append({"group": group, "true": len(grp), "found": int(grp["found"].sum()), "recall": float(grp["found"].mean()),
                    "worst_night_recall": worst, "by_band": [(float(m), int(n)) for m, n in by_band.to_numpy()]})
    return pd.DataFrame(out)


BRIEF_SHAPE = "twitch"
"""The simulator's brief-pulse LM class (``lrm.sim.shank.lm_twitch``), whose limit is ``detection_limit_brief_g``."""
LEG_MIN_LMS = 5
"""A leg's recall above its limit is counted from >= 5 true LMs there (fewer say little)."""


def expected_legs_below(sizes: npt.ArrayLike, recall: float, share: float = 0.9) -> float:
    """How many of the legs with ``sizes`` true LMs above their limit are expected to find fewer than ``share`` of
    them by chance when every leg's true recall is ``recall`` (binomial): the yardstick for the calibration's
    count of legs below 90 %. With recall exactly 0.9, a leg of n LMs falls below 90 % with probability 0.26-0.6
    (n 5-100), so about half the legs do.

    >>> round(expected_legs_below([10, 10], 0.9), 2)   # P(X <= 8 | n=10, p=0.9) = 0.26, per leg
    0.53
    """
    n = np.asarray(sizes, np.int64)
    worst_short = np.ceil(share * n).astype(np.int64) - 1           # the most LMs found that is still below share
    worst_short = np.where(worst_short / np.maximum(n, 1) >= share, worst_short - 1, worst_short)   # float edge
    return float(stats.binom.cdf(worst_short, n, recall).sum())


def _legs_above(known: pd.DataFrame) -> dict[str, Any]:
    """Per-leg count of legs (>= LEG_MIN_LMS LMs at or above the limit) finding < 90 % of them, and the binomial
    expectation of that count at a true recall of 0.9 and 0.95 per leg."""
    per_leg = known.groupby(["seed", "side"])["found"].agg(["sum", "size"])
    per_leg = per_leg.loc[per_leg["size"] >= LEG_MIN_LMS]
    return {"legs": len(per_leg), "below_90": int(((per_leg["sum"] / per_leg["size"]) < 0.9).sum()),
            "expected_at_90": expected_legs_below(per_leg["size"], 0.9),
            "expected_at_95": expected_legs_below(per_leg["size"], 0.95)}


def limit_calibration(lms: pd.DataFrame) -> dict[str, Any]:
    """Recall of true LMs at or above vs below their leg's stated detection limit (None: no limit stated), and
    per leg how many legs find fewer than 90 % above it, against the binomial expectation; ``stated_for``: the
    same over the LM classes the limit is stated for (all but :data:`BRIEF_SHAPE`, which has its own,
    ``detection_limit_brief_g``: ``lrm.signal.limit.LIMIT_CLASSES``)."""
    if lms.empty or lms["limit_g"].isna().all():
        return {"stated": False}
    known = lms.dropna(subset=["limit_g"])
    above = known["peak_g"] >= known["limit_g"]
    legs = _legs_above(known.loc[above])
    rotating = known.loc[above & (known["shape"] != BRIEF_SHAPE)]
    return {"stated": True, "above_n": int(above.sum()), "above_recall": float(known.loc[above, "found"].mean()),
            "below_n": int((~above).sum()), "below_recall": float(known.loc[~above, "found"].mean()),
            "legs": legs["legs"], "legs_above_recall_below_90": legs["below_90"],
            "legs_expected_below_90": (legs["expected_at_90"], legs["expected_at_95"]),
            "stated_for": {"above_n": len(rotating), "above_recall": float(rotating["found"].mean())
                           if len(rotating) else float("nan")} | _legs_above(rotating),
            "limit_median_g": float(known.drop_duplicates(["seed", "side"])["limit_g"].median())}


LIMIT_MULTIPLES = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0, math.inf)


def brief_calibration(lms: pd.DataFrame) -> dict[str, Any]:
    """Recall of true brief-pulse LMs (:data:`BRIEF_SHAPE`) at or above vs below their leg's stated
    ``detection_limit_brief_g``, and their recall by multiple of the leg's main ``detection_limit_g``
    (``by_multiple``: (band, recall, count)); ``stated`` False when no brief limit is stated."""
    if lms.empty or "limit_brief_g" not in lms or lms["limit_brief_g"].isna().all():
        return {"stated": False}
    known = lms.loc[(lms["shape"] == BRIEF_SHAPE)].dropna(subset=["limit_g", "limit_brief_g"])
    above = known["peak_g"] >= known["limit_brief_g"]
    ratio = known["peak_g"] / known["limit_g"]
    by = known.groupby(pd.cut(ratio, list(LIMIT_MULTIPLES), right=False), observed=False)["found"].agg(["mean", "size"])
    return {"stated": True, "above_n": int(above.sum()), "above_recall": float(known.loc[above, "found"].mean()),
            "below_n": int((~above).sum()), "below_recall": float(known.loc[~above, "found"].mean()),
            "main_above_n": int((ratio >= 1).sum()), "main_above_recall": float(known.loc[ratio >= 1, "found"].mean()),
            "limit_median_g": float(known.drop_duplicates(["seed", "side"])["limit_brief_g"].median())
            if len(known) else float("nan"),
            "ratio_median": float((known["limit_brief_g"] / known["limit_g"]).median()) if len(known) else float("nan"),
            "by_multiple": [(iv, float(m), int(n)) for iv, (m, n) in by.iterrows()]}


# --- report --------------------------------------------------------------------------------------------
def _fmt(value: float, spec: str) -> str:
    return "n/a" if value is None or (isinstance(value, float) and math.isnan(value)) else format(value, spec)


def _band_label(interval: Any, unit: str, scale: float = 1.0) -> str:
    lo, hi = interval.left * scale, interval.right * scale
    if hi == math.inf or hi > 1e6:
        return f">= {lo:g} {unit}"
    return f"< {hi:g} {unit}" if lo == 0 else f"{lo:g}-{hi:g} {unit}"


def _recall_table(title: str, table: pd.DataFrame, label: Any) -> list[str]:
    bands = " | ".join(_band_label(pd.Interval(a, b, closed="left"), "g") for a, b in zip(COARSE_BANDS_G, COARSE_BANDS_G[1:]))
    lines = [f"| {title} | true LMs | recall | {bands} | worst night |", "|---|---|---|---|---|---|---|"]
    for _, r in table.iterrows():
        cells = " | ".join(f"{_fmt(m, '.2f')} ({n})" if n else "-" for m, n in r["by_band"])
        lines.append(f"| {label(r['group'])} | {r['true']} | {_fmt(r['recall'], '.3f')} | {cells} | "
                     f"{_fmt(r['worst_night_recall'], '.2f')} |")
    return lines + [""]


def _band_table(lms: pd.DataFrame) -> list[str]:
    """Recall by the true peak's band, coarse bands first, with the worst night's."""
    lines = ["| true peak | true LMs | recall | worst night |", "|---|---|---|---|"]
    for edges in (COARSE_BANDS_G, AMPLITUDE_BANDS_G):
        for _, r in recall_by(lms, "peak_g", edges).iterrows():
            lines.append(f"| {_band_label(r['group'], 'g')} | {r['true']} | {_fmt(r['recall'], '.3f')} | "
                         f"{_fmt(r['worst_night_recall'], '.2f')} |")
        if edges is COARSE_BANDS_G:
            lines.append("| *finer:* | | | |")
    return lines + [""]


def _headline(nights: pd.DataFrame, elapsed_s: float | None) -> list[str]:
    """Failed nights, the per-metric table (mean, worst decile, worst night) and the pooled line."""
    ok, failed, out = nights.loc[nights["status"] == "ok"], nights.loc[nights["status"] != "ok"], []
    if len(failed):
        out += [f"**{len(failed)} night(s) failed** (not in the numbers below):", ""]
        out += [f"- seed {int(r['seed'])} ({r['profile']}, {r['family']}): {r['status']}" for _, r in failed.iterrows()] + [""]
    out += ["| metric | mean | worst decile | worst night (seed) | nights |", "|---|---|---|---|---|"]
    for (_, r), (_, _, _, spec) in zip(summarize(nights).iterrows(), METRICS):
        out.append(f"| {r['label']} | {_fmt(r['mean'], spec)} | {_fmt(r['worst_decile'], spec)} | "
                   f"{_fmt(r['worst'], spec)} ({r['worst_seed']}) | {r['nights']} |")
    if len(ok):
        p = ok[["tp", "fp", "fn", "hj_tp", "hj_fp", "hj_fn"]].sum()
        out += ["", f"Pooled over nights: LM precision {_fmt(p.tp / max(p.tp + p.fp, 1), '.3f')}, "
                f"recall {_fmt(p.tp / max(p.tp + p.fn, 1), '.3f')} ({int(p.tp + p.fn)} true LMs); "
                f"hypnic jerks precision {_fmt(p.hj_tp / max(p.hj_tp + p.hj_fp, 1), '.2f')}, recall "
                f"{_fmt(p.hj_tp / max(p.hj_tp + p.hj_fn, 1), '.2f')} ({int(p.hj_tp + p.hj_fn)} true, "
                f"{int(p.hj_tp + p.hj_fp)} found); time in bed error mean {ok['tib_err_min'].mean():+.1f} min (signed)."]
        if elapsed_s is not None:
            out.append(f"Run time {elapsed_s / 60:.1f} min ({elapsed_s / max(len(nights), 1):.0f} s per night; simulation "
                       f"{ok['sim_s'].mean():.1f} s, analysis {ok['analyze_s'].mean():.1f} s per night on average).")
    return out + [""]


def _family_table(ok: pd.DataFrame) -> list[str]:
    """Headline numbers per night family (when the run has more than one)."""
    if not len(ok) or ok["family"].nunique() < 2:
        return []
    out = ["| family | nights | LM F1 mean / worst decile | PLMI error mean / worst decile | jerks P / R mean | "
           "TIB abs. error mean (min) |", "|---|---|---|---|---|---|"]
    for fam, grp in ok.groupby("family"):
        s = summarize(grp).set_index("metric")
        out.append(f"| {fam} | {len(grp)} | {_fmt(s.loc['lm_f1', 'mean'], '.3f')} / {_fmt(s.loc['lm_f1', 'worst_decile'], '.3f')} | "
                   f"{_fmt(s.loc['plmi_abs_err', 'mean'], '.2f')} / {_fmt(s.loc['plmi_abs_err', 'worst_decile'], '.2f')} | "
                   f"{_fmt(s.loc['hj_precision', 'mean'], '.2f')} / {_fmt(s.loc['hj_recall', 'mean'], '.2f')} | "
                   f"{_fmt(s.loc['tib_abs_err_min', 'mean'], '.1f')} |")
    return out + [""]


def _calibration_line(lms: pd.DataFrame) -> list[str]:
    cal = limit_calibration(lms)
    if not cal["stated"]:
        return ["Detection limit: n/a (the analysis states no `detection_limit_g`).", ""]
    e90, e95 = cal["legs_expected_below_90"]
    sf = cal["stated_for"]
    return [f"Detection limit (median stated {cal['limit_median_g'] * 1e3:.0f} mg): recall "
            f"{_fmt(cal['above_recall'], '.3f')} of {cal['above_n']} true LMs at or above the leg's limit, "
            f"{_fmt(cal['below_recall'], '.3f')} of {cal['below_n']} below; {cal['legs_above_recall_below_90']} "
            f"of {cal['legs']} legs (>= {LEG_MIN_LMS} LMs above) found fewer than 90 % above their limit, where "
            f"{e90:.1f} would by chance if every leg's recall were 0.90 and {e95:.1f} if 0.95 (binomial). "
            f"Without brief-pulse LMs ({BRIEF_SHAPE}, whose limit is `detection_limit_brief_g`): recall "
            f"{_fmt(sf['above_recall'], '.3f')} of {sf['above_n']} above, {sf['below_90']} of {sf['legs']} legs below "
            f"90 % ({sf['expected_at_90']:.1f} expected at 0.90, {sf['expected_at_95']:.1f} at 0.95).", ""]


def missed_calibration(nights: pd.DataFrame) -> dict[str, Any]:
    """The statement about LMs below the detection limit against the truth (``lrm.sim.compare``'s ``missed_*``
    columns): nights warned, of them how many had their PLM index under (by > 25 % or > 5 /h) or within 10 %, and
    how often the true PLM index lay at or below the stated upper end (``bounded``: where one was stated); the
    under-estimated nights not warned. ``stated`` False when the analysis gives no such statement."""
    ok = nights.loc[nights["status"] == "ok"] if "status" in nights else nights
    if "missed_warned" not in ok or not len(ok):
        return {"stated": False}
    err = ok["plmi_est"] - ok["plmi_true"]
    rel = err / ok["plmi_true"].where(ok["plmi_true"] > 0)
    under = (err < -5.0) | (rel < -0.25)
    warned = ok["missed_warned"].astype(bool)
    bounded = warned & np.isfinite(ok["missed_plmi_upper"].astype(float))
    held = ok["missed_plmi_upper_held"].astype(bool)
    return {"stated": True, "nights": len(ok), "warned": int(warned.sum()), "under": int(under.sum()),
            "under_warned": int((under & warned).sum()), "warned_within_10": int((warned & (rel.abs() <= 0.10)).sum()),
            "held": int((warned & held).sum()), "bounded": int(bounded.sum()), "bounded_held": int((bounded & held).sum()),
            "under_not_warned": [int(x) for x in ok.loc[under & ~warned, "seed"]],
            "not_held": [int(x) for x in ok.loc[warned & ~held, "seed"]]}


def _missed_line(nights: pd.DataFrame) -> list[str]:
    cal = missed_calibration(nights)
    if not cal["stated"]:
        return []
    missed, unheld = (", ".join(map(str, cal[k])) or "none" for k in ("under_not_warned", "not_held"))
    return [f"LMs below the detection limit (`missed_share_estimate`): warned on {cal['warned']} of {cal['nights']} "
            f"nights, {cal['warned_within_10']} of them with a PLM index within 10 %; {cal['under_warned']} of the "
            f"{cal['under']} nights whose PLM index is under by > 25 % or > 5 /h were warned (seeds not warned: "
            f"{missed}). The true PLM index lay at or below the stated upper end on {cal['held']} of {cal['warned']} "
            f"warned nights ({cal['bounded_held']} of {cal['bounded']} where it was bounded; seeds above it: {unheld}).",
            ""]


def _brief_line(lms: pd.DataFrame) -> list[str]:
    cal = brief_calibration(lms)
    if not cal["stated"]:
        return []
    if cal["above_n"] + cal["below_n"] == 0:   # no brief-pulse LM in these nights (the classic family has none)
        return [f"Brief-pulse LMs ({BRIEF_SHAPE}): none in these nights, so `detection_limit_brief_g` is not checked.", ""]
    cells = " | ".join(f"{_fmt(m, '.2f')} ({n})" for _, m, n in cal["by_multiple"])
    heads = " | ".join(f"{iv.left:g}-{iv.right:g}x" if iv.right != math.inf else f">= {iv.left:g}x"
                       for iv, _, _ in cal["by_multiple"])
    return [f"Brief-pulse LMs ({BRIEF_SHAPE}; brief limit median {cal['limit_median_g'] * 1e3:.0f} mg, "
            f"{_fmt(cal['ratio_median'], '.1f')}x the leg's limit): recall {_fmt(cal['above_recall'], '.3f')} of "
            f"{cal['above_n']} at or above the leg's `detection_limit_brief_g`, {_fmt(cal['below_recall'], '.3f')} of "
            f"{cal['below_n']} below; {_fmt(cal['main_above_recall'], '.3f')} of {cal['main_above_n']} at or above "
            "`detection_limit_g`. By multiple of `detection_limit_g`:", "",
            f"| peak / limit | {heads} |", "|---|" + "---|" * len(cal["by_multiple"]), f"| recall (true) | {cells} |", ""]


def report(nights: pd.DataFrame, lms: pd.DataFrame, *, split: str, hours: float, elapsed_s: float | None = None) -> str:
    """The validation report as markdown."""
    seeds = f"seeds {int(nights['seed'].min())}-{int(nights['seed'].max())}" if len(nights) else "no nights"
    fams = ", ".join(f"{n} {f}" for f, n in nights["family"].value_counts().sort_index().items())
    out = [f"### lrm validation: {split} split, {len(nights)} nights of {hours:g} h ({seeds}; {fams})", ""]
    out += _headline(nights, elapsed_s) + _family_table(nights.loc[nights["status"] == "ok"])
    if not lms.empty:
        out += _band_table(lms)
        out += _recall_table("sensor noise", recall_by(lms, "noise_mg", NOISE_BANDS_MG), lambda g: _band_label(g, "mg"))
        out += _recall_table("sample rate", recall_by(lms, "rate_hz", RATE_BANDS_HZ), lambda g: _band_label(g, "Hz"))
        out += _recall_table("LM class", recall_by(lms, "shape"), str)
        out += _recall_table("family", recall_by(lms, "family"), str)
        out += _calibration_line(lms) + _brief_line(lms)
    out += _missed_line(nights)
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lrm.validate", description=__doc__.split("\n\n")[0],
                                     epilog="Run long validations niced (nice -n 10): they use whole cores.")
    parser.add_argument("--split", choices=tuple(SPLITS), default="dev",
                        help="dev: seeds 1000+ (choose parameters on these); heldout: seeds 9000+ (report only)")
    parser.add_argument("--nights", type=int, default=40, help="number of nights (default 40)")
    parser.add_argument("--hours", type=float, default=8.0, help="hours per night (default 8)")
    parser.add_argument("--family", choices=("mixed", "wide", "hard", "classic"), default="mixed",
                        help="night family: mixed (default: one in five hard), wide or hard only, or classic "
                             "(lrm's first simulator, for comparison with earlier numbers)")
    parser.add_argument("--quick", action="store_true", help="5 nights of 2 h: a smoke test, not the validation")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default 1)")
    parser.add_argument("--csv", metavar="FILE", help="write one row per night")
    parser.add_argument("--lm-csv", metavar="FILE", help="write one row per true LM (peak, class, found)")
    parser.add_argument("--markdown", metavar="FILE", help="write the report (markdown) to FILE too")
    args = parser.parse_args(argv)
    nights, hours = (5, 2.0) if args.quick else (args.nights, args.hours)
    if nights < 1 or not 0.5 <= hours <= 24 or args.jobs < 1:
        parser.error("--nights and --jobs must be >= 1 and --hours within [0.5, 24]")
    plan = night_plan(args.split, nights, args.family)
    if args.split == "heldout":
        print("held-out seeds: report these numbers, do not tune on them", file=sys.stderr)
    rows, tables = [], []
    t0 = time.perf_counter()
    for k, (row, lms) in enumerate(run(plan, hours, args.jobs)):
        rows.append(row)
        tables.append(lms)
        if args.csv:
            pd.DataFrame(rows).to_csv(args.csv, index=False)  # rewritten as nights finish: a partial run keeps its rows
        if row["status"] != "ok":
            print(f"  night {k + 1}/{nights} seed {row['seed']} {row['profile']} {row['family']}: {row['status']}",
                  file=sys.stderr, flush=True)
            continue
        print(f"  night {k + 1}/{nights} seed {row['seed']} {row['profile']:7s} {row['family']:4s} "
              f"{row['rate_left_hz']:g}/{row.get('rate_right_hz', float('nan')):g} Hz noise {row['noise_mg']:.1f} mg "
              f"LSB {row['lsb_mg']:.1f} mg median peak {row['lm_peak_median_mg']:.0f} mg: LM F1 {row['lm_f1']:.3f} "
              f"(tp/fp/fn {row['tp']}/{row['fp']}/{row['fn']}) PLMI {row['plmi_true']:.1f} -> {row['plmi_est']:.1f} "
              f"jerks {row['hj_tp']}/{row['hj_fp']}/{row['hj_fn']} TIB {row['tib_err_min']:+.1f} min "
              f"[{row['sim_s']:.0f}+{row['analyze_s']:.0f} s]", file=sys.stderr, flush=True)
    elapsed = time.perf_counter() - t0
    table = pd.DataFrame(rows)
    lms = pd.concat([t for t in tables if not t.empty], ignore_index=True) if any(not t.empty for t in tables) else pd.DataFrame()
    if args.lm_csv:
        lms.to_csv(args.lm_csv, index=False)
    text = report(table, lms, split=args.split, hours=hours, elapsed_s=elapsed)
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as fh:
            fh.write(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
