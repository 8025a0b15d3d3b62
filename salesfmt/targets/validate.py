"""Turn a target declaration into expressions over canonical columns: values, formatted
output text and one "is valid" column per check use. Problems are collected, never raised."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import polars as pl

from salesfmt.canonical import FIELDS, Kind
from salesfmt.checks import Check, get_check, render_message
from salesfmt.checks.countries import country_code
from salesfmt.checks.crossrow import LINE, CrossRowDecl, CrossRowSpec
from salesfmt.columns import ok, out, parsed_text, raw, typed, unmapped, value
from salesfmt.errors import TargetError
from salesfmt.problems import Severity
from salesfmt.rules.compiler import CompiledRules, hidden_inputs, to_text
from salesfmt.rules.expr import date_text
from salesfmt.rules.instants import local_date, wall_clock
from salesfmt.rules.parsers import parse
from salesfmt.targets._failures import Failures, known, names_of
from salesfmt.targets.safety import ESCAPED, formula_policy, sent_text
from salesfmt.targets.spec import TYPE_CHECK, CheckUse, Target, TargetField
from salesfmt.targets.times import UNIX, WHY_CODES, needs_instant, reported_code, zone_of

__all__ = ["CheckInstance", "TargetPlan", "plan_target", "value", "out", "ok", "known", "LINE",
           "UNIX", "message_expr", "value_expr", "sign_column", "csv_native", "needs_instant"]


@dataclass(frozen=True)
class CheckInstance:
    """One check on one target field, with everything its problems need."""

    index: int
    field: TargetField
    check: Check
    code: str
    severity: Severity
    params: dict[str, Any]
    template: str
    header: str | None
    letter: str | None
    order: int
    cross: CrossRowSpec | None = None
    label: str | None = None


@dataclass
class TargetPlan:
    """The compiled target: value and check expressions, and the up-front problems."""

    target: Target
    values: list[pl.Expr]
    outputs: list[pl.Expr]
    checks: list[CheckInstance]
    row_checks: list[pl.Expr]
    missing_columns: list[tuple[TargetField, tuple[str, ...]]]


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


def _output_text(f: TargetField) -> pl.Expr:
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


def plan_target(target: Target, compiled: CompiledRules, *, today: date) -> TargetPlan:
    """Check the rules can feed ``target`` and build its expressions.

    Raises TargetError before any row is read when a required field has no source at all.
    """
    unfed = [f for f in target.fields
             if f.required and f.constant is None and f.default is None
             and f.source not in compiled.mapped and f.source not in compiled.missing]
    if unfed:
        names = ", ".join(f"{f.name} (canonical {f.source})" for f in unfed)
        raise TargetError(f"rules {compiled.rules.name!r} map nothing to required field(s) "
                          f"{names}; add them to the rule file's fields")
    values, outputs, checks, row_checks = [], [], [], []
    missing = []
    policy = formula_policy(target, compiled.rules.formulas)
    order = 0
    # canonical fields the target does not output but that feed one it does: checked too
    hidden = [TargetField(n, n, FIELDS[n].kind, False, tuple(
        CheckUse(TYPE_CHECK[FIELDS[n].kind], {}, Severity.ERROR)
        for _ in [0] if FIELDS[n].kind in TYPE_CHECK))
        for n in hidden_inputs(compiled, {f.source for f in target.fields})]
    base = {f.name: _base_value(f, compiled) for f in [*target.fields, *hidden]}
    failures = Failures(compiled, base, {f.name: f for f in target.fields}, value)
    roots = {*TYPE_CHECK.values(), "unmapped_value"}
    for f in [*target.fields, *hidden]:
        v, r = base[f.name]
        if f.normalize == "country":
            v = country_code(v)
        given = v  # before the default: a cell that did not parse is reported, not replaced
        if f.default is not None:
            v = pl.coalesce(v, _default(f, base, target))
        if f.source in compiled.missing:
            missing.append((f, compiled.missing[f.source]))
        values.append(v.alias(value(f.name)))
        header, letter = compiled.sources.get(f.source, (None, None))
        uses = list(f.checks)
        if f.kind is Kind.TEXT and target.options.get("line_breaks") == "space":
            uses.append(CheckUse("line_break", {}, Severity.WARNING))
        if f.source in compiled.strict_maps:
            uses.insert(0, CheckUse("unmapped_value", {}, Severity.ERROR))
        for code, flag, extra in reversed(compiled.flags.get(f.source, ())):  # rule-raised
            uses.insert(0, CheckUse(code, {"flag": flag, **extra}, get_check(code).severity))
        lost = next((flag for code, flag, _ in compiled.flags.get(f.source, ())
                     if code == "precision_lost"), None)
        for use in uses:
            check = get_check(use.code)
            params = dict(use.params)
            if use.code == "future_date":
                params.setdefault("today", today)
            severity, template = use.severity, use.message or target.message_for(use.code)
            if use.code == "formula_like" and policy != "reject":
                severity = Severity.WARNING
                template = ESCAPED if policy == "escape" else template
            code = use.code_as or reported_code(target, f, use.code)
            if use.code == "not_a_date" and code != use.code:  # the server's code leads
                template = f"{code}: {template}"
            inst = CheckInstance(
                index=len(checks), field=f, check=check, code=code, severity=severity,
                params=params, template=template, header=header, letter=letter, order=order,
            )
            order += 1
            checks.append(inst)
            if check.cross_row:
                checks[-1] = _with_cross(inst, CrossRowSpec("unique", (value(f.name),)))
                continue
            if check.fn is None:
                continue
            fn_params = {k: v for k, v in params.items() if k != "today"}
            if use.code == "future_date":
                fn_params["today"] = today
            if use.code == "unmapped_value":
                fn_params["flag"] = pl.col(unmapped(f.source))
            if "fields" in fn_params:
                others = fn_params["fields"]
                fn_params["fields"] = _other_fields(target, others, f)
            subject = given if use.code in _PARSE_CHECKS else pl.col(value(f.name))
            valid = check.fn(subject, r, **fn_params)
            if f.source in compiled.strict_maps and use.code != "unmapped_value":
                valid = valid | pl.col(unmapped(f.source))  # an unknown value is reported once
            if f.source in compiled.why and use.code not in WHY_CODES:
                valid = valid | pl.col(compiled.why[f.source]).is_not_null()  # said once
            if lost is not None and use.code != "precision_lost":
                valid = valid | pl.col(lost)  # a number that cannot be kept: reported once
            if use.code not in roots and "flag" not in params:  # not on a value that failed
                valid = failures.unless_failed(valid, f, others if "fields" in params else None)
            row_checks.append(valid.fill_null(True).alias(ok(inst.index)))
        if f in target.fields:  # hidden inputs are not sent: their text only in messages
            mine = {c.check.code: ok(c.index) for c in checks if c.field is f}
            outputs.append(sent_text(f, _output_text(f), mine, policy).alias(out(f.name)))
    for decl in target.cross:
        by_name = {f.name: f for f in target.fields}
        _add_cross(checks, target, decl, [by_name[k] for k in decl.keys],
                   [by_name[k] for k in decl.fields], compiled, value)
    if target.group is not None and target.group.same_sign:
        outputs.append(_sign(target.group.same_sign))
        _add_same_sign(checks, target, compiled)
        row_checks.append(pl.col(value(target.group.same_sign)).is_not_null()
                          .alias(known(sign_column(target.group.same_sign))))
    fed = {}
    for f in target.fields:
        fed.setdefault(f.source, f)
    for decl in compiled.cross:
        names = (*decl.keys, *decl.fields)
        if any(n in compiled.missing for n in names):
            continue  # a column it needs is missing: that is reported (missing_column)
        unfed = [n for n in names if n not in compiled.mapped]
        if unfed:
            raise TargetError(f"rules {compiled.rules.name!r}: cross-row rule names field(s) "
                              f"with no source: {', '.join(unfed)}")
        _add_cross(checks, target, decl, [_Canon(n, fed.get(n)) for n in decl.keys],
                   [_Canon(n, fed.get(n)) for n in decl.fields], compiled, typed)
    row_checks += failures.known_masks(checks)  # known values of the cross-row checks' fields
    overrides = compiled.rules.severity  # a rule file may up- or downgrade a check code
    checks = [replace(c, severity=_severity(c, overrides)) for c in checks]
    return TargetPlan(target, values, outputs, _by_record(checks, target), row_checks, missing)


_PARSE_CHECKS = frozenset(TYPE_CHECK.values()) | frozenset(WHY_CODES)  # dates: their why


def _severity(c: CheckInstance, overrides: dict[str, Severity]) -> Severity:
    """A rule file's override, except that a cell of a required field that did not parse
    stays an error (unless a default fills it): the line would go out with the field empty
    (one message, not a second ``required`` one)."""
    level = overrides.get(c.check.code, c.severity)
    f = c.field
    if f.required and f.default is None and c.check.code in _PARSE_CHECKS and c.cross is None:
        return Severity.ERROR
    return level


def _by_record(checks: list[CheckInstance], target: Target) -> list[CheckInstance]:
    """Consistency checks keyed on a grouped target's record key use the record's line
    instead: the same groups (lines with an empty key are records of their own), but an
    integer key, joined far faster than text ids. They compare the values as sent, which
    the message then shows."""
    if target.group is None:
        return checks
    keys = tuple(value(k) for k in target.group.by)
    sent = {value(f.name): out(f.name) for f in target.fields}  # compare what is sent
    return [_with_cross(c, replace(c.cross, keys=(LINE,),
                                   value=sent.get(c.cross.value, c.cross.value)), c.label)
            if c.cross is not None and c.cross.kind != "unique" and c.cross.keys == keys
            else c for c in checks]


@dataclass(frozen=True)
class _Canon:
    """A canonical field named by a rule file's cross-row rule, with the target field it feeds."""

    name: str
    fed: TargetField | None

    @property
    def label(self) -> str:
        return self.fed.name if self.fed else self.name

    @property
    def source(self) -> str:
        return self.name


