"""Where a value failed to parse — its own cell, or a cell it is derived from — so that
one root cause gets one message: the checks that read such a value are not run on it, and
cross-row checks compare known values only (issue 18: a 'twee' quantity made its sale
'mix sold and returned lines' and its derived amount 'required')."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl

from salesfmt.columns import KNOWN, TYPED, VALUE, field_of, parsed_text, typed, unmapped
from salesfmt.rules.compiler import CompiledRules, field_inputs
from salesfmt.targets.spec import TargetField

__all__ = ["Failures", "known", "names_of"]


def names_of(names: Any) -> list[str]:
    """A ``fields:`` parameter (one name or a list) as a list of names."""
    return [names] if isinstance(names, str) else list(names)


def known(column: str) -> str:
    """Frame column: ``column``'s value is known (neither it nor a cell it is derived from
    failed to parse). Cross-row checks compare known values only."""
    return KNOWN + column


def _unparsed(v: pl.Expr, text: pl.Expr) -> pl.Expr:
    """The text is not blank but gave no value (looked at where the value is null only)."""
    return pl.when(v.is_null()).then(text).str.strip_chars().str.len_bytes().fill_null(0) > 0


class Failures:
    """Where a value failed to parse: its own cell, or a cell it is derived from. One root
    cause gets one message: checks that read such a value are not run on it."""

    def __init__(self, compiled: CompiledRules, base: dict[str, tuple[pl.Expr, pl.Expr]],
                 fields: dict[str, TargetField], value: Callable[[str], str]) -> None:
        self.compiled, self.base, self.fields, self.value = compiled, base, fields, value
        self._canon: dict[str, pl.Expr] = {}

    def canonical(self, name: str) -> pl.Expr:
        """Canonical field ``name``'s cell, or one it is derived from, failed to parse."""
        if name not in self._canon:
            c = self.compiled
            if name not in c.mapped:
                return pl.lit(False)
            own = _unparsed(pl.col(typed(name)), pl.col(parsed_text(name))) \
                | pl.col(unmapped(name))
            inputs = [self.canonical(r) for r in sorted(field_inputs(c.rules, name))]
            self._canon[name] = pl.any_horizontal(own, *inputs) if inputs else own
        return self._canon[name]

    def upstream(self, f: TargetField) -> pl.Expr | None:
        """A cell target field ``f`` is derived from (not its own) failed; None: none can."""
        parts = [self.canonical(r) for r in sorted(field_inputs(self.compiled.rules, f.source))
                 if f.source in self.compiled.mapped]
        other = str(f.default or "")
        if other.startswith("{") and other.endswith("}") and other[1:-1] in self.fields:
            parts.append(self.base[f.name][0].is_null() & self.failed(self.fields[other[1:-1]]))
        return pl.any_horizontal(parts) if parts else None

    def failed(self, f: TargetField) -> pl.Expr:
        """Target field ``f``'s own cell or a cell it is derived from failed to parse."""
        own = (_unparsed(pl.col(self.value(f.name)), pl.col(parsed_text(f.source)))
               | pl.col(unmapped(f.source))) if f.source in self.compiled.mapped else pl.lit(False)
        up = self.upstream(f)
        return own if up is None else own | up

    def unless_failed(self, valid: pl.Expr, f: TargetField, others: Any = None) -> pl.Expr:
        """A check on ``f`` (over the ``others`` fields too, if given) that is not run where
        a value it reads failed to parse."""
        if others is not None:
            return valid | pl.any_horizontal(
                self.failed(f), *[self.failed(self.fields[n]) for n in names_of(others)])
        up = self.upstream(f)
        return valid if up is None else valid | up

    def known_masks(self, checks: list[Any]) -> list[pl.Expr]:
        """The ``known`` columns the cross-row checks of ``checks`` compare by."""
        masks = {c.cross.known: c for c in checks if c.cross is not None and c.cross.known
                 and c.cross.value is not None and c.cross.value.startswith((VALUE, TYPED))}
        out = []
        for name, c in masks.items():
            col = c.cross.value
            bad = self.failed(c.field) if col == self.value(c.field.name) \
                else self.canonical(field_of(col))
            out.append((~bad).alias(name))
        return out
