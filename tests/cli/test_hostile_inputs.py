"""Issue 16 through the command line: hostile values, paths and signals give a one-line error or a correct
result, never an internal error, a hang or a lost night. Each test names what happened before."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import zipfile

import pytest

from tests.conftest import shared_file
from tests.limits import CHILD_ENV, REPO, run_lrm


@pytest.fixture(scope="module")
def hour(tmp_path_factory, make_night):
    from lrm.sim.night import write_simulation

    out = tmp_path_factory.mktemp("hour")
    write_simulation(make_night("plmd", seed=11, hours=1.0), out)
    return out


def _error_line(outcome) -> str:
    (line,) = [ln for ln in outcome.stderr.splitlines() if ln.startswith("lrm") and not ln.startswith("lrm: warning")]
    return line


@pytest.mark.parametrize(("option", "value"), [("--start", "nan"), ("--start", "1e300"), ("--start", "inf"),
                                               ("--format", "nosuch")])
def test_absurd_options_are_one_line_errors(hour, tmp_path, option, value):
    """--start nan/huge/inf: 'internal error: fs_hz must be > 0 Hz, got nan'; --format nosuch: ValueError."""
    relative = tmp_path / "relative.csv"
    lines = (hour / "left.csv").read_text().splitlines()
    t0 = float(lines[1].split(",")[0])
    relative.write_text("time,x,y,z\n" + "\n".join(
        f"{float(ln.split(',')[0]) - t0:.6f},{ln.split(',', 1)[1]}" for ln in lines[1:]) + "\n")
    out = run_lrm(["analyze", str(relative), "--side", "left", option, value, "--out", str(tmp_path / "o")])
    assert out.returncode == 2 and out.clean, out.stderr
    assert option.lstrip("-").split("-")[0] in _error_line(out)


def test_toml_config_that_is_not_utf8(hour, tmp_path):
    """Before: 'internal error: UnicodeDecodeError'."""
    config = tmp_path / "params.toml"
    config.write_bytes(b'rules = "aasm"\n# caf\xe9\n')
    out = run_lrm(["analyze", str(hour / "left.csv"), "--side", "left", "--config", str(config), "--out", str(tmp_path / "o")])
    assert out.returncode == 2 and out.clean and "not UTF-8" in _error_line(out)


@pytest.mark.parametrize("hours", ["inf", "nan", "-1", "1e9"])
def test_score_events_hours_must_be_a_night(tmp_path, hours):
    """--hours inf: 'internal error: TypeError: unsupported format string passed to NoneType'."""
    lms = tmp_path / "lms.csv"
    lms.write_text("onset_s,offset_s,side\n10,12,left\n")
    out = run_lrm(["score-events", str(lms), "--hours", hours, "--out", str(tmp_path / "o")])
    assert out.returncode == 2 and "--hours" in out.stderr and "Traceback" not in out.stderr


def test_latin1_byte_in_a_data_row(hour, tmp_path):
    """Before: 'internal error: ArrowInvalid: CSV conversion error to string: invalid UTF8 data'."""
    raw = (hour / "left.csv").read_bytes().split(b"\n")
    raw[500] = raw[500].replace(b"0.", b"0\xe9.", 1)
    path = tmp_path / "latin1.csv"
    path.write_bytes(b"\n".join(raw))
    out = run_lrm(["analyze", str(path), "--side", "left", "--out", str(tmp_path / "o")])
    assert out.returncode == 2 and out.clean and re.search(r"line 501, column '\w+'", _error_line(out))


def test_line_longer_than_the_parser_block(hour, tmp_path):
    """Before: 'internal error: ArrowInvalid: straddling object straddles two block boundaries'."""
    raw = (hour / "left.csv").read_bytes().split(b"\n")
    raw.insert(50, b"9" * (9 << 20))
    path = tmp_path / "long.csv"
    path.write_bytes(b"\n".join(raw))
    out = run_lrm(["analyze", str(path), "--side", "left", "--out", str(tmp_path / "o")])
    assert out.returncode == 2 and out.clean and "longer than 256 KiB" in _error_line(out)
    assert len(out.stderr) < 1000                       # the line itself is never echoed


@pytest.mark.parametrize(("key", "value"), [("Sample Rate", "-30"), ("Sample Rate", "0"),
                                            ("Acceleration Scale", "256 suffix_85"), ("Acceleration Scale", "0"),
                                            ("Acceleration Max", "2100-01-01T00:00:00")])
def test_gt3x_with_a_bad_value_in_info_txt(tmp_path, key, value):
    """A negative rate: 'internal error: fs_hz must be > 0'; 0: ZeroDivisionError; a scale or range that is not
    a number: ValueError (the last three found by the long fuzz run)."""
    src = shared_file("app_exports/actigraph/TAS1H30182785_2019-09-17.gt3x")
    path = tmp_path / "bad.gt3x"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename == "info.txt":
                data = re.sub(key.encode() + rb": *[^\r\n]*", f"{key}: {value}".encode(), data)
            zout.writestr(item, data)
    out = run_lrm(["info", str(path)])
    assert out.returncode == 2 and out.clean and key in _error_line(out)


@pytest.mark.parametrize("command", ["info", "analyze"])
def test_a_fifo_is_refused_not_waited_on(tmp_path, command):
    """A named pipe as input hung 'lrm info' and 'lrm analyze' forever."""
    fifo = tmp_path / "pipe.csv"
    os.mkfifo(fifo)
    args = ["info", str(fifo)] if command == "info" else ["analyze", str(fifo), "--side", "left", "--out", str(tmp_path / "o")]
    out = run_lrm(args, timeout_s=60)
    assert not out.timed_out and out.returncode == 2 and "named pipe (FIFO)" in out.stderr


def test_fifo_as_hypnogram_and_config(hour, tmp_path):
    fifo = tmp_path / "pipe.toml"
    os.mkfifo(fifo)
    for extra in (["--config", str(fifo)], ["--hypnogram", str(fifo)]):
        out = run_lrm(["analyze", str(hour / "left.csv"), "--side", "left", *extra, "--out", str(tmp_path / "o")],
                      timeout_s=60)
        assert not out.timed_out and out.returncode == 2 and "named pipe" in out.stderr


def test_the_same_file_as_left_and_right_is_refused(hour, tmp_path):
    """Every LM became bilateral without a warning."""
    out = run_lrm(["analyze", "--left", str(hour / "left.csv"), "--right", str(hour / "left.csv"), "--out", str(tmp_path / "o")])
    assert out.returncode == 2 and "the same file as --left" in _error_line(out)
    link = tmp_path / "link.csv"
    link.symlink_to(hour / "left.csv")
    out = run_lrm(["analyze", "--left", str(hour / "left.csv"), "--right", str(link), "--out", str(tmp_path / "o")])
    assert out.returncode == 2 and "the same file as --left" in out.stderr


def test_a_copy_of_one_leg_as_the_other_is_warned(hour, tmp_path):
    from lrm.errors import LrmWarning
    from lrm.io.registry import read

    copy = tmp_path / "copy.csv"
    copy.write_bytes((hour / "left.csv").read_bytes())
    with pytest.warns(LrmWarning, match="holds exactly the samples of"):
        read(left=hour / "left.csv", right=copy)


def test_colon_in_the_output_directory(hour, tmp_path):
    """'--out night:3' recorded or analysed the whole night, then failed to save (ArrowInvalid: URI)."""
    out = run_lrm(["analyze", str(hour / "left.csv"), "--side", "left", "--out", "night:1"], cwd=tmp_path)
    assert out.returncode == 0 and out.clean, out.stderr
    assert (tmp_path / "night:1" / "report.html").is_file()
    out = run_lrm(["simulate", "--native", "--one-leg", "--hours", "0.6", "--out", "night:2"], cwd=tmp_path)
    assert out.returncode == 0 and (tmp_path / "night:2" / "recording.json").is_file()
    out = run_lrm(["analyze", "night:2", "--out", "night:2-analysis"], cwd=tmp_path)
    assert out.returncode == 0 and out.clean, out.stderr


def test_colon_in_a_recording_directory_and_recover(tmp_path):
    out = run_lrm(["record", "--simulate", "--speed", "0", "--hours", "0.2", "--quiet", "--out", "night:3"], cwd=tmp_path)
    assert out.returncode == 0 and out.clean, out.stderr
    assert json.loads((tmp_path / "night:3" / "recording.json").read_text())["format"] == "lrm-recording"


def _start_recording(tmp_path, name, *extra, speed="20", hours="0.3"):
    env = {**os.environ, **CHILD_ENV, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "lrm", "record", "--simulate", "--speed", speed, "--hours", hours,
                             "--quiet", "--out", name, *extra], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    journal = tmp_path / name / "journal" / "journal.lrmj"
    deadline = time.monotonic() + 60
    while not (journal.is_file() and journal.stat().st_size > 4096) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert journal.is_file(), proc.stderr.read() if proc.poll() is not None else "no journal"
    return proc


def test_a_live_recording_is_respected_by_recover_record_and_analyze(tmp_path):
    """'lrm recover' on a live recording truncated it and made the recorder's own save fail."""
    proc = _start_recording(tmp_path, "live")
    try:
        for args in (["recover", "live"], ["record", "--simulate", "--quiet", "--out", "live"],
                     ["analyze", "live", "--out", "live-analysis"]):
            out = run_lrm(args, cwd=tmp_path, timeout_s=60)
            assert out.returncode == 2 and "is being recorded right now" in _error_line(out), (args, out.stderr)
        assert not (tmp_path / "live" / "recording.json").exists()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=120)
    assert proc.returncode == 0 and (tmp_path / "live" / "recording.json").is_file()   # the recorder saved it
    out = run_lrm(["analyze", "live", "--out", "live-analysis"], cwd=tmp_path)
    assert out.returncode == 2 and "30 min" in out.stderr       # readable now (a short simulated night)


