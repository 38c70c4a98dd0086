"""Plain-language sentences for the night report: what was found, what it means, what it does not mean.

Everything here works on the ``summary.json`` mapping (any key may be missing or ``null``: the
sentences then say less, never crash). Clinical numbers are taken from docs/scoring.md:

- cut-off: a PLM index above 15 per hour is elevated in adults (ICSD-3; docs/scoring.md §2.2);
- many healthy sleepers exceed it too: 18 of 100 strictly selected healthy sleepers had > 15/h
  (Frauscher et al., *Sleep* 2014; docs/scoring.md §2.3);
- night-to-night variability: in 20 RLS patients recorded for 10-15 nights the lowest and highest
  night of a person differed by 25.1/h on average (range 3.9-73.8); a single night exceeded 15/h
  on 34.1% of nights, while over 5 nights 62.7% exceeded it at least once (*Sleep Med* 2009;
  docs/scoring.md §2.6);
- hypnic jerks (sleep starts) are an ICSD-3 "normal variant", 60-70% of people have them
  (docs/scoring.md §3.1);
- children: the ICSD-3 limit is 5 per hour (docs/scoring.md §1.3, §2.2; :mod:`lrm.report.subject`).

The wording follows the input: a night analysed from ankle accelerometers speaks of a motion sensor; a
night of technician-scored PSG events (``lrm score-events``) speaks of EMG scoring and makes no claim about
hypnic jerks, which lrm cannot test without a movement signal.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

__all__ = [
    "ELEVATED_PLM_INDEX",
    "EMG_SCORED",
    "JERKS_NOT_ASSESSED",
    "Findings",
    "as_number",
    "classify_index",
    "missed_share_text",
    "index_may_be_higher",
    "render_findings",
    "render_multi_night_findings",
]

ELEVATED_PLM_INDEX = 15.0
"""PLM index (per hour) above which an adult's value is called elevated (ICSD-3; docs/scoring.md §2.2)."""

Level = Literal["low", "borderline", "elevated", "unknown"]

NOT_A_DIAGNOSIS = (
    "This report is not a diagnosis. A motion sensor at the ankle sees movement, not muscle activity, "
    "brain waves or breathing: it cannot tell light sleep from quiet wake, and it cannot exclude leg "
    "movements caused by breathing pauses (these raise the index in people with sleep apnoea). Sleep "
    "clinics diagnose periodic limb movement disorder from a sleep study together with symptoms."
)

EMG_SCORED = (
    "This report is not a diagnosis on its own. The leg movements were scored by a sleep technician from the "
    "leg-muscle (EMG) channels of a sleep study, and lrm counted them under the stated rules; whether they "
    "matter is decided by a sleep physician together with the person's symptoms and the rest of the study."
)

JERKS_NOT_ASSESSED = (
    "Hypnic jerks were not assessed: this night holds the technician's scored leg movements only, without a "
    "movement signal from which lrm could tell a sleep start from a leg movement."
)

NIGHTS_VARY = (
    "A single night varies a lot. In 20 people with restless legs who wore an ankle sensor for 10 to "
    "15 nights, each person's lowest and highest night differed by 25 per hour on average (from 4 to "
    "74 per hour); one night was above 15 per hour on only 34% of nights, but over five nights 63% of "
    "people went above it at least once (Sleep Medicine 2009). Record several nights before drawing "
    "conclusions, and show the multi-night report to your doctor."
)

SEE_A_DOCTOR = (
    "See a doctor if you have an urge to move your legs in the evening or at night that eases when you "
    "move (restless legs), if you often wake unrefreshed or are very sleepy during the day, if a bed "
    "partner notices frequent kicking, loud snoring or pauses in breathing, or if jerks at sleep onset "
    "are so strong or frequent that they keep you from falling asleep. Bring the reports of several nights."
)

HYPNIC_JERK_MEANING = (
    "Hypnic jerks (sleep starts) are sudden single jerks while falling asleep, sometimes with a feeling of "
    "falling; 60-70% of people have them, and sleep medicine classes them as a harmless normal variant."
)


@dataclass(frozen=True)
class Findings:
    """The plain-language part of a night report.

    ``index_per_h`` is the headline index in movements per hour (``None`` when unknown) and
    ``index_basis`` says per hour of what ("in bed" or "of sleep"). ``probably_too_low``: a leg's estimated share
    of LMs below its detection limit is above the note level (:func:`index_may_be_higher`), so a ``level`` of
    "low" or "borderline" is what was detected, not a verdict.
    """

    level: Level
    index_per_h: float | None
    index_basis: str
    headline: str
    sentences: tuple[str, ...]
    hypnic_jerks: str
    caveats: tuple[str, ...]
    see_a_doctor: str
    probably_too_low: bool = False

    @property
    def shown_level(self) -> str:
        """The level the headline is coloured by: "unknown" for a low or borderline index that is probably too low."""
        return "unknown" if self.probably_too_low and self.level in ("low", "borderline") else self.level


