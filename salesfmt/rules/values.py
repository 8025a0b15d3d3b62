"""Cell text to field values: value maps (``map:``), literal constants and defaults, and an
expression's result coerced to its field's kind."""

from __future__ import annotations

from typing import Any

import polars as pl

from salesfmt._series import constant, where
from salesfmt.canonical import Kind, polars_type
from salesfmt.rules.expr import Typed, to_text
from salesfmt.rules.instants import local_date
from salesfmt.rules.model import FieldRule
from salesfmt.rules.parsers import parse

__all__ = ["coerce", "mapped", "literal", "literal_text"]


def coerce(t: Typed, kind: Kind, rule: FieldRule) -> pl.Expr:
    """An expression's result as a value of the field's kind."""
    if t.kind is None:
        return pl.lit(None, dtype=polars_type(kind))
    if t.kind is kind:
        return t.expr.cast(polars_type(kind)) if kind is Kind.DECIMAL else t.expr
    if kind is Kind.TEXT:
        return to_text(t.expr, t.kind)
    if kind is Kind.DECIMAL and t.kind is Kind.INTEGER:
        return t.expr.cast(polars_type(kind))
    if kind is Kind.INTEGER and t.kind is Kind.DECIMAL:
        return pl.when(t.expr.round(0) == t.expr).then(t.expr.cast(pl.Int64, strict=False))
    if kind is Kind.DATE and t.kind is Kind.DATETIME:
        return local_date(t.expr, rule.parse.timezone)  # the partner's calendar day
    text = t.expr if t.kind is Kind.TEXT else to_text(t.expr, t.kind)
    return parse(kind, text, rule.parse)


def _map_index(s: pl.Series, exact: dict[str, int], loose: dict[str, int]) -> pl.Series:
    """Position of each cell's key in the map (null: not in it). Cells written exactly as
    a key cost one lookup; only the others are trimmed, case-folded, spaces collapsed."""
    idx = s.replace_strict(list(exact), list(exact.values()), default=None,
                           return_dtype=pl.UInt32)
    if idx.null_count() > s.null_count():  # cells not written exactly as a key
        pos = where(idx.is_null() & s.is_not_null())
        key = s.gather(pos).str.strip_chars().str.replace_all(r"\s+", " ").str.to_lowercase()
        idx = idx.scatter(pos, key.replace_strict(list(loose), list(loose.values()),
                                                  default=None, return_dtype=pl.UInt32))
    return idx


def mapped(cell: pl.Expr, rule: FieldRule) -> tuple[pl.Expr, pl.Expr]:
    """Apply the value map: (text after mapping, flag of values the map did not know).

    One Python step per batch computes the text (polars does not share a UDF's result
    between uses, so the index is not referenced twice); blank cells stay as they are,
    unknown ones become the cell, the ``map_default`` or null after ``unmapped``."""
    assert rule.value_map is not None
    keys = list(rule.value_map)
    exact = {k: i for i, k in reversed(list(enumerate(keys)))}
    loose = {" ".join(k.split()).lower(): i for k, i in reversed(list(exact.items()))}
    values = pl.Series([None if v is None else literal_text(v) for v in rule.value_map.values()],
                       dtype=pl.String)
    keep_cell = rule.unmapped not in ("default", "error")
    other = None if rule.unmapped == "error" or rule.map_default is None \
        else literal_text(rule.map_default)

    def apply(s: pl.Series) -> pl.Series:
        idx = _map_index(s, exact, loose)
        text = values.gather(idx).alias(s.name)
        if not idx.null_count():
            return text
        at = where(idx.is_null())
        if keep_cell:  # an unknown value stays as written
            return text.scatter(at, s.gather(at))
        sub = s.gather(at)
        blank = (sub.is_null() | (sub.str.strip_chars() == "")).fill_null(True)
        fill = constant(other, len(sub), pl.String)
        return text.scatter(at, sub.zip_with(blank, fill))

    text = cell.map_batches(apply, return_dtype=pl.String, is_elementwise=False)
    if rule.unmapped != "error":
        return text, pl.lit(False)
    hit = cell.map_batches(lambda s: _map_index(s, exact, loose).is_not_null(),
                           return_dtype=pl.Boolean, is_elementwise=False)
    blank = cell.is_null() | (cell.str.strip_chars() == "")
    return text, ~blank & ~hit


def literal_text(value: Any) -> str:
    """A YAML scalar as the text a cell would hold (booleans lower-case)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def literal(value: Any) -> pl.Expr:
    """A YAML scalar (or None) as a text literal."""
    return pl.lit(None if value is None else literal_text(value), dtype=pl.String)