def test_sighup_saves_the_night_like_ctrl_c(tmp_path):
    """Closing the terminal (SIGHUP) killed the recorder without saving; its output now goes nowhere."""
    master, slave = os.openpty()
    env = {**os.environ, **CHILD_ENV, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "lrm", "record", "--simulate", "--speed", "20", "--hours", "0.3",
                             "--out", "hup"], cwd=tmp_path, env=env, stdin=slave, stdout=slave, stderr=slave)
    os.close(slave)
    journal = tmp_path / "hup" / "journal" / "journal.lrmj"
    deadline = time.monotonic() + 60
    while not (journal.is_file() and journal.stat().st_size > 4096) and time.monotonic() < deadline:
        try:
            os.read(master, 65536)        # drain the terminal (the live status is drawn on it)
        except OSError:
            break
        time.sleep(0.05)
    os.close(master)                      # the terminal goes away: writes to it now fail with EIO
    proc.send_signal(signal.SIGHUP)
    assert proc.wait(timeout=120) == 0
    manifest = json.loads((tmp_path / "hup" / "recording.json").read_text())
    assert set(manifest["legs"]) == {"left", "right"}


def test_ctrl_c_stops_a_batch_and_keeps_finished_nights(tmp_path, make_night):
    """Ctrl-C did not stop 'lrm batch' (it ran to the end)."""
    from lrm.sim.night import write_simulation

    nights = tmp_path / "nights"
    nights.mkdir()
    for seed in range(6):
        write_simulation(make_night("healthy", seed=100 + seed, hours=0.6), tmp_path / f"s{seed}")
        for side in ("left", "right"):
            (tmp_path / f"s{seed}" / f"{side}.csv").rename(nights / f"n{seed}_{side}.csv")
    env = {**os.environ, **CHILD_ENV, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "lrm", "batch", str(nights), "--out", "cohort", "--workers", "2"],
                            cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    deadline = time.monotonic() + 240
    while not any((tmp_path / "cohort").glob("n*/summary.json")) and time.monotonic() < deadline:
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGINT)                 # Ctrl-C reaches the terminal's whole process group
    try:
        _, err = proc.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        raise
    assert proc.returncode == 130 and "interrupted" in err and "Traceback" not in err, err
    table = (tmp_path / "cohort" / "cohort.csv").read_text().splitlines()
    ok = [ln for ln in table[1:] if ",ok," in ln]
    assert len(table) == 7 and ok, table
    for row in ok:
        assert (tmp_path / "cohort" / row.split(",")[0] / "summary.json").is_file()
    assert not (tmp_path / "cohort" / ".partial").exists()


