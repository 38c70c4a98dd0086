"""Issue 16's bound: no input file under 10 MB makes any lrm command use more than 1 GiB or run more than 60 s.

``python benchmarks/bounds.py [--keep DIR]`` builds the worst inputs under 10 MB each that we know of, runs
each command on them in a fresh process, and prints a table of whole-process peak resident memory
(``ru_maxrss``) and wall time. The fuzz suite (tests/fuzz) adds ~400 mutated inputs per CI run, each under
2 GiB of address space and 60 s; this script measures the largest legitimate and hostile cases it cannot
reach at random:

* two generic CSVs of 9 MB each whose samples span 47.9 h (the longest recording lrm accepts): the largest
  working grid a small text file can make;
* a native recording whose two Parquet legs (150 kB each) hold 8 million samples each (the per-leg cap);
* the same with one sample more per leg, a .gt3x whose log.bin is a 500 MB deflate bomb, and a CSV with one
  time 30 years away: refused or left out before anything is sized by them;
* 400,000 scored LMs over 48 h (9.7 MB) through ``lrm score-events`` with its report;
* ``lrm info``, ``lrm report`` and ``lrm export --edf`` on the 48 h night, and ``lrm batch`` of it.
"""

from __future__ import annotations

import io
import os
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data"
# peak RSS of the command's own process: VmHWM (ru_maxrss would carry the forking parent's peak across exec)
WRAPPER = ("import resource, sys\nfrom lrm.cli import main\n"
           "def _peak_kib():\n    try:\n        with open('/proc/self/status') as fh:\n            return next(int(l.split()[1]) for l in fh if l.startswith('VmHWM:'))\n    except (OSError, StopIteration):\n        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
           "try:\n    rc = main(sys.argv[1:])\nfinally:\n"
           "    print(f'#maxrss-kib {_peak_kib()}', file=sys.stderr)\n"
           "sys.exit(rc)\n")


def _sparse_csv(path: Path, seed: int) -> None:
    rng = np.random.default_rng(seed)
    starts = np.linspace(0, 47.9 * 3600 - 1000, 12)
    t = np.concatenate([1.705e9 + s + np.arange(25_000) / 25.0 for s in starts])
    z = 1 + 0.003 * rng.standard_normal(t.size)
    path.write_text("time,x,y,z\n" + "".join(f"{a:.2f},0.01,0.02,{c:.3f}\n" for a, c in zip(t, z, strict=True)))


def _native(path: Path, n: int) -> None:
    from lrm.io.native import write_native
    from lrm.io.recording import Leg, Recording

    t = 1.705e9 + np.arange(n) / 100.0
    acc = np.zeros((n, 3), np.float32)
    acc[:, 2] = 1.0
    legs = {s: Leg(s, t, acc, fs_hz=100.0, range_g=8.0, source="bounds") for s in ("left", "right")}
    write_native(Recording(legs), path, scale_g={"left": 8 / 32768, "right": 8 / 32768})


def _gt3x_bomb(path: Path) -> None:
    source = SHARED / "app_exports/actigraph/TAS1H30182785_2019-09-17.gt3x"
    info = zipfile.ZipFile(source).read("info.txt") if source.exists() else b"Sample Rate: 100\nStart Date: 0\n"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("info.txt", info)
        zf.writestr("log.bin", b"\x1e" * (500 << 20))


def _lm_csv(path: Path) -> None:
    onset = np.sort(np.random.default_rng(1).uniform(0, 47.9 * 3600, 400_000))
    side = np.where(np.arange(onset.size) % 2, "left", "right")
    path.write_text("onset_s,offset_s,side\n" + "".join(f"{a:.2f},{a + 1.5:.2f},{s}\n" for a, s in zip(onset, side, strict=True)))


def _jump_csv(path: Path) -> None:
    t = 1.705e9 + np.arange(200_000) / 50.0
    t[100_000] += 30 * 365 * 86400
    path.write_text("time,x,y,z\n" + "".join(f"{a:.3f},0.01,0.02,1.0\n" for a in t))


def run(args: list[str], cwd: Path) -> tuple[int, float, float, str]:
    env = {**os.environ, "PYTHONPATH": str(REPO), "MALLOC_ARENA_MAX": "2"}
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", WRAPPER, *args], cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600, check=False)
    seconds = time.perf_counter() - start
    lines = done.stderr.strip().splitlines()
    rss = int(lines[-1].split()[-1]) * 1024 if lines and lines[-1].startswith("#maxrss") else 0
    message = next((ln for ln in lines if ln.startswith("lrm: error")), "")[:90]
    return done.returncode, rss / 2**20, seconds, message


def main(argv: list[str]) -> int:
    keep = Path(argv[argv.index("--keep") + 1]) if "--keep" in argv else None
    with tempfile.TemporaryDirectory(prefix="lrm-bounds-") as tmp:
        d = keep or Path(tmp)
        d.mkdir(parents=True, exist_ok=True)
        _sparse_csv(d / "left.csv", 1)
        _sparse_csv(d / "right.csv", 2)
        _native(d / "native8m", 8_000_000)
        _native(d / "native8m1", 8_000_001)
        _gt3x_bomb(d / "bomb.gt3x")
        _lm_csv(d / "lms.csv")
        _jump_csv(d / "jump.csv")
        batch_in = d / "batch"
        batch_in.mkdir(exist_ok=True)
        for side in ("left", "right"):
            (batch_in / f"n1_{side}.csv").write_bytes((d / f"{side}.csv").read_bytes())
        cases = [
            ("analyze 2 x 9 MB CSV spanning 47.9 h", ["analyze", "--left", "left.csv", "--right", "right.csv", "--out", "o1"]),
            ("analyze native, 2 x 8 M samples (150 kB)", ["analyze", "native8m", "--out", "o2"]),
            ("analyze native, 2 x 8 M + 1 (refused)", ["analyze", "native8m1", "--out", "o3"]),
            ("analyze .gt3x with a 500 MB log.bin bomb", ["analyze", "bomb.gt3x", "--side", "left", "--out", "o4"]),
            ("analyze CSV with a time 30 years away", ["analyze", "jump.csv", "--side", "left", "--out", "o5"]),
            ("score-events 400k LMs over 48 h (9.7 MB)", ["score-events", "lms.csv", "--hours", "48", "--out", "o6"]),
            ("info on the 47.9 h CSV", ["info", "left.csv"]),
            ("report of the 47.9 h night", ["report", "o1"]),
            ("export --edf of the 47.9 h night", ["export", "--left", "left.csv", "--right", "right.csv", "--edf", "o.edf"]),
            ("batch of the 47.9 h night (1 worker)", ["batch", "batch", "--out", "o7", "--workers", "1"]),
        ]
        sizes = {p.name: p.stat().st_size for p in d.rglob("*") if p.is_file()}
        print(f"largest input file: {max(sizes.values()) / 1e6:.1f} MB")
        print("| command | exit | peak RSS (MiB) | wall (s) | message |\n|---|---|---|---|---|")
        worst_rss = worst_s = 0.0
        for label, args in cases:
            code, rss, seconds, message = run(args, d)
            worst_rss, worst_s = max(worst_rss, rss), max(worst_s, seconds)
            print(f"| {label} | {code} | {rss:.0f} | {seconds:.1f} | {message} |", flush=True)
        print(f"\nworst: {worst_rss:.0f} MiB (bound 1024), {worst_s:.1f} s (bound 60)")
    return 0 if worst_rss < 1024 and worst_s < 60 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
