"""Who the report is about: the subject's ID, date of birth or age, and the PLM norm that follows from it.

ICSD-3 sets the PLMS index above which periodic limb movement disorder may be considered at 15/h in adults
and 5/h in children (docs/scoring.md §1.3, §2.2). The report compares the night's index with the norm of the
subject's age at the night's date: from ``--dob`` (date of birth) or ``--age`` (years); with neither, the
adult norm is used and the report says that the age was not given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from lrm.errors import InputError

__all__ = ["ReportSubject", "Norm", "ADULT_PLMS_INDEX", "CHILD_PLMS_INDEX", "ADULT_AGE_Y", "parse_dob", "parse_age"]

ADULT_PLMS_INDEX = 15.0
"""PLMS index (/h) above which an adult's value is elevated (ICSD-3; docs/scoring.md §2.2)."""
CHILD_PLMS_INDEX = 5.0
"""PLMS index (/h) above which a child's value is elevated (ICSD-3; docs/scoring.md §2.2)."""
ADULT_AGE_Y = 18
"""Age in years from which the adult norm applies."""


@dataclass(frozen=True, slots=True)
class Norm:
    """The PLM index limit (/h) that applies, and to whom ("adult", "child", or adult with the age unknown)."""

    limit_per_h: float
    group: str          # "adult" | "child"
    age_known: bool

    @property
    def text(self) -> str:
        """E.g. "15/h (adult)", "5/h (child)", "15/h (adult; age not given)"."""
        return f"{self.limit_per_h:g}/h ({self.group}{'' if self.age_known else '; age not given'})"


@dataclass(frozen=True, slots=True)
class ReportSubject:
    """The subject as the report names them.

    subject : ID (``--subject``, else the recording's own); empty when unknown.
    dob : date of birth, or None.
    age_y : age in years given directly (``--age``), or None; ``dob`` wins when both are given.
    """

    subject: str = ""
    dob: date | None = None
    age_y: float | None = None

    def age_at(self, day: date | None) -> float | None:
        """Age in whole years at ``day`` (from the date of birth), else the age given, else None."""
        if self.dob is not None and day is not None:
            years = day.year - self.dob.year - ((day.month, day.day) < (self.dob.month, self.dob.day))
            return float(years)
        return self.age_y

    def norm_at(self, day: date | None) -> Norm:
        """The PLM norm for the subject's age at ``day`` (the adult norm when the age is unknown)."""
        age = self.age_at(day)
        if age is None:
            return Norm(ADULT_PLMS_INDEX, "adult", False)
        return Norm(CHILD_PLMS_INDEX, "child", True) if age < ADULT_AGE_Y else Norm(ADULT_PLMS_INDEX, "adult", True)

    def describe(self, day: date | None, when: str = "at this night") -> str:
        """"born 1961-04-02, 64 years at this night" / "10 years" / "" for the report's header (``when``: how
        ``day`` is named)."""
        age = self.age_at(day)
        parts = [f"born {self.dob.isoformat()}"] if self.dob is not None else []
        if age is not None:
            parts.append(f"{age:g} years" + (f" {when}" if self.dob is not None and day is not None else ""))
        return ", ".join(parts)


def parse_dob(text: str | None) -> date | None:
    """``--dob YYYY-MM-DD`` as a date; InputError with the fix otherwise."""
    if text is None:
        return None
    try:
        value = date.fromisoformat(text.strip())
    except ValueError:
        raise InputError("--dob", "", f"not a date: {text!r}", "give the date of birth as YYYY-MM-DD") from None
    if value > date.today():
        raise InputError("--dob", "", f"{value} is in the future", "give the date of birth as YYYY-MM-DD")
    return value


def parse_age(text: str | float | None) -> float | None:
    """``--age YEARS`` as a number of years in [0, 130]; InputError otherwise."""
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        raise InputError("--age", "", f"not a number of years: {text!r}", "give the age in years, e.g. --age 9") from None
    if not 0 <= value <= 130:
        raise InputError("--age", "", f"{value:g} years is out of range", "give the age in years (0-130)")
    return value
