"""Seed inputs of the fuzz suite and their mutations (not a test module).

Seeds: every readable real file in ../shared/data (app and device exports, the technician-scored RemLogic
night) and, for the formats without a real sample there, files built in each format's documented layout
(formats.md; the same layouts as tests/io/test_app_exports.py), plus a 35-minute generic CSV and a native
recording so that mutated values reach the whole pipeline (a night shorter than 30 min is refused before).

Mutations, all drawn from fixed seeds (the same inputs on every run):

* bytes: deletions, insertions and bit flips at many offsets, truncations; inside archives (.gt3x, phyphox
  zip) the members are mutated and the archive rebuilt, so that the parser behind the zip is reached;
* values (text formats): one field of one data line replaced by an extreme (times at 0, +-1e18, 1e300,
  NaN, inf, a year or 30 years later, the previous line's time; accelerations of 1e20, -1e30, NaN;
  durations huge or negative), every time made equal, the data lines reversed or shuffled;
* the native recording's manifest: rates, ranges, gaps and times replaced by extremes.
"""

from __future__ import annotations

import io
import json
import math
import random
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"
REPO = Path(__file__).resolve().parents[2]

EXTREMES = ("0", "-1", "1e18", "-1e18", "1e300", "-1e300", "nan", "NaN", "inf", "-inf", "", "x", "1e20", "-1e30",
            "99999999999999999999", "0.000000001", "2100-01-01T00:00:00", "1970-01-01 00:00:00:000", "24:61:61")


@dataclass(frozen=True)
class Seed:
    """A seed input: ``name``, the file (or directory) and how lrm reads it (``kind``: sensor | events |
    hypnogram | native). ``text`` says whether value-level mutations apply (a delimited text file)."""

    name: str
    path: Path
    kind: str
    text: bool = False


def _real_seeds() -> list[Seed]:
    files = [
        ("polar", "app_exports/polar_sensor_logger/Polar_Sense_ACC.txt", "sensor", True),
        ("actigraph-csv", "app_exports/actigraph/neo.csv", "sensor", True),
        ("actigraph-gt3x-neo", "app_exports/actigraph/neo.gt3x", "sensor", False),
        ("actigraph-gt3x-log", "app_exports/actigraph/TAS1H30182785_2019-09-17.gt3x", "sensor", False),
        ("axivity-cwa-ax3", "app_exports/axivity/ax3_testfile.cwa", "sensor", False),
        ("axivity-cwa-ax6", "app_exports/axivity/ax6_testfile.cwa", "sensor", False),
        ("axivity-csv", "app_exports/axivity/ax6_testfile_formatted_timestamps.csv", "sensor", True),
        ("geneactiv-bin", "app_exports/geneactiv/sleeppy_test_geneactiv.bin", "sensor", False),
        ("geneactiv-bin-cut", "app_exports/geneactiv/GGIRread_GENEActiv_testfile.bin", "sensor", False),
        ("geneactiv-csv", "app_exports/geneactiv/sleeppy_test_geneactiv.csv", "sensor", True),
        ("remlogic", "lm_ground_truth/matplm_score/G20877_V1N2_AidRLS-Events.txt", "events", True),
    ]
    return [Seed(name, SHARED / rel, kind, text) for name, rel, kind, text in files if (SHARED / rel).exists()]


