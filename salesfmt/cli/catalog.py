"""``salesfmt targets``, ``salesfmt fields``: what is bundled (rules: ``rules_cmd``)."""

from __future__ import annotations

import click

from salesfmt.canonical import FIELDS
from salesfmt.cli import cli
from salesfmt.targets import list_targets, load_target

__all__ = ["targets", "fields"]


@cli.command()
def targets() -> None:
    """List the targets, one line each."""
    for path in list_targets():
        t = load_target(str(path))
        click.echo(f"{t.name:<24} {t.output:<6} {t.description}")


@cli.command()
def fields() -> None:
    """List the canonical fields rules map into and targets map out of."""
    for f in FIELDS.values():
        click.echo(f"{f.name:<22} {f.kind.value:<9} {f.description}")
