"""The live screen and the discomfort prompts of ``lrm sit`` (the command's edge: terminal I/O only).

Screens: a rich live panel on a terminal, plain lines otherwise (or with ``--quiet``). Prompters: the
person at the keyboard (an answer within ``answer_s`` seconds, Enter = the previous answer, nothing =
missing), an answers file (``--ratings``), or the simulated sitter (``--simulate``).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from typing import Any

from lrm.ble.sit_session import SitState

__all__ = ["make_screen", "make_prompter", "PlainScreen", "RichScreen", "AnswersPrompter", "KeyboardPrompter",
           "SitterPrompter"]

PROMPT = "Leg discomfort right now, 0 (none) to 10 (worst)?"


def _mmss(seconds: float) -> str:
    s = max(0, int(seconds))
    return f"{s // 60:02d}:{s % 60:02d}"


class PlainScreen:
    """Messages and a progress line every 5 test minutes, as plain text on stdout."""

    def __init__(self) -> None:
        self._next_line_s = 0.0

    def __enter__(self) -> PlainScreen:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def say(self, text: str) -> None:
        print(f"lrm: {text}", flush=True)

    def show(self, state: SitState) -> None:
        if state.phase != "test" or state.elapsed_s < self._next_line_s:
            return
        self._next_line_s = (int(state.elapsed_s // 300) + 1) * 300.0
        lms = ", ".join(f"{s} {n}" for s, n in state.lms.items())
        posture = ", ".join(f"{s} {p}" for s, p in state.posture.items())
        print(f"lrm: {_mmss(state.elapsed_s)} of {_mmss(state.planned_s)}  movements so far: {lms or '0'}  "
              f"posture: {posture or '-'}", flush=True)

    def pause(self) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()


class RichScreen(PlainScreen):
    """A live panel (rich), redrawn at most twice a second; messages print above it."""

    def __init__(self) -> None:
        super().__init__()
        from rich.console import Console

        self.console = Console()
        self._live: Any = None
        self._last = 0.0

    def __enter__(self) -> RichScreen:
        from rich.live import Live

        self._live = Live(console=self.console, auto_refresh=False, transient=False)
        self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.__exit__(*exc)
            self._live = None

    def say(self, text: str) -> None:
        self.console.print(f"[bold]lrm:[/] {text}", highlight=False)

    def show(self, state: SitState) -> None:
        now = time.monotonic()
        if self._live is None or now - self._last < 0.5:
            return
        self._last = now
        self._live.update(self._panel(state), refresh=True)

    def _panel(self, state: SitState) -> Any:
        from rich.panel import Panel
        from rich.table import Table

        table = Table.grid(padding=(0, 2))
        if state.phase == "test":
            table.add_row("time", f"{_mmss(state.elapsed_s)} of {_mmss(state.planned_s)}"
                          + (" (simulated)" if state.simulated else ""))
            table.add_row("movements so far", ", ".join(f"{s} {n}" for s, n in state.lms.items()) or "0")
            table.add_row("last answer", "-" if state.last_rating is None else f"{state.last_rating:g}")
            if state.next_prompt_min is not None:
                table.add_row("next question", f"at minute {state.next_prompt_min:g}")
        for side, text in state.posture.items():
            table.add_row(f"{side} leg", text)
        for side, st in state.links.items():
            table.add_row(f"{side} sensor", "connected" if st.connected else "[red]reconnecting[/]")
        return Panel(table, title=f"lrm sit: {state.phase}  (Ctrl-C ends early and keeps the test)",
                     subtitle=state.message[:120] or None)

    def pause(self) -> contextlib.AbstractContextManager[None]:
        live = self._live

        @contextlib.contextmanager
        def paused() -> Any:
            if live is not None:
                live.stop()
            try:
                yield
            finally:
                if live is not None:
                    live.start()
        return paused()


def make_screen(*, quiet: bool) -> PlainScreen:
    return RichScreen() if sys.stdout.isatty() and not quiet else PlainScreen()


class AnswersPrompter:
    """Answers from a list (``--ratings``): a number, ``"repeat"`` (Enter) or None (no answer)."""

    def __init__(self, answers: list[Any], screen: PlainScreen) -> None:
        self.answers = list(answers)
        self.screen = screen

    async def ask(self, minute: float, last: float | None) -> tuple[float | None, str]:
        if not self.answers:
            self.screen.say(f"minute {minute:g}: {PROMPT} (no more answers given: recorded as missing)")
            return None, "missing"
        answer = self.answers.pop(0)
        if answer == "repeat":
            value, how = last, ("repeated" if last is not None else "missing")
        else:
            value, how = answer, ("given" if answer is not None else "missing")
        self.screen.say(f"minute {minute:g}: {PROMPT} {'-' if value is None else f'{value:g}'} ({how})")
        return value, how


class SitterPrompter:
    """The simulated sitter answers (``--simulate`` without ``--ratings``)."""

    def __init__(self, sim: Any, power_on_s: float, timebase: Any, screen: PlainScreen) -> None:
        self.sim, self.power_on_s, self.tb, self.screen = sim, power_on_s, timebase, screen

    async def ask(self, minute: float, last: float | None) -> tuple[float | None, str]:
        value = float(self.sim.truth.discomfort(self.tb.time() - self.power_on_s))
        self.screen.say(f"minute {minute:g}: {PROMPT} {value:g} (the simulated sitter)")
        return value, "simulated"


class KeyboardPrompter:
    """Asks on the terminal (or reads a line from piped input); ``answer_s`` real seconds to answer."""

    def __init__(self, screen: PlainScreen, answer_s: float = 60.0) -> None:
        self.screen, self.answer_s = screen, answer_s

    async def ask(self, minute: float, last: float | None) -> tuple[float | None, str]:
        from lrm.io.sit_session import parse_rating

        hint = f"Enter = {last:g} as last time" if last is not None else "type a number and Enter"
        with self.screen.pause():
            for _ in range(3):                                  # a typo gets two more tries
                print(f"\a{PROMPT} ({hint}; {int(self.answer_s)} s to answer) ", end="", flush=True)
                line = await self._readline()
                if line is None:
                    print("\n(no answer: recorded as missing)", flush=True)
                    return None, "missing"
                try:
                    value = parse_rating(line)
                except ValueError as exc:
                    print(f"  {exc}; please answer 0-10", flush=True)
                    continue
                if value == "repeat":
                    return (last, "repeated") if last is not None else (None, "missing")
                return value, ("typed" if value is not None else "missing")  # type: ignore[return-value]
        return None, "missing"

    async def _readline(self) -> str | None:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[str] = loop.create_future()
        fd = sys.stdin.fileno()

        def ready() -> None:
            if not fut.done():
                fut.set_result(sys.stdin.readline())

        try:
            loop.add_reader(fd, ready)
        except (OSError, ValueError, NotImplementedError):
            return None
        try:
            line = await asyncio.wait_for(fut, timeout=self.answer_s)
        except TimeoutError:
            return None
        finally:
            loop.remove_reader(fd)
        return None if line == "" else line.rstrip("\n")         # "" = end of input


def make_prompter(*, answers: list[Any] | None, sitter: Any, timebase: Any, screen: PlainScreen) -> Any:
    """--ratings answers first, then the simulated sitter, then the keyboard."""
    if answers is not None:
        return AnswersPrompter(answers, screen)
    if sitter is not None:
        return SitterPrompter(sitter, timebase.time(), timebase, screen)
    return KeyboardPrompter(screen)