def test_every_output_is_checked_before_anything_is_written(hour, tmp_path):
    """Only summary.json was checked: a user's DIR/events.csv was overwritten without --force."""
    out = tmp_path / "mine"
    out.mkdir()
    (out / "events.csv").write_text("my own table\n")
    result = run_lrm(["analyze", str(hour / "left.csv"), "--side", "left", "--out", str(out)])
    assert result.returncode == 2 and "events.csv: already exists" in _error_line(result)
    assert (out / "events.csv").read_text() == "my own table\n" and sorted(p.name for p in out.iterdir()) == ["events.csv"]
    lms = tmp_path / "lms.csv"
    lms.write_text("onset_s,offset_s,side\n10,12,left\n")
    result = run_lrm(["score-events", str(lms), "--hours", "1", "--out", str(out)])
    assert result.returncode == 2 and "events.csv: already exists" in result.stderr


@pytest.mark.parametrize("force", [False, True])
def test_an_input_is_never_an_output(tmp_path, force):
    """'lrm score-events keep/events.csv --hours 8 --out keep' overwrote its own input."""
    keep = tmp_path / "keep"
    keep.mkdir()
    text = "onset_s,offset_s,side\n10,12,left\n30,32,right\n"
    (keep / "events.csv").write_text(text)
    result = run_lrm(["score-events", str(keep / "events.csv"), "--hours", "8", "--out", str(keep)]
                     + (["--force"] if force else []))
    assert result.returncode == 2 and "is an input and would be overwritten" in _error_line(result)
    assert (keep / "events.csv").read_text() == text and not (keep / "summary.json").exists()


