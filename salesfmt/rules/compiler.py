"""Compile a RuleSet against a file's headers into polars expressions (no per-row Python).

For every canonical field ``f`` the compiled layers produce ``c:f`` (typed value),
``r:f`` (the partner's cell text, shown in messages), ``m:f`` (the text the parser got,
after value maps and defaults) and ``u:f`` (value not in a "must be mapped" map).
Skip rules become one boolean expression.
"""

from __future__ import annotations

import string
import unicodedata
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from salesfmt.canonical import FIELDS, Kind
from salesfmt.checks.crossrow import CrossRowDecl
from salesfmt.errors import RuleError
from salesfmt.readers import HeaderScorer, Source
from salesfmt.rules.model import FieldRule, RuleSet, SkipRule
from salesfmt.rules.parsers import parse

__all__ = ["CompiledRules", "compile_rules", "header_scorer", "normalize_header", "typed",
           "raw", "parsed_text", "unmapped", "to_text"]


def typed(name: str) -> str:
    """Frame column holding canonical field ``name``'s typed value."""
    return f"c:{name}"


def raw(name: str) -> str:
    """Frame column holding canonical field ``name``'s source text."""
    return f"r:{name}"


def parsed_text(name: str) -> str:
    """Frame column holding the text canonical field ``name`` was parsed from."""
    return f"m:{name}"


def unmapped(name: str) -> str:
    """Frame column flagging values a strict value map did not know."""
    return f"u:{name}"


def normalize_header(text: str | None) -> str:
    """Header text for matching: accents, case, spaces and punctuation removed."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    return "".join(ch for ch in decomposed.casefold() if ch.isalnum())


def header_scorer(rules: RuleSet) -> HeaderScorer:
    """Scores a candidate header row by how many of the rule's aliases it contains."""
    aliases = {normalize_header(a) for f in rules.fields.values() for a in f.columns}
    aliases |= {normalize_header(s.column) for s in rules.skip if s.column}
    aliases.discard("")

    def score(cells: list[str]) -> float:
        return float(len({normalize_header(c) for c in cells} & aliases))

    return score


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


def to_text(expr: pl.Expr, kind: Kind) -> pl.Expr:
    """A canonical value as text (templates, messages): plain decimals, ISO dates."""
    if kind is Kind.DECIMAL:
        return expr.cast(pl.String).str.replace(r"\.?0+$", "")
    if kind is Kind.DATE:
        return expr.dt.strftime("%Y-%m-%d")
    if kind is Kind.DATETIME:
        return expr.dt.strftime("%Y-%m-%dT%H:%M:%S")
    if kind is Kind.BOOLEAN:
        return pl.when(expr).then(pl.lit("true")).when(~expr).then(pl.lit("false"))
    return expr.cast(pl.String)


def _find_header(aliases: tuple[str, ...], headers: list[str]) -> str | None:
    normalized = {}
    for h in headers:
        normalized.setdefault(normalize_header(h), h)
    for alias in aliases:
        hit = normalized.get(normalize_header(alias))
        if hit is not None:
            return hit
    return None


def _mapped(cell: pl.Expr, rule: FieldRule) -> tuple[pl.Expr, pl.Expr]:
    """Apply the value map: (text after mapping, flag of values the map did not know)."""
    assert rule.value_map is not None
    keys = [k.strip().casefold() for k in rule.value_map]
    values = [None if v is None else str(v) for v in rule.value_map.values()]
    key = cell.str.strip_chars().str.to_lowercase()
    hit = key.is_in(keys)
    mapped = key.replace_strict(keys, values, default=None, return_dtype=pl.String)
    if rule.unmapped == "default":
        other = pl.lit(None if rule.map_default is None else str(rule.map_default), pl.String)
    elif rule.unmapped == "error":
        other = pl.lit(None, pl.String)  # reported once, as unmapped_value
    else:
        other = cell
    flag = cell.is_not_null() & ~hit if rule.unmapped == "error" else pl.lit(False)
    return pl.when(hit).then(mapped).otherwise(other), flag


def _literal(value: Any) -> pl.Expr:
    if isinstance(value, bool):
        value = "true" if value else "false"
    return pl.lit(None if value is None else str(value), dtype=pl.String)


def _template_refs(template: str, where: str) -> list[str]:
    refs = [f for _, f, _, _ in string.Formatter().parse(template) if f]
    for ref in refs:
        if ref not in FIELDS:
            raise RuleError(f"template refers to unknown field {{{ref}}}", where=where)
    return refs


