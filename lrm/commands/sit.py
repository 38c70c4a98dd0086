"""``lrm sit``: the suggested immobilization test (SIT) at home, live from BLE ankle sensors or from a recording."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

HELP = "suggested immobilization test: an hour sitting still in bed, leg movements and leg discomfort"

DESCRIPTION = """\
The suggested immobilization test (SIT) measures the 'worse at rest' part of restless legs: about an hour
before bedtime you sit up in bed, back supported, legs outstretched, awake, and try not to move for 60
minutes, while lrm counts the leg movements from your ankle sensors and asks every --ask-every minutes how
uncomfortable your legs feel (0 = not at all, 10 = worst). Read docs/sit.md first.

lrm guides you: stand beside the bed for a few seconds (calibration), then sit in bed with your legs
outstretched; the test starts when both legs are still. The screen shows the time, the movements so far
and your last answer. At a prompt, type 0-10 and Enter; Enter alone repeats your last answer; no answer
within a minute is recorded as missing. If a leg leaves the test position (standing up, knees drawn up,
a leg rolled over) lrm tells you and leaves that time out. From the ankle, sitting upright cannot be told
from lying down: staying upright is up to you. Ctrl-C ends the test early: what was recorded is kept and
scored as a partial test, clearly marked.

DIR gets the native recording (crash-safe, as 'lrm record'; 'lrm recover DIR' after a crash), the
session log (sit_session.jsonl: every marker and answer as it happened), sit.json (indices, valid
minutes, ratings, posture, detection limit), sit_events.csv, sit_bins.csv and report.html.
'lrm sit --from' scores a SIT recorded with 'lrm record' (or exported from an app) instead.
This is a measurement, not a diagnosis.
"""

EPILOG = """\
examples:
  lrm sit --left "Polar Sense B5E2A31C" --right "Polar Sense 9F00C2D1" --out sit-2024-05-01
  lrm sit --simulate --speed 0 --profile rls --ratings answers.txt --out sim-rls     try it without sensors
  lrm sit --simulate --speed 60 --profile healthy --breaks 20+60 --faults disconnect@900+30 --out sim-h
  lrm sit --from night1 --start 21:30 --out night1-sit          a SIT recorded with 'lrm record'
  lrm sit --from left.csv right.csv --start 120 --ratings answers.txt --out app-sit
  lrm report sit-before sit-after                                several SITs side by side

answers file (--ratings): one line per prompt: 0-10, an empty line (= the previous answer), or - (none).
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from lrm.ble.virtual.faults import FAULTS_HELP

    parser.add_argument("--left", metavar="ADDR_OR_NAME", help="left-ankle sensor (address or name, see 'lrm scan')")
    parser.add_argument("--right", metavar="ADDR_OR_NAME", help="right-ankle sensor")
    parser.add_argument("--out", metavar="DIR", required=True, help="new directory for the test")
    parser.add_argument("--minutes", type=float, default=60.0, help="test length in min (default 60)")
    parser.add_argument("--ask-every", type=float, default=10.0, metavar="MIN",
                        help="ask for leg discomfort every MIN minutes (default 10; 0 = never)")
    parser.add_argument("--ratings", metavar="FILE",
                        help="answers from FILE instead of asking ('-' = from standard input, one per line)")
    parser.add_argument("--no-calibration", action="store_true",
                        help="skip standing still beside the bed (then only turns of the legs are checked)")
    parser.add_argument("--rate", type=float, default=50.0, metavar="HZ", help="sample rate in Hz (default 50)")
    parser.add_argument("--scan-seconds", type=float, default=15.0, metavar="S", help="how long to look for a sensor")
    parser.add_argument("--silence", type=float, default=10.0, metavar="S",
                        help="reconnect when no data arrived for S seconds (default 10)")
    parser.add_argument("--quiet", action="store_true", help="no live screen (prompts and messages only)")
    off = parser.add_argument_group("score a recording instead (no sensors)")
    off.add_argument("--from", nargs="+", dest="source", metavar="RECORDING",
                     help="a recording directory ('lrm record', 'lrm sit') or file; two files = left then right")
    off.add_argument("--start", metavar="WHEN",
                     help="when the test began: seconds from the recording start, local HH:MM[:SS] or ISO 8601 "
                          "(default: logged by 'lrm sit', else the first still stretch in the data)")
    off.add_argument("--side", choices=("left", "right"), help="the ankle of a single-leg file")
    sim = parser.add_argument_group("simulated sensors and sitter (no hardware)")
    sim.add_argument("--simulate", action="store_true", help="virtual sensors worn by a simulated sitter")
    sim.add_argument("--speed", type=float, default=60.0, metavar="X",
                     help="simulated seconds per real second (default 60; 0 = as fast as possible)")
    sim.add_argument("--profile", default="rls", choices=("healthy", "rls"), help="simulated sitter (default rls)")
    sim.add_argument("--seed", type=int, default=0, help="simulation seed (default 0)")
    sim.add_argument("--sensor", default="lrm-open", metavar="FAMILY", help="virtual sensor family (default lrm-open)")
    sim.add_argument("--breaks", default="", metavar="AT+DUR,...",
                     help="the sitter stands up AT min after settling in bed, for DUR s (e.g. 20+60)")
    sim.add_argument("--faults", default="", metavar="LIST", help=FAULTS_HELP)


