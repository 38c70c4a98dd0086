"""``lrm record``: record one or two ankle sensors overnight into a native recording directory."""

from __future__ import annotations

import argparse

HELP = "record one or two BLE ankle sensors overnight (crash-safe; Ctrl-C or closing the terminal stops and saves)"

DESCRIPTION = """\
Connect to one or two ankle sensors and record until Ctrl-C (or SIGTERM, or SIGHUP when the terminal
closes: all three stop and save the night). Every packet goes first to a
crash-safe journal (NIGHT_DIR/journal/, flushed every second); on stop, the native recording
(recording.json + left/right.parquet) is written, ready for 'lrm analyze NIGHT_DIR'. If the recorder is
killed or the power fails, 'lrm recover NIGHT_DIR' rebuilds the recording from the journal.

Through the night the recorder reconnects by itself (backoff 1 s doubling to 30 s, a watchdog when data
stop arriving), re-starts the sensor's stream on every connection, records every gap with its cause, and
maps each sensor's clock to the computer's (drift estimated over the night) so both legs line up.

Sensors are named by address or (part of) their advertised name, as listed by 'lrm scan'.
--simulate records virtual sensors wearing a simulated night instead (no Bluetooth needed): the whole
flow, faults included, at --speed times real time.
"""

EPILOG = """\
examples:
  lrm scan
  lrm record --left "Polar Sense B5E2A31C" --right "Polar Sense 9F00C2D1" --out night1
  lrm record --left LRM-Ankle-3F2A --out night1 --rate 104            one ankle
  lrm record --simulate --speed 60 --hours 1 --out sim1                try it without hardware
  lrm record --simulate --sensor polar,movesense --hours 0.5 --out sim3  other sensor families
  lrm record --simulate --speed 0 --hours 8 --faults disconnect@3600+90,stall@7200+0,drop=0.001 --out sim2
  lrm analyze sim1 --out sim1-report
  lrm recover night1                   after a crash: rebuild night1/recording.json from the journal
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from lrm.ble.virtual.faults import FAULTS_HELP

    parser.add_argument("--left", metavar="ADDR_OR_NAME", help="left-ankle sensor (address or name)")
    parser.add_argument("--right", metavar="ADDR_OR_NAME", help="right-ankle sensor (address or name)")
    parser.add_argument("--out", metavar="NIGHT_DIR", required=True, help="new directory for the night")
    parser.add_argument("--rate", type=float, default=50.0, metavar="HZ",
                        help="sample rate in Hz (default 50; the nearest rate the sensor supports within 5%%)")
    parser.add_argument("--range", type=float, default=None, metavar="G", dest="range_g",
                        help="full-scale range in g (default: the sensor's, usually 8)")
    parser.add_argument("--scan-seconds", type=float, default=15.0, metavar="S",
                        help="how long to look for each sensor (default 15)")
    parser.add_argument("--silence", type=float, default=10.0, metavar="S",
                        help="reconnect when no data arrived for S seconds (default 10)")
    parser.add_argument("--tz", metavar="ZONE", help="time zone of the night (IANA name or +-HH:MM; default: this "
                        "computer's, stored in the recording)")
    parser.add_argument("--quiet", action="store_true", help="no live status")
    sim = parser.add_argument_group("simulated sensors (no hardware)")
    sim.add_argument("--simulate", action="store_true", help="record virtual sensors wearing a simulated night")
    sim.add_argument("--speed", type=float, default=60.0, metavar="X",
                     help="simulated seconds per real second (default 60; 0 = as fast as possible)")
    sim.add_argument("--profile", default="plmd", choices=("healthy", "plmd", "rls", "hypnic"),
                     help="simulated sleeper (default plmd)")
    sim.add_argument("--hours", type=float, default=8.0, metavar="H", help="simulated night length (default 8)")
    sim.add_argument("--sensor", default="lrm-open", metavar="FAMILY",
                     help="virtual sensor family: lrm-open (default), polar (Verity Sense), polar-oh1, polar-h10, "
                          "movesense, witmotion or thingy52; LEFT,RIGHT for two different ones (e.g. polar,movesense)")
    sim.add_argument("--seed", type=int, default=0, help="simulation seed (default 0)")
    sim.add_argument("--faults", default="", metavar="LIST", help=FAULTS_HELP)


def run(args: argparse.Namespace) -> int:
    import asyncio

    from lrm.ble.recorder import LegTarget, RecordOptions, check_output_dir, record_night
    from lrm.ble.scan import resolve
    from lrm.ble.status import StatusView
    from lrm.errors import LrmError

    out = check_output_dir(args.out)
    if args.rate <= 0:
        raise LrmError(f"--rate {args.rate:g}: must be > 0 Hz. Fix: pass e.g. --rate 50")
    if args.silence < 2:
        raise LrmError(f"--silence {args.silence:g}: must be at least 2 s. Fix: pass e.g. --silence 10")
    zone = None
    if args.tz is not None:
        from lrm.io.timezones import TZ_FIX, normalize_tz

        try:
            zone = normalize_tz(args.tz)
        except ValueError as exc:
            raise LrmError(f"--tz: {exc}. Fix: {TZ_FIX}") from None
    wanted = {side: getattr(args, side) for side in ("left", "right") if getattr(args, side)}
    backend = scanner = None
    backend_kwargs: dict = {}
    meta: dict = {}
    until = None
    if args.simulate:
        from lrm.ble.timebase import SimulatedTime
        from lrm.ble.virtual.backend import VirtualBleakClient, VirtualBleakScanner
        from lrm.ble.virtual.faults import parse_faults
        from lrm.ble.virtual.night import virtual_radio

        if args.speed < 0 or args.hours < 1 / 6:
            raise LrmError(f"--speed {args.speed:g} --hours {args.hours:g}: the speed must be >= 0 and a simulated "
                           "night at least 0.17 h (10 min). Fix: e.g. --speed 60 --hours 1")
        sides = tuple(wanted) or ("left", "right")
        timebase = SimulatedTime(speed=args.speed or None)
        families, rates = _simulated_sensors(args.sensor, sides, args.rate, args.range_g)
        radio = virtual_radio(timebase, profile=args.profile, hours=args.hours, family=families, sides=sides,
                              faults=parse_faults(args.faults), seed=args.seed, rate_hz=rates)
        sensors = list(radio.sensors.values())
        wanted = {side: s.name for side, s in zip(sides, sensors, strict=True)}
        backend, scanner, backend_kwargs = VirtualBleakClient, VirtualBleakScanner, {"radio": radio}
        until = sensors[0].power_on_s + args.hours * 3600.0
        meta = {"simulated": {"profile": args.profile, "hours": args.hours, "seed": args.seed,
                              "faults": args.faults, "sensor": args.sensor}}
    else:
        if not wanted:
            raise LrmError("no sensor given. Fix: pass --left ADDR_OR_NAME and/or --right ADDR_OR_NAME "
                           "(see 'lrm scan'), or try --simulate")
        from lrm.ble.timebase import REAL_TIME as timebase  # type: ignore[assignment]
    options = RecordOptions(silence_s=args.silence, until_s=until)
    online = _online_detector()
    view = StatusView(timebase, online=online is not None, quiet=args.quiet)

    from lrm.commands.scan import no_bluetooth_error

    async def main() -> None:
        stop = asyncio.Event()
        _stop_on_signals(stop, view)
        targets = []
        for side, who in wanted.items():
            print(f"lrm: looking for the {side} sensor {who!r} ...", flush=True)
            try:
                found = await resolve(who, seconds=args.scan_seconds, backend=scanner, backend_kwargs=backend_kwargs)
            except Exception as exc:  # no adapter: say so, not "No such file or directory" (BlueZ's socket)
                if scanner is None and (error := no_bluetooth_error(exc)) is not None:
                    raise error from None
                raise
            driver = found.driver(rate_hz=args.rate, range_g=args.range_g)  # type: ignore[misc]
            print(f"lrm: {side}: {found.name} ({found.address}), {found.model}, RSSI {found.rssi} dBm", flush=True)
            targets.append(LegTarget(side, found.device, driver, found.name))
        with view:
            await record_night(out, targets, options=options, timebase=timebase, backend=backend,
                               backend_kwargs=backend_kwargs, stop=stop, on_status=view, meta=meta, online=online,
                               timezone=zone)

    timebase.run(main())
    _print_summary(out)
    return 0


def _stop_on_signals(stop, view) -> None:  # noqa: ANN001 - an asyncio.Event, the StatusView
    """Ctrl-C, SIGTERM and SIGHUP (the terminal closed) all stop the recording, which is then saved; after
    SIGHUP nothing writes to the dead terminal any more."""
    import asyncio
    import signal

    def hang_up() -> None:
        view.quiet = True
        _detach_from_terminal()
        stop.set()

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGHUP, hang_up)


def _detach_from_terminal() -> None:
    """Point stdout and stderr at /dev/null (after SIGHUP: writing to a hung-up terminal fails with EIO)."""
    import os
    import sys

    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        for fd in (1, 2):
            os.dup2(null, fd)
    finally:
        os.close(null)


def _simulated_sensors(text: str, sides: tuple[str, ...], rate_hz: float, range_g: float | None,
                       ) -> tuple[dict[str, str], dict[str, float]]:
    """Family per side from ``--sensor FAMILY`` or ``--sensor LEFT,RIGHT``, and the rate each family's driver
    will configure for ``--rate`` (raises the driver's UnsupportedSettingError, listing what it supports)."""
    from lrm.ble.virtual.families import FAMILIES, streamed_rate_hz
    from lrm.errors import LrmError

    names = [t.strip() for t in text.split(",")]
    if len(names) not in (1, len(sides)) or any(n not in FAMILIES for n in names):
        raise LrmError(f"--sensor {text}: unknown virtual sensor family or wrong count. Fix: use one of "
                       f"{', '.join(FAMILIES)}, or LEFT,RIGHT (one per recorded side)")
    families = {side: names[0] if len(names) == 1 else names[i] for i, side in enumerate(sides)}
    rates = {side: streamed_rate_hz(fam, rate_hz, range_g) for side, fam in families.items()}
    return families, rates


def _online_detector() -> object:
    """The online LM detector the recorder feeds (lrm.ble.online_feed)."""
    from lrm.ble.online_feed import RecorderFeed

    return RecorderFeed()


def _print_summary(out: object) -> None:
    from lrm.io.native import read_native

    rec = read_native(out)  # type: ignore[arg-type]
    for side, leg in rec.legs.items():
        lost = sum(g.duration_s for g in leg.gaps)
        causes: dict[str, int] = {}
        for g in leg.gaps:
            causes[g.cause] = causes.get(g.cause, 0) + 1
        detail = ", ".join(f"{n} {c}" for c, n in sorted(causes.items())) or "none"
        print(f"lrm: {side}: {leg.n_samples} samples over {leg.duration_s / 3600:.2f} h, gaps: {detail} "
              f"({lost:.0f} s), clock drift {leg.clock_drift_ppm:+.1f} ppm")
    print(f"lrm: saved {out}. Next: lrm analyze {out} --out {out}-analysis")
