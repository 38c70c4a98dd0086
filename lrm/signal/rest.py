"""The rest period (time in bed): lights-out to the final rising, out-of-bed excursions removed.

docs/scoring.md §5: leg actigraphs report indices per hour of time in bed, from a diary or estimated; here it is
estimated from posture (the HDCZA idea of van Hees 2018 with GGIR's "HorAngle" variant: the leg lying near
horizontal) and can be overridden by a lights-out/lights-on given in s since the recording start (the
CLI and the API parse clock times at the edge: :func:`lrm.io.times.parse_night_time`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from lrm.errors import InputError
from lrm.params import RestParams
from lrm.signal.detect import runs
from lrm.signal.posture import Posture, cover

__all__ = ["RestPeriod", "find_rest_period", "combine_legs"]


@dataclass(frozen=True, slots=True, eq=False)
class RestPeriod:
    """Lights-out and lights-on in s since the recording start; ``in_bed`` per second (bool).

    ``source`` is "posture", "override" or "none": no lying period was found (or the shank's orientation is
    unknown) and none was given, so there is no time in bed (``lights_out_s``/``lights_on_s`` None,
    ``in_bed`` all False) and no index is computed (docs/scoring.md §5). Out-of-bed excursions inside
    [lights_out_s, lights_on_s) are False in ``in_bed``.
    """

    lights_out_s: float | None
    lights_on_s: float | None
    in_bed: npt.NDArray[np.bool_]
    source: str

    @property
    def gross_h(self) -> float:
        """Hours in bed, gaps included (the in-bed seconds' count / 3600)."""
        return float(np.count_nonzero(self.in_bed)) / 3600.0

    def hours_with(self, valid_1s: npt.NDArray[np.bool_]) -> float:
        """Hours in bed where ``valid_1s`` (s,) is True: the analysis period with gaps excluded."""
        n = min(self.in_bed.size, valid_1s.size)
        return float(np.count_nonzero(self.in_bed[:n] & valid_1s[:n])) / 3600.0


def _close_holes(mask: npt.NDArray[np.bool_], max_len: int) -> npt.NDArray[np.bool_]:
    """Set short runs of False (<= max_len, not touching the ends) to True."""
    out = mask.copy()
    holes = runs(~mask)
    inner = holes[(holes[:, 0] > 0) & (holes[:, 1] < mask.size) & (holes[:, 1] - holes[:, 0] <= max_len)]
    for a, b in inner:  # few
        out[a:b] = True
    return out


def _final_rising(bouts: npt.NDArray[np.int64], end_s: float, params: RestParams) -> float:
    """The rest period's end: after the night's last long lying bout (ending at ``end_s``), each return to
    bed within ``join_s`` that lasts at least ``min_return_s`` extends it (the person went back to bed
    after a night-time trip; lights-on is the final rising, docs/scoring.md §5)."""
    later = bouts[(bouts[:, 0] >= end_s) & (bouts[:, 1] - bouts[:, 0] >= params.min_return_s)]
    for a, b in later:  # few: lying bouts after the night
        if a - end_s >= params.join_s:
            break
        end_s = float(b)
    return end_s


def find_rest_period(lying: npt.NDArray[np.bool_], valid: npt.NDArray[np.bool_], *, posture_known: bool,
                     params: RestParams = RestParams(), lights_out_s: float | None = None,
                     lights_on_s: float | None = None) -> RestPeriod:
    """Estimate the rest period from per-second lying and validity (or take its ends as given).

    Parameters
    ----------
    lying : ndarray of bool (s,)
        The legs lie near horizontal (any recorded leg).
    valid : ndarray of bool (s,)
        At least one leg has data in that second.
    posture_known : bool
        False when no upright period revealed the tibia axis: no lying period can be found then.
    params : RestParams
        Bout length, joining and excursion length.
    lights_out_s, lights_on_s : float, optional
        Given ends of the rest period in s since the recording start (a diary, ``--lights-out``), each
        within [0, ``lying.size``] s; the estimate is used for an end not given.

    Raises
    ------
    InputError
        When lights-on is not after lights-out (one of them given, the other estimated, or both given).
    """
    s = lying.size
    smooth = _close_holes(lying | ~valid, int(params.min_excursion_s))
    all_bouts = runs(smooth) if posture_known else np.empty((0, 2), np.int64)
    bouts = all_bouts[all_bouts[:, 1] - all_bouts[:, 0] >= params.min_bout_s]
    if bouts.shape[0]:
        # join bouts separated by less than join_s; keep the cluster with the most lying time
        split = np.flatnonzero(bouts[1:, 0] - bouts[:-1, 1] >= params.join_s) + 1
        clusters = np.split(bouts, split)
        best = max(clusters, key=lambda c: int((c[:, 1] - c[:, 0]).sum()))
        start, source = float(best[0, 0]), "posture"
        end = _final_rising(all_bouts, float(best[-1, 1]), params)
    else:  # no lying period: none is invented; a given end still makes one (the other end: the data's)
        ok = np.flatnonzero(valid)
        start, end = (float(ok[0]), float(ok[-1] + 1)) if ok.size else (0.0, float(s))
        smooth = np.ones(s, bool)
        source = "none"
    if lights_out_s is not None:
        start, source = float(lights_out_s), "override"
    if lights_on_s is not None:
        end, source = float(lights_on_s), "override"
    if source == "none":
        return RestPeriod(None, None, np.zeros(s, bool), "none")
    if not end > start:
        raise InputError("lights-on", "", f"lights-on ({end:.0f} s) is not after lights-out ({start:.0f} s from the "
                         "recording start)", "check the two times")
    sec = np.arange(s)
    in_bed = (sec >= int(np.floor(start))) & (sec < int(np.ceil(end))) & smooth
    return RestPeriod(start, end, in_bed, source)


def combine_legs(postures: Mapping[str, Posture], valid_1s: Mapping[str, npt.NDArray[np.bool_]]
                 ) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_], npt.NDArray[np.bool_], bool]:
    """The rest period's inputs from every leg's posture and validity per second, over the seconds all legs cover.

    Returns ``(lying, any_valid, all_valid, posture_known)``: lying on any leg whose tibia axis is known (none
    when no leg's is; a stretch of raised shanks between lying seconds with no step and no long gap in it counts as
    lying, :func:`_raised_in_bed`), data on any leg, data on every leg, and whether any leg's axis is known.
    """
    n_sec = min(v.size for v in valid_1s.values())
    known = [side for side, p in postures.items() if p.axis is not None]
    any_valid, all_valid, lying = np.zeros(n_sec, bool), np.ones(n_sec, bool), np.zeros(n_sec, bool)
    for side, valid in valid_1s.items():
        any_valid |= valid[:n_sec]
        all_valid &= valid[:n_sec]
    walking = np.zeros(n_sec, bool)
    for side in known:
        lying |= postures[side].lying[:n_sec] & valid_1s[side][:n_sec]
        walking |= postures[side].walking[:n_sec] & valid_1s[side][:n_sec]
    return _raised_in_bed(lying, walking, any_valid), any_valid, all_valid, bool(known)


