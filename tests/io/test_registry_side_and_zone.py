"""Which ankle a single file is from, and one time zone per night (issue 15)."""

import numpy as np
import pytest

from lrm.errors import InputError
from lrm.io.registry import SideUnknownError, read, side_from_text


def _csv(path, t0=1.7e9, n=300, fs=50.0, time=None):
    rows = [f"{(time(i) if time else f'{t0 + i / fs:.3f}')},0.01,0.02,0.99" for i in range(n)]
    path.write_text("time,x,y,z\n" + "\n".join(rows) + "\n")
    return path


def test_a_single_file_is_never_silently_the_left_leg(tmp_path):
    path = _csv(tmp_path / "ankle.csv")
    with pytest.raises(SideUnknownError, match="ankle.csv: side: .* Fix: pass --side left or --side right"):
        read(path)
    assert set(read(path, side="right").legs) == {"right"}
    assert set(read(path, ask_side=lambda p: "right").legs) == {"right"}        # the CLI's question
    with pytest.raises(SideUnknownError):
        read(path, ask_side=lambda p: "both")


@pytest.mark.parametrize(("name", "side"), [("p07_night2_R.csv", "right"), ("LeftAnkle.csv", "left"),
                                            ("rechts.csv", "right"), ("ankle-l.csv", "left")])
def test_the_side_in_the_file_name_is_taken_and_noted(tmp_path, name, side):
    rec = read(_csv(tmp_path / name))
    assert set(rec.legs) == {side} and any("from the file name" in n for n in rec.legs[side].notes)


def test_the_side_in_the_files_own_metadata_is_taken(shared_data):
    rec = read(shared_data / "app_exports/geneactiv/sleeppy_test_geneactiv.bin")   # Device Location Code: left wrist
    assert set(rec.legs) == {"left"} and any("location field 'left wrist'" in n for n in rec.legs["left"].notes)


def test_side_words_are_not_found_inside_other_words():
    assert side_from_text("bright_copyright.csv") is None and side_from_text("left_and_right.csv") is None
    assert side_from_text("Limb: Waist") is None and side_from_text("RIGHT ANKLE") == "right"


def test_a_leg_without_a_zone_takes_the_other_legs_zone(tmp_path):
    """Left: ISO times with their offset (the zone is stated); right: local wall clock without one (a device
    clock). One night, one place: the right leg's times are converted with the left's zone."""
    left = _csv(tmp_path / "l.csv", time=lambda i: f"2024-05-01T22:00:{i / 50:06.3f}+02:00")
    right = _csv(tmp_path / "r.csv", time=lambda i: f"2024-05-01 22:00:{i / 50:06.3f}")
    rec = read(left=left, right=right)
    assert (rec.timezone, rec.timezone_source, rec.clock) == ("+02:00", "file", "utc")
    np.testing.assert_allclose(rec.legs["right"].t_s, rec.legs["left"].t_s)


def test_local_and_utc_legs_without_any_zone_are_refused(tmp_path):
    left = _csv(tmp_path / "l.csv")                                          # Unix seconds
    right = _csv(tmp_path / "r.csv", time=lambda i: f"2023-11-14 22:13:{20 + i / 50:06.3f}")   # local, no zone
    with pytest.raises(InputError, match="Fix: pass --tz"):
        read(left=left, right=right)
    rec = read(left=left, right=right, tz="Europe/London")
    assert rec.timezone == "Europe/London" and abs(rec.legs["right"].t_s[0] - rec.legs["left"].t_s[0]) < 1e-3


def test_bad_tz_is_a_clear_error(tmp_path):
    with pytest.raises(InputError, match="--tz: .*unknown time zone 'Mars/Olympus'"):
        read(_csv(tmp_path / "a_left.csv"), tz="Mars/Olympus")


def test_a_file_named_for_the_other_ankle_is_read_as_given_with_a_warning(tmp_path):
    from lrm.errors import LrmWarning

    _csv(tmp_path / "night1_right.csv")
    _csv(tmp_path / "night1_left.csv", t0=1.7e9 + 0.01)
    with pytest.warns(LrmWarning) as caught:
        rec = read(left=tmp_path / "night1_right.csv", right=tmp_path / "night1_left.csv")
    messages = [str(w.message) for w in caught if "swapped" in str(w.message)]
    assert messages == [
        f"{tmp_path / 'night1_right.csv'}: given as the left ankle (--left), but its name says right: check the two "
        "ankles are not swapped (the left/right counts would be)",
        f"{tmp_path / 'night1_left.csv'}: given as the right ankle (--right), but its name says left: check the two "
        "ankles are not swapped (the left/right counts would be)"]
    assert set(rec.legs) == {"left", "right"}   # the option stands: lrm never overrides the user's legs
    assert rec.meta["read_warnings"] == tuple(messages)   # for the analysis's warnings (summary.json, the report)


def test_files_named_for_their_own_ankle_give_no_swap_warning(tmp_path):
    import warnings

    _csv(tmp_path / "left.csv")
    _csv(tmp_path / "right.csv", t0=1.7e9 + 0.01)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        read(left=tmp_path / "left.csv", right=tmp_path / "right.csv")
    assert not [w for w in caught if "swapped" in str(w.message)]
