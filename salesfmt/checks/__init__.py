"""The check registry: each check is one small function returning a polars "is valid"
expression, registered with its code, message template, explanation and examples.

The explanation (the function's docstring) is the user documentation: ``salesfmt explain``.
A docstring's first part speaks to the partner (what to change in their file); an
``Operator:`` part after it holds rule-file and command-line hints, which the partner's
report leaves out.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from salesfmt.problems import Severity

__all__ = ["Check", "REGISTRY", "register", "get_check", "all_checks", "render_message"]


@dataclass(frozen=True)
class Check:
    """A registered check. ``fn(value, raw, **params)`` returns True where the cell is valid."""

    code: str
    message: str
    explanation: str
    bad: str
    good: str
    fn: Callable[..., pl.Expr] | None
    severity: Severity = Severity.ERROR
    cross_row: bool = False
    #: per-row message parts beyond {value}: name → expression over the field's value
    details: Callable[[pl.Expr], dict[str, pl.Expr]] | None = None
    #: What the partner changes in their file (the explanation without operator hints).
    partner: str = ""
    #: Rule-file and command-line hints for whoever runs salesfmt ("" when none).
    operator: str = ""


#: Starts the operator part of a check's docstring.
OPERATOR = "Operator:"


def _split_doc(doc: str | None) -> tuple[str, str]:
    """(partner text, operator text) of a check docstring, whitespace collapsed."""
    partner, _, operator = (doc or "").partition(OPERATOR)
    return " ".join(partner.split()), " ".join(operator.split())


REGISTRY: dict[str, Check] = {}


def register(code: str, message: str, *, bad: str, good: str,
             severity: Severity = Severity.ERROR, cross_row: bool = False,
             details: Callable[[pl.Expr], dict[str, pl.Expr]] | None = None
             ) -> Callable[[Callable[..., pl.Expr]], Callable[..., pl.Expr]]:
    """Decorator registering a check function under ``code``."""

    def wrap(fn: Callable[..., pl.Expr]) -> Callable[..., pl.Expr]:
        if code in REGISTRY:
            raise ValueError(f"check {code!r} registered twice")
        partner, operator = _split_doc(fn.__doc__)
        doc = f"{partner} {OPERATOR} {operator}" if operator else partner
        REGISTRY[code] = Check(code, message, doc, bad, good, fn, severity, cross_row,
                               partner=partner, operator=operator, details=details)
        return fn

    return wrap


def get_check(code: str) -> Check:
    """The registered check ``code``; KeyError lists the known codes."""
    from salesfmt.checks import builtin, crossrow, dates, lines  # noqa: F401  (they register)

    try:
        return REGISTRY[code]
    except KeyError:
        raise KeyError(f"unknown check {code!r}; known: {', '.join(sorted(REGISTRY))}") from None


def all_checks() -> list[Check]:
    """Every registered check, sorted by code."""
    from salesfmt.checks import builtin, crossrow, dates, lines  # noqa: F401  (they register)

    return [REGISTRY[code] for code in sorted(REGISTRY)]


def render_message(template: str, static: dict[str, object],
                   dynamic: dict[str, pl.Expr]) -> pl.Expr:
    """Fill a message template: static values now, per-row values ({value}, …) as expressions."""
    parts: list[pl.Expr] = []
    text = ""
    for literal, name, spec, _ in string.Formatter().parse(template):
        text += literal
        if name is None:
            continue
        if name in dynamic:
            if text:
                parts.append(pl.lit(text))
                text = ""
            parts.append(dynamic[name].cast(pl.String).fill_null(""))
        elif name in static:
            text += format(static[name], spec or "")
        else:
            text += "{" + name + "}"
    if text or not parts:
        parts.append(pl.lit(text))
    return pl.concat_str(parts)
