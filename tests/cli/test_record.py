"""``lrm record --simulate`` end to end in a subprocess: SIGKILL mid-night, then ``lrm recover``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from lrm.io.native import read_native

SPEED = 20.0


def _lrm(*args: str, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "lrm", *args], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=env, **kw)


def test_sigkill_then_recover(tmp_path):
    night = tmp_path / "night"
    proc = _lrm("record", "--simulate", "--speed", str(SPEED), "--hours", "1", "--scan-seconds", "1",
                "--faults", "disconnect@20+5", "--quiet", "--out", str(night))
    assert proc.stdout is not None
    for line in proc.stdout:                      # recording starts right after the right sensor is found
        if line.startswith("lrm: right:"):
            break
    started = time.perf_counter()
    time.sleep(4.0)
    proc.send_signal(signal.SIGKILL)
    elapsed = time.perf_counter() - started
    proc.wait(30)
    proc.stdout.close()
    assert not (night / "recording.json").exists()
    result = subprocess.run([sys.executable, "-m", "lrm", "recover", str(night)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "did not stop cleanly" in result.stdout
    rec = read_native(night)
    for side, leg in rec.legs.items():
        # received up to the kill: at most elapsed * SPEED simulated seconds after the first sample; all but
        # the last 2 s of it (+ 0.1 s real of measurement slack) must be back
        covered = leg.t_s[-1] - leg.t_s[0]
        assert covered >= elapsed * SPEED - 2.0 - 0.1 * SPEED - 0.5, (side, covered, elapsed * SPEED)
        assert [g.cause for g in leg.gaps if g.duration_s > 1] in ([], ["disconnected"])
    # recovering again never overwrites
    again = subprocess.run([sys.executable, "-m", "lrm", "recover", str(night)], capture_output=True, text=True)
    assert again.returncode == 2 and "already exists" in again.stderr


def test_record_simulated_night_and_refuse_overwrite(tmp_path):
    night = tmp_path / "sim"
    proc = _lrm("record", "--simulate", "--speed", "0", "--hours", "0.2", "--scan-seconds", "1", "--quiet",
                "--out", str(night))
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, out
    assert "Next: lrm analyze" in out
    rec = read_native(night)
    assert set(rec.legs) == {"left", "right"}
    for leg in rec.legs.values():
        assert leg.n_samples > 0.19 * 3600 * 52 and not leg.gaps
        assert np.all(np.diff(leg.t_s) > 0)
    assert abs(rec.legs["left"].clock_drift_ppm - 35.0) < 2 and abs(rec.legs["right"].clock_drift_ppm + 20.0) < 2
    from lrm.io.timezones import computer_timezone

    assert (rec.timezone, rec.timezone_source) == (computer_timezone(), "computer")   # where it was recorded
    again = _lrm("record", "--simulate", "--hours", "0.1", "--quiet", "--out", str(night))
    out2, _ = again.communicate(timeout=60)
    assert again.returncode == 2 and "already exists" in out2


def test_simulated_recording_quality_line_equals_its_gaps_and_rate(tmp_path):
    """Issue 15: a recorded night showed 13 gaps / 149 s at 53.9 Hz for 7 gaps / 75 s at 52 Hz (each gap counted
    twice: the recorder's and the hole in the timestamps). The quality in summary.json and on the terminal must
    equal the gaps in the recording (one per gap, within a sample period each) and the rate of its samples."""
    import json

    night, out = tmp_path / "night", tmp_path / "analysis"
    proc = _lrm("record", "--simulate", "--speed", "0", "--hours", "0.55", "--scan-seconds", "1", "--quiet",
                "--faults", "disconnect@400+40,right:disconnect@1200+15,drop=0.003", "--out", str(night))
    log, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, log
    analysis = subprocess.run([sys.executable, "-m", "lrm", "analyze", str(night), "--out", str(out)],
                              capture_output=True, text=True, timeout=300)
    assert analysis.returncode == 0, analysis.stderr
    quality = json.loads((out / "summary.json").read_text())["quality"]
    rec = read_native(night)
    for side, leg in rec.legs.items():
        assert any(g.duration_s > 10 for g in leg.gaps) and any(g.cause == "dropped" for g in leg.gaps)
        in_gap = np.zeros(leg.n_samples - 1, bool)         # sample intervals within a recorded gap
        for g in leg.gaps:
            in_gap[np.searchsorted(leg.t_s, g.start_s, "right") - 1: np.searchsorted(leg.t_s, g.end_s, "left")] = True
        dt = np.diff(leg.t_s)
        assert not (dt[~in_gap] > 1.0).any()               # every hole in the timestamps is a recorded gap
        q = quality[side]
        assert q["gap_count"] == len(leg.gaps), side
        assert q["gap_total_s"] == pytest.approx(sum(g.duration_s for g in leg.gaps), abs=len(leg.gaps) / 52 + 1e-6)
        assert q["fs_hz"] == pytest.approx(np.count_nonzero(~in_gap) / dt[~in_gap].sum(), abs=0.0006), side
        assert q["fs_hz"] == pytest.approx(52.0, abs=0.01)
        line = next(x for x in analysis.stdout.splitlines() if x.strip().startswith(f"{side} "))
        assert f"{q['fs_hz']:.1f} Hz" in line and f"{len(leg.gaps)} gaps" in line


def test_record_without_bluetooth_says_so_in_one_line(tmp_path, monkeypatch, capsys):
    # on Linux without BlueZ, bleak fails with FileNotFoundError (its D-Bus socket): 'lrm record' said
    # "No such file or directory. Fix: check the path and its permissions", naming no path; 'lrm scan' said why
    import lrm.ble.scan
    from lrm.cli import main

    async def no_adapter(*_args, **_kwargs):
        raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setattr(lrm.ble.scan, "resolve", no_adapter)
    assert main(["record", "--left", "Polar Sense 1A2B3C4D", "--out", str(tmp_path / "night1")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["lrm: error: Bluetooth is not available (FileNotFoundError: [Errno 2] No such file or directory). "
                   "Fix: switch Bluetooth on, plug in a USB Bluetooth dongle, or on Linux check 'systemctl status "
                   "bluetooth'"]
