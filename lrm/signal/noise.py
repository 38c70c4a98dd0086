"""The sensor's own noise, measured from a night's raw samples: white noise per axis and the quantisation step.

A leg-movement detector can only be as sensitive as the sensor is quiet, and it must never mistake the
sensor's noise for movement. Two properties of the raw samples set that limit (issue 11, docs/scoring.md §6):

* **white noise** ``white_g`` (per axis, g): the spread of the samples around their own slow course, measured
  in short still stretches. It includes whatever quantisation noise the sensor's own noise dithers.
* **quantisation step** ``lsb_g`` (g): the smallest step between distinct values. When the white noise is
  small against it (below about half a step), the quantiser stops being dithered: a still leg then sits on
  one level and *toggles* between neighbouring levels whenever its true value drifts across a boundary.
  Those toggles are steps of exactly one LSB that do not average out; :func:`quantisation_swing` bounds them.

Everything is measured from the night itself (no device table): a float export of a 16-bit sensor, a 12-bit
phone sensor rounded to 0.01 m/s^2 and a 10 mg logger all show what they are.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special

__all__ = ["SensorNoise", "estimate_lsb", "estimate_white_noise", "estimate_sensor_noise", "quantisation_swing"]

CHUNK_S = 2.0
"""Length (s) of the raw stretches in which the white noise is measured: long enough for >= 20 samples at
10 Hz, short enough that most stretches of a night hold no movement (LMs last 0.5-10 s, docs/scoring.md §1.2)."""

MAX_CHUNKS = 400
"""At most this many stretches (13 min of data) are measured, spread evenly over the night: the stillest tenth
of them is then 40 stretches, a variance to +-5 %."""

STILL_QUANTILE = 0.1
"""The white noise is read from the stillest tenth of the stretches (see :func:`estimate_white_noise`)."""


@dataclass(frozen=True, slots=True)
class SensorNoise:
    """A leg's measured sensor noise.

    white_g : white noise standard deviation per axis (3,) in g, of the raw samples.
    lsb_g : quantisation step in g (0 when the values are not quantised, e.g. float exports of filtered data).
    fs_hz : the raw sampling rate in Hz the noise was measured at.
    """

    white_g: tuple[float, float, float]
    lsb_g: float
    fs_hz: float

    @property
    def white_max_g(self) -> float:
        """The largest axis's white noise (g): the null distribution's tail follows the noisiest axis."""
        return float(max(self.white_g))

    @property
    def dither_g(self) -> float:
        """The sensor noise without the quantisation noise it carries (g): ``sqrt(white^2 - lsb^2/12)``, >= 0."""
        w2 = self.white_max_g ** 2 - self.lsb_g ** 2 / 12.0
        return float(np.sqrt(max(w2, 0.0)))

    def to_dict(self) -> dict[str, object]:
        return {"white_g": [round(v, 6) for v in self.white_g], "lsb_g": round(self.lsb_g, 6), "fs_hz": self.fs_hz}


def estimate_lsb(accel_g: npt.NDArray[np.floating], *, max_samples: int = 50_000) -> float:
    """Quantisation step (g) of raw samples (n, 3): the typical smallest gap between distinct values.

    Each axis's distinct values (in a sample of at most ``max_samples`` rows) are sorted; the step is the median
    of the 10 smallest gaps above 1e-7 g (float32 resolution near 1 g is 6e-8), pooled over the axes, so a
    few odd values (calibration offsets applied in float) do not hide the grid. 0 when nothing repeats on a
    grid (float data).

    >>> x = np.round(np.random.default_rng(0).normal(0, 0.02, (5000, 3)) / 0.004) * 0.004
    >>> round(estimate_lsb(x.astype(np.float32)), 4)
    0.004
    """
    x = np.asarray(accel_g)
    step = max(1, x.shape[0] // max_samples)
    gaps = []
    for k in range(x.shape[1]):
        # sorted in the samples' own dtype (float32: half the bytes of float64, the same order), the steps taken
        # in float64; repeated values give steps of 0, which the 1e-7 floor drops as np.unique would have
        values = np.sort(x[::step, k]).astype(np.float64)
        d = np.diff(values)
        d = d[d > 1e-7]
        if d.size:
            gaps.append(np.sort(d)[:10])
    if not gaps:
        return 0.0
    return float(np.median(np.concatenate(gaps)))


def _chunk_starts(n: int, length: int, max_chunks: int) -> npt.NDArray[np.int64]:
    count = min(max_chunks, n // length)
    if count < 1:
        return np.zeros(0, np.int64)
    return np.linspace(0, n - length, count).astype(np.int64)


def estimate_white_noise(accel_g: npt.NDArray[np.floating], *, fs_hz: float) -> tuple[float, float, float]:
    """White noise per axis (3,) in g of raw samples (n, 3) at ``fs_hz`` Hz.

    In each of up to :data:`MAX_CHUNKS` stretches of :data:`CHUNK_S` s spread over the night, the samples'
    variance around a straight line (their slow course: gravity and drift) is taken per axis. The night's
    value is the :data:`STILL_QUANTILE` of those variances divided by the same quantile of white noise's
    (a chi-square with the stretch's degrees of freedom): unbiased for a still sensor, and unaffected by
    movement as long as a tenth of the stretches are still (a night in bed moves in a few % of its time,
    docs/scoring.md §2.4; a recording of walking may move most of the time). Including everything above ~0.5 Hz,
    it also captures noise that the sensor's own low-pass filter has coloured (whose fewer degrees of freedom
    make this a slight underestimate; the detector's measured null covers that).

    >>> x = np.random.default_rng(1).normal(0, 0.005, (60_000, 3)).astype(np.float32)
    >>> [round(v, 4) for v in estimate_white_noise(x, fs_hz=100.0)]
    [0.005, 0.005, 0.005]
    """
    x = np.asarray(accel_g, dtype=np.float32)
    length = max(8, int(round(CHUNK_S * fs_hz)))
    starts = _chunk_starts(x.shape[0], length, MAX_CHUNKS)
    if starts.size == 0:
        return (0.0, 0.0, 0.0)
    seg = x[starts[:, None] + np.arange(length)]                              # (k, length, 3) float32
    u = np.linspace(-1.0, 1.0, length, dtype=np.float32)
    seg = seg - seg.mean(axis=1, keepdims=True)          # float32: the residuals are mg against 1 g removed here
    slope = np.einsum("j,kjc->kc", u, seg) / np.float32(u @ u)
    # residual sum of squares of the line fit: sum(seg^2) - slope^2 sum(u^2)
    dof = length - 2
    var = (np.einsum("kjc,kjc->kc", seg, seg) - slope ** 2 * np.float32(u @ u)).astype(np.float64) / dof
    var = np.maximum(var, 0.0)                                               # (k, 3)
    white_quantile = float(special.chdtri(dof, 1.0 - STILL_QUANTILE)) / dof   # of chi2(dof) / dof
    still = np.quantile(var, STILL_QUANTILE, axis=0) / white_quantile
    return tuple(float(v) for v in np.sqrt(still))                           # type: ignore[return-value]


def estimate_sensor_noise(accel_g: npt.NDArray[np.floating], *, fs_hz: float) -> SensorNoise:
    """White noise per axis and quantisation step of one leg's raw samples (n, 3) in g at ``fs_hz`` Hz."""
    return SensorNoise(estimate_white_noise(accel_g, fs_hz=fs_hz), estimate_lsb(accel_g), float(fs_hz))


def quantisation_swing(noise: SensorNoise) -> float:
    """Largest systematic error (g) quantisation can add to a local mean of one axis, peak to peak.

    A quantiser of step q reads a constant value x as ``Q(x)``; with Gaussian noise of standard deviation s
    in front of it, the mean reading is x plus a periodic bias whose Fourier series is
    ``sum_k (q / (pi k)) (-1)^k exp(-2 pi^2 k^2 s^2 / q^2) sin(2 pi k x / q)`` (Widrow & Kollar,
    *Quantization Noise*, 2008, ch. 2 and 5). Its peak-to-peak swing, ``(2 q / pi) sum_k exp(...) / k`` capped
    at one step, is what a still leg's mean can jump by when its true value drifts across a level boundary:
    a full LSB when the noise is far below the step (the "1-2 LSB toggles"), nothing once the noise exceeds
    about half a step (the noise dithers the quantiser and the toggles average out).

    >>> round(quantisation_swing(SensorNoise((0.0, 0.0, 0.0), 0.01, 64.0)), 4)
    0.01
    >>> quantisation_swing(SensorNoise((0.009, 0.009, 0.009), 0.01, 64.0)) < 1e-4
    True
    """
    q = noise.lsb_g
    if q <= 0:
        return 0.0
    r = noise.dither_g / q
    k = np.arange(1, 21)
    swing = (2.0 / np.pi) * float(np.sum(np.exp(-2.0 * np.pi ** 2 * k ** 2 * r ** 2) / k))
    return q * min(1.0, swing)
