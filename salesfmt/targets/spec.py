"""Target declarations (YAML under rules/targets/) as typed objects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

from salesfmt.canonical import FIELDS, Kind
from salesfmt.checks import all_checks, get_check
from salesfmt.checks.crossrow import CrossRowDecl
from salesfmt.errors import TargetError
from salesfmt.problems import Severity
from salesfmt.resources import targets_dir
from salesfmt.targets.declaration import read_declaration, schema_errors
from salesfmt.targets.variants import apply_variant

__all__ = ["CheckUse", "Group", "TargetField", "Target", "load_target", "list_targets",
           "with_options", "declaration_problems", "TYPE_CHECK"]

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

#: Where a place in the declaration is: ``at("fields", 3, "max")`` → ``file:line:col: …``.
At = Callable[..., str]


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


def _bound(value: Any, kind: Kind, at: At) -> Any:
    """A ``min:`` / ``max:`` for a field of ``kind``: a number, or an ISO date on dates."""
    if kind in (Kind.DATE, Kind.DATETIME):
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            raise TargetError(f"{value!r} is not a date (write YYYY-MM-DD)", where=at()) \
                from None
    if isinstance(value, str):
        raise TargetError(f"{value!r} is not a number", where=at())
    return value


def _known_codes(spec: dict[str, Any], at: At) -> None:
    """``severity:``, ``messages:`` and ``codes:`` are keyed by check codes: a misspelt
    one would be ignored silently."""
    known = {c.code for c in all_checks()}
    for key in ("severity", "messages", "codes"):
        for code in spec.get(key) or {}:
            if code not in known:
                raise TargetError(f"unknown check {code!r} (see 'salesfmt explain')",
                                  where=at(key, code))


def _field(spec: dict[str, Any], at: At) -> TargetField:
    """One declared field (already valid against the schema) as a TargetField."""
    if "from" in spec and spec["from"] not in FIELDS:
        raise TargetError(f"unknown canonical field {spec['from']!r} (see 'salesfmt fields')",
                          where=at("from"))
    kind = Kind(spec["type"])
    _known_codes(spec, at)
    severities = {k: Severity(v) for k, v in (spec.get("severity") or {}).items()}
    uses: list[tuple[str, dict[str, Any]]] = []
    if kind in TYPE_CHECK:
        uses.append((TYPE_CHECK[kind], {}))
    for key, (code, param) in _SUGAR.items():
        if key in spec and spec[key] is not False:
            given = _bound(spec[key], kind, lambda k=key: at(k)) if key in ("min", "max") \
                else spec[key]
            uses.append((code, {param: given} if param else {}))
    if kind is Kind.TEXT and spec.get("formula", True):
        uses.append(("formula_like", {}))
    for i, extra in enumerate(spec.get("checks") or []):
        code, params = next(iter(extra.items())) if isinstance(extra, dict) else (extra, {})
        params = dict(params or {})
        for bound in {"min", "max"} & set(params):
            params[bound] = _bound(params[bound], kind, lambda i=i: at("checks", i))
        uses.append((code, params))
    checks = []
    for code, params in uses:
        check = get_check(code)
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


def _cross(data: dict[str, Any], fields: tuple[TargetField, ...], at: At
           ) -> tuple[CrossRowDecl, ...]:
    """Top-level ``unique: [[A, B], …]`` and ``consistent: [{group: A, fields: [B, C]}]``."""
    known = {f.name for f in fields}
    decls = []
    for key in data.get("unique") or []:
        decls.append(CrossRowDecl("unique", _names(key)))
    for spec in data.get("consistent") or []:
        sev = Severity(spec["severity"]) if spec.get("severity") else None
        decls.append(CrossRowDecl("consistent", _names(spec["group"]), _names(spec["fields"]),
                                  sev))
    for decl in decls:
        for name in (*decl.keys, *decl.fields):
            if name not in known:
                i = [d for d in decls if d.kind == decl.kind].index(decl)
                raise TargetError(f"{decl.kind} names unknown field {name!r}",
                                  where=at(decl.kind, i))
    return tuple(decls)


def _group(data: dict[str, Any], fields: tuple[TargetField, ...], at: At) -> Group | None:
    spec = data.get("group")
    if spec is None:
        return None
    group = Group(_names(spec["by"]), spec["items"], _names(spec.get("record") or ()),
                  spec.get("same_sign"), _names(spec.get("agree") or ()),
                  _names(spec.get("first") or ()), str(spec.get("noun") or "record"))
    known = {f.name: f for f in fields}
    for name in (*group.by, *group.record, *group.agree, *group.first,
                 *([group.same_sign] if group.same_sign else [])):
        if name not in known:
            raise TargetError(f"group names unknown field {name!r}", where=at("group"))
    for name in group.record:  # every record field that can vary says how: data, not code
        decided = (name in group.agree) + (name in group.first)
        if name not in group.by and known[name].constant is None and decided != 1:
            raise TargetError(f"record field {name!r} must be listed in exactly one of "
                              "'agree' (lines must agree) and 'first' (the first line's "
                              "value is sent, with a warning)", where=at("group"))
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


def _other_fields(fields: tuple[TargetField, ...], at: At) -> None:
    """Every ``fields:`` parameter names fields of this target."""
    known = {f.name for f in fields}
    for i, f in enumerate(fields):
        for use in f.checks:
            named = use.params.get("fields")
            for name in [named] if isinstance(named, str) else named or []:
                if name not in known:
                    raise TargetError(f"check {use.code} on {f.name!r} names unknown field "
                                      f"{name!r}", where=at("fields", i))


def _template(data: dict[str, Any], at: At) -> None:
    """An xlsx target names a template workbook that is bundled."""
    if data.get("output") != "xlsx":
        return
    name = (data.get("options") or {}).get("template")
    if not name:
        raise TargetError("output xlsx needs options.template (a workbook under templates/)",
                          where=at("output"))
    from salesfmt.resources import templates_dir

    if not (templates_dir() / name).is_file():
        raise TargetError(f"template {name!r} is not under {templates_dir()}",
                          where=at("options", "template"))


def _resolve(name_or_path: str) -> Path:
    """A declaration file from a path, or the bundled target of that name."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") and path.is_file():
        return path
    path = targets_dir() / f"{name_or_path}.yaml"
    if not path.is_file():
        names = ", ".join(p.stem for p in list_targets())
        raise TargetError(f"unknown target {name_or_path!r}; targets: {names}")
    return path


