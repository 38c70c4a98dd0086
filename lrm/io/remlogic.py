"""Reader for RemLogic (Natus / Embla) event exports: scored LMs, sleep stages, arousals, respiratory events.

The export is text: a preamble (``RemLogic Event Export``, patient, ``Events Included:`` list), then a
TAB-separated table whose header starts with ``Time [hh:mm:ss.xxx]``: ``Time``, ``Event``,
``Duration[s]``, ``Location`` (other columns are ignored). Times are ISO 8601 local date-times without
zone (``2015-04-15T23:50:12.000000``) or clock times ``hh:mm:ss[.xxx]`` (a day is added each time the
clock goes back by more than 12 h).

Event mapping (names as in MATPLM-Score's RemLogic configuration):

* leg movements: ``PLM-LM``, ``PLM-RRLM``, ``LM``, ``leftLM``, ``rightLM``; the leg from ``Location``
  in any of the spellings in use (``EMG.Tibialis-Leg.Left``, ``EMG.Tibialis-Leg-Left``, the montage
  ``LAntib1-LAntib2`` / ``RAntib1-RAntib2``: :func:`side_of_location`) or from the event name;
* sleep stages (30 s epochs): ``SLEEP-S0`` W, ``SLEEP-S1`` N1, ``SLEEP-S2`` N2, ``SLEEP-S3``/``SLEEP-S4``
  N3, ``SLEEP-REM`` R, ``SLEEP-MT``/``SLEEP-UNSCORED`` ?;
* arousals: every ``AROUSAL*`` event; respiratory events: ``APNEA*``, ``HYPOPNEA*``, ``RERA*``.

Time zero is the earliest event in the file, normally the first scored epoch (lights off); the lines may
come in any order. A night spans at most 48 h and an event lasts at most 1 h (lrm.io.plausibility): a date
or duration typo is refused with its line instead of sizing the epoch table.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lrm.errors import InputError
from lrm.io.event_tables import check_durations, read_text
from lrm.io.hypnogram import Hypnogram
from lrm.io.plausibility import screen_times

__all__ = ["RemLogicEvents", "read_remlogic", "sniff_remlogic", "side_of_location", "STAGE_NAMES", "LM_NAMES"]

STAGE_NAMES = {"SLEEP-S0": "W", "SLEEP-S1": "N1", "SLEEP-S2": "N2", "SLEEP-S3": "N3", "SLEEP-S4": "N3",
               "SLEEP-REM": "R", "SLEEP-MT": "?", "SLEEP-UNSCORED": "?"}
LM_NAMES = ("PLM-LM", "PLM-RRLM", "LM", "LEFTLM", "RIGHTLM")
_RESP_PREFIXES = ("APNEA", "HYPOPNEA", "RERA")
EPOCH_S = 30.0
EVENT_GAP_S = 12 * 3600.0  # events > 12 h from all others are a date typo (events are sparse: not 1 h)
# tibialis montages: L/R (left/right) then "antib"/"tib"/"at"/"leg" (LAntib1, RAT1, L-Tib, LLeg), or "tib"/"leg"
# then L/R (Tib L, Leg/R)
_MONTAGE = {s: rf"(?:^|[^a-z]){s}[-_ ]?(?:antib|ant(?:erior)?[-_ ]?tib|tib|at\d|at$|at[-_ ]|leg)|(?:tib|leg)[a-z]*[-_ /.]?{s}(?:$|[^a-z])"
            for s in "lr"}


@dataclass(frozen=True, slots=True)
class RemLogicEvents:
    """What a RemLogic export holds, on one time axis (s since ``start``, the earliest event)."""

    lms: pd.DataFrame  # onset_s, offset_s, side (left|right), type "lm"
    hypnogram: Hypnogram | None
    respiratory: pd.DataFrame  # onset_s, offset_s
    arousals: pd.DataFrame  # onset_s, offset_s
    start: pd.Timestamp  # local wall-clock time of t = 0 (no zone in the file)


def sniff_remlogic(head: str) -> bool:
    """True if the text looks like a RemLogic event export."""
    return "RemLogic Event Export" in head[:200] or "Time [hh:mm:ss" in head


def _table(path: str | os.PathLike[str]) -> tuple[pd.DataFrame, int]:
    lines = read_text(path).splitlines()
    header = next((i for i, ln in enumerate(lines) if ln.startswith("Time [")), None)
    if header is None:
        raise InputError(str(path), "header", "no event table header 'Time [hh:mm:ss.xxx]<TAB>Event<TAB>...' found",
                         "export the events from RemLogic as text with the Time, Event, Duration and Location columns")
    names = [c.strip() for c in lines[header].split("\t")]
    while len(names) > 1 and not names[-1]:  # trailing TABs after the last column name
        names.pop()
    required = {"Event", "Duration[s]"}
    if not required <= set(names):
        raise InputError(str(path), f"line {header + 1} (header)",
                         f"missing column(s) {', '.join(sorted(required - set(names)))}",
                         "export with the Time, Event, Duration[s] and Location columns, TAB-separated")
    body = pd.Series(lines[header + 1:], dtype=object)
    line_no = np.arange(header + 2, header + 2 + len(body))
    filled = body.str.strip().str.len().to_numpy() > 0
    body, line_no = body[filled], line_no[filled]
    if body.empty:
        return pd.DataFrame({**{n: pd.Series(dtype=object) for n in names}, "_line": pd.Series(dtype=int)}), header + 1
    fields = body.str.split("\t", expand=True).fillna("")
    fields = fields.apply(lambda col: col.str.strip())
    extra = (fields.iloc[:, len(names):] != "").any(axis=1).to_numpy() if fields.shape[1] > len(names) else None
    if extra is not None and extra.any():  # empty trailing fields (extra TABs) are harmless, values are not
        i = int(np.argmax(extra))
        raise InputError(str(path), f"line {line_no[i]}", f"more TAB-separated values than the {len(names)} columns "
                         f"of the header ({', '.join(names)})", "remove the extra TABs or values from the line")
    for k in range(fields.shape[1], len(names)):
        fields[k] = ""
    table = fields.iloc[:, : len(names)].set_axis(names, axis=1).reset_index(drop=True)
    table["_line"] = line_no
    return table.rename(columns={names[0]: "Time"}), header + 1


def _times(table: pd.DataFrame, path: str | os.PathLike[str]) -> pd.Series:
    text = table["Time"].str.strip()
    stamps = pd.to_datetime(text, format="ISO8601", errors="coerce")
    if stamps.isna().any() and text.str.fullmatch(r"\d{1,2}:\d{2}:\d{2}(\.\d+)?").all():
        clock = pd.to_timedelta(text)
        rollover = np.concatenate(([0], np.cumsum(np.diff(clock.dt.total_seconds().to_numpy()) < -12 * 3600)))
        stamps = pd.Timestamp("2000-01-01") + clock + pd.to_timedelta(rollover, unit="D")
    if stamps.isna().any():
        i = int(np.argmax(stamps.isna().to_numpy()))
        raise InputError(str(path), f"line {table['_line'].iloc[i]}, column 'Time'", f"unreadable time {text.iloc[i]!r}",
                         "use ISO 8601 date-times (2015-04-15T23:50:12.000) or clock times hh:mm:ss.xxx")
    stamps = pd.Series(stamps.to_numpy(), index=table.index)
    # one night: a date typo (a stage a year off, a century typo) is refused with its line, never gridded
    seconds = stamps.to_numpy("datetime64[ns]").astype(np.int64) / 1e9
    lines = table["_line"].to_numpy()
    screen_times(seconds, source=str(path), absolute=False, leave_out=False, what="events", gap_s=EVENT_GAP_S,
                 describe=lambda i: f"line {lines[i]}, column 'Time'")
    return stamps


def _durations(table: pd.DataFrame, path: str | os.PathLike[str]) -> np.ndarray:
    duration_s = pd.to_numeric(table["Duration[s]"].str.strip(), errors="coerce").to_numpy(float)
    bad = ~np.isfinite(duration_s) | (duration_s < 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(str(path), f"line {table['_line'].iloc[i]}, column 'Duration[s]'",
                         f"not a duration in s: {table['Duration[s]'].iloc[i]!r}", "give durations as non-negative seconds")
    return duration_s


def _hypnogram(event: pd.Series, onset_s: np.ndarray, lines: pd.Series, path) -> Hypnogram | None:
    """The 30 s epochs, placed by their times whatever the order of the lines (the earliest is epoch 0)."""
    is_stage = event.isin(list(STAGE_NAMES)).to_numpy()
    if not is_stage.any():
        return None
    order = np.argsort(onset_s[is_stage], kind="stable")
    start_s = onset_s[is_stage][order]
    stages = event[is_stage].map(STAGE_NAMES).to_numpy(object)[order]
    line_no = lines[is_stage].to_numpy()[order]
    index_f = (start_s - start_s[0]) / EPOCH_S
    index = np.round(index_f).astype(np.int64)
    bad = np.abs(index_f - index) > 0.01
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(str(path), f"line {line_no[i]}", "sleep stage not on the 30 s epoch grid",
                         "export stages as 30 s epochs")
    same = np.flatnonzero((np.diff(index) == 0) & (stages[1:] != stages[:-1]))
    if same.size:
        i = int(same[0]) + 1
        raise InputError(str(path), f"line {line_no[i]}", f"a second sleep stage ({stages[i]}) for the epoch of "
                         f"line {line_no[i - 1]} ({stages[i - 1]})", "keep one stage per 30 s epoch")
    full = np.full(index[-1] + 1, "?", dtype=object)  # index[-1] <= 48 h / 30 s: the times were screened
    full[index] = stages
    return Hypnogram(float(start_s[0]), EPOCH_S, tuple(full))


def side_of_location(location: pd.Series) -> np.ndarray:
    """``"left"``, ``"right"`` or ``""`` from RemLogic ``Location`` texts (any case): ``...Left``/``...Right``
    (``EMG.Tibialis-Leg.Left``, ``EMG.Tibialis-Leg-Left``) or a tibialis montage ``LAntib1-LAntib2``,
    ``RAT1-RAT2``, ``L-Tib``, ``LLeg``, ``Leg/L``. A text naming both legs gives ``""``.

    >>> side_of_location(pd.Series(["EMG.Tibialis-Leg.Left", "RAntib1-RAntib2", "LAT1-LAT2", "EEG-F3"])).tolist()
    ['left', 'right', 'left', '']
    """
    low = location.fillna("").str.lower()
    left = low.str.contains("left") | low.str.contains(_MONTAGE["l"])
    right = low.str.contains("right") | low.str.contains(_MONTAGE["r"])
    return np.where(left & ~right, "left", np.where(right & ~left, "right", ""))


def _lms(table: pd.DataFrame, event: pd.Series, onset_s, duration_s, path) -> pd.DataFrame:
    is_lm = event.isin(LM_NAMES).to_numpy()
    location = table.get("Location", pd.Series("", index=table.index))
    side = side_of_location(location)
    side = np.where(event == "LEFTLM", "left", np.where(event == "RIGHTLM", "right", side))
    unknown = is_lm & (side == "")
    if unknown.any():
        i = int(np.argmax(unknown))
        raise InputError(str(path), f"line {table['_line'].iloc[i]}, column 'Location'",
                         f"leg movement without a leg: location {table['Location'].iloc[i]!r}" if "Location" in table else
                         "leg movement without a leg (no Location column)",
                         "export LMs with their channel location (e.g. EMG.Tibialis-Leg.Left / ...Right, "
                         "LAntib1-LAntib2 / RAntib1-RAntib2)")
    return pd.DataFrame({"onset_s": onset_s[is_lm], "offset_s": onset_s[is_lm] + duration_s[is_lm],
                         "side": side[is_lm], "type": "lm"})


def read_remlogic(path: str | os.PathLike[str]) -> RemLogicEvents:
    """Read a RemLogic event export; see the module docstring for the layout and mapping.

    A file without leg movements is a scored night with none (indices 0), not an error. The order of the
    lines does not matter.

    Raises
    ------
    InputError
        Missing table header or column, more values than columns, unreadable time or duration, a date far
        from the rest of the night or a span over 48 h, an event over 1 h, LM without a leg, stages off the
        30 s grid or two stages for one epoch.
    """
    table, header_line = _table(path)
    if table.empty:
        raise InputError(str(path), f"line {header_line}", "the event table is empty", "export a scored night")
    stamps = _times(table, path)
    start = stamps.min()
    onset_s = ((stamps - start).dt.total_seconds()).to_numpy(float)
    duration_s = _durations(table, path)
    event = table["Event"].str.strip().str.upper()
    used = (event.isin(LM_NAMES) | event.str.startswith(_RESP_PREFIXES) | event.str.startswith("AROUSAL")).to_numpy()
    check_durations(np.where(used, duration_s, 0.0), table["_line"], path, "Duration[s]")
    lms = _lms(table, event, onset_s, duration_s, path)
    def intervals(mask: np.ndarray) -> pd.DataFrame:
        return pd.DataFrame({"onset_s": onset_s[mask], "offset_s": onset_s[mask] + duration_s[mask]})
    return RemLogicEvents(
        lms=lms,
        hypnogram=_hypnogram(event, onset_s, table["_line"], path),
        respiratory=intervals(event.str.startswith(_RESP_PREFIXES).to_numpy()),
        arousals=intervals(event.str.startswith("AROUSAL").to_numpy()),
        start=pd.Timestamp(start),
    )
