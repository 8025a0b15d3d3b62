"""``salesfmt fields``: the canonical fields (targets: ``targets_cmd``, rules: ``rules_cmd``)."""

from __future__ import annotations

import click

from salesfmt.canonical import FIELDS
from salesfmt.cli import cli

__all__ = ["fields"]


@cli.command()
def fields() -> None:
    """List the canonical fields rules map into and targets map out of."""
    for f in FIELDS.values():
        click.echo(f"{f.name:<22} {f.kind.value:<9} {f.description}")
