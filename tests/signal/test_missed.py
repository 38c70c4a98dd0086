"""The share of a leg's LMs too small to detect (lrm.signal.missed): a log-normal fit to the detected peaks.

The fit is checked against draws from the physics it models (log-normal true peaks, each LM one of the reference
shapes, found with that shape's detection probability, read at that shape's envelope fraction,
lrm.signal.limit.read_factors), where the true missed share is known; its range also against sizes that are not
log-normal (gamma, Weibull, skewed); docs/validation.md ("Is the near-limit warning calibrated?",
"Follow-up (2026-12-05, missed14)") checks it on simulated nights.
"""

import numpy as np
import pytest
from scipy import stats

from lrm.signal.limit import LIMIT_CLASSES, detection_probability, read_factors, shape_factors
from lrm.signal.missed import UNBOUNDED_SHARE, detection_curve, estimate_missed_share, index_upper_bounds

LIMIT_G = 0.035
THRESHOLDS = {"offset_hi_g": 0.008, "offset_scale_g": 0.0015, "spread_hi_g": 0.012}


def _night(median_x_limit: float, sd: float, n: int, seed: int) -> tuple[np.ndarray, float]:
    """Detected peak_g of ``n`` true LMs (log-normal, median ``median_x_limit`` times the limit, each a reference
    shape of the limit's classes drawn at random) and the true share missed."""
    rng = np.random.default_rng(seed)
    true_g = LIMIT_G * median_x_limit * np.exp(sd * rng.standard_normal(n))
    kind = rng.integers(len(LIMIT_CLASSES), size=n)
    shape = rng.integers(read_factors()["rotation"].size, size=n)
    found, read_g = np.zeros(n, bool), np.zeros(n)
    for k, name in enumerate(LIMIT_CLASSES):
        sel = kind == k
        grid = np.geomspace(1e-3, 10.0, 400)
        per_shape = _per_shape_probability(grid, name)                        # (grid, shapes)
        p = np.array([np.interp(a, grid, per_shape[:, j]) for a, j in zip(true_g[sel], shape[sel])])
        found[sel] = rng.random(sel.sum()) < p
        read_g[sel] = true_g[sel] * read_factors()[name][shape[sel]]
    return read_g[found], 1.0 - found.mean()


def _per_shape_probability(peak_g: np.ndarray, kind: str) -> np.ndarray:
    """(peaks, shapes): each reference shape's detection probability at the true peaks (g); the class mean of
    these is lrm.signal.limit.detection_probability."""
    f = shape_factors()[kind]
    a = peak_g[:, None]
    p_r = stats.norm.cdf((f[None, :, 0] * a - THRESHOLDS["offset_hi_g"]) / THRESHOLDS["offset_scale_g"])
    p_d = (f[None, :, 1] * a >= THRESHOLDS["spread_hi_g"]).astype(float)
    return 1.0 - (1.0 - p_r) * (1.0 - p_d)


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
    read = np.exp(z[::10]) * LIMIT_G
    mean = np.mean(list(detection_probability(read, **THRESHOLDS, classes=LIMIT_CLASSES, read=True).values()), axis=0)
    np.testing.assert_allclose(p[::10], mean, atol=1e-12)
    assert float(np.interp(0.0, z, p)) >= 0.9      # a read at the limit is a true peak at or above it
    assert np.all(np.diff(p) >= -1e-12) and p[0] < 0.01 and p[-1] == pytest.approx(1.0)


def test_index_upper_bounds_add_the_missed_lms_to_the_lm_and_clm_indices():
    # left misses half (one missed per detected LM), right none: 0.5 missed per detected LM over both legs
    assert index_upper_bounds(10.0, 8.0, {"left": 50, "right": 50}, {"left": 0.5, "right": 0.0}) == (15.0, 13.0)
    assert index_upper_bounds(10.0, 8.0, {"left": 50, "right": 50}, {"left": None, "right": 0.0}) is None
    assert index_upper_bounds(10.0, 8.0, {"left": 0}, {"left": 0.3}) is None


