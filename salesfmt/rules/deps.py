"""How fields depend on each other: the fields a template or expression reads, the layers
derived fields are computed in, and the inputs a target's fields need."""

from __future__ import annotations

import string
from typing import TYPE_CHECKING

from salesfmt.errors import RuleError
from salesfmt.rules.expr import field_refs
from salesfmt.rules.model import FieldRule, RuleSet

if TYPE_CHECKING:
    from salesfmt.rules.compiler import CompiledRules

__all__ = ["reads_cell", "refs", "field_inputs", "hidden_inputs", "derived_order"]


def _template_refs(template: str) -> list[str]:
    return [f for _, f, _, _ in string.Formatter().parse(template) if f]


def reads_cell(rule: FieldRule) -> bool:
    """Whether a field reads its own column. An expression that replaces the value outright
    (no ``when:``, never naming the field) does not: a column it inherited through
    ``extends`` is then neither required nor parsed."""
    if not rule.columns or rule.template is not None:
        return False
    if rule.expr is None:
        return True
    return rule.when is not None or rule.name in field_refs(rule.expr)


def refs(rule: FieldRule) -> set[str]:
    """The fields a template or expression field reads (its own cell aside)."""
    if rule.template is not None:
        return set(_template_refs(rule.template))
    if rule.expr is None:
        return set()
    refs = field_refs(rule.expr) | (field_refs(rule.when) if rule.when else set())
    return refs - {"true", "false", "null", "True", "False", "None"} - (
        {rule.name} if reads_cell(rule) else set())


def field_inputs(rules: RuleSet, name: str) -> set[str]:
    """The fields canonical field ``name`` is derived from (its template or expression)."""
    rule = rules.fields.get(name)
    return set() if rule is None else {r for r in refs(rule) if r in rules.fields}


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
        frontier += sorted(refs(rules.fields[name]))
    # a missing column is among them too: reported as missing_column, not left unnamed
    return sorted(n for n in needed - outputs if n in compiled.mapped or n in compiled.missing)


def derived_order(rules: RuleSet) -> list[list[str]]:
    """Derived fields grouped in layers: each layer reads only fields of earlier ones.

    RuleError when derived fields read each other in a cycle."""
    derived = {n: refs(r) & {d for d, x in rules.fields.items() if x.derived}
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
