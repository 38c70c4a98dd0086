"""Every command's --help prints and exits 0 (a '%' in a help text once crashed 'lrm record --help' and
'lrm sit --help' with a traceback: argparse formats help texts with %)."""

import pytest

from lrm.cli import COMMANDS, main


@pytest.mark.parametrize("command", [name for name, _ in COMMANDS])
def test_every_command_explains_itself(command, capsys):
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: lrm {command}") and len(out.splitlines()) > 3
