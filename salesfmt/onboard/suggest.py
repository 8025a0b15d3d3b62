"""``salesfmt rules suggest``: after a check, a YAML patch that would resolve its header and
value problems (``missing_column``, ``fuzzy_header``, ``unmapped_value``, ``not_allowed``).

The patch is a rule file that ``extends`` the checked one, so it can be tried as it is;
it is written for a human to review, never merged into the rule file."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl
from rapidfuzz import fuzz, process

from salesfmt.onboard._data import lexicon, synonyms, value_key
from salesfmt.onboard.render import flow_map, yaml_scalar
from salesfmt.resources import rules_dir
from salesfmt.rules import load_rules
from salesfmt.rules.headers import closest_headers, normalize_header
from salesfmt.rules.model import RuleSet
from salesfmt.targets import Target, load_target
from salesfmt.targets.spec import TargetField

__all__ = ["Suggestion", "suggest", "render_patch", "CODES"]

#: The problem codes a patch can resolve.
CODES = ("missing_column", "fuzzy_header", "unmapped_value", "not_allowed")
_DOMAINS = {"payment_method": "payment_method", "channel": "channel",
            "ticket_type": "ticket_type", "online": "online", "is_return": "is_return"}


@dataclass
class _FieldPatch:
    aliases: list[tuple[str, str]] = field(default_factory=list)  # (header, why)
    entries: dict[str, object] = field(default_factory=dict)
    why: list[str] = field(default_factory=list)
    todo: list[str] = field(default_factory=list)


@dataclass
class Suggestion:
    """The patch for one rule file: per canonical field, aliases and map entries."""

    rules: RuleSet
    target: Target
    file: Path
    fields: dict[str, _FieldPatch] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        """True when the check had nothing a patch resolves."""
        return not self.fields


def _header_for(fname: str, rules: RuleSet, headers: list[str], used: set[str]
                ) -> tuple[str, str] | None:
    """The free header most like the field's aliases (rule's and lexicon's), with why."""
    free = [h for h in headers if normalize_header(h) not in used]
    own = tuple(rules.fields[fname].columns) if fname in rules.fields else ()
    lex = tuple(a for _, a in lexicon().aliases.get(fname, []))
    for h in free:
        hit = lexicon().exact(fname, h)
        if hit is not None:
            return h, f"lexicon ({hit[0]}) {hit[1]!r}"
    near = closest_headers(own + lex or (fname,), free, limit=1)
    if near and near[0][1] >= 70:
        return near[0][0], f"closest header, similarity {near[0][1]:.0f}"
    return None


def _value_for(fname: str, value: str, allowed: list[str]) -> tuple[object, str] | None:
    domain = _DOMAINS.get(fname)
    hit = synonyms().get(domain, {}).get(value_key(value)) if domain else None
    if hit is not None:
        if domain in ("online", "is_return"):
            return hit == "true", "value synonyms"
        if not allowed or hit in allowed:
            return hit, "value synonyms"
    if allowed:
        best = process.extractOne(value, allowed, scorer=fuzz.WRatio,
                                  processor=lambda s: s.casefold())
        if best and best[1] >= 85:
            return best[0], f"like {best[0]!r} ({best[1]:.0f}%)"
    return None