def test_disk_full_names_the_file_leaves_no_tmp_and_no_finished_look(hour, tmp_path):
    """A full disk: the error named no file, left .tmp files, and a folder without report.html looked finished
    (summary.json), so re-runs were refused."""
    out = tmp_path / "night"
    full = run_lrm(["analyze", str(hour / "left.csv"), "--side", "left", "--out", str(out)], file_size_bytes=100_000)
    assert full.returncode == 2 and full.clean, full.stderr
    assert "report.html: cannot be written (File too large)" in _error_line(full)
    assert list(out.iterdir()) == []                          # nothing half-written, no .tmp, no summary.json
    again = run_lrm(["analyze", str(hour / "left.csv"), "--side", "left", "--out", str(out)])
    assert again.returncode == 0 and (out / "summary.json").is_file() and (out / "report.html").is_file()


def test_a_closed_stdout_does_not_stop_the_work(hour, tmp_path):
    """'lrm analyze ... | head' exited 0 without writing report.html (SIGPIPE on stdout stopped the work)."""
    env = {**os.environ, **CHILD_ENV, "PYTHONPATH": str(REPO)}
    for args, done in ((["record", "--simulate", "--speed", "0", "--hours", "0.2", "--quiet", "--out", "rec"], "rec/recording.json"),
                       (["analyze", str(hour / "left.csv"), "--side", "left", "--out", "night"], "night/report.html")):
        with subprocess.Popen([sys.executable, "-m", "lrm", *args], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE) as proc:
            proc.stdout.readline()           # `| head -1`: one line, then the reader is gone
            proc.stdout.close()
            err = proc.stderr.read().decode()
        assert proc.returncode == 0 and "Traceback" not in err and (tmp_path / done).is_file(), (args, err)
