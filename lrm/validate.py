"""Validate the pipeline on simulated nights: ``python -m lrm.validate [--nights 30] [--quick]``.

Simulates nights across the four profiles (healthy, plmd, rls, hypnic) and sample rates (25/50/100 Hz),
runs the full pipeline (``lrm.analyze``) on what the sensors delivered, and compares with the simulator's
truth:

* LM precision / recall / F1: a detected single-leg LM matches a true LM on the same leg whose onset is
  within 1 s (one-to-one, greedy by time). Detections that match a true non-LM leg movement (fidget,
  tremor, ALMA: real movements an EMG would also see) count neither way; anything else is a false positive.
* PLM index absolute error (/h) against WASM 2016 on the true LMs.
* Hypnic-jerk precision / recall: a detected jerk matches a true jerk within 1 s.
* Time-in-bed error (h): analysed hours against the truth's analysis hours.

What this does and does not show: the simulator is our own model of ankle movements, noise, drift and
gaps; passing it shows the pipeline is internally consistent across rates and sensors, not that it agrees
with polysomnography on real people (SCORING.md §4, §7 give the real-world anchors).
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings

import numpy as np
import pandas as pd

__all__ = ["match_onsets", "evaluate_night", "main"]

PROFILES = ("healthy", "plmd", "rls", "hypnic")
RATES = (25.0, 50.0, 100.0)


def match_onsets(true_s: np.ndarray, found_s: np.ndarray, tol_s: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Greedy one-to-one matching of sorted onsets within ``tol_s``; returns matched masks (true, found).

    >>> t, f = match_onsets(np.array([1.0, 5.0, 9.0]), np.array([1.4, 9.9, 20.0]))
    >>> t.tolist(), f.tolist()
    ([True, False, True], [True, True, False])
    """
    true_s, found_s = np.sort(true_s), np.sort(found_s)
    mt, mf = np.zeros(true_s.size, bool), np.zeros(found_s.size, bool)
    if not true_s.size or not found_s.size:
        return mt, mf
    pairs = []
    j = np.searchsorted(found_s, true_s - tol_s)
    for i, start in enumerate(j):  # events: few thousand per night
        k = start
        while k < found_s.size and found_s[k] <= true_s[i] + tol_s:
            pairs.append((abs(found_s[k] - true_s[i]), i, k))
            k += 1
    for _, i, k in sorted(pairs):
        if not mt[i] and not mf[k]:
            mt[i], mf[k] = True, True
    return mt, mf


def _to_reference_clock(t_true_s: np.ndarray, truth: object, side: str) -> np.ndarray:
    """True times (s since start) on the reference leg's clock, which the pipeline's output uses."""
    leg = truth.legs[side]  # type: ignore[attr-defined]
    return (1.0 + leg.drift_ppm * 1e-6) * np.asarray(t_true_s, float) + leg.offset_s


def evaluate_night(profile: str, seed: int, rate_hz: float, hours: float) -> dict[str, float]:
    """Simulate, analyse and score one night; return its counts and errors."""
    from lrm.pipeline import analyze
    from lrm.sim.night import simulate

    sim = simulate(profile, seed=seed, hours=hours, rate_hz=rate_hz)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t0 = time.perf_counter()
        res = analyze(sim.recording)
        elapsed = time.perf_counter() - t0
    truth = sim.truth
    ev = truth.events
    observed = ev["observed"].astype(bool) if "observed" in ev else pd.Series(True, index=ev.index)
    det = res.events
    out: dict[str, float] = {"profile": profile, "seed": seed, "rate_hz": rate_hz, "seconds": elapsed}
    tp = fp = fn = 0
    ref = sim.recording.sides[0]
    ev = ev.assign(onset_s=_to_reference_clock(ev["onset_s"], truth, ref),
                   offset_s=_to_reference_clock(ev["offset_s"], truth, ref))
    lo, lon = _to_reference_clock(np.array([truth.lights_out_s, truth.lights_on_s]), truth, ref)
    # the first leg is the reference clock; detections on the second were aligned to it
    for side in sim.recording.sides:
        t_lm = ev.loc[(ev["type"] == "lm") & observed & ev["side"].isin([side]), "onset_s"].to_numpy(float)
        t_lm = t_lm[(t_lm >= lo) & (t_lm < lon)]
        other = ev.loc[ev["type"].isin(["fidget", "tremor", "alma"]) & ev["side"].isin([side, "bilateral"]), ["onset_s", "offset_s"]]
        d_on = _single_leg_onsets(res, side)
        d_on = d_on[(d_on >= lo) & (d_on < lon)]
        mt, mf = match_onsets(t_lm, d_on)
        unmatched = d_on[~mf]
        if len(other):
            a, b = other["onset_s"].to_numpy(float), other["offset_s"].to_numpy(float)
            inside = ((unmatched[:, None] >= a[None, :] - 1.0) & (unmatched[:, None] <= b[None, :] + 1.0)).any(axis=1)
            unmatched = unmatched[~inside]
        tp += int(mt.sum())
        fn += int((~mt).sum())
        fp += int(unmatched.size)
    out.update(tp=tp, fp=fp, fn=fn)
    t_hj = ev.loc[ev["type"] == "hypnic_jerk", "onset_s"].to_numpy(float)
    t_hj = _dedupe(ev.loc[ev["type"] == "hypnic_jerk", "onset_s"].to_numpy(float))
    d_hj = det.loc[det["type"] == "hypnic_jerk", "onset_s"].to_numpy(float)
    mt, mf = match_onsets(t_hj, d_hj)
    out.update(hj_tp=int(mt.sum()), hj_fn=int((~mt).sum()), hj_fp=int((~mf).sum()))
    true_plmi = truth.plm_index if truth.plm_index is not None else np.nan
    out.update(plmi_true=true_plmi, plmi_est=float(res.summary.plm_index or 0.0),
               tib_true=truth.analysis_h, tib_est=res.context["analysis_h"])
    return out


