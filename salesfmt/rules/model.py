"""Rule files as typed objects: what one partner's file looks like and what its columns mean."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from salesfmt.rules.parsers import ParseOptions

__all__ = ["FieldRule", "SkipRule", "RuleSet"]


@dataclass(frozen=True)
class FieldRule:
    """Where one canonical field's value comes from."""

    name: str
    columns: tuple[str, ...] = ()
    constant: Any = None
    default: Any = None
    template: str | None = None
    value_map: dict[str, Any] | None = None
    unmapped: str = "keep"
    map_default: Any = None
    parse: ParseOptions = field(default_factory=ParseOptions)


@dataclass(frozen=True)
class SkipRule:
    """A row filter: rows it matches are skipped and counted as such."""

    column: str | None = None
    field: str | None = None
    matches: str | None = None
    equals: str | None = None
    empty: bool | None = None


@dataclass(frozen=True)
class RuleSet:
    """A loaded, validated partner rule file."""

    name: str
    path: Path | None
    description: str = ""
    channel: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    quote_char: str = '"'
    escape_char: str | None = None
    sheet: str | int | None = None
    header_row: int | None = None
    fields: dict[str, FieldRule] = field(default_factory=dict)
    skip: tuple[SkipRule, ...] = ()
