"""``lrm record --simulate`` end to end in a subprocess: SIGKILL mid-night, then ``lrm recover``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np

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
    again = _lrm("record", "--simulate", "--hours", "0.1", "--quiet", "--out", str(night))
    out2, _ = again.communicate(timeout=60)
    assert again.returncode == 2 and "already exists" in out2
