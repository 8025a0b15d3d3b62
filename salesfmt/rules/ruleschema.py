"""A rule file against the rule-file JSON Schema: every violation as ``file:line:col`` and a
one-line message in the rule file's terms (unknown keys named, the right ``oneOf`` branch)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from salesfmt.resources import data_dir
from salesfmt.rules.instants import timezone_problem
from salesfmt.rules.yamlpos import Document

__all__ = ["schema_path", "schema_errors", "schema_message"]


def schema_path() -> Path:
    """The rule-file JSON Schema (``rules/schema/`` in a checkout, ``_data/rules/`` in a wheel)."""
    return data_dir("rules") / "schema" / "rules.schema.json"


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(schema_path().read_text(encoding="utf-8")))


def schema_message(err: jsonschema.ValidationError) -> tuple[list[Any], str]:
    """A schema error as (location, one-line message), unknown keys named."""
    location = list(err.absolute_path)
    if err.validator == "oneOf" and location[:1] == ["skip"]:
        return location, "a skip rule needs exactly one of column, field, when"
    if err.validator in ("oneOf", "anyOf") and err.context:
        # the branch of the right type says what is wrong; type mismatches of the others don't
        relevant = [e for e in err.context if e.validator not in ("type", "required")]
        if relevant:
            return schema_message(jsonschema.exceptions.best_match(relevant))
        if err.validator == "anyOf" and not location:
            return location, "a rule file needs 'fields' or 'extends'"
        if location[-1:] == ["column"]:
            return location, "must be a header text or a list of aliases"
        return location, f"{err.instance!r} is not valid here (see the schema's description)"
    if err.validator == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        return location + extra[:1], f"unknown key {extra[0]!r}"
    return location, err.message


def schema_errors(doc: Document) -> list[tuple[str, str]]:
    """(where, message) for every schema violation, in file order."""
    errors = sorted(_validator().iter_errors(doc.data),
                    key=lambda e: doc.marks.get(tuple(e.absolute_path), (0, 0)))
    out = []
    for err in errors:
        location, message = schema_message(err)
        out.append((doc.where(location), message))
    if not out:  # a zone name the schema cannot list: checked against the zone database
        out += [(doc.where(loc), problem) for loc, problem in _zone_problems(doc.data)]
    return out


def _zone_problems(data: Any) -> list[tuple[tuple[Any, ...], str]]:
    """(location, message) of every ``timezone`` that is not an IANA zone name."""
    spots = [(("parse", "timezone"), (data.get("parse") or {}).get("timezone"))]
    for name, spec in (data.get("fields") or {}).items():
        if isinstance(spec, dict):
            spots.append((("fields", name, "timezone"), spec.get("timezone")))
    return [(loc, problem) for loc, zone in spots if zone is not None
            and (problem := timezone_problem(zone)) is not None]
