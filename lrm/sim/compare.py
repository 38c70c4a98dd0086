"""Compare an analysed night with its simulation's truth: the numbers the validation reports per night.

The analysis is read only through what :func:`lrm.analyze` returns to any user: the events table, the
summary, the per-leg quality (clock correction; ``detection_limit_g`` when the detector states one) and
the per-leg LM onsets (``context.single_leg_onsets_s``, read as an attribute or a mapping key). Times in the
result are on the first leg's clock, so the truth is mapped onto that clock before matching.

Definitions (per night):

* **LMs**: a detected single-leg LM matches a true LM on the same leg whose onset is within 1 s (one to
  one, closest pairs first; the WASM bilateral rule's 0.5 s gap and the onset rule's resolution are of
  that order). Only true LMs in lights-out..lights-on and outside gaps count. A detection that falls on a
  true fidget, foot tremor or ALMA train (+-1 s), real movements an EMG would also see, counts neither
  way; every other unmatched detection is a false positive. A detection on a hypnic jerk is a false LM.
* **Still stretches**: seconds in bed, on the leg's recorded data, at least 5 s from any true movement of
  that leg (any type). Detections there can only come from noise, quantisation or drift: they are
  reported per hour of still time.
* **Hypnic jerks**: a detected jerk matches a true jerk (one row per movement, both legs) within 1 s.
* **PLM index**: the pipeline's against WASM 2016 on the true LMs (``Truth.plm_index``), per hour.
* **Time in bed**: the pipeline's analysed hours (``summary.time_in_bed_h``) against the truth's
  (lights-out to lights-on without bathroom trips and gaps), in minutes, signed (estimate - truth).
* **Clock**: the largest difference over the night between the second leg's estimated lag
  (``quality[side].clock_offset_s`` + ``clock_drift_ppm``) and the simulated one, in s.
* **Detection limit**: true LMs whose ``peak_g`` (defined in :mod:`lrm.sim.truth`) is at or above the
  leg's stated ``detection_limit_g`` should be found with >= 90 % probability; brief-pulse LMs (the ``twitch``
  class) at or above its ``detection_limit_brief_g`` likewise (each true LM carries both, ``limit_g`` and
  ``limit_brief_g``).
* **LMs below the limit**: per leg the analysis's ``missed_share_estimate`` and its range's upper end against the
  true share missed (1 - the leg's recall); per night whether it warned and the PLM index's stated upper end
  (``lrm.signal.missed.index_upper_bounds`` from the legs' detected LMs), and whether the truth lay at or below it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["ONSET_TOL_S", "STILL_MARGIN_S", "OTHER_MOVEMENTS", "NightComparison", "match_onsets", "compare_night",
           "result_value"]

ONSET_TOL_S = 1.0
STILL_MARGIN_S = 5.0
OTHER_MOVEMENTS = ("fidget", "tremor", "alma")


def match_onsets(true_s: np.ndarray, found_s: np.ndarray, tol_s: float = ONSET_TOL_S) -> tuple[np.ndarray, np.ndarray]:
    """Greedy one-to-one matching of onsets within ``tol_s`` (closest pairs first).

    Returns the matched masks (true, found), each in ascending order of its onsets.

    >>> t, f = match_onsets(np.array([1.0, 5.0, 9.0]), np.array([1.4, 9.9, 20.0]))
    >>> t.tolist(), f.tolist()
    ([True, False, True], [True, True, False])
    """
    true_s, found_s = np.sort(np.asarray(true_s, float)), np.sort(np.asarray(found_s, float))
    mt, mf = np.zeros(true_s.size, bool), np.zeros(found_s.size, bool)
    if not true_s.size or not found_s.size:
        return mt, mf
    lo = np.searchsorted(found_s, true_s - tol_s)
    hi = np.searchsorted(found_s, true_s + tol_s, side="right")
    counts = hi - lo
    ti = np.repeat(np.arange(true_s.size), counts)
    fi = (np.arange(counts.sum()) - np.repeat(np.cumsum(counts) - counts, counts)) + np.repeat(lo, counts)
    order = np.argsort(np.abs(found_s[fi] - true_s[ti]), kind="stable")
    for i, k in zip(ti[order], fi[order]):  # candidate pairs: a few per event
        if not mt[i] and not mf[k]:
            mt[i], mf[k] = True, True
    return mt, mf


@dataclass(frozen=True, slots=True, eq=False)
class NightComparison:
    """One night's comparison: ``row`` (night-level numbers, one CSV row) and ``lms`` (one row per true
    single-leg LM: side, onset_s, peak_g, shape, duration_s, rate_hz, limit_g, found)."""

    row: dict[str, Any]
    lms: pd.DataFrame


def result_value(result: Any, name: str, default: Any = None) -> Any:
    """``result.context[name]`` whether the context is a mapping or an object with attributes."""
    ctx = getattr(result, "context", None)
    if isinstance(ctx, dict):
        return ctx.get(name, default)
    return getattr(ctx, name, default)


def _on_ref_clock(t_true_s: Any, truth: Any, ref: str) -> np.ndarray:
    """True times (s since start) on the reference leg's clock, which the pipeline's output uses."""
    leg = truth.legs[ref]
    return (1.0 + leg.drift_ppm * 1e-6) * np.asarray(t_true_s, float) + leg.offset_s


def _seconds_covered(intervals: np.ndarray, n_sec: int) -> np.ndarray:
    """Bool (n_sec,): seconds [k, k+1) that any interval (m, 2) in s touches."""
    cover = np.zeros(n_sec + 1, np.int32)
    if intervals.size:
        a = np.clip(np.floor(intervals[:, 0]).astype(np.int64), 0, n_sec)
        b = np.clip(np.ceil(intervals[:, 1]).astype(np.int64), 0, n_sec)
        np.add.at(cover, a, 1)
        np.add.at(cover, b, -1)
    return np.cumsum(cover[:-1]) > 0


def _leg_detections(result: Any, side: str) -> np.ndarray:
    """Single-leg LM onsets of ``side`` (s, first leg's clock); the scored LM rows of that leg if the
    result does not carry them."""
    onsets = result_value(result, "single_leg_onsets_s", result_value(result, "single_leg_onsets"))
    if onsets is not None and side in onsets:
        return np.sort(np.asarray(onsets[side], float))
    ev = result.events
    keep = (ev["type"] == "lm") & ev["side"].isin([side, "bilateral"])
    return np.sort(ev.loc[keep, "onset_s"].to_numpy(float))


def _clock_error_s(sim: Any, result: Any) -> float:
    """Largest |estimated - true| lag of the second leg's clock against the first over the night, s."""
    sides = sim.recording.sides
    a, b = sim.truth.legs[sides[0]], sim.truth.legs[sides[1]]
    q = result.quality[sides[1]]
    t_a = np.linspace(0.0, sim.truth.duration_s, 200)
    t_true = (t_a - a.offset_s) / (1.0 + a.drift_ppm * 1e-6)
    true_lag = (1.0 + b.drift_ppm * 1e-6) * t_true + b.offset_s - t_a
    est_lag = q.clock_offset_s + q.clock_drift_ppm * 1e-6 * t_a
    return float(np.abs(est_lag - true_lag).max())


def _leg(sim: Any, result: Any, ev: pd.DataFrame, side: str, lo: float, hi: float, away: np.ndarray) -> dict[str, Any]:
    """One leg's matching: counts, still-stretch false positives, and its true LMs with the found flag."""
    truth, ref = sim.truth, sim.recording.sides[0]
    is_lm = (ev["type"] == "lm").to_numpy() & ev["observed"].to_numpy(bool) & (ev["side"] == side).to_numpy()
    lms = ev.loc[is_lm & (ev["onset_s"] >= lo).to_numpy() & (ev["onset_s"] < hi).to_numpy()].sort_values("onset_s")
    found = _leg_detections(result, side)
    found = found[(found >= lo) & (found < hi)]
    mt, mf = match_onsets(lms["onset_s"].to_numpy(float), found)
    unmatched = found[~mf]
    mine = ev.loc[ev["side"].isin([side, "bilateral"])]
    other = mine.loc[mine["type"].isin(OTHER_MOVEMENTS)]
    if len(other) and unmatched.size:
        a, b = other["onset_s"].to_numpy(float), other["offset_s"].to_numpy(float)
        unmatched = unmatched[~((unmatched[:, None] >= a - ONSET_TOL_S) & (unmatched[:, None] <= b + ONSET_TOL_S)).any(axis=1)]
    n_sec = int(np.ceil(hi))
    moving = mine[["onset_s", "offset_s"]].to_numpy(float) + [-STILL_MARGIN_S, STILL_MARGIN_S]
    gaps = _on_ref_clock(truth.legs[side].gaps_s, truth, ref).reshape(-1, 2)
    still = ~_seconds_covered(np.vstack([moving, gaps, away, [[0.0, lo]]]), n_sec)
    still_fp = int(still[np.clip(found.astype(np.int64), 0, n_sec - 1)].sum()) if found.size else 0
    limit = getattr(result.quality[side], "detection_limit_g", None)
    brief = getattr(result.quality[side], "detection_limit_brief_g", None)
    table = pd.DataFrame({"side": side, "onset_s": lms["onset_s"].to_numpy(float), "peak_g": lms["peak_g"].to_numpy(float),
                          "shape": lms["shape"].astype(str).to_numpy(), "duration_s": lms["duration_s"].to_numpy(float),
                          "in_plm_series": lms["in_plm_series"].to_numpy(int), "rate_hz": float(truth.legs[side].fs_hz),
                          "limit_g": np.nan if limit is None else float(limit),
                          "limit_brief_g": np.nan if brief is None else float(brief), "found": mt})
    return {"tp": int(mt.sum()), "fn": int((~mt).sum()), "fp": int(unmatched.size), "found": int(found.size),
            "still_h": float(still.sum()) / 3600.0, "still_fp": still_fp,
            "limit_g": np.nan if limit is None else float(limit), "lms": table}


def _ratio(a: float, b: float) -> float:
    return float(a / b) if b else float("nan")


def compare_night(sim: Any, result: Any) -> NightComparison:
    """Compare ``result`` (what :func:`lrm.analyze` returned for ``sim.recording``) with ``sim.truth``."""
    truth, sides = sim.truth, sim.recording.sides
    ref = sides[0]
    ev = truth.events.assign(onset_s=_on_ref_clock(truth.events["onset_s"], truth, ref),
                             offset_s=_on_ref_clock(truth.events["offset_s"], truth, ref))
    lo, hi = _on_ref_clock(np.array([truth.lights_out_s, truth.lights_on_s]), truth, ref)
    away = _on_ref_clock(np.asarray(getattr(truth, "out_of_bed_s", np.empty((0, 2)))), truth, ref).reshape(-1, 2)
    var = truth.variation
    row: dict[str, Any] = {"profile": truth.profile, "family": getattr(truth, "family", "classic"), "seed": truth.seed,
                           "hours": truth.duration_s / 3600.0, "noise_mg": 1e3 * float(var["noise_g"]),
                           "lsb_mg": 1e3 * float(next(iter(truth.legs.values())).scale_g),
                           "range_g": float(var["range_g"]), "lm_peak_median_mg": 1e3 * float(var.get("lm_peak_median_g") or np.nan)}
    legs = {side: _leg(sim, result, ev, side, lo, hi, away) for side in sides}
    for side, leg in legs.items():
        row |= {f"rate_{side}_hz": float(truth.legs[side].fs_hz), f"limit_{side}_g": leg["limit_g"]}
    tp, fp, fn = (sum(leg[k] for leg in legs.values()) for k in ("tp", "fp", "fn"))
    precision, recall = _ratio(tp, tp + fp), _ratio(tp, tp + fn)
    still_h, still_fp = sum(leg["still_h"] for leg in legs.values()), sum(leg["still_fp"] for leg in legs.values())
    row |= {"lm_true": tp + fn, "lm_found": sum(leg["found"] for leg in legs.values()), "tp": tp, "fp": fp, "fn": fn,
            "lm_precision": precision, "lm_recall": recall,
            "lm_f1": _ratio(2 * precision * recall, precision + recall) if tp else 0.0,
            "still_h": still_h, "still_fp": still_fp, "still_fp_per_h": _ratio(still_fp, still_h)}
    jerks = ev.loc[(ev["type"] == "hypnic_jerk") & (ev["onset_s"] >= lo) & (ev["onset_s"] < hi), "onset_s"]
    det = result.events
    found_jerks = det.loc[det["type"] == "hypnic_jerk", "onset_s"].to_numpy(float)
    mt, mf = match_onsets(jerks.to_numpy(float), found_jerks)
    row |= {"hj_true": int(mt.size), "hj_found": int(mf.size), "hj_tp": int(mt.sum()), "hj_fn": int((~mt).sum()),
            "hj_fp": int((~mf).sum()), "hj_precision": _ratio(mt.sum(), mf.size), "hj_recall": _ratio(mt.sum(), mt.size)}
    plmi_true = truth.plm_index if truth.plm_index is not None else np.nan
    plmi_est = float(result.summary.plm_index or 0.0)
    tib_est_h = float(result.summary.time_in_bed_h or 0.0)
    row |= {"plmi_true": plmi_true, "plmi_est": plmi_est, "plmi_abs_err": abs(plmi_est - plmi_true),
            "tib_true_h": float(truth.analysis_h), "tib_est_h": tib_est_h,
            "tib_err_min": (tib_est_h - float(truth.analysis_h)) * 60.0,
            "tib_abs_err_min": abs(tib_est_h - float(truth.analysis_h)) * 60.0,
            "clock_err_s": _clock_error_s(sim, result) if len(sides) == 2 else np.nan}
    row |= _missed_statement(result, legs, plmi_true)
    lms = pd.concat([leg["lms"] for leg in legs.values()], ignore_index=True)
    return NightComparison(row, lms)


def _missed_statement(result: Any, legs: dict[str, dict[str, Any]], plmi_true: float) -> dict[str, Any]:
    """The analysis's statement about LMs below the detection limit (``LegQuality.missed_share_estimate`` and its
    range, ``lrm.signal.missed``): per leg the estimate, its range's upper end (NaN: not bounded) and the true share
    missed (1 - the leg's recall); for the night whether it warned (an estimate above the night's
    ``missed_share_note``) and the PLM index's upper end as the warning states it (inf: not bounded; NaN: no leg has an
    estimate) with ``missed_plmi_upper_held``, the true index at or below it."""
    from lrm.params import DetectParams
    from lrm.signal.missed import index_upper_bounds

    out: dict[str, Any] = {}
    shares, highs, counts = {}, {}, {}
    for side, leg in legs.items():
        q = result.quality[side]
        est, rng = getattr(q, "missed_share_estimate", None), getattr(q, "missed_share_range", None)
        out[f"missed_share_{side}"] = np.nan if est is None else float(est)
        out[f"missed_high_{side}"] = np.nan if rng is None or rng[1] is None else float(rng[1])
        out[f"missed_true_{side}"] = 1.0 - leg["tp"] / max(leg["tp"] + leg["fn"], 1)
        if est is not None:
            shares[side], highs[side], counts[side] = float(est), None if rng[1] is None else float(rng[1]), leg["found"]
    params = getattr(result, "params", None)
    note = getattr(getattr(params, "detect", None), "missed_share_note", DetectParams().missed_share_note)
    lm_index, clm_index = (getattr(result.summary, k, None) for k in ("lm_index", "clm_index"))
    upper = None
    if highs and lm_index is not None:
        upper = index_upper_bounds(float(lm_index), float(clm_index or 0.0), counts, highs)
    plmi_upper = float("nan") if not highs else float("inf") if upper is None else upper[1]
    return out | {"missed_warned": any(v > note for v in shares.values()), "missed_plmi_upper": plmi_upper,
                  "missed_plmi_upper_held": bool(plmi_true <= plmi_upper + 1e-9)}