def run(args: argparse.Namespace) -> int:
    from lrm.errors import LrmError

    if not 1 <= args.minutes <= 240:
        raise LrmError(f"--minutes {args.minutes:g}: must lie in 1-240. Fix: e.g. --minutes 60")
    if args.ask_every < 0 or (args.ask_every and args.ask_every > args.minutes):
        raise LrmError(f"--ask-every {args.ask_every:g}: must lie in 0-{args.minutes:g} min. Fix: e.g. --ask-every 10")
    if args.source:
        return _run_offline(args)
    if args.start or args.side:
        raise LrmError("--start and --side go with --from. Fix: add --from RECORDING, or drop them")
    return _run_live(args)


# ---------------------------------------------------------------- offline


def _run_offline(args: argparse.Namespace) -> int:
    from pathlib import Path

    from lrm.errors import LrmError
    from lrm.io.registry import read
    from lrm.io.sit_session import SESSION_NAME, Rating, read_session
    from lrm.sit import protocol_from_args

    if args.simulate or args.left or args.right:
        raise LrmError("--from scores a recording: --simulate, --left and --right do not apply. Fix: drop them")
    if len(args.source) > 2:
        raise LrmError("--from takes a recording or one file per ankle (left then right). Fix: at most two paths")
    _check_out(args.out)
    rec = read(args.source[0], side=args.side) if len(args.source) == 1 else read(left=args.source[0], right=args.source[1])
    session = Path(args.source[0]) / SESSION_NAME
    start = _parse_start(args.start, rec) if args.start else None
    answers = _answers_for_offline(args)
    if session.is_file() and len(args.source) == 1:
        from dataclasses import replace

        protocol = read_session(session)
        if start is not None:
            protocol = replace(protocol, test_start_wall_s=start)
        if answers is not None:
            protocol = replace(protocol, ratings=tuple(Rating(None, m, v, "file") for m, v in answers))
    else:
        every = args.ask_every or None
        protocol = protocol_from_args(args.minutes, start, answers or [], every)
    return _score_and_report(rec, protocol, args.out)


def _answers_for_offline(args: argparse.Namespace) -> list[tuple[float, float | None]] | None:
    if not args.ratings:
        return None
    values = _read_answers(args.ratings)
    every = args.ask_every or 10.0
    out, last = [], None
    for k, v in enumerate(values, start=1):
        value = last if v == "repeat" else v
        out.append((k * every, value))
        last = value if value is not None else last
    return out  # type: ignore[return-value]


def _read_answers(spec: str) -> list[Any]:
    from lrm.io.sit_session import parse_rating, read_ratings

    if spec != "-":
        return read_ratings(spec)
    from lrm.errors import InputError

    out = []
    for number, line in enumerate(sys.stdin.read().splitlines(), start=1):
        try:
            out.append(parse_rating(line.split("#", 1)[0]))
        except ValueError as exc:
            raise InputError("<stdin>", f"line {number}", str(exc), "one answer per line: 0-10, empty, or -") from None
    return out


