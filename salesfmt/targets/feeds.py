"""What a rule file feeds in a target: per target field, the rule field behind it, the
values it accepts and how a grouped target's records are formed (``salesfmt rules show --to``).
"""

from __future__ import annotations

from dataclasses import dataclass

from salesfmt.rules.model import FieldRule, RuleSet
from salesfmt.targets.spec import Target, TargetField

__all__ = ["Feed", "feeds", "unfed_required", "allowed_values", "record_lines"]


@dataclass(frozen=True)
class Feed:
    """One target field and the rule field (and partner columns) feeding it."""

    target: TargetField
    rule: FieldRule | None


def feeds(rules: RuleSet, target: Target) -> list[Feed]:
    """Every target field with the rule field that feeds it (None when nothing does)."""
    return [Feed(f, rules.fields.get(f.source)) for f in target.fields]


def unfed_required(rules: RuleSet, target: Target) -> list[TargetField]:
    """Required target fields the rule file maps nothing to (an up-front error in check)."""
    return [f for f in target.fields if f.required and f.constant is None
            and f.default is None and f.source not in rules.fields]


def allowed_values(f: TargetField) -> list[str]:
    """The values a target field accepts (its ``allowed`` check), empty when any."""
    return [str(v) for use in f.checks if use.code == "not_allowed"
            for v in use.params.get("allowed", ())]


def record_lines(target: Target) -> list[str]:
    """For a grouped target: what forms one record and which fields are sent once per
    record, split into those that must agree on every line and those taken from the
    record's first line (as the declaration's ``group`` and ``consistent`` say)."""
    group = target.group
    if group is None:
        return []
    by = tuple(group.by)
    agree = {n for d in target.cross if d.kind == "consistent" and tuple(d.keys) == by
             for n in d.fields}
    record = [n for n in group.record if n not in by]
    lines = [f"records: lines with the same {' + '.join(by)} form one record; the other "
             f"fields go into its {group.items!r} list"]
    must = [n for n in record if n in agree]
    warned = [n for n in record if n in group.first and n not in agree]
    first = [n for n in record if n not in agree and n not in group.first]
    if must:
        lines.append(f"  sent once per record, must agree on every line: {', '.join(must)}")
    if warned:
        lines.append("  sent once per record, from its first line (one warning per record "
                     f"counts the lines that differ): {', '.join(warned)}")
    if first:
        lines.append("  sent once per record, from its first line (other lines not "
                     f"compared): {', '.join(first)}")
    if group.same_sign:
        lines.append(f"  {group.same_sign}: one sign per record (a return is its own record)")
    return lines