def _dedupe(onsets: np.ndarray, within_s: float = 0.5) -> np.ndarray:
    """One onset per movement (the two legs' rows of a bilateral jerk are one jerk)."""
    onsets = np.sort(onsets)
    if onsets.size < 2:
        return onsets
    keep = np.concatenate(([True], np.diff(onsets) > within_s))
    return onsets[keep]


def _single_leg_onsets(res: object, side: str) -> np.ndarray:
    """Onsets of the detected single-leg LMs of ``side`` before bilateral combination."""
    return res.context["single_leg_onsets"][side]  # type: ignore[attr-defined]


def summarize(rows: pd.DataFrame) -> dict[str, float]:
    tp, fp, fn = rows["tp"].sum(), rows["fp"].sum(), rows["fn"].sum()
    prec, rec = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
    htp, hfp, hfn = rows["hj_tp"].sum(), rows["hj_fp"].sum(), rows["hj_fn"].sum()
    return {
        "nights": len(rows), "lm_precision": prec, "lm_recall": rec, "lm_f1": 2 * prec * rec / max(prec + rec, 1e-9),
        "plmi_abs_error_mean": float((rows["plmi_est"] - rows["plmi_true"]).abs().mean()),
        "plmi_abs_error_max": float((rows["plmi_est"] - rows["plmi_true"]).abs().max()),
        "hj_precision": htp / max(htp + hfp, 1), "hj_recall": htp / max(htp + hfn, 1), "hj_true": int(htp + hfn),
        "tib_abs_error_h": float((rows["tib_est"] - rows["tib_true"]).abs().mean()),
        "seconds_per_night": float(rows["seconds"].mean()),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m lrm.validate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--nights", type=int, default=32, help="number of simulated nights (default 32)")
    parser.add_argument("--hours", type=float, default=8.0, help="hours per night (default 8)")
    parser.add_argument("--quick", action="store_true", help="8 nights of 3 h (a smoke test, not the validation)")
    parser.add_argument("--seed", type=int, default=1000, help="first seed")
    parser.add_argument("--csv", metavar="FILE", help="also write the per-night table")
    args = parser.parse_args(argv)
    nights, hours = (8, 3.0) if args.quick else (args.nights, args.hours)
    rows = []
    for k in range(nights):
        profile, rate = PROFILES[k % len(PROFILES)], RATES[(k // len(PROFILES)) % len(RATES)]
        row = evaluate_night(profile, args.seed + k, rate, hours)
        rows.append(row)
        print(f"  night {k + 1:2d}/{nights} {profile:8s} {rate:5.0f} Hz  LM tp/fp/fn {row['tp']}/{row['fp']}/{row['fn']}  "
              f"PLMI {row['plmi_true']:.1f} -> {row['plmi_est']:.1f}  HJ {row['hj_tp']}/{row['hj_fp']}/{row['hj_fn']}  "
              f"TIB {row['tib_true']:.2f} -> {row['tib_est']:.2f} h", file=sys.stderr)
    table = pd.DataFrame(rows)
    if args.csv:
        table.to_csv(args.csv, index=False)
    s = summarize(table)
    print(f"lrm validation on {s['nights']} simulated nights of {hours:g} h (profiles {', '.join(PROFILES)}; "
          f"{', '.join(f'{r:g}' for r in RATES)} Hz)")
    print(f"  LM precision {s['lm_precision']:.3f}  recall {s['lm_recall']:.3f}  F1 {s['lm_f1']:.3f}   (target F1 >= 0.95)")
    print(f"  PLM index |error| mean {s['plmi_abs_error_mean']:.2f} /h, max {s['plmi_abs_error_max']:.2f} /h   (target mean <= 2)")
    print(f"  hypnic jerks precision {s['hj_precision']:.3f}  recall {s['hj_recall']:.3f}  ({s['hj_true']} true)   (target >= 0.9)")
    print(f"  time in bed |error| mean {s['tib_abs_error_h'] * 60:.1f} min")
    print(f"  analysis time {s['seconds_per_night']:.2f} s per night")
    return 0


if __name__ == "__main__":
    sys.exit(main())