def as_number(value: Any) -> float | None:
    """``value`` as a finite float, or ``None`` for null, NaN, text or anything else.

    >>> as_number("3"), as_number(None), as_number(float("nan")), as_number(2)
    (None, None, None, 2.0)
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def classify_index(index_per_h: float | None, limit_per_h: float = ELEVATED_PLM_INDEX) -> Level:
    """Where a PLM index (per hour) falls against ``limit_per_h`` (15/h adults, 5/h children): low (up to a
    third of the limit), borderline (up to the limit), elevated (above it), unknown.

    >>> [classify_index(v) for v in (2.0, 15.0, 15.1, None)], classify_index(6.0, 5.0)
    (['low', 'borderline', 'elevated', 'unknown'], 'elevated')
    """
    if index_per_h is None:
        return "unknown"
    if index_per_h > limit_per_h:
        return "elevated"
    return "borderline" if index_per_h > limit_per_h / 3 else "low"


def _fmt(value: float | None, digits: int = 1) -> str:
    return "unknown" if value is None else f"{value:.{digits}f}"


def _count(summary: Mapping[str, Any], key: str) -> int | None:
    value = as_number(summary.get(key))
    return None if value is None else int(round(value))


def _headline_index(summary: Mapping[str, Any]) -> tuple[float | None, str]:
    """The PLMS index per hour of sleep when a hypnogram gave sleep time, else the PLM index per hour in bed."""
    plms = as_number(summary.get("plms_index"))
    if plms is not None and as_number(summary.get("total_sleep_time_h")):
        return plms, "of sleep"
    return as_number(summary.get("plm_index")), "in bed"


def _limit_text(limit_per_h: float, group: str) -> str:
    return f"{limit_per_h:g} per hour, the limit sleep clinics use for {'children' if group == 'child' else 'adults'}"


def _level_sentence(level: Level, basis: str, limit_per_h: float, group: str) -> str:
    limit = _limit_text(limit_per_h, group)
    if level == "elevated":
        common = (" It is common: in one study 18 of 100 healthy sleepers without complaints were above it too."
                  if group != "child" else "")
        return f"That is above {limit}.{common} It matters mainly if you also sleep badly or feel tired by day."
    if level == "borderline":
        return f"That is not above {limit}; many healthy sleepers have values in this range."
    if level == "low":
        return f"That is well below {limit}."
    return f"The PLM index per hour {basis} could not be computed for this night (see data quality below)."


def _hypnic_sentence(count: int | None) -> str:
    if count is None:
        return HYPNIC_JERK_MEANING
    if count == 0:
        found = "No movement looked like a hypnic jerk."
    else:
        if count == 1:
            found = "1 movement looked like a hypnic jerk and was not counted as a PLM."
        else:
            found = f"{count} movements looked like hypnic jerks and were not counted as PLMs."
    return f"{found} {HYPNIC_JERK_MEANING}"


def missed_share_text(estimate: Any, share_range: Any) -> str:
    """A leg's estimated share of LMs below its detection limit (``LegQuality.missed_share_estimate`` and
    ``missed_share_range``, 0-1) as text; "not estimated" when there is none.

    >>> missed_share_text(0.31, (0.22, 0.42)), missed_share_text(0.6, [0.5, None]), missed_share_text(None, None)
    ('31 % (90 % range 22-42 %)', '60 % (at least 50 %; no upper bound can be stated)', 'not estimated')
    >>> missed_share_text(0.001, (0.0, 0.004))
    'none (under 1 %)'
    """
    value = as_number(estimate)
    if value is None:
        return "not estimated"
    low, high = (list(share_range) + [None, None])[:2] if isinstance(share_range, Sequence) else (None, None)
    low, high = as_number(low), as_number(high)
    if low is None:
        return f"{100 * value:.0f} %"
    if high is None:
        return f"{100 * value:.0f} % (at least {100 * low:.0f} %; no upper bound can be stated)"
    if high < 0.005:
        return "none (under 1 %)"
    return f"{100 * value:.0f} % (90 % range {100 * low:.0f}-{100 * high:.0f} %)"


def _missed_share_note(summary: Mapping[str, Any]) -> float:
    """The night's ``DetectParams.missed_share_note`` (from its ``params``; the default without them)."""
    from lrm.params import DetectParams

    params = summary.get("params")
    detect = params.get("detect") if isinstance(params, Mapping) else None
    value = as_number(detect.get("missed_share_note")) if isinstance(detect, Mapping) else None
    return DetectParams().missed_share_note if value is None else value


