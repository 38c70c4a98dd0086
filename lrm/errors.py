"""Exceptions and warnings that users can cause.

Every error a user can trigger with a file or a command-line value is an :class:`LrmError`;
the CLI prints ``str(exc)`` on one line as ``lrm: error: ...`` and exits with status 2.
Programming errors (wrong types or values passed from code) stay ``ValueError``/``TypeError``.
All fields live in ``args`` so that the exceptions pickle (Dask workers send them back).
"""

from __future__ import annotations

__all__ = [
    "LrmError",
    "InputError",
    "UnknownFormatError",
    "DeviceNotFoundError",
    "OutputExistsError",
    "OutputWriteError",
    "LrmWarning",
]


class LrmError(Exception):
    """Anything a user can cause. The CLI prints ``str(exc)`` on one line and exits 2."""


class InputError(LrmError):
    """Bad content in an input file.

    Parameters
    ----------
    path : str
        The file (or directory) that holds the problem.
    where : str
        Where in it: ``"row 12, column 'side'"``, ``"header"``, ``"line 3"``.
    problem : str
        What is wrong, in a few words.
    fix : str
        What the user can do about it.

    Examples
    --------
    >>> str(InputError("left.csv", "row 12, column 'side'", "unknown side 'X'", "use left/right or L/R"))
    "left.csv: row 12, column 'side': unknown side 'X'. Fix: use left/right or L/R"
    """

    def __init__(self, path: str, where: str, problem: str, fix: str) -> None:
        super().__init__(str(path), where, problem, fix)

    @property
    def path(self) -> str:
        return self.args[0]

    def __str__(self) -> str:
        path, where, problem, fix = self.args
        location = f"{path}: {where}: " if where else f"{path}: "
        return f"{location}{problem}. Fix: {fix}"


class UnknownFormatError(InputError):
    """No reader recognised the file; ``tried`` names every format that was tried. ``problem`` and ``fix``, when
    given, say what the file looks like instead (gzip-compressed, a CSV header without a z column) and what
    to do about it."""

    def __init__(self, path: str, tried: tuple[str, ...] | list[str], problem: str = "", fix: str = "") -> None:
        LrmError.__init__(self, str(path), tuple(tried), problem, fix)

    @property
    def tried(self) -> tuple[str, ...]:
        return self.args[1]

    def __str__(self) -> str:
        path, tried, problem, fix = self.args
        return (
            f"{path}: {problem + '; ' if problem else ''}no reader recognised this file (tried: {', '.join(tried)}). "
            f"Fix: {fix or UNKNOWN_FORMAT_FIX}"
        )


UNKNOWN_FORMAT_FIX = ("check it is an accelerometer export ('lrm formats' lists what lrm reads); another CSV needs a "
                      "first line naming its columns time,x,y,z")


class DeviceNotFoundError(LrmError):
    """A BLE sensor named on the command line was not seen while scanning."""

    def __init__(self, name_or_address: str, seconds: float) -> None:
        super().__init__(name_or_address, seconds)

    def __str__(self) -> str:
        who, seconds = self.args
        return (
            f"sensor {who!r} not found in a {seconds:g} s scan. Fix: wake the sensor (move it), "
            "check it is not connected to a phone app, and run 'lrm scan' to see its name and address"
        )


class OutputExistsError(LrmError):
    """Refusing to overwrite something already recorded or written."""

    def __init__(self, path: str, fix: str = "choose another --out, or move the existing one away") -> None:
        super().__init__(str(path), fix)

    def __str__(self) -> str:
        return f"{self.args[0]}: already exists and would be overwritten. Fix: {self.args[1]}"


class OutputWriteError(LrmError):
    """A file could not be written (a full disk, no permission, a read-only folder); nothing half-written of it
    is left behind, and the file it would have replaced is unchanged."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(str(path), problem)

    def __str__(self) -> str:
        path, problem = self.args
        return (f"{path}: cannot be written ({problem}); nothing half-written was left. Fix: free disk space, or "
                "choose another --out (check the folder's permissions), then run the command again")


class LrmWarning(UserWarning):
    """A data-quality problem that still allows a result; it is also recorded in the result's quality."""