LONG_GAP_S = 60
"""A gap in the data at least this long (s) next to a stretch of raised shanks may hide the walk out of bed and back
(:func:`_raised_in_bed`); a shorter one cannot: standing up, walking out and coming back takes more than a minute,
the ``RestParams.min_excursion_s`` below which an upright stretch is not leaving the bed at all."""


def _raised_in_bed(lying: npt.NDArray[np.bool_], walking: npt.NDArray[np.bool_], valid: npt.NDArray[np.bool_]
                   ) -> npt.NDArray[np.bool_]:
    """``lying`` (s,) with each stretch of raised shanks between two lying seconds counted as lying when no leg walked
    in it (``walking`` (s,)) and no gap of :data:`LONG_GAP_S` or more in ``valid`` (s,) lies in it or next to it:
    knees drawn up on the back, sitting up in bed with the knees up.

    Leaving the bed takes steps, and lrm finds even a few strides or a slow walk (:func:`lrm.signal.posture.
    estimate_posture`); a stretch with the shanks above ``lying_max_elevation_deg`` and no step in it is the person
    still in bed (on the back with the feet flat and the knees up the shank reaches 45-65 deg, and the axis learnt
    from walking can read it 10 deg higher). Without this such a stretch was removed from the time in bed, and one of
    an hour or more split the night in two, the shorter part dropped: independent nights lost 30 min and 3.4 h
    (tests/rest_stress.py; docs/validation.md, "Time in bed on independent nights"). A stretch next to missing data
    of :data:`LONG_GAP_S` or more is left alone (the walk may lie in the gap: a phone out of range of a person who
    left the room).
    """
    up = runs(~lying)
    n = lying.size
    inner = up[(up[:, 0] > 0) & (up[:, 1] < n)]
    walked = np.concatenate(([0], np.cumsum(walking)))
    gaps = runs(~valid)
    gaps = gaps[gaps[:, 1] - gaps[:, 0] >= LONG_GAP_S]
    bad = np.concatenate(([0], np.cumsum(cover(gaps, n))))
    lo, hi = np.maximum(inner[:, 0] - 1, 0), np.minimum(inner[:, 1] + 1, n)
    still = (walked[inner[:, 1]] == walked[inner[:, 0]]) & (bad[hi] == bad[lo])
    return lying | cover(inner[still], n)
