"""One module per ``lrm`` subcommand: ``add_arguments(parser)`` and ``run(args) -> int``.

Only lrm/cli.py imports these. Modules import nothing heavy at top level (``lrm --help`` must not
import scipy); they import the public API inside ``run``.
"""
