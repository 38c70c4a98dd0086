"""``lrm analyze``: leg movements, PLMs and hypnic jerks from one or two ankle accelerometer recordings."""

from __future__ import annotations

import argparse

from lrm.rules.rulesets import RULESET_NAMES

HELP = "analyse a night of ankle accelerometry: leg movements, PLM index, hypnic jerks"

DESCRIPTION = """\
Detect leg movements (LMs) on each ankle, label roll-overs and walking, find the rest period (time in
bed) and sleep onsets, keep hypnic jerks apart, and score PLMs with the WASM 2016 (default) or AASM
rules. Writes DIR/summary.json (indices, time in bed, sleep onset, data quality, parameters),
DIR/events.csv (one row per event), DIR/trace.parquet (1 Hz envelope, posture, in-bed trace) and
DIR/report.html (the night report; --pdf adds report.pdf).

Input: two files (--left/--right), one file with --side, or a recording directory (lrm record /
lrm simulate --native). Formats are recognised from their content (see 'lrm formats'); a generic CSV
needs a header 'time,x,y,z' (time in Unix seconds, ISO 8601, or seconds from --start; g or m/s^2). A single
file's ankle comes from --side, else from its name or metadata (night1_left.csv), else lrm asks (on a
terminal) or stops: it never guesses a leg.

Recordings longer than 30 h (device files worn for days), or any with --nights, are analysed night by
night: a noon-to-noon window per evening in local time (the zone as below; UTC when unknown),
the rest period found in each, non-wear days (sensor still for > 90 min) never scored as rest. Writes
DIR/<YYYY-MM-DD>/ per scored night (the files above), DIR/nights.csv and DIR/nights.parquet (one row per
night: date, status and reason, time in bed, every index, data quality) and DIR/report.html (all nights).

Clock times are local: the time zone comes from the files (MetaBase, GENEActiv, ActiGraph .gt3x, ISO
offsets, phyphox, Sensor Logger's Metadata.csv, lrm record), else from --tz (IANA name such as
Europe/Berlin, or +-HH:MM); without either lrm says the zone is unknown. Times for --lights-out/--lights-on:
local clock time HH:MM (the first such time after the recording starts), ISO 8601
(2024-05-01T22:30:00+02:00), or seconds since the recording start. summary.json gives every clock time
also as local ISO 8601 with its offset (lights_out_local, ...), events.csv each onset (onset_local).
"""

