"""Explain a rule file: its effective mapping after ``extends`` and what it feeds in a target.

Used by ``salesfmt rules show``; works from the declarations alone (a partner file, when
given, adds the header each field's aliases resolved to). What a rule file feeds in a
target is ``salesfmt.targets.feeds`` (targets build on rules, never the other way).
"""

from __future__ import annotations

from pathlib import Path

from salesfmt.readers import open_source
from salesfmt.rules.compiler import compile_rules
from salesfmt.rules.model import FieldRule, RuleSet
from salesfmt.rules.parsers import ParseOptions
from salesfmt.rules.reading import header_scorer, read_options

__all__ = ["source_text", "describe", "resolved_headers"]


def source_text(rule: FieldRule) -> str:
    """Where a field's value comes from, in one line."""
    parts = []
    if rule.columns:
        parts.append("column " + " | ".join(repr(c) for c in rule.columns))
    if rule.constant is not None:
        parts.append(f"constant {rule.constant!r}")
    if rule.template is not None:
        parts.append(f"template {rule.template!r}")
    if rule.value_map:
        parts.append(f"map of {len(rule.value_map)} (unmapped: {rule.unmapped}"
                     + (f" → {rule.map_default!r}" if rule.unmapped == "default" else "") + ")")
    if rule.expr is not None:
        parts.append(f"expr {rule.expr!r}" + (f" when {rule.when!r}" if rule.when else ""))
    if rule.default is not None:
        parts.append(f"default {rule.default!r}")
    return "; ".join(parts)


def _parse_text(opts: ParseOptions) -> str:
    dates = " | ".join(opts.date_formats) or (f"order {opts.date_order}" if opts.date_order
                                               else "dmy or mdy, as the file settles it")
    thousands = opts.thousands_separator or ("," if opts.decimal_separator == "." else ".")
    zone = opts.timezone or "UTC (no timezone named)"
    return (f"decimal {opts.decimal_separator!r}, thousands {thousands!r}, dates {dates}, "
            f"times in {zone}, serials {opts.date_system}")


def describe(rules: RuleSet) -> list[str]:
    """The effective rule file, one fact a line."""
    lines = [f"rules {rules.name} ({rules.path})"]
    if rules.description:
        lines.append(f"  {rules.description}")
    for parent in reversed(rules.extends):
        lines.append(f"extends {parent.stem} ({parent})")
    read = [f"encoding {rules.encoding or 'detected'}",
            f"delimiter {rules.delimiter or 'detected'!r}",
            f"header row {rules.header_row or 'auto'}"]
    if rules.sheet is not None:
        read.append(f"sheet {rules.sheet!r}")
    lines.append("input: " + ", ".join(read))
    lines.append("headers: " + (f"fuzzy, threshold {rules.threshold:g}" if rules.fuzzy
                                else "exact aliases (case, spaces, accents ignored)"))
    base = _parse_text(ParseOptions())
    for skip in rules.skip:
        what = skip.when or f"{skip.column or skip.field}"
        cond = [f"matches {skip.matches!r}" if skip.matches else "",
                f"equals {skip.equals!r}" if skip.equals is not None else "",
                ("is empty" if skip.empty else "is not empty") if skip.empty is not None else ""]
        lines.append(f"skip: {what} {' '.join(c for c in cond if c)}".rstrip())
    for decl in rules.cross:
        keys = " + ".join(decl.keys)
        lines.append(f"{decl.kind}: {keys}" + (f" → {', '.join(decl.fields)}"
                                               if decl.fields else ""))
    for code, level in sorted(rules.severity.items()):
        lines.append(f"severity: {code} → {level.value}")
    for code in sorted(rules.muted):
        lines.append(f"severity: {code} → off (warnings counted, not reported)")
    lines.append(f"parse: {_parse_text(rules.parse)}"
                 + (" (defaults)" if _parse_text(rules.parse) == base else ""))
    return lines


def resolved_headers(rules: RuleSet, path: str | Path) -> tuple[str, dict[str, str]]:
    """Open a partner file as ``check`` would and say, per field with a column, which of
    its headers the aliases resolved to: (a line about the file, field → text)."""
    out: dict[str, str] = {}
    with open_source(path, read_options(rules), header_scorer(rules)) as source:
        compiled = compile_rules(rules, source)
        where = f"file {source.path}: header on row {source.header_row}" + (
            f" of sheet {source.sheet!r}" if source.sheet else "")
    for name, rule in rules.fields.items():
        if name in compiled.sources:
            header, letter = compiled.sources[name]
            out[name] = f"file column {letter} {header!r}"
        elif name in compiled.missing:
            out[name] = f"not in the file (closest: {compiled.hints[name]['closest']})"
        elif rule.columns and rule.default is not None:
            out[name] = f"not in the file: default {rule.default!r}"
    return where, out
