"""Start-up: ``salesfmt --version`` and ``--help`` load none of the heavy libraries, and the
command list they print is the commands' own (issue 16). Behaviour, not timing."""

from __future__ import annotations

import json
import subprocess
import sys

import click
import pytest

HEAVY = ("polars", "pandera", "babel", "openpyxl", "fastexcel", "jinja2", "rapidfuzz",
         "jsonschema", "yaml", "salesfmt.pipeline")

# runs the CLI as `python -m salesfmt ARGS` does, then reports what got imported
_PROBE = r"""
import json, runpy, sys
sys.argv = ["salesfmt", *sys.argv[1:]]
try:
    runpy.run_module("salesfmt", run_name="__main__", alter_sys=True)
except SystemExit as exc:
    code = exc.code
print("\n@@" + json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def _probe(*args: str) -> tuple[str, dict]:
    proc = subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True,
                          text=True, timeout=60)
    out, _, tail = proc.stdout.rpartition("\n@@")
    return out, json.loads(tail)


@pytest.mark.parametrize("args", [("--version",), ("--help",), ("-h",)])
def test_version_and_help_import_nothing_heavy(args: tuple[str, ...]) -> None:
    out, seen = _probe(*args)
    assert seen["code"] == 0
    assert "salesfmt" in out
    loaded = [m for m in seen["modules"] if m.split(".")[0] in HEAVY or m in HEAVY]
    assert loaded == [], f"salesfmt {' '.join(args)} imported {loaded[:8]}"


def test_help_lists_every_command_with_its_own_first_line() -> None:
    from salesfmt.cli import COMMANDS, _register, cli

    out, _ = _probe("--help")
    _register()  # every command module, as running each command would
    ctx = click.Context(cli)
    assert set(COMMANDS) == set(cli.commands), "add the command to salesfmt.cli.COMMANDS"
    for name, (module, text) in COMMANDS.items():
        cmd = cli.commands[name]
        assert cmd.callback is not None and cmd.callback.__module__ == f"salesfmt.cli.{module}"
        assert click.Command(name, help=text).get_short_help_str(200) == cmd.get_short_help_str(200)
    listed = out.split("Commands:")[1]
    assert [ln.split()[0] for ln in listed.strip().splitlines()] == cli.list_commands(ctx)


def test_a_command_runs_once_asked_for() -> None:
    out, seen = _probe("fields")
    assert seen["code"] == 0 and "sale_id" in out
    assert "salesfmt.cli.catalog" in seen["modules"]
    assert "salesfmt.cli.run" not in seen["modules"]  # only the command's own module


def test_a_group_has_the_subcommands_other_modules_add() -> None:
    out, seen = _probe("rules", "--help")
    assert seen["code"] == 0
    assert "suggest" in out  # salesfmt.cli.onboard adds it to the rules group
