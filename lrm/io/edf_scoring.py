"""Read PSG scoring from EDF+ annotations: sleep stages, respiratory events, arousals and scored LMs.

Labs keep their scoring as EDF+ annotations, either in the PSG file itself or in a separate annotation-only
file (Sleep-EDF ``*-Hypnogram.edf``, NSRR EDF+ exports, EDFbrowser/Luna output). Labels recognised
(case-insensitive):

* stages: EDF+ standard ``Sleep stage W|1|2|3|4|R|?``, NSRR ``Wake|0``, ``Stage 1 sleep|1`` ... ``REM sleep|5``,
  ``Unscored|9``, and plain ``W``, ``N1``, ``N2``, ``N3``, ``N4``, ``R``/``REM``, ``?``; stage 4 counts as N3;
  ``Movement time`` and unknown labels as ``?``. Each stage annotation covers ``duration`` s (split into
  epochs; the epoch length is the most common duration, 30 s by default).
* respiratory events: labels holding apnea/apnoea, hypopnea/hypopnoea or RERA / respiratory effort.
* arousals: labels holding ``arousal`` (other than RERA).
* limb movements: ``Limb movement - left``, ``PLM (Right)``, ``LM:left``, ``leftLM`` ... (side from the
  label; without a side, ``left``).

Times come out in s since the recording start: EDF onsets are seconds from the EDF start; pass
``recording_start_s`` (Unix s of the recording's first sample, wall clock as lrm stores it) to shift them
when the EDF and the recording started at different times.
"""

from __future__ import annotations

import os
import re
import stat
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from lrm.errors import InputError
from lrm.io.event_tables import check_durations, check_event_times
from lrm.io.hypnogram import Hypnogram
from lrm.io.lm_csv import read_hypnogram, read_intervals_csv

__all__ = ["EdfScoring", "read_edf_scoring", "stage_of_label", "read_scoring_hypnogram", "read_scoring_intervals",
           "is_edf"]

MIN_EPOCH_S, MAX_EPOCH_S = 1.0, 300.0  # sleep-stage epochs: 30 s (AASM), 20 s (old R&K), never below 1 s
FIX = "check it is an EDF+ file with annotations (e.g. export the scoring from the PSG software as EDF+)"
_STAGE_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"^(sleep stage |stage )?(w|wake|0|wake\|0)$|^wake\|", "W"),
    (r"^(sleep stage |stage )?(1|n1|s1|nrem1)( sleep)?$|^stage 1 sleep", "N1"),
    (r"^(sleep stage |stage )?(2|n2|s2|nrem2)( sleep)?$|^stage 2 sleep", "N2"),
    (r"^(sleep stage |stage )?(3|4|n3|n4|s3|s4|nrem3|nrem4)( sleep)?$|^stage [34] sleep", "N3"),
    (r"^(sleep stage |stage )?(r|rem)( sleep)?$|^rem sleep", "R"),
    (r"^(sleep stage |stage )?(\?|unscored|unknown)|^unscored|^movement( time)?", "?"),
)
_RESP = re.compile(r"apn(o)?ea|hypopn(o)?ea|\brera\b|respiratory effort", re.IGNORECASE)
_AROUSAL = re.compile(r"arousal", re.IGNORECASE)
_LM = re.compile(r"limb movement|leg movement|\bplm\b|\blm\b|leftlm|rightlm|^lm:|^plm:|plm[-_ ]lm", re.IGNORECASE)


def stage_of_label(label: str) -> str | None:
    """Stage (W/N1/N2/N3/R/?) of an annotation text, or None if it is not a stage.

    >>> [stage_of_label(t) for t in ("Sleep stage W", "Stage 2 sleep|2", "REM sleep|5", "N3", "Arousal")]
    ['W', 'N2', 'R', 'N3', None]
    """
    text = label.strip().lower()
    for pattern, stage in _STAGE_PATTERNS:
        if re.search(pattern, text):
            return stage
    return None


def _side(label: str) -> str:
    low = label.lower()
    if "bilateral" in low or "both" in low:
        return "bilateral"
    if "right" in low or low.startswith("r") and "lm" in low[:7]:
        return "right"
    return "left"


@dataclass(frozen=True, slots=True)
class EdfScoring:
    """Scoring read from an EDF+ file. Times in s since the recording start (see the module docstring)."""

    source: str
    edf_start_s: float                    # wall clock of the EDF start as Unix s (EDF has no time zone)
    hypnogram: Hypnogram | None
    respiratory: pd.DataFrame             # onset_s, offset_s, label
    arousals: pd.DataFrame                # onset_s, offset_s, label
    lms: pd.DataFrame                     # onset_s, offset_s, side, type, label


def is_edf(path: str | os.PathLike[str]) -> bool:
    """True if the file starts like an EDF/EDF+ header (version '0' padded with spaces)."""
    try:
        if not stat.S_ISREG(os.stat(path).st_mode):  # a FIFO would block the read (the reader then says why)
            return False
        with open(path, "rb") as fh:
            head = fh.read(256)
    except OSError:
        return False
    return len(head) == 256 and head[:8] == b"0       "


def _annotations(path: Path) -> tuple[list[tuple[float, float | None, str]], float]:
    if not is_edf(path):
        raise InputError(str(path), "header", "not an EDF/EDF+ file", FIX)
    try:
        from edfio import read_edf
    except ImportError:  # a core dependency: only a broken installation lacks it
        raise InputError(str(path), "", "reading EDF needs the 'edfio' package, which lrm depends on",
                         "reinstall lrm (pip install lrm), or pip install edfio") from None
    try:
        edf = read_edf(path, lazy_load_data=True)
        notes = [(float(a.onset), None if a.duration is None else float(a.duration), str(a.text)) for a in edf.annotations]
    except Exception as exc:  # edfio raises ValueError/EdfError on a malformed header
        raise InputError(str(path), "header", f"unreadable EDF ({str(exc).splitlines()[0][:120]})", FIX) from None
    try:
        day = edf.startdate
    except Exception:  # an anonymised EDF+ start date ('X'): keep the clock time on 1985-01-01 (EDF convention)
        day = pd.Timestamp("1985-01-01").date()
    start = pd.Timestamp.combine(day, edf.starttime.replace(tzinfo=None))
    return notes, float(start.value / 1e9)


