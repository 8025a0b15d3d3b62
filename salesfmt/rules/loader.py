"""Load rule files (YAML): resolve ``extends``, validate against the shipped JSON Schema and
the canonical model, build RuleSets. Every mistake is one RuleError naming file:line:col."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

from salesfmt.canonical import FIELDS
from salesfmt.checks import get_check
from salesfmt.checks.crossrow import CrossRowDecl
from salesfmt.errors import RuleError
from salesfmt.problems import Severity
from salesfmt.resources import rules_dir
from salesfmt.rules.deps import derived_order
from salesfmt.rules.expr import ExprError, check_expr, regex_problem
from salesfmt.rules.model import DEFAULT_FUZZY_THRESHOLD, FieldRule, RuleSet, SkipRule
from salesfmt.rules.parsers import ParseOptions
from salesfmt.rules.ruleschema import schema_errors, schema_path
from salesfmt.rules.yamlpos import Document, read_yaml

__all__ = ["load_rules", "list_rules", "resolve_rule_path", "schema_path", "validate_file"]

_SOURCES = ("column", "constant", "template")
_DICTS = ("input", "parse", "headers", "severity")
_OPTION_KEYS = ("decimal_separator", "thousands_separator", "date_order", "date_system",
                "timezone")
_TUPLE_KEYS = ("date_formats", "true_values", "false_values")


def list_rules() -> list[Path]:
    """Bundled rule files, sorted by name."""
    return sorted(rules_dir().glob("*.yaml"))


def resolve_rule_path(name_or_path: str | Path, base: Path | None = None) -> Path:
    """A rule file from a path, a file beside ``base``, or the name of a bundled rule file."""
    text = str(name_or_path)
    candidate = Path(text)
    if base is not None and not candidate.is_absolute():
        for near in (base / text, base / f"{text}.yaml"):
            if near.is_file():
                return near
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        if not candidate.is_file():
            raise RuleError("rule file not found", where=str(candidate))
        return candidate
    bundled = rules_dir() / f"{text}.yaml"
    if bundled.is_file():
        return bundled
    names = ", ".join(p.stem for p in list_rules())
    raise RuleError(f"no rule file named {text!r}; bundled rules: {names}")


class _Merged:
    """Rule data after ``extends``, remembering which file (and line) every key came from."""

    def __init__(self) -> None:
        self.data: dict[str, Any] = {}
        self.owner: dict[tuple[Any, ...], Document] = {}
        self.chain: list[Path] = []

    def where(self, *location: Any) -> str:
        loc = tuple(location)
        while loc and loc not in self.owner:
            loc = loc[:-1]
        doc = self.owner.get(loc) or self.owner[()]
        return doc.where(location)

    def apply(self, doc: Document) -> None:
        self.owner[()] = doc
        for key in doc.marks:
            self.owner[key] = doc
        for key, value in doc.data.items():
            if key in ("extends", "$schema"):
                continue
            if key == "fields":
                fields = self.data.setdefault("fields", {})
                for name, spec in (value or {}).items():
                    _merge_field(fields, name, spec)
            elif key in _DICTS and isinstance(self.data.get(key), dict):
                self.data[key] = {**self.data[key], **value}
            else:
                self.data[key] = value


def _as_mapping(spec: Any) -> dict[str, Any]:
    return spec if isinstance(spec, dict) else {"column": spec}


def _merge_field(fields: dict[str, Any], name: str, spec: Any) -> None:
    """A child's field entry merges into the parent's; a new source replaces the old one."""
    if spec is None:
        fields.pop(name, None)
        return
    new = _as_mapping(spec)
    old = _as_mapping(fields[name]) if name in fields else {}
    if any(k in new for k in _SOURCES):
        old = {k: v for k, v in old.items() if k not in _SOURCES}
    fields[name] = {k: v for k, v in {**old, **new}.items() if v is not None}


def _rule_doc(path: Path) -> Document:
    """``path`` read as YAML; a file that is no rule file (not a mapping with a ``name``)
    is refused by name only: its contents are never echoed (it may be any file)."""
    doc = read_yaml(path)
    if not isinstance(doc.data, dict) or not isinstance(doc.data.get("name"), str):
        raise RuleError("not a rule file (a rule file is a mapping with 'name' and 'fields')",
                        where=str(path))
    return doc


def _read(path: Path, merged: _Merged) -> None:
    """Read ``path`` and its ``extends`` chain (a loop: chains of any depth), then merge
    them, the furthest ancestor first."""
    docs: list[Document] = []
    seen: list[Path] = []
    current = path
    while True:
        doc = _rule_doc(current)
        errors = schema_errors(doc)
        if errors:
            raise RuleError(errors[0][1], where=errors[0][0])
        docs.append(doc)
        seen.append(current.resolve())
        parent = doc.data.get("extends")
        if parent is None:
            break
        try:
            current = resolve_rule_path(parent, base=current.parent).resolve()
        except RuleError as exc:
            raise RuleError(str(exc), where=doc.where(["extends"])) from None
        if current in seen:
            cycle = " → ".join(p.stem for p in (*seen, current))
            raise RuleError(f"extends cycle: {cycle}", where=doc.where(["extends"]))
    for doc in reversed(docs):
        merged.chain.append(doc.path)
        merged.apply(doc)


def _parse_options(spec: dict[str, Any], base: ParseOptions) -> ParseOptions:
    kw: dict[str, Any] = {k: spec[k] for k in _OPTION_KEYS if k in spec}
    kw.update({k: tuple(spec[k]) for k in _TUPLE_KEYS if k in spec})
    return ParseOptions(**{**base.__dict__, **kw})


def _expr(text: str, where: str, known: set[str], allow: str | None = None) -> set[str]:
    try:
        refs = check_expr(text)
    except ExprError as exc:
        raise RuleError(str(exc), where=where) from None
    missing = sorted(refs - known - {allow})
    if missing:
        raise RuleError(f"expression reads field {missing[0]!r}, which this rule does not map",
                        where=where)
    return refs


def _field_rule(name: str, spec: dict[str, Any], base: ParseOptions, m: _Merged,
                known: set[str]) -> FieldRule:
    where = m.where("fields", name)
    if name not in FIELDS:
        raise RuleError(f"unknown canonical field {name!r} (see 'salesfmt fields')", where=where)
    sources = [k for k in _SOURCES if k in spec] + (
        ["expr"] if "expr" in spec and "column" not in spec else [])
    if len(sources) > 1:
        raise RuleError(f"use only one of column, constant, template, expr "
                        f"(got {', '.join(sources)})", where=where)
    for key, needs in (("when", "expr"), ("map", "column"), ("unmapped", "map"),
                       ("map_default", "map")):
        if key in spec and needs not in spec:
            raise RuleError(f"'{key}' needs '{needs}'", where=m.where("fields", name, key))
    unmapped = spec.get("unmapped", "default" if "map_default" in spec else "keep")
    if unmapped == "default" and "map_default" not in spec:
        raise RuleError("unmapped: default needs map_default", where=m.where("fields", name))
    for key in ("expr", "when"):
        if key in spec:
            _expr(spec[key], m.where("fields", name, key), known,
                  allow=name if "column" in spec else None)
    if "template" in spec:
        bad = sorted(set(_template_refs(spec["template"], m.where("fields", name, "template")))
                     - known)
        if bad:
            raise RuleError(f"template reads field {bad[0]!r}, which this rule does not map",
                            where=m.where("fields", name, "template"))
    columns = spec.get("column", ())
    value_map = spec.get("map")
    return FieldRule(
        name=name,
        columns=(columns,) if isinstance(columns, str) else tuple(columns),
        constant=spec.get("constant"),
        default=spec.get("default"),
        template=spec.get("template"),
        expr=spec.get("expr"),
        when=spec.get("when"),
        value_map={str(k): v for k, v in value_map.items()} if value_map else None,
        unmapped=unmapped,
        map_default=spec.get("map_default"),
        parse=_parse_options(spec, base),
        where=where,
    )


def _template_refs(template: str, where: str) -> list[str]:
    """Fields a template reads; RuleError for a broken one or a ``{f:spec}`` / ``{f!r}``
    (never applied: refused rather than ignored)."""
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError as exc:
        raise RuleError(f"bad template {template!r}: {exc}", where=where) from None
    for _, ref, spec, conversion in parts:
        if ref == "":
            raise RuleError(f"bad template {template!r}: {{}} needs a field name, such as "
                            "{sale_id} (write {{ and }} for braces)", where=where)
        if ref is not None and (spec or conversion):
            raise RuleError(f"bad template {template!r}: write {{{ref}}} alone (no format "
                            "or conversion)", where=where)
    return [f for _, f, _, _ in parts if f]


def _names(value: Any) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _cross(m: _Merged, known: set[str]) -> tuple[CrossRowDecl, ...]:
    decls = [CrossRowDecl("unique", _names(k)) for k in m.data.get("unique", [])]
    for spec in m.data.get("consistent", []):
        sev = Severity(spec["severity"]) if spec.get("severity") else None
        decls.append(CrossRowDecl("consistent", _names(spec["group"]), _names(spec["fields"]),
                                  sev))
    for key in ("unique", "consistent"):
        for i, decl in enumerate(d for d in decls if d.kind == key):
            for name in (*decl.keys, *decl.fields):
                if name not in known:
                    raise RuleError(f"names field {name!r}, which this rule does not map",
                                    where=m.where(key, i))
    return tuple(decls)


def _severity(m: _Merged) -> dict[str, Severity]:
    out = {}
    for code, level in (m.data.get("severity") or {}).items():
        try:
            get_check(code)
        except KeyError as exc:
            raise RuleError(str(exc.args[0]), where=m.where("severity", code)) from None
        if level != MUTED:
            out[code] = Severity(level)
    return out


#: ``severity: {code: off}``: the code's warnings are counted, not reported.
MUTED = "off"


def _muted(m: _Merged) -> frozenset[str]:
    return frozenset(code for code, level in (m.data.get("severity") or {}).items()
                     if level == MUTED)


def _skip_rules(m: _Merged, known: set[str]) -> tuple[SkipRule, ...]:
    skips = []
    for i, s in enumerate(m.data.get("skip", [])):
        if s.get("field") and s["field"] not in known:
            raise RuleError(f"skip names field {s['field']!r}, which this rule does not map",
                            where=m.where("skip", i, "field"))
        if "when" in s:
            _expr(s["when"], m.where("skip", i, "when"), known)
        if "matches" in s and (problem := regex_problem(s["matches"])):
            raise RuleError(f"bad pattern: {problem}", where=m.where("skip", i, "matches"))
        skips.append(SkipRule(column=s.get("column"), field=s.get("field"),
                              matches=s.get("matches"),
                              equals=None if s.get("equals") is None else str(s["equals"]),
                              empty=s.get("empty"), when=s.get("when")))
    return tuple(skips)


def _attempt(errors: list[str] | None, fn: Any, *args: Any) -> Any:
    """``fn(*args)``; with an ``errors`` list a RuleError is noted there instead of raised."""
    try:
        return fn(*args)
    except RuleError as exc:
        if errors is None:
            raise
        errors.append(str(exc))
        return None


def load_rules(name_or_path: str | Path) -> RuleSet:
    """Load a rule file and everything it extends; RuleError (file:line:col) on any mistake."""
    return _build(resolve_rule_path(name_or_path), None)


def _build(path: Path, errors: list[str] | None) -> RuleSet:
    m = _Merged()
    _read(path, m)
    data = m.data
    if not data.get("fields"):
        raise RuleError("maps no fields", where=m.where("fields"))
    base = _parse_options(data.get("parse", {}), ParseOptions())
    known = set(data["fields"])
    fields = {n: _attempt(errors, _field_rule, n, s, base, m, known)
              for n, s in data["fields"].items()}
    skip = _attempt(errors, _skip_rules, m, known)
    cross = _attempt(errors, _cross, m, known)
    severity = _attempt(errors, _severity, m)
    inp = data.get("input", {})
    header_row = inp.get("header_row")
    headers = data.get("headers", {})
    rules = RuleSet(
        name=data["name"],
        path=path,
        description=data.get("description", ""),
        channel=data.get("channel"),
        encoding=inp.get("encoding"),
        delimiter=inp.get("delimiter"),
        quote_char=inp.get("quote_char", '"'),
        escape_char=inp.get("escape_char"),
        sheet=inp.get("sheet"),
        header_row=None if header_row in (None, "auto") else int(header_row),
        fields=fields,
        skip=skip or (),
        extends=tuple(m.chain[:-1]),
        fuzzy=bool(headers.get("fuzzy", False)),
        threshold=float(headers.get("threshold", DEFAULT_FUZZY_THRESHOLD)),
        cross=cross or (),
        severity=severity or {},
        formulas=data.get("formulas"),
        muted=_muted(m),
        parse=base,
    )
    if errors is None or not errors:  # cycles between derived fields
        _attempt(errors, derived_order, rules)
    return rules


def validate_file(path: str | Path) -> list[str]:
    """Every problem of a rule file, one line each (``file:line:col: key: message``): all
    schema problems, else all field, skip, cross-row and severity problems."""
    try:
        resolved = resolve_rule_path(path)
        doc = _rule_doc(resolved)
    except RuleError as exc:
        return [str(exc)]
    errors = schema_errors(doc)
    if errors:
        return [f"{where}: {message}" for where, message in errors]
    found: list[str] = []
    try:
        _build(resolved, found)  # model problems of every field, not just the first
    except RuleError as exc:
        found.append(str(exc))
    return found