def _with_cross(inst: CheckInstance, spec: CrossRowSpec, label: str | None = None
                ) -> CheckInstance:
    return replace(inst, cross=spec, label=label)


def _add_cross(checks: list[CheckInstance], target: Target, decl: CrossRowDecl,
               keys: list[Any], fields: list[Any], compiled: CompiledRules, column: Any) -> None:
    """Check instances for one declared cross-row rule (target or rule file)."""

    def label(x: Any) -> str:
        return x.label if isinstance(x, _Canon) else x.name

    def field_of(x: Any) -> TargetField:
        if isinstance(x, _Canon):
            return x.fed or TargetField(x.name, x.name, FIELDS[x.name].kind, False, ())
        return x

    key_cols = tuple(column(x.name) for x in keys)
    group = " + ".join(label(k) for k in keys)
    code = {"unique": "duplicate", "consistent": "inconsistent",
            "first": "first_line_value"}[decl.kind]
    if decl.kind == "consistent" and target.group is not None \
            and tuple(label(k) for k in keys) == target.group.by:  # a record's own fields
        code = "record_differs"
    check = get_check(code)
    grouped = decl.kind != "unique"
    noun = target.group.noun if target.group is not None else "group"
    for subject in (fields if grouped else [keys[0]]):
        f = field_of(subject)
        source = subject.source if isinstance(subject, _Canon) else f.source
        header, letter = compiled.sources.get(source, (None, None))
        col = column(subject.name)
        spec = CrossRowSpec(decl.kind, key_cols, col if grouped else None,
                            known(col) if grouped else None)
        checks.append(CheckInstance(
            index=len(checks), field=f, check=check, code=target.code_for(code),
            severity=decl.severity or check.severity,
            params={"group": group, "record": noun} if grouped else {},
            template=target.message_for(code), header=header, letter=letter,
            order=10_000 + len(checks), cross=spec,
            label=label(subject) if grouped else group))