def declaration_problems(name_or_path: str) -> list[str]:
    """Every problem of a target declaration, one line each (``file:line:col: key:
    message``): all schema problems, else the first model problem (and each variant's)."""
    try:
        path = _resolve(name_or_path)
        doc = read_declaration(path)
    except TargetError as exc:
        return [str(exc)]
    errors = schema_errors(doc)
    if errors:
        return [f"{where}: {message}" for where, message in errors]
    found = []
    for variant in (None, *(doc.data.get("variants") or {})):
        try:
            _build(path, doc, variant)
        except TargetError as exc:
            found.append(str(exc))
    return list(dict.fromkeys(found))


@cache
def load_target(name_or_path: str, variant: str | None = None) -> Target:
    """Load a bundled target by name, or a declaration file by path (optionally a variant);
    TargetError (file:line:col) on any mistake."""
    path = _resolve(name_or_path)
    doc = read_declaration(path)
    errors = schema_errors(doc)
    if errors:
        raise TargetError(errors[0][1], where=errors[0][0])
    return _build(path, doc, variant)


def _build(path: Path, doc: Any, variant: str | None) -> Target:
    data = doc.data
    variants = tuple(data.get("variants") or {})

    def at(*loc: Any) -> str:
        if variant is None:
            return doc.where(list(loc))
        # a variant's fields have no place of their own in the file
        return f"{doc.where(['variants', variant])} ({'.'.join(map(str, loc))})"

    _template(data, at)
    _known_codes(data, at)
    if variant is not None:
        data = apply_variant(data, variant, str(path))

    fields = tuple(_field(f, lambda *loc, i=i: at("fields", i, *loc))
                   for i, f in enumerate(data["fields"]))
    _other_fields(fields, at)
    kwargs: dict[str, Any] = {}
    for key in ("success", "error", "messages", "codes", "options"):
        if key in data:
            kwargs[key] = data[key]
    group = _group(data, fields, at)
    return Target(name=data.get("name", path.stem), description=data.get("description", ""),
                  output=data.get("output", "csv"), fields=fields, path=path,
                  cross=_cross(data, fields, at) + _group_cross(group), group=group,
                  variant=variant, variants=variants, **kwargs)
