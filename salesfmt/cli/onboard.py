"""``salesfmt init`` (draft a partner's rule file from their file) and ``salesfmt rules
suggest`` (a patch for the header and value problems a check found)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from salesfmt.cli import cli
from salesfmt.cli.rules_cmd import rules
from salesfmt.onboard import draft_rules, render
from salesfmt.onboard.extends import closest_rule
from salesfmt.onboard.suggest import render_patch, suggest
from salesfmt.outputs import write_file
from salesfmt.report.terminal import terminal_safe

__all__ = ["init", "rules_suggest"]


@cli.command("init")
@click.argument("file")
@click.option("--to", "-t", "target", required=True, help="The target the rule file feeds.")
@click.option("-o", "--output", default=None, metavar="PATH",
              help="Write the rule file here (default: print it).")
@click.option("--name", default=None, help="The rule's name (default: from the file name).")
@click.option("--extends", "extends", type=click.Choice(["auto"]), default=None,
              help="auto: extend a bundled rule (or one beside -o) the file matches closely.")
@click.option("--force", is_flag=True, help="Overwrite an existing output file.")
def init(file: str, target: str, output: str | None, name: str | None, extends: str | None,
         force: bool) -> None:
    """Draft a complete, commented rule file for partner FILE and target TARGET.

    Every field says why it was placed (header lexicon in en/nl/de/fr/es, value signatures,
    fuzzy similarity) with a score; low-confidence choices are marked '# CHECK:', fields it
    cannot place 'TODO'. Same file, same bytes; nothing leaves the machine."""
    draft = draft_rules(file, target, name=name)
    if extends == "auto":
        local = Path(output).parent if output else None
        draft.extends = closest_rule(draft, local, Path(output) if output else None)
    text = render(draft)
    if output is None:
        click.echo(text, nl=False)
        return
    write_file(Path(output), text.encode("utf-8"), force=force, protect=Path(file))
    checks = text.count("# CHECK:")
    todos = text.count("# TODO:")
    click.echo(terminal_safe(f"{output}: {len(draft.fields)} fields, {checks} to check, "
                             f"{todos} TODO"), err=True)


@rules.command("suggest")
@click.argument("file")
@click.option("--rules", "-r", "rule", required=True, help="Rule file (path or bundled name).")
@click.option("--to", "-t", "target", required=True, help="Target name or declaration path.")
@click.option("--write", "write", is_flag=True,
              help="Write the patch to NAME.suggested.yaml in the current folder (or -o).")
@click.option("-o", "--output", default=None, metavar="PATH", help="Where --write writes.")
@click.option("--today", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Fix 'today' for the not-in-the-future checks.")
@click.option("--force", is_flag=True, help="Overwrite an existing patch file.")
def rules_suggest(file: str, rule: str, target: str, write: bool, output: str | None,
                  today: object, force: bool) -> None:
    """Check FILE, then print a YAML patch (aliases, value-map entries) resolving its
    missing_column, fuzzy_header, unmapped_value and not_allowed problems. The patch
    extends the rule file and is for review: the rule file itself is never changed."""
    day: date | None = today.date() if today is not None else None  # type: ignore[attr-defined]
    found = suggest(file, rule, target, today=day)
    if not write:
        click.echo(render_patch(found), nl=False)
        return
    path = Path(output or f"{found.rules.name}.suggested.yaml")
    if path.resolve() == found.rules.path.resolve():
        raise click.UsageError("the patch is never written over the rule file")
    write_file(path, render_patch(found, path.parent).encode("utf-8"), force=force,
               protect=Path(file))
    click.echo(terminal_safe(f"{path}: {len(found.fields)} field(s) to review"), err=True)
