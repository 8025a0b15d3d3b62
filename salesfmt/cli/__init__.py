"""The ``salesfmt`` command. Exit codes are the contract in :mod:`salesfmt.errors`.

Each command group lives in its own module and registers itself on :data:`cli`.
"""

from __future__ import annotations

import os
import sys

import click

from salesfmt.errors import ExitCode, SalesfmtError

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="salesfmt")
def cli() -> None:
    """Turn partner sales files into what sales-ingest APIs accept; report every problem first.

    Exit codes: 0 clean, 1 problems found, 2 usage, configuration, input or internal error.
    """


def _register() -> None:
    """Import every command module in this package; each registers itself on ``cli``."""
    import importlib
    import pkgutil

    for mod in pkgutil.iter_modules(__path__):
        if not mod.name.startswith("_"):
            importlib.import_module(f"{__name__}.{mod.name}")


def main(argv: list[str] | None = None) -> None:
    """Console entry point: one-line errors, no tracebacks (SALESFMT_DEBUG=1 shows them)."""
    _register()
    try:
        code = cli.main(args=argv, prog_name="salesfmt", standalone_mode=False)
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.Abort:
        click.echo("salesfmt: aborted", err=True)
        code = ExitCode.ERROR
    except click.ClickException as exc:
        exc.show()
        code = ExitCode.ERROR
    except SalesfmtError as exc:
        click.echo(f"salesfmt: error: {exc}", err=True)
        code = exc.exit_code
    except KeyboardInterrupt:
        click.echo("salesfmt: interrupted", err=True)
        code = ExitCode.ERROR
    except Exception as exc:  # the contract: one line, exit 2, never a traceback
        if os.environ.get("SALESFMT_DEBUG"):
            raise
        click.echo(f"salesfmt: internal error: {type(exc).__name__}: {exc}", err=True)
        code = ExitCode.ERROR
    sys.exit(int(code or 0))
