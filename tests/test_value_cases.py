"""Value checks and output safety as data: every case in tests/cases/values.yaml is a few
partner rows (a good base row per target, with some fields changed) converted to a bundled
target → every problem of the run, and what the output file holds.

Case keys: ``name``, ``target`` (bundled target; ``variant``), ``rules`` (extra rule-file
keys: ``formulas``, ``severity``), ``rows`` (per row, canonical field → partner cell, over
the target's base row), ``problems`` (every problem as ``[line, code, field, severity]``),
``written`` (target field → the output's cells, in order, as text), ``contains`` /
``absent`` (text the output file must / must not hold), ``lines`` (physical lines of a CSV
output), ``serials`` (workbook column → the raw numbers of its cells). A workbook output's
XML parts are always parsed: never ill-formed.
"""

from __future__ import annotations

import csv
import json
import re
import xml.etree.ElementTree as ET
import zipfile
from datetime import date, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import yaml

from salesfmt.pipeline import run
from salesfmt.rules import load_rules
from salesfmt.targets import load_target

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "values.yaml").read_text("utf-8"))
TODAY = date(2026, 11, 1)

# a good line per target; "{i}" is the row's number (unique ids)
BASE: dict[str, dict[str, str]] = {
    "bulk-csv": {"sale_id": "{i}", "draw_number": "7", "sold_at": "2026-10-01",
                 "sku": "LOT-1", "quantity": "1", "amount": "2.50", "payment_method": "card",
                 "last_name": "Jansen", "address_line1": "Main 1", "postcode": "1000",
                 "country": "NL", "phone": ""},
    "sales-template": {"event_id": "EVT-1", "sold_at": "2026-10-01", "ticket_type": "Adult",
                       "channel": "Online", "quantity": "2", "unit_price": "5.00",
                       "amount": "10.00", "currency": "EUR", "notes": "", "sale_id": "O-{i}"},
    "wallie": {"sale_id": "S{i}", "sold_at": "2026-10-01 10:00:00", "location_id": "L1",
               "line_id": "S{i}-1", "sku": "SKU1", "line_number": "1", "amount": "29.99",
               "online": "false", "quantity": "1", "transaction_id": ""},
    "thalamus-partner-sale": {"customer_ref": "C1", "partner_sku_code": "PSK-1",
                              "quantity": "1", "amount": "9.99", "sold_at": "2026-10-01",
                              "transaction_id": "T{i}"},
    "thalamus-party-sale": {"transaction_id": "T{i}", "sold_at": "2026-10-01 10:00:00",
                            "vendor_id": "2", "physical_location_id": "24", "sku": "Code1",
                            "quantity": "1", "amount": "10.00"},
}


def _convert(case: dict[str, Any], tmp: Path) -> tuple[Any, Path]:
    base = BASE[case["target"]]
    rows = [{k: v.format(i=i + 1) for k, v in {**base, **row}.items()}
            for i, row in enumerate(case["rows"])]
    names = list(dict.fromkeys(k for r in rows for k in r))
    src = tmp / "in.csv"
    with src.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(names)
        w.writerows([[r.get(n, "") for n in names] for r in rows])
    rules = {"name": "case", **(case.get("rules") or {}), "fields": {n: n for n in names}}
    (tmp / "r.yaml").write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    target = load_target(case["target"], case.get("variant"))
    out = tmp / f"out.{target.output}"
    res = run(src, load_rules(tmp / "r.yaml"), target, today=TODAY, output=out)
    return res, out


def _cells(out: Path) -> dict[str, list[str | None]]:
    """The output's columns as text (CSV: as written; workbook: ISO dates, plain numbers)."""
    if out.suffix == ".csv":
        with out.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        return {h: [r[i] for r in rows[1:]] for i, h in enumerate(rows[0])}
    ws = openpyxl.load_workbook(out)["Sales"]
    rows = list(ws.iter_rows(values_only=True))

    def text(v: object) -> str | None:
        if isinstance(v, datetime):
            return v.date().isoformat() if v.time() == datetime.min.time() else v.isoformat()
        return None if v is None else str(v)

    return {h: [text(r[i]) for r in rows[1:]] for i, h in enumerate(rows[0])}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_value_case(case: dict[str, Any], tmp_path: Path) -> None:
    res, out = _convert(case, tmp_path)
    got = sorted(res.problems.select("line", "code", "field", "severity").rows(),
                 key=lambda r: (r[0] or 0, r[1], r[2] or ""))
    want = sorted((tuple(p) for p in case.get("problems") or []),
                  key=lambda r: (r[0] or 0, r[1], r[2] or ""))
    assert got == want, res.problems.select("line", "code", "message", "value").rows()
    for text in case.get("messages") or []:
        assert any(text in m for m in res.problems["message"].to_list()), \
            res.problems["message"].to_list()
    if "written" in case:
        cells = _cells(out)
        for name, values in case["written"].items():
            assert cells[name] == values, name
    body = out.read_text(encoding="utf-8") if out.suffix != ".xlsx" else ""
    for text in case.get("contains") or []:
        assert text in body, body
    for text in case.get("absent") or []:
        assert text not in body, body
    if "lines" in case:
        assert body.count("\n") == case["lines"], body
    if out.suffix == ".xlsx":
        with zipfile.ZipFile(out) as z:
            for name in z.namelist():
                if name.endswith(".xml"):
                    ET.fromstring(z.read(name))  # well-formed, or ParseError
            sheet = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
        for col, numbers in (case.get("serials") or {}).items():
            got = [float(v) for v in re.findall(rf'<c r="{col}[2-9]\d*"[^>]*><v>([^<]*)</v>',
                                                sheet)]
            assert got == numbers, sheet
    if out.suffix in (".json", ".jsonl"):
        for line in body.splitlines() if out.suffix == ".jsonl" else [body]:
            json.loads(line)
