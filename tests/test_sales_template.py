"""sales-template: the written workbook read back with calamine (fastexcel, not the writer's
code) cell by cell; the template's Instructions sheet, styles and validations survive;
text is never a formula; variants rename, reorder and add columns."""

from __future__ import annotations

import csv
import zipfile
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import fastexcel
import openpyxl
import polars as pl
import pytest

from salesfmt.pipeline import run
from salesfmt.resources import templates_dir
from salesfmt.rules import load_rules
from salesfmt.targets import load_target

RULES = """
name: template-test
formulas: warn  # the writer's own safety is tested: formula-like and control text go out
severity: {invalid_character: warning}
fields:
  event_id: event
  sold_at: date
  ticket_type: type
  channel: channel
  quantity: qty
  unit_price: price
  amount: amount
  currency: cur
  notes: notes
  sale_id: order
"""

TRICKY = ["", "plain", "a & b < c > d", "=SUM(A1:A2)", "+31 6 1234", "-minus", "@at",
          "tab\there", "line\nbreak", "cr\rhere", "bell\x07char", "_x000D_ literal",
          "ünïcödé €", " lead and trail ", "x" * 300, '"quoted"']


def _rows(n: int) -> list[list[str]]:
    rows = []
    for i in range(n):
        qty = (i % 5) + 1
        price = Decimal(f"{(i % 7) * 3 + 0.1 + (i % 3) / 100:.2f}")
        rows.append([f"EVT-{i % 4:03d}", f"2026-10-{(i % 28) + 1:02d}",
                     ["Adult", "Child", "VIP"][i % 3], ["Online", "Box Office"][i % 2],
                     str(qty), str(price), str(price * qty), "EUR", TRICKY[i % len(TRICKY)],
                     f"O-{i}"])
    return rows


def _write_input(tmp: Path, rows: list[list[str]]) -> Path:
    """The partner CSV and its rule file (tmp/r.yaml); returns the CSV."""
    src = tmp / "in.csv"
    with src.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["event", "date", "type", "channel", "qty", "price", "amount", "cur",
                    "notes", "order"])
        w.writerows(rows)
    (tmp / "r.yaml").write_text(RULES)
    return src


def _convert(tmp: Path, rows: list[list[str]], variant: str | None = None,
             batch_size: int = 7, target: object = None) -> tuple[Path, object]:
    src = _write_input(tmp, rows)
    out = tmp / "out.xlsx"
    res = run(src, load_rules(tmp / "r.yaml"), target or load_target("sales-template", variant),
              today=date(2026, 11, 1), output=out, batch_size=batch_size)
    return out, res


def test_every_cell_reads_back_with_calamine(tmp_path: Path) -> None:
    rows = _rows(60)
    out, res = _convert(tmp_path, rows)
    assert res.rows_out == 60 and res.clean
    got = fastexcel.read_excel(out).load_sheet("Sales").to_polars()
    assert got.columns == ["Event ID", "Sale Date", "Ticket Type", "Sales Channel", "Quantity",
                           "Unit Price", "Gross Amount", "Currency", "Notes"]
    assert got.schema["Sale Date"] == pl.Datetime("ms")
    assert got.height == len(rows)
    for row, cells in zip(rows, got.iter_rows(), strict=True):
        event, day, kind, channel, qty, price, amount, cur, notes, _ = row
        assert cells[0] == event
        assert cells[1] == datetime.fromisoformat(day)
        assert cells[2:4] == (kind, channel)
        assert cells[4] == int(qty)
        assert Decimal(str(cells[5])) == Decimal(price)
        assert Decimal(str(cells[6])) == Decimal(amount)
        assert cells[7] == cur
        # the reader strips nothing but CSV parsing trims: compare what salesfmt kept
        assert cells[8] == (notes.strip() or None)


def test_text_is_never_a_formula_and_is_flagged(tmp_path: Path) -> None:
    out, res = _convert(tmp_path, _rows(16))
    ws = openpyxl.load_workbook(out)["Sales"]
    notes = {ws.cell(row=r, column=9).value: ws.cell(row=r, column=9).data_type
             for r in range(2, 18)}
    assert notes["=SUM(A1:A2)"] == "s"
    assert all(t != "f" for t in notes.values())
    warned = res.problems.filter(pl.col("code") == "formula_like")["value"].to_list()
    assert warned == ["=SUM(A1:A2)", "-minus", "@at"]  # a phone number is not a formula


