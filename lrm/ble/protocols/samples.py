"""The decoded result of one BLE notification, the decoder interface and its one exception.

Every family codec in :mod:`lrm.ble.protocols` turns raw notification payloads into :class:`Samples`
with a per-connection :class:`Decoder`. Decoding is synchronous, pure and deterministic: the same payload
sequence fed to a fresh decoder gives the same samples, so ``lrm recover`` can re-decode a journal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

__all__ = ["MalformedPacket", "Samples", "Decoder", "EMPTY_ACCEL", "EMPTY_TIME"]

EMPTY_ACCEL = np.zeros((0, 3), dtype=np.float32)
EMPTY_ACCEL.setflags(write=False)
EMPTY_TIME = np.zeros(0, dtype=np.float64)
EMPTY_TIME.setflags(write=False)


class MalformedPacket(ValueError):
    """A notification payload that does not follow the family's byte protocol.

    The only exception a decoder raises for bad bytes. The caller counts it, logs it and carries on;
    one bad packet never ends a recording. ``family`` and ``problem`` are kept in ``args``.

    Examples
    --------
    >>> str(MalformedPacket("polar-pmd", "frame of 3 bytes is shorter than the 10-byte header"))
    'polar-pmd: frame of 3 bytes is shorter than the 10-byte header'
    """

    def __init__(self, family: str, problem: str) -> None:
        super().__init__(family, problem)

    @property
    def family(self) -> str:
        return self.args[0]

    @property
    def problem(self) -> str:
        return self.args[1]

    def __str__(self) -> str:
        return f"{self.args[0]}: {self.args[1]}"


@dataclass(frozen=True, slots=True)
class Samples:
    """Accelerometer samples decoded from one notification (possibly none).

    Attributes
    ----------
    accel_g : ndarray of float32, shape (n, 3)
        Acceleration in g, sensor axes x, y, z.
    sensor_time_s : ndarray of float64, shape (n,)
        Time of each sample in s on the *device* clock, unwrapped (monotonic across counter wraps within
        one decoder). Only differences are meaningful; the origin is family-specific (Polar: the
        sensor's RTC as Unix-epoch seconds; Movesense: uptime; lrm open: ticks since power-on / tick_hz).
        NaN where the device gives no time (WitMotion, Thingy:52): the recorder must use host arrival
        time. The recorder's clock model maps device time to host time.
    seq : int or None
        Per-notification sequence number as sent (lrm open: u16, wraps), None if the family has none.
    sample_index : int or None
        Index of the first sample since the device's stream session started, unwrapped (lrm open), or
        None. Consecutive packets without loss satisfy ``next.sample_index == sample_index + n``.
    session_id : int or None
        Random id of the device's stream session (lrm open); a change means the device rebooted or
        restarted its stream, so indices restart.
    flags : int
        Family-specific packet flags (lrm open: see firmware_protocol/SPEC.md §4.2), else 0.
    lost_before : int or None
        Samples the decoder knows were lost right before this packet (sample-index jump or device
        overflow), 0 if none; None if the family cannot tell (no counter).
    """

    accel_g: npt.NDArray[np.float32] = field(default_factory=lambda: EMPTY_ACCEL)
    sensor_time_s: npt.NDArray[np.float64] = field(default_factory=lambda: EMPTY_TIME)
    seq: int | None = None
    sample_index: int | None = None
    session_id: int | None = None
    flags: int = 0
    lost_before: int | None = None

    def __post_init__(self) -> None:
        if self.accel_g.ndim != 2 or self.accel_g.shape[1] != 3 or self.accel_g.dtype != np.float32:
            raise ValueError(f"accel_g must be float32 (n, 3), got {self.accel_g.dtype} {self.accel_g.shape}")
        if self.sensor_time_s.shape != (self.accel_g.shape[0],) or self.sensor_time_s.dtype != np.float64:
            raise ValueError(
                f"sensor_time_s must be float64 ({self.accel_g.shape[0]},), "
                f"got {self.sensor_time_s.dtype} {self.sensor_time_s.shape}"
            )

    @property
    def n(self) -> int:
        """Number of samples."""
        return int(self.accel_g.shape[0])

    @property
    def has_device_time(self) -> bool:
        """True when the samples carry device timestamps (not NaN)."""
        return self.n > 0 and bool(np.isfinite(self.sensor_time_s).all())


@runtime_checkable
class Decoder(Protocol):
    """Per-connection decoder state for one sensor family.

    ``decode(payload)`` takes the bytes of one notification from the family's data characteristic and
    returns its samples (an empty :class:`Samples` for payloads that carry none, e.g. a command
    response or the first half of a two-part packet). It raises :class:`MalformedPacket`, and nothing
    else, for bytes that break the protocol; the decoder stays usable for the next payload (packet
    decoders leave their state unchanged; the WitMotion byte-stream decoder drops the junk bytes).
    Create one decoder per connection (counters and clocks restart on the device after a reconnect).
    """

    family: str

    def decode(self, payload: bytes) -> Samples: ...


def as_g(raw: npt.NDArray[np.generic], scale_g: float) -> npt.NDArray[np.float32]:
    """Raw integer counts (n*3,) or (n, 3) times `scale_g` (g per count) as float32 (n, 3)."""
    return (np.asarray(raw, dtype=np.float64).reshape(-1, 3) * scale_g).astype(np.float32)
