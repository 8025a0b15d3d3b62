"""Target declarations (YAML under rules/targets/) as typed objects."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from salesfmt.canonical import FIELDS, Kind
from salesfmt.checks import get_check
from salesfmt.checks.crossrow import CrossRowDecl
from salesfmt.errors import TargetError
from salesfmt.problems import Severity
from salesfmt.resources import targets_dir
from salesfmt.targets.variants import apply_variant

__all__ = ["CheckUse", "Group", "TargetField", "Target", "load_target", "list_targets",
           "with_options", "TYPE_CHECK"]

#: The parse check a target field of each kind gets automatically.
TYPE_CHECK = {
    Kind.INTEGER: "invalid_number",
    Kind.DECIMAL: "invalid_number",
    Kind.DATE: "invalid_date",
    Kind.DATETIME: "invalid_datetime",
    Kind.BOOLEAN: "invalid_boolean",
}

# Field keys that are sugar for a check: key → (check code, parameter name or None).
_SUGAR = {
    "required": ("required", None),
    "max_length": ("too_long", "max_length"),
    "min": ("too_small", "min"),
    "max": ("too_large", "max"),
    "decimals": ("too_many_decimals", "decimals"),
    "allowed": ("not_allowed", "allowed"),
    "email": ("invalid_email", None),
    "not_future": ("future_date", None),
    "unique": ("duplicate", None),
}
_FIELD_KEYS = {"name", "from", "type", "format", "checks", "severity", "formula", "description",
               "codes", "messages", "constant", "default", "column", "places", "normalize",
               *_SUGAR}
_TOP_KEYS = {"name", "description", "seed", "output", "success", "error", "messages", "codes",
             "fields", "options", "unique", "consistent", "group", "variants"}
_GROUP_KEYS = {"by", "items", "record", "same_sign", "agree", "first", "noun"}


@dataclass(frozen=True)
class CheckUse:
    """One check applied to one target field."""

    code: str
    params: dict[str, Any]
    severity: Severity
    code_as: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class TargetField:
    """A field (column / JSON key) of the target's output."""

    name: str
    source: str
    kind: Kind
    required: bool
    checks: tuple[CheckUse, ...]
    format: str | None = None
    decimals: int | None = None
    description: str = ""
    column: str | None = None
    constant: Any = None
    default: Any = None
    #: decimals written at least this many places (9.5 → 9.50), never rounded: no check
    places: int | None = None
    #: ``country``: names and lower-case codes become the ISO 3166 code (Nederland → NL)
    normalize: str | None = None

    @property
    def template_column(self) -> str:
        """The column of the target's template this field fills (its name before renames)."""
        return self.column or self.name


@dataclass(frozen=True)
class Group:
    """Grouped targets: lines sharing ``by`` form one record (a sale, a transaction).

    ``record`` fields are sent once per record (from its first line); the others go into
    the ``items`` list. Each record field that varies by line is declared either in
    ``agree`` (every line must have the first line's value: an error on each line that
    differs) or in ``first`` (the first line's value is sent: one warning per record
    counting the lines that differ). ``same_sign`` names a field whose sign must agree
    within a record (a return is its own sale). ``noun`` names a record in messages.
    """

    by: tuple[str, ...]
    items: str
    record: tuple[str, ...]
    same_sign: str | None = None
    agree: tuple[str, ...] = ()
    first: tuple[str, ...] = ()
    noun: str = "record"


@dataclass(frozen=True)
class Target:
    """A declared target: its fields and the server's wording."""

    name: str
    description: str
    output: str
    fields: tuple[TargetField, ...]
    messages: dict[str, str] = field(default_factory=dict)
    codes: dict[str, str] = field(default_factory=dict)
    success: dict[str, Any] = field(default_factory=lambda: {"result": "{records}"})
    error: dict[str, Any] = field(
        default_factory=lambda: {"code": 400,
                                 "message": "File content contains one or more errors"})
    options: dict[str, Any] = field(default_factory=dict)
    cross: tuple[CrossRowDecl, ...] = ()
    group: Group | None = None
    variant: str | None = None
    variants: tuple[str, ...] = ()
    path: Path | None = None

    def message_for(self, code: str) -> str:
        """The message template for ``code``: the server's wording, else the check's own."""
        return self.messages.get(code) or get_check(code).message

    def code_for(self, code: str) -> str:
        """The code as the server names it (e.g. too_long → field.lengthExceeded)."""
        return self.codes.get(code, code)


