"""The share of a leg's LMs too small to detect (lrm.signal.missed): a log-normal fit to the detected peaks.

The fit is checked against draws from its own model (log-normal peaks thinned by a detection curve, read at
PEAK_READ_RATIO), where the true missed share is known; docs/validation.md ("Is the near-limit warning
calibrated?") checks it on simulated nights.
"""

import numpy as np
import pytest

from lrm.signal.missed import (PEAK_READ_RATIO, UNBOUNDED_SHARE, detection_curve, estimate_missed_share,
                               index_upper_bounds)

LIMIT_G = 0.035
THRESHOLDS = {"offset_hi_g": 0.008, "offset_scale_g": 0.0015, "spread_hi_g": 0.012}


def _night(median_x_limit: float, sd: float, n: int, seed: int) -> tuple[np.ndarray, float]:
    """Detected peak_g of ``n`` true LMs (log-normal, median ``median_x_limit`` times the limit) and the true share
    missed, thinned by the leg's detection curve."""
    rng = np.random.default_rng(seed)
    z, p = detection_curve(LIMIT_G, **THRESHOLDS)
    true_g = LIMIT_G * median_x_limit * np.exp(sd * rng.standard_normal(n))
    found = rng.random(n) < np.interp(np.log(true_g / LIMIT_G), z, p)
    return PEAK_READ_RATIO * true_g[found], 1.0 - found.mean()


def test_a_distribution_far_above_the_limit_misses_almost_nothing():
    peaks, truth = _night(20.0, 0.6, 300, 1)
    est = estimate_missed_share(peaks, limit_g=LIMIT_G, curve=detection_curve(LIMIT_G, **THRESHOLDS))
    assert truth < 0.01 and est.estimate < 0.02 and est.high < 0.05 and est.lms == peaks.size


@pytest.mark.parametrize("median_x_limit", [1.0, 1.5, 2.5])
def test_the_stated_range_holds_the_true_share_on_most_draws(median_x_limit):
    curve = detection_curve(LIMIT_G, **THRESHOLDS)
    inside, unbounded = 0, 0
    for seed in range(20):
        peaks, truth = _night(median_x_limit, 0.7, 400, seed)
        est = estimate_missed_share(peaks, limit_g=LIMIT_G, curve=curve)
        high = 1.0 if est.high is None else est.high
        inside += est.low <= truth <= high
        unbounded += est.high is None
    assert inside >= 16          # a 90 % range: 18 of 20 expected, 16 leaves room for the binomial spread
    assert unbounded == 0 or median_x_limit == 1.0   # half the LMs below the limit (median at it) may go unbounded


def test_half_the_lms_below_the_limit_leaves_the_upper_end_unstated():
    peaks, truth = _night(0.3, 0.7, 600, 3)
    est = estimate_missed_share(peaks, limit_g=LIMIT_G, curve=detection_curve(LIMIT_G, **THRESHOLDS))
    assert truth > UNBOUNDED_SHARE and est.estimate >= UNBOUNDED_SHARE and est.high is None and est.low > 0.3


def test_too_few_lms_or_no_limit_give_no_estimate():
    curve = detection_curve(LIMIT_G, **THRESHOLDS)
    assert estimate_missed_share(np.full(9, 0.05), limit_g=LIMIT_G, curve=curve) is None
    assert estimate_missed_share(np.full(50, 0.05), limit_g=0.0, curve=curve) is None
    assert estimate_missed_share(np.r_[np.full(9, 0.05), np.nan, 0.0], limit_g=LIMIT_G, curve=curve) is None


def test_the_detection_curve_is_the_limit_classes_mean_and_rises_through_the_limit():
    z, p = detection_curve(LIMIT_G, **THRESHOLDS)
    at_limit = float(np.interp(0.0, z, p))
    assert 0.9 <= at_limit < 1.0                   # every class >= 0.9 at the limit: their mean too
    assert np.all(np.diff(p) >= -1e-12) and p[0] < 0.01 and p[-1] == pytest.approx(1.0)


def test_index_upper_bounds_add_the_missed_lms_to_the_lm_and_clm_indices():
    # left misses half (one missed per detected LM), right none: 0.5 missed per detected LM over both legs
    assert index_upper_bounds(10.0, 8.0, {"left": 50, "right": 50}, {"left": 0.5, "right": 0.0}) == (15.0, 13.0)
    assert index_upper_bounds(10.0, 8.0, {"left": 50, "right": 50}, {"left": None, "right": 0.0}) is None
    assert index_upper_bounds(10.0, 8.0, {"left": 0}, {"left": 0.3}) is None
