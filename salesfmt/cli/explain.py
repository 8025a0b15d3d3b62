"""``salesfmt explain [CODE]``: what a problem code means, with a bad and a good example.

The text is the check's own docstring and examples (one source for docs and CLI)."""

from __future__ import annotations

import textwrap

import click

from salesfmt.checks import Check, all_checks
from salesfmt.checks.examples import examples, fields_text, lines_text
from salesfmt.cli import cli
from salesfmt.targets import list_targets, load_target

__all__ = ["explain"]


def _server_codes() -> dict[str, str]:
    """Server-side codes targets use for our checks (field.lengthExceeded → too_long)."""
    out: dict[str, str] = {}
    for path in list_targets():
        for ours, theirs in load_target(str(path)).codes.items():
            out.setdefault(theirs, ours)
    return out


def _first_sentence(text: str) -> str:
    return text.split(". ")[0].rstrip(".") + "."


def _wrap(text: str, first: str = "  ") -> list[str]:
    return textwrap.wrap(text, width=88, initial_indent=first, subsequent_indent="  ",
                         break_on_hyphens=False, break_long_words=False)


def _full(check: Check) -> str:
    kind = {"row": "", "lines": "cross-row ", "rules": "rule-raised ",
            "file": "file-level ",
            "deliveries": "cross-delivery "}[check.context.value]
    operator = ["", *_wrap(check.operator, "  for the operator: ")] if check.operator else []
    return "\n".join([
        f"{check.code} ({kind}{check.severity.value})",
        f"  message: {check.message}",
        "",
        *_wrap(check.partner),
        *operator,
        "",
        *_earlier(check),
        f"  bad:  {check.bad}",
        f"  good: {check.good}",
        *_wrap(_declared(check), "  with target fields "),
    ])


def _earlier(check: Check) -> list[str]:
    """The earlier delivery a check across deliveries compares with (none for others)."""
    earlier = examples()[check.code].earlier
    return [f"  earlier delivery: {lines_text(earlier)}"] if earlier else []


def _declared(check: Check) -> str:
    """The example's target fields, and its note."""
    ex = examples()[check.code]
    note = f" ({' '.join(ex.note.split())})" if ex.note else ""
    return fields_text(ex) + note


@cli.command()
@click.argument("code", required=False)
def explain(code: str | None) -> None:
    """Explain problem CODE (e.g. invalid_number); without CODE, list every code."""
    checks = {c.code: c for c in all_checks()}
    if code is None:
        width = max(len(c) for c in checks)
        for check in checks.values():
            click.echo(f"{check.code:<{width}}  {check.severity.value:<7}  "
                       f"{_first_sentence(check.partner)}")
        return
    ours = code if code in checks else _server_codes().get(code)
    if ours is None:
        raise click.BadParameter(f"unknown code {code!r}; 'salesfmt explain' lists them",
                                 param_hint="CODE")
    if ours != code:
        click.echo(f"{code}: the server's name for {ours}")
    click.echo(_full(checks[ours]))
