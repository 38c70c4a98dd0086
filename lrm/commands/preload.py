"""Import the modules a command needs next in a background thread, while it reads its input.

Reading a night is the parser's work (pyarrow releases the GIL); importing pandas, SciPy, matplotlib and
the report code is Python's (about a second of CPU under the GIL). Done one after the other they add up;
done side by side they overlap, if the parser leaves a core free for the imports: during the read,
pyarrow's thread pool is set to one thread fewer than the cores (at least one), and restored after.
On two busy cores this saves ~7% of a whole ``lrm analyze`` of two 8 h CSV files (benchmarks/results-*.md):
the parser and the imports then share the cores instead of following each other.
"""

from __future__ import annotations

import importlib
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from lrm._cpus import usable_cpus

__all__ = ["imports_beside_read"]


def _import_all(modules: tuple[str, ...], stop: threading.Event) -> None:
    for name in modules:
        if stop.is_set():   # the read failed: the command is about to exit, import nothing more
            return
        try:
            importlib.import_module(name)
        except BaseException:  # noqa: BLE001 - the command's own import raises it again, with its usual message
            return


@contextmanager
def imports_beside_read(modules: Iterable[str]) -> Iterator[None]:
    """Within the block (the command's read), import ``modules`` in a daemon thread; wait for them on exit.

    The readers' own modules (pyarrow) are imported here first, in the calling thread, so the two threads
    never import the same module at once. A failed import is left for the command's own import to raise.
    When the read fails, the thread stops after the module it is importing and is joined before the error
    goes on: a thread left importing a C extension while the interpreter finalises aborts the process
    ("Fatal Python error: ... finalizing", exit -6, seen once in tests/cli/test_hostile_inputs.py).
    """
    import pyarrow
    import pyarrow.csv  # noqa: F401 - what the readers use, imported before the thread starts
    import pyarrow.parquet  # noqa: F401

    stop = threading.Event()
    thread = threading.Thread(target=_import_all, args=(tuple(modules), stop), name="lrm-preload", daemon=True)
    previous = pyarrow.cpu_count()
    pyarrow.set_cpu_count(max(1, min(previous, usable_cpus() - 1)))
    thread.start()
    try:
        yield
    except BaseException:
        stop.set()
        raise
    finally:
        pyarrow.set_cpu_count(previous)
        thread.join()
