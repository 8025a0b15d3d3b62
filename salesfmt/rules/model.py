"""Rule files as typed objects: what one partner's file looks like and what its columns mean."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from salesfmt.checks.crossrow import CrossRowDecl
from salesfmt.problems import Severity
from salesfmt.rules.parsers import ParseOptions

__all__ = ["FieldRule", "SkipRule", "ControlTotal", "RuleSet", "DEFAULT_FUZZY_THRESHOLD"]

#: Similarity (0-100) a header needs to be taken by a fuzzy match when the rule gives none.
DEFAULT_FUZZY_THRESHOLD = 85.0


@dataclass(frozen=True)
class FieldRule:
    """Where one canonical field's value comes from."""

    name: str
    columns: tuple[str, ...] = ()
    constant: Any = None
    default: Any = None
    template: str | None = None
    expr: str | None = None
    when: str | None = None
    value_map: dict[str, Any] | None = None
    unmapped: str = "keep"
    map_default: Any = None
    parse: ParseOptions = field(default_factory=ParseOptions)
    control_total: ControlTotal | None = None
    where: str = ""

    @property
    def derived(self) -> bool:
        """Computed from other fields (template or expression) after the columns are read."""
        return self.template is not None or self.expr is not None


@dataclass(frozen=True)
class SkipRule:
    """A row filter: rows it matches are skipped and counted as such."""

    column: str | None = None
    field: str | None = None
    matches: str | None = None
    equals: str | None = None
    empty: bool | None = None
    when: str | None = None


@dataclass(frozen=True)
class ControlTotal:
    """The partner's own totals row (``control_total:``): the row whose ``column`` cell
    matches ``matches`` is skipped, and its ``amount`` cell must equal the sum of that
    column over the lines read (its ``count`` cell, if given, the number of lines)."""

    column: str
    matches: str
    amount: str
    count: str | None = None
    where: str = ""


@dataclass(frozen=True)
class RuleSet:
    """A loaded, validated partner rule file (``extends`` already resolved)."""

    name: str
    path: Path | None
    description: str = ""
    channel: str | None = None
    #: language of the partner-facing text (``en``, ``nl``, ``de``, ``fr``); None: English
    language: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    quote_char: str = '"'
    escape_char: str | None = None
    sheet: str | int | None = None
    header_row: int | None = None
    fields: dict[str, FieldRule] = field(default_factory=dict)
    skip: tuple[SkipRule, ...] = ()
    extends: tuple[Path, ...] = ()
    fuzzy: bool = False
    threshold: float = DEFAULT_FUZZY_THRESHOLD
    cross: tuple[CrossRowDecl, ...] = ()
    severity: dict[str, Severity] = field(default_factory=dict)
    #: formula-like text in text fields: reject (default), warn or escape (prefix ')
    formulas: str | None = None
    #: Codes set to ``off``: their warnings are dropped and only counted (errors never are).
    muted: frozenset[str] = frozenset()
    parse: ParseOptions = field(default_factory=ParseOptions)
    control_total: ControlTotal | None = None
