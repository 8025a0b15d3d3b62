"""A target field's typed value and output text, from the canonical columns: conversions
between value kinds, constants and defaults, and the text each output shape writes."""

from __future__ import annotations

from typing import Any

import polars as pl

from salesfmt.canonical import FIELDS, Kind
from salesfmt.columns import parsed_text, raw, typed, value
from salesfmt.errors import TargetError
from salesfmt.rules.compiler import CompiledRules, to_text
from salesfmt.rules.expr import date_text
from salesfmt.rules.instants import local_date, wall_clock
from salesfmt.rules.parsers import parse
from salesfmt.targets.spec import Target, TargetField
from salesfmt.targets.times import UNIX, needs_instant, zone_of

__all__ = ["base_value", "default_value", "output_text", "csv_native", "source_text"]


def _convert(expr: pl.Expr, src: Kind, dst: Kind, zone: str | None = None) -> pl.Expr:
    if src is dst:
        return expr
    if dst is Kind.TEXT:
        return to_text(expr, src)
    if src is Kind.TEXT:
        return parse(dst, expr)
    if dst is Kind.DATE and src is Kind.DATETIME:
        return local_date(expr, zone)  # the partner's calendar day of the instant
    if dst is Kind.DATETIME and src is Kind.DATE:
        return expr.cast(pl.Datetime("us"))
    if dst is Kind.DECIMAL and src is Kind.INTEGER:
        return expr.cast(pl.Decimal(38, 6))
    if dst is Kind.INTEGER and src is Kind.DECIMAL:
        return pl.when(expr.round(0) == expr).then(expr.cast(pl.Int64, strict=False))
    return parse(dst, to_text(expr, src))


def output_text(f: TargetField) -> pl.Expr:
    """Field ``f``'s output text, as the target writes it (its format, places, UTC)."""
    native = csv_native(f)
    if native is not None:  # the typed column's own text
        return native.cast(pl.String)
    v = pl.col(value(f.name))
    if f.kind is Kind.DATE and f.format:  # Unix seconds were csv_native's
        return date_text(v, f.format)
    if f.kind is Kind.DATETIME:  # an instant in UTC, or the partner's wall-clock time
        v = v.dt.replace_time_zone("UTC") if needs_instant(f) else v
        return v.dt.strftime(f.format or "%Y-%m-%dT%H:%M:%S")
    if f.kind is Kind.DATE and f.format:
        return v.dt.strftime(f.format)
    if f.kind is Kind.DECIMAL and f.places:  # at least the places, and any further digits
        return pl.when(v.round(f.places) == v).then(
            v.cast(pl.Decimal(38, f.places)).cast(pl.String)).otherwise(to_text(v, f.kind))
    return to_text(v, f.kind)


def csv_native(f: TargetField) -> pl.Expr | None:
    """Field ``f``'s typed value as polars writes it into CSV byte for byte like its output
    text (whole numbers, decimals at the target's places, Unix seconds), or None. Writing
    the typed column skips building a million strings per field."""
    v = pl.col(value(f.name))
    if f.kind is Kind.INTEGER:
        return v.cast(pl.Int64)
    if f.kind is Kind.DECIMAL and f.decimals is not None:
        return v.cast(pl.Decimal(38, f.decimals))
    if f.kind in (Kind.DATE, Kind.DATETIME) and f.format == UNIX:
        return v.cast(pl.Datetime("us")).dt.epoch("s")
    return None  # dates: their text (date_text) writes faster than a Date column


def _literal(f: TargetField, x: Any) -> pl.Expr:
    text = pl.lit(str(x).lower() if isinstance(x, bool) else str(x), dtype=pl.String)
    return text if f.kind is Kind.TEXT else parse(f.kind, text)


def base_value(f: TargetField, compiled: CompiledRules) -> tuple[pl.Expr, pl.Expr]:
    """(typed value, text it was parsed from) of a field before its default applies."""
    if f.constant is not None:
        return _literal(f, f.constant), pl.lit(str(f.constant), dtype=pl.String)
    if f.source in compiled.mapped:
        zone = zone_of(compiled, f.source)
        v = _convert(pl.col(typed(f.source)), FIELDS[f.source].kind, f.kind, zone)
        if f.kind is FIELDS[f.source].kind is Kind.DATETIME and not needs_instant(f):
            v = wall_clock(v, zone)  # the target gets the time as the partner's clock read it
        return v, pl.col(parsed_text(f.source))
    v = pl.lit(None, dtype=pl.String)
    return (_convert(v, Kind.TEXT, f.kind) if f.kind is not Kind.TEXT else v,
            pl.lit(None, dtype=pl.String))


def default_value(f: TargetField, base: dict[str, tuple[pl.Expr, pl.Expr]],
             target: Target) -> pl.Expr:
    """``default: 0`` (a literal) or ``default: "{quantitySold}"`` (another field's value)."""
    text = str(f.default)
    if text.startswith("{") and text.endswith("}"):
        other = text[1:-1]
        if other not in base:
            raise TargetError(f"default of {f.name!r} names unknown field {other!r}",
                              where=str(target.path or target.name))
        return base[other][0]
    return _literal(f, f.default)


def source_text(f: TargetField, compiled: CompiledRules) -> pl.Expr:
    """The cell text a problem shows: the partner's raw value, else the converted value."""
    if f.source in compiled.mapped:  # (evaluated on the failing rows only)
        return pl.coalesce(pl.col(raw(f.source)), output_text(f))
    return pl.lit(None, dtype=pl.String)