EPILOG = """\
examples:
  lrm analyze --left L.csv --right R.csv --out night1
  lrm analyze left_ankle.csv --side left --out night1             one ankle
  lrm analyze night1-recording/ --out night1                      a native recording directory
  lrm analyze --left L.csv --right R.csv --lights-out 22:40 --lights-on 06:55 --out night1
  lrm analyze --left L.cwa --right R.cwa --tz Europe/Berlin --out night1      files that state no zone
  lrm analyze --left L.csv --right R.csv --hypnogram stages.csv --rules aasm --out night1-aasm
  lrm analyze --left L.csv --right R.csv --config params.toml --out night1 --force
  lrm analyze --left L.cwa --right R.cwa --out week1                a week: night by night (> 30 h)
  lrm analyze --left L.csv --right R.csv --nights --out nights1     night by night on request
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("path", nargs="?", metavar="FILE_OR_DIR", help="one ankle's file (with --side) or a recording directory")
    parser.add_argument("--left", metavar="FILE", help="left ankle recording")
    parser.add_argument("--right", metavar="FILE", help="right ankle recording")
    parser.add_argument("--side", choices=("left", "right"), help="which ankle FILE is from (single-leg files)")
    parser.add_argument("--out", metavar="DIR", required=True, help="output directory")
    parser.add_argument("--format", default="auto", metavar="NAME", help="input format (default: detect; see 'lrm formats')")
    parser.add_argument("--units", choices=("auto", "g", "mg", "m/s^2"), default="auto",
                        help="acceleration unit (default: detect from the gravity magnitude)")
    parser.add_argument("--start", metavar="TIME",
                        help="Unix seconds or ISO 8601 time of the first sample, for files with relative time")
    parser.add_argument("--tz", metavar="ZONE", help="time zone of the night for files that do not state it: "
                        "IANA name (Europe/Berlin) or offset (+02:00)")
    parser.add_argument("--lights-out", metavar="TIME", help="start of the rest period (default: from posture)")
    parser.add_argument("--lights-on", metavar="TIME", help="end of the rest period (default: from posture)")
    parser.add_argument("--rules", choices=RULESET_NAMES, default=None, help="scoring standard (default: wasm2016)")
    parser.add_argument("--config", metavar="TOML", help="analysis parameters (see lrm.params; same names as these flags)")
    parser.add_argument("--hypnogram", metavar="FILE", help="30 s sleep stages: CSV or EDF+ annotations (PLMS/PLMW indices)")
    parser.add_argument("--respiratory", metavar="FILE",
                        help="respiratory events: CSV 'onset_s,offset_s' or EDF+ annotations (CLMr, PLMSnr)")
    parser.add_argument("--arousals", metavar="FILE", help="arousals: CSV 'onset_s,offset_s' or EDF+ annotations")
    parser.add_argument("--pdf", action="store_true", help="also write DIR/report.pdf (A4)")
    parser.add_argument("--force", action="store_true", help="replace existing results in DIR")
    parser.add_argument("--nights", action="store_true",
                        help="analyse night by night (noon to noon, local time); automatic beyond 30 h")


def _fmt(value: object, fmt: str = ".1f", unit: str = "") -> str:
    return "n/a" if value is None else f"{value:{fmt}}{unit}"


_SOURCE = {"file": "from the file", "option": "from --tz", "computer": "this computer's, while recording"}


def zone_line(summary: object) -> str:
    """How the night's clock times are given: its zone and where it came from, or what is not known."""
    tz, start = summary.timezone, summary.recording_start  # type: ignore[attr-defined]
    if start is None:
        return "none: the recording has relative times (pass --start)"
    if tz is not None:
        return f"{tz} ({_SOURCE.get(summary.timezone_source or '', 'stated')})"  # type: ignore[attr-defined]
    if not start.endswith("Z"):
        return "local time; the files state no time zone (pass --tz to name it)"
    return "UTC; the time zone is unknown (pass --tz for local clock times)"


def _clock(summary: object, seconds: float | None) -> str:
    from lrm.io.timezones import clock_at, clock_text

    if seconds is None:
        return "n/a"
    if summary.recording_start is None:  # type: ignore[attr-defined]
        return f"{seconds / 3600:.2f} h after start"
    return clock_text(clock_at(summary.recording_start, seconds, summary.timezone))  # type: ignore[attr-defined]


def _mg(value: float | None) -> float | None:
    return None if value is None else 1000.0 * value


