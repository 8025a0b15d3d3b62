"""Target declarations as files: read with the place of every key, checked against the
shipped JSON Schema (``rules/schema/target.schema.json``). Every mistake names
``file:line:col``, as rule files do.

The schema's ``$defs.params`` and ``$defs.check`` come from the check registry (each check
declares its parameters); ``python -m salesfmt.targets.declaration`` rewrites them."""

from __future__ import annotations

import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema

from salesfmt.checks import Context, all_checks, use_problems
from salesfmt.errors import RuleError, TargetError
from salesfmt.resources import data_dir
from salesfmt.rules.ruleschema import schema_message
from salesfmt.rules.yamlpos import Document, read_yaml

__all__ = ["schema_path", "read_declaration", "schema_errors", "registry_defs"]


def schema_path() -> Path:
    """The target-declaration JSON Schema (``rules/schema/``, ``_data/rules/`` in a wheel)."""
    return data_dir("rules") / "schema" / "target.schema.json"


@cache
def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(schema_path().read_text(encoding="utf-8")))


def read_declaration(path: Path) -> Document:
    """``path`` parsed as YAML 1.2 with key positions; TargetError (file:line:col) if it
    cannot be read or is not a mapping."""
    try:
        doc = read_yaml(path)
    except RuleError as exc:
        raise TargetError(str(exc).replace("rule file", "target declaration")) from None
    if not isinstance(doc.data, dict):
        raise TargetError("a target declaration must be a mapping", where=str(path))
    return doc


def _check_entry(doc: Document, location: tuple[Any, ...]) -> list[tuple[str, str]]:
    """The problems of one ``checks:`` entry, worded by the check registry."""
    entry: Any = doc.data
    for key in location:
        entry = entry[key]
    if isinstance(entry, str):
        code, params = entry, None
    elif isinstance(entry, dict) and len(entry) == 1:
        code, params = next(iter(entry.items()))
    else:
        return [(doc.where(list(location)), "a check is a code, or one {code: {parameter: "
                                            "value}} mapping")]
    head = location if isinstance(entry, str) else (*location, code)
    owner = doc.data["fields"][location[1]] if location[0] == "fields" else {}
    name = f"field {owner['name']!r}: " if isinstance(owner.get("name"), str) else ""
    return [(doc.where([*head, *sub]), name + message)
            for sub, message in use_problems(code, params)]


def schema_errors(doc: Document) -> list[tuple[str, str]]:
    """(where, message) for every schema violation, in file order; a ``checks:`` entry's
    problems are worded by its check (unknown parameter, missing parameter, context)."""
    errors = sorted(_validator().iter_errors(doc.data),
                    key=lambda e: doc.marks.get(tuple(e.absolute_path), (0, 0)))
    out: list[tuple[str, str]] = []
    entries: set[tuple[Any, ...]] = set()
    for err in errors:
        location = list(err.absolute_path)
        at = next((i for i in range(len(location) - 1) if location[i] == "checks"
                   and isinstance(location[i + 1], int)), None)
        if at is not None:
            entry = tuple(location[:at + 2])
            if entry not in entries:
                entries.add(entry)
                out += _check_entry(doc, entry) or [(doc.where(location), err.message)]
            continue
        if err.validator == "anyOf" and all(e.validator == "required" for e in err.context):
            keys = " / ".join(repr(b["required"][0]) for b in err.validator_value)
            out.append((doc.where(location), f"needs one of {keys}"))
            continue
        where, message = schema_message(err)
        out.append((doc.where(where), message))
    return out


def registry_defs() -> dict[str, Any]:
    """``$defs.params`` (code → parameter → schema) and ``$defs.check`` (a ``checks:``
    entry) as the check registry declares them."""
    row = [c for c in all_checks() if c.context is Context.ROW]
    params = {c.code: c.params for c in row if c.params}
    entry = {}
    for c in row:
        entry[c.code] = ({"type": "object", "additionalProperties": False,
                          "required": list(c.params),
                          "properties": {p: {"$ref": f"#/$defs/params/{c.code}/{p}"}
                                         for p in c.params}}
                         if c.params else {"type": ["object", "null"], "maxProperties": 0})
    check = {"oneOf": [
        {"enum": [c.code for c in row if not c.params]},
        {"type": "object", "minProperties": 1, "maxProperties": 1,
         "additionalProperties": False, "properties": entry},
    ]}
    return {"params": params, "check": check}


def _write_schema() -> None:
    """Rewrite the committed schema's registry-made parts."""
    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    schema["$defs"].update(registry_defs())
    schema_path().write_text(json.dumps(schema, indent=2, ensure_ascii=False) + "\n",
                             encoding="utf-8")


if __name__ == "__main__":  # pragma: no cover — maintainers: python -m salesfmt.targets.declaration
    _write_schema()
    sys.exit(0)
