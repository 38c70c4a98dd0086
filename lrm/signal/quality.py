"""Per-leg data quality: coverage, gaps, clipping, sample rate and the clock correction applied."""

from __future__ import annotations

from dataclasses import asdict, dataclass

__all__ = ["LegQuality"]


@dataclass(frozen=True, slots=True)
class LegQuality:
    """Data quality of one leg.

    coverage_pct : % of the recording (first to last sample over both legs) with valid data on this leg.
    gap_count, gap_total_s : gaps longer than the gap threshold (s), never interpolated across.
    clipping_pct : % of axis values at the declared full scale; None when the range is unknown.
    fs_hz : effective raw sampling rate (samples per covered second).
    clock_offset_s, clock_drift_ppm : correction applied to align this leg with the first (0 for it).
    clock_residual_s : RMS residual of the alignment (s); None when not estimated.
    repairs : what was repaired in the timestamps or values.
    warnings : data-quality warnings raised for this leg.
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

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["repairs"], d["warnings"] = list(self.repairs), list(self.warnings)
        return d
