"""The sales-template writer never writes an ill-formed sheet, whatever the text: every
XML-illegal code point is escaped (Excel's _xHHHH_), dates Excel cannot hold are text.
The written workbook is opened with openpyxl and every XML part with an XML parser."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from salesfmt.canonical import polars_type
from salesfmt.pipeline import run
from salesfmt.rules import load_rules
from salesfmt.targets import load_target
from salesfmt.targets.serializers.xlsx import XlsxTemplateWriter
from salesfmt.targets.validate import out, value

ILLEGAL = [chr(c) for c in range(32) if chr(c) not in "\t\n\r"] + ["\ufffe", "\uffff"]


def _well_formed(path: Path) -> openpyxl.Workbook:
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.endswith(".xml"):
                ET.fromstring(z.read(name))
    return openpyxl.load_workbook(path)


def _batch(notes: list[str], days: list[date]) -> pl.DataFrame:
    """Good rows for the sales-template target, as the batch loop hands them to writers."""
    target = load_target("sales-template")
    n = len(notes)
    given = {"Event ID": ["EVT-1"] * n, "Sale Date": days, "Ticket Type": ["Adult"] * n,
             "Sales Channel": ["Online"] * n, "Quantity": [1] * n,
             "Unit Price": [Decimal("2.50")] * n, "Gross Amount": [Decimal("2.50")] * n,
             "Currency": ["EUR"] * n, "Notes": notes}
    cols = {}
    for f in target.fields:
        cols[value(f.name)] = pl.Series(given[f.name], dtype=polars_type(f.kind))
        text = [d.isoformat() if isinstance(d, date) else str(d) for d in given[f.name]]
        cols[out(f.name)] = pl.Series(text, dtype=pl.String)
    return pl.DataFrame(cols)


@pytest.mark.parametrize("char", ILLEGAL, ids=[f"U+{ord(c):04X}" for c in ILLEGAL])
def test_every_xml_illegal_character_is_escaped(char: str, tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    writer = XlsxTemplateWriter(path, load_target("sales-template"))
    writer.write(_batch([f"a{char}b"], [date(2026, 10, 1)]))
    writer.commit()
    cell = _well_formed(path)["Sales"]["I2"].value
    assert cell == f"a_x{ord(char):04X}_b"  # Excel reads its escape back as the character


def test_dates_excel_cannot_hold_are_text_never_negative_serials(tmp_path: Path) -> None:
    path = tmp_path / "out.xlsx"
    writer = XlsxTemplateWriter(path, load_target("sales-template"))
    days = [date(1850, 6, 1), date(1899, 12, 31), date(1900, 1, 1), date(1900, 2, 28),
            date(1900, 3, 1), date(2026, 10, 1)]
    writer.write(_batch([""] * len(days), days))
    writer.commit()
    ws = _well_formed(path)["Sales"]
    cells = [ws.cell(row=r, column=2) for r in range(2, 8)]
    assert [c.value for c in cells[:2]] == ["1850-06-01", "1899-12-31"]
    assert [c.value.date() for c in cells[2:]] == days[2:]
    with zipfile.ZipFile(path) as z:
        sheet = z.read("xl/worksheets/sheet1.xml").decode()
    serials = re.findall(r'<c r="B\d+"[^>]*><v>([^<]*)</v>', sheet)
    assert serials == ["1", "59", "61", "46296"]  # Excel's serials, its 1900 leap day counted


def test_a_control_character_in_a_partner_cell_never_breaks_the_workbook(tmp_path: Path
                                                                          ) -> None:
    """End to end with the bundled target: reported (the line rejected), and the
    workbook written opens."""
    src = tmp_path / "in.csv"
    src.write_text("event,date,type,channel,qty,amount,cur,notes\n"
                   "EVT-1,2026-10-01,Adult,Online,1,2.50,EUR,a\ufffeb\n"
                   "EVT-1,2026-10-01,Adult,Online,1,2.50,EUR,fine\n", encoding="utf-8")
    rules = tmp_path / "r.yaml"
    rules.write_text("name: r\nfields: {event_id: event, sold_at: date, ticket_type: type, "
                     "channel: channel, quantity: qty, amount: amount, currency: cur, "
                     "notes: notes}\n", encoding="utf-8")
    path = tmp_path / "out.xlsx"
    res = run(src, load_rules(rules), load_target("sales-template"), today=date(2026, 11, 1),
              output=path)
    assert not res.clean
    assert _well_formed(path)["Sales"]["I2"].value == "fine"
