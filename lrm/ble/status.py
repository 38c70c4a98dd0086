"""Live terminal status of a recording night (rich): per sensor link, rate, losses, battery, LMs so far."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from lrm.ble.recorder import LegStatus
    from lrm.ble.timebase import Timebase

__all__ = ["StatusView", "render_table", "summary_line"]


def summary_line(st: LegStatus) -> str:
    """One plain line per leg (logs, non-terminal output)."""
    link = "connected" if st.connected else "RECONNECTING"
    batt = f"{st.battery_pct:.0f}%" if st.battery_pct is not None else "?"
    return (f"{st.side:5s} {st.name or st.address} {link} {st.rate_hz:5.1f} Hz packets={st.packets} "
            f"lost={st.lost_samples} reconnects={st.reconnects} battery={batt} LMs={st.lms}")


def render_table(status: dict[str, LegStatus], *, clock: str, online: bool) -> Any:
    from rich.table import Table

    table = Table(title=f"lrm record  {clock}  (Ctrl-C stops and saves)", expand=False)
    for col in ("ankle", "sensor", "link", "rate", "packets", "samples lost", "malformed", "reconnects",
                "last gap", "battery", "LMs so far"):
        table.add_column(col, justify="right" if col not in ("ankle", "sensor", "link", "last gap") else "left")
    for st in status.values():
        link = "[green]connected[/]" if st.connected else "[red]reconnecting[/]"
        rate = f"{st.rate_hz:.1f} Hz" if st.connected else "-"
        batt = "?" if st.battery_pct is None else f"{st.battery_pct:.0f} %"
        if st.battery_pct is not None and st.battery_pct < 15:
            batt = f"[red]{batt}[/]"
        lms = str(st.lms) if online else "n/a"
        table.add_row(st.side, st.name or st.address, link, rate, str(st.packets), str(st.lost_samples),
                      str(st.malformed), str(st.reconnects), st.last_gap or "-", batt, lms)
    for st in status.values():
        for w in st.warnings:
            table.caption = f"{st.side}: {w}"
    return table


class StatusView:
    """Redraws the status table at most every ``interval_s`` real seconds; plain lines when not a terminal."""

    def __init__(self, timebase: Timebase, *, online: bool, quiet: bool = False, interval_s: float = 0.5) -> None:
        from rich.console import Console

        self.console = Console(stderr=True)
        self.timebase = timebase
        self.online = online
        self.quiet = quiet
        self.interval_s = interval_s if self.console.is_terminal else 30.0
        self._last = 0.0
        self._live: Any = None

    def __enter__(self) -> StatusView:
        if self.console.is_terminal and not self.quiet:
            from rich.live import Live

            self._live = Live(console=self.console, auto_refresh=False, transient=False)
            self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            try:
                self._live.__exit__(*exc)
            except OSError:
                pass

    def _clock(self) -> str:
        import datetime as dt

        now = dt.datetime.fromtimestamp(self.timebase.time(), tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        return f"{now} (simulated)" if self.timebase.simulated else now

    def __call__(self, status: dict[str, LegStatus], *, force: bool = False) -> None:
        now = time.monotonic()
        if self.quiet or (not force and now - self._last < self.interval_s):
            return
        self._last = now
        try:
            if self._live is not None:
                self._live.update(render_table(status, clock=self._clock(), online=self.online), refresh=True)
            else:
                for st in status.values():
                    self.console.print(f"{self._clock()}  {summary_line(st)}", highlight=False, soft_wrap=True)
        except OSError:  # the terminal went away (EIO, a closed pipe): the display stops, never the recording
            self.quiet = True