def _generated_seeds(folder: Path) -> list[Seed]:
    """Files in the documented layouts of the formats without a real sample, and long-enough nights."""
    import numpy as np

    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(16)
    seeds: list[Seed] = []

    def write(name: str, filename: str, text: str, kind: str = "sensor") -> None:
        path = folder / name / filename
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        seeds.append(Seed(name, path, kind, True))

    n = 3000
    write("metabase-android", "acc.csv", "epoch (ms),time (-05:00),elapsed (s),x-axis (g),y-axis (g),z-axis (g)\n" + "".join(
        f"{1600000000000 + i * 10},2020-09-13T07:26:{(i // 100) % 60:02d}.000,{i / 100:.3f},{0.01 * rng.standard_normal():.4f},"
        f"0.02,0.998\n" for i in range(n)))
    write("metabase-ios", "MetaWear_2018-01-14T18.39.29.561_D5A1B2C3D4E5_Accelerometer.csv",
          "epoc (ms),timestamp (-0800),elapsed (s),x-axis (g),y-axis (g),z-axis (g)\n" + "".join(
              f"{1515983969561 + (i // 3) * 60},2018-01-14T18.39.29.561,{(i // 3) * 0.06:.3f},0.010,-0.020,0.998\n"
              for i in range(n)))
    write("sensor-logger", "TotalAcceleration.csv", "time,seconds_elapsed,z,y,x\n" + "".join(
        f"{1700000000000000000 + i * 10_000_000},{i / 100},9.80665,0.0,{0.1 * rng.standard_normal():.4f}\n" for i in range(n)))
    write("phyphox", "Raw Data.csv", '"Time (s)","Acceleration x (m/s^2)","Acceleration y (m/s^2)","Acceleration z (m/s^2)",'
          '"Absolute acceleration (m/s^2)"\n' + "".join(f"{i * 0.01:.9E},0.0E0,0.0E0,9.80665E0,9.80665E0\n" for i in range(n)))
    archive = folder / "phyphox-zip" / "export.zip"
    archive.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("Raw Data.csv", (folder / "phyphox" / "Raw Data.csv").read_text())
        zf.writestr("meta/time.csv", '"event","experiment time","system time","system time text"\n'
                    '"START",0.0E0,1.7E9,"2023-11-14 22:13:20.000 UTC+00:00"\n')
    seeds.append(Seed("phyphox-zip", archive, "sensor", False))
    packets = [{"acc": {"Timestamp": 1000 + 80 * k, "ArrayAcc": [{"x": 0.0, "y": 9.80665, "z": 0.0}] * 4}} for k in range(500)]
    write("movesense-json", "acc.json", json.dumps({"data": packets}))
    lines = ["Chiptime\tax(g)\tay(g)\taz(g)\twx(rad/s)"]
    for i in range(n):
        s = 86390.0 + i * 0.01
        s -= 86400.0 if s >= 86400 else 0.0
        lines.append(f"{int(s // 3600):02d}:{int(s % 3600 // 60):02d}:{s % 60:06.3f}\t0.0\t0.0\t1.0\t0.1")
    write("witmotion-txt", "20240101.txt", "\n".join(lines) + "\n")
    # 35 minutes at 25 Hz with small movements: mutated values reach the grid, the detection and the report
    m = 35 * 60 * 25
    t = 1_705_000_000.0 + np.arange(m) / 25.0
    z = 1.0 + 0.004 * rng.standard_normal(m)
    for k in range(40):
        start = int(rng.integers(0, m - 50))
        z[start:start + 40] += 0.3 * np.hanning(40)
    write("generic-35min", "ankle.csv", "time,x,y,z\n" + "".join(
        f"{a:.3f},{0.002 * b:.4f},0.01,{c:.4f}\n" for a, b, c in zip(t, rng.standard_normal(m), z, strict=True)))
    write("lm-csv", "lms.csv", (REPO / "sample_data" / "example_events.csv").read_text(), kind="events-csv")
    write("hypnogram-csv", "hyp.csv", (REPO / "sample_data" / "example_hypnogram.csv").read_text(), kind="hypnogram")
    # a native recording (lrm record / simulate --native), one leg, 35 minutes
    from lrm.io.native import write_native
    from lrm.io.recording import Gap, Leg, Recording

    acc = np.column_stack([np.zeros(m), np.full(m, 0.01), z]).astype(np.float32)
    leg = Leg("left", t, acc, fs_hz=25.0, range_g=8.0, source="sim", gaps=(Gap(t[100], t[130], "dropped"),))
    native = folder / "native" / "night"
    write_native(Recording({"left": leg}), native, scale_g={"left": 8.0 / 32768})
    seeds.append(Seed("native", native, "native", False))
    return seeds


def seeds(folder: Path) -> list[Seed]:
    """Every seed: the real files present in ../shared/data, then the generated ones (written to ``folder``)."""
    return _real_seeds() + _generated_seeds(folder)


# ---------------------------------------------------------------------------------------------- mutations


def byte_mutations(data: bytes, rng: random.Random, count: int) -> Iterator[tuple[str, bytes]]:
    """``count`` byte-level mutants of ``data``: deletions, insertions, bit flips, truncations at many offsets."""
    n = len(data)
    for k in range(count):
        op = ("delete", "insert", "flip", "truncate")[k % 4]
        at = rng.randrange(max(1, n))
        if op == "delete":
            width = rng.choice((1, 1, 2, 7, 64))
            yield f"delete {width}@{at}", data[:at] + data[at + width:]
        elif op == "insert":
            blob = bytes(rng.randrange(256) for _ in range(rng.choice((1, 3, 16))))
            yield f"insert {len(blob)}@{at}", data[:at] + blob + data[at:]
        elif op == "flip":
            mutant = bytearray(data)
            for _ in range(rng.choice((1, 1, 2, 4))):
                i = rng.randrange(max(1, n))
                if n:
                    mutant[i] ^= 1 << rng.randrange(8)
            yield f"flip@{at}", bytes(mutant)
        else:
            yield f"truncate@{at}", data[:at]


