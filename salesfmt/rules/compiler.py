"""Compile a RuleSet against a file's headers into polars expressions (no per-row Python).

For every canonical field ``f`` the compiled layers produce ``c:f`` (typed value),
``r:f`` (the partner's cell text, shown in messages), ``m:f`` (the text the parser got,
after value maps and defaults) and ``u:f`` (value not in a "must be mapped" map).
Derived fields (templates, expressions) follow in dependency order. Skip rules become one
boolean expression.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

import polars as pl

from salesfmt.canonical import FIELDS, Kind, polars_type
from salesfmt.checks import get_check, render_message
from salesfmt.checks.crossrow import CrossRowDecl
from salesfmt.columns import parsed_text, raw, typed, unmapped
from salesfmt.errors import RuleError
from salesfmt.problems import Severity, file_problem
from salesfmt.readers import Source
from salesfmt.rules.deps import derived_order, field_inputs, hidden_inputs, reads_cell
from salesfmt.rules.expr import ExprError, Typed, compile_expr, to_text
from salesfmt.rules.headers import closest_headers, match_headers, normalize_header
from salesfmt.rules.instants import (
    WHY_CODES,
    ambiguous_date,
    expr_columns,
    settle_orders,
    why_not,
    why_params,
)
from salesfmt.rules.model import FieldRule, RuleSet
from salesfmt.rules.parsers import parse
from salesfmt.rules.precision import lost_digits
from salesfmt.rules.reading import header_scorer
from salesfmt.rules.skips import add_skips, blank_rows
from salesfmt.rules.values import coerce, literal, mapped

__all__ = ["CompiledRules", "compile_rules", "header_scorer", "normalize_header", "typed",
           "raw", "parsed_text", "unmapped", "to_text", "derived_order", "hidden_inputs",
           "field_inputs", "blank_rows"]


def _flag(code: str, name: str) -> str:
    return f"{code}:{name}"


@dataclass
class CompiledRules:
    """Expressions that turn a raw batch into canonical columns, plus what was matched."""

    rules: RuleSet
    layers: list[list[pl.Expr]]
    skip: pl.Expr  # over raw columns: evaluated before any parsing
    skip_fields: pl.Expr | None = None  # skip rules on canonical fields: after parsing
    sources: dict[str, tuple[str, str]] = field(default_factory=dict)
    mapped: set[str] = field(default_factory=set)
    missing: dict[str, tuple[str, ...]] = field(default_factory=dict)
    strict_maps: set[str] = field(default_factory=set)
    cross: list[CrossRowDecl] = field(default_factory=list)
    #: per-cell flags the rules raise: field → [(check code, frame column, message params)]
    flags: dict[str, list[tuple[str, str, dict[str, str]]]] = field(default_factory=dict)
    #: date fields: field → frame column saying why a cell with text has no value (one
    #: root cause, one message: the field's other checks skip such cells)
    why: dict[str, str] = field(default_factory=dict)
    why_layer: list[pl.Expr] = field(default_factory=list)
    #: date-time fields, with no zone named, that read a cell without a UTC offset (as UTC)
    naive: set[str] = field(default_factory=set)
    #: extra message values for a missing column: field → {closest, headers}
    hints: dict[str, dict[str, str]] = field(default_factory=dict)
    #: file-level problems found while matching headers (fuzzy matches)
    problems: list[pl.DataFrame] = field(default_factory=list)










def _listed(headers: list[str], limit: int = 50) -> str:
    """The file's headers for a message: the first ``limit``, then how many more."""
    shown = ", ".join(headers[:limit])
    return shown + (f" … and {len(headers) - limit} more" if len(headers) > limit else "")


def _fuzzy_problem(name: str, header: str, alias: str, score: float, letter: str,
                   sheet: str | None, severity: Severity) -> pl.DataFrame:
    template = get_check("fuzzy_header").message
    msg = pl.select(render_message(template, {"header": header, "column": name,
                                              "score": f"{score:g}", "alias": alias}, {})).item()
    return file_problem("fuzzy_header", msg, severity=severity, sheet=sheet,
                        column=letter, header=header, field=name)


