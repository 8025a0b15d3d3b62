"""Load rule files (YAML), validate them against the shipped JSON Schema, build RuleSets."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from salesfmt.canonical import FIELDS
from salesfmt.errors import RuleError
from salesfmt.resources import rules_dir
from salesfmt.rules.model import FieldRule, RuleSet, SkipRule
from salesfmt.rules.parsers import ParseOptions

__all__ = ["load_rules", "list_rules", "resolve_rule_path", "SCHEMA_PATH"]

SCHEMA_PATH = Path(__file__).with_name("rules.schema.json")


@cache
def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def list_rules() -> list[Path]:
    """Bundled rule files, sorted by name."""
    return sorted(rules_dir().glob("*.yaml"))


def resolve_rule_path(name_or_path: str | Path) -> Path:
    """A rule file path from a path or the name of a bundled rule file."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") or candidate.exists():
        if not candidate.is_file():
            raise RuleError("rule file not found", where=str(candidate))
        return candidate
    bundled = rules_dir() / f"{name_or_path}.yaml"
    if bundled.is_file():
        return bundled
    names = ", ".join(p.stem for p in list_rules())
    raise RuleError(f"no rule file named {str(name_or_path)!r}; bundled rules: {names}")


def _where(path: Path, location: list[Any]) -> str:
    return f"{path}: {'.'.join(str(p) for p in location) or '(top level)'}"


def _validate(data: Any, path: Path) -> None:
    validator = jsonschema.Draft202012Validator(_schema())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    if not errors:
        return
    err = errors[0]
    location = list(err.absolute_path)
    if err.validator == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        raise RuleError(f"unknown key {extra[0]!r}", where=_where(path, location))
    if err.validator == "oneOf" and err.context:
        best = jsonschema.exceptions.best_match(err.context)
        location += list(best.relative_path)
        if best.validator == "additionalProperties":
            extra = sorted(set(best.instance) - set(best.schema.get("properties", {})))
            raise RuleError(f"unknown key {extra[0]!r}", where=_where(path, location))
        raise RuleError(best.message, where=_where(path, location))
    raise RuleError(err.message, where=_where(path, location))


def _parse_options(spec: dict[str, Any], base: ParseOptions) -> ParseOptions:
    kw: dict[str, Any] = {}
    for key in ("decimal_separator", "thousands_separator"):
        if key in spec:
            kw[key] = spec[key]
    for key in ("date_formats", "true_values", "false_values"):
        if key in spec:
            kw[key] = tuple(spec[key])
    return ParseOptions(**{**base.__dict__, **kw})


def _field_rule(name: str, spec: Any, base: ParseOptions) -> FieldRule:
    if isinstance(spec, (str, list)):
        spec = {"column": spec}
    columns = spec.get("column", ())
    columns = (columns,) if isinstance(columns, str) else tuple(columns)
    value_map = spec.get("map")
    return FieldRule(
        name=name,
        columns=columns,
        constant=spec.get("constant"),
        default=spec.get("default"),
        template=spec.get("template"),
        value_map={str(k): v for k, v in value_map.items()} if value_map else None,
        unmapped=spec.get("unmapped", "default" if "map_default" in spec else "keep"),
        map_default=spec.get("map_default"),
        parse=_parse_options(spec, base),
    )


def load_rules(name_or_path: str | Path) -> RuleSet:
    """Load and validate a rule file; every mistake is a RuleError naming the file and key."""
    path = resolve_rule_path(name_or_path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise RuleError(f"invalid YAML: {getattr(exc, 'problem', exc)}", where=where) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RuleError(f"cannot read rule file: {exc}", where=str(path)) from None
    if not isinstance(data, dict):
        raise RuleError("a rule file must be a mapping with 'name' and 'fields'", where=str(path))
    _validate(data, path)
    for name in data["fields"]:
        if name not in FIELDS:
            raise RuleError(f"unknown canonical field {name!r} (see 'salesfmt fields')",
                            where=_where(path, ["fields", name]))
    base = _parse_options(data.get("parse", {}), ParseOptions())
    fields = {n: _field_rule(n, s, base) for n, s in data["fields"].items()}
    for rule in fields.values():
        kinds = [k for k in ("columns", "constant", "template") if getattr(rule, k)]
        if len(kinds) > 1:
            raise RuleError(f"use only one of column, constant, template (got {', '.join(kinds)})",
                            where=_where(path, ["fields", rule.name]))
    skips = []
    for i, s in enumerate(data.get("skip", [])):
        if s.get("field") and s["field"] not in FIELDS:
            raise RuleError(f"unknown canonical field {s['field']!r}",
                            where=_where(path, ["skip", i, "field"]))
        skips.append(SkipRule(column=s.get("column"), field=s.get("field"),
                              matches=s.get("matches"),
                              equals=None if s.get("equals") is None else str(s["equals"]),
                              empty=s.get("empty")))
    inp = data.get("input", {})
    header_row = inp.get("header_row")
    return RuleSet(
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
        skip=tuple(skips),
    )
