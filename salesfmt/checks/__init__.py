"""The check registry: each check is one small function returning a polars "is valid"
expression, registered with its code, message template, explanation and examples.

The explanation (the function's docstring) is the user documentation: ``salesfmt explain``.
A docstring's first part speaks to the partner (what to change in their file); an
``Operator:`` part after it holds rule-file and command-line hints, which the partner's
report leaves out.
"""

from __future__ import annotations

import difflib
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import polars as pl

from salesfmt.problems import Severity

__all__ = ["Check", "Context", "REGISTRY", "register", "get_check", "all_checks",
           "render_message", "use_problems"]


class Context(StrEnum):
    """What a check looks at, and so where it may be declared."""

    #: one line's own cells: a target field's ``checks:`` (or its sugar keys) declares it
    ROW = "row"
    #: several lines (uniqueness, agreement within a group): declared by ``unique:``,
    #: ``consistent:`` or ``group:``, never in a field's ``checks:``
    LINES = "lines"
    #: raised by the rule file's reading of a cell (a value map, a date, a number)
    RULES = "rules"
    #: about the file as a whole (its headers, how its times were read)
    FILE = "file"
    #: across deliveries: raised by ``salesfmt batch`` against the ledger's earlier ones
    DELIVERIES = "deliveries"


@dataclass(frozen=True)
class Check:
    """A registered check. ``fn(value, raw, **params)`` returns True where the cell is valid."""

    code: str
    message: str
    explanation: str
    fn: Callable[..., pl.Expr] | None
    severity: Severity = Severity.ERROR
    context: Context = Context.ROW
    #: parameter name → JSON Schema of its value; every parameter is required
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: per-row message parts beyond {value}: name → expression over the field's value
    details: Callable[[pl.Expr], dict[str, pl.Expr]] | None = None
    #: What the partner changes in their file (the explanation without operator hints).
    partner: str = ""
    #: Rule-file and command-line hints for whoever runs salesfmt ("" when none).
    operator: str = ""

    @property
    def bad(self) -> str:
        """The bad example's partner lines as text (the fixture: ``examples.yaml``)."""
        from salesfmt.checks.examples import examples, lines_text

        return lines_text(examples()[self.code].bad)

    @property
    def good(self) -> str:
        """The good example's partner lines as text."""
        from salesfmt.checks.examples import examples, lines_text

        return lines_text(examples()[self.code].good)

    @property
    def cross_row(self) -> bool:
        """Whether the check compares lines with each other (uniqueness, agreement)."""
        return self.context is Context.LINES


#: Starts the operator part of a check's docstring.
OPERATOR = "Operator:"


def _split_doc(doc: str | None) -> tuple[str, str]:
    """(partner text, operator text) of a check docstring, whitespace collapsed."""
    partner, _, operator = (doc or "").partition(OPERATOR)
    return " ".join(partner.split()), " ".join(operator.split())


REGISTRY: dict[str, Check] = {}


def register(code: str, message: str, *, severity: Severity = Severity.ERROR, context: Context = Context.ROW,
             params: dict[str, dict[str, Any]] | None = None,
             details: Callable[[pl.Expr], dict[str, pl.Expr]] | None = None
             ) -> Callable[[Callable[..., pl.Expr]], Callable[..., pl.Expr]]:
    """Decorator registering a check function under ``code``, with the JSON Schema of each
    parameter a declaration gives it (``params``) and the context it needs."""

    def wrap(fn: Callable[..., pl.Expr]) -> Callable[..., pl.Expr]:
        if code in REGISTRY:
            raise ValueError(f"check {code!r} registered twice")
        partner, operator = _split_doc(fn.__doc__)
        doc = f"{partner} {OPERATOR} {operator}" if operator else partner
        REGISTRY[code] = Check(code, message, doc, fn, severity, context,
                               dict(params or {}), partner=partner, operator=operator,
                               details=details)
        return fn

    return wrap


def get_check(code: str) -> Check:
    """The registered check ``code``; KeyError lists the known codes."""
    from salesfmt.checks import builtin, crossrow, dates, deliveries, lines  # noqa: F401

    try:
        return REGISTRY[code]
    except KeyError:
        raise KeyError(f"unknown check {code!r}; known: {', '.join(sorted(REGISTRY))}") from None


def all_checks() -> list[Check]:
    """Every registered check, sorted by code."""
    from salesfmt.checks import builtin, crossrow, dates, deliveries, lines  # noqa: F401

    return [REGISTRY[code] for code in sorted(REGISTRY)]


_HOW = {
    Context.LINES: "it compares lines with each other: declare it with the field's "
                   "'unique: true', or the declaration's top-level 'unique:' or "
                   "'consistent:' (or 'group:')",
    Context.RULES: "it is raised by the rule file's reading of a cell, not declared by a "
                   "target",
    Context.FILE: "it is about the file as a whole, not declared by a target",
}


def _sample(schema: dict[str, Any]) -> str:
    """A value of ``schema`` for a message's example."""
    if "anyOf" in schema:
        return _sample(schema["anyOf"][-1])
    kind = schema.get("type")
    kind = kind[0] if isinstance(kind, list) else kind
    if kind == "array":
        return f"[{_sample(schema.get('items') or {})}]"
    return {"integer": "5", "number": "5", "string": "otherField"}.get(kind, "…")


def _example(check: Check) -> str:
    """How ``check`` is written in a field's ``checks:``."""
    if not check.params:
        return check.code
    inner = ", ".join(f"{name}: {_sample(schema)}" for name, schema in check.params.items())
    return f"{{{check.code}: {{{inner}}}}}"


def use_problems(code: str, params: Any) -> list[tuple[tuple[str | int, ...], str]]:
    """Why ``{code: params}`` cannot be declared in a field's ``checks:``, as (location
    under the entry, message) pairs; empty when it can."""
    import jsonschema

    try:
        check = get_check(code)
    except KeyError:
        close = difflib.get_close_matches(str(code), list(REGISTRY), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return [((), f"unknown check {code!r}{hint} ('salesfmt explain' lists them)")]
    if check.context is not Context.ROW:
        return [((), f"{code} cannot be listed in a field's checks: {_HOW[check.context]}")]
    if params is None:
        params = {}
    if not isinstance(params, dict):
        return [((), f"the parameters of {code} must be a mapping, such as {_example(check)}")]
    out: list[tuple[tuple[str | int, ...], str]] = []
    for name in params:
        if name not in check.params:
            known = ", ".join(check.params) or "none"
            out.append(((name,), f"unknown parameter {name!r} of {code} (parameters: "
                                 f"{known})"))
    missing = [name for name in check.params if name not in params]
    if missing and not out:  # a misspelt parameter is named above, with the right ones
        out.append(((), f"{code} needs parameter {missing[0]!r}, such as {_example(check)}"))
    for name, schema in check.params.items():
        if name in params:
            for err in jsonschema.Draft202012Validator(schema).iter_errors(params[name]):
                out.append(((name, *err.absolute_path), f"{name} of {code}: {err.message}"))
                break
    return out


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
