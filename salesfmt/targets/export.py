"""A target declaration as other tools' schemas: a pandera polars ``DataFrameSchema`` and a
JSON Schema of one record, so users validate their own frames with the same rules.

The pandera schema describes the target's lines as **canonical text** (one String column
per target field, named as the target names it; ISO dates, ``.`` as decimal point,
``true``/``false``): what the rules produce from a partner's notation. Row checks map to
pandera's built-in checks (serialisable to YAML) where one exists, else to a named custom
check (kept by the Python object, skipped by ``to_yaml``); each check's ``error`` is
salesfmt's code, so pandera's failure cases name it (a required field's empty cell is
pandera's ``not_nullable``). What cannot map is listed in
:data:`UNMAPPED` (docs/targets.md explains why). pandera is imported only when asked for.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import polars as pl

from salesfmt.canonical import Kind
from salesfmt.checks.builtin import EMAIL_PATTERN, XML_ILLEGAL
from salesfmt.checks.countries import ISO_COUNTRIES
from salesfmt.checks.lines import ISO_CURRENCIES
from salesfmt.problems import Severity
from salesfmt.targets.spec import TYPE_CHECK, CheckUse, Target, TargetField, load_target

__all__ = ["pandera_schema", "record_json_schema", "TYPE_PATTERN", "UNMAPPED"]

_DAY = (r"\d{4}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\d|3[01])|(?:0[469]|11)-(?:0[1-9]|[12]\d|30)"
        r"|02-(?:0[1-9]|1\d|2[0-8]))"
        r"|(?:\d{2}(?:0[48]|[2468][048]|[13579][26])|(?:[02468][048]|[13579][26])00)-02-29")
_TIME = r"T(?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d(?:\.\d{1,9})?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)?"

#: Canonical text of each kind as a regular expression (a line whose cell does not match
#: has a type problem): whole numbers of at most 18 digits, decimals of at most 6 places,
#: existing ISO dates (leap years counted), ISO date-times, ``true``/``false``.
TYPE_PATTERN: dict[Kind, str] = {
    Kind.INTEGER: r"^-?\d{1,18}$",
    Kind.DECIMAL: r"^-?\d{1,18}(?:\.\d{1,6})?$",
    Kind.DATE: f"^(?:{_DAY})$",
    Kind.DATETIME: f"^(?:{_DAY}){_TIME}$",
    Kind.BOOLEAN: r"^(?:true|false)$",
}

#: Checks with no pandera counterpart, and why (docs/targets.md lists them too).
UNMAPPED: dict[str, str] = {
    "formula_like": "judged by salesfmt's two-step gate (a formula start that is not a "
                    "signed number); a regex alone flags phone numbers",
    "one_of_required": "reads other fields of the line: a pandera DataFrame-level check "
                       "could, but the declaration's wording per field would be lost",
    "not_with": "reads other fields of the line (as one_of_required)",
    "required_together": "reads other fields of the line (as one_of_required)",
    "exactly_one": "reads other fields of the line (as one_of_required)",
    "sign_mismatch": "reads other fields of the line (as one_of_required)",
    "consistent": "compares the lines of a group (cross-row): pandera checks columns",
    "group": "records (sales) are built from several lines: pandera sees lines only",
    "default_from_field": "a required field whose default is another field's value "
                          "(default: \"{salesAmountInclVat}\") is empty only when both are: "
                          "exported as nullable",
}


def _number(col: pl.Expr) -> pl.Expr:
    return col.cast(pl.Float64, strict=False)


def _bound_check(pa: Any, use: CheckUse, f: TargetField) -> Any:
    """min/max on canonical text: a custom check (kept in Python, not in YAML)."""
    name = "min" if use.code == "too_small" else "max"
    bound = use.params[name]
    parse = (lambda c: c.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)) \
        if isinstance(bound, date) else _number
    cmp = (lambda v: v >= bound) if name == "min" else (lambda v: v <= bound)

    def check(data: Any) -> Any:
        v = parse(pl.col(data.key))
        return data.lazyframe.select(v.is_null() | cmp(v))

    return pa.Check(check, name=use.code, error=use.code)


def _contains_not(pa: Any, code: str, pattern: str) -> Any:
    def check(data: Any) -> Any:
        c = pl.col(data.key)
        return data.lazyframe.select(c.is_null() | ~c.str.contains(pattern))

    return pa.Check(check, name=code, error=code)


def _not_equal(pa: Any, forbidden: float) -> Any:
    def check(data: Any) -> Any:
        v = _number(pl.col(data.key))
        return data.lazyframe.select(v.is_null() | (v != forbidden))

    return pa.Check(check, name="not_equal", error="not_equal")


def _future(pa: Any, today: date) -> Any:
    def check(data: Any) -> Any:
        v = pl.col(data.key).str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
        return data.lazyframe.select(v.is_null() | (v <= today))

    return pa.Check(check, name="future_date", error="future_date")


def _check(pa: Any, use: CheckUse, f: TargetField, today: date) -> Any | None:
    """The pandera check for one check use of field ``f``, or None (type, required and
    cross-row checks are the column's own; unmapped checks are listed in UNMAPPED)."""
    p, code = use.params, use.code  # error=: the failure cases name salesfmt's code
    built = {
        "too_long": lambda: pa.Check.str_length(max_value=p.get("max_length"), error=code),
        "not_allowed": lambda: pa.Check.isin([str(v) for v in p.get("allowed", ())],
                                             error=code),
        "invalid_email": lambda: pa.Check.str_matches(EMAIL_PATTERN, error=code),
        "invalid_currency": lambda: pa.Check.isin(sorted(ISO_CURRENCIES), error=code),
        "invalid_country": lambda: pa.Check.isin(sorted(ISO_COUNTRIES), error=code),
        "too_many_decimals": lambda: pa.Check.str_matches(
            rf"^-?\d+(?:\.\d{{0,{p.get('decimals')}}}0*)?$", error=code),
        "too_small": lambda: _bound_check(pa, use, f),
        "too_large": lambda: _bound_check(pa, use, f),
        "not_equal": lambda: _not_equal(pa, p.get("forbidden")),
        "invalid_character": lambda: _contains_not(pa, "invalid_character", XML_ILLEGAL),
        "line_break": lambda: _contains_not(pa, "line_break", "[\r\n]"),
        "future_date": lambda: _future(pa, today),
    }.get(use.code)
    if built is None:
        return None
    check = built()
    if use.severity is Severity.WARNING:  # a warning does not reject the line
        check.raise_warning = True
    return check


def _column(pa: Any, f: TargetField, target: Target, today: date) -> Any:
    checks = []
    if f.kind in TYPE_PATTERN:
        checks.append(pa.Check.str_matches(TYPE_PATTERN[f.kind], error=TYPE_CHECK[f.kind]))
    unique = False
    for use in f.checks:
        if use.code == "duplicate":
            unique = True
        elif (check := _check(pa, use, f, today)) is not None:
            checks.append(check)
    nullable = not f.required or f.default is not None
    return pa.Column(pl.String, checks=checks, nullable=nullable, unique=unique,
                     required=f.constant is None, description=f.description or None)


def pandera_schema(name: str, variant: str | None = None, *,
                   today: date | None = None) -> Any:
    """Target ``name`` (a bundled name or a declaration path) as a
    ``pandera.polars.DataFrameSchema`` over its lines as canonical text."""
    import pandera.polars as pa

    target = load_target(name, variant)
    today = today or date.today()
    columns = {f.name: _column(pa, f, target, today) for f in target.fields}
    unique = [list(d.keys) for d in target.cross if d.kind == "unique"]
    return pa.DataFrameSchema(columns, name=target.name, description=target.description,
                              unique=unique[0] if len(unique) == 1 else None, strict=False)


_JSON_TYPE = {Kind.TEXT: "string", Kind.INTEGER: "integer", Kind.DECIMAL: "number",
              Kind.BOOLEAN: "boolean", Kind.DATE: "string", Kind.DATETIME: "string"}


def _property(f: TargetField) -> dict[str, Any]:
    """One field of a record as JSON Schema, its row checks as keywords where one exists."""
    prop: dict[str, Any] = {"type": _JSON_TYPE[f.kind]}
    if f.kind is Kind.DATE and f.format in (None, "%Y-%m-%d"):
        prop["format"] = "date"
    if f.description:
        prop["description"] = f.description
    for use in f.checks:
        p = use.params
        if use.code == "too_long":
            prop["maxLength"] = p["max_length"]
        elif use.code == "not_allowed" and use.severity is Severity.ERROR:
            prop["enum"] = [str(v) for v in p["allowed"]]
        elif use.code in ("too_small", "too_large") and not isinstance(next(iter(p.values())),
                                                                      date):
            prop["minimum" if use.code == "too_small" else "maximum"] = next(iter(p.values()))
        elif use.code == "invalid_email":
            prop["pattern"] = EMAIL_PATTERN
        elif use.code in ("invalid_currency", "invalid_country"):
            prop["enum"] = sorted(ISO_CURRENCIES if use.code == "invalid_currency"
                                  else ISO_COUNTRIES)
    if not f.required or f.default is not None:
        prop["type"] = [prop["type"], "null"]
        if "enum" in prop:
            prop["enum"] = [*prop["enum"], None]
    return prop


def record_json_schema(name: str, variant: str | None = None) -> dict[str, Any]:
    """Target ``name``'s record (one line of the output, before any grouping) as a JSON
    Schema (draft 2020-12)."""
    target = load_target(name, variant)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{target.name} record",
        "description": target.description,
        "type": "object",
        "properties": {f.name: _property(f) for f in target.fields},
        "required": [f.name for f in target.fields if f.required and f.default is None],
        "additionalProperties": False,
    }