def print_summary(result: object, out_dir: str) -> None:
    """The short terminal summary of a night (also used by ``lrm demo``): clock times local, with their zone."""
    from lrm.report.text import missed_share_text

    summary = result.summary  # type: ignore[attr-defined]
    s = summary.to_dict()
    print(f"lrm analyze ({s['rules']}): {out_dir}")
    print(f"  clock times       {zone_line(summary)}")
    if s["rest_period_source"] == "none":
        print("  time in bed       none found (no lying period): no index computed; give --lights-out/--lights-on")
    else:
        print(f"  time in bed       {s['time_in_bed_h']:.2f} h analysed   (lights out {_clock(summary, s['lights_out_s'])}, "
              f"on {_clock(summary, s['lights_on_s'])}, {s['rest_period_source']})")
    print(f"  sleep onset       {_clock(summary, s['sleep_onset_s'])}   (latency {_fmt(s['sleep_latency_min'], '.0f', ' min')}, "
          f"{len(s['sleep_onsets_s'])} onset(s) incl. re-onsets)")
    print(f"  PLM index         {_fmt(s['plm_index'], '.1f', ' /h')}   ({s['plm_count']} PLMs in {s['plm_series_count']} series)")
    print(f"  LM index          {_fmt(s['lm_index'], '.1f', ' /h')}   ({s['lm_count']} LMs: left {s['left_lm_count']}, "
          f"right {s['right_lm_count']}, bilateral {s['bilateral_lm_count']})")
    if s.get("plms_index") is not None:
        print(f"  PLMS index        {_fmt(s['plms_index'], '.1f', ' /h')}   PLMW index {_fmt(s['plmw_index'], '.1f', ' /h')}")
    counts = s.get("event_type_counts") or {}
    jerks = "not classified" if s["hypnic_jerk_count"] is None else s["hypnic_jerk_count"]  # no onset seen
    print(f"  hypnic jerks      {jerks}   (posture changes {counts.get('posture_change', 0)}, "
          f"walking bouts {counts.get('walking', 0)})")
    for side, q in s["quality"].items():
        clip = "n/a" if q["clipping_pct"] is None else f"{q['clipping_pct']:.2f}%"
        sd = q.get("clock_drift_sd_ppm")
        drift = f"{q['clock_drift_ppm']:+.0f}" + ("" if sd is None else f" +- {sd:.0f}") + " ppm"
        clock = f", clock {q['clock_offset_s']:+.2f} s {drift}" if q["clock_residual_s"] is not None else ""
        print(f"  {side:5s} leg         {q['fs_hz']:.1f} Hz, coverage {q['coverage_pct']:.1f}%, "
              f"{q['gap_count']} gaps ({q['gap_total_s']:.0f} s), clipping {clip}{clock}")
        if q.get("detection_limit_g") is not None:
            print(f"                    detection limit {1000 * q['detection_limit_g']:.0f} mg (LMs with a smaller "
                  f"peak may be missed; sensor noise {_fmt(_mg(q.get('noise_g')), '.1f', ' mg')}, "
                  f"steps {_fmt(_mg(q.get('lsb_g')), '.2g', ' mg')})")
        if q.get("missed_share_estimate") is not None:
            print(f"                    LMs below the detection limit (estimate from the detected LMs' sizes): "
                  f"{missed_share_text(q['missed_share_estimate'], q.get('missed_share_range'))}")
        if q.get("detection_limit_brief_g") is not None:
            print(f"                    brief twitch-like LMs (pulses of 80-300 ms): detection limit "
                  f"{1000 * q['detection_limit_brief_g']:.0f} mg")
    for w in s.get("warnings", []):
        print(f"  warning: {w}")
    if s["plm_index"] is not None and s["plm_index"] > 15:
        print("  note: a PLM index above 15/h is above the usual clinical cut-off; one night varies a lot and "
              "this is not a diagnosis.")


