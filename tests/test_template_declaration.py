"""The sales-template declaration agrees with the data validations of the template it fills:
whatever the template's own validation refuses (LibreOffice and Excel flag it on opening),
the declaration refuses too, with the same severity (a "stop" is an error)."""

from __future__ import annotations

import openpyxl
from openpyxl.utils import get_column_letter

from salesfmt.canonical import Kind
from salesfmt.checks.lines import ISO_CURRENCIES
from salesfmt.resources import templates_dir
from salesfmt.targets import load_target
from salesfmt.targets.spec import CheckUse

STYLE = {"stop": "error", "warning": "warning", "information": "warning", None: "error"}
KINDS = {"whole": {Kind.INTEGER}, "decimal": {Kind.DECIMAL, Kind.INTEGER}, "date": {Kind.DATE},
         "list": {Kind.TEXT}, "textLength": {Kind.TEXT}}


def _param(uses: dict[str, CheckUse], code: str, name: str) -> object:
    return uses[code].params[name] if code in uses else None


def _refused(kind: str, op: str | None, f1: str, f2: str | None,
             uses: dict[str, CheckUse]) -> CheckUse | None:
    """The declared check that refuses what the validation refuses, or None."""
    if kind == "list":
        return uses.get("not_allowed") if _param(uses, "not_allowed", "allowed") == \
            f1.strip('"').split(",") else None
    if kind == "textLength":  # every value the check accepts has the validated length
        if op == "equal" and {len(c) for c in ISO_CURRENCIES} == {int(f1)}:
            return uses.get("invalid_currency")
        return uses.get("too_long") if op == "lessThanOrEqual" and \
            _param(uses, "too_long", "max_length") == int(f1) else None
    if op == "lessThanOrEqual" and f1 == "TODAY()":
        return uses.get("future_date")
    bound = float(f1)
    if op == "notEqual":
        return uses.get("not_equal") if _param(uses, "not_equal", "forbidden") == bound else None
    if op == "greaterThanOrEqual":
        low = _param(uses, "too_small", "min")
        return uses["too_small"] if low is not None and float(low) >= bound else None
    if op == "lessThanOrEqual":
        high = _param(uses, "too_large", "max")
        return uses["too_large"] if high is not None and float(high) <= bound else None
    raise AssertionError(f"validation {kind} {op} {f1} {f2} is not compared")


def test_every_validated_column_agrees_with_the_declaration() -> None:
    target = load_target("sales-template")
    ws = openpyxl.load_workbook(templates_dir() / target.options["template"])[
        target.options["sheet"]]
    headers = {c.column_letter: c.value for c in ws[1]}
    by_column = {f.template_column: f for f in target.fields}
    seen = []
    for dv in ws.data_validations.dataValidation:
        for cells in dv.sqref.ranges:
            f = by_column[headers[get_column_letter(cells.min_col)]]
            assert f.kind in KINDS[dv.type], f"{f.name}: {f.kind} for a {dv.type} validation"
            use = _refused(dv.type, dv.operator, dv.formula1, dv.formula2,
                           {u.code: u for u in f.checks})
            assert use is not None, \
                f"{f.name}: the template refuses what is not {dv.operator} {dv.formula1}"
            assert use.severity.value == STYLE[dv.errorStyle], f.name
            seen.append(f.name)
    assert sorted(seen) == ["Currency", "Quantity", "Sale Date", "Sales Channel",
                            "Ticket Type", "Unit Price"]  # every validated column compared
