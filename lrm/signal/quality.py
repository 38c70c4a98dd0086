"""Per-leg data quality: coverage, gaps, clipping, sample rate and the clock correction applied."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass

from lrm.signal.align import ClockFit
from lrm.signal.missed import MissedShare
from lrm.signal.prepare import PreparedLeg

__all__ = ["LegQuality", "leg_quality", "MIN_COVERAGE_PCT", "MAX_CLIPPING_PCT", "MAX_FILLED_PCT"]

MIN_COVERAGE_PCT = 80.0
"""A leg whose valid data cover less of the recording (%) is warned about."""
MAX_CLIPPING_PCT = 0.1
"""A leg with more of its axis values (%) at the sensor's full scale is warned about."""
MAX_FILLED_PCT = 10.0
"""A leg with more of the recording (%) not recorded but filled by the reader (ActiGraph idle sleep: the last
sample repeated while the device slept) is warned about. A sleeping device wakes only for movements above its
own wake threshold, so a smaller LM there is never seen: a tenth of the night unseen can lower an index by up
to a tenth, 15/h read as 13.5/h, across the usual clinical cut-off (docs/scoring.md §2.3). The coverage (which
leaves filled seconds out) states any smaller share."""


@dataclass(frozen=True, slots=True)
class LegQuality:
    """Data quality of one leg.

    coverage_pct : % of the recording (first to last sample over both legs) with valid data on this leg.
    gap_count, gap_total_s : gaps longer than the gap threshold (s), never interpolated across.
    clipping_pct : % of axis values at the declared full scale; None when the range is unknown.
    fs_hz : effective raw sampling rate (samples per covered second).
    clock_offset_s, clock_drift_ppm : correction applied to align this leg with the first (0 for it).
    clock_residual_s : RMS residual of the alignment (s); None when not estimated.
    clock_drift_sd_ppm : standard error of ``clock_drift_ppm`` (ppm), from the window lags' scatter about the line;
        None when no drift was fitted (one leg, or too short a night: ``lrm.signal.align``). A drift held at the
        +-200 ppm bound keeps the free fit's error.
    repairs : what was repaired in the timestamps or values.
    warnings : data-quality warnings raised for this leg.
    detection_limit_g : the smallest LM peak (g) detected with >= 90 % probability on this leg over the time in
        bed (the whole recording without one), from its measured noise (``lrm.signal.limit``; LM peak = the
        largest deviation of the acceleration from the leg's resting vector during the movement); None when
        not computed. It holds for LMs with a turn of the leg in them (``lrm.signal.limit.LIMIT_CLASSES``).
    detection_limit_brief_g : the same for brief-pulse LMs (2-6 flexion pulses of 80-300 ms with little turn of
        the leg, ``lrm.signal.limit.BRIEF_CLASSES``), about 4x ``detection_limit_g`` (a conservative bound,
        docs/validation.md "Brief-pulse LMs"); None when not computed.
    missed_share_estimate : the estimated share (0-1) of the leg's LMs in the analysis period too small for it to
        detect (a log-normal fit to its detected LMs' peaks with its detection curve, ``lrm.signal.missed``); None
        with fewer than 10 LMs or no limit. Never used to correct an index.
    missed_share_range : (low, high) of that share, its 90 % profile-likelihood range over the log-normal and the
        other size-distribution shapes the peaks allow (generalized gamma in ln size, since 2026-12-05); high None
        when the best fit misses half of the LMs or more, or an allowed shape misses them all (how many lie far below
        the limit cannot then be bounded).
    noise_g : the raw samples' white noise, standard deviation of the noisiest axis in g (``lrm.signal.noise``).
    lsb_g : the raw samples' quantisation step in g (0 when not quantised).
    """

    side: str
    source: str
    coverage_pct: float
    gap_count: int
    gap_total_s: float
    clipping_pct: float | None
    fs_hz: float
    clock_offset_s: float = 0.0
    clock_drift_ppm: float = 0.0
    clock_residual_s: float | None = None
    repairs: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    detection_limit_g: float | None = None
    noise_g: float | None = None
    lsb_g: float | None = None
    detection_limit_brief_g: float | None = None
    clock_drift_sd_ppm: float | None = None
    missed_share_estimate: float | None = None
    missed_share_range: tuple[float, float | None] | None = None

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["repairs"], d["warnings"] = list(self.repairs), list(self.warnings)
        d["missed_share_range"] = None if self.missed_share_range is None else list(self.missed_share_range)
        return d


def leg_quality(prepared: Mapping[str, PreparedLeg], fit: ClockFit,
                limits: Mapping[str, float | None] | None = None,
                brief_limits: Mapping[str, float | None] | None = None,
                missed: Mapping[str, MissedShare | None] | None = None) -> dict[str, LegQuality]:
    """Data quality per leg (in ``prepared``'s order) with its warnings; ``fit`` is the second leg's clock,
    ``limits`` each leg's detection limit in g (``lrm.signal.detect.detection_limit_g``), ``brief_limits`` its
    limit for brief-pulse LMs in g (the same with ``brief=True``), ``missed`` its estimated share of LMs below
    detection (``lrm.signal.missed.estimate_missed_share``)."""
    out = {}
    limits, brief_limits, missed = limits or {}, brief_limits or {}, missed or {}
    for k, (side, p) in enumerate(prepared.items()):
        gaps = p.gaps_s
        warn = []
        if p.coverage_pct < MIN_COVERAGE_PCT:
            warn.append(f"data cover only {p.coverage_pct:.0f}% of the recording")
        if p.filled_pct > MAX_FILLED_PCT:
            warn.append(f"{p.filled_pct:.0f}% of the recording was not recorded (the device slept while still) and "
                        "holds its last sample repeated: LMs too small to wake it were not seen there; noise and "
                        "detection limit are measured on the recorded samples")
        if p.clipping_pct is not None and p.clipping_pct > MAX_CLIPPING_PCT:
            warn.append(f"{p.clipping_pct:.2f}% of values clipped at the sensor's range")
        second = k == 1
        out[side] = LegQuality(
            side=side, source=p.source, coverage_pct=round(p.coverage_pct, 2), gap_count=int(gaps.shape[0]),
            gap_total_s=float((gaps[:, 1] - gaps[:, 0]).sum()) if gaps.size else 0.0, clipping_pct=p.clipping_pct,
            fs_hz=round(p.raw_fs_hz, 3),
            clock_offset_s=fit.offset_s if second else 0.0, clock_drift_ppm=fit.drift_ppm if second else 0.0,
            clock_residual_s=fit.residual_s if second else None, repairs=p.repairs, warnings=tuple(warn),
            detection_limit_g=limits.get(side), noise_g=None if p.noise is None else round(p.noise.white_max_g, 5),
            lsb_g=None if p.noise is None else round(p.noise.lsb_g, 6), detection_limit_brief_g=brief_limits.get(side),
            clock_drift_sd_ppm=None if not second or fit.drift_sd_ppm is None else round(fit.drift_sd_ppm, 1),
            missed_share_estimate=None if (m := missed.get(side)) is None else m.estimate,
            missed_share_range=None if m is None else (m.low, m.high),
        )
    return out
