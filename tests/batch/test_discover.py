"""Finding nights: the naming rule, night folders, native recordings, globs and manifests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lrm.batch.discover import NightSpec, find_nights, read_manifest
from lrm.errors import InputError


def touch(path: Path, text: str = "time,x,y,z\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def ids_and_names(found) -> list[tuple[str, str | None, str | None]]:
    return [(n.night_id, n.left and Path(n.left).name, n.right and Path(n.right).name) for n in found.nights]


@pytest.mark.parametrize(
    ("left", "right", "night"),
    [
        ("s01_n1_left.csv", "s01_n1_right.csv", "s01_n1"),
        ("S01-L.csv", "S01-R.csv", "S01"),
        ("p3.l.txt", "p3.r.txt", "p3"),
        ("night 4 LEFT.csv", "night 4 RIGHT.csv", "night 4"),
    ],
)
def test_paired_files_follow_the_naming_rule(tmp_path, left, right, night):
    touch(tmp_path / left), touch(tmp_path / right)
    assert ids_and_names(find_nights([tmp_path])) == [(night, left, right)]


def test_a_lone_side_is_a_one_leg_night_and_odd_files_are_reported(tmp_path):
    touch(tmp_path / "a_right.csv")
    touch(tmp_path / "readme.csv")
    touch(tmp_path / "notes.md")
    found = find_nights([tmp_path])
    assert ids_and_names(found) == [("a", None, "a_right.csv")]
    assert [Path(p).name for p, _ in found.skipped] == ["readme.csv"]  # .md is not a data file: not even listed
    assert "_left/_right" in found.skipped[0][1]


def test_night_folders_native_recordings_and_hypnograms_are_found_recursively(tmp_path):
    touch(tmp_path / "cohort" / "s1" / "left.csv"), touch(tmp_path / "cohort" / "s1" / "right.csv")
    touch(tmp_path / "cohort" / "s1" / "hypnogram.txt", "W\n")
    native = tmp_path / "cohort" / "deep" / "s2"
    touch(native / "recording.json", json.dumps({"format": "lrm-recording"}))
    touch(tmp_path / "cohort" / "s3_L.csv"), touch(tmp_path / "cohort" / "s3_hypnogram.csv")
    touch(tmp_path / "cohort" / "done" / "summary.json", "{}")  # an lrm output folder: not input
    found = find_nights([tmp_path / "cohort"])
    assert [n.night_id for n in found.nights] == ["s1", "s2", "s3"]
    s1, s2, s3 = found.nights
    assert Path(s1.hypnogram).name == "hypnogram.txt" and Path(s1.right).name == "right.csv"
    assert s2.path == str(native) and s2.left is None
    assert Path(s3.hypnogram).name == "s3_hypnogram.csv" and s3.right is None


def test_the_output_folder_is_never_searched(tmp_path):
    touch(tmp_path / "n1_left.csv")
    touch(tmp_path / "out" / "old_left.csv")
    assert [n.night_id for n in find_nights([tmp_path], exclude=[tmp_path / "out"]).nights] == ["n1"]


def test_glob_patterns_are_expanded_and_duplicates_collapse(tmp_path):
    for name in ("a_left.csv", "a_right.csv", "b_left.csv"):
        touch(tmp_path / name)
    found = find_nights([str(tmp_path / "*_left.csv"), str(tmp_path / "a_*.csv"), tmp_path / "a_left.csv"])
    assert ids_and_names(found) == [("a", "a_left.csv", "a_right.csv"), ("b", "b_left.csv", None)]


def test_a_pattern_matching_nothing_names_the_pattern(tmp_path):
    with pytest.raises(InputError, match=r"nope_\*\.csv: the pattern matches no file"):
        find_nights([str(tmp_path / "nope_*.csv")])


def test_the_same_night_id_in_two_folders_is_an_error(tmp_path):
    touch(tmp_path / "x" / "n1_left.csv"), touch(tmp_path / "y" / "n1_left.csv")
    with pytest.raises(InputError, match="night id 'n1' is also used by .*manifest"):
        find_nights([tmp_path])


def test_no_nights_says_how_to_name_files(tmp_path):
    touch(tmp_path / "data.csv")
    with pytest.raises(InputError, match="no nights found. Fix: name files <night>_left.csv"):
        find_nights([tmp_path])


def test_manifest_paths_are_relative_to_it_and_empty_cells_mean_one_leg(tmp_path):
    rec = tmp_path / "recs" / "r9"
    touch(rec / "recording.json", "{}")
    manifest = touch(tmp_path / "m" / "nights.csv",
                     "night_id,left,right,hypnogram\n"
                     "s1,../raw/a.csv,../raw/b.csv,../h/s1.txt\n"
                     "\n"
                     "s2,,../raw/c.csv,\n"
                     "s3,../recs/r9,,\n")
    specs = read_manifest(manifest)
    assert specs[0] == NightSpec("s1", left=str(manifest.parent / "../raw/a.csv"), right=str(manifest.parent / "../raw/b.csv"),
                                 hypnogram=str(manifest.parent / "../h/s1.txt"), origin="nights.csv row 2")
    assert (specs[1].left, Path(specs[1].right).name, specs[1].origin) == (None, "c.csv", "nights.csv row 4")
    assert specs[2].path == str(manifest.parent / "../recs/r9")
    # missing data files are not a discovery error: the night fails on its own row later
    assert [n.night_id for n in find_nights([manifest]).nights] == ["s1", "s2", "s3"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("night_id,left\nn1,a.csv\n", "header: missing column.s. right"),
        ("night_id,left,right\nn1,a.csv,\nn1,b.csv,\n", "row 3: night_id 'n1' appears twice"),
        ("night_id,left,right\n,a.csv,b.csv\n", "row 2, column 'night_id': empty night_id"),
        ("night_id,left,right\n../up,a.csv,\n", "row 2, column 'night_id': night_id '../up' cannot be a folder name"),
        ("night_id,left,right\nn1,,\n", "row 2: night 'n1' has no 'left' or 'right' file"),
        ("night_id,left,right\n", "the manifest lists no nights"),
    ],
)
def test_manifest_errors_name_the_row(tmp_path, text, message):
    with pytest.raises(InputError, match=message):
        find_nights([touch(tmp_path / "m.csv", text)])


def test_semicolon_manifests_are_read(tmp_path):
    manifest = touch(tmp_path / "m.csv", "night_id;left;right\nn1;a.csv;b.csv\n")
    assert [(s.night_id, Path(s.right).name) for s in read_manifest(manifest)] == [("n1", "b.csv")]


def test_manifest_extra_columns_carry_scoring_files_and_lights(tmp_path):
    manifest = touch(tmp_path / "m.csv", "night_id,left,right,respiratory,arousals,lights_out,lights_on,comment\n"
                                         "n1,a.csv,b.csv,resp.csv,ar.csv,22:40,3600.5,ignored\n")
    (spec,) = read_manifest(manifest)
    assert (Path(spec.respiratory).name, Path(spec.arousals).name) == ("resp.csv", "ar.csv")
    assert (spec.lights_out, spec.lights_on, spec.hypnogram) == ("22:40", "3600.5", None)
    assert [Path(p).name for p in spec.inputs] == ["a.csv", "b.csv", "resp.csv", "ar.csv"]


def test_manifest_tz_column_gives_a_nights_time_zone(tmp_path):
    manifest = touch(tmp_path / "m.csv", "night_id,left,right,tz\nn1,a.csv,b.csv,Europe/Berlin\nn2,c.csv,,\n")
    specs = read_manifest(manifest)
    assert [s.tz for s in specs] == ["Europe/Berlin", None]
