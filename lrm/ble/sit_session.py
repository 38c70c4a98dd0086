"""The live SIT session: record both ankles while guiding the person through the test.

Phases (docs/sit.md §2): *connecting* (every leg streaming) -> *calibrating* (standing still beside the
bed: the shank's long axis) -> *positioning* (sitting up in bed, legs outstretched: both shanks horizontal
and still for ``settle_s``) -> *test* (``planned_min`` minutes, a discomfort prompt every ``ask_every_min``,
posture watched) -> done. The recorder (:func:`lrm.ble.recorder.record_night`) runs the whole time in its
own task with its crash-safe journal and reconnects by itself; this coroutine only watches
(:class:`lrm.ble.sit_monitor.SitMonitor`), talks (``Screen``, ``Prompter``, supplied by the command) and
logs every marker and answer to ``sit_session.jsonl`` as it happens (:class:`lrm.io.sit_session.SessionLog`).
``interrupt`` (Ctrl-C) ends the test early; what was recorded is kept and scored as partial.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from lrm.ble.recorder import LegStatus, LegTarget, RecordOptions, record_night
from lrm.ble.sit_monitor import SitMonitor
from lrm.ble.timebase import REAL_TIME, Timebase
from lrm.io.sit_session import SessionLog
from lrm.signal import shank

__all__ = ["SitPlan", "SitState", "SitOutcome", "Prompter", "Screen", "run_sit_session", "INSTRUCTIONS"]

INSTRUCTIONS = {
    "calibrating": "Stand up beside the bed, feet flat on the floor, and keep still for a few seconds "
                   "(this shows lrm which way your shins point).",
    "positioning": "Now sit up in bed, back supported against the headboard or pillows, legs stretched out "
                   "in front of you. Stay awake and do not move your legs on purpose. The test starts when "
                   "both legs have been still for a moment.",
    "test": "Keep still, legs outstretched, and stay awake. If your legs move by themselves, let them: "
            "that is what the test measures.",
}


@dataclass(frozen=True, slots=True)
class SitPlan:
    """The test as planned: minutes, prompt interval (None: no prompts), calibration, timings in s."""

    planned_min: float = 60.0
    ask_every_min: float | None = 10.0
    calibrate: bool = True
    settle_s: int = 20
    still_s: int = 5
    calibration_timeout_s: float = 120.0
    shank: shank.ShankParams = field(default_factory=shank.ShankParams)


@dataclass
class SitState:
    """What the screen shows."""

    phase: str = "connecting"
    message: str = ""
    now_s: float = 0.0
    elapsed_s: float = 0.0
    planned_s: float = 3600.0
    lms: dict[str, int] = field(default_factory=dict)
    posture: dict[str, str] = field(default_factory=dict)
    links: dict[str, LegStatus] = field(default_factory=dict)
    last_rating: float | None = None
    next_prompt_min: float | None = None
    simulated: bool = False


@dataclass(frozen=True, slots=True)
class SitOutcome:
    """How the session ended: ``status`` "complete", "interrupted" or "not started"."""

    status: str
    test_start_wall_s: float | None
    stop_wall_s: float | None
    calibrated: bool


class Prompter(Protocol):
    async def ask(self, minute: float, last: float | None) -> tuple[float | None, str]:
        """The answer 0-10 (None: none) and how it was given ("typed", "repeated", "missing", ...)."""


class Screen(Protocol):
    def show(self, state: SitState) -> None: ...

    def say(self, text: str) -> None: ...


class _Session:
    def __init__(self, plan: SitPlan, monitor: SitMonitor, screen: Screen, log: SessionLog, timebase: Timebase,
                 interrupt: asyncio.Event, sides: tuple[str, ...], simulated: bool) -> None:
        self.plan, self.monitor, self.screen, self.log, self.tb = plan, monitor, screen, log, timebase
        self.interrupt, self.sides = interrupt, sides
        self.state = SitState(planned_s=plan.planned_min * 60.0, simulated=simulated)
        self.axes: dict[str, Any] = {s: None for s in sides}
        self.standing: dict[str, Any] = {}

    async def tick(self, seconds: float = 1.0) -> bool:
        """Wait ``seconds`` (or until interrupted); refresh the screen. False once interrupted."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.interrupt.wait(), timeout=seconds)
        self.state.now_s = self.tb.time()
        self.screen.show(self.state)
        return not self.interrupt.is_set()

    def phase(self, name: str) -> None:
        self.state.phase, self.state.message = name, INSTRUCTIONS.get(name, "")
        if self.state.message:
            self.screen.say(self.state.message)

    def recent(self, side: str, seconds: int) -> np.ndarray:
        now = self.tb.time()
        return self.monitor.orientation(side, since_s=now - seconds, until_s=now)

    def all_still(self, seconds: int) -> bool:
        p = shank.ShankParams(settle_s=seconds, still_deg_per_s=self.plan.shank.still_deg_per_s, median_s=1)
        for side in self.sides:
            o = self.recent(side, seconds + 1)
            if o.shape[0] < seconds + 1 or not np.isfinite(o).all() or not shank.settled(o, p)[-1]:
                return False
        return True

    async def connect(self) -> bool:
        self.phase("connecting")
        self.state.message = "Connecting to the sensors ..."
        while await self.tick():
            if all(self.recent(s, 3).shape[0] == 3 and np.isfinite(self.recent(s, 3)).all() for s in self.sides):
                return True
        return False

    async def calibrate(self) -> bool | None:
        """True: calibrated; False: timed out (continue without); None: interrupted."""
        self.phase("calibrating")
        t0 = self.tb.time()
        while await self.tick():
            if self.all_still(self.plan.still_s):
                end = self.tb.time()
                start = end - self.plan.still_s
                for side in self.sides:
                    o = self.recent(side, self.plan.still_s)
                    self.axes[side] = shank.tibia_axis(o, np.isfinite(o).all(axis=1))
                self.log.write("calibration", start_wall_s=start, end_wall_s=end)
                self.screen.say("Calibrated. ")
                return True
            if self.tb.time() - t0 > self.plan.calibration_timeout_s:
                self.screen.say("No still standing seen: the test goes on without calibration (only turns of the "
                                "legs are checked, not whether they are horizontal).")
                self.log.write("calibration_skipped", wall_s=self.tb.time(), reason="no still standing seen")
                return False
        return None

    def in_position(self) -> bool:
        if not self.all_still(self.plan.settle_s):
            return False
        for side in self.sides:
            o = self.recent(side, 3)
            axis = self.axes[side]
            if axis is not None:
                elev = shank.elevation_deg(o, axis)
                if np.nanmax(elev) > self.plan.shank.max_elevation_deg:
                    self.state.posture[side] = f"shank at {np.nanmax(elev):.0f} deg: stretch the legs out"
                    return False
        return True

    async def position(self) -> float | None:
        self.phase("positioning")
        while await self.tick():
            if self.in_position():
                return self.tb.time()
        return None

    def watch_posture(self, start: float, refs: Mapping[str, np.ndarray], out: dict[str, bool]) -> None:
        p = self.plan.shank
        for side in self.sides:
            o = self.recent(side, p.min_break_s)
            ok = np.isfinite(o).all(axis=1)
            if not ok.any():
                self.state.posture[side] = "no data (reconnecting)"
                continue
            raised = shank.elevation_deg(o[ok], self.axes[side]) > p.max_elevation_deg
            turned = shank.turn_deg(o[ok], refs[side]) > p.max_turn_deg
            bad = bool((raised | turned).all()) and ok.sum() >= p.min_break_s - 1
            if bad != out.get(side, False):
                what = "shank raised" if raised.all() else "leg turned"
                self.log.write("posture", wall_s=self.tb.time(), side=side, state="out" if bad else "back",
                               detail=what if bad else "", test_min=(self.tb.time() - start) / 60.0)
                self.screen.say(f"Your {side} leg left the test position ({what}): please sit back with your legs "
                                "outstretched; this time is left out." if bad else f"{side} leg back in position.")
                out[side] = bad
            self.state.posture[side] = ("OUT of position" if bad else "in position")

    async def test(self, start: float, prompter: Prompter) -> float | None:
        """Run the test from host time ``start``; return the stop time if interrupted, else None."""
        self.phase("test")
        self.log.write("test_start", wall_s=start)
        plan = self.plan
        every = plan.ask_every_min
        due = [k * every for k in range(1, int(plan.planned_min // every) + 1)] if every else []
        refs = {s: np.nanmedian(self.recent(s, plan.shank.settle_s), axis=0) for s in self.sides}
        out: dict[str, bool] = {}
        last: float | None = None
        end = start + plan.planned_min * 60.0
        while True:
            now = self.tb.time()
            self.state.elapsed_s = now - start
            self.state.lms = {s: self.monitor.lms_since(s, start) for s in self.sides}
            self.state.next_prompt_min = due[0] if due else None
            if due and now >= start + due[0] * 60.0:
                minute = due.pop(0)
                asking = asyncio.ensure_future(prompter.ask(minute, last))
                stopper = asyncio.ensure_future(self.interrupt.wait())
                await asyncio.wait({asking, stopper}, return_when=asyncio.FIRST_COMPLETED)
                stopper.cancel()
                if not asking.done():
                    asking.cancel()
                    return self.tb.time()
                value, how = asking.result()
                last = value if value is not None else last
                self.state.last_rating = last
                self.log.write("rating", wall_s=self.tb.time(), minute=minute, value=value, how=how)
                continue
            if now >= end:
                return None
            self.watch_posture(start, refs, out)
            if not await self.tick(min(1.0, max(0.01, end - now))):
                return self.tb.time()


async def run_sit_session(
    out_dir: Path, targets: list[LegTarget], *, plan: SitPlan, prompter: Prompter, screen: Screen,
    interrupt: asyncio.Event, options: RecordOptions = RecordOptions(), timebase: Timebase = REAL_TIME,
    backend: Any = None, backend_kwargs: Mapping[str, Any] | None = None, meta: Mapping[str, Any] | None = None,
) -> SitOutcome:
    """Record ``targets`` into ``out_dir`` while guiding a SIT (module docstring); return how it ended.

    The recording is finalised (``recording.json``) before this returns, whatever happened.
    """
    from lrm.io.sit_session import SESSION_NAME

    monitor = SitMonitor()
    stop = asyncio.Event()
    sides = tuple(t.side for t in targets)
    out_dir.mkdir(parents=True, exist_ok=True)
    with SessionLog(out_dir / SESSION_NAME) as log:
        log.write("session", version=1, planned_min=plan.planned_min, ask_every_min=plan.ask_every_min,
                  calibrate=plan.calibrate, created_wall_s=timebase.time(), sides=list(sides), **dict(meta or {}))
        session = _Session(plan, monitor, screen, log, timebase, interrupt, sides, bool(meta and meta.get("simulated")))

        def on_status(status: dict[str, LegStatus]) -> None:
            session.state.links = status

        recorder = asyncio.ensure_future(record_night(
            out_dir, targets, options=options, timebase=timebase, backend=backend, backend_kwargs=backend_kwargs,
            stop=stop, on_status=on_status, meta={"sit": True, **dict(meta or {})}, online=monitor))
        start = stopped = None
        calibrated = False
        try:
            if await session.connect():
                calibrated = bool(await session.calibrate()) if plan.calibrate else False
                if not interrupt.is_set():
                    start = await session.position()
                if start is not None:
                    stopped = await session.test(start, prompter)
        finally:
            status = "not started" if start is None else ("interrupted" if stopped is not None else "complete")
            stop_wall = stopped if stopped is not None else (None if start is None else start + plan.planned_min * 60)
            log.write("stop", wall_s=timebase.time() if stop_wall is None else stop_wall,
                      reason="completed" if status == "complete" else "interrupted")
            stop.set()
            session.state.phase = "saving"
            screen.say("Saving the recording ...")
            await recorder
    return SitOutcome(status, start, stopped, calibrated)