def _parse_start(text: str, rec) -> float:  # noqa: ANN001 - a Recording
    """--start as Unix seconds: seconds from the recording start, local HH:MM[:SS] in the recording's zone (the
    first such moment after it starts) or ISO 8601 (its offset honoured, else local): lrm.io.times."""
    from lrm.io.times import parse_night_time

    tz = "UTC" if rec.clock == "local" else rec.timezone
    return rec.start_s + parse_night_time(text, start_s=rec.start_s if rec.time_is_absolute else None,
                                          duration_s=rec.end_s - rec.start_s, tz=tz, flag="--start")


def _check_out(out: str) -> None:
    from pathlib import Path

    from lrm.errors import OutputExistsError

    path = Path(out)
    if (path / "sit.json").exists():
        raise OutputExistsError(str(path / "sit.json"), "this directory already holds a scored SIT; choose another --out")
    if path.exists() and not path.is_dir():
        raise OutputExistsError(str(path), "--out must be a directory; choose another name")


def _score_and_report(rec: Any, protocol: Any, out: str) -> int:
    import warnings

    from lrm.errors import LrmWarning
    from lrm.report.sit import write_sit_report
    from lrm.sit import analyze_sit, write_sit

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LrmWarning)       # quality notes go into sit.json's warnings
        result = analyze_sit(rec, protocol)
    write_sit(result, out)
    report = write_sit_report(out)
    _print_result(result.summary, out, report)
    return 0


def _fmt(value: Any, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _print_result(s: dict[str, Any], out: str, report: Any) -> None:
    head = "PARTIAL TEST" if s["partial"] else "SIT"
    print(f"lrm: {head}: {s['elapsed_min']:.1f} of {s['planned_min']:g} min, {s['valid_min']:.1f} min valid"
          + (f" ({s['stop_reason']})" if s["partial"] else ""))
    print(f"lrm: SIT-PLM index {_fmt(s['sit_plm_index'])}/h (WASM 2016), {_fmt(s['sit_plm_index_original_criteria'])}/h "
          f"with the original SIT intervals (published cut-off > 40/h); SIT-LM index {_fmt(s['sit_lm_index'])}/h")
    d = s["discomfort"]
    if d["n_prompts"]:
        print(f"lrm: leg discomfort {d['n_answered']}/{d['n_prompts']} answered: mean {_fmt(d['mean'])}, "
              f"max {_fmt(d['maximum'], 0)}, slope {_fmt(d['slope_per_h'])} per hour")
    for b in s["posture"]["breaks"]:
        print(f"lrm: left out: {b['side']} {b['cause']} at {b['start_min']:.1f}-{b['end_min']:.1f} min")
    for w in s["warnings"]:
        print(f"lrm: note: {w}")
    print("lrm: " + s["posture"]["note"])
    print(f"lrm: saved {out}/sit.json and {report} (a measurement, not a diagnosis)")


# ---------------------------------------------------------------- live


def _run_live(args: argparse.Namespace) -> int:
    import signal
    from pathlib import Path

    from lrm.ble.recorder import LegTarget, RecordOptions, check_output_dir
    from lrm.ble.scan import resolve
    from lrm.ble.sit_session import SitPlan, run_sit_session
    from lrm.errors import LrmError
    from lrm.io.native import read_native
    from lrm.io.sit_session import SESSION_NAME, read_session

    out = check_output_dir(args.out)
    _check_out(args.out)
    if args.rate <= 0 or args.silence < 2:
        raise LrmError("--rate must be > 0 Hz and --silence at least 2 s. Fix: e.g. --rate 50 --silence 10")
    wanted = {side: getattr(args, side) for side in ("left", "right") if getattr(args, side)}
    backend = scanner = sitter = None
    backend_kwargs: dict[str, Any] = {}
    meta: dict[str, Any] = {}
    answers = _read_answers(args.ratings) if args.ratings else None
    if args.simulate:
        timebase, sitter, wanted, backend, scanner, backend_kwargs, meta = _simulation(args)
    else:
        if not wanted:
            raise LrmError("no sensor given. Fix: pass --left NAME and --right NAME (see 'lrm scan'), or try --simulate")
        from lrm.ble.timebase import REAL_TIME as timebase  # type: ignore[assignment]
    plan = SitPlan(planned_min=args.minutes, ask_every_min=args.ask_every or None, calibrate=not args.no_calibration)
    from lrm.commands.sit_screen import make_prompter, make_screen

    screen = make_screen(quiet=args.quiet)
    prompter = make_prompter(answers=answers, sitter=sitter, timebase=timebase, screen=screen)

    async def main() -> Any:
        interrupt = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, interrupt.set)
        targets = []
        for side, who in wanted.items():
            screen.say(f"looking for the {side} sensor {who!r} ...")
            found = await resolve(who, seconds=args.scan_seconds, backend=scanner, backend_kwargs=backend_kwargs)
            driver = found.driver(rate_hz=args.rate, range_g=None)  # type: ignore[misc]
            screen.say(f"{side}: {found.name} ({found.address}), {found.model}")
            targets.append(LegTarget(side, found.device, driver, found.name))
        with screen:
            return await run_sit_session(Path(out), targets, plan=plan, prompter=prompter, screen=screen,
                                         interrupt=interrupt, options=RecordOptions(silence_s=args.silence),
                                         timebase=timebase, backend=backend, backend_kwargs=backend_kwargs, meta=meta)

    outcome = timebase.run(main())
    if outcome.status == "not started":
        print(f"lrm: the test did not start; the recording is kept in {out}. To score it anyway: "
              f"lrm sit --from {out} --start HH:MM --out {out}-sit")
        return 0
    rec = read_native(out)
    return _score_and_report(rec, read_session(Path(out) / SESSION_NAME), str(out))


