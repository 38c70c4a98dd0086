"""The detection limit of a leg: the smallest LM peak (g) detected with >= 90 % probability.

**LM peak** (docs/scoring.md §6, the same quantity as the simulator's truth, ``lrm.sim.truth``): the largest
deviation of the acceleration the sensor reads from its resting vector during the movement,
``max_t |a(t) - a_rest|`` in g, ``a_rest`` the reading in the resting pose just before the movement. It holds
the gravity projection's shift (``2 sin(theta / 2)`` g for a rotation by theta) and the movement's own
acceleration (tangential ``r theta''``, centripetal ``r theta'^2``) as vectors.

The detector does not see that peak directly: it integrates over 0.5 s (``lrm.signal.envelope``: R, the mean
deviation, and D, the dynamic RMS). How much of a movement's peak reaches R and D depends on its shape: a
slow tonic excursion shows almost all of it in R, a quick kick's peak is its brief tangential acceleration,
of which a 0.5 s window keeps a part, a tremor-like train shows in D only. So the limit is computed for a
reference set of LM shapes from the physics of docs/scoring.md §6 (below), each scaled to a peak ``A``: a shape is
detected when R exceeds its onset threshold (R's per-axis noise ``s_R`` makes that a normal probability
along the movement's direction) or D exceeds its own. The limit is the smallest ``A`` at which, *in every
one of the three shape classes*, at least 90 % of the shapes are detected, so that it holds whatever mix of
shapes a person's LMs have:

* ``rotation``: a tonic excursion of the shank (dorsiflexion / triple flexion): raised-cosine rise over
  0.2-0.6 s (the forward model's 0.25-0.45 s, docs/scoring.md §6), hold with 0-30 % clonic modulation at 1-4 Hz
  (Smith 1985's tonic/clonic pattern), release over 0.3-1 s, 0.8-6 s long, sensor 0.15-0.35 m from the knee;
* ``kick``: an out-and-back excursion without a hold, 0.5-1.5 s, 0.2-0.45 m;
* ``clonic``: a train of 1-4 Hz bursts (docs/scoring.md §3.2's trains, Smith 1985's clonic pattern) over a tonic
  offset of 0-100 % of the burst size, 1-5 s long. Each burst is a flexion of ``duty`` of its cycle with the leg back
  at the offset for the rest: §3.2's trains are trains of *brief* bursts, with the leg between them, not a continuous
  sway. The gap is shorter than 0.5 s (the WASM offset rule, docs/scoring.md §1.2 step 1, joins the train into one
  LM), so ``duty > 1 - 0.5 f``; each burst lasts >= 30 % of its cycle (>= 75 ms at 4 Hz, the briefest EMG burst,
  §3.1). Until 2026-12-04 the bursts filled their cycle (duty 1): a burst narrower than its cycle has a larger
  tangential acceleration for its turn, so less of its peak reaches R and D, and the limit was 12-16 % too low (median
  leg; 24 % at the reference thresholds) for such trains (docs/validation.md, "Is the stated limit calibrated?");
* ``phasic``: 2-6 brief flexion pulses of 80-300 ms (phasic EMG bursts of 0.1-0.3 s, the myoclonic pattern of
  Smith 1985; each pulse is as brief as a hypnic jerk's burst, docs/scoring.md §3.1) 0.1-0.5 s apart, so that the
  0.5 s rule joins them into one LM, over a tonic offset of 0-30 % of the pulse size: acceleration-dominant,
  little net rotation. Its peak is a brief spike of tangential acceleration, which the 1 s statistics dilute
  and the 0.2 s brief-burst statistic B (``lrm.signal.envelope``'s envelope) keeps.

The gravity shift's direction relative to the tangential acceleration depends on how the shank lies; it is
drawn uniformly. The shapes are fixed (seeded): the limit depends only on the leg's thresholds.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import numpy.typing as npt
from scipy import special

__all__ = ["CLASSES", "LIMIT_CLASSES", "BRIEF_CLASSES", "shape_factors", "read_factors", "pulse_factors",
           "detection_probability",
           "detection_limit_g"]

CLASSES = ("rotation", "kick", "clonic", "phasic")

LIMIT_CLASSES = ("rotation", "kick", "clonic")
"""The classes the stated limit holds for. A phasic LM's peak is a spike of tangential acceleration lasting
80-300 ms: only 10-30 % of it reaches even the 0.2 s statistic B (``shape_factors``), so the limit for it is 3-5x
the others' and, taken as the night's limit, it would say nothing about the LMs with a rotation in them (most of
them: the tonic hold of docs/scoring.md §6). ``docs/validation.md`` reports phasic LMs' recall by amplitude
(the simulator's twitch class) separately."""

BRIEF_CLASSES = ("phasic",)
"""The class of the stated limit for brief-pulse LMs (``detection_limit_brief_g``): the same computation with the
leg's thresholds, for LMs made of 80-300 ms pulses with little turn of the leg. It is seen by B alone (R and D
dilute it) and by P, the matched filter for brief pulses (``lrm.signal.pulses``)."""
G = 9.80665
FINE_HZ = 400.0
GRID_HZ = 25.0
SHAPES_PER_CLASS = 100


def _theta(kind: str, rng: np.random.Generator, aux: np.random.Generator) -> tuple[npt.NDArray[np.float64], float]:
    """Unit-amplitude angle waveform on the fine grid (with 1 s of rest before and after) and the radius (m).
    ``aux`` draws the clonic bursts' duty (a stream of its own, so that the other classes' shapes stay as they were)."""
    if kind == "rotation":
        d = rng.uniform(0.8, 6.0)
        rise, fall = min(rng.uniform(0.2, 0.6), 0.45 * d), min(rng.uniform(0.3, 1.0), 0.5 * d)
        t = np.arange(int(d * FINE_HZ)) / FINE_HZ
        env = np.ones_like(t)
        env = np.where(t < rise, 0.5 * (1 - np.cos(np.pi * t / rise)), env)
        env = np.where(t > d - fall, 0.5 * (1 + np.cos(np.pi * (t - d + fall) / fall)), env)
        wave = env * (1 + rng.uniform(0.0, 0.3) * np.sin(2 * np.pi * rng.uniform(1, 4) * t) * env)
        radius = rng.uniform(0.15, 0.35)
    elif kind == "kick":
        d = rng.uniform(0.5, 1.5)
        t = np.arange(int(d * FINE_HZ)) / FINE_HZ
        wave, radius = np.sin(np.pi * t / d) ** 2, rng.uniform(0.2, 0.45)
    elif kind == "phasic":
        pulses, tonic = int(rng.integers(2, 7)), rng.uniform(0.0, 0.3)
        widths, gaps = rng.uniform(0.08, 0.3, pulses), rng.uniform(0.1, 0.5, pulses)
        starts = np.concatenate(([0.0], np.cumsum(widths + gaps)[:-1]))
        d = float(starts[-1] + widths[-1])
        t = np.arange(int(d * FINE_HZ)) / FINE_HZ
        wave = np.zeros_like(t)
        for s0, w in zip(starts, widths):   # a handful of pulses per shape, at set-up only
            inside = (t >= s0) & (t < s0 + w)
            wave[inside] = np.maximum(wave[inside], np.sin(np.pi * (t[inside] - s0) / w) ** 2)
        wave = np.maximum(wave, tonic * np.sin(np.pi * t / d))
        radius = rng.uniform(0.2, 0.45)
    else:
        d = rng.uniform(1.0, 5.0)
        t = np.arange(int(d * FINE_HZ)) / FINE_HZ
        taper = np.sin(0.5 * np.pi * np.clip(np.minimum(t, d - t) / 0.3, 0.0, 1.0)) ** 2   # smooth ends
        f_hz = rng.uniform(1.0, 4.0)
        duty = aux.uniform(max(0.3, 1.0 - 0.5 * f_hz), 1.0)       # gaps < 0.5 s, bursts >= 30 % of the cycle
        phase = (f_hz * t) % 1.0
        burst = np.where(phase < duty, np.sin(np.pi * phase / duty) ** 2, 0.0)   # 0..1 at 1-4 Hz
        tonic = rng.uniform(0.0, 1.0)
        wave, radius = (tonic + (1 - tonic) * burst) * taper, rng.uniform(0.15, 0.35)
    pad = np.zeros(int(FINE_HZ))
    return np.concatenate((pad, wave, pad)), radius


def _factors(kind: str, rng: np.random.Generator, aux: np.random.Generator, angle_rad: float, window_s: float,
             smooth_s: float = 0.2) -> tuple[float, float, float, float, float, npt.NDArray[np.float64]]:
    """(peak, max R, max D, max B, max envelope) in g of one shape at a small angle amplitude (the response is
    ~linear in it), and its acceleration (n, 2) in g on the fine grid. The envelope is the detector's ``peak_g``
    (``lrm.signal.envelope``'s ``envelope_g``: the ``smooth_s`` RMS deviation from rest)."""
    from scipy.ndimage import uniform_filter1d

    theta, radius = _theta(kind, rng, aux)
    theta = theta * angle_rad
    omega = np.gradient(theta, 1.0 / FINE_HZ)
    alpha = np.gradient(omega, 1.0 / FINE_HZ)
    mix = rng.uniform(0.0, np.pi)   # angle between the gravity shift and the tangential direction
    # in the plane of the rotation: gravity shift along e1, tangential along (cos mix, sin mix), centripetal
    # along the radius, perpendicular to the tangential direction
    shift = 2 * np.sin(theta / 2)
    tang, cent = radius * alpha / G, radius * omega ** 2 / G
    a = np.column_stack((shift + tang * np.cos(mix) + cent * np.sin(mix), tang * np.sin(mix) - cent * np.cos(mix)))
    peak = float(np.sqrt((a ** 2).sum(axis=1)).max())
    k = int(FINE_HZ / GRID_HZ)
    grid = a[: a.shape[0] // k * k].reshape(-1, k, 2).mean(axis=1)
    w = max(1, int(round(window_s * GRID_HZ)))
    mean = uniform_filter1d(grid, w, axis=0, mode="nearest")
    r = np.sqrt((mean ** 2).sum(axis=1))
    ms = uniform_filter1d((grid ** 2).sum(axis=1), w, mode="nearest")
    d = np.sqrt(np.maximum(ms - r ** 2, 0.0))
    smooth = max(1, int(round(smooth_s * GRID_HZ)))
    b = np.sqrt(np.maximum(uniform_filter1d(((grid - mean) ** 2).sum(axis=1), smooth, mode="nearest"), 0.0))
    e = np.sqrt(np.maximum(uniform_filter1d((grid ** 2).sum(axis=1), smooth, mode="nearest"), 0.0))
    return peak, float(r.max()), float(d.max()), float(b.max()), float(e.max()), a


@lru_cache(maxsize=4)
def _shapes(window_s: float) -> tuple[dict[str, npt.NDArray[np.float64]], tuple[tuple[float, npt.NDArray[np.float64]], ...],
                                       dict[str, npt.NDArray[np.float64]]]:
    """:func:`shape_factors`, the phasic shapes' (peak in g, acceleration (n, 2) in g at ``FINE_HZ``) and
    :func:`read_factors`."""
    rng, aux = np.random.default_rng(20240611), np.random.default_rng(20261204)
    out, phasic, reads = {}, [], {}
    for kind in CLASSES:
        rows, read = [], []
        for _ in range(SHAPES_PER_CLASS):
            peak, r, d, b, e, a = _factors(kind, rng, aux, np.radians(2.0), window_s)
            rows.append((r / peak, d / peak, b / peak))
            read.append(e / peak)
            if kind == "phasic":
                phasic.append((peak, a))
        out[kind], reads[kind] = np.asarray(rows), np.asarray(read)
    return out, tuple(phasic), reads


def shape_factors(window_s: float = 1.0) -> dict[str, npt.NDArray[np.float64]]:
    """Per class, (shapes, 3): the fraction of a shape's peak that reaches R, D and B at their best windows
    (``window_s``: R's and D's integration window, ``DetectParams.window_s``; B's is 0.2 s).

    At the default window (1 s) the values come from :mod:`lrm.signal.shape_table`, the same numbers computed
    once and written out (``tests/signal/test_noise_limit.py`` recomputes them): computing the 400 shapes costs
    ~0.25 s of CPU, which every ``lrm analyze`` and every batch worker would otherwise pay once."""
    if window_s == TABLE_WINDOW_S:
        return _tabled_factors()
    return _shapes(window_s)[0]


def read_factors() -> dict[str, npt.NDArray[np.float64]]:
    """Per class, (shapes,): the fraction of a reference shape's peak that the detector's ``peak_g`` reads, the
    maximum of the 0.2 s RMS deviation from rest (``lrm.signal.detect``, ``envelope_g``) on the 25 Hz grid the
    limit's factors use (the detector's working grid: block means at 25 Hz). Medians: rotation 0.76, kick 0.96,
    clonic 0.62 (0.76 over :data:`LIMIT_CLASSES`, where the median over matched LMs of lrm's wide dev nights was
    0.77), phasic 0.18. Noise-free: a noisy leg's envelope also holds noise fluctuations beyond the power it
    removes; a term for them made the estimate of ``lrm.signal.missed`` worse and was not kept (docs/validation.md,
    "Follow-up (2026-12-05, missedfit13)"). From :mod:`lrm.signal.shape_table` (``READ``)."""
    return _tabled_reads()


@lru_cache(maxsize=1)
def _tabled_reads() -> dict[str, npt.NDArray[np.float64]]:
    from lrm.signal.shape_table import READ

    return {kind: np.asarray(READ[kind], np.float64) for kind in CLASSES}


TABLE_WINDOW_S = 1.0
"""The window (s) :mod:`lrm.signal.shape_table` holds the shape factors for (``DetectParams.window_s``'s default)."""


@lru_cache(maxsize=1)
def _tabled_factors() -> dict[str, npt.NDArray[np.float64]]:
    from lrm.signal.shape_table import FACTORS

    return {kind: np.asarray(FACTORS[kind], np.float64).reshape(-1, 3) for kind in CLASSES}


def _shape_table_source() -> str:
    """The text of :mod:`lrm.signal.shape_table`: ``_shapes(TABLE_WINDOW_S)``'s factors, every float exact
    (``repr`` round-trips). Regenerate after changing the shapes: ``python -c "import lrm.signal.limit as m;
    print(m._shape_table_source(), end='')" > lrm/signal/shape_table.py``."""
    factors, _, reads = _shapes(TABLE_WINDOW_S)
    lines = ['"""The reference LM shapes\' factors at the default 1 s window: :func:`lrm.signal.limit.shape_factors`.',
             "",
             "Per class of ``lrm.signal.limit.CLASSES``, for each of its ``SHAPES_PER_CLASS`` shapes, the fractions of the",
             "shape's peak that reach R, D and B (dimensionless), flattened shape by shape, and (``READ``) the fraction",
             "the detector's ``peak_g`` reads (:func:`lrm.signal.limit.read_factors`). Written by",
             "``lrm.signal.limit._shape_table_source()`` (do not edit by hand); ``tests/signal/test_noise_limit.py``",
             'recomputes them."""', "", "FACTORS: dict[str, tuple[float, ...]] = {"]
    for kind in CLASSES:
        lines.append(f"    {kind!r}: (")
        for row in factors[kind]:
            lines.append("        " + " ".join(f"{float(v)!r}," for v in row))
        lines.append("    ),")
    lines.append("}")
    lines += ["", "READ: dict[str, tuple[float, ...]] = {"]
    for kind in CLASSES:
        lines.append(f"    {kind!r}: (")
        values = [f"{float(v)!r}," for v in reads[kind]]
        lines += ["        " + " ".join(values[i : i + 4]) for i in range(0, len(values), 4)]
        lines.append("    ),")
    lines.append("}")
    return "\n".join(lines) + "\n"


@lru_cache(maxsize=16)
def pulse_factors(fs_hz: float) -> npt.NDArray[np.float64]:
    """Per phasic shape (shapes,): the fraction of its peak that P (``lrm.signal.pulses``) reads from a sensor
    sampling at ``fs_hz`` Hz, the worst over four sampling phases (the sensor's own anti-alias filter is not
    modelled: above ~50 Hz it passes a 80-300 ms pulse whole)."""
    from lrm.signal.pulses import pulse_statistic, pulse_widths

    if not pulse_widths(fs_hz):
        return np.zeros(SHAPES_PER_CLASS)
    out = []
    for peak, a in _shapes(1.0)[1]:
        step = FINE_HZ / fs_hz
        seen = []
        for phase in (0.0, 0.25, 0.5, 0.75):
            idx = np.arange(phase * step, a.shape[0] - 1, step)
            raw = np.column_stack([np.interp(idx, np.arange(a.shape[0]), a[:, c]) for c in range(2)] +
                                  [np.zeros(idx.size)])
            seen.append(float(pulse_statistic(raw, fs_hz=fs_hz).max()))
        out.append(min(seen) / peak)
    return np.asarray(out)


def detection_probability(peak_g: npt.ArrayLike, *, offset_hi_g: float, offset_scale_g: float,
                          spread_hi_g: float, window_s: float = 1.0, burst_hi_g: float = float("inf"),
                          pulse_hi_g: float = float("inf"), raw_fs_hz: float | None = None,
                          classes: tuple[str, ...] = CLASSES, read: bool = False) -> dict[str, npt.NDArray[np.float64]]:
    """Per class of ``classes`` (default: all of :data:`CLASSES`), the share of the reference shapes detected at
    each peak in ``peak_g`` (g). With ``read``, ``peak_g`` is the peak as the detector reads it (its ``peak_g``,
    :func:`read_factors`): each shape is taken at the true peak that reads so (the share of shapes, among those
    whose peak reads ``peak_g``, that are detected).

    A shape whose R reaches ``kR A`` is detected by R with probability ``Phi((kR A - T_R) / s_R)`` (its
    per-axis noise along the movement's direction); by D when ``kD A`` exceeds D's onset threshold, by B when
    ``kB A`` exceeds B's (``burst_hi_g``; infinite: B not used), and a phasic shape by P when ``kP A`` (P read at the
    sensor's raw rate ``raw_fs_hz``, :func:`pulse_factors`) exceeds P's onset threshold (``pulse_hi_g``; infinite
    or no rate: P not used; the other classes' limit never relies on P).

    >>> p = detection_probability([0.005, 0.5], offset_hi_g=0.01, offset_scale_g=0.002, spread_hi_g=0.02)
    >>> [round(float(v), 2) for v in p["rotation"]]
    [0.0, 1.0]
    """
    given = np.atleast_1d(np.asarray(peak_g, np.float64))[:, None]
    out = {}
    factors, reads = shape_factors(window_s), read_factors() if read else None
    for kind in classes:
        f = factors[kind]
        a = given if reads is None else given / reads[kind][None, :]   # (n, shapes): each shape's true peak
        z = (f[None, :, 0] * a - offset_hi_g) / max(offset_scale_g, 1e-9)
        p_r = 0.5 * special.erfc(-z / np.sqrt(2.0))
        p_d = (f[None, :, 1] * a >= spread_hi_g) | (f[None, :, 2] * a >= burst_hi_g)
        if kind == "phasic" and np.isfinite(pulse_hi_g) and raw_fs_hz:
            p_d |= pulse_factors(round(float(raw_fs_hz), 3))[None, :] * a >= pulse_hi_g
        p_d = p_d.astype(np.float64)
        out[kind] = (1.0 - (1.0 - p_r) * (1.0 - p_d)).mean(axis=1)
    return out


def detection_limit_g(*, offset_hi_g: float, offset_scale_g: float, spread_hi_g: float, window_s: float = 1.0,
                      probability: float = 0.9, burst_hi_g: float = float("inf"), pulse_hi_g: float = float("inf"),
                      raw_fs_hz: float | None = None, classes: tuple[str, ...] = LIMIT_CLASSES) -> float:
    """The smallest LM peak (g, to 0.5 %) that every shape class of ``classes`` reaches with >= ``probability``
    detection (:data:`LIMIT_CLASSES`: the stated limit; :data:`BRIEF_CLASSES`: the limit for brief-pulse LMs).

    >>> round(detection_limit_g(offset_hi_g=0.008, offset_scale_g=0.0015, spread_hi_g=0.012), 3)
    0.035
    """
    def ok(a: float) -> bool:
        p = detection_probability([a], offset_hi_g=offset_hi_g, offset_scale_g=offset_scale_g, spread_hi_g=spread_hi_g,
                                  window_s=window_s, burst_hi_g=burst_hi_g, pulse_hi_g=pulse_hi_g,
                                  raw_fs_hz=raw_fs_hz, classes=classes)   # only the classes asked about
        return all(p[k][0] >= probability for k in classes)

    lo, hi = np.log(1e-3), np.log(20.0)                    # the probability only grows with the peak: bisect
    if not ok(np.exp(hi)):
        return float("inf")
    while hi - lo > 0.005:
        mid = 0.5 * (lo + hi)
        lo, hi = (lo, mid) if ok(np.exp(mid)) else (mid, hi)
    return float(np.exp(hi))