def ask_side_on_terminal(path: str) -> str:
    """Ask which ankle ``path`` is from when lrm runs on a terminal; "" (then an error) otherwise."""
    import sys

    if not sys.stdin.isatty():
        return ""
    for _ in range(3):
        try:
            answer = input(f"lrm: which ankle is {path} from? [left/right]: ").strip().lower()
        except EOFError:
            return ""
        if answer in ("l", "left", "r", "right"):
            return "left" if answer.startswith("l") else "right"
    return ""


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from lrm.commands.preload import imports_beside_read
    from lrm.io.times import parse_start_time
    from lrm.night_files import NightInputs, analyze_files
    from lrm.params import Params

    inputs = NightInputs(path=args.path, left=args.left, right=args.right, side=args.side, format=args.format,
                         units=args.units, start_s=parse_start_time(args.start, tz=args.tz), hypnogram=args.hypnogram,
                         respiratory=args.respiratory, arousals=args.arousals, lights_out=args.lights_out,
                         lights_on=args.lights_on, tz=args.tz, ask_side=ask_side_on_terminal)
    params = Params.from_toml(args.config) if args.config else Params()
    if args.rules:
        params = params.with_overrides(rules=args.rules)
    # what analyze imports, imported beside the read. The report's modules (matplotlib, jinja2: ~30 MiB) are
    # imported when the report is drawn, after the analysis: beside the read they were resident through the
    # analysis, the command's peak of memory (benchmarks/README.md, memory pass 14)
    modules = ["lrm.pipeline", "lrm.rules.score", "lrm.io.edf_scoring"]
    out = Path(args.out)
    if run_nights(args, inputs, params, out):
        return 0
    from lrm.io.night_dir import check_outputs, night_outputs
    from lrm.night_files import read_recording

    # every output checked before anything is read; an input is never an output
    check_outputs(night_outputs(out, pdf=args.pdf), inputs=inputs.files(), overwrite=args.force)
    with imports_beside_read(modules):
        recording = read_recording(inputs)
    from lrm.nights import multiday_sources

    if (sources := multiday_sources(recording, inputs.one_night)) is not None:   # a CSV export of several days
        _nights(sources, recording.end_s - recording.start_s, args, inputs, params, out)
        return 0
    handed = [recording]   # handed over, not kept here: analyze_files drops the raw samples before the report
    del recording
    result = analyze_files(inputs, out, params, overwrite=args.force, pdf=args.pdf, recording=handed.pop())
    if result.summary.duration_h is not None and result.summary.duration_h * 3600 > SPLIT_AFTER_S:
        print(f"  warning: the recording lasts {result.summary.duration_h:.0f} h, analysed as one night because "
              "scoring files or lights-out/on were given for one night")
    print_summary(result, str(out))
    print_report_line(out, pdf=args.pdf)
    return 0


SPLIT_AFTER_S = 30 * 3600.0   # lrm.nights.SPLIT_AFTER_S (not imported here: --help stays light)


def run_nights(args: argparse.Namespace, inputs, params, out) -> bool:  # noqa: ANN001 - NightInputs, Params, Path
    """Analyse night by night when asked (--nights) or when a device file's index shows more than 30 h (a
    longer file of another format is split once read, in :func:`run`); False when the recording is one
    night (the caller analyses it as such)."""
    from lrm.io.registry import detect_format

    first = inputs.path or inputs.left or inputs.right
    indexed = hasattr(detect_format(first).load(), "open_source") if inputs.format == "auto" else False
    if not (args.nights or indexed) or (inputs.one_night and not args.nights):
        return False
    if args.nights and inputs.one_night:
        from lrm.errors import InputError

        raise InputError("lrm analyze", "--nights", "scoring files and lights-out/on belong to one night",
                         "analyse that night on its own, without --nights")
    from lrm.nights import open_legs, span_s

    sources = open_legs(inputs.left, inputs.right, inputs.path, inputs.side, format=inputs.format, units=inputs.units,
                        start_s=inputs.start_s, tz=inputs.tz)
    start, end = span_s(sources)
    if not args.nights and end - start <= SPLIT_AFTER_S:
        return False
    _nights(sources, end - start, args, inputs, params, out)
    return True


def _nights(sources, span_s: float, args: argparse.Namespace, inputs, params, out) -> None:  # noqa: ANN001
    from lrm.nights import analyze_nights

    print(f"lrm analyze: {span_s / 3600:.0f} h of recording, night by night (noon to noon, local time) -> {out}")
    table = analyze_nights(sources, out, params, overwrite=args.force, pdf=args.pdf, progress=print,
                           timezone_name=inputs.tz)
    scored = int((table["status"] == "ok").sum())
    print(f"  {len(table)} night(s), {scored} scored: {out / 'nights.csv'}")
    if scored:
        print(f"  report: {out / 'report.html'}")


def print_report_line(out, *, pdf: bool) -> None:  # noqa: ANN001 - a Path
    """Say where the night's report is (written by :func:`lrm.night_files.analyze_files`)."""
    path = out / "report.html"
    extra = f" and {path.with_suffix('.pdf')}" if pdf else ""
    print(f"  report: {path}{extra}")
