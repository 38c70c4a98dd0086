"""``lrm record --simulate`` in a child process that publishes what the recorder has received (not a test module).

``python tests/ble/record_child.py STAMP_FILE -- RECORD ARGS`` runs ``lrm record`` exactly as the command
line does, with one observer added on the virtual sensors' side (a test double, never shipped): each time a
notification has been handed to the recorder's callback, the number of samples the recorder has received so
far and the sensor's rate (Hz) are written into STAMP_FILE (float64 pairs, left then right, through a shared
memory map). After a ``kill -9`` the file therefore says how much data the recorder had *received*, which
the crash-safety test compares with what ``lrm recover`` rebuilt.
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
        stamps = mmap.mmap(fh.fileno(), 16 * len(SIDES))
    clock: dict[str, object] = {}
    counted: dict[int, tuple[int, int]] = {}      # leg -> (notifications counted, samples received)
    make_radio = night.virtual_radio

    def virtual_radio(timebase, **kwargs):  # noqa: ANN001, ANN202 - keeps the timebase and each sensor's side
        radio = make_radio(timebase, **kwargs)
        clock["sides"] = {sensor.address: i for i, sensor in enumerate(radio.sensors.values())}
        return radio

    night.virtual_radio = virtual_radio
    import lrm.commands.record as record_command  # imports virtual_radio from the module at run time

    del record_command
    dispatch = VirtualLink._dispatch

    def delivered(self, handle, data, on_delivered):  # noqa: ANN001, ANN202 - the recorder's callback runs here
        dispatch(self, handle, data, on_delivered)        # the sensor logs (first index, count) once delivered
        sensor = self.peripheral
        if "sides" in clock and getattr(sensor, "delivered", None):
            index = clock["sides"].get(sensor.address, 0)  # type: ignore[union-attr]
            seen, received = counted.get(index, (0, 0))
            received += sum(n for _, n in sensor.delivered[seen:])   # only the notifications new since the last
            counted[index] = (len(sensor.delivered), received)
            struct.pack_into("<2d", stamps, 16 * index, float(received), float(sensor.rate_hz))

    VirtualLink._dispatch = delivered
    return lrm_main(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
