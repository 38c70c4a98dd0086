"""How many of a leg's LMs were too small to detect: a log-normal fit to the detected peaks, its range over shapes.

A leg's LMs have a spread of sizes; those below its detection limit (``lrm.signal.limit``) are found with
falling probability, so when the sizes reach down to the limit the LM and PLM indices are underestimates
(docs/scoring.md §6; docs/validation.md, "Is the near-limit warning calibrated?"). The missed share is not
observable directly; it is estimated under one stated assumption, that the night's LM peaks are log-normal
(movement sizes are products of many independent factors: how far the leg turns, how fast, the sensor's
distance from the knee), as lrm's test bed draws them (``lrm.sim.families``: a ln-spread of 0.3-0.8).

The model, per leg: peaks ``A ~ LogNormal(mu, sd)``; an LM of peak ``A`` is found with the probability ``p(A)``
the leg's thresholds give the reference LM shapes (``lrm.signal.limit.detection_probability``, averaged over the
classes the stated limit holds for). The detector's ``peak_g`` is the maximum of a 0.2 s RMS envelope
(``lrm.signal.detect``), which reads a shape's peak at its own fraction (``lrm.signal.limit.read_factors``: 0.6-1.0,
the same reference shapes on the same 25 Hz grid); so the model is written in the detector's units: the read peaks
``A`` are log-normal and ``p(A)`` is the share of the reference shapes whose peak reads ``A`` that are detected
(each shape taken at the true peak ``A`` / its read fraction). Until 2026-12-05 a fixed ratio of 0.77 (the median
read on lrm's wide dev nights) stood for that step. The detected LMs' peaks are then distributed as
``p(A) f(A) / P_det(mu, sd)``, and the maximum of that likelihood over a grid of ``mu`` and ``sd`` gives the share
missed, ``1 - P_det`` (peaks beyond the curve's grid, over 100x the limit, count as found). Its range is the set of grid points whose
likelihood ratio to the best is within the 90 % chi-square(1) bound (a profile-likelihood interval), widened by the
binomial spread of the share this night's LMs drew (90 %, both sides). When the
best fit misses half of the leg's LMs or more, the fit extrapolates over more of the distribution than it saw
and the upper end is not stated (None): how many LMs lie far below the limit cannot be known from the ones above it.

The range does not rest on the log-normal (since 2026-12-05, docs/validation.md "Follow-up (2026-12-05, missed14)"):
real LM sizes are not published, and the detected peaks show only the part of the distribution above the limit,
so its shape below is the estimate's largest unknown (drawn from a gamma or Weibull, the log-normal's range held the
true share on 3-37 % of draws). The range is the union of the log-normal's and the profile-likelihood range over a
family of shapes with the log-normal as one member: the generalized gamma in ln size (Prentice 1974; q = 0 the
log-normal, q = 1 the Weibull, q = sd the gamma, q < 0 a longer upper tail), q from -1 to 2, each shape kept that the
detected peaks do not reject against the best of all of them (the same chi-square(1) bound, the shape a nuisance
parameter; on the peaks binned on the curve's grid). Where the peaks cannot tell the shapes apart the range is wide;
where the widest shape allowed misses every LM the upper end is not stated either. The binomial spread of the upper
end is taken at the upper end (the share this night drew if that were the expected share), so a range near 0 is
not a point. The estimate itself stays the log-normal's (the warning and its note are unchanged).

Never a correction: the indices stay what was detected; the estimate goes into the leg's quality
(``missed_share_estimate``, ``missed_share_range``) and, above ``DetectParams.missed_share_note``, a warning.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import numpy.typing as npt
from scipy import special, stats

from lrm.signal.limit import LIMIT_CLASSES, detection_probability

__all__ = ["MIN_LMS", "MissedShare", "detection_curve", "estimate_missed_share",
           "index_upper_bounds"]

MIN_LMS = 10
"""Fewest detected LMs on a leg to fit (the fit has two parameters; fewer say little about a distribution)."""

UNBOUNDED_SHARE = 0.5
"""A best-fit missed share at or above this leaves the upper end unstated (module docstring)."""

_CONFIDENCE = 0.9
_MU = np.linspace(-6.0, 5.0, 221)            # ln(peak / limit) of the median: 0.25 % of the limit to 150x it
_SD = np.linspace(0.3, 1.2, 19)              # ln-spread: lrm's test bed's 0.3-0.8 widened by the envelope's reading
_GRID = np.linspace(np.log(0.02), np.log(100.0), 121)   # ln(peak / limit) of the detection curve


@lru_cache(maxsize=1)
def _densities() -> npt.NDArray[np.float64]:
    """(mu, sd, grid): the normal density of ln(peak / limit) at each grid point times the grid's step."""
    mu, sd = _MU[:, None, None], _SD[None, :, None]
    dens = np.exp(-0.5 * ((_GRID[None, None, :] - mu) / sd) ** 2) / (np.sqrt(2 * np.pi) * sd)
    return dens * np.gradient(_GRID)[None, None, :]


