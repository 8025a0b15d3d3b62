"""Skip rules as boolean expressions: over partner columns (before any parsing) or over
canonical fields (after it), and the blank-row test every file gets."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import polars as pl

from salesfmt._series import constant, fields, where
from salesfmt.canonical import FIELDS, Kind
from salesfmt.columns import raw, typed
from salesfmt.errors import RuleError
from salesfmt.rules.expr import ExprError, Typed, compile_expr, to_text
from salesfmt.rules.headers import match_headers
from salesfmt.rules.model import FieldRule, SkipRule
from salesfmt.rules.values import coerce

if TYPE_CHECKING:
    from salesfmt.rules.compiler import CompiledRules

__all__ = ["add_skips", "blank_rows"]


def add_skips(compiled: CompiledRules, headers: list[str], column: Callable[[str], pl.Expr],
              resolve: Callable[[str], Typed]) -> None:
    """Set ``compiled.skip`` (blank rows and partner-column skips, before any parsing) and
    ``compiled.skip_fields`` (skips on canonical fields, after parsing)."""
    rules = compiled.rules
    on_columns, on_fields = [], []
    for i, s in enumerate(rules.skip):
        if s.field is not None and s.field not in compiled.mapped:
            continue  # its column is missing: reported as missing_column, nothing to skip on
        try:
            expr = _skip_expr(s, headers, column, resolve)
        except ExprError as exc:
            raise RuleError(str(exc), where=f"{rules.path}: skip.{i}") from None
        if expr is not None:
            (on_columns if s.column else on_fields).append(expr)
    compiled.skip = pl.any_horizontal([blank_rows(headers), *on_columns])
    compiled.skip_fields = pl.any_horizontal(on_fields) if on_fields else None


def _skip_expr(rule: SkipRule, headers: list[str], column: Any, resolve: Any) -> pl.Expr | None:
    if rule.when is not None:
        return coerce(compile_expr(rule.when, resolve, column), Kind.BOOLEAN,
                       FieldRule("skip")).fill_null(False)
    if rule.column is not None:
        match = match_headers({"": (rule.column,)}, headers, fuzzy=False, threshold=100)
        if "" not in match:
            return None
        cell = pl.col(match[""].header)
    else:
        cell = pl.col(raw(rule.field)).fill_null(
            to_text(pl.col(typed(rule.field)), FIELDS[rule.field].kind))
    conds = []
    if rule.matches is not None:
        conds.append(cell.str.contains(rule.matches).fill_null(False))
    if rule.equals is not None:
        conds.append((cell.str.strip_chars() == rule.equals).fill_null(False))
    if rule.empty is not None:
        blank = cell.is_null() | (cell.str.strip_chars() == "")
        conds.append(blank if rule.empty else ~blank)
    return pl.all_horizontal(conds) if conds else None


def blank_rows(headers: list[str]) -> pl.Expr:
    """True for rows whose cells are all empty or whitespace.

    Checks one column at a time over the rows not yet known to hold text; a string
    comparison on each first cell's prefix rules out most rows without a regex.
    """

    def mask(cells: pl.Series) -> pl.Series:
        columns = fields(cells)
        first = columns[0]
        # a cell starting with a printable ASCII character holds text: only the others
        # (empty, starting with a blank or a non-ASCII character) are looked at closely
        todo = where(first.is_null() | (first < "!") | (first >= "\x7f"))
        for col in columns:
            if not len(todo):
                break
            cell = col.gather(todo)
            todo = todo.gather(where(cell.is_null() | ~cell.str.contains(r"\S")))
        return constant(False, len(cells), pl.Boolean).scatter(todo, True)

    return pl.struct(headers).map_batches(mask, return_dtype=pl.Boolean, is_elementwise=False)