def _field(spec: dict[str, Any], where: str) -> TargetField:
    unknown = set(spec) - _FIELD_KEYS
    if unknown:
        raise TargetError(f"unknown key {sorted(unknown)[0]!r}", where=where)
    for key in ("name", "type"):
        if key not in spec:
            raise TargetError(f"missing key {key!r}", where=where)
    if "from" not in spec and "constant" not in spec and "default" not in spec:
        raise TargetError("missing key 'from' (or 'constant' / 'default')", where=where)
    if "from" in spec and spec["from"] not in FIELDS:
        raise TargetError(f"unknown canonical field {spec['from']!r}", where=where)
    try:
        kind = Kind(spec["type"])
    except ValueError:
        raise TargetError(f"unknown type {spec['type']!r}", where=where) from None
    if spec.get("normalize") not in (None, "country"):
        raise TargetError(f"unknown normalize {spec['normalize']!r} (known: country)",
                          where=where)
    severities = {k: Severity(v) for k, v in (spec.get("severity") or {}).items()}
    uses: list[tuple[str, dict[str, Any]]] = []
    if kind in TYPE_CHECK:
        uses.append((TYPE_CHECK[kind], {}))
    for key, (code, param) in _SUGAR.items():
        if key in spec and spec[key] is not False:
            uses.append((code, {param: spec[key]} if param else {}))
    if kind is Kind.TEXT and spec.get("formula", True):
        uses.append(("formula_like", {}))
    for extra in spec.get("checks") or []:
        code, params = next(iter(extra.items())) if isinstance(extra, dict) else (extra, {})
        uses.append((code, dict(params or {})))
    checks = []
    for code, params in uses:
        try:
            check = get_check(code)
        except KeyError as exc:
            raise TargetError(str(exc.args[0]), where=where) from None
        checks.append(CheckUse(code, params, severities.get(code, check.severity),
                               (spec.get("codes") or {}).get(code),
                               (spec.get("messages") or {}).get(code)))
    return TargetField(
        name=spec["name"], source=spec.get("from", ""), kind=kind,
        required=bool(spec.get("required")), constant=spec.get("constant"),
        default=spec.get("default"),
        checks=tuple(checks), format=spec.get("format"), decimals=spec.get("decimals"),
        description=spec.get("description", ""), column=spec.get("column"),
        places=spec.get("places"), normalize=spec.get("normalize"),
    )


def _names(value: Any) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _cross(data: dict[str, Any], fields: tuple[TargetField, ...], where: str
           ) -> tuple[CrossRowDecl, ...]:
    """Top-level ``unique: [[A, B], …]`` and ``consistent: [{group: A, fields: [B, C]}]``."""
    known = {f.name for f in fields}
    decls = []
    for key in data.get("unique") or []:
        decls.append(CrossRowDecl("unique", _names(key)))
    for i, spec in enumerate(data.get("consistent") or []):
        if not isinstance(spec, dict) or set(spec) - {"group", "fields", "severity"} \
                or "group" not in spec or "fields" not in spec:
            raise TargetError("consistent entries need 'group' and 'fields'",
                              where=f"{where}: consistent[{i}]")
        sev = Severity(spec["severity"]) if spec.get("severity") else None
        decls.append(CrossRowDecl("consistent", _names(spec["group"]), _names(spec["fields"]),
                                  sev))
    for decl in decls:
        for name in (*decl.keys, *decl.fields):
            if name not in known:
                raise TargetError(f"{decl.kind} names unknown field {name!r}", where=where)
    return tuple(decls)