def test_template_parts_survive(tmp_path: Path) -> None:
    out, _ = _convert(tmp_path, _rows(5))
    template = templates_dir() / "sales_template.xlsx"
    with zipfile.ZipFile(template) as t, zipfile.ZipFile(out) as o:
        assert t.namelist() == o.namelist()
        for name in t.namelist():
            if name != "xl/worksheets/sheet1.xml":
                assert t.read(name) == o.read(name), name
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Sales", "Instructions"]
    assert wb["Instructions"]["A1"].value == "How to fill in this sales template"
    ws = wb["Sales"]
    assert ws.freeze_panes == "A2"
    lists = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    assert lists["D2:D1048576"] == '"Box Office,Online,Phone,Agent,Partner"'
    assert lists["C2:C1048576"].startswith('"Adult,Child,')
    assert len(lists) == 6
    assert ws["A1"].font.bold and ws["B2"].number_format == "yyyy-mm-dd"
    assert ws["F2"].number_format == "#,##0.00"
    assert ws.column_dimensions["I"].width == 40


def test_variant_renames_reorders_and_adds(tmp_path: Path) -> None:
    out, res = _convert(tmp_path, _rows(4), variant="box-office")
    got = fastexcel.read_excel(out).load_sheet("Sales").to_polars()
    assert got.columns == ["Event Code", "Order Ref", "Sale Date", "Ticket Type",
                           "Sales Channel", "Quantity", "Unit Price", "Total", "Currency",
                           "Notes"]
    assert got["Order Ref"].to_list() == ["O-0", "O-1", "O-2", "O-3"]
    ws = openpyxl.load_workbook(out)["Sales"]
    lists = {str(dv.sqref) for dv in ws.data_validations.dataValidation}
    assert "E2:E1048576" in lists  # Sales Channel moved from D to E, its drop-down with it
    assert ws["C2"].number_format == "yyyy-mm-dd"


@pytest.mark.parametrize("batch_size", [1, 3, 1000])
def test_batches_do_not_change_the_bytes(tmp_path: Path, batch_size: int) -> None:
    reference, _ = _convert(tmp_path, _rows(20), batch_size=50)
    data = reference.read_bytes()
    (tmp_path / "b").mkdir()
    out, _ = _convert(tmp_path / "b", _rows(20), batch_size=batch_size)
    assert out.read_bytes() == data


def test_unknown_variant_is_a_one_line_error(cli, tmp_path: Path) -> None:
    src = Path(__file__).resolve().parent.parent / "samples" / "event-ticketing.csv"
    res = cli("check", src, "--rules", "ticketline-events", "--to", "sales-template",
              "--variant", "nope")
    assert res.code == 2
    assert "unknown variant 'nope'; variants: box-office" in res.err


def test_a_template_from_another_writer(tmp_path: Path) -> None:
    """An operator's own template (shared strings, its own styles and validations, an
    xr:uid-style namespaced attribute) is refilled the same way."""
    import re

    import xlsxwriter

    from salesfmt.targets import with_options

    path = tmp_path / "own.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("Sales")
    bold = wb.add_format({"bold": True})
    columns = ["Event ID", "Sale Date", "Ticket Type", "Sales Channel", "Quantity",
               "Unit Price", "Gross Amount", "Currency", "Notes"]
    for i, name in enumerate(columns):
        ws.write_string(0, i, name, bold)
    ws.set_column(1, 1, 12, wb.add_format({"num_format": "dd/mm/yyyy"}))
    ws.data_validation("D2:D1000", {"validate": "list", "source": ["Online", "Box Office"]})
    wb.add_worksheet("Readme").write_string(0, 0, "ours")
    wb.close()
    with zipfile.ZipFile(path) as z:  # add what Excel itself writes on validations
        parts = {n: z.read(n) for n in z.namelist()}
    sheet = parts["xl/worksheets/sheet1.xml"].decode()
    sheet = sheet.replace("<worksheet ", '<worksheet xmlns:xr="http://schemas.microsoft.com/'
                          'office/spreadsheetml/2014/revision" ', 1)
    sheet = re.sub(r"<dataValidation ", '<dataValidation xr:uid="{0A1B}" ', sheet)
    parts["xl/worksheets/sheet1.xml"] = sheet.encode()
    with zipfile.ZipFile(path, "w") as z:
        for name, data in parts.items():
            z.writestr(name, data)

    out, _ = _convert(tmp_path, _rows(6),
                      target=with_options(load_target("sales-template"), template=str(path)))
    got = fastexcel.read_excel(out).load_sheet("Sales").to_polars()
    assert got.columns == columns and got.height == 6
    assert got["Sale Date"].to_list()[0] == datetime(2026, 10, 1)
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Sales", "Readme"]
    assert book["Sales"]["B2"].number_format == "dd/mm/yyyy"
    assert [str(dv.sqref) for dv in book["Sales"].data_validations.dataValidation] == \
        ["D2:D1000"]
