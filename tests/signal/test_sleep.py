"""Sleep onsets and re-onsets from the ankle (lrm.signal.sleep, docs/scoring.md §5): 30 s epochs, restless
movement, awakenings, observed and unobserved transitions, and the honest note when none can be estimated."""

import numpy as np
import pandas as pd
import pytest

from lrm.params import PostureParams, SleepParams
from lrm.rules.rulesets import AASM
from lrm.signal.posture import label_wake_repositionings
from lrm.signal.sleep import find_sleep_onsets

NIGHT_S = 4 * 3600
LIGHTS_OUT = 600


def _bed(lights_out=LIGHTS_OUT, lights_on=NIGHT_S):
    bed = np.zeros(NIGHT_S, bool)
    bed[lights_out:lights_on] = True
    return bed


def _moves(rows):
    """(onset_s, duration_s[, type]) rows."""
    rows = [r if len(r) == 3 else (*r, "lm") for r in rows]
    return pd.DataFrame({"onset_s": [float(r[0]) for r in rows], "offset_s": [float(r[0] + r[1]) for r in rows],
                         "type": [r[2] for r in rows]})


def _restless(start, count):
    """Restless wake: pairs of 4 s adjustments 5 s apart, the pairs 80 s apart (irregular: the 5 s intervals
    break any periodic run), each pair > 3 s of movement in an epoch."""
    return [(start + 80.0 * (k // 2) + 5.0 * (k % 2), 4.0) for k in range(count)]


def _end(rows):
    return max(t + d for t, d, *_ in rows)


def test_sleep_starts_where_the_last_restless_movement_after_lights_out_ends():
    rows = _restless(700, 5)
    est = find_sleep_onsets(_moves(rows), _bed())
    assert est.onsets_s == (_end(rows),) == (864.0,) and est.kinds == ("first",) and est.observed == (True,)
    assert est.note is None and est.first_onset_s == est.onsets_s[0]
    onsets = est.transitions(restless=False)
    assert onsets["onset_s"].tolist() == [864.0] and onsets["kind"].tolist() == ["first"]
    moments = est.transitions()                          # with the ends of the restless stretches before it
    assert moments["onset_s"].is_monotonic_increasing and set(moments["kind"]) == {"first", "restless"}
    assert (moments.loc[moments["kind"] == "restless", "onset_s"] < 864.0).all()


def test_lights_out_followed_by_quiet_is_the_sleep_onset():
    est = find_sleep_onsets(_moves([]), _bed())
    assert est.onsets_s == (float(LIGHTS_OUT),) and est.observed == (True,)


@pytest.mark.parametrize(("quiet_s", "first_at_lights_out"), [(1740, False), (1800, True)])
def test_quiet_from_the_lying_down_is_the_onset_only_if_it_persists_30_min(quiet_s, first_at_lights_out):
    """Lying still after the lights-out, then restless wake: the person lay awake, so the night's first onset is
    where the restlessness ends (before 2026-12-05 it went to the lights-out whenever 10 min of quiet followed it).
    From 30 min of quiet on (``persistent_sleep_s``, the longest sleep latency that is no insomnia) the lying-down
    is the onset and the restlessness an awakening."""
    rows = _restless(LIGHTS_OUT + quiet_s, 5)
    est = find_sleep_onsets(_moves(rows), _bed())
    if first_at_lights_out:
        assert est.onsets_s == (float(LIGHTS_OUT), _end(rows)) and est.kinds == ("first", "re-onset")
    else:
        assert est.onsets_s == (_end(rows),) and est.kinds == ("first",) and est.observed == (True,)
    assert find_sleep_onsets(_moves(rows), _bed(), SleepParams(persistent_sleep_s=0)).onsets_s[0] == LIGHTS_OUT


@pytest.mark.parametrize("quiet_s", [60, 900, 1500])
def test_one_restless_epoch_before_the_first_onset_is_wake(quiet_s):
    """Awake at the seen lights-out, one restless adjustment (one wake epoch, no awakening in sleep) after
    ``quiet_s`` of lying still ends the wake: sleep starts after it, not at the lights-out (the old code put the
    onset at the lights-out, since one epoch is less than ``min_wake_s``)."""
    rows = [(LIGHTS_OUT + quiet_s, 4.0)]
    est = find_sleep_onsets(_moves(rows), _bed())
    assert est.onsets_s == (_end(rows),) and est.kinds == ("first",) and est.observed == (True,)


def test_one_restless_epoch_after_the_first_onset_is_no_awakening():
    """Once asleep, the same lone adjustment is a movement in sleep (a roll-over with a brief arousal)."""
    rows = _restless(700, 5) + [(3000, 4.0)]
    assert find_sleep_onsets(_moves(rows), _bed()).onsets_s == (_end(_restless(700, 5)),)


def test_without_a_seen_lights_out_one_restless_epoch_is_no_wake():
    """Sensors strapped on in bed: nobody saw the person awake, so a lone restless epoch is no wake either."""
    est = find_sleep_onsets(_moves([(900, 4.0)]), np.ones(NIGHT_S, bool), lights_out_observed=False)
    assert est.onsets_s == (0.0,) and est.observed == (False,)


def test_a_return_to_bed_after_the_first_onset_keeps_its_re_onset():
    """Only the night's first onset at the lying-down needs persistent sleep: back in bed from a bathroom trip,
    quiet and then restless within 10 min, the return is still a re-onset."""
    bed = _bed()
    bed[6000:6400] = False
    rows = _restless(700, 5) + _restless(6400 + 400, 5)
    est = find_sleep_onsets(_moves(rows), bed)
    assert est.onsets_s[:2] == (864.0, 6400.0)


def test_an_awakening_gives_a_re_onset_after_its_last_restless_movement():
    rows = _restless(700, 5) + _restless(7200, 4)
    est = find_sleep_onsets(_moves(rows), _bed())
    assert est.kinds == ("first", "re-onset") and est.onsets_s[1] == _end(rows)


@pytest.mark.parametrize(("n_epochs", "is_awakening"), [(1, False), (2, True)])
def test_an_awakening_holds_at_least_min_wake_s_of_restless_epochs(n_epochs, is_awakening):
    # restless movements in n_epochs consecutive 30 s epochs (each epoch > wake_activity_s of movement)
    rows = _restless(700, 5) + [(7200 + 30 * k + 5, 6.0) for k in range(n_epochs)]
    est = find_sleep_onsets(_moves(rows), _bed())
    assert len(est.onsets_s) == 1 + int(is_awakening)


@pytest.mark.parametrize(("activity_s", "is_wake"), [(3.0, False), (3.5, True)])
def test_an_epoch_is_wake_above_wake_activity_s_of_restless_movement(activity_s, is_wake):
    rows = _restless(700, 5) + [(7205, activity_s), (7235, activity_s)]
    assert len(find_sleep_onsets(_moves(rows), _bed()).onsets_s) == 1 + int(is_wake)


@pytest.mark.parametrize(("quiet_s", "asleep"), [(300, True), (270, False)])
def test_sleep_needs_min_sleep_s_of_quiet(quiet_s, asleep):
    # restlessness, quiet_s of quiet, then restless again for the rest of the night
    first = _restless(700, 6)
    rows = first + _restless(_end(first) + quiet_s, 330)
    est = find_sleep_onsets(_moves(rows), _bed())
    assert bool(est.onsets_s) == asleep


def test_periodic_leg_movements_are_not_restlessness():
    plms = [(3000 + 25.0 * k, 4.0) for k in range(60)]               # a PLM series, 25 s apart, 4 s each
    assert len(find_sleep_onsets(_moves(_restless(700, 5) + plms), _bed()).onsets_s) == 1
    fidgets = [(3000 + 8.0 * k, 4.0) for k in range(30)]               # 8 s apart: not periodic under WASM...
    assert len(find_sleep_onsets(_moves(_restless(700, 5) + fidgets), _bed()).onsets_s) == 2
    assert len(find_sleep_onsets(_moves(_restless(700, 5) + fidgets), _bed(), rules=AASM).onsets_s) == 1  # ...AASM: 5-90 s


def _two_legs(rows):
    """(onset_s, duration_s, side[, type]) rows."""
    return pd.DataFrame({"onset_s": [float(r[0]) for r in rows], "offset_s": [float(r[0] + r[1]) for r in rows],
                         "side": [r[2] for r in rows], "type": [r[3] if len(r) == 4 else "lm" for r in rows]})


@pytest.mark.parametrize("lag_s", [1.0, 2.5, 3.9])
def test_a_bilateral_plm_series_whose_other_leg_starts_seconds_later_is_sleep(lag_s):
    """The other leg's half of a bilateral PLM that the detector starts 1-4 s after the first, while the first
    still moves, is one LM as WASM 2016 combines the legs (overlap, docs/scoring.md §1.2 step 4), not an IMI < 10 s
    that breaks the series: two hours of such PLMs are sleep, not hours of wake (main read them as wake)."""
    rows = [(t, 4.0, "left") for t, _ in _restless(700, 5)]
    for k in range(288):                                              # 2 h of PLMs 25 s apart, 4 s each
        t = 3000.0 + 25.0 * k
        rows += [(t, 4.0, "left"), (t + lag_s, 4.0, "right")]
    est = find_sleep_onsets(_two_legs(rows), _bed())
    assert est.onsets_s == (864.0,)
    assert est.sleep_period[864 // 30 + 1:].all()


def test_two_legs_apart_by_more_than_the_bilateral_gap_still_break_the_run():
    """A second leg's movement that starts after the first has ended (gap >= 0.5 s) is a movement of its own: 5 s
    after a PLM it is an IMI < 10 s, which breaks a series (WASM 2016, §1.2 step 8), so such a stretch stays wake."""
    rows = [(t, 4.0, "left") for t, _ in _restless(700, 5)]
    for k in range(288):
        t = 3000.0 + 25.0 * k
        rows += [(t, 4.0, "left"), (t + 4.5, 4.0, "right")]          # the right leg 0.5 s after the left ends
    est = find_sleep_onsets(_two_legs(rows), _bed())
    assert est.sleep_period[3000 // 30: (3000 + 7200) // 30].mean() < 0.5


def test_a_posture_change_between_two_beats_ends_the_periodic_run():
    """Restless wake whose adjustments happen to lie 20 s apart is no PLM series when a posture change falls
    between them (wake behaviour: docs/scoring.md §5); main counted all six as one periodic run, so they made no
    awakening."""
    lms = [(t, 4.0, "left") for t in (5000.0, 5020.0, 5040.0, 5060.0, 5080.0, 5100.0)]
    rows = [(t, 4.0, "left") for t, _ in _restless(700, 5)] + lms + [(5050.0, 2.0, "left", "posture_change")]
    est = find_sleep_onsets(_two_legs(rows), _bed())
    assert est.onsets_s == (864.0, 5104.0)
    without = find_sleep_onsets(_two_legs([r for r in rows if len(r) == 3]), _bed())   # no posture change: a series
    assert without.onsets_s == (864.0,)


def test_a_movement_that_is_no_clm_ends_the_periodic_run():
    """An LM over 10 s is no CLM and breaks a series (WASM 2016, §1.2 steps 3 and 8): the 4 s movements 20 s apart
    around it are two runs of three, irregular, and with it an awakening; main counted it as a member."""
    rows = [(t, 4.0, "left") for t, _ in _restless(700, 5)]
    rows += [(t, 4.0, "left") for t in (5000.0, 5020.0, 5040.0, 5080.0, 5100.0, 5120.0)] + [(5060.0, 12.0, "left")]
    est = find_sleep_onsets(_two_legs(rows), _bed())
    assert est.onsets_s == (864.0, 5124.0)


def _severe_plmd(start_s, end_s, seed=7):
    """Hours of large PLMs as severe PLMD shows them to the detector: one every 20-40 s, 1-8 s long; after every
    third the other leg moves 2-8 s later (a short IMI), every seventh is joined with its neighbour into one
    detection of 11-18 s. (onset_s, duration_s) rows."""
    rng = np.random.default_rng(seed)
    rows, t, k = [], float(start_s), 0
    while t < end_s:
        rows.append((t, float(rng.uniform(11.0, 18.0)) if k % 7 == 6 else float(rng.uniform(1.0, 8.0))))
        if k % 3 == 2:
            rows.append((t + float(rng.uniform(2.0, 8.0)), float(rng.uniform(0.8, 3.0))))
        t, k = t + float(rng.uniform(20.0, 40.0)), k + 1
    return rows


def test_hours_of_large_plms_with_short_imis_and_joined_detections_are_sleep():
    """With ``keep_series_beat``, the second leg's LM a few seconds after a PLM and two LMs the detector joined into
    one 11-18 s movement keep the series' beat: neither reads as restless wake (docs/scoring.md §5). Without it
    (the default) such a night is split into awakenings, where ``label_wake_repositionings`` would relabel true
    PLMs (docs/validation.md, "A sleep estimate that does not read PLMs as wake")."""
    plms = _severe_plmd(1800, NIGHT_S - 300)
    beat = SleepParams(keep_series_beat=True)
    ep = 30
    default = find_sleep_onsets(_moves(_restless(700, 5) + plms), _bed())
    assert default.sleep_period[1800 // ep: NIGHT_S // ep].mean() < 0.5            # the default: hours of "wake"
    est = find_sleep_onsets(_moves(_restless(700, 5) + plms), _bed(), beat)
    assert est.onsets_s == (864.0,)                                         # one onset, no awakening after it
    assert est.sleep_period[864 // ep + 1:].all()
    moves = _moves(plms).assign(angle_deg=np.linspace(0.0, 2.5, len(plms)), half_peak_s=2.0)   # some leave 1-2.5 deg
    out = label_wake_repositionings(moves, est.sleep_period, est.epoch_s, PostureParams(wake_return_angle_deg=1.0))
    assert (out["type"] == "lm").all()
    # the same movements an irregular restless stretch interrupts: that is still an awakening
    awake = [(6000.0 + 80.0 * (k // 2) + 5.0 * (k % 2), 4.0, "posture_change") for k in range(8)]
    rows = _restless(700, 5) + [r for r in plms if not 5990 <= r[0] <= 6600] + awake
    assert len(find_sleep_onsets(_moves(rows), _bed(), beat).onsets_s) == 2


def test_brief_movements_and_a_lone_roll_over_do_not_wake():
    rows = _restless(700, 5) + [(3000 + 60 * k, 0.4) for k in range(20)] + [(6000, 4.0, "posture_change")]
    assert len(find_sleep_onsets(_moves(rows), _bed()).onsets_s) == 1


def test_getting_up_is_an_awakening():
    bed = _bed()
    bed[6000:6400] = False                                             # a bathroom trip
    est = find_sleep_onsets(_moves(_restless(700, 5)), bed)
    assert est.onsets_s[1] == 6400.0 and est.observed[1]


def test_sleep_from_the_start_of_the_data_without_wake_seen_before_is_not_an_observed_transition():
    est = find_sleep_onsets(_moves([]), np.ones(NIGHT_S, bool), lights_out_observed=False)
    assert est.onsets_s == (0.0,) and est.observed == (False,) and est.first_onset_s is None
    assert est.transitions().empty and "no wake-to-sleep transition was observed" in est.note


def test_a_restless_start_without_a_seen_lights_out_still_shows_the_transition():
    rows = _restless(60, 5)
    est = find_sleep_onsets(_moves(rows), np.ones(NIGHT_S, bool), lights_out_observed=False)
    assert est.onsets_s == (_end(rows),) and est.observed == (True,) and est.note is None


def test_an_onset_next_to_a_gap_is_not_observed():
    valid = np.ones(NIGHT_S, bool)
    valid[890:1000] = False                                            # data lost right after the restlessness
    est = find_sleep_onsets(_moves(_restless(700, 5)), _bed(), valid_1s=valid)
    assert est.observed == (False,) and est.transitions().empty and "gap" in est.note


def test_sleep_goes_on_through_a_gap():
    valid = np.ones(NIGHT_S, bool)
    valid[5000:5600] = False
    est = find_sleep_onsets(_moves(_restless(700, 5)), _bed(), valid_1s=valid)
    assert len(est.onsets_s) == 1 and not est.asleep[5000 // 30 + 1: 5600 // 30 - 1].any()
    assert est.asleep[5600 // 30 + 1:].all() or est.asleep[5600 // 30 + 1: (NIGHT_S - 60) // 30].all()


def test_a_restless_night_has_no_onset_and_says_so():
    est = find_sleep_onsets(_moves(_restless(600, 340)), _bed())       # restless all night
    assert est.onsets_s == () and est.transitions().empty and est.note.startswith("no sleep onset could be estimated")
    assert est.sleep_time_h == 0.0


def test_sleep_time_counts_the_quiet_epochs_from_each_onset_to_the_next_awakening():
    rows = _restless(700, 5) + _restless(7200, 4)
    est = find_sleep_onsets(_moves(rows), _bed(), SleepParams())
    awake_s = _end(_restless(700, 5)) + (_end(_restless(7200, 4)) - 7200)   # before sleep, and the awakening
    assert est.sleep_time_h == pytest.approx((NIGHT_S - awake_s) / 3600.0, abs=3 * 30 / 3600.0)


def test_the_sleep_period_runs_from_each_onset_to_the_next_awakening_quiet_or_not():
    """``sleep_period`` (the PLMS-style sleep span that the wake-repositioning rule reads): from the onset to the
    next awakening, a lone restless epoch inside it included; ``asleep`` leaves that epoch out."""
    rows = _restless(700, 5) + [(3000, 12.0, "posture_change")] + _restless(7200, 4)
    est = find_sleep_onsets(_moves(rows), _bed())
    ep = int(est.epoch_s)
    period, asleep = est.sleep_period, est.asleep
    assert period is not None and period.shape == asleep.shape
    assert not period[: 864 // ep].any()                            # wake before the first onset
    assert period[864 // ep + 1] and period[3000 // ep]             # a lone roll-over does not end the period
    assert not asleep[3000 // ep]                                   # ... but its epoch is not "asleep"
    assert not period[7200 // ep + 1] and period[int(est.onsets_s[1]) // ep + 1]   # the awakening, then sleep again
    assert (asleep <= period).all()


@pytest.mark.parametrize(("observed", "restless_ends_s", "count"),
                         [((), (), 0), ((False,), (10.0,), 0), ((True,), (), 1), ((True, False), (5.0, 9.0), 3),
                          ((False, True), (7.0,), 2)])
def test_transition_count_is_the_transitions_tables_length(observed, restless_ends_s, count):
    from lrm.signal.sleep import SleepEstimate

    est = SleepEstimate(onsets_s=tuple(100.0 * (k + 1) for k in range(len(observed))),
                        kinds=tuple("first" if k == 0 else "re-onset" for k in range(len(observed))),
                        observed=observed, asleep=np.zeros(4, bool), epoch_s=30.0, restless_ends_s=restless_ends_s)
    assert est.transition_count() == len(est.transitions()) == count
