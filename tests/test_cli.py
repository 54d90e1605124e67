"""The `hotich` command: every contract command exists with --help; usage errors exit 1."""
from __future__ import annotations

import subprocess
import sys

import pytest
from click.testing import CliRunner

import cli
from schemas.errors import ExitCode
from tests.conftest import REPO_ROOT

COMMANDS = ("run", "dedup", "eval", "review", "samples", "normalize", "export", "status", "report")


def _main(argv: list[str], capsys) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as ex:
        cli.main(argv)
    out, err = capsys.readouterr()
    return ex.value.code, out, err


def test_help_lists_every_contract_command():
    result = CliRunner().invoke(cli.app, ["--help"])
    assert result.exit_code == 0
    listed = {line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line.strip()}
    assert set(COMMANDS) <= listed


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_has_help(command):
    result = CliRunner().invoke(cli.app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert f"Usage: app {command}" in result.output or f"{command} [OPTIONS]" in result.output


@pytest.mark.parametrize("argv", [["run"], ["no-such-command"], ["samples"],
                                  ["samples", "/tmp/x", "--pages", "0"],
                                  ["samples", "/tmp/x", "--format", "gif"],
                                  ["samples", "/tmp/x", "--layouts", "scroll"]])
def test_usage_errors_exit_1(argv, capsys):
    code, _, err = _main(argv, capsys)
    assert code == ExitCode.BAD_ARGS
    assert "Error" in err


def test_console_script_entry_point():
    """The installed entry point (cli:main) answers --help in a fresh interpreter."""
    res = subprocess.run([sys.executable, "-c", "import cli; cli.main(['--help'])"],
                         capture_output=True, text=True, cwd=REPO_ROOT, timeout=60)
    assert res.returncode == 0 and "samples" in res.stdout
