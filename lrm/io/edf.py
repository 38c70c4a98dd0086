"""Write a night as EDF+ (accelerometer channels in g plus leg-movement annotations), via edfio.

Channels: ``MISC ACC_L_X``, ``MISC ACC_L_Y``, ``MISC ACC_L_Z`` (left) and ``MISC ACC_R_*`` (right): the EDF+
label structure "<signal type> <specification>" (edfplus.info/specs/edftexts.html §2.1), with MNE's type word
for non-physiological channels, so ``mne.io.read_raw_edf(path, infer_types=True)`` types them ``misc`` and
names them ``ACC_L_X`` instead of EEG. Transducer ``accelerometer``, physical dimension ``g`` (EDFbrowser
and MNE show values in g; MNE scales only V/mV/uV), physical range +-``range_g`` (or the data's extreme, at
least 8 g) mapped to int16. EDF needs a constant rate and
contiguous records, so each leg is linearly interpolated from its sample times onto a uniform grid at its
nominal rate rounded to whole Hz (legs may differ); the grid starts at the whole second at or before
the first sample, with 1-s data records. Stretches without samples (gaps longer than
max(5 samples, 0.5 s), before a leg starts, after it ends) hold 0 g and get a ``Gap (<side>)`` annotation.

Start date and time are the local clock time of the recording's zone, as EDF requires; the zone is kept in the
EDF+ recording field as an additional subfield ``lrm-tz=<zone>`` (``lrm-tz=unknown-utc`` when the start is
UTC because the zone is unknown, ``lrm-tz=unknown-local`` for a local clock of unknown zone), which
:mod:`lrm.io.edf_accel` reads back: the file round-trips through lrm.

Annotations (formats.md §5.2, NSRR style): ``Limb movement - left|Limb Movement (Left)`` (right,
bilateral alike), ``Periodic leg movement - left|PLM (Left)`` for LMs in a PLM series, ``Hypnic jerk``,
``Posture change``, ``Walking`` for other event types, and gaps. Onsets are seconds from the EDF start.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from lrm.errors import OutputExistsError
from lrm.io.atomic import write_atomic
from lrm.io.recording import Leg, Recording

__all__ = ["write_edf", "event_label", "GAP_LABEL", "channel_label", "ZONE_FIELD"]

GAP_LABEL = "Gap ({side})"
ZONE_FIELD = "lrm-tz="


def channel_label(side: str, axis: str) -> str:
    """EDF label of one accelerometer axis.

    >>> channel_label("left", "X")
    'MISC ACC_L_X'
    """
    return f"MISC ACC_{side[0].upper()}_{axis}"
_SIDE = {"left": "Left", "right": "Right", "bilateral": "Bilateral"}
_OTHER = {"hypnic_jerk": "Hypnic jerk", "posture_change": "Posture change", "walking": "Walking"}


def event_label(event_type: str, side: str, in_plm_series: bool) -> str:
    """NSRR-style annotation text of one event.

    >>> event_label("lm", "left", True)
    'Periodic leg movement - left|PLM (Left)'
    >>> event_label("lm", "right", False)
    'Limb movement - right|Limb Movement (Right)'
    """
    if event_type == "lm":
        cap = _SIDE.get(side, side.title())
        if in_plm_series:
            return f"Periodic leg movement - {side}|PLM ({cap})"
        return f"Limb movement - {side}|Limb Movement ({cap})"
    return _OTHER.get(event_type, event_type.replace("_", " ").capitalize())


def _uniform(leg: Leg, t0: float, n_records: int) -> tuple[npt.NDArray[np.float64], int, list[tuple[float, float]]]:
    """Leg samples on a uniform grid from ``t0`` (s): (n, 3) g, rate in Hz, gaps as (onset, duration) from t0."""
    fs = max(1, int(round(leg.fs_hz)))
    grid = t0 + np.arange(n_records * fs) / fs
    t = leg.t_s
    out = np.column_stack([np.interp(grid, t, leg.accel_g[:, axis].astype(np.float64)) for axis in range(3)])
    max_gap = max(5.0 / leg.fs_hz, 0.5)
    edge = 0.5 / fs
    idx = np.clip(np.searchsorted(t, grid), 1, max(1, t.size - 1))
    span = t[idx] - t[idx - 1] if t.size > 1 else np.zeros(grid.size)
    missing = (grid < t[0] - edge) | (grid > t[-1] + edge) | (span > max_gap)
    for gap in leg.gaps:                                   # gaps the recorder knew about
        missing |= (grid >= gap.start_s) & (grid < gap.end_s)
    out[missing] = 0.0
    change = np.diff(np.r_[0, missing.astype(np.int8), 0])
    starts, stops = np.flatnonzero(change == 1), np.flatnonzero(change == -1)
    return out, fs, [(s / fs, (e - s) / fs) for s, e in zip(starts, stops)]


def write_edf(
    recording: Recording,
    out_path: str | os.PathLike[str],
    events: Any = None,
    *,
    force: bool = False,
) -> Path:
    """Write ``recording`` (and the ``events`` table, if given) as an EDF+ file; return its path.

    Parameters
    ----------
    recording : Recording
        The night; every leg becomes three channels in g.
    out_path : path
        The .edf file to write. An existing file is only replaced with ``force=True`` (written to a temporary
        file first, then renamed, so a failure never leaves half a file).
    events : DataFrame, optional
        events.csv table (onset_s, offset_s in s since ``recording.start_s``, side, type, in_plm_series).
    force : bool
        Replace an existing ``out_path``.
    """
    from edfio import Edf, EdfAnnotation, EdfSignal, Patient
    from edfio import Recording as EdfRecording

    out = Path(out_path)
    if out.exists() and not force:
        raise OutputExistsError(str(out), "pass --force to replace it, or choose another name")
    t0 = float(np.floor(recording.start_s))
    shift = recording.start_s - t0          # event onsets are relative to recording.start_s
    n_records = max(1, int(np.ceil(recording.end_s - t0 + 1e-9)))
    signals, annotations = [], []
    for side in recording.sides:
        leg = recording.legs[side]
        data, fs, gaps = _uniform(leg, t0, n_records)
        peak = float(np.max(np.abs(data))) if data.size else 1.0
        limit = float(leg.range_g) if leg.range_g and leg.range_g >= peak else float(max(8.0, np.ceil(peak)))
        for axis, name in enumerate("XYZ"):
            signals.append(EdfSignal(np.clip(data[:, axis], -limit, limit), fs, label=channel_label(side, name),
                                     transducer_type=f"accelerometer {leg.device}".strip()[:80], physical_dimension="g",
                                     physical_range=(-limit, limit), prefiltering=f"interpolated to {fs} Hz"))
        annotations += [EdfAnnotation(round(onset, 4), round(length, 4), GAP_LABEL.format(side=side)) for onset, length in gaps]
    if events is not None and len(events):
        plm = events["in_plm_series"] if "in_plm_series" in events else np.zeros(len(events))
        for onset, offset, side, etype, in_plm in zip(events["onset_s"], events["offset_s"], events["side"],
                                                      events["type"], plm):
            if not np.isfinite(onset):
                continue
            duration = float(offset - onset) if np.isfinite(offset) else None
            in_series = bool(in_plm) if in_plm == in_plm else False   # NaN / <NA> -> False
            annotations.append(EdfAnnotation(round(float(onset) + shift, 4), duration and round(duration, 4),
                                             event_label(str(etype), str(side), in_series)))
    start, zone_field = _local_start(recording, t0)
    edf = Edf(signals, patient=Patient(code=(recording.subject or "X").replace(" ", "_")[:20]),
              recording=EdfRecording(startdate=start.date(), equipment_code="lrm", additional=(zone_field,)),
              starttime=start.time().replace(microsecond=0, tzinfo=None), data_record_duration=1,
              annotations=sorted(annotations, key=lambda a: a.onset))
    return write_atomic(out, edf.write, binary=True)    # the umask's permissions, never half a file


def _local_start(recording: Recording, t0: float) -> tuple[dt.datetime, str]:
    """The EDF start (local clock time of the recording's zone, naive) and the ``lrm-tz=`` subfield."""
    if not recording.time_is_absolute:
        return dt.datetime(1985, 1, 1), f"{ZONE_FIELD}relative"
    from lrm.io.timezones import to_local

    start = to_local(t0, recording.timezone).replace(tzinfo=None)
    if recording.timezone is not None:
        return start, f"{ZONE_FIELD}{recording.timezone}"
    return start, f"{ZONE_FIELD}unknown-{recording.clock}"
