"""``lrm record --simulate`` in a child process that publishes what the recorder has received (not a test module).

``python tests/ble/record_child.py STAMP_FILE -- RECORD ARGS`` runs ``lrm record`` exactly as the command
line does, with one observer added on the virtual sensors' side (a test double, never shipped): each time a
notification has been handed to the recorder's callback, the simulated host time of that moment is written
into STAMP_FILE (one float64 per leg, left then right, through a shared memory map). After a ``kill -9`` the
file therefore says up to when the recorder had *received* data, which the crash-safety test compares with
what ``lrm recover`` rebuilt.
"""

from __future__ import annotations

import mmap
import struct
import sys
from pathlib import Path

SIDES = ("left", "right")


def main(argv: list[str]) -> int:
    stamp_file, args = argv[0], argv[argv.index("--") + 1:]
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
    import lrm.ble.virtual.night as night
    from lrm.ble.virtual.gatt import VirtualLink
    from lrm.cli import main as lrm_main

    with open(stamp_file, "r+b") as fh:
        stamps = mmap.mmap(fh.fileno(), 8 * len(SIDES))
    clock: dict[str, object] = {}
    make_radio = night.virtual_radio

    def virtual_radio(timebase, **kwargs):  # noqa: ANN001, ANN202 - keeps the timebase and each sensor's side
        radio = make_radio(timebase, **kwargs)
        clock["timebase"] = timebase
        clock["sides"] = {sensor.address: i for i, sensor in enumerate(radio.sensors.values())}
        return radio

    night.virtual_radio = virtual_radio
    import lrm.commands.record as record_command  # imports virtual_radio from the module at run time

    del record_command
    dispatch = VirtualLink._dispatch

    def delivered(self, handle, data, on_delivered):  # noqa: ANN001, ANN202 - the recorder's callback runs here
        reaches = self.connected and handle in self._subscriptions
        dispatch(self, handle, data, on_delivered)
        if reaches and "timebase" in clock:
            index = clock["sides"].get(getattr(self.peripheral, "address", None), 0)  # type: ignore[union-attr]
            struct.pack_into("<d", stamps, 8 * index, clock["timebase"].time())  # type: ignore[union-attr]

    VirtualLink._dispatch = delivered
    return lrm_main(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
