"""Turn a target declaration into expressions over canonical columns: values, formatted
output text and one "is valid" column per check use. Problems are collected, never raised.

The plan is built in named steps (:class:`_Planner`): each field's value, the check uses it
gets, one instance and one row check per use, then the cross-row checks. Values and output
text are ``targets.values``, instances ``targets.instances``, cross-row ``targets.crossplan``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import polars as pl

from salesfmt.canonical import FIELDS, Kind
from salesfmt.checks import get_check
from salesfmt.checks.countries import country_code
from salesfmt.checks.crossrow import LINE, CrossRowSpec
from salesfmt.columns import ok, out, typed, unmapped, value
from salesfmt.errors import TargetError
from salesfmt.problems import Severity
from salesfmt.rules.compiler import CompiledRules, hidden_inputs
from salesfmt.targets._failures import Failures, known, names_of
from salesfmt.targets.crossplan import Canon, add_cross, add_same_sign, by_record, sign, sign_column
from salesfmt.targets.instances import CheckInstance, message_expr, with_cross
from salesfmt.targets.safety import ESCAPED, formula_policy, sent_text
from salesfmt.targets.spec import TYPE_CHECK, CheckUse, Target, TargetField
from salesfmt.targets.times import UNIX, WHY_CODES, needs_instant, reported_code
from salesfmt.targets.values import base_value, csv_native, default_value, output_text, source_text

__all__ = ["CheckInstance", "TargetPlan", "plan_target", "value", "out", "ok", "known", "LINE",
           "UNIX", "message_expr", "value_expr", "sign_column", "csv_native", "needs_instant"]

#: checks that read the value as parsed (before a default) and that nothing else silences
_ROOTS = frozenset({*TYPE_CHECK.values(), "unmapped_value"})


@dataclass
class TargetPlan:
    """The compiled target: value and check expressions, and the up-front problems."""

    target: Target
    values: list[pl.Expr]
    outputs: list[pl.Expr]
    checks: list[CheckInstance]
    row_checks: list[pl.Expr]
    missing_columns: list[tuple[TargetField, tuple[str, ...]]]


def plan_target(target: Target, compiled: CompiledRules, *, today: date) -> TargetPlan:
    """Check the rules can feed ``target`` and build its expressions.

    Raises TargetError before any row is read when a required field has no source at all.
    """
    _refuse_unfed(target, compiled)
    planner = _Planner(target, compiled, today)
    for f in planner.fields:
        planner.add_field(f)
    planner.add_declared_cross()
    planner.add_same_sign()
    planner.add_rule_cross()
    return planner.plan()


def _refuse_unfed(target: Target, compiled: CompiledRules) -> None:
    """TargetError when a required field has no source, default or constant at all."""
    unfed = [f for f in target.fields
             if f.required and f.constant is None and f.default is None
             and f.source not in compiled.mapped and f.source not in compiled.missing]
    if unfed:
        names = ", ".join(f"{f.name} (canonical {f.source})" for f in unfed)
        raise TargetError(f"rules {compiled.rules.name!r} map nothing to required field(s) "
                          f"{names}; add them to the rule file's fields")


def _hidden_fields(compiled: CompiledRules, target: Target) -> list[TargetField]:
    """Canonical fields the target does not output but that feed one it does: checked too
    (their type check only)."""
    return [TargetField(n, n, FIELDS[n].kind, False, tuple(
        CheckUse(TYPE_CHECK[FIELDS[n].kind], {}, Severity.ERROR)
        for _ in [0] if FIELDS[n].kind in TYPE_CHECK))
        for n in hidden_inputs(compiled, {f.source for f in target.fields})]


@dataclass
class _Planner:
    """The plan under construction; each method is one step of :func:`plan_target`."""

    target: Target
    compiled: CompiledRules
    today: date
    values: list[pl.Expr] = field(default_factory=list)
    outputs: list[pl.Expr] = field(default_factory=list)
    checks: list[CheckInstance] = field(default_factory=list)
    row_checks: list[pl.Expr] = field(default_factory=list)
    missing: list[tuple[TargetField, tuple[str, ...]]] = field(default_factory=list)
    order: int = 0

    def __post_init__(self) -> None:
        self.fields = [*self.target.fields, *_hidden_fields(self.compiled, self.target)]
        self.base = {f.name: base_value(f, self.compiled) for f in self.fields}
        self.failures = Failures(self.compiled, self.base,
                                 {f.name: f for f in self.target.fields}, value)
        self.policy = formula_policy(self.target, self.compiled.rules.formulas)

    def add_field(self, f: TargetField) -> None:
        """Field ``f``'s value, one check instance (and row check) per use, its output text."""
        v, text = self.base[f.name]
        if f.normalize == "country":
            v = country_code(v)
        given = v  # before the default: a cell that did not parse is reported, not replaced
        if f.default is not None:
            v = pl.coalesce(v, default_value(f, self.base, self.target))
        if f.source in self.compiled.missing:
            self.missing.append((f, self.compiled.missing[f.source]))
        self.values.append(v.alias(value(f.name)))
        for use in self.uses(f):
            inst = self.instance(f, use)
            self.checks.append(inst)
            if inst.check.cross_row:
                self.checks[-1] = with_cross(inst, CrossRowSpec("unique", (value(f.name),)))
            elif inst.check.fn is not None:
                self.row_checks.append(self.row_check(inst, use, given, text))
        if f in self.target.fields:  # hidden inputs are not sent: their text only in messages
            mine = {c.check.code: ok(c.index) for c in self.checks if c.field is f}
            self.outputs.append(sent_text(f, output_text(f), mine, self.policy)
                                .alias(out(f.name)))

    def uses(self, f: TargetField) -> list[CheckUse]:
        """The checks on ``f``: its declared ones, and those the options and rules add."""
        uses = list(f.checks)
        if f.kind is Kind.TEXT and self.target.options.get("line_breaks") == "space":
            uses.append(CheckUse("line_break", {}, Severity.WARNING))
        if f.source in self.compiled.strict_maps:
            uses.insert(0, CheckUse("unmapped_value", {}, Severity.ERROR))
        for code, flag, extra in reversed(self.compiled.flags.get(f.source, ())):  # rule-raised
            uses.insert(0, CheckUse(code, {"flag": flag, **extra}, get_check(code).severity))
        return uses

    def instance(self, f: TargetField, use: CheckUse) -> CheckInstance:
        """One use of a check on ``f``: its code, severity and wording in this target."""
        target = self.target
        params = dict(use.params)
        if use.code == "future_date":
            params.setdefault("today", self.today)
        severity, template = use.severity, use.message or target.message_for(use.code)
        if use.code == "formula_like" and self.policy != "reject":
            severity = Severity.WARNING
            template = ESCAPED if self.policy == "escape" else template
        code = use.code_as or reported_code(target, f, use.code)
        if use.code == "not_a_date" and code != use.code:  # the server's code leads
            template = f"{code}: {template}"
        header, letter = self.compiled.sources.get(f.source, (None, None))
        self.order += 1
        return CheckInstance(index=len(self.checks), field=f, check=get_check(use.code),
                             code=code, severity=severity, params=params, template=template,
                             header=header, letter=letter, order=self.order - 1)

    def row_check(self, inst: CheckInstance, use: CheckUse, given: pl.Expr,
                  text: pl.Expr) -> pl.Expr:
        """The ``ok:`` column of a row check: valid, or silenced where one root cause of
        the same cell is reported already."""
        f, params, compiled = inst.field, inst.params, self.compiled
        fn_params = self.fn_params(inst, use)
        subject = given if use.code in _PARSE_CHECKS else pl.col(value(f.name))
        valid = inst.check.fn(subject, text, **fn_params)  # type: ignore[misc]
        if f.source in compiled.strict_maps and use.code != "unmapped_value":
            valid = valid | pl.col(unmapped(f.source))  # an unknown value is reported once
        if f.source in compiled.why and use.code not in WHY_CODES:
            valid = valid | pl.col(compiled.why[f.source]).is_not_null()  # said once
        lost = _lost_flag(compiled, f)
        if lost is not None and use.code != "precision_lost":
            valid = valid | pl.col(lost)  # a number that cannot be kept: reported once
        if use.code not in _ROOTS and "flag" not in params:  # not on a value that failed
            valid = self.failures.unless_failed(valid, f, params.get("fields"))
        return valid.fill_null(True).alias(ok(inst.index))

    def fn_params(self, inst: CheckInstance, use: CheckUse) -> dict[str, Any]:
        """The check function's keyword arguments for this use."""
        fn_params = {k: v for k, v in inst.params.items() if k != "today"}
        if use.code == "future_date":
            fn_params["today"] = self.today
        if use.code == "unmapped_value":
            fn_params["flag"] = pl.col(unmapped(inst.field.source))
        if "fields" in fn_params:
            fn_params["fields"] = _other_fields(self.target, fn_params["fields"], inst.field)
        return fn_params

    def add_declared_cross(self) -> None:
        """The target's own ``unique:``/``consistent:`` declarations."""
        by_name = {f.name: f for f in self.target.fields}
        for decl in self.target.cross:
            add_cross(self.checks, self.target, decl, [by_name[k] for k in decl.keys],
                      [by_name[k] for k in decl.fields], self.compiled, value)

    def add_same_sign(self) -> None:
        """A grouped target's ``same_sign``: sold and returned lines never share a record."""
        group = self.target.group
        if group is not None and group.same_sign:
            self.outputs.append(sign(group.same_sign))
            add_same_sign(self.checks, self.target, self.compiled)
            self.row_checks.append(pl.col(value(group.same_sign)).is_not_null()
                                   .alias(known(sign_column(group.same_sign))))

    def add_rule_cross(self) -> None:
        """The rule file's cross-row rules, over canonical columns."""
        compiled = self.compiled
        fed: dict[str, TargetField] = {}
        for f in self.target.fields:
            fed.setdefault(f.source, f)
        for decl in compiled.cross:
            names = (*decl.keys, *decl.fields)
            if any(n in compiled.missing for n in names):
                continue  # a column it needs is missing: that is reported (missing_column)
            unfed = [n for n in names if n not in compiled.mapped]
            if unfed:
                raise TargetError(f"rules {compiled.rules.name!r}: cross-row rule names "
                                  f"field(s) with no source: {', '.join(unfed)}")
            add_cross(self.checks, self.target, decl, [Canon(n, fed.get(n)) for n in decl.keys],
                      [Canon(n, fed.get(n)) for n in decl.fields], compiled, typed)

    def plan(self) -> TargetPlan:
        """The finished plan: known-value masks added, the rule file's severities applied."""
        row_checks = [*self.row_checks, *self.failures.known_masks(self.checks)]
        overrides = self.compiled.rules.severity  # a rule file may up- or downgrade a code
        checks = [replace(c, severity=_severity(c, overrides)) for c in self.checks]
        return TargetPlan(self.target, self.values, self.outputs,
                          by_record(checks, self.target), row_checks, self.missing)


def _lost_flag(compiled: CompiledRules, f: TargetField) -> str | None:
    """The rule's ``precision_lost`` flag column for ``f``'s source, if it raises one."""
    return next((flag for code, flag, _ in compiled.flags.get(f.source, ())
                 if code == "precision_lost"), None)


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


def _other_fields(target: Target, names: Any, f: TargetField) -> list[pl.Expr]:
    """A check's ``fields:`` parameter (other target fields of the line) as value columns."""
    fields = {x.name for x in target.fields}
    names = names_of(names)
    for name in names:
        if name not in fields:
            raise TargetError(f"check on {f.name!r} names unknown field {name!r}",
                              where=str(target.path or target.name))
    return [pl.col(value(n)) for n in names]


def value_expr(inst: CheckInstance, compiled: CompiledRules) -> pl.Expr:
    """The cell text a problem shows: the partner's raw value, else the converted value."""
    return source_text(inst.field, compiled)