def compile_rules(rules: RuleSet, source: Source) -> CompiledRules:
    """Resolve aliases against ``source``'s headers and build the expression layers: read
    cells (``r:``, ``m:``, ``u:``), parse them (``c:``), derived fields, skips."""
    compiled = CompiledRules(rules=rules, layers=[[], []], skip=pl.lit(False),
                             cross=list(rules.cross))
    wanted = {n: r.columns for n, r in rules.fields.items() if r.columns}
    matches = match_headers(wanted, source.headers, fuzzy=rules.fuzzy,
                            threshold=rules.threshold)
    orders = _date_orders(rules, source, matches)
    for name, rule in rules.fields.items():
        if name in orders:
            rule = replace(rule, parse=replace(rule.parse, date_order=orders[name]))
        _add_read_field(compiled, source, matches.get(name), name, rule)
    column, resolve = _column_of(source.headers), _resolver(compiled)
    for names in derived_order(rules):
        compiled.layers.append([e for name in names
                                for e in _derived(rules.fields[name], compiled, resolve, column)])
    compiled.layers.append(compiled.why_layer)  # why date cells did not parse: last
    add_skips(compiled, source.headers, column, resolve)
    return compiled


def _date_orders(rules: RuleSet, source: Source, matches: dict[str, Any]) -> dict[str, str]:
    """The file's own day/month order for date columns whose rule names none."""
    return settle_orders(source, {
        n: matches[n].header for n, r in rules.fields.items()
        if n in matches and FIELDS[n].kind in (Kind.DATE, Kind.DATETIME)
        and not r.parse.date_formats and not r.parse.date_order})


def _add_read_field(compiled: CompiledRules, source: Source, match: Any, name: str,
                    rule: FieldRule) -> None:
    """A field read from a cell, a constant or a default: its text columns (first layer),
    its parsed value and the flags its parsing raises (second layer)."""
    if rule.template is not None or (rule.expr is not None and not reads_cell(rule)):
        return  # derived: compiled later, in dependency order
    cell = _cell(compiled, source, match, name, rule)
    if cell is None:
        return
    shown, text, flag = cell
    kind = FIELDS[name].kind
    first, parsed = compiled.layers[0], compiled.layers[1]  # parsers read m: computed once
    compiled.mapped.add(name)
    first += [shown.alias(raw(name)), text.alias(parsed_text(name)), flag.alias(unmapped(name))]
    parsed.append(parse(kind, pl.col(parsed_text(name)), rule.parse).alias(typed(name)))
    if kind in (Kind.DATE, Kind.DATETIME) and rule.columns:
        amb = ambiguous_date(pl.col(parsed_text(name)), rule.parse)
        if amb is not None:
            parsed.append(amb.alias(_flag("ambiguous_date", name)))
            compiled.flags.setdefault(name, []).append(
                ("ambiguous_date", _flag("ambiguous_date", name), {}))
        header = compiled.sources[name][0] if name in compiled.sources else name
        _why(compiled, name, kind, rule, header)
    if kind in (Kind.INTEGER, Kind.DECIMAL) and rule.columns:  # never rounded silently
        parsed.append(lost_digits(pl.col(parsed_text(name)), rule.parse)
                      .alias(_flag("precision_lost", name)))
        compiled.flags.setdefault(name, []).append(
            ("precision_lost", _flag("precision_lost", name), {}))


def _cell(compiled: CompiledRules, source: Source, match: Any, name: str, rule: FieldRule
          ) -> tuple[pl.Expr, pl.Expr, pl.Expr] | None:
    """(text shown, text parsed, not-in-the-map flag) of a field, or None when it has no
    value source here (a missing column is noted in ``compiled.missing``)."""
    if rule.columns:
        if match is not None:
            return _matched(compiled, source, match, name, rule)
        if rule.default is None:
            compiled.missing[name] = rule.columns
            near = closest_headers(rule.columns, source.headers)
            compiled.hints[name] = {
                "closest": ", ".join(f"'{h}' ({s:g})" for h, s in near) or "none",
                "headers": _listed(source.headers)}
            return None
        value = rule.default
    elif rule.constant is not None:
        value = rule.constant
    elif rule.default is not None:
        value = rule.default
    else:
        return None
    return literal(value), literal(value), pl.lit(False)


def _matched(compiled: CompiledRules, source: Source, match: Any, name: str, rule: FieldRule
             ) -> tuple[pl.Expr, pl.Expr, pl.Expr]:
    """A field's column found in the file: the cell, its value map and blank default."""
    letter = dict(zip(source.headers, source.column_letters, strict=True))[match.header]
    if match.score < 100:
        compiled.problems.append(_fuzzy_problem(
            name, match.header, match.alias, match.score, letter, source.sheet,
            compiled.rules.severity.get("fuzzy_header", Severity.WARNING)))
    compiled.sources[name] = (match.header, letter)
    shown = text = pl.col(match.header)
    flag = pl.lit(False)
    if rule.value_map is not None:
        text, flag = mapped(text, rule)
        if rule.unmapped == "error":
            compiled.strict_maps.add(name)
    if rule.default is not None:
        blank = shown.is_null() | (shown.str.strip_chars() == "")
        text = pl.when(blank).then(literal(rule.default)).otherwise(text)
    return shown, text, flag


