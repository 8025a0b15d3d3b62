"""Cross-row check instances of a target plan: declared ``unique``/``consistent``/``first``
rules (the target's and the rule file's), a grouped record's one sign, and consistency
checks keyed on a record's line."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import polars as pl

from salesfmt.canonical import FIELDS
from salesfmt.checks import get_check
from salesfmt.checks.crossrow import CrossRowDecl, CrossRowSpec
from salesfmt.columns import LINE, out, value
from salesfmt.rules.compiler import CompiledRules
from salesfmt.targets._failures import known
from salesfmt.targets.instances import CheckInstance, with_cross
from salesfmt.targets.spec import Target, TargetField

__all__ = ["Canon", "add_cross", "add_same_sign", "by_record", "sign", "sign_column"]


@dataclass(frozen=True)
class Canon:
    """A canonical field named by a rule file's cross-row rule, with the target field it feeds."""

    name: str
    fed: TargetField | None

    @property
    def label(self) -> str:
        return self.fed.name if self.fed else self.name

    @property
    def source(self) -> str:
        return self.name


def add_cross(checks: list[CheckInstance], target: Target, decl: CrossRowDecl,
               keys: list[Any], fields: list[Any], compiled: CompiledRules, column: Any) -> None:
    """Check instances for one declared cross-row rule (target or rule file)."""

    def label(x: Any) -> str:
        return x.label if isinstance(x, Canon) else x.name

    def field_of(x: Any) -> TargetField:
        if isinstance(x, Canon):
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
        source = subject.source if isinstance(subject, Canon) else f.source
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


def sign_column(name: str) -> str:
    """Frame column: 'sold' or 'returned' after the sign of target field ``name``."""
    return f"s:{name}"


def sign(name: str) -> pl.Expr:
    v = pl.col(value(name))
    return (pl.when(v < 0).then(pl.lit("returned")).when(v.is_not_null()).then(pl.lit("sold"))
            .alias(sign_column(name)))


def add_same_sign(checks: list[CheckInstance], target: Target,
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


def by_record(checks: list[CheckInstance], target: Target) -> list[CheckInstance]:
    """Consistency checks keyed on a grouped target's record key use the record's line
    instead: the same groups (lines with an empty key are records of their own), but an
    integer key, joined far faster than text ids. They compare the values as sent, which
    the message then shows."""
    if target.group is None:
        return checks
    keys = tuple(value(k) for k in target.group.by)
    sent = {value(f.name): out(f.name) for f in target.fields}  # compare what is sent
    return [with_cross(c, replace(c.cross, keys=(LINE,),
                                   value=sent.get(c.cross.value, c.cross.value)), c.label)
            if c.cross is not None and c.cross.kind != "unique" and c.cross.keys == keys
            else c for c in checks]
