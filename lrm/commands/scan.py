"""``lrm scan``: list nearby supported ankle sensors (name, address, family, RSSI)."""

from __future__ import annotations

import argparse

HELP = "list nearby supported BLE ankle sensors"

DESCRIPTION = """\
Scan for Bluetooth LE sensors that lrm can record from (lrm open firmware, Polar Verity Sense / OH1 / H10,
Movesense, WitMotion WT901BLE family, Nordic Thingy:52) and list their name, address, family and signal
strength (RSSI, dBm; above about -80 dBm is fine for a night). Use the name or the address with
'lrm record --left ... --right ...'. Wake a sensor by moving it; a sensor connected to a phone app does
not advertise.
"""

EPILOG = """\
examples:
  lrm scan
  lrm scan --seconds 15 --all          also list devices lrm does not support
  lrm scan --simulate                  one virtual sensor of every family 'lrm record --simulate --sensor' offers
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seconds", type=float, default=8.0, metavar="S", help="scan time in s (default 8)")
    parser.add_argument("--all", action="store_true", help="also list devices lrm does not support")
    parser.add_argument("--simulate", action="store_true",
                        help="scan virtual sensors (one of each supported family) instead of the radio")


def run(args: argparse.Namespace) -> int:
    from lrm.ble.scan import scan
    from lrm.errors import LrmError

    if args.seconds <= 0:
        raise LrmError(f"--seconds {args.seconds:g}: must be > 0. Fix: pass e.g. --seconds 8")
    if args.simulate:
        from lrm.ble.timebase import SimulatedTime
        from lrm.ble.virtual.backend import VirtualBleakScanner
        from lrm.ble.virtual.night import showroom_radio

        tb = SimulatedTime()
        radio = showroom_radio(tb)
        found = tb.run(scan(args.seconds, backend=VirtualBleakScanner, backend_kwargs={"radio": radio},
                            include_unsupported=args.all))
    else:
        found = _real_scan(args)
    if not found:
        print("no supported sensors found. Fix: move the sensor to wake it, disconnect it from phone apps, "
              "check Bluetooth is on; 'lrm scan --all' lists every device seen")
        return 1
    print(f"{'name':28s} {'address':20s} {'family':15s} {'model':26s} {'RSSI':>5s}")
    for s in found:
        print(f"{s.name[:28]:28s} {s.address:20s} {s.family or '-':15s} {(s.model or 'not supported')[:26]:26s} "
              f"{s.rssi:5d}")
    return 0


def _real_scan(args: argparse.Namespace) -> list:
    import asyncio

    from lrm.ble.scan import scan
    from lrm.errors import LrmError

    try:
        return asyncio.run(scan(args.seconds, include_unsupported=args.all))
    except Exception as exc:  # bleak raises platform-specific errors when there is no adapter
        if (error := no_bluetooth_error(exc)) is not None:
            raise error from None
        raise


def no_bluetooth_error(exc: BaseException):  # noqa: ANN201 - an LrmError or None
    """The one-line error for a scan that failed because the computer has no usable Bluetooth (bleak's
    platform errors, or BlueZ's D-Bus socket missing: an OSError naming no file of the user's), else None."""
    from lrm.errors import LrmError

    if exc.__class__.__name__.startswith("Bleak") or isinstance(exc, OSError):
        return LrmError(f"Bluetooth is not available ({exc.__class__.__name__}: {exc}). Fix: switch Bluetooth on, "
                        "plug in a USB Bluetooth dongle, or on Linux check 'systemctl status bluetooth'")
    return None
