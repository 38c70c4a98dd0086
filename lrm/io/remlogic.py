"""Reader for RemLogic (Natus / Embla) event exports: scored LMs, sleep stages, arousals, respiratory events.

The export is text: a preamble (``RemLogic Event Export``, patient, ``Events Included:`` list), then a
TAB-separated table whose header starts with ``Time [hh:mm:ss.xxx]``: ``Time``, ``Event``,
``Duration[s]``, ``Location`` (other columns are ignored). Times are ISO 8601 local date-times without
zone (``2015-04-15T23:50:12.000000``) or clock times ``hh:mm:ss[.xxx]`` (a day is added each time the
clock goes back by more than 12 h).

Event mapping (names as in MATPLM-Score's RemLogic configuration):

* leg movements: ``PLM-LM``, ``PLM-RRLM``, ``LM``, ``leftLM``, ``rightLM``; the leg from ``Location``
  (``...Left``/``...Right``, e.g. ``EMG.Tibialis-Leg.Left``) or from the event name;
* sleep stages (30 s epochs): ``SLEEP-S0`` W, ``SLEEP-S1`` N1, ``SLEEP-S2`` N2, ``SLEEP-S3``/``SLEEP-S4``
  N3, ``SLEEP-REM`` R, ``SLEEP-MT``/``SLEEP-UNSCORED`` ?;
* arousals: every ``AROUSAL*`` event; respiratory events: ``APNEA*``, ``HYPOPNEA*``, ``RERA*``.

Time zero is the earliest event in the file, normally the first scored epoch (lights off).
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lrm.errors import InputError
from lrm.io.event_tables import read_text
from lrm.io.hypnogram import Hypnogram

__all__ = ["RemLogicEvents", "read_remlogic", "sniff_remlogic", "STAGE_NAMES", "LM_NAMES"]

STAGE_NAMES = {"SLEEP-S0": "W", "SLEEP-S1": "N1", "SLEEP-S2": "N2", "SLEEP-S3": "N3", "SLEEP-S4": "N3",
               "SLEEP-REM": "R", "SLEEP-MT": "?", "SLEEP-UNSCORED": "?"}
LM_NAMES = ("PLM-LM", "PLM-RRLM", "LM", "LEFTLM", "RIGHTLM")
_RESP_PREFIXES = ("APNEA", "HYPOPNEA", "RERA")
EPOCH_S = 30.0


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
    required = {"Event", "Duration[s]"}
    if not required <= set(names):
        raise InputError(str(path), f"line {header + 1} (header)",
                         f"missing column(s) {', '.join(sorted(required - set(names)))}",
                         "export with the Time, Event, Duration[s] and Location columns, TAB-separated")
    body = "\n".join(lines[header + 1:])
    table = pd.read_csv(io.StringIO(body), sep="\t", header=None, names=names, dtype=str, keep_default_na=False,
                        index_col=False, engine="python", skip_blank_lines=True) if body.strip() else pd.DataFrame(columns=names)
    table["_line"] = np.flatnonzero([bool(ln.strip()) for ln in lines[header + 1:]])[: len(table)] + header + 2
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
    return pd.Series(stamps.to_numpy(), index=table.index)


def _durations(table: pd.DataFrame, path: str | os.PathLike[str]) -> np.ndarray:
    duration_s = pd.to_numeric(table["Duration[s]"].str.strip(), errors="coerce").to_numpy(float)
    bad = ~np.isfinite(duration_s) | (duration_s < 0)
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(str(path), f"line {table['_line'].iloc[i]}, column 'Duration[s]'",
                         f"not a duration in s: {table['Duration[s]'].iloc[i]!r}", "give durations as non-negative seconds")
    return duration_s


def _hypnogram(event: pd.Series, onset_s: np.ndarray, lines: pd.Series, path) -> Hypnogram | None:
    is_stage = event.isin(list(STAGE_NAMES)).to_numpy()
    if not is_stage.any():
        return None
    start_s, stages = onset_s[is_stage], event[is_stage].map(STAGE_NAMES).to_numpy(object)
    index_f = (start_s - start_s[0]) / EPOCH_S
    index = np.round(index_f).astype(np.int64)
    bad = np.abs(index_f - index) > 0.01
    if bad.any():
        i = int(np.argmax(bad))
        raise InputError(str(path), f"line {lines[is_stage].iloc[i]}", "sleep stage not on the 30 s epoch grid",
                         "export stages as 30 s epochs")
    full = np.full(index.max() + 1, "?", dtype=object)
    full[index] = stages
    return Hypnogram(float(start_s[0]), EPOCH_S, tuple(full))


def _lms(table: pd.DataFrame, event: pd.Series, onset_s, duration_s, path) -> pd.DataFrame:
    is_lm = event.isin(LM_NAMES).to_numpy()
    location = table.get("Location", pd.Series("", index=table.index)).str.lower()
    side = np.where(location.str.contains("left") | (event == "LEFTLM"), "left",
                    np.where(location.str.contains("right") | (event == "RIGHTLM"), "right", ""))
    unknown = is_lm & (side == "")
    if unknown.any():
        i = int(np.argmax(unknown))
        raise InputError(str(path), f"line {table['_line'].iloc[i]}, column 'Location'",
                         f"leg movement without a leg: location {table['Location'].iloc[i]!r}" if "Location" in table else
                         "leg movement without a leg (no Location column)",
                         "export LMs with their channel location (e.g. EMG.Tibialis-Leg.Left / ...Right)")
    return pd.DataFrame({"onset_s": onset_s[is_lm], "offset_s": onset_s[is_lm] + duration_s[is_lm],
                         "side": side[is_lm], "type": "lm"})


def read_remlogic(path: str | os.PathLike[str]) -> RemLogicEvents:
    """Read a RemLogic event export; see the module docstring for the layout and mapping.

    Raises
    ------
    InputError
        Missing table header or column, unreadable time or duration, LM without a leg, stages off the 30 s
        grid, or no leg movements at all.
    """
    table, header_line = _table(path)
    if table.empty:
        raise InputError(str(path), f"line {header_line}", "the event table is empty", "export a scored night")
    stamps = _times(table, path)
    start = stamps.min()
    onset_s = ((stamps - start).dt.total_seconds()).to_numpy(float)
    duration_s = _durations(table, path)
    event = table["Event"].str.strip().str.upper()
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