def _flagged_legs(summary: Mapping[str, Any], above: float) -> list[tuple[str, float, Any]]:
    """(side, estimated share, its range) of the legs whose estimated share of LMs below detection exceeds
    ``above`` (0-1)."""
    quality = summary.get("quality")
    if not isinstance(quality, Mapping):
        return []
    out = []
    for side, q in quality.items():
        value = as_number(q.get("missed_share_estimate")) if isinstance(q, Mapping) else None
        if value is not None and value > above:
            out.append((side, value, q.get("missed_share_range")))
    return out


def _missed_legs(summary: Mapping[str, Any], above: float) -> str:
    """The legs whose estimated share of LMs below detection exceeds ``above`` (0-1), as text
    ("on the left leg 31 % (90 % range 22-42 %)"); empty when none does."""
    return ", ".join(f"on the {side} leg {missed_share_text(value, share_range)}"
                     for side, value, share_range in _flagged_legs(summary, above))


def index_may_be_higher(summary: Mapping[str, Any]) -> bool:
    """True when a leg's estimated share of LMs below its detection limit exceeds the night's
    ``DetectParams.missed_share_note``: the indices as detected are then probably too low, and a value below a
    clinical limit cannot be read as "within" it (docs/validation.md, "Is the near-limit warning calibrated?")."""
    return bool(_flagged_legs(summary, _missed_share_note(summary)))


def _detection_limits(summary: Mapping[str, Any], key: str = "detection_limit_g") -> str:
    """The legs' detection limits (``key``: ``detection_limit_g`` or ``detection_limit_brief_g``) as text
    ("25 mg (left), 31 mg (right)"); empty when none is stated."""
    quality = summary.get("quality")
    if not isinstance(quality, Mapping):
        return ""
    parts = []
    for side, q in quality.items():
        limit = as_number(q.get(key)) if isinstance(q, Mapping) else None
        if limit is not None:
            parts.append(f"{1000 * limit:.0f} mg ({side})")
    return ", ".join(parts)


