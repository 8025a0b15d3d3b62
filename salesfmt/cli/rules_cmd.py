"""``salesfmt rules list|validate|show|schema``: partner rule files."""

from __future__ import annotations

import click

from salesfmt.canonical import FIELDS
from salesfmt.cli import cli
from salesfmt.errors import ExitCode, RuleError
from salesfmt.onboard.render import todo_lines
from salesfmt.report.terminal import terminal_safe
from salesfmt.rules import list_rules, load_rules
from salesfmt.rules.lint import comment_warnings
from salesfmt.rules.loader import schema_path, validate_file
from salesfmt.rules.model import RuleSet
from salesfmt.rules.show import describe, resolved_headers, source_text
from salesfmt.targets import Target, load_target
from salesfmt.targets.feeds import allowed_values, feeds, record_lines, unfed_required

__all__ = ["rules"]


@cli.group()
def rules() -> None:
    """Partner rule files: list, validate, show the effective mapping."""


@rules.command("list")
def rules_list() -> None:
    """List the bundled rule files, one line each (name, parent, description)."""
    for path in list_rules():
        try:
            rs = load_rules(path)
        except RuleError as exc:
            click.echo(terminal_safe(f"{path.stem:<28} (invalid: {exc})"))
            continue
        parent = f"extends {rs.extends[-1].stem}" if rs.extends else ""
        click.echo(terminal_safe(f"{rs.name:<28} {parent:<22} {rs.description}".rstrip()))


@rules.command("validate")
@click.argument("files", nargs=-1, required=True)
def rules_validate(files: tuple[str, ...]) -> None:
    """Check rule FILES (paths or bundled names) against the schema and the canonical model.

    Prints every problem as FILE:LINE:COL: KEY: MESSAGE, and warnings (an unquoted header
    alias followed by ' #', which YAML reads as a comment). Exit 0 when all are valid (with
    warnings or not), 1 when any has problems.
    """
    bad = False
    for file in files:
        for line in comment_warnings(file):
            click.echo(terminal_safe(line))
        problems = validate_file(file)
        for line in problems:
            click.echo(terminal_safe(line))
        if problems:
            bad = True
        else:
            click.echo(terminal_safe(f"{file}: ok"))
    raise click.exceptions.Exit(ExitCode.PROBLEMS if bad else ExitCode.CLEAN)


@rules.command("show")
@click.argument("name")
@click.argument("file", required=False)
@click.option("--to", "-t", "target", default=None,
              help="Also show which fields of this target each partner column feeds, their "
                   "allowed values and which are sent once per record.")
@click.option("--file", "-f", "file_option", default=None, metavar="FILE",
              help="A partner file: show the header each field's aliases resolved to.")
def rules_show(name: str, file: str | None, target: str | None, file_option: str | None
               ) -> None:
    """Show rule NAME after extends: where every canonical field comes from, and with --to
    which target field it feeds (allowed values, record-level fields). With a partner FILE
    (or --file) also the header each field's aliases resolved to in it. Exit 1 when a
    required target field has no source."""
    rs = load_rules(name)
    for line in describe(rs) + todo_lines(rs.path):  # TODO: what `salesfmt init` left open
        click.echo(terminal_safe(line))
    partner = file_option or file
    resolved: dict[str, str] = {}
    if partner is not None:
        about, resolved = resolved_headers(rs, partner)
        click.echo(terminal_safe(about))
    tgt = load_target(target) if target else None
    fed: dict[str, list[str]] = {}
    if tgt is not None:
        for f in tgt.fields:
            fed.setdefault(f.source, []).append(f.name + (" (required)" if f.required else ""))
    click.echo("fields:")
    width = max((len(n) for n in rs.fields), default=10)
    for field_name, rule in rs.fields.items():
        line = f"  {field_name:<{width}}  ← {source_text(rule)}"
        if field_name in resolved:
            line += f" [{resolved[field_name]}]"
        if tgt is not None:
            line += f"  → {', '.join(fed.get(field_name, [])) or f'(not used by {tgt.name})'}"
        click.echo(terminal_safe(line))
    if tgt is None:
        return
    _show_target(rs, tgt)


def _show_target(rs: RuleSet, tgt: Target) -> None:
    click.echo(f"target {tgt.name}:")
    tw = max(len(f.name) for f in tgt.fields)
    for feed in feeds(rs, tgt):
        f = feed.target
        if feed.rule is not None:
            src = f"{f.source} ← {source_text(feed.rule)}"
            if f.default is not None:
                src += f" (target default {f.default!r})"
        elif f.constant is not None:
            src = f"target constant {f.constant!r}"
        elif f.default is not None:
            src = f"target default {f.default!r}"
        else:
            src = f"nothing (canonical {f.source} not mapped)"
        click.echo(f"  {f.name:<{tw}}  {'required' if f.required else 'optional':<8}  "
                   f"{terminal_safe(src)}")
        allowed = allowed_values(f)
        if allowed:
            click.echo(f"  {'':<{tw}}  {'':<8}  allowed: {terminal_safe(', '.join(allowed))}")
    for line in record_lines(tgt):
        click.echo(terminal_safe(line))
    missing = unfed_required(rs, tgt)
    if missing:
        names = ", ".join(f"{f.name} (canonical {f.source}: {FIELDS[f.source].description})"
                          for f in missing)
        click.echo(f"unmapped required fields: {names}")
        raise click.exceptions.Exit(ExitCode.PROBLEMS)
    click.echo("unmapped required fields: none")


@rules.command("schema")
def rules_schema() -> None:
    """Print the path of the rule-file JSON Schema (for editors: yaml-language-server)."""
    click.echo(str(schema_path()))