def archive_mutations(data: bytes, rng: random.Random, count: int) -> Iterator[tuple[str, bytes]]:
    """Mutants of a zip archive whose members (not the zip structure) are mutated, then re-zipped."""
    with zipfile.ZipFile(io.BytesIO(data)) as zin:
        members = [(info, zin.read(info.filename)) for info in zin.infolist()]
    for k in range(count):
        target = rng.randrange(len(members))
        info, content = members[target]
        text = content.decode("utf-8", "replace").splitlines() if info.filename.endswith(".txt") else []
        if text and k % 2:                                     # info.txt: a value of one key
            line = rng.randrange(len(text))
            key = text[line].split(":", 1)[0]
            label, mutant = f"{info.filename}: {key} = extreme", "\n".join(
                text[:line] + [f"{key}: {rng.choice(EXTREMES)}"] + text[line + 1:]).encode()
        else:
            label, mutant = next(byte_mutations(content, rng, 1))
            label = f"{info.filename}: {label}"
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
            for j, (other, payload) in enumerate(members):
                zout.writestr(other.filename, mutant if j == target else payload)
        yield label, out.getvalue()


def _split(line: str) -> tuple[list[str], str]:
    for delimiter in ("\t", ";", ","):
        if delimiter in line:
            return line.split(delimiter), delimiter
    return line.split(" "), " "


def value_mutations(text: str, rng: random.Random, count: int, *, newline: str = "\n") -> Iterator[tuple[str, str]]:
    """Value-level mutants of a delimited text file: one field made extreme, times equal, lines reversed."""
    lines = text.split(newline)
    first_data = next((i for i, ln in enumerate(lines) if re.match(r"^\s*[-+]?[\d\"]", ln) and i > 0), 1)
    if "Time [hh:mm:ss" in text:                                # RemLogic: the table after its header
        first_data = next(i for i, ln in enumerate(lines) if ln.startswith("Time [")) + 1
    data = [i for i in range(first_data, len(lines)) if lines[i].strip()]
    if not data:
        return
    for k in range(count):
        op = k % 8
        mutant = list(lines)
        if op <= 4:                                             # one field of one line -> an extreme value
            i = rng.choice(data)
            fields, delimiter = _split(mutant[i])
            j = rng.randrange(len(fields)) if op else 0         # op 0: the time (first) field
            value = rng.choice(EXTREMES)
            if op == 4 and _number(fields[j]) is not None:       # a year / 30 years later or earlier
                value = repr(_number(fields[j]) + rng.choice((365 * 86400, 30 * 365 * 86400, -30 * 365 * 86400)))
            fields[j] = value
            mutant[i] = delimiter.join(fields)
            label = f"line {i + 1} field {j + 1} = {value!r}"
        elif op == 5:                                           # every time equal to the first line's
            fields0, delimiter = _split(lines[data[0]])
            for i in data:
                fields, _ = _split(mutant[i])
                fields[0] = fields0[0]
                mutant[i] = delimiter.join(fields)
            label = "all times equal"
        elif op == 6:
            body = [lines[i] for i in data]
            body = body[::-1] if rng.random() < 0.5 else rng.sample(body, len(body))
            for i, line in zip(data, body, strict=True):
                mutant[i] = line
            label = "data lines reversed or shuffled"
        else:                                                   # a line duplicated far from its place
            i, j = rng.choice(data), rng.choice(data)
            mutant.insert(j, lines[i])
            label = f"line {i + 1} copied before line {j + 1}"
        yield label, newline.join(mutant)


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def manifest_mutations(manifest: dict, rng: random.Random, count: int) -> Iterator[tuple[str, dict]]:
    """Mutants of a native recording.json: leg fields and gaps replaced by extremes."""
    fields = ("fs_hz", "range_g", "scale_g", "clock_offset_s", "clock_drift_ppm", "gaps", "file", "notes")
    extremes = (0, -1, 1e300, -1e300, 1e-300, "x", None, [], {"a": 1}, float("nan"), 10**30)
    for _ in range(count):
        mutant = json.loads(json.dumps(manifest))
        side = next(iter(mutant["legs"]))
        key = rng.choice(fields)
        if key == "gaps":
            value = [{"start_s": rng.choice((0, -1e18, 1e18, 1.705e9)), "end_s": rng.choice((1e18, 1e300, 1.7051e9)),
                      "cause": "x"}] * rng.choice((1, 3))
        else:
            value = rng.choice(extremes)
        mutant["legs"][side][key] = value
        yield f"legs.{side}.{key} = {str(value)[:40]}", mutant
