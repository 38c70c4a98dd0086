"""The numbers of each scoring standard, in one frozen :class:`RuleSet` per standard.

Every field cites the step of ``docs/scoring.md`` (the rules as lrm implements them, §1.2 for WASM 2016, §1.3 for
AASM) that it implements. Times are in seconds. Comparisons of float seconds are made at a resolution
of 1 µs (values are rounded to 6 decimals first), so a 10.000 s IMI is exactly 10 s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final, Literal

__all__ = ["RuleSet", "WASM2016", "AASM", "RULESET_NAMES", "get_ruleset", "TIME_DECIMALS", "PI_IMI_MIN_S",
           "PI_IMI_MAX_S", "PI_MIN_RUN"]

#: float seconds are rounded to this many decimals (1 µs) before any rule comparison
TIME_DECIMALS: Final = 6

#: Ferri's periodicity index (docs/scoring.md §2.1; Ferri et al., Sleep 2006;29:759-69) has fixed limits
#: whatever the rule set, so it compares across studies: 10 < IMI <= 90 s, >= 3 such intervals in a row.
PI_IMI_MIN_S: Final = 10.0   # exclusive
PI_IMI_MAX_S: Final = 90.0   # inclusive
PI_MIN_RUN: Final = 3

RuleSetName = Literal["wasm2016", "aasm"]


@dataclass(frozen=True, slots=True)
class RuleSet:
    """The numeric rules of one leg-movement scoring standard (all times in s).

    Attributes
    ----------
    name : str
        ``"wasm2016"`` or ``"aasm"``.
    merge_gap_s : float
        Same-leg LMs whose offset-to-onset gap is < this merge into one (§1.2 step 1; PLMScoRe ``lm_unil``).
    min_lm_s : float
        LMs shorter than this are dropped: not counted, never break a series (§1.2 step 2).
    max_clm_one_leg_s : float
        A single-leg LM longer than this is a non-CLM; it stays and breaks series (§1.2 step 3).
    bilateral_gap_s : float | None
        WASM: LMs of the two legs join if they overlap or the gap is < this; chaining allowed (§1.2 step 4).
        None under AASM.
    bilateral_onset_window_s : float | None
        AASM: LMs of the two legs whose onsets are < this apart count as one (§1.3). None under WASM.
    max_clm_bilateral_s : float
        A bilateral LM longer than this is a non-CLM (§1.2 step 4; no AASM limit: inf).
    max_components : float
        A bilateral LM made of more single-leg LMs than this is a non-CLM (§1.2 step 4; AASM: inf).
    imi_min_s, imi_max_s : float
        Inclusive onset-to-onset IMI limits that link two CLMs into a series (§1.2 step 7; AASM 5-90 s §1.3).
    min_series_len : int
        Minimum number of consecutive CLMs in a PLM series (§1.2 step 7).
    resp_anchor : {"end", "event"}
        Respiratory window: around the end of the respiratory event (WASM, §1.2 step 10) or around the
        whole event (AASM: "from 0.5 s before to 0.5 s after" the event, §1.1).
    resp_before_s, resp_after_s : float
        The window is [anchor_start - before, end + after]: WASM [end - 2.0, end + 10.25] s; AASM
        [onset - 0.5, end + 0.5] s. A CLM with any part inside it is a CLMr.
    arousal_gap_s : float
        A PLM and an arousal are associated if they overlap or the gap between them (either order) is
        < this (§1.1, arousal association, both standards).
    """

    name: str
    merge_gap_s: float = 0.5
    min_lm_s: float = 0.5
    max_clm_one_leg_s: float = 10.0
    bilateral_gap_s: float | None = 0.5
    bilateral_onset_window_s: float | None = None
    max_clm_bilateral_s: float = 15.0
    max_components: float = 4
    imi_min_s: float = 10.0
    imi_max_s: float = 90.0
    min_series_len: int = 4
    resp_anchor: Literal["end", "event"] = "end"
    resp_before_s: float = 2.0
    resp_after_s: float = 10.25
    arousal_gap_s: float = 0.5

    def __post_init__(self) -> None:
        if (self.bilateral_gap_s is None) == (self.bilateral_onset_window_s is None):
            raise ValueError("set exactly one of bilateral_gap_s and bilateral_onset_window_s")
        if not 0 < self.imi_min_s <= self.imi_max_s:
            raise ValueError(f"need 0 < imi_min_s <= imi_max_s, got {self.imi_min_s}, {self.imi_max_s}")
        if self.min_series_len < 2:
            raise ValueError(f"min_series_len must be >= 2, got {self.min_series_len}")

    def describe(self) -> str:
        """One line naming the standard and its key numbers (for reports)."""
        bil = (
            f"bilateral if overlap or gap < {self.bilateral_gap_s:g} s"
            if self.bilateral_gap_s is not None
            else f"bilateral if onsets < {self.bilateral_onset_window_s:g} s apart"
        )
        resp = (
            f"CLMr window [end-{self.resp_before_s:g}, end+{self.resp_after_s:g}] s"
            if self.resp_anchor == "end"
            else f"CLMr window [onset-{self.resp_before_s:g}, end+{self.resp_after_s:g}] s"
        )
        return (
            f"{self.name}: LM >= {self.min_lm_s:g} s, CLM <= {self.max_clm_one_leg_s:g} s one leg, {bil}, "
            f"IMI {self.imi_min_s:g}-{self.imi_max_s:g} s, >= {self.min_series_len} CLMs per series, {resp}"
        )


#: WASM 2016 (Ferri et al. 2016), docs/scoring.md §1.2 as implemented by PLMScoRe.
WASM2016: Final = RuleSet("wasm2016")

#: AASM (2007 / 2.x), docs/scoring.md §1.3: IMI 5-90 s, legs combined when onsets < 5 s apart, no bilateral
#: duration or component limit, respiratory exclusion 0.5 s either side of the event.
AASM: Final = RuleSet(
    "aasm",
    bilateral_gap_s=None,
    bilateral_onset_window_s=5.0,
    max_clm_bilateral_s=math.inf,
    max_components=math.inf,
    imi_min_s=5.0,
    resp_anchor="event",
    resp_before_s=0.5,
    resp_after_s=0.5,
)

RULESET_NAMES: Final = ("wasm2016", "aasm")


def get_ruleset(name: RuleSetName | RuleSet) -> RuleSet:
    """Return the rule set called ``name`` (``"wasm2016"`` or ``"aasm"``); a RuleSet is returned as is.

    >>> get_ruleset("aasm").imi_min_s
    5.0
    """
    if isinstance(name, RuleSet):
        return name
    if name == "wasm2016":
        return WASM2016
    if name == "aasm":
        return AASM
    raise ValueError(f"unknown rule set {name!r}; use one of {', '.join(RULESET_NAMES)}")
