"""The null chain's exact tails (lrm.signal.null.null_tails) against an independent inversion of the same forms."""

import numpy as np
import pytest
from scipy import integrate, special

from lrm.signal.null import _form_eigenvalues, _grid_impulses, null_factors, null_tails


def _imhof_sf(lam: np.ndarray, x: float, multiplicity: int = 3) -> float:
    """P(sum lam_i chi2_1 > x), each lam_i counted ``multiplicity`` times, by Imhof's (1961) exact inversion."""
    lam = lam[lam > 1e-12 * lam.max()]
    h = float(multiplicity)

    def f(u: float) -> float:
        theta = 0.5 * h * np.arctan(lam * u).sum() - 0.5 * x * u
        rho = np.exp(0.25 * h * np.log1p((lam * u) ** 2).sum())
        return np.sin(theta) / (u * rho)

    value, _ = integrate.quad(f, 0.0, np.inf, limit=4000, epsabs=1e-13, epsrel=1e-10)
    return 0.5 + value / np.pi


def _phase_forms(fs_hz: float, phases: int = 16) -> list[tuple[np.ndarray, np.ndarray]]:
    return [_form_eigenvalues(_grid_impulses(fs_hz, 25.0, 25, 5, u), 25, 5) for u in np.arange(phases) / phases]


def test_exact_tails_meet_the_design_tail_at_52_hz():
    # 52 Hz (Polar Verity Sense): at the worst phase a still sample exceeds D's and B's onset quantiles with
    # probability 1e-6, by Imhof's inversion of the forms (the saddlepoint's error is < 1 % of the tail here)
    nt = null_tails(52.0, 25.0, 1.0, 0.2, 1e-6)
    forms = _phase_forms(52.0)
    worst_d = max(_imhof_sf(d, nt.spread) for d, _ in forms)
    worst_b = max(_imhof_sf(b, nt.burst) for _, b in forms)
    assert worst_d == pytest.approx(1e-6, rel=0.03)
    assert worst_b == pytest.approx(1e-6, rel=0.03)


def test_moment_matched_b_threshold_is_light_at_52_hz():
    # the reason for the exact tails: the scaled chi-square moment matched to the chain's B^2 (moments averaged
    # over the grid's phase pattern) is exceeded at the worst phase far more often than the design's 1e-6
    nf = null_factors(52.0, 25.0, 1.0, 0.2)
    scale, dof = nf.burst_var / (2 * nf.burst_mean), 2 * nf.burst_mean ** 2 / nf.burst_var
    moment_matched = scale * special.chdtri(dof, 1e-6)
    assert max(_imhof_sf(b, moment_matched) for _, b in _phase_forms(52.0)) > 3e-6
    assert null_tails(52.0, 25.0, 1.0, 0.2, 1e-6).burst > 1.1 * moment_matched


@pytest.mark.parametrize("fs_hz", [12.5, 52.0, 100.0])
def test_forms_match_the_null_chains_measured_means(fs_hz):
    # the forms are those of the chain null_factors runs noise through: their means (3 trace) over the phases
    # agree with the means it measures on 300 s of noise (averaged over the phases the drifting rate visits)
    forms = _phase_forms(fs_hz)
    nf = null_factors(fs_hz, 25.0, 1.0, 0.2)
    d_means = [3 * d.sum() for d, _ in forms]
    b_means = [3 * b.sum() for _, b in forms]
    assert min(d_means) * 0.97 <= nf.spread_mean <= max(d_means) * 1.03
    assert min(b_means) * 0.97 <= nf.burst_mean <= max(b_means) * 1.03