@lru_cache(maxsize=1)
def _above_grid() -> npt.NDArray[np.float64]:
    """(mu, sd): the normal's mass above the grid's last point plus half its step (where the grid's own share
    ends)."""
    edge = _GRID[-1] + 0.5 * (_GRID[-1] - _GRID[-2])
    return stats.norm.sf((edge - _MU[:, None]) / _SD[None, :])


# The shapes of the range (module docstring): q of the generalized gamma in ln size, from q = 2 (ln-skewness -1.8,
# a long lower tail: the gamma of shape 0.25 is q = sd = 2) through the Weibull (q = 1, -1.1) and the log-normal (0)
# to q = -1 (+1.1, the Weibull's mirror image, a long upper tail); the skewed size distributions tried there
# (docs/validation.md, "Follow-up (2026-12-05, missed14)") have ln-skewness -0.8 to -1.1. Location and spread at 0.2 and 0.15 in ln size: at 0.1 and
# 0.1 the range held the truth on one more of 96 dev legs at 2.5 times the cost.
_SHAPE_Q = np.array([-1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0])
_SHAPE_MU = np.linspace(-6.0, 5.0, 56)
_SHAPE_SD = np.linspace(0.3, 1.2, 7)


@lru_cache(maxsize=1)
def _shape_densities() -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(q, mu, sd, grid) of the generalized gamma in ln(peak / limit) (Prentice 1974: ln peak = mu + sd w, w the
    standardised log-gamma of shape 1 / q^2; q = 0 the normal, 1 the Weibull, q = sd the gamma): its ln-density at
    each grid point, that density times the grid's step, and (q, mu, sd) its mass above the grid's last point plus
    half a step."""
    q = _SHAPE_Q[:, None, None, None]
    w = (_GRID[None, None, None, :] - _SHAPE_MU[None, :, None, None]) / _SHAPE_SD[None, None, :, None]
    edge = _GRID[-1] + 0.5 * (_GRID[-1] - _GRID[-2])
    w_edge = (edge - _SHAPE_MU[None, :, None]) / _SHAPE_SD[None, None, :]
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        k = 1.0 / q ** 2
        skew = np.log(np.abs(q)) + k * np.log(k) + k * (q * w - np.exp(q * w)) - special.gammaln(k)
        logf = np.where(q == 0, -0.5 * w ** 2 - 0.5 * np.log(2 * np.pi), skew)
        qe, ke = q[..., 0], 1.0 / q[..., 0] ** 2
        x = ke * np.exp(qe * w_edge)
        above = np.where(qe == 0, stats.norm.sf(w_edge), np.where(qe > 0, special.gammaincc(ke, x),
                                                                    special.gammainc(ke, x)))
    logf = logf - np.log(_SHAPE_SD)[None, None, :, None]
    logf = np.maximum(logf, -700.0)
    return logf, np.exp(logf) * np.gradient(_GRID), np.nan_to_num(above)


def _shape_range(z: npt.NDArray[np.float64], prob: npt.NDArray[np.float64]) -> tuple[float, float]:
    """(low, high) of the missed share over every generalized-gamma shape the detected peaks (ln(peak / limit),
    ``z``) do not reject: the profile-likelihood range with the shape as one more nuisance parameter."""
    logf, dens, above = _shape_densities()
    step = _GRID[1] - _GRID[0]          # the peaks binned to the nearest grid point, those beyond it to its ends
    counts = np.bincount(np.clip(np.rint((z - _GRID[0]) / step).astype(np.intp), 0, _GRID.size - 1),
                         minlength=_GRID.size).astype(np.float64)
    p_det = np.clip(dens @ prob + above, 1e-300, 1.0)
    loglik = logf @ counts - z.size * np.log(p_det)
    inside = 2.0 * (loglik.max() - loglik) <= stats.chi2.ppf(_CONFIDENCE, 1)
    missed = 1.0 - p_det[inside]
    return float(missed.min()), float(missed.max())


@dataclass(frozen=True, slots=True)
class MissedShare:
    """A leg's estimated share of LMs too small to detect (0-1), with its 90 % range; ``high`` None: not bounded.

    ``lms``: the detected LMs the fit used."""

    estimate: float
    low: float
    high: float | None
    lms: int


def detection_curve(limit_g: float, *, offset_hi_g: float, offset_scale_g: float, spread_hi_g: float,
                    window_s: float = 1.0, burst_hi_g: float = float("inf"), pulse_hi_g: float = float("inf"),
                    raw_fs_hz: float | None = None) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """(ln(read peak / ``limit_g``), probability of detection) on a grid from 0.02 to 100 times the limit: the
    reference shapes' detection probability at the peak the detector reads (``peak_g``;
    ``lrm.signal.limit.detection_probability`` with ``read=True``, thresholds in g as there) averaged over
    :data:`lrm.signal.limit.LIMIT_CLASSES` (``lrm.signal.detect.limit_inputs`` gives the thresholds). The limit
    itself stays in true-peak units: a shape reading 0.76 of its peak is at its limit when it reads 0.76 of it.

    >>> z, p = detection_curve(0.035, offset_hi_g=0.008, offset_scale_g=0.0015, spread_hi_g=0.012)
    >>> round(float(np.interp(np.log(0.5), z, p)), 2), round(float(np.interp(0.0, z, p)), 2)   # read at 0.5x, 1x
    (0.74, 1.0)
    """
    p = detection_probability(limit_g * np.exp(_GRID), offset_hi_g=offset_hi_g, offset_scale_g=offset_scale_g,
                              spread_hi_g=spread_hi_g, window_s=window_s, burst_hi_g=burst_hi_g, pulse_hi_g=pulse_hi_g,
                              raw_fs_hz=raw_fs_hz, classes=LIMIT_CLASSES, read=True)
    return _GRID.copy(), np.mean([p[k] for k in LIMIT_CLASSES], axis=0)


def estimate_missed_share(peak_g: npt.ArrayLike, *, limit_g: float,
                          curve: tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]) -> MissedShare | None:
    """The share of a leg's LMs that its detector missed, from the detected LMs' peaks (module docstring).

    Parameters
    ----------
    peak_g : array of float
        The leg's detected LMs' ``peak_g`` in g (lights-out to lights-on).
    limit_g : float
        The leg's detection limit in g (``LegQuality.detection_limit_g``).
    curve : (ndarray, ndarray)
        ln(read peak / ``limit_g``) and the detection probability there (:func:`detection_curve`).

    Returns
    -------
    MissedShare or None
        None with fewer than :data:`MIN_LMS` LMs or no positive limit.

    Examples
    --------
    >>> curve = (np.linspace(-4, 4, 9), (np.linspace(-4, 4, 9) >= 0).astype(float))   # found iff above the limit
    >>> far = estimate_missed_share(np.exp(np.linspace(1.5, 3.5, 40)), limit_g=1.0, curve=curve)
    >>> far.estimate < 0.05
    True
    """
    peaks = np.asarray(peak_g, np.float64)
    peaks = peaks[np.isfinite(peaks) & (peaks > 0)]
    if peaks.size < MIN_LMS or not limit_g > 0:
        return None
    z = np.log(peaks / limit_g)
    prob = np.interp(_GRID, *curve)
    mu, sd = _MU[:, None], _SD[None, :]
    # found: the grid's mass times the curve, plus the tail above the grid (peaks over 100x the limit, all found;
    # until 2026-12-05 it counted as missed: a night whose LMs reach 10-60x a 12 mg limit was said to miss a
    # quarter of them). Summed, not 1 - missed: a fit far below the limit finds a share too small for 1 - x.
    p_det = np.clip(_densities() @ prob + _above_grid(), 1e-300, 1.0)
    n, s1, s2 = z.size, z.sum(), (z ** 2).sum()
    loglik = -0.5 * (s2 - 2 * mu * s1 + n * mu ** 2) / sd ** 2 - n * np.log(sd) - n * np.log(p_det)
    missed = 1.0 - p_det
    best = np.unravel_index(np.argmax(loglik), loglik.shape)
    inside = 2.0 * (loglik[best] - loglik) <= stats.chi2.ppf(_CONFIDENCE, 1)
    estimate = float(missed[best])
    # the range: the log-normal's and every generalized-gamma shape's the peaks allow (module docstring)
    shape_low, shape_high = _shape_range(z, prob)
    low, high = min(float(missed[inside].min()), shape_low), max(float(missed[inside].max()), shape_high)
    # this night's LMs are a draw: the share missed among them spreads binomially around the expected share, for
    # the upper end around the upper end (a best fit near 0 would give none)
    k = stats.norm.ppf(0.5 + _CONFIDENCE / 2)
    spread = k * np.sqrt(np.array([estimate, high]) * (1.0 - np.array([estimate, high])) ** 2 / n)
    low = max(0.0, low - float(spread[0]))
    high = min(1.0, high + float(spread.max()))
    high = None if estimate >= UNBOUNDED_SHARE or high >= 1.0 else high
    return MissedShare(round(estimate, 3), round(low, 3), None if high is None else round(high, 3), int(n))


def index_upper_bounds(lm_index: float, clm_index: float, leg_lms: Mapping[str, int],
                       high: Mapping[str, float | None]) -> tuple[float, float] | None:
    """(LM index, PLM index) the night could reach in /h if each leg missed its ``high`` share of LMs; None when a
    leg's share is not bounded.

    The missed LMs per detected LM are ``m / (1 - m)`` per leg, weighted by its detected LMs (``leg_lms``). The
    LM index then grows by that many per detected LM; the PLM index is at most every CLM, detected
    (``clm_index``) or missed (docs/scoring.md §1.2: a PLM is a CLM in a series), which holds however the missed
    LMs would have joined or split series.

    >>> index_upper_bounds(10.0, 8.0, {"left": 50, "right": 50}, {"left": 0.5, "right": 0.0})
    (15.0, 13.0)
    """
    shares = {side: high[side] for side, n in leg_lms.items() if side in high and n > 0}
    if not shares or any(m is None for m in shares.values()):
        return None
    missed = sum(leg_lms[side] * m / max(1.0 - m, 1e-3) for side, m in shares.items() if m is not None)
    per_detected = missed / sum(leg_lms[side] for side in shares)
    missed_per_h = lm_index * per_detected
    return round(lm_index + missed_per_h, 1), round(clm_index + missed_per_h, 1)
