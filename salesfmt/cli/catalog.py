"""``salesfmt targets``, ``salesfmt rules list``, ``salesfmt fields``: what is bundled."""

from __future__ import annotations

import click
import yaml

from salesfmt.canonical import FIELDS
from salesfmt.cli import cli
from salesfmt.rules import list_rules
from salesfmt.targets import list_targets, load_target

__all__ = ["targets", "rules", "fields"]


@cli.command()
def targets() -> None:
    """List the targets, one line each."""
    for path in list_targets():
        t = load_target(str(path))
        click.echo(f"{t.name:<24} {t.output:<6} {t.description}")


@cli.group()
def rules() -> None:
    """Partner rule files."""


@rules.command("list")
def rules_list() -> None:
    """List the bundled rule files, one line each."""
    for path in list_rules():
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        click.echo(f"{path.stem:<28} {data.get('description', '')}")


@cli.command()
def fields() -> None:
    """List the canonical fields rules map into and targets map out of."""
    for f in FIELDS.values():
        click.echo(f"{f.name:<22} {f.kind.value:<9} {f.description}")