def _order_templates(templates: dict[str, list[str]], where: str) -> list[str]:
    order: list[str] = []
    state: dict[str, int] = {}

    def visit(name: str) -> None:
        if state.get(name) == 2:
            return
        if state.get(name) == 1:
            raise RuleError(f"template fields refer to each other in a cycle through {name!r}",
                            where=where)
        state[name] = 1
        for ref in templates.get(name, []):
            if ref in templates:
                visit(ref)
        state[name] = 2
        order.append(name)

    for name in templates:
        visit(name)
    return order


def _skip_expr(rule: SkipRule, headers: list[str]) -> pl.Expr | None:
    if rule.column is not None:
        header = _find_header((rule.column,), headers)
        if header is None:
            return None
        cell = pl.col(header)
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


def compile_rules(rules: RuleSet, source: Source) -> CompiledRules:
    """Resolve aliases against ``source``'s headers and build the expression layers."""
    where = str(rules.path or rules.name)
    headers = source.headers
    letters = dict(zip(headers, source.column_letters, strict=True))
    first: list[pl.Expr] = []
    parsed: list[pl.Expr] = []  # a second layer: parsers read the m: column computed once
    compiled = CompiledRules(rules=rules, layers=[first, parsed], skip=pl.lit(False))
    templates: dict[str, list[str]] = {}
    for name, rule in rules.fields.items():
        kind = FIELDS[name].kind
        if rule.template is not None:
            templates[name] = _template_refs(rule.template, f"{where}: fields.{name}")
            continue
        flag = pl.lit(False)
        if rule.columns:
            header = _find_header(rule.columns, headers)
            if header is None:
                if rule.default is None:
                    compiled.missing[name] = rule.columns
                    continue
                shown = text = _literal(rule.default)
            else:
                compiled.sources[name] = (header, letters[header])
                shown = text = pl.col(header)
                if rule.value_map is not None:
                    text, flag = _mapped(text, rule)
                    if rule.unmapped == "error":
                        compiled.strict_maps.add(name)
                if rule.default is not None:
                    blank = shown.is_null() | (shown.str.strip_chars() == "")
                    text = pl.when(blank).then(_literal(rule.default)).otherwise(text)
        elif rule.constant is not None:
            shown = text = _literal(rule.constant)
        elif rule.default is not None:
            shown = text = _literal(rule.default)
        else:
            continue
        compiled.mapped.add(name)
        first += [shown.alias(raw(name)), text.alias(parsed_text(name)), flag.alias(unmapped(name))]
        parsed.append(parse(kind, pl.col(parsed_text(name)), rule.parse).alias(typed(name)))
    for name in _order_templates(templates, where):
        template = rules.fields[name].template
        parts: list[pl.Expr | str] = []
        for literal, ref, _, _ in string.Formatter().parse(template):
            if literal:
                parts.append(pl.lit(literal))
            if ref:
                if ref in compiled.mapped:
                    parts.append(to_text(pl.col(typed(ref)), FIELDS[ref].kind))
                else:
                    parts.append(pl.lit(None, dtype=pl.String))
        text = pl.concat_str(parts) if parts else pl.lit("")
        kind = FIELDS[name].kind
        compiled.layers.append([
            text.alias(raw(name)),
            text.alias(parsed_text(name)),
            parse(kind, text, rules.fields[name].parse).alias(typed(name)),
            pl.lit(False).alias(unmapped(name)),
        ])
        compiled.mapped.add(name)
    on_columns = [e for s in rules.skip if s.column and (e := _skip_expr(s, headers)) is not None]
    on_fields = [e for s in rules.skip if s.field and (e := _skip_expr(s, headers)) is not None]
    compiled.skip = pl.any_horizontal([blank_rows(headers), *on_columns])
    compiled.skip_fields = pl.any_horizontal(on_fields) if on_fields else None
    return compiled


def blank_rows(headers: list[str]) -> pl.Expr:
    """True for rows whose cells are all empty or whitespace.

    Checks one column at a time over the rows not yet known to hold text, so a normal
    file costs about one pass over its first column.
    """

    def mask(cells: pl.Series) -> pl.Series:
        todo = pl.int_range(len(cells), dtype=pl.UInt32, eager=True)
        for h in headers:
            col = cells.struct.field(h).gather(todo)
            todo = todo.filter(~col.str.contains(r"\S").fill_null(False))
            if todo.len() == 0:
                break
        return pl.repeat(False, len(cells), eager=True).scatter(todo, True)

    return pl.struct(headers).map_batches(mask, return_dtype=pl.Boolean, is_elementwise=True)