def render_findings(summary: Mapping[str, Any], *, scored_events: bool = False, limit_per_h: float = ELEVATED_PLM_INDEX,
                    group: str = "adult", imi_range_s: tuple[float, float] = (10.0, 90.0)) -> Findings:
    """The headline and plain-language sentences for one night's ``summary.json`` mapping.

    ``scored_events``: the night is technician-scored PSG events (EMG wording, no hypnic-jerk claim);
    ``limit_per_h`` and ``group``: the norm (15/h "adult", 5/h "child"); ``imi_range_s``: the rule set's
    periodic interval range in s.
    """
    index, basis = _headline_index(summary)
    level = classify_index(index, limit_per_h)
    plm_count = _count(summary, "plms_count" if basis == "of sleep" else "plm_count")
    hours = as_number(summary.get("total_sleep_time_h" if basis == "of sleep" else "time_in_bed_h"))
    headline = "PLM index: not available" if index is None else f"PLM index {index:.1f} per hour {basis}"
    sentences: list[str] = []
    if plm_count is not None and hours is not None and index is not None:
        noun = "movement" if plm_count == 1 else "movements"
        sentences.append(
            f"This night had {plm_count} periodic limb {noun} (PLMs: leg movements that repeat every "
            f"{imi_range_s[0]:g} to {imi_range_s[1]:g} seconds, at least four in a row) in {hours:.1f} hours "
            f"{basis}: {index:.1f} per hour."
        )
    level_text = _level_sentence(level, basis, limit_per_h, group)
    too_low = not scored_events and index_may_be_higher(summary)
    if level in ("low", "borderline") and too_low:
        level_text = (f"As detected, that is below {_limit_text(limit_per_h, group)}, but it is probably too low: many of the leg movements may "
                      "have been too small for the sensor (see below), so the true index may be above that limit.")
    sentences.append(level_text)
    plm_index_bed = as_number(summary.get("plm_index"))
    if basis == "of sleep" and plm_index_bed is not None:
        sentences.append(f"Counted per hour in bed instead, it is {plm_index_bed:.1f} per hour.")
    elif basis == "in bed" and index is not None:
        sentences.append(
            "No sleep stages were given, so the index is per hour in bed, including time awake; clinical "
            "limits are defined per hour of sleep."
        )
    periodicity = as_number(summary.get("periodicity_index"))
    if periodicity is not None and (plm_count or 0) > 0:
        sentences.append(
            f"The periodicity index is {periodicity:.2f}: the share of intervals between movements that belong "
            "to runs of 10 to 90 s intervals. Values near 1 mean strongly periodic movements, as is typical of "
            "restless legs."
        )
    if summary.get("rest_period_source") == "posture":  # docs/validation.md, "Time in bed on independent nights"
        sentences.append(
            "Lights out and lights on were found from the legs' posture. An ankle sensor sees the lower leg, not the "
            "body, so time lying on a sofa before bed or sitting up in bed with the legs stretched out counts as in "
            "bed. If you know when the lights went out and on, give those times."
        )
    if summary.get("rest_period_source") == "none":
        sentences.append(
            "lrm found no period lying down in this recording (see the warnings for why), so there is no time in "
            "bed to divide by and no index was computed. If the person was in bed, give the times of lights out "
            "and lights on."
        )
    limits = _detection_limits(summary)
    if limits:
        sentences.append(
            f"The smallest leg movement this night's sensor{'s' if ', ' in limits else ''} detected reliably "
            f"(90% of the time) changed the leg's acceleration by about {limits} at its peak; smaller movements may have been "
            "missed, so with small movements the index can be too low."
        )
        missed = _missed_legs(summary, _missed_share_note(summary))
        if missed:
            sentences.append(f"An estimated share of the leg movements was smaller than the sensor detects ({missed}, "
                             "judged from the sizes of those it found): the indices are probably too low; the warnings "
                             "say how far they could reach.")
        brief = _detection_limits(summary, "detection_limit_brief_g")
        if brief:
            sentences.append(f"Brief twitch-like movements (quick pulses of 80-300 ms with little turn of the leg) "
                             f"need more: about {brief}.")
    return Findings(
        level=level,
        index_per_h=index,
        index_basis=basis,
        headline=headline,
        sentences=tuple(sentences),
        hypnic_jerks=JERKS_NOT_ASSESSED if scored_events else _hypnic_sentence(_count(summary, "hypnic_jerk_count")),
        caveats=(EMG_SCORED if scored_events else NOT_A_DIAGNOSIS, NIGHTS_VARY),
        see_a_doctor=SEE_A_DOCTOR,
        probably_too_low=too_low,
    )


def render_multi_night_findings(indices_per_h: Sequence[float | None], *, limit_per_h: float = ELEVATED_PLM_INDEX,
                                what: str = "PLM index") -> tuple[str, ...]:
    """Sentences on several nights' indices (per hour): median, range, nights above ``limit_per_h``.

    >>> render_multi_night_findings([10.0, 20.0])[0]
    'Over 2 nights the PLM index was 10.0 to 20.0 per hour (median 15.0, mean 15.0).'
    """
    known = [v for v in (as_number(i) for i in indices_per_h) if v is not None]
    if not known:
        return (f"No night had a {what} that could be computed.",)
    nights = f"{len(known)} night{'s' if len(known) != 1 else ''}"
    ordered = sorted(known)
    mid = len(ordered) // 2
    median = ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2
    if len(known) == 1:
        sentences = [f"The one night with a {what} had {known[0]:.1f} per hour."]
    else:
        sentences = [f"Over {nights} the {what} was {min(known):.1f} to {max(known):.1f} per hour "
                     f"(median {median:.1f}, mean {sum(known) / len(known):.1f})."]
    above = sum(v > limit_per_h for v in known)
    limit = f"{limit_per_h:g} per hour, the limit sleep clinics use for {'children' if limit_per_h < ELEVATED_PLM_INDEX else 'adults'}"
    if len(known) == 1:
        sentences.append(f"It was {'above' if above else 'not above'} {limit}; one night says little.")
    else:
        sentences.append(f"{above} of {nights} {'was' if above == 1 else 'were'} above {limit_per_h:g} per hour "
                         f"({100 * above / len(known):.0f}%), the limit sleep clinics use for "
                         f"{'children' if limit_per_h < ELEVATED_PLM_INDEX else 'adults'}.")
    if len(known) < len(indices_per_h):
        missing = len(indices_per_h) - len(known)
        gone = f"1 night had no {what} and is" if missing == 1 else f"{missing} nights had no {what} and are"
        sentences.append(f"{gone} left out of these numbers.")
    return tuple(sentences)