def _simulation(args: argparse.Namespace) -> tuple[Any, ...]:
    from lrm.ble.timebase import SimulatedTime
    from lrm.ble.virtual.backend import VirtualBleakClient, VirtualBleakScanner
    from lrm.ble.virtual.faults import parse_faults
    from lrm.ble.virtual.families import FAMILIES
    from lrm.ble.virtual.sit import sit_radio
    from lrm.errors import LrmError
    from lrm.sim.sitter import simulate_sit

    if args.speed < 0:
        raise LrmError(f"--speed {args.speed:g}: must be >= 0. Fix: e.g. --speed 60 (0 = as fast as possible)")
    if args.sensor not in FAMILIES:
        raise LrmError(f"--sensor {args.sensor}: unknown virtual sensor family. Fix: use one of {', '.join(FAMILIES)}")
    breaks = _parse_breaks(args.breaks)
    try:
        sim = simulate_sit(args.profile, seed=args.seed, minutes=args.minutes, rate_hz=_family_rate(args.sensor, args.rate),
                           breaks=breaks)
    except ValueError as exc:
        raise LrmError(f"--breaks {args.breaks}: {exc}. Fix: breaks must lie inside the test") from None
    timebase = SimulatedTime(speed=args.speed or None)
    radio = sit_radio(timebase, sim, family=args.sensor, faults=parse_faults(args.faults), seed=args.seed)
    wanted = {side: s.name for side, s in zip(sim.accel_g, radio.sensors.values(), strict=True)}
    meta = {"simulated": {"profile": args.profile, "seed": args.seed, "breaks": args.breaks, "faults": args.faults,
                          "sensor": args.sensor, "power_on_wall_s": timebase.time()}}
    return timebase, sim, wanted, VirtualBleakClient, VirtualBleakScanner, {"radio": radio}, meta


def _family_rate(family: str, rate_hz: float) -> float:
    """The rate the virtual sensor will really stream at for ``--rate`` (the sitter is simulated at it)."""
    from lrm.ble.virtual.families import streamed_rate_hz

    return streamed_rate_hz(family, rate_hz)


def _parse_breaks(text: str) -> list[tuple[float, float]]:
    from lrm.errors import LrmError

    out = []
    for item in filter(None, (t.strip() for t in text.split(","))):
        try:
            at, dur = (float(v) for v in item.split("+"))
        except ValueError:
            raise LrmError(f"--breaks {item!r}: not AT+DUR. Fix: e.g. --breaks 20+60 (minute 20, for 60 s)") from None
        if at <= 0 or dur <= 0:
            raise LrmError(f"--breaks {item!r}: AT and DUR must be > 0. Fix: e.g. --breaks 20+60")
        out.append((at, dur))
    return out
