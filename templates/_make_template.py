"""Regenerate templates/sales_template.xlsx (deterministic). Run: python templates/_make_template.py

The template a partner is sent for the per-event "Add sales" upload (seed 000): a styled,
frozen header, column widths and number formats, drop-downs for ticket types and sales
channels (taken from rules/targets/sales-template.yaml, so they never disagree with the
checks), and an Instructions sheet. The salesfmt writer fills a copy of it.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from pathlib import Path

import yaml

try:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.worksheet.datavalidation import DataValidation
except ImportError:  # the maintainers' tool: openpyxl is no runtime dependency of salesfmt
    raise SystemExit("templates/_make_template.py needs openpyxl: "
                     "pip install 'salesfmt[template]'") from None

HERE = Path(__file__).resolve().parent
DECLARATION = HERE.parent / "rules" / "targets" / "sales-template.yaml"
OUT = HERE / "sales_template.xlsx"
FIXED = dt.datetime(2026, 1, 1)
LAST = 1_048_576

# column → (width, number format, instruction)
COLUMNS = {
    "Event ID": (14, "@", "The event's id as shown on the event page (text, max 50)."),
    "Sale Date": (13, "yyyy-mm-dd", "Date of the sale, a real date (not in the future)."),
    "Ticket Type": (16, "@", "Pick from the list; other types are accepted with a warning."),
    "Sales Channel": (16, "@", "Pick from the list."),
    "Quantity": (10, "0", "Whole number of tickets; negative for refunds."),
    "Unit Price": (12, "#,##0.00", "Price of one ticket incl. VAT (optional)."),
    "Gross Amount": (14, "#,##0.00", "Total of the line incl. VAT; same sign as Quantity."),
    "Currency": (10, "@", "ISO 4217 code: EUR, GBP, USD, ..."),
    "Notes": (40, "@", "Free text (max 500). Never starts with = + - @ (read as a formula)."),
}


def _allowed() -> dict[str, list[str]]:
    decl = yaml.safe_load(DECLARATION.read_text(encoding="utf-8"))
    return {f["name"]: f["allowed"] for f in decl["fields"] if f.get("allowed")}


def _sales_sheet(wb: Workbook, allowed: dict[str, list[str]]) -> None:
    ws = wb.active
    ws.title = "Sales"
    header_font = Font(bold=True, color="FFFFFF")
    fill = PatternFill("solid", fgColor="1F4E78")
    border = Border(bottom=Side(style="medium", color="0B2545"))
    for i, (name, (width, fmt, _)) in enumerate(COLUMNS.items(), start=1):
        cell = ws.cell(row=1, column=i, value=name)
        cell.font, cell.fill, cell.border = header_font, fill, border
        cell.alignment = Alignment(horizontal="center", vertical="center")
        letter = cell.column_letter
        ws.column_dimensions[letter].width = width
        ws.column_dimensions[letter].number_format = fmt
    ws.row_dimensions[1].height = 22
    ws.freeze_panes = "A2"
    letters = {name: ws.cell(row=1, column=i).column_letter
               for i, name in enumerate(COLUMNS, start=1)}
    for name, values in allowed.items():
        dv = DataValidation(type="list", formula1='"' + ",".join(values) + '"',
                            allow_blank=True, showDropDown=False)
        strict = name == "Sales Channel"
        dv.errorStyle = "stop" if strict else "warning"
        dv.error = f"Choose a {name.lower()} from the list."
        dv.errorTitle = name
        dv.promptTitle, dv.prompt = name, "Pick from the list."
        dv.showErrorMessage = dv.showInputMessage = True
        dv.add(f"{letters[name]}2:{letters[name]}{LAST}")
        ws.add_data_validation(dv)
    rules = [
        ("Sale Date", DataValidation(type="date", operator="lessThanOrEqual",
                                     formula1="TODAY()", allow_blank=True)),
        ("Quantity", DataValidation(type="whole", operator="notEqual", formula1="0",
                                    allow_blank=True)),
        ("Unit Price", DataValidation(type="decimal", operator="greaterThanOrEqual",
                                      formula1="0", allow_blank=True)),
        ("Currency", DataValidation(type="textLength", operator="equal", formula1="3",
                                    allow_blank=True)),
    ]
    for name, dv in rules:
        dv.showErrorMessage = True
        dv.errorTitle, dv.error = name, COLUMNS[name][2]
        dv.add(f"{letters[name]}2:{letters[name]}{LAST}")
        ws.add_data_validation(dv)


def _instructions(wb: Workbook, allowed: dict[str, list[str]]) -> None:
    ws = wb.create_sheet("Instructions")
    ws.column_dimensions["A"].width = 18
    ws.column_dimensions["B"].width = 90
    ws["A1"] = "How to fill in this sales template"
    ws["A1"].font = Font(bold=True, size=14)
    rows = [
        ("", "One line per ticket type sold per event and day. Keep the header row as it is;"
             " do not add, rename or move columns (ask support for a partner variant)."),
        ("", "Dates and amounts must be real dates and numbers, not text."),
        ("", ""),
        ("Column", "What to enter"),
    ]
    for name, (_, _, text) in COLUMNS.items():
        extra = f" Values: {', '.join(allowed[name])}." if name in allowed else ""
        rows.append((name, text + extra))
    rows += [
        ("", ""),
        ("Uploading", "Upload on the event page: Add sales → File upload. Validation errors can"
                      " come back in a 200 answer (validation_errors): always read the answer."),
        ("", "sales_edit_export: GET downloads, POST uploads — do not mix them up."),
        ("", "Clear sales (DELETE) removes all sales of the event and cannot be undone:"
             " export first."),
    ]
    for r, (a, b) in enumerate(rows, start=3):
        ws.cell(row=r, column=1, value=a)
        ws.cell(row=r, column=2, value=b).alignment = Alignment(wrap_text=True, vertical="top")
    ws.cell(row=6, column=1).font = ws.cell(row=6, column=2).font = Font(bold=True)


def _deterministic(data: bytes) -> bytes:
    """Re-zip with fixed timestamps and a fixed modified date: same bytes on every run."""
    src = zipfile.ZipFile(io.BytesIO(data))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                stamp = FIXED.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, body)
            out = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            out.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(out, body)
    return buf.getvalue()


def main() -> None:
    allowed = _allowed()
    wb = Workbook()
    wb.properties.creator = "salesfmt"
    wb.properties.title = "Sales template"
    wb.properties.created = FIXED
    _sales_sheet(wb, allowed)
    _instructions(wb, allowed)
    buf = io.BytesIO()
    wb.save(buf)
    OUT.write_bytes(_deterministic(buf.getvalue()))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
