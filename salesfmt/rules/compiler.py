"""Compile a RuleSet against a file's headers into polars expressions (no per-row Python).

For every canonical field ``f`` the compiled layers produce ``c:f`` (typed value),
``r:f`` (the partner's cell text, shown in messages), ``m:f`` (the text the parser got,
after value maps and defaults) and ``u:f`` (value not in a "must be mapped" map).
Derived fields (templates, expressions) follow in dependency order. Skip rules become one
boolean expression.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field, replace
from typing import Any

import polars as pl

from salesfmt._series import constant, fields, where
from salesfmt.canonical import FIELDS, Kind, polars_type
from salesfmt.checks import get_check, render_message
from salesfmt.checks.crossrow import CrossRowDecl
from salesfmt.columns import parsed_text, raw, typed, unmapped
from salesfmt.errors import RuleError
from salesfmt.problems import Severity, file_problem
from salesfmt.readers import Source
from salesfmt.rules.expr import ExprError, Typed, compile_expr, field_refs, to_text
from salesfmt.rules.headers import closest_headers, match_headers, normalize_header
from salesfmt.rules.instants import (
    WHY_CODES,
    ambiguous_date,
    expr_columns,
    local_date,
    settle_orders,
    why_not,
    why_params,
)
from salesfmt.rules.model import FieldRule, RuleSet, SkipRule
from salesfmt.rules.parsers import parse
from salesfmt.rules.precision import lost_digits
from salesfmt.rules.reading import header_scorer

__all__ = ["CompiledRules", "compile_rules", "header_scorer", "normalize_header", "typed",
           "raw", "parsed_text", "unmapped", "to_text", "derived_order", "hidden_inputs",
           "field_inputs"]


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


def _coerce(t: Typed, kind: Kind, rule: FieldRule) -> pl.Expr:
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


def _mapped(cell: pl.Expr, rule: FieldRule) -> tuple[pl.Expr, pl.Expr]:
    """Apply the value map: (text after mapping, flag of values the map did not know).

    One Python step per batch computes the text (polars does not share a UDF's result
    between uses, so the index is not referenced twice); blank cells stay as they are,
    unknown ones become the cell, the ``map_default`` or null after ``unmapped``."""
    assert rule.value_map is not None
    keys = list(rule.value_map)
    exact = {k: i for i, k in reversed(list(enumerate(keys)))}
    loose = {" ".join(k.split()).lower(): i for k, i in reversed(list(exact.items()))}
    values = pl.Series([None if v is None else _literal_text(v) for v in rule.value_map.values()],
                       dtype=pl.String)
    keep_cell = rule.unmapped not in ("default", "error")
    other = None if rule.unmapped == "error" or rule.map_default is None \
        else _literal_text(rule.map_default)

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


def _literal_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _literal(value: Any) -> pl.Expr:
    return pl.lit(None if value is None else _literal_text(value), dtype=pl.String)


def _template_refs(template: str) -> list[str]:
    return [f for _, f, _, _ in string.Formatter().parse(template) if f]


def _reads_cell(rule: FieldRule) -> bool:
    """Whether a field reads its own column. An expression that replaces the value outright
    (no ``when:``, never naming the field) does not: a column it inherited through
    ``extends`` is then neither required nor parsed."""
    if not rule.columns or rule.template is not None:
        return False
    if rule.expr is None:
        return True
    return rule.when is not None or rule.name in field_refs(rule.expr)


def _refs(rule: FieldRule) -> set[str]:
    if rule.template is not None:
        return set(_template_refs(rule.template))
    if rule.expr is None:
        return set()
    refs = field_refs(rule.expr) | (field_refs(rule.when) if rule.when else set())
    return refs - {"true", "false", "null", "True", "False", "None"} - (
        {rule.name} if _reads_cell(rule) else set())


def field_inputs(rules: RuleSet, name: str) -> set[str]:
    """The fields canonical field ``name`` is derived from (its template or expression)."""
    rule = rules.fields.get(name)
    return set() if rule is None else {r for r in _refs(rule) if r in rules.fields}


def hidden_inputs(compiled: CompiledRules, outputs: set[str]) -> list[str]:
    """Mapped fields a target does not output but that feed one it does (through expressions
    and templates), a skip condition or a cross-row rule: their cell problems count too."""
    rules = compiled.rules
    frontier = [n for n in outputs if n in rules.fields]
    for skip in rules.skip:
        frontier += [skip.field] if skip.field else []
        frontier += sorted(field_refs(skip.when) - {"true", "false", "null"}) if skip.when else []
    for decl in rules.cross:
        frontier += [*decl.keys, *decl.fields]
    needed: set[str] = set()
    while frontier:
        name = frontier.pop()
        if name in needed or name not in rules.fields:
            continue
        needed.add(name)
        frontier += sorted(_refs(rules.fields[name]))
    # a missing column is among them too: reported as missing_column, not left unnamed
    return sorted(n for n in needed - outputs if n in compiled.mapped or n in compiled.missing)


def derived_order(rules: RuleSet) -> list[list[str]]:
    """Derived fields grouped in layers: each layer reads only fields of earlier ones.

    RuleError when derived fields read each other in a cycle."""
    derived = {n: _refs(r) & {d for d, x in rules.fields.items() if x.derived}
               for n, r in rules.fields.items() if r.derived}
    layers: list[list[str]] = []
    done: set[str] = set()
    while len(done) < len(derived):
        ready = [n for n, deps in derived.items() if n not in done and deps <= done]
        if not ready:
            stuck = sorted(set(derived) - done)
            raise RuleError(f"derived fields read each other in a cycle: {', '.join(stuck)}",
                            where=rules.fields[stuck[0]].where or str(rules.path or rules.name))
        layers.append(ready)
        done |= set(ready)
    return layers


def _skip_expr(rule: SkipRule, headers: list[str], column: Any, resolve: Any) -> pl.Expr | None:
    if rule.when is not None:
        return _coerce(compile_expr(rule.when, resolve, column), Kind.BOOLEAN,
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
    """Resolve aliases against ``source``'s headers and build the expression layers."""
    headers = source.headers
    letters = dict(zip(headers, source.column_letters, strict=True))
    first: list[pl.Expr] = []
    parsed: list[pl.Expr] = []  # a second layer: parsers read the m: column computed once
    compiled = CompiledRules(rules=rules, layers=[first, parsed], skip=pl.lit(False),
                             cross=list(rules.cross))
    wanted = {n: r.columns for n, r in rules.fields.items() if r.columns}
    matches = match_headers(wanted, headers, fuzzy=rules.fuzzy, threshold=rules.threshold)
    orders = settle_orders(source, {  # the file's own day/month order, where the rule has none
        n: matches[n].header for n, r in rules.fields.items()
        if n in matches and FIELDS[n].kind in (Kind.DATE, Kind.DATETIME)
        and not r.parse.date_formats and not r.parse.date_order})
    for name, rule in rules.fields.items():
        kind = FIELDS[name].kind
        if name in orders:
            rule = replace(rule, parse=replace(rule.parse, date_order=orders[name]))
        if rule.template is not None or (rule.expr is not None and not _reads_cell(rule)):
            continue
        flag = pl.lit(False)
        if rule.columns:
            match = matches.get(name)
            if match is None:
                if rule.default is None:
                    compiled.missing[name] = rule.columns
                    near = closest_headers(rule.columns, headers)
                    compiled.hints[name] = {
                        "closest": ", ".join(f"'{h}' ({s:g})" for h, s in near) or "none",
                        "headers": _listed(headers)}
                    continue
                shown = text = _literal(rule.default)
            else:
                if match.score < 100:
                    compiled.problems.append(_fuzzy_problem(
                        name, match.header, match.alias, match.score, letters[match.header],
                        source.sheet, rules.severity.get("fuzzy_header", Severity.WARNING)))
                compiled.sources[name] = (match.header, letters[match.header])
                shown = text = pl.col(match.header)
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
        if kind in (Kind.DATE, Kind.DATETIME) and rule.columns:
            amb = ambiguous_date(pl.col(parsed_text(name)), rule.parse)
            if amb is not None:
                parsed.append(amb.alias(_flag("ambiguous_date", name)))
                compiled.flags.setdefault(name, []).append(
                    ("ambiguous_date", _flag("ambiguous_date", name), {}))
            shown = compiled.sources[name][0] if name in compiled.sources else name
            _why(compiled, name, kind, rule, shown)
        if kind in (Kind.INTEGER, Kind.DECIMAL) and rule.columns:  # never rounded silently
            parsed.append(lost_digits(pl.col(parsed_text(name)), rule.parse)
                          .alias(_flag("precision_lost", name)))
            compiled.flags.setdefault(name, []).append(
                ("precision_lost", _flag("precision_lost", name), {}))

    def column(header: str) -> pl.Expr:
        hit = match_headers({"": (header,)}, headers, fuzzy=False, threshold=100).get("")
        return pl.col(hit.header) if hit else pl.lit(None, dtype=pl.String)

    def resolve(ref: str) -> Typed:
        kind = FIELDS[ref].kind
        if ref in compiled.mapped:
            return Typed(pl.col(typed(ref)), kind)
        return Typed(pl.lit(None, dtype=polars_type(kind)), kind)

    for names in derived_order(rules):
        layer = []
        for name in names:
            layer += _derived(rules.fields[name], compiled, resolve, column)
        compiled.layers.append(layer)
    compiled.layers.append(compiled.why_layer)  # why date cells did not parse: last
    on_columns, on_fields = [], []  # partner-column skips run before any parsing
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
    return compiled


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
    name, kind = rule.name, FIELDS[rule.name].kind
    if rule.template is not None:
        parts: list[pl.Expr] = []
        for literal, ref, _, _ in string.Formatter().parse(rule.template):
            if literal:
                parts.append(pl.lit(literal))
            if ref:
                parts.append(to_text(resolve(ref).expr, FIELDS[ref].kind))
        text = pl.concat_str(parts) if parts else pl.lit("")
        compiled.mapped.add(name)
        # text built from parsed values is already clean: no second text parse
        value = text if kind is Kind.TEXT else parse(kind, text, rule.parse)
        return [text.alias(raw(name)), text.alias(parsed_text(name)), value.alias(typed(name)),
                pl.lit(False).alias(unmapped(name))]
    assert rule.expr is not None
    try:
        result = compile_expr(rule.expr, resolve, column)
        value = _coerce(result, kind, rule)
        cond = None if rule.when is None else _coerce(
            compile_expr(rule.when, resolve, column), Kind.BOOLEAN, rule).fill_null(False)
    except ExprError as exc:
        raise RuleError(str(exc), where=rule.where) from None
    if _reads_cell(rule):
        if name not in compiled.mapped:
            return []  # its column is missing: reported as missing_column
        base = pl.col(typed(name))
        return [(value if cond is None else pl.when(cond).then(value).otherwise(base))
                .alias(typed(name))]
    if cond is not None:
        fallback = parse(kind, _literal(rule.default), rule.parse) if rule.default is not None \
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