def _literal(f: TargetField, x: Any) -> pl.Expr:
    text = pl.lit(str(x).lower() if isinstance(x, bool) else str(x), dtype=pl.String)
    return text if f.kind is Kind.TEXT else parse(f.kind, text)


def _base_value(f: TargetField, compiled: CompiledRules) -> tuple[pl.Expr, pl.Expr]:
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


def _default(f: TargetField, base: dict[str, tuple[pl.Expr, pl.Expr]],
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


def _other_fields(target: Target, names: Any, f: TargetField) -> list[pl.Expr]:
    """A check's ``fields:`` parameter (other target fields of the line) as value columns."""
    fields = {x.name for x in target.fields}
    names = names_of(names)
    for name in names:
        if name not in fields:
            raise TargetError(f"check on {f.name!r} names unknown field {name!r}",
                              where=str(target.path or target.name))
    return [pl.col(value(n)) for n in names]


def sign_column(name: str) -> str:
    """Frame column: 'sold' or 'returned' after the sign of target field ``name``."""
    return f"s:{name}"


def _sign(name: str) -> pl.Expr:
    v = pl.col(value(name))
    return (pl.when(v < 0).then(pl.lit("returned")).when(v.is_not_null()).then(pl.lit("sold"))
            .alias(sign_column(name)))


def _add_same_sign(checks: list[CheckInstance], target: Target,
                   compiled: CompiledRules) -> None:
    """The group's ``same_sign`` field: sold and returned lines never share one record."""
    assert target.group is not None and target.group.same_sign
    f = next(x for x in target.fields if x.name == target.group.same_sign)
    key = next(x for x in target.fields if x.name == target.group.by[0])
    check = get_check("mixed_return")
    header, letter = compiled.sources.get(key.source, (None, None))
    checks.append(CheckInstance(
        index=len(checks), field=key, check=check, code=target.code_for(check.code),
        severity=check.severity, params={}, template=target.message_for(check.code),
        header=header, letter=letter, order=10_000 + len(checks),
        cross=CrossRowSpec("consistent", tuple(value(k) for k in target.group.by),
                           sign_column(f.name), known(sign_column(f.name)))))


def value_expr(inst: CheckInstance, compiled: CompiledRules) -> pl.Expr:
    """The cell text a problem shows: the partner's raw value, else the converted value."""
    if inst.field.source in compiled.mapped:  # (evaluated on the failing rows only)
        return pl.coalesce(pl.col(raw(inst.field.source)), _output_text(inst.field))
    return pl.lit(None, dtype=pl.String)


def message_expr(inst: CheckInstance, value_text: pl.Expr,
                 extra: dict[str, pl.Expr] | None = None) -> pl.Expr:
    """The problem message for rows failing ``inst``, in the target's wording."""
    static: dict[str, object] = {"column": inst.label or inst.field.name}
    for k, v in inst.params.items():
        static[k] = ", ".join(map(str, v)) if isinstance(v, list | tuple) else v
    details = inst.check.details(pl.col(value(inst.field.name))) if inst.check.details else {}
    return render_message(inst.template, static,
                          {"value": value_text, **details, **(extra or {})})
