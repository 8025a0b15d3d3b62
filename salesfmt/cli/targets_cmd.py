"""``salesfmt targets [list|validate|schema]``: target declarations."""

from __future__ import annotations

import json
import warnings

import click

from salesfmt.cli import cli
from salesfmt.errors import ExitCode
from salesfmt.report.terminal import terminal_safe
from salesfmt.targets import list_targets, load_target
from salesfmt.targets.declaration import schema_path
from salesfmt.targets.spec import declaration_problems

__all__ = ["targets"]


@cli.group(invoke_without_command=True)
@click.pass_context
def targets(ctx: click.Context) -> None:
    """Target declarations: list (the default), validate, schema."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(targets_list)


@targets.command("list")
def targets_list() -> None:
    """List the bundled targets, one line each."""
    for path in list_targets():
        t = load_target(str(path))
        click.echo(f"{t.name:<24} {t.output:<6} {t.description}")


@targets.command("validate")
@click.argument("files", nargs=-1, required=True)
def targets_validate(files: tuple[str, ...]) -> None:
    """Check target declaration FILES (paths or bundled names) against the JSON Schema
    and the check registry. Prints every problem as FILE:LINE:COL: KEY: MESSAGE. Exit 0
    when all are valid, 1 when any has problems."""
    bad = False
    for file in files:
        problems = declaration_problems(file)
        for line in problems:
            click.echo(terminal_safe(line))
        bad = bad or bool(problems)
        if not problems:
            click.echo(terminal_safe(f"{file}: ok"))
    raise click.exceptions.Exit(ExitCode.PROBLEMS if bad else ExitCode.CLEAN)


@targets.command("schema")
@click.argument("name", required=False)
@click.option("--format", "fmt", type=click.Choice(["pandera", "json-schema"]),
              default="pandera", show_default=True,
              help="pandera: the pandera polars schema as pandera's own YAML; json-schema: "
                   "a JSON Schema of one record.")
@click.option("--variant", default=None, help="Column variant of the target.")
def targets_schema(name: str | None, fmt: str, variant: str | None) -> None:
    """Print target NAME as a schema for other tools; without NAME, the path of the
    target-declaration JSON Schema (for editors)."""
    if name is None:
        click.echo(str(schema_path()))
        return
    if fmt == "json-schema":
        from salesfmt.targets.export import record_json_schema

        click.echo(json.dumps(record_json_schema(name, variant), indent=2, ensure_ascii=False))
        return
    from salesfmt.targets.export import pandera_schema

    with warnings.catch_warnings():  # custom checks are named in the header instead
        warnings.simplefilter("ignore")
        schema = pandera_schema(name, variant)
        text = schema.to_yaml()
    custom = sorted({f"{col}: {c.name}" for col, column in schema.columns.items()
                     for c in column.checks if not _builtin(c)})
    click.echo(f"# pandera schema of target {schema.name} (lines as canonical text).")
    if custom:
        click.echo("# Custom checks, in salesfmt.targets.pandera_schema() only (not in YAML): "
                   + "; ".join(custom))
    click.echo(text.rstrip("\n"))


def _builtin(check: object) -> bool:
    """Whether pandera serialises ``check`` (one of its registered built-in checks)."""
    from pandera.api.checks import Check

    return getattr(check, "name", None) in Check.REGISTERED_CUSTOM_CHECKS or \
        hasattr(Check, getattr(check, "name", "") or "")
