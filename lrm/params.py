"""Analysis parameters: one frozen dataclass per pipeline step, gathered in :class:`Params`.

Every number the pipeline uses lives here with its unit in the name, so a night can be re-run
identically: ``Params.digest()`` goes into summary.json and the cohort table. A TOML file uses the same
names as the command-line flags (``min-bout-s`` / ``min_bout_s`` both accepted), grouped by step::

    rules = "wasm2016"

    [detect]
    false_alarm_tail = 1e-7

    [rest]
    min_bout_s = 1200.0

Examples
--------
>>> p = Params()
>>> p.detect.min_quiet_s, p.rules.name, Params(rules="aasm").rules.imi_min_s
(0.5, 'wasm2016', 5.0)
>>> Params.from_dict({"detect": {"min-threshold-g": 0.01}}).detect.min_threshold_g
0.01
>>> len(p.digest())
12
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
from dataclasses import dataclass, field, fields, replace
from typing import Any

from lrm.errors import InputError
from lrm.rules.rulesets import RULESET_NAMES, WASM2016, RuleSet, get_ruleset

__all__ = [
    "PrepareParams",
    "AlignParams",
    "DetectParams",
    "PostureParams",
    "RestParams",
    "SleepParams",
    "JerkParams",
    "Params",
]


@dataclass(frozen=True, slots=True)
class PrepareParams:
    """Timestamp repair, gaps and the working grid.

    work_fs_hz : rate in Hz of the uniform grid every later step runs on (block means of the raw
        samples; LM energy at the ankle lies mostly below ~6 Hz, docs/scoring.md §6, so 25 Hz keeps it).
    gap_s : a stretch longer than this (s) with no samples is a gap: excluded, never interpolated.
    gap_margin_s : time (s) on each side of a gap also excluded, where the filters see the gap's edge.
    clip_fraction : a sample at or beyond this fraction of the declared range counts as clipped.
    gravity_window_s : length (s) of the edge-preserving running median of the per-second means that
        estimates gravity (lrm.signal.gravity); the rest is the dynamic (movement) part. A centred median
        ignores movement only while it fills less than half of the window, and in a dense PLM series
        (RLS: IMIs 15-30 s, docs/scoring.md §2.1) the window holds several LMs. 41 s = 2 x 20 s + 1: the
        longest bilateral CLM (15 s, docs/scoring.md §1.2 step 4) with 5 s of neighbouring movement, or two
        longest single-leg CLMs (10 s, step 3), stay below half of it. 21 s (2x one 10 s CLM) let the
        median follow dense series of long LMs, merging them past 10 s (RLS PLM index error 5.1/h,
        docs/validation.md). Longer costs latency online (the reach, lrm.signal.gravity) and relies more
        on the edge-preserving switch at lasting posture changes.
    """

    work_fs_hz: float = 25.0
    gap_s: float = 1.0
    gap_margin_s: float = 2.0
    clip_fraction: float = 0.995
    gravity_window_s: float = 41.0


@dataclass(frozen=True, slots=True)
class AlignParams:
    """Clock alignment of the second leg to the first (cross-correlation of movement bursts).

    window_s : length (s) of the windows in which the lag is measured.
    max_lag_s : largest lag searched (s); +-100 ppm over 12 h is 4.3 s, plus any start offset.
    min_peak : smallest normalised cross-correlation peak (0-1) for a window to count.
    """

    window_s: float = 1800.0
    max_lag_s: float = 8.0
    min_peak: float = 0.3


@dataclass(frozen=True, slots=True)
class DetectParams:
    """Leg-movement detection per leg (``lrm.signal.detect``): deviation from rest against the leg's own null.

    window_s : integration window (s) of the two statistics, R (mean deviation from the resting vector) and
        D (dynamic RMS). White noise averages down by the square root of the samples in it, and most LMs
        last 1-10 s (PLMS 3-4 s, docs/scoring.md §2.4): 1 s gains sqrt(2) in noise on 0.5 s for every LM
        that lasts 1 s or more, at half the signal for the shortest (0.5 s, §1.2 step 2) and a smear of
        +-0.5 s that the edge correction undoes. Chosen on dev seeds 1000-1015 (3 h nights) among 0.5,
        0.75, 1, 1.5 and 2 s: LM F1 0.550 / 0.575 / 0.593 / 0.559 / 0.540 on those nights.
    smooth_s : window (s) of the envelope (RMS deviation from rest) that gives each LM's peak and half-peak
        time, and of B, the brief-burst statistic (RMS deviation from the ``window_s`` mean), the detector's
        third onset statistic: short enough to follow a 75-250 ms jerk burst (docs/scoring.md §3.1) or an
        80-300 ms phasic flexion pulse (Smith 1985), which a 1 s window dilutes 2-5x. Adding B (dev seeds
        1000-1007, wide, 3 h): LM F1 0.862 -> 0.878, PLM-index error 1.76 -> 1.46 /h (worst 6.42 -> 4.41),
        false LMs per still hour 0.12 -> 0.15 (worst 0.26 both); hard family F1 0.409 -> 0.415.
    false_alarm_tail : probability that a still grid sample exceeds an onset threshold, per statistic
        (the null distribution's tail). 1e-6 gives ~0.05-0.15 threshold crossings per hour per statistic on
        white noise at 10-200 Hz (measured over 12-40 h per rate), well below the 5/h that separates a
        normal from an elevated PLM index (docs/scoring.md §2.3); noise crossings are also mostly shorter than
        the 0.5 s the rules require.
    quiet_tail : a still sample exceeds an offset threshold with this probability (the 99th percentile):
        the offset rule's quiet stretch is then reached by noise within a fraction of a second, so noise
        neither prolongs an LM nor merges two, while the onset needs the 1e-6 tail.
    min_quiet_s : an LM ends at the start of the first stretch this long (s) below the offset thresholds,
        and same-leg bursts closer than this are one LM (docs/scoring.md §1.2 step 1).
    morph_window_s : the morphology check (docs/scoring.md §1.2 step 5): an LM must hold a window this long (s)
        whose median stays above the offset thresholds.
    null_block_s, null_window_s, null_quantile : the measured null: medians of each statistic over blocks
        of this many seconds, and their ``null_quantile`` over the blocks of the last ``null_window_s`` (s).
        A 10 s block holds 20 independent 0.5 s windows, so its median is the still level whenever the leg
        is still for more than half of it (a dense PLM series: one 0.5-10 s LM every 10-90 s, docs/scoring.md
        §2.1); five minutes hold 30 blocks; their lower quartile is the still level as long as a quarter of
        them is still, so minutes of restless wake or walking do not raise the thresholds after them.
    reanchor_still_s : after a movement, a leg still (no dynamic acceleration, orientation not changing, both
        against the night's own noise) for this long (s) at an orientation away from its resting vector is at
        rest there: the movement ended where that stillness began, and the next one is measured from there
        (``lrm.signal.detect.reanchored_offset``). 1 s: the change test already spans two 1 s windows, so 1 s
        of held stillness is ~3 s of raw data without movement, twice the 0.5 s offset rule's reach at each side.
        0 (the default) turns it off. Measured with 1 s (dev seeds 1000-1029, 3 h nights): LM F1 wide
        0.860 -> 0.872, hard 0.459 -> 0.476, classic 0.970 -> 0.988; recall above the stated limit wide 0.949 ->
        0.961; false LMs per still hour lower on every family; but the wide family's PLM-index error rose
        2.67 -> 3.65 /h (restless wake fidgets that merged into one > 10 s movement become LM-sized movements
        in series), so it is not the default. Re-measured on dev seeds 1012-1023 (3 h): wide PLM-index error
        2.07 -> 3.14 /h and hypnic jerks precision / recall 1.00 / 0.71 -> 0.79 / 0.59 (hard 0.83 / 0.51 -> 0.83 /
        0.38); with ``PostureParams.return_angle_deg`` = 1 the wide error is 2.53 /h (1000-1011: 2.32 -> 1.42, base
        1.63), the jerk losses stay. 2026-12-04: the extra PLMs are restless wake adjustments (62 of 82 in true wake,
        45 on true fidgets); re-anchoring only in the leg's own estimated sleep period kept none of the F1 gain, and
        everywhere it still makes false hypnic jerks (split fidgets), so it stays off; the adjustments are handled by
        ``PostureParams.wake_return_angle_deg`` instead (docs/validation.md, "Re-anchoring by default (2026-12-04)").
    pulses : use P, the matched filter for brief flexion pulses (``lrm.signal.pulses``), as a fourth onset statistic:
        a phasic LM's 80-300 ms pulses are one cosine cycle of tangential acceleration each (docs/scoring.md §6,
        §7), which R, D and B see diluted. Its thresholds are chi(3) quantiles of the raw samples' white noise
        through the filters at the same tails as the others (``false_alarm_tail``, ``quiet_tail``), plus the
        quantisation swing, scaled by the leg's measured still level as B's are. Measured (dev seeds 1000-1039,
        3 h nights, against main of 2026-12-03): see docs/validation.md, "Brief-pulse LMs". Off by default: on
        the wide dev nights it raised LM F1 0.845 -> 0.853 and twitch recall above the limit 0.844 -> 0.866 with
        no new false LM, but it makes the analysis of an 8 h two-leg 100 Hz night 1.5-1.7x as costly (one thread,
        CPU 0.36 -> 0.58 s in the quietest run; 2.4-2.6x before P became one matrix product per axis,
        ``lrm.signal.pulses.PulseBank``), above the +10 % at which it would be on by default. Turn it on with ``--config``
        (``detect.pulses = true``) for sensors of >= 44.4 Hz when twitch-like LMs matter.
    min_threshold_g : no onset threshold is lower than this (g): 4 mg is 0.23 deg of shank rotation, a
        small fraction of the smallest LM of docs/scoring.md §6 (a 4 deg rotation moves the gravity projection by
        70 mg and gives ~30 mg of tangential acceleration), so a very quiet sensor does not count the leg's
        pulse and breathing as movement.
    missed_share_note : a leg whose estimated share of LMs too small to detect (``lrm.signal.missed``, a log-normal
        fit to its detected LMs' peaks with its detection curve) exceeds this (0-1) is warned about, with the range
        the night's LM and PLM indices could reach. 0.2: the stated limit already allows 10 % of the LMs at it to be
        missed (docs/scoring.md §6); twice that is a loss the index shows, and a PLM index loses more than its LMs
        (a missed LM breaks its series). Replaced on 2026-12-04 the rule "more than 25 % of the LMs have peaks below
        2x the limit" (``near_limit_ratio`` 2, ``near_limit_share`` 0.25): ``peak_g`` reads a median 77 % of the
        true peak, so a fully detected night whose LMs sit 1.5-3x above the limit was warned about (dev seeds
        1000-1023, 8 h: 40 of 72 nights warned, 8 of them with a PLM index within 10 %; the new rule 32 and 5, and
        its stated upper end held on 31 of 32; docs/validation.md, "Is the near-limit warning calibrated?").
    """

    window_s: float = 1.0
    smooth_s: float = 0.2
    false_alarm_tail: float = 1e-6
    quiet_tail: float = 0.001
    min_quiet_s: float = 0.5
    reanchor_still_s: float = 0.0
    pulses: bool = False
    morph_window_s: float = 0.5
    null_block_s: float = 10.0
    null_window_s: float = 300.0
    null_quantile: float = 0.25
    min_threshold_g: float = 0.004
    rest_precision_g: float = 0.006
    missed_share_note: float = 0.2


@dataclass(frozen=True, slots=True)
class PostureParams:
    """Posture (lying vs upright), posture changes and walking.

    lying_max_elevation_deg : the shank counts as lying when its long axis is within this angle (deg)
        of horizontal (GGIR's HorAngle: 45 deg in its docs, 60 deg in its code, docs/scoring.md §5). 60 deg: in
        bed with the knees drawn up or propped on a pillow the shank rises to ~50 deg, while standing,
        walking or sitting with the feet down hold it at ~70-90 deg; at 45 deg such knees-up stretches
        were cut out of the time in bed (a tuning night lost 1.2 h).
    change_angle_deg : a movement after which the leg rests turned by at least this angle (deg)
        repositioned it: a posture change, not an LM. An LM is an excursion that returns the shank to where
        it was (docs/scoring.md §6; after an LM the resting orientation differs by a fraction of a degree), while
        restless adjustments and roll-overs leave it turned by degrees to tens of degrees (roll-overs
        20-120 deg, docs/scoring.md §5). GGIR counts z-angle changes of up to 5 deg as no change of posture
        (van Hees 2015, docs/scoring.md §5); 3 deg keeps a margin below that for the shank, whose orientation the
        1 s gravity estimate resolves to hundredths of a degree.
    return_angle_deg : opt-in (0, the default: off). A movement that is no brief burst (its high-amplitude part
        longer than ``JerkParams.max_high_s``: a jerk may leave the leg a few degrees away, docs/scoring.md §3.1) and
        leaves the leg turned by at least this angle (deg) did not return it: a restless adjustment, labelled a
        posture change, and not masked out of the resting vector's median (``lrm.signal.leg.moving_seconds``).
        1 deg moves the gravity projection by 17 mg, several times the 3 s orientation's noise even on a 15 mg
        sensor at 10 Hz. On four dev wide nights (1000, 1003, 1006, 1007, re-anchoring on) the lasting turn after
        a detected LM was 0.04 deg (median; 95 % below 0.35 deg), after a restless wake fidget 1.6 deg (10 % below
        0.34 deg). Measured with 1 deg on dev seeds
        (3 h; 1000-1011 / 1012-1023): LM F1 wide 0.909 -> 0.916 / 0.810 -> 0.826, hard 0.450 -> 0.470 / 0.439 ->
        0.474, classic 0.980 -> 0.991; false LMs per still hour wide 0.12 -> 0.11 / 0.12 -> 0.04, hard 0.39 -> 0.22
        / 0.28 -> 0.19; but the PLM-index error went both ways (wide 1.63 -> 1.18 / 2.07 -> 2.51 /h, hard 7.81 ->
        7.88 / 7.66 -> 7.23 /h) and the wide hypnic-jerk precision fell 1.00 -> 0.93 on 1012-1023, so it is off.
        With ``DetectParams.reanchor_still_s`` it takes back part of re-anchoring's PLM-index rise (below).
    wake_return_angle_deg : outside the estimated sleep period (before the first sleep onset and in awakenings,
        ``lrm.signal.sleep``), an LM that is no brief burst and leaves the leg turned by at least this angle (deg) is a
        restless wake repositioning: labelled a posture change after the sleep onsets and hypnic jerks are estimated
        (``lrm.signal.posture.label_wake_repositionings``; docs/scoring.md §5, "Restless wake"). 1 deg: 17 mg of the
        gravity projection, as ``return_angle_deg``; an LM returns the shank (0.04 deg median lasting turn on the
        dev nights), a wake adjustment leaves it 1.6 deg away (median). Not applied in the sleep period, where the
        PLMS index counts and a PLM may leave the foot slightly turned. Off by default (0; 1 deg turns it on): on
        28 dev nights per family (3 h, seeds 1000-1011 and 1024-1039) it raised LM F1 (wide 0.862 -> 0.867, hard
        0.520 -> 0.537, classic 0.978 -> 0.984) and lowered the PLM-index error (wide 3.21 -> 2.84 /h, hard 7.78 ->
        7.48, classic 1.39 -> 0.97), but the estimated sleep period it relies on is itself read from the legs'
        movement: a run of large PLMs makes epochs look like an awakening, and there the rule relabelled true
        PLMs. On the held-out wide nights it removed 46 true LMs (41 of them >= 0.15 g, 27 in PLM series, on 4 of
        12 nights; recall >= 0.15 g 0.955 -> 0.924), so it was turned off again the same day (docs/validation.md,
        "Re-anchoring by default (2026-12-04)"). Re-measured on the sleep estimate that keeps PLM series' beat
        (``SleepParams.keep_series_beat``): the loss is about halved, not gone (true LMs >= 0.15 g or in series
        removed on 19 of 144 dev nights of 3 h; wide 3 h 1000-1047: 34 -> 19 such LMs; 60 on four severe PLMD nights
        of 5 h), so it stays off (docs/validation.md, "A sleep estimate that does not read PLMs as wake").
    kept_turn_fraction : 0.1 (on by default since 2026-12-04 evening; 0 turns it off), in rad of lasting turn per g of
        ``peak_g``.
        An LM (no brief burst) that leaves the leg turned by at least ``kept_turn_angle_deg`` and by at least this
        fraction of its own excursion (``radians(angle_deg) / peak_g``: for a rotation by theta the gravity the
        sensor sees moves by ~theta g, so this bounds the share of the excursion kept) is a repositioning, labelled
        a posture change after the jerks, in sleep and wake alike: it needs no sleep estimate
        (``lrm.signal.posture.label_kept_turns``, docs/scoring.md §5 "Restless wake" and §6). An LM relaxes back
        (detected true LMs on dev seeds 1000-1023: kept share median 0.003-0.025, 95th percentile 0.015-0.096);
        a restless fidget moves the leg to lie elsewhere (median 0.14-0.16). On dev seeds 1000-1047 (3 h) it removes
        most PLMs that lie on restless-wake fidgets (wide 190 -> 83, hard 451 -> 181, classic 86 -> 16) at a cost of
        5-22 PLMs on true LMs per family, and on four severe PLMD nights (5 h) of 16 true LMs (of ~3,100); but the
        PLM-index error improves only where fidgets made an over-count: on nights that miss LMs below the detection
        limit the fidgets' PLMs had filled part of the deficit. Confirming seeds 1024-1047: wide 3.95 / 11.37 ->
        3.75 / 11.37 /h (mean / worst decile), hard 7.51 / 19.77 -> 7.60 / 20.66, classic 1.24 / 3.65 -> 0.94 /
        3.84. It is on because a false PLM is wrong whatever other error it hides: the nights it worsens are
        under-counts below the stated detection limit, which lrm already warns about, and an index right only by
        two errors cancelling is not one to trust (docs/validation.md, "Restless-wake PLMs: a repositioning keeps
        its turn (2026-12-04)", and the lead's decision after it).
    kept_turn_angle_deg : the smallest lasting turn (deg) ``kept_turn_fraction`` acts on: 1 deg moves the gravity
        projection by 17 mg, several times the 3 s resting orientation's noise (as ``wake_return_angle_deg``), so
        the kept share of a small LM is not read from noise.
    change_window_s : the resting orientation is read this long (s) before the onset and after the offset
        (or just outside the neighbouring movements, when they are closer).
    walk_min_s : a run of sustained hard movement (with the shank upright) at least this long (s) is a
        walking bout: 6 s holds 5-8 strides (0.8-1.2 s each).
    """

    lying_max_elevation_deg: float = 60.0
    change_angle_deg: float = 3.0
    return_angle_deg: float = 0.0
    wake_return_angle_deg: float = 0.0
    kept_turn_angle_deg: float = 1.0
    kept_turn_fraction: float = 0.1
    change_window_s: float = 3.0
    walk_min_s: float = 6.0


@dataclass(frozen=True, slots=True)
class RestParams:
    """The rest period (time in bed), docs/scoring.md §5.

    The rest period's ends, when known (a diary), are per-night inputs, not parameters: ``lrm analyze
    --lights-out/--lights-on``, a batch manifest's columns, or ``lrm.analyze(lights_out=...)``.

    min_bout_s : lying bouts shorter than this (s) are not the night's rest.
    join_s : lying bouts separated by less than this (s) belong to one rest period; the upright
        stretches in between are out-of-bed excursions and are removed from time in bed.
    min_excursion_s : upright stretches shorter than this (s) inside the rest period are ignored
        (sitting up in bed for a moment is not leaving it).
    min_return_s : after the night's last long lying bout, a lying bout of at least this (s) that starts
        within ``join_s`` is a return to bed after a night-time trip (the bathroom before dawn) and extends
        the rest period to the final rising. 5 min: Tudor-Locke's rule that bed time starts after 5
        consecutive minutes of sleep (docs/scoring.md §5); shorter lying (putting on shoes with the feet up)
        does not count. Without it a last lying bout shorter than ``min_bout_s`` was cut off the night
        (simulated hard nights lost 18-23 min of time in bed).
    """

    min_bout_s: float = 1200.0
    join_s: float = 3600.0
    min_excursion_s: float = 60.0
    min_return_s: float = 300.0


@dataclass(frozen=True, slots=True)
class SleepParams:
    """Sleep onset and re-onsets after awakenings, from the movements in bed (lrm.signal.sleep, docs/scoring.md §5).

    epoch_s : epoch (s): the 30 s scoring epoch of PSG.
    wake_activity_s : an epoch holding more than this many seconds of restless movement (posture changes,
        walking, movements longer than 10 s, irregular movements of >= 0.5 s: in no periodic run once the legs
        are combined as WASM 2016 combines them, lrm.signal.sleep step 1) is wake: a tenth of the epoch, the
        share of movement that one voluntary adjustment (a few seconds) makes.
    min_sleep_s : sleep (re)starts at the first epoch of a run of at least this long (s) without wake
        epochs (Tudor-Locke: 5 consecutive sleep minutes, docs/scoring.md §5).
    min_wake_s : a wake run at least this long (s) between quiet epochs is an awakening, after which the next
        sleep start is a re-onset; shorter ones (one epoch: a roll-over with a brief arousal) are not.
    keep_series_beat : opt-in (False, the default: off). The periodic-run test that tells PLMs from restless wake
        keeps a series' beat: an onset less than ``rules.imi_min_s`` after the previous one (the other leg's LM a
        few seconds later, a short-IMI LM) belongs to that movement instead of breaking the run, a posture change
        or walking between two beats ends it, and a movement of 10-20 s in the beat is two LMs the detector joined
        (``lrm.signal.sleep``; docs/scoring.md §5). PLMs are periodic, stereotyped and short (IMIs 10-90 s, 0.5-10
        s), wake restlessness irregular. On four simulated severe PLMD nights (large PLMs every 20-40 s) the true
        sleep outside the estimated sleep period fell from 55 % to 18 %, and on the dev nights the first sleep
        onset's error fell (wide 3 h 1024-1047: 4.8 -> 2.2 min mean, 12.3 -> 4.8 worst decile). Off by default
        because restless wake that happens to be spaced 10-90 s apart reads as a series too, so a few re-onsets
        after awakenings are missed: hypnic-jerk recall fell on the confirming nights (wide 3 h 61 -> 59 of 67 true
        jerks, classic 53 -> 52 of 56; 8 h unchanged; docs/validation.md, "A sleep estimate that does not read PLMs
        as wake").
    persistent_sleep_s : quiet from the lying-down itself (the lights-out, with no restless movement in bed
        before the onset) is the night's first sleep onset only if no wake bout follows within this long (s);
        else the person lay still awake and the first onset is looked for after that restlessness. Before the
        first onset after a seen lights-out a wake bout is any restless epoch, a lone one included (the person
        was awake at the lights-out and no sleep was seen to arouse from: Tudor-Locke's onset after 5 minutes
        without activity, docs/scoring.md §5); after it only an awakening (``min_wake_s``) counts. 30 min: a
        sleep-onset latency of up to 30 min is normal, from 31 min on it is the research criterion of insomnia
        (Lichstein 2003, docs/scoring.md [45]), so restlessness within 30 min of a still lying-down is read as
        the wake before sleep rather than an awakening from it. Until 2026-12-05 it was 10 min (the latency to
        persistent sleep of PSG, [44]) and only an awakening counted: on the jerk stress test's confirming nights
        (50-99) far estimated onsets fell 78 -> 44, missed true onsets 24 -> 20 of 85, the first onset's error
        17.9 -> 5.6 min (worst decile 28.9 -> 11.7); lrm's 8 h dev nights changed on 1 of 216 (docs/validation.md,
        "Sleep onsets: restlessness within 30 min of a still lying-down is the wake before sleep"). Only the
        lying-down is treated so: asked of every onset, persistence moved onsets after awakenings in lrm's
        simulator by tens of minutes ("Sleep onsets: bilateral PLMs as one, ..."). 0 turns it off.
    """

    epoch_s: float = 30.0
    wake_activity_s: float = 3.0
    min_sleep_s: float = 300.0
    min_wake_s: float = 60.0
    keep_series_beat: bool = False
    persistent_sleep_s: float = 1800.0


@dataclass(frozen=True, slots=True)
class JerkParams:
    """Hypnic jerks (sleep starts) by their physiology (lrm.rules.hypnic_jerks, docs/scoring.md §3.1).

    A jerk is a single, very brief, large burst at a wake-to-sleep transition, isolated. Each number is a
    limit: at it the criterion is met with confidence 0.5, at the ``*_ideal`` value with confidence 1 (the
    textbook jerk); past the limit the movement is never a jerk.

    Burst (lrm.signal.burst; the acceleration's deviation from the leg's rest before and after it):

    max_high_s : the high-amplitude part (at or above half the burst's peak) lasts at most this (s). The EMG
        burst lasts 75-250 ms (docs/scoring.md §3.1); a sin^2 pulse of 250 ms keeps its acceleration above
        half its peak for 2/3 of it (0.17 s), a rebound after it adds up to ~0.1 s, and the anti-alias
        filter of a 10-25 Hz sensor smears it by ~0.1 s. A leg movement's tonic hold keeps its
        acceleration high for most of its 0.5-10 s. On a sensor slower than ~12 Hz the limit is instead what its
        sampling and anti-alias filter make of a 250 ms burst (lrm.rules.hypnic_jerks.high_part_on_sensor: 4
        samples, 0.4 s, at 10 Hz), since the high part is counted in whole samples.
    high_ideal_s : a burst of at most this (s) is textbook (the 250 ms pulse, one sample of a slow sensor).
    max_core_s : the central 90 % of the movement's energy lies within at most this (s): "a few hundred ms",
        the 250 ms burst plus a ring-down that carries little energy and a slow sensor's smoothing; a
        movement of more than 1 s is never a jerk (docs/scoring.md §3.1). The energy span is used, not the
        detected duration, because the strap's ring-down (a few tenths of a second) and a slightly turned
        leg stretch the detected movement without adding energy.
    max_span_s : the leg moves (lrm.signal.burst's ``burst_span_s``: first to last sample at or above a quarter of
        the burst's peak) for less than this (s): the 75-250 ms burst, a rebound of up to ~0.1 s and a slow
        sensor's ~0.1 s smear stay under 0.5 s, the WASM 2016 minimum duration of an LM (docs/scoring.md
        §1.2 step 2: a jerk's burst is no LM; "a movement of more than 1 s is never a jerk", §3.1). On
        lrm's dev nights (8 per family) true jerks spanned 0.10-0.30 s, the 1 s bilateral fidgets and
        brief LMs taken for jerks 0.52-0.66 s. Read on the samples, since the detector's ~1 s averaging window makes any
        brief burst a ~1 s detected movement, and since one dominant lobe of a longer oscillation (a
        tremor-like movement) keeps the energy span short.
        The span is read in whole samples: N samples at or above the level mean the leg moved for more than
        (N - 1) / fs, so the limit is applied to the span less one sampling interval (a 0.2 s burst with
        its rebound fills 5 samples of a 10 Hz sensor, read as 0.5 s; a movement of more than 1 s spans
        more than 0.5 s at any rate).
    max_moved_s : the detector's interval of the movement (onset to offset, docs/scoring.md §1.2 step 1) lasts
        at most this (s): "a movement of more than 1 s is never a jerk" (docs/scoring.md §3.1), and the
        detector's statistics integrate over a 1 s window (``DetectParams.window_s``), which can stretch a
        movement's detected interval by up to that window. A restless adjustment whose largest
        sub-movement looks like a burst (one 0.2-0.3 s lobe of 0.3-0.9 g) keeps its burst measures short
        but is detected for its whole 1-4 s. On lrm's dev nights (3 families x 24 nights of 3 h) the
        detected intervals of true jerks' rows were 0.17-3.7 s (95 % <= 1.35 s; 1 of 218 over 2 s), those
        of brief-looking restless adjustments 0.3-23 s (median 2.2 s, 64 of 116 over 2 s).
    core_ideal_s : an energy span of at most this (s) is textbook (the burst and ~0.1 s of ring-down).
    max_lasting_turn_deg : the leg's resting orientation after the movement differs from the one before by at
        most this (deg; lrm.signal.posture's lasting orientation change). A jerk is a brief contraction
        followed by relaxation, and its excursion is small: a 150 ms burst peaking at 1 g turns a shank
        0.35 m from the knee by ~2 deg (A = peak g T^2 / (2 pi^2 r), docs/scoring.md §6), so it leaves the
        leg within a few degrees of where it lay; a voluntary adjustment of the same brevity repositions
        it, typically by more. (Lasting turns under ~3 deg are partly hidden by the slow gravity estimate,
        which only makes this limit lenient.)
    min_burst_samples : a burst seen on one leg only must fill at least this many of its sensor's samples at
        or above a quarter of its peak (and twice the noise: ``burst_span_s``): in one sample it cannot be told
        from a glitch (a corrupted or quantisation sample stands alone, while a sensor's anti-alias filter
        at or below half its rate spreads any real movement over neighbouring samples, so its neighbour
        keeps a quarter of the peak). Counted at a quarter, not at half the peak: at 12.5-13 Hz a 100-200 ms
        burst often has one sample above half its peak (on lrm's dev nights 8 true jerks were refused so,
        with 2-4 samples at a quarter). On both legs at once a single sample may do (the two sensors' noise
        is independent; a 75 ms burst on a 10-13 Hz sensor).
    min_peak_g : the burst's peak is at least this (g). A jerk is a fast movement: a shank turning by
        only 0.5 deg within 250 ms at 0.3 m from the knee already accelerates at ~0.08 g (peak tangential
        acceleration 2 A (pi / T)^2 r, docs/scoring.md §6).
    min_size_ratio : and at least this multiple of the median burst peak of the night's other leg
        movements: jerks are large against the night's own LMs (a startle of several body segments
        against a dorsiflexion of the ankle, docs/scoring.md §3.1). Applied when the night has
        ``min_size_reference`` such LMs or more. Both limits are scaled by the share of a brief burst's
        peak the leg's sensor shows (lrm.signal.burst.burst_retention: ~1/3 at 10 Hz, 0.86 at 25 Hz,
        ~1 from 50 Hz), since a slow sensor's filter and sampling hide part of a 150 ms burst but none of
        a slow leg movement.
    size_ideal_ratio : this multiple (or more) is textbook.
    min_noise_ratio : and at least this multiple of the sensor's noise around the movement (``burst_noise_g``,
        the mean distance of a resting sample from the rest's mean; for Gaussian noise of sigma per axis that
        mean is 1.6 sigma, so 4x is ~6.4 sigma, a level a noise sample reaches about once in 10^8): a jerk is a
        movement far above anything noise or quantisation can make, which matters most on a slow sensor,
        where the size limits above are lowered by the burst's retention.
    min_size_reference : how many other LMs the night needs for its median to count.

    Timing (lrm.signal.sleep estimates the transitions from the ankle; none estimated -> no jerk):

    before_onset_s : the jerk lies at most this long (s) before an observed sleep (re)onset. A jerk often
        rouses the sleeper for a moment (an arousal, sometimes an adjustment), and the ankle then places
        the onset after that restlessness.
    after_onset_s : and at most this long (s) after it: jerks belong to falling asleep and light sleep.
        N1 after an onset lasts minutes, and the ankle's onset comes early by the time spent lying
        still awake; 15 min covers both. Later is established sleep, where a jerk is never classed.
    onset_ideal_before_s, onset_ideal_after_s : within this much (s) before / after the onset the timing is
        textbook.
    restless_transition_confidence : the end of a restless stretch in bed that was no awakening (a lone
        roll-over, a brief arousal with movement) may be a brief awakening with a re-onset after it: a jerk
        timed by one scores at most this, so a jerk on one leg of two is never classed by it.

    Neighbours:

    isolation_s : no other movement on either leg (the jerk's own other-leg half aside) starts or ends
        within this (s) of it: a jerk is a single, non-periodic event (docs/scoring.md §3.1), and 10 s is
        the shortest IMI of a PLM series under WASM 2016 (§1.2 step 7); trains of foot tremor, ALMA or
        high-frequency leg movements (0.3-4 Hz, §3.2) are never isolated.
    isolation_ideal_s : no movement within this (s) is textbook.
    restless_window_s, max_restless : a movement linked to ``max_restless`` or more restless movements (posture
        changes, walking, movements that are not a brief burst, and not trains) by gaps of at most
        ``restless_window_s`` (s) each is one of a run of restless wake movements, never a jerk. 30 s: one PSG
        epoch, so no epoch of sleep lies between the run's movements. 3: the movement and 3 others make 4, the
        smallest run in every scoring rule for repeated leg movements (a PLM series, hypnagogic foot tremor,
        ALMA, high-frequency leg movements: >= 4, docs/scoring.md §1.2 step 7 and §3.2); one adjustment before a
        jerk and one after it (a person settling, then startled while falling asleep) make no run (with 2, 11 of
        231 true jerks on lrm's dev nights were refused and no false one). A leg movement whose burst peak is
        below ``min_noise_ratio`` times the sensor noise around it (``burst_noise_g``) is no restless movement: it
        cannot be told from noise (the bar a jerk itself must clear), and restless wake adjustments are large (on
        lrm's hard dev nights one true jerk at sleep onset was refused because a 0.016 g detection on 0.010 g
        noise made the third of a run). Nor is a train (``min_train_bursts`` below): with trains counted, the
        linked run refused true jerks linked to restless wake only through a hypnagogic foot tremor at sleep onset
        (10-15 s of 1-2 Hz bursts, read by the detector as one long LM); with trains out it lost no true jerk on
        lrm's dev nights and removed a tenth of the jerk stress test's false jerks (226 -> 204 on seeds 0-99;
        docs/validation.md, "Trains are no restlessness").
    restless_linked : True: the run is every restless movement linked to the movement by gaps of at most
        ``restless_window_s`` (s) each; False: only those within ``restless_window_s`` of the movement (before
        2026-12-04; docs/validation.md, "Trains are no restlessness").
    min_train_bursts, max_train_burst_s, min_train_hz, max_train_hz, max_train_cv : a leg movement whose samples
        show at least ``min_train_bursts`` separate pulses (lrm.signal.burst's ``burst_pulses``: the foot back at
        rest between them), none longer than ``max_train_burst_s`` (s), at ``min_train_hz``-``max_train_hz`` (Hz,
        ``burst_pulse_hz``), their starts spaced with a coefficient of variation of at most ``max_train_cv``
        (``burst_pulse_cv``; 0.5 is halfway between a steady rhythm, 0, and random timing, 1; it kept 90 % of the
        simulator's regular trains and cut the restless fidgets read as one from 115 to 47 of 1842 on the dev
        choosing nights) is a train (hypnagogic
        foot tremor, ALMA, high-frequency leg movements: >= 4 bursts at 0.3-4 Hz, HFT bursts 250-1000 ms, ALMA
        100-500 ms; docs/scoring.md §3.2), no restless wake movement:
        it counts towards no restless run (it may still be an LM, and it still breaks a jerk's isolation). Only
        the first 4 s of a movement are measured (lrm.signal.burst), so a train slower than ~1 Hz shows fewer than
        4 pulses there and still counts as restless.
    settle_window_s, settle_ideal, settle_limit : confidence only (never whether a movement is a jerk): a jerk
        ends the wake before sleep, so the ``settle_window_s`` (s) after it should be quiet; irregular movements
        in them (posture changes, walking, movements that are no brief burst and no member of a periodic run,
        and brief bursts; PLMs go on in sleep and do not count) say the person is still awake and restless. Up
        to ``settle_ideal`` of them is textbook (a jerk may rouse the sleeper, who settles with one adjustment,
        docs/scoring.md §3.1), ``settle_limit`` or more scores 0.5 (the smallest run of repeated movements in
        every scoring rule, §1.2 step 7 and §3.2). 300 s: sleep begins after 5 min without activity (Tudor-Locke,
        docs/scoring.md §5; ``SleepParams.min_sleep_s``). On the jerk stress test's choosing nights it raised the
        confidence's AUC for true against false jerks from 0.77 to 0.87 (docs/validation.md).
    onset_run : a sleep (re)onset (or the end of a restless stretch) that comes after a burst times it only if
        fewer than this many irregular movements (posture changes, walking, movements that are no brief burst, no
        member of a periodic run and no train, and brief bursts: the ``settle_window_s`` count's movements) make a
        run, linked by gaps of at most ``restless_window_s`` (s), between the burst and that onset. Sleep begins
        where the restless wake ends (the actigraphy rule of 5 min without activity, Tudor-Locke, and the
        ankle's onset at the end of an awakening's last restless movement, docs/scoring.md §5); a burst that
        restless wake follows before the onset did not end the wake, so it is no jerk at that transition (it may
        still be timed by another). 4: the smallest run of repeated movements in every scoring rule (§1.2 step 7,
        §3.2), as for ``max_restless``; 30 s: one PSG epoch. Brief bursts count because the sleep estimate counts
        no movement under 0.5 s (the WASM minimum LM), so its onset can lie after a run of them. Only the onsets
        after the burst are checked: after an onset, restless movements bear on the confidence only
        (``settle_window_s``; refusing for them lost true jerks of lrm's simulator, docs/validation.md, "The
        sleep onset as a jerk's boundary"). On the jerk stress test's choosing / confirming nights false jerks fell
        101 -> 96 / 100 -> 88 with every true jerk kept, dev nights 1000-1047 unchanged; on a further set (stress
        100-149: 89 -> 76 false, no true one lost; dev 1048-1071) it lost 2 of 51 wide true jerks, one-leg jerks
        timed by an onset the estimate placed 5 min late behind irregular LMs of sleep. 0 turns it off.
    bilateral_s : the two legs' bursts whose onsets are closer than this (s) are one (bilateral) jerk (when the
        other leg shows no burst that close, its movement whose detected interval, widened by this, holds the
        burst's start is the other half: a small half on a slow sensor may have its largest sample away from
        the burst's start, and the same moment on the other leg is no "other movement" to be isolated from): a
        startle moves both legs within tens of ms, and 0.5 s is the WASM bilateral window for LMs (§1.2 step
        4), wide enough for the two sensors' residual clock error (0.31 s on the 20 Hz night 107 of
        tests/jerk_nights.py, where a 0.3 s window split a one-sample jerk into two glitches).
    unilateral_confidence : confidence of a jerk seen on one leg of a two-leg recording. A jerk may involve
        "one or more body segments", so it is allowed, but both legs is the common picture and a brief
        burst of one leg alone is otherwise ambiguous (a twitch, part of an adjustment, a glitch): it must
        be a textbook brief burst (``high_ideal_s``, ``core_ideal_s``), timed by a sleep onset (not only by
        the end of a restless moment) and outside any PLM series (``series_outsize_ratio`` is for a startle,
        a whole-body event). Its size and timing window are those of any jerk: a jerk of one leg is no
        larger and no differently timed than one of both (requiring 3x the night's median LM and the
        textbook timing missed 17 of 231 true jerks on lrm's dev nights and avoided no false one).
    one_leg_confidence : confidence of any jerk on a one-leg recording (the other leg cannot be checked).
    series_edge_confidence : confidence of a jerk that would start, end or join a periodic run that exists without
        it (within the series' longest IMI of its first or last member), or that lies among a run's movements
        without being one of them (see ``series_outsize_ratio``). A run that reaches ``min_series_len`` only with
        the jerk is no series: a < 0.5 s burst is no LM (docs/scoring.md §1.2 step 2, §3.1), so it can neither make
        nor bridge one (on lrm's hard dev nights 4 of 46 true jerks at sleep onset were refused so). A burst on one
        leg of two counts as one of the movements (a twitch or part of an adjustment may fall into their rhythm).
    series_outsize_ratio : a movement inside a PLM series (its onset between two of the run's members) is never a
        jerk, unless it is no member of it: a brief burst at least this multiple of the run's median burst
        peak (as its sensor shows a brief burst) is a startle among the series' ankle dorsiflexions, not one
        of them. A < 0.5 s burst is no LM under WASM 2016 (docs/scoring.md §1.2 step 2), so it cannot be a
        series member by the rules, and the 3x is the size criterion's textbook ratio; such a jerk scores at
        most ``series_edge_confidence``. A huge value (1e9): a movement inside a series is never a jerk,
        whatever its size (on lrm's dev nights that missed 6 more of 78 true jerks, at sleep onsets amid
        PLMs, and avoided 1 false one, docs/validation.md).
    max_envelope_half_s : the detector's envelope (the 0.2 s RMS deviation from rest on the 25 Hz working grid,
        ``half_peak_s``) stays at or above half its peak for at most this long (s) on at least one leg of the
        jerk: a 75-250 ms burst behind a sensor's anti-alias filter keeps it there for at most 0.40 s
        (:func:`lrm.rules.hypnic_jerks.envelope_half_on_grid`, worst over 10-200 Hz and the grid's phase); where
        the leg's rate is known the limit is what that sensor makes of the longest burst (0.36 s at 25 Hz, 0.32 s
        at 12.5 Hz, 0.40 s from 50 Hz), never more than this, so
        a movement whose envelope stays up longer on every leg that shows it moved for longer than a burst (a
        tremor-like LM or a restless fidget with one dominant lobe, whose samples' burst measures read only
        that lobe; docs/scoring.md §3.1).
    """

    max_high_s: float = 0.35
    high_ideal_s: float = 0.2
    max_core_s: float = 0.6
    max_span_s: float = 0.5
    max_moved_s: float = 2.0
    max_envelope_half_s: float = 0.40
    core_ideal_s: float = 0.35
    max_lasting_turn_deg: float = 3.0
    min_burst_samples: int = 2
    min_peak_g: float = 0.08
    min_size_ratio: float = 1.0
    size_ideal_ratio: float = 3.0
    min_noise_ratio: float = 4.0
    series_outsize_ratio: float = 3.0
    min_size_reference: int = 3
    before_onset_s: float = 900.0
    after_onset_s: float = 900.0
    onset_ideal_before_s: float = 300.0
    onset_ideal_after_s: float = 600.0
    restless_transition_confidence: float = 0.7
    isolation_s: float = 10.0
    isolation_ideal_s: float = 60.0
    restless_window_s: float = 30.0
    max_restless: int = 3
    restless_linked: bool = True
    min_train_bursts: int = 4
    max_train_burst_s: float = 1.0
    min_train_hz: float = 0.3
    max_train_hz: float = 4.0
    max_train_cv: float = 0.5
    bilateral_s: float = 0.5
    unilateral_confidence: float = 0.6
    one_leg_confidence: float = 0.8
    series_edge_confidence: float = 0.6
    settle_window_s: float = 300.0
    settle_ideal: int = 1
    settle_limit: int = 4
    onset_run: int = 4


_STEPS: dict[str, type] = {
    "prepare": PrepareParams,
    "align": AlignParams,
    "detect": DetectParams,
    "posture": PostureParams,
    "rest": RestParams,
    "sleep": SleepParams,
    "jerks": JerkParams,
}


@dataclass(frozen=True, slots=True)
class Params:
    """All analysis parameters; ``rules`` is the scoring rule set (:mod:`lrm.rules.rulesets`), the only source
    of scoring numbers: the scoring, the hypnic-jerk classifier, the sleep onsets and the report read it.
    A name (``"wasm2016"`` or ``"aasm"``) is accepted for it and turned into its :class:`RuleSet`; ``to_dict``
    and the digest keep the name."""

    rules: RuleSet = WASM2016
    prepare: PrepareParams = field(default_factory=PrepareParams)
    align: AlignParams = field(default_factory=AlignParams)
    detect: DetectParams = field(default_factory=DetectParams)
    posture: PostureParams = field(default_factory=PostureParams)
    rest: RestParams = field(default_factory=RestParams)
    sleep: SleepParams = field(default_factory=SleepParams)
    jerks: JerkParams = field(default_factory=JerkParams)

    def __post_init__(self) -> None:
        if not isinstance(self.rules, RuleSet):
            object.__setattr__(self, "rules", get_ruleset(self.rules))  # ValueError for an unknown name

    def to_dict(self) -> dict[str, Any]:
        """Nested plain dict (TOML/JSON-ready; None values kept; the rule set by its name)."""
        return {"rules": self.rules.name, **{name: dataclasses.asdict(getattr(self, name)) for name in _STEPS}}

    def digest(self) -> str:
        """A stable 12-hex-digit hash of every parameter (goes into summary.json and cohort tables)."""
        text = json.dumps(self.to_dict(), sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def with_overrides(self, **steps: dict[str, Any]) -> Params:
        """A copy with some fields replaced, e.g. ``p.with_overrides(rest={"min_bout_s": 600.0})``."""
        data = self.to_dict()
        for step, values in steps.items():
            if step == "rules":
                data["rules"] = values
            else:
                data.setdefault(step, {}).update(values)
        return Params.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, source: str = "<params>") -> Params:
        """Build from a nested dict; keys may use '-' (CLI flag spelling) or '_'. Unknown keys raise."""
        kwargs: dict[str, Any] = {}
        for key, value in data.items():
            name = key.replace("-", "_")
            if name == "rules":
                if value not in RULESET_NAMES:
                    raise InputError(source, "key 'rules'", f"unknown rule set {value!r}",
                                     f"use one of {', '.join(RULESET_NAMES)}")
                kwargs["rules"] = value
            elif name in _STEPS:
                if not isinstance(value, dict):
                    raise InputError(source, f"[{name}]", "expected a table of parameters", "see lrm analyze --help")
                kwargs[name] = _build_step(_STEPS[name], value, source, name)
            else:
                known = ", ".join(["rules", *_STEPS])
                raise InputError(source, f"key {key!r}", "unknown parameter group", f"use one of: {known}")
        return cls(**kwargs)

    @classmethod
    def from_toml(cls, path: str | os.PathLike[str]) -> Params:
        """Read parameters from a TOML file (see the module docstring for the layout)."""
        import tomllib

        from lrm.io.paths import regular_file

        regular_file(path, what="TOML")  # a FIFO would block the read
        try:
            with open(path, "rb") as fh:
                data = tomllib.load(fh)
        except FileNotFoundError:
            raise InputError(str(path), "", "no such file", "check the --config path") from None
        except tomllib.TOMLDecodeError as exc:
            raise InputError(str(path), "", f"not valid TOML ({exc})", "fix the syntax") from None
        except UnicodeDecodeError as exc:  # TOML is UTF-8 by definition
            raise InputError(str(path), f"byte {exc.start}", "not UTF-8 text", "save the file as UTF-8") from None
        except IsADirectoryError:
            raise InputError(str(path), "", "a directory, not a TOML file", "check the --config path") from None
        return cls.from_dict(data, source=str(path))


def _build_step(cls: type, values: dict[str, Any], source: str, group: str) -> Any:
    names = {f.name: f for f in fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in values.items():
        name = key.replace("-", "_")
        if name not in names:
            raise InputError(source, f"[{group}] key {key!r}", "unknown parameter", f"use one of: {', '.join(names)}")
        default = getattr(cls(), name)
        if isinstance(default, float) and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if default is not None and not isinstance(value, type(default)):
            raise InputError(source, f"[{group}] key {key!r}", f"expected a {type(default).__name__}, got {value!r}",
                             "fix the value")
        if isinstance(value, float) and not value >= 0:
            raise InputError(source, f"[{group}] key {key!r}", f"must be >= 0, got {value}", "fix the value")
        kwargs[name] = value
    return replace(cls(), **kwargs)
