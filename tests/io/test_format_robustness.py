"""Bad input never gives a traceback or a hang: every failure is an InputError naming the file."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lrm.errors import InputError
from lrm.io.registry import FORMATS, ReadOptions, read_file
from tests.conftest import shared_file

POLAR_HEADER = b"Phone timestamp;sensor timestamp [ns];X [mg];Y [mg];Z [mg]\n"
FILE_FORMATS = [f for f in FORMATS if not f.is_directory and f.name != "generic-csv"]


@pytest.mark.parametrize("fmt", FILE_FORMATS, ids=lambda f: f.name)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(head=st.binary(max_size=512), suffix=st.sampled_from([".csv", ".txt", ".cwa", ".bin", ".gt3x", ".json", ""]))
def test_sniffers_never_raise(fmt, head, suffix):
    assert fmt.load().sniff(head, suffix) in (True, False)


@pytest.mark.parametrize("fmt", FILE_FORMATS, ids=lambda f: f.name)
@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=2048))
def test_readers_reject_garbage_with_input_error(fmt, body, tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "garbage.dat"
    path.write_bytes(body)
    try:
        read_file(path, ReadOptions(), format=fmt.name)
    except InputError as exc:
        assert "garbage.dat" in str(exc)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.binary(max_size=60), max_size=20))
def test_polar_with_corrupt_rows(rows, tmp_path_factory):
    path = tmp_path_factory.mktemp("polar") / "Polar_ACC.txt"
    path.write_bytes(POLAR_HEADER + b"\n".join(rows))
    try:
        rec = read_file(path, ReadOptions())
    except InputError as exc:
        assert "Polar_ACC.txt" in str(exc)
    else:
        assert rec.legs["left"].n_samples >= 1


def test_non_utf8_bytes_give_one_line_error(tmp_path):
    path = tmp_path / "latin.csv"
    path.write_bytes(POLAR_HEADER + b"2022-04-25T11:39:36.978;704201974831254116;-777;436;-499\n2022-04-25T11:39:36.997;704201974850594517;-7\xe9\xff;437;-498\n")
    with pytest.raises(InputError) as info:
        read_file(path, ReadOptions())
    assert "\n" not in str(info.value) and "latin.csv" in str(info.value)


def test_huge_line_is_refused_quickly(tmp_path):
    path = tmp_path / "huge.txt"
    path.write_bytes(POLAR_HEADER + b"2022-04-25T11:39:36.978;704201974831254116;-777;436;-499\n" + b"1" * (9 << 20) + b"\n")
    with pytest.raises(InputError, match="longer than"):
        read_file(path, ReadOptions())


def test_truncated_axivity_csv_row(tmp_path):
    raw = shared_file("app_exports/axivity/ax6_testfile_formatted_timestamps.csv").read_bytes()
    path = tmp_path / "cut.csv"
    path.write_bytes(raw[: len(raw) // 2])       # the last row is cut mid-way
    with pytest.raises(InputError, match="cut.csv"):
        read_file(path, ReadOptions())


def test_unrelated_csv_lists_formats_tried(tmp_path):
    pytest.importorskip("lrm.io.generic_csv")
    from lrm.errors import UnknownFormatError
    from lrm.io.registry import detect_format

    path = tmp_path / "prices.csv"
    path.write_text("date,ticker,open,close\n2024-01-02,ACME,10.5,11.0\n")
    with pytest.raises(UnknownFormatError) as info:
        detect_format(path)
    assert "polar-sensor-logger" in str(info.value) and "axivity-cwa" in str(info.value)


def _unknown(path):
    from lrm.errors import UnknownFormatError
    from lrm.io.registry import detect_format

    with pytest.raises(UnknownFormatError) as info:
        detect_format(path)
    message = str(info.value)
    assert "mapping" not in message   # no lrm command takes a generic-CSV mapping: a fix the user can do
    return message


def test_an_unrecognised_csv_without_a_z_column_is_named_with_the_columns_it_has(tmp_path):
    path = tmp_path / "left.csv"
    path.write_text("time,x,y\n1705272338.0,0.01,-1.0\n1705272338.04,0.01,-1.0\n")
    message = _unknown(path)
    assert message.startswith(f"{path}: line 1 (header): no z-axis column (columns: time, x, y); no reader recognised")
    assert message.endswith("Fix: name the columns time,x,y,z in the first line, or pass --format if it is an "
                            "export 'lrm formats' lists")


def test_a_time_x_y_z_csv_with_another_extension_is_told_to_be_renamed(tmp_path):
    path = tmp_path / "left.xlsx"
    path.write_text("time,x,y,z\n1705272338.0,0.01,-1.0,0.02\n1705272338.04,0.01,-1.0,0.02\n")
    message = _unknown(path)
    assert "not .xlsx" in message and message.endswith("Fix: rename it to end in .csv")


def test_binary_garbage_keeps_the_general_fix(tmp_path):
    path = tmp_path / "left.csv"
    path.write_bytes(bytes(range(256)) * 40)
    message = _unknown(path)
    assert message.startswith(f"{path}: no reader recognised this file (tried: ")
    assert message.endswith("Fix: check it is an accelerometer export ('lrm formats' lists what lrm reads); another "
                            "CSV needs a first line naming its columns time,x,y,z")


def test_a_gzipped_actigraph_export_is_told_to_be_decompressed():
    path = shared_file("app_exports/actigraph/TAS1H30182785_2019-09-17.csv.gz")
    message = _unknown(path)
    assert message.startswith(f"{path}: it is gzip-compressed; no reader recognised")
    assert message.endswith(f"Fix: decompress it first (gunzip {path.name}) and give the file inside")


def test_daphnet_ankle_columns_are_listed_in_the_error():
    path = shared_file("real_ankle/daphnet/S01R02.txt")
    message = _unknown(path)
    assert "line 1 (header): no x-axis column (columns: time, A0, A1, A2, U0, U1, U2, T1, T2, T3, N)" in message


def test_an_unknown_format_error_survives_pickling_with_its_hint():
    import pickle

    from lrm.errors import UnknownFormatError

    error = UnknownFormatError("a.csv", ("generic-csv",), "it is gzip-compressed", "decompress it first")
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == str(error) and again.tried == ("generic-csv",)


def test_a_directory_that_is_no_recording_is_named_as_a_directory(tmp_path):
    (tmp_path / "left.csv").write_text("time,x,y,z\n1,0,0,1\n")
    message = _unknown(tmp_path)
    assert message.startswith(f"{tmp_path}: a directory that is no recording (no recording.json from lrm record or "
                              "lrm simulate --native, no phyphox or Sensor Logger export); no reader recognised")
    assert message.endswith("Fix: give the accelerometer files in it (--left/--right FILE, or FILE --side)")


def test_a_directory_with_one_file_per_ankle_is_answered_with_the_exact_options(tmp_path):
    for name in ("left.csv", "right.csv", "truth.json"):     # as lrm simulate writes a night
        (tmp_path / name).write_text("time,x,y,z\n1,0,0,1\n")
    message = _unknown(tmp_path)
    assert message.endswith(f"Fix: give the accelerometer files in it: --left {tmp_path / 'left.csv'} "
                            f"--right {tmp_path / 'right.csv'}")