def suggest(path: str | Path, rules_name: str, target_name: str, *,
            today: date | None = None) -> Suggestion:
    """Check ``path`` and turn its header and value problems into a patch."""
    from salesfmt.pipeline import run

    rules = load_rules(rules_name)
    target = load_target(target_name)
    result = run(path, rules, target, today=today)
    by_name = {f.name: f for f in target.fields}
    headers = list(result.source.original_headers)
    used = {normalize_header(a) for r in rules.fields.values() for a in r.columns}
    out = Suggestion(rules, target, Path(path))
    probs = result.problems.filter(pl.col("code").is_in(CODES))
    for row in probs.sort("order", nulls_last=True).iter_rows(named=True):
        tf = by_name.get(row["field"] or "")
        fname = tf.source if tf is not None else row["field"]
        if fname not in rules.fields:
            continue
        patch = out.fields.setdefault(fname, _FieldPatch())
        if row["code"] == "fuzzy_header" and row["header"]:
            if row["header"] not in [h for h, _ in patch.aliases]:
                patch.aliases.append((row["header"], "taken by fuzzy matching: make it exact"))
        elif row["code"] == "missing_column":
            found = _header_for(fname, rules, headers, used)
            if found is None:
                patch.todo.append(f"no header of the file looks like {fname}: add its alias")
            else:
                used.add(normalize_header(found[0]))
                patch.aliases.append(found)
        elif row["value"] is not None:
            value = row["value"]
            if value in patch.entries or any(value in t for t in patch.todo):
                continue
            allowed = _allowed(tf) if tf is not None else []
            if not allowed and rules.fields[fname].value_map:
                allowed = sorted({str(v) for v in rules.fields[fname].value_map.values()})
            found = _value_for(fname, value, allowed)
            if found is None:
                what = f": one of {', '.join(allowed)}" if allowed else ""
                patch.todo.append(f"no suggestion for {value!r}{what}")
            else:
                patch.entries[value] = found[0]
                patch.why.append(f"{value!r} → {found[0]!r} ({found[1]})")
    out.fields = {k: v for k, v in out.fields.items() if v.aliases or v.entries or v.todo}
    return out


def _allowed(tf: TargetField) -> list[str]:
    return [str(v) for use in tf.checks if use.code == "not_allowed"
            for v in use.params.get("allowed", ())]


def _extends_ref(rules: RuleSet, patch_dir: Path | None) -> str:
    if rules.path.parent.resolve() == rules_dir().resolve():
        return rules.path.stem
    if patch_dir is None:
        return str(rules.path.resolve())
    return os.path.relpath(rules.path.resolve(), patch_dir.resolve())


def render_patch(s: Suggestion, patch_dir: Path | None = None) -> str:
    """The patch as a rule file extending the checked one (``patch_dir``: where it is
    written, for the relative ``extends`` path)."""
    name = s.rules.name
    lines = [f"# Suggested by `salesfmt rules suggest` after checking {s.file.name} against "
             f"{name} for {s.target.name}.",
             "# For review: it extends the rule file and adds header aliases and value-map "
             "entries. Try it:",
             f"#   salesfmt check {s.file.name} --rules THIS-FILE --to {s.target.name}",
             "# then copy the entries you accept into the rule file.",
             f"name: {yaml_scalar(name + '-suggested')}",
             f"extends: {yaml_scalar(_extends_ref(s.rules, patch_dir))}"]
    if s.empty:
        lines.append("# nothing to suggest: no missing, fuzzy or unmapped header or value")
        lines.append("fields: {}")
        return "\n".join(lines) + "\n"
    lines.append("fields:")
    for fname, p in s.fields.items():
        rule = s.rules.fields[fname]
        if not (p.aliases or p.entries):  # a bare "field:" would remove the field
            lines += [f"  # {fname}: TODO: {todo}" for todo in p.todo]
            continue
        lines.append(f"  {fname}:")
        if p.aliases:
            aliases = [a for a in rule.columns if a != "TODO"] + [h for h, _ in p.aliases]
            why = "; ".join(f"+ {h!r}: {w}" for h, w in p.aliases)
            lines.append(f"    column: [{', '.join(yaml_scalar(a) for a in aliases)}]  # {why}")
        if p.entries:
            merged = {**(rule.value_map or {}), **p.entries}
            lines.append(f"    map: {flow_map(merged)}")
            for why in p.why:
                lines.append(f"    # + {why}")
        for todo in p.todo:
            lines.append(f"    # TODO: {todo}")
    return "\n".join(lines) + "\n"