def _group(data: dict[str, Any], fields: tuple[TargetField, ...], where: str) -> Group | None:
    spec = data.get("group")
    if spec is None:
        return None
    if not isinstance(spec, dict) or set(spec) - _GROUP_KEYS or not {"by", "items"} <= set(spec):
        raise TargetError("group needs 'by' and 'items' (and may have 'record', 'agree', "
                          "'first', 'same_sign', 'noun')", where=f"{where}: group")
    group = Group(_names(spec["by"]), spec["items"], _names(spec.get("record") or ()),
                  spec.get("same_sign"), _names(spec.get("agree") or ()),
                  _names(spec.get("first") or ()), str(spec.get("noun") or "record"))
    known = {f.name: f for f in fields}
    for name in (*group.by, *group.record, *group.agree, *group.first,
                 *([group.same_sign] if group.same_sign else [])):
        if name not in known:
            raise TargetError(f"group names unknown field {name!r}", where=f"{where}: group")
    for name in group.record:  # every record field that can vary says how: data, not code
        decided = (name in group.agree) + (name in group.first)
        if name not in group.by and known[name].constant is None and decided != 1:
            raise TargetError(f"record field {name!r} must be listed in exactly one of "
                              "'agree' (lines must agree) and 'first' (the first line's "
                              "value is sent, with a warning)", where=f"{where}: group")
    return group


def _group_cross(group: Group | None) -> tuple[CrossRowDecl, ...]:
    """The record fields' ``agree`` and ``first`` declarations as cross-row rules."""
    if group is None:
        return ()
    decls = []
    if group.agree:
        decls.append(CrossRowDecl("consistent", group.by, group.agree))
    if group.first:
        decls.append(CrossRowDecl("first", group.by, group.first, Severity.WARNING))
    return tuple(decls)


def with_options(target: Target, **options: Any) -> Target:
    """``target`` with some ``options:`` overridden (e.g. payload_size from the command line)."""
    given = {k: v for k, v in options.items() if v is not None}
    return replace(target, options={**target.options, **given}) if given else target


def list_targets() -> list[Path]:
    """Bundled target declarations, sorted by name."""
    return sorted(targets_dir().glob("*.yaml"))


#: libyaml's safe loader where installed (8x faster: a run loads its target every time)
_YAML = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@cache
def load_target(name_or_path: str, variant: str | None = None) -> Target:
    """Load a bundled target by name, or a declaration file by path (optionally a variant)."""
    path = Path(name_or_path)
    if not (path.suffix in (".yaml", ".yml") and path.is_file()):
        path = targets_dir() / f"{name_or_path}.yaml"
        if not path.is_file():
            names = ", ".join(p.stem for p in list_targets())
            raise TargetError(f"unknown target {name_or_path!r}; targets: {names}")
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML)
    except yaml.YAMLError as exc:
        raise TargetError(f"invalid YAML: {exc}", where=str(path)) from None
    if not isinstance(data, dict):
        raise TargetError("a target declaration must be a mapping", where=str(path))
    unknown = set(data) - _TOP_KEYS
    if unknown:
        raise TargetError(f"unknown key {sorted(unknown)[0]!r}", where=str(path))
    variants = tuple(data.get("variants") or {})
    if variant is not None:
        data = apply_variant(data, variant, str(path))
    fields = tuple(_field(f, f"{path}: fields[{i}]") for i, f in enumerate(data.get("fields", [])))
    if not fields:
        raise TargetError("declares no fields", where=str(path))
    kwargs: dict[str, Any] = {}
    for key in ("success", "error", "messages", "codes", "options"):
        if key in data:
            kwargs[key] = data[key]
    group = _group(data, fields, str(path))
    return Target(name=data.get("name", path.stem), description=data.get("description", ""),
                  output=data.get("output", "csv"), fields=fields, path=path,
                  cross=_cross(data, fields, str(path)) + _group_cross(group), group=group,
                  variant=variant, variants=variants, **kwargs)
