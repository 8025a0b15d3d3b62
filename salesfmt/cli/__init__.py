"""The ``salesfmt`` command. Exit codes are the contract in :mod:`salesfmt.errors`.

Each command group lives in its own module and registers itself on :data:`cli`.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Callable

import click

from salesfmt._version import __version__
from salesfmt.cli._guard import library_noise_off, native_stderr_sink, one_line, panic_line
from salesfmt.errors import ExitCode, SalesfmtError

__all__ = ["COMMANDS", "cli", "main"]


#: Command → the module that defines it (imported only when the command runs) and its
#: help's first paragraph, which ``salesfmt --help`` lists without importing any command
#: module: polars and the rest stay unloaded for --help and --version. A test keeps this
#: table equal to the commands' own docstrings.
COMMANDS: dict[str, tuple[str, str]] = {
    "batch": ("batch", "Convert every file of INBOX as deliveries.yaml routes it; summary on "
                       "stdout."),
    "check": ("run", "Pre-flight FILE against a target: summary on stderr, report on stdout."),
    "convert": ("run", "Convert FILE for a target: good lines to the output, the JSON report "
                       "beside it."),
    "explain": ("explain", "Explain problem CODE (e.g. invalid_number); without CODE, list "
                           "every code."),
    "fields": ("catalog", "List the canonical fields rules map into and targets map out of."),
    "init": ("onboard", "Draft a complete, commented rule file for partner FILE and target "
                        "TARGET."),
    "inspect": ("inspect", "Show what the reader detects in FILE: format, encoding, sheets, "
                           "header, columns."),
    "name": ("name", "Suggest the next upload file name {channel}_{dd-mm-yyyy}_{batch}.csv, "
                     "or check one."),
    "report": ("report", "Check FILE and write a report a partner can read (HTML by "
                         "default)."),
    "rules": ("rules_cmd", "Partner rule files: list, validate, show the effective mapping."),
    "targets": ("targets_cmd", "Target declarations: list (the default), validate, schema."),
}


class _LazyGroup(click.Group):
    """A group whose commands are imported when used (see ``COMMANDS``)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            if cmd_name in COMMANDS:
                importlib.import_module(f"{__name__}.{COMMANDS[cmd_name][0]}")
            else:  # a command missing from the table still runs
                _register()
        command = self.commands.get(cmd_name)
        if isinstance(command, click.Group):  # other modules add subcommands to groups
            _register()                        # ('rules suggest' lives in onboard.py)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(map(len, names))
        rows = [(n, (click.Command(n, help=COMMANDS[n][1]) if n in COMMANDS
                     else self.commands[n]).get_short_help_str(limit)) for n in names]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="salesfmt")
def cli() -> None:
    """Turn partner sales files into what sales-ingest APIs accept; report every problem first.

    Exit codes: 0 clean, 1 problems found, 2 usage, configuration, input or internal error.
    """


def _register() -> None:
    """Import every command module in this package; each registers itself on ``cli``."""
    import pkgutil

    for mod in pkgutil.iter_modules(__path__):
        if not mod.name.startswith("_"):
            importlib.import_module(f"{__name__}.{mod.name}")


def _usage(exc: click.UsageError) -> str:
    """A click usage error as one line, with the help hint on the same line."""
    path = exc.ctx.command_path if exc.ctx is not None else "salesfmt"
    if isinstance(exc, click.exceptions.NoArgsIsHelpError):  # bare 'salesfmt' or a group
        click.echo(exc.format_message())  # the help, on stdout
        message = "missing command"
    else:
        message = one_line(exc.format_message())
    return f"salesfmt: usage: {message} (see '{path} --help')"


def _run(argv: list[str] | None, native: Callable[[], str]) -> int:
    """Run the command; every way out becomes an exit code, every error one stderr line."""
    try:
        return int(cli.main(args=argv, prog_name="salesfmt", standalone_mode=False) or 0)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code or 0)
    except click.Abort:
        line, code = "salesfmt: aborted", ExitCode.ERROR
    except click.UsageError as exc:
        line, code = _usage(exc), ExitCode.ERROR
    except click.ClickException as exc:
        line, code = f"salesfmt: error: {one_line(exc.format_message())}", ExitCode.ERROR
    except SalesfmtError as exc:
        line, code = f"salesfmt: error: {one_line(str(exc))}", exc.exit_code
    except OSError as exc:  # an I/O failure the command did not name (disk full, EACCES)
        where = f"{exc.filename}: " if exc.filename else ""
        line = f"salesfmt: error: {where}{one_line(exc.strerror or str(exc))}"
        code = ExitCode.ERROR
    except KeyboardInterrupt:
        line, code = "salesfmt: interrupted", ExitCode.ERROR
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            raise
        line, code = f"salesfmt: error: {one_line(str(exc.code))}", ExitCode.ERROR
    except BaseException as exc:  # noqa: BLE001 — the contract: one line, exit 2, no traceback
        if os.environ.get("SALESFMT_DEBUG"):
            raise
        if type(exc).__name__ == "PanicException":  # pyo3's, a BaseException
            text = panic_line(exc, native())
        else:
            text = f"{type(exc).__name__}: {one_line(str(exc), first_only=True)}"
        line, code = f"salesfmt: internal error: {text}", ExitCode.ERROR
    from salesfmt.report._escape import terminal_safe  # only on the error path

    click.echo(terminal_safe(line), err=True)
    return int(code)


def main(argv: list[str] | None = None) -> None:
    """Console entry point: one-line errors, no tracebacks (SALESFMT_DEBUG=1 shows them)."""
    if os.environ.get("SALESFMT_DEBUG"):
        code = _run(argv, lambda: "")
    else:
        with native_stderr_sink() as native, library_noise_off():
            code = _run(argv, native)
    sys.exit(code)