def _hypnogram(stage_notes: list[tuple[float, float | None, str]], path: Path) -> Hypnogram | None:
    if not stage_notes:
        return None
    durations = [round(d, 3) for _, d, _ in stage_notes if d and d > 0]
    epoch = Counter(durations).most_common(1)[0][0] if durations else 30.0
    if not MIN_EPOCH_S <= epoch <= MAX_EPOCH_S:  # the epoch sizes the stage table: never a tiny value
        raise InputError(str(path), "sleep-stage annotations", f"stages last {epoch:g} s, not {MIN_EPOCH_S:g}-"
                         f"{MAX_EPOCH_S:g} s epochs", "check the file's sleep-stage annotations (30 s epochs)")
    start = min(o for o, _, _ in stage_notes)
    end = max(o + (d if d and d > 0 else epoch) for o, d, _ in stage_notes)
    n = int(round((end - start) / epoch))
    stages = np.full(n, "?", dtype=object)
    for onset, duration, stage in stage_notes:
        first = int(round((onset - start) / epoch))
        count = max(1, int(round((duration or epoch) / epoch)))
        stages[first: first + count] = stage
    return Hypnogram(float(start), float(epoch), tuple(stages))


def read_edf_scoring(path: str | os.PathLike[str], *, recording_start_s: float | None = None) -> EdfScoring:
    """Read stages, respiratory events, arousals and LMs from the annotations of an EDF+ file."""
    p = Path(path)
    notes, edf_start = _annotations(p)
    shift = 0.0 if recording_start_s is None else edf_start - float(recording_start_s)
    stage_notes, resp, arousal, lms = [], [], [], []
    onsets = np.array([onset + shift for onset, _, _ in notes], dtype=float)
    check_event_times(onsets, [f"annotation {i + 1} ({text[:30]!r})" for i, (_, _, text) in enumerate(notes)], p,
                      what="annotations")
    for onset, duration, text in notes:
        t = onset + shift
        end = t + (duration or 0.0)
        stage = stage_of_label(text)
        if stage is not None:
            stage_notes.append((t, duration, stage))
        elif _RESP.search(text):
            resp.append((t, end, text))
        elif _AROUSAL.search(text):
            arousal.append((t, end, text))
        elif _LM.search(text):
            lms.append((t, end, _side(text), "lm", text))
    for kind in (resp, arousal, lms):
        if kind:
            check_durations(np.array([e[1] - e[0] for e in kind]), [f"annotation {e[-1][:30]!r}" for e in kind], p,
                            "duration")
    interval_cols = ["onset_s", "offset_s", "label"]
    return EdfScoring(
        source=str(p), edf_start_s=edf_start, hypnogram=_hypnogram(stage_notes, p),
        respiratory=pd.DataFrame(resp, columns=interval_cols), arousals=pd.DataFrame(arousal, columns=interval_cols),
        lms=pd.DataFrame(lms, columns=["onset_s", "offset_s", "side", "type", "label"]),
    )


def read_scoring_hypnogram(path: str | os.PathLike[str], *, recording_start_s: float | None = None) -> Hypnogram:
    """A hypnogram from an EDF+ file (by content) or any file ``lrm.io.scoring_inputs`` reads."""
    if is_edf(path):
        hyp = read_edf_scoring(path, recording_start_s=recording_start_s).hypnogram
        if hyp is None:
            raise InputError(str(path), "annotations", "no sleep-stage annotations", "give the file with the hypnogram")
        return hyp
    return read_hypnogram(path)


def read_scoring_intervals(path: str | os.PathLike[str], kind: str, *,
                           recording_start_s: float | None = None) -> pd.DataFrame:
    """``kind`` = "respiratory" or "arousals": onset_s, offset_s from an EDF+ file or an interval CSV."""
    if kind not in ("respiratory", "arousals"):
        raise ValueError(f"kind must be 'respiratory' or 'arousals', got {kind!r}")
    if is_edf(path):
        scoring = read_edf_scoring(path, recording_start_s=recording_start_s)
        return getattr(scoring, kind)[["onset_s", "offset_s"]].reset_index(drop=True)
    return read_intervals_csv(path, "respiratory events" if kind == "respiratory" else "arousals")


def read_scoring_files(
    hypnogram: str | os.PathLike[str] | None = None,
    respiratory: str | os.PathLike[str] | None = None,
    arousals: str | os.PathLike[str] | None = None,
    *,
    recording_start_s: float | None = None,
) -> tuple[Hypnogram | None, pd.DataFrame | None, pd.DataFrame | None]:
    """The optional scoring side files of a night (each an EDF+ file or a CSV), aligned on the recording.

    ``recording_start_s`` (Unix s) places EDF+ annotations on the recording's clock; CSVs are already in
    seconds since the recording start. Returns ``(hypnogram, respiratory, arousals)``, ``None`` where no
    file was given.
    """
    hyp = read_scoring_hypnogram(hypnogram, recording_start_s=recording_start_s) if hypnogram else None
    resp = read_scoring_intervals(respiratory, "respiratory", recording_start_s=recording_start_s) if respiratory else None
    ar = read_scoring_intervals(arousals, "arousals", recording_start_s=recording_start_s) if arousals else None
    return hyp, resp, ar
