"""The ``lrm`` command line: argparse only. Each subcommand lives in ``lrm/commands/<name>.py``.

Nothing imports this module. It imports no numerical library at top level, so ``lrm --help`` is fast;
each command imports the public API inside its ``run``.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import warnings
from collections.abc import Sequence

from lrm._version import __version__

# (subcommand, module under lrm.commands) in the order `lrm --help` lists them.
COMMANDS: tuple[tuple[str, str], ...] = (
    ("demo", "demo"),
    ("analyze", "analyze"),
    ("score-events", "score_events"),
    ("report", "report"),
    ("simulate", "simulate"),
    ("scan", "scan"),
    ("record", "record"),
    ("sit", "sit"),
    ("recover", "recover"),
    ("info", "info"),
    ("formats", "formats"),
    ("export", "export"),
    ("batch", "batch"),
)

DESCRIPTION = """\
lrm: leg-movement monitor. Counts periodic limb movements (PLMs, WASM 2016 or AASM rules) from ankle
accelerometers, compares the PLM index with clinical norms, and keeps hypnic jerks (sleep starts) apart.
Not a diagnosis: a single night varies a lot; see a doctor about symptoms.
"""

EPILOG = """\
examples:
  lrm demo                                   analyse the bundled sample night into ./lrm-demo/
  lrm analyze --left L.csv --right R.csv --out night1
  lrm score-events events.txt --out scored   WASM 2016 indices from technician-scored LMs
  lrm sit --simulate --speed 0 --out sit1    the suggested immobilization test, simulated
  lrm record --left "Polar Sense" --right "Polar Sense 2" --out night1
  lrm COMMAND --help                         options and examples of one command
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="lrm", description=DESCRIPTION, epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"lrm {__version__}")
    parser.add_argument("--debug", action="store_true", help="show Python tracebacks for unexpected errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module_name in COMMANDS:
        module = importlib.import_module(f"lrm.commands.{module_name}")
        cmd = sub.add_parser(
            name,
            help=module.HELP,
            description=getattr(module, "DESCRIPTION", module.HELP),
            epilog=getattr(module, "EPILOG", None),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        module.add_arguments(cmd)
        cmd.set_defaults(run=module.run)
    return parser


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:  # noqa: ANN001
    print(f"lrm: warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``lrm`` command line and return its exit status (0 ok, 2 user error, 1 bug)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    from lrm.errors import LrmError, LrmWarning

    warnings.showwarning = _show_warning
    warnings.simplefilter("always", LrmWarning)
    stdout, sys.stdout = sys.stdout, _PipeSafe(sys.stdout)  # `lrm analyze ... | head` must not stop the work
    try:
        return int(args.run(args) or 0)
    except LrmError as exc:
        print(f"lrm: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("lrm: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except ModuleNotFoundError as exc:
        if args.debug or os.environ.get("LRM_DEBUG") or (exc.name or "").startswith("lrm"):
            raise
        print(f"lrm: error: the Python package {exc.name!r} is not installed. Fix: reinstall lrm "
              f"(pip install -e . in the checkout) or run 'pip install {exc.name}'", file=sys.stderr)
        return 2
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"lrm: error: {where}{exc.strerror or exc}. Fix: check the path and its permissions", file=sys.stderr)
        return 2
    except Exception as exc:
        if args.debug or os.environ.get("LRM_DEBUG"):
            raise
        print(
            f"lrm: internal error: {exc.__class__.__name__}: {exc}. This is a bug in lrm: please report it "
            "with the command you ran (add --debug for the traceback)",
            file=sys.stderr,
        )
        return 1
    finally:
        sys.stdout = stdout


class _PipeSafe:
    """stdout that survives its reader going away (``| head``, a closed terminal): the first write that finds
    the pipe closed points file descriptor 1 at /dev/null, and the command carries on to its end (writing its
    files) instead of stopping half-way with BrokenPipeError."""

    def __init__(self, stream) -> None:  # noqa: ANN001 - a text stream
        self._stream = stream
        self._closed = False

    def write(self, text: str) -> int:
        if not self._closed:
            try:
                return self._stream.write(text)
            except (BrokenPipeError, ValueError):
                self._detach()
        return len(text)

    def flush(self) -> None:
        if not self._closed:
            try:
                self._stream.flush()
            except (BrokenPipeError, ValueError):
                self._detach()

    def _detach(self) -> None:
        self._closed = True
        try:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, self._stream.fileno())   # the interpreter's last flush at exit then succeeds too
            os.close(null)
        except (OSError, ValueError, AttributeError):  # not a real file (a test's StringIO): nothing to redirect
            pass

    def __getattr__(self, name: str):  # noqa: ANN204 - isatty, fileno, encoding ... of the real stream
        return getattr(self._stream, name)


if __name__ == "__main__":
    sys.exit(main())
