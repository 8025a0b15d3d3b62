"""``deliveries.yaml``: which rules, target and channel each inbox file goes to.

Declared data with a JSON schema (``rules/schema/deliveries.schema.json``); every mistake
is a RuleError naming ``file:line:col`` like a rule file's. Rule paths are relative to the
deliveries file; a bare name is a bundled rule file.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import jsonschema

from salesfmt.errors import RuleError, SalesfmtError
from salesfmt.naming import slug
from salesfmt.resources import data_dir
from salesfmt.rules.loader import load_rules, resolve_rule_path
from salesfmt.rules.yamlpos import Document, read_yaml
from salesfmt.targets import load_target

__all__ = ["Route", "Deliveries", "load_deliveries"]


@dataclass(frozen=True)
class Route:
    """One partner delivery: files it claims, and how they are converted and named."""

    name: str
    rules: str  # a resolved rule file path
    target: str
    channel: str | None = None
    variant: str | None = None
    files: tuple[str, ...] = ()
    headers: tuple[str, ...] = ()
    where: str = ""  # file:line:col of the route, for messages


@dataclass(frozen=True)
class Deliveries:
    """A loaded deliveries file."""

    path: Path
    routes: tuple[Route, ...]
    ignore: tuple[str, ...] = ()
    ledger: Path | None = None


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft202012Validator:
    path = data_dir("rules") / "schema" / "deliveries.schema.json"
    return jsonschema.Draft202012Validator(json.loads(path.read_text(encoding="utf-8")))


def _message(err: jsonschema.ValidationError) -> tuple[list, str]:
    location = list(err.absolute_path)
    if err.validator == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        return location + extra[:1], f"unknown key {extra[0]!r}"
    if err.validator == "anyOf" and location[:1] == ["routes"]:
        return location, "a route needs 'files' (name patterns) or 'headers' (fingerprint)"
    return location, err.message


def _check_schema(doc: Document) -> None:
    errors = sorted(_validator().iter_errors(doc.data),
                    key=lambda e: doc.marks.get(tuple(e.absolute_path), (0, 0)))
    if errors:
        location, message = _message(errors[0])
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise RuleError(f"{message}{more}", where=doc.where(location))


def _route(doc: Document, i: int, spec: dict) -> Route:
    where = doc.where(["routes", i])
    base = doc.path.parent
    try:
        rules = str(resolve_rule_path(spec["rules"], base))
    except SalesfmtError as exc:
        raise RuleError(str(exc), where=doc.where(["routes", i, "rules"])) from None
    try:
        load_target(spec["to"], spec.get("variant"))
    except SalesfmtError as exc:
        raise RuleError(str(exc), where=doc.where(["routes", i, "to"])) from None
    channel = spec.get("channel") or load_rules(rules).channel
    if not channel:
        raise RuleError("no channel for the upload names: give 'channel:' here or in the "
                        "rule file", where=where)
    try:
        slug(channel)
    except ValueError as exc:
        raise RuleError(str(exc), where=doc.where(["routes", i, "channel"])) from None
    return Route(name=spec["name"], rules=rules, target=spec["to"], channel=channel,
                 variant=spec.get("variant"), files=tuple(spec.get("files", ())),
                 headers=tuple(spec.get("headers", ())), where=where)


def load_deliveries(path: str | Path) -> Deliveries:
    """Load and validate a deliveries file; RuleError (file:line:col) on any mistake."""
    path = Path(path)
    if not path.is_file():
        raise RuleError("deliveries file not found", where=str(path))
    doc = read_yaml(path)
    if not isinstance(doc.data, dict):
        raise RuleError("a deliveries file is a mapping with 'routes:'", where=doc.where([]))
    _check_schema(doc)
    routes = tuple(_route(doc, i, spec) for i, spec in enumerate(doc.data["routes"]))
    seen: dict[str, int] = {}
    for i, route in enumerate(routes):
        if route.name in seen:
            raise RuleError(f"route name {route.name!r} is used twice (first at route "
                            f"{seen[route.name] + 1})", where=doc.where(["routes", i, "name"]))
        seen[route.name] = i
    ledger = doc.data.get("ledger")
    return Deliveries(path=path, routes=routes, ignore=tuple(doc.data.get("ignore", ())),
                      ledger=(path.parent / ledger) if ledger else None)