def test_the_per_shape_draw_agrees_with_the_limit_module():
    grid = np.geomspace(0.005, 0.2, 30)
    for kind in LIMIT_CLASSES:
        np.testing.assert_allclose(_per_shape_probability(grid, kind).mean(axis=1),
                                   detection_probability(grid, **THRESHOLDS, classes=(kind,))[kind], atol=1e-12)


def test_the_curve_is_in_the_detectors_units_from_the_shapes_read_fractions():
    """peak_g reads a shape's peak at its envelope fraction (0.76 median over the limit's classes): a read peak of
    0.8x the limit is a true peak above it for most shapes, so the curve there is already near 1 (in true-peak units
    0.8x the limit is found 0.8 of the time). Fails on the fixed 0.77 ratio, which read the curve in true peaks."""
    z, p = detection_curve(LIMIT_G, **THRESHOLDS)
    reads = np.concatenate([read_factors()[k] for k in LIMIT_CLASSES])
    assert 0.74 <= float(np.median(reads)) <= 0.78 and reads.min() > 0.3 and reads.max() <= 1.0
    true_units = np.mean([v for v in detection_probability([0.8 * LIMIT_G], **THRESHOLDS,
                                                           classes=LIMIT_CLASSES).values()])
    assert float(np.interp(np.log(0.8), z, p)) > 0.98 > true_units + 0.1


def test_lms_reaching_far_above_the_grid_are_counted_found():
    """A leg whose LMs sit 40x its limit with a ln-spread of 1.2 (a fifth of them above the 100x the curve's grid
    reaches, as on classic nights with a 12 mg limit): nothing is missed. Until 2026-12-05 the mass above the
    grid counted as missed and the estimate was ~0.2 (classic 1025: 0.40 against a true 0.03)."""
    peaks, truth = _night(40.0, 1.2, 400, 5)
    est = estimate_missed_share(peaks, limit_g=LIMIT_G, curve=detection_curve(LIMIT_G, **THRESHOLDS))
    assert truth < 0.01 and est.estimate < 0.02 and est.high < 0.05


def _other_shape(name: str, median_x_limit: float, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` LM peaks as peak_g reads them, in units of the limit, from a size distribution that is not log-normal,
    its median ``median_x_limit``: a gamma of shape 2, a Weibull of shape 1.5 (both with a longer lower tail in ln
    size than the log-normal) or a ln-size skew-normal of shape -5 (docs/validation.md, "Follow-up (2026-12-05,
    missed14)")."""
    if name == "gamma2":
        return median_x_limit * rng.gamma(2.0, 1.0, n) / stats.gamma.median(2.0)
    if name == "weibull1.5":
        return median_x_limit * rng.weibull(1.5, n) / np.log(2.0) ** (1 / 1.5)
    return median_x_limit * np.exp(stats.skewnorm.rvs(-5.0, scale=0.8, size=n, random_state=rng) + 0.62)


@pytest.mark.parametrize(("name", "median_x_limit"), [("gamma2", 1.5), ("weibull1.5", 0.7), ("weibull1.5", 1.5),
                                                       ("skewleft", 1.0)])
def test_the_range_holds_the_true_share_when_the_sizes_are_not_log_normal(name, median_x_limit):
    """Peaks drawn from other size distributions, thinned by the leg's own detection curve (so only the shape is
    wrong): the stated range holds the true share missed on at least 10 of 12 draws. The log-normal's range alone
    held it on 0-4 of 12 in these cases (weibull1.5 at 1.5x: 0 of 12, its upper end below the truth)."""
    z, p = curve = detection_curve(LIMIT_G, **THRESHOLDS)
    inside = 0
    for seed in range(12):
        rng = np.random.default_rng(1000 * seed + 7)
        read = _other_shape(name, median_x_limit, 400, rng)
        found = rng.random(read.size) < np.interp(np.log(read), z, p, left=0.0, right=1.0)
        truth = 1.0 - found.mean()
        est = estimate_missed_share(read[found] * LIMIT_G, limit_g=LIMIT_G, curve=curve)
        inside += est.low <= truth <= (1.0 if est.high is None else est.high)
    assert inside >= 10