def _column_of(headers: list[str]) -> Callable[[str], pl.Expr]:
    """An expression's ``column("Header")``: the file's column by exact alias, else null."""

    def column(header: str) -> pl.Expr:
        hit = match_headers({"": (header,)}, headers, fuzzy=False, threshold=100).get("")
        return pl.col(hit.header) if hit else pl.lit(None, dtype=pl.String)

    return column


def _resolver(compiled: CompiledRules) -> Callable[[str], Typed]:
    """An expression's field reference: the typed column, or a typed null when unmapped."""

    def resolve(ref: str) -> Typed:
        kind = FIELDS[ref].kind
        if ref in compiled.mapped:
            return Typed(pl.col(typed(ref)), kind)
        return Typed(pl.lit(None, dtype=polars_type(kind)), kind)

    return resolve


def _why(compiled: CompiledRules, name: str, kind: Kind, rule: FieldRule, shown: str) -> None:
    """Date field ``name`` reports why a cell is not a date, in the partner's terms."""
    why = compiled.why[name] = _flag("why", name)
    seen = compiled.naive if kind is Kind.DATETIME and not rule.parse.timezone else None
    compiled.why_layer.append(why_not(pl.col(typed(name)), pl.col(parsed_text(name)), kind,
                                      rule.parse, seen, name).alias(why))
    params = why_params(rule.parse, shown)
    compiled.flags.setdefault(name, []).extend((code, why, params) for code in WHY_CODES)


def _derived(rule: FieldRule, compiled: CompiledRules, resolve: Any, column: Any
             ) -> list[pl.Expr]:
    """Columns for one template or expression field."""
    if rule.template is not None:
        return _template(rule, compiled, resolve)
    return _expression(rule, compiled, resolve, column)


def _template(rule: FieldRule, compiled: CompiledRules, resolve: Any) -> list[pl.Expr]:
    """Columns for a ``template:`` field: other fields' values as text, joined."""
    name, kind = rule.name, FIELDS[rule.name].kind
    assert rule.template is not None
    parts: list[pl.Expr] = []
    for piece, ref, _, _ in string.Formatter().parse(rule.template):
        if piece:
            parts.append(pl.lit(piece))
        if ref:
            parts.append(to_text(resolve(ref).expr, FIELDS[ref].kind))
    text = pl.concat_str(parts) if parts else pl.lit("")
    compiled.mapped.add(name)
    # text built from parsed values is already clean: no second text parse
    value = text if kind is Kind.TEXT else parse(kind, text, rule.parse)
    return [text.alias(raw(name)), text.alias(parsed_text(name)), value.alias(typed(name)),
            pl.lit(False).alias(unmapped(name))]


def _expression(rule: FieldRule, compiled: CompiledRules, resolve: Any, column: Any
                ) -> list[pl.Expr]:
    """Columns for an ``expr:`` field (with its ``when:``), or its own cell rewritten."""
    name, kind = rule.name, FIELDS[rule.name].kind
    assert rule.expr is not None
    try:
        result = compile_expr(rule.expr, resolve, column)
        value = coerce(result, kind, rule)
        cond = None if rule.when is None else coerce(
            compile_expr(rule.when, resolve, column), Kind.BOOLEAN, rule).fill_null(False)
    except ExprError as exc:
        raise RuleError(str(exc), where=rule.where) from None
    if reads_cell(rule):
        if name not in compiled.mapped:
            return []  # its column is missing: reported as missing_column
        base = pl.col(typed(name))
        return [(value if cond is None else pl.when(cond).then(value).otherwise(base))
                .alias(typed(name))]
    if cond is not None:
        fallback = parse(kind, literal(rule.default), rule.parse) if rule.default is not None \
            else pl.lit(None, dtype=polars_type(kind))
        value = pl.when(cond).then(value).otherwise(fallback)
    compiled.mapped.add(name)
    text = pl.lit(None, dtype=pl.String)
    if kind in (Kind.DATE, Kind.DATETIME) and result.kind is Kind.TEXT:
        text = result.expr  # partner text read as a date (joined date and time columns)
        if cond is not None:
            text = pl.when(cond).then(text)
        _why(compiled, name, kind, rule, " + ".join(expr_columns(rule.expr)) or name)
    return [text.alias(raw(name)), text.alias(parsed_text(name)),
            value.alias(typed(name)), pl.lit(False).alias(unmapped(name))]
