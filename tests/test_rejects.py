"""The rejects file (issue 14): the rejected lines in the partner's own layout, and the round
trip — the partner corrects the flagged cells, the fixed file converts clean with the same
rule file, never collides with the first delivery, and both deliveries hold every line."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from conftest import SAMPLES, TODAY, run_cli

KASSA = SAMPLES / "kassa-export-nl.csv"
UK = SAMPLES / "weekly-sales-uk.xlsx"

#: The partner's corrections of the Dutch till export, by (receipt number, column): value.
KASSA_FIXES = {
    ("710044", "Bedrag"): "€ 12,50",
    ("710047", "Datum"): "28-02-2026",
    ("710050", "Achternaam"): "Bos",
    ("710053", "E-mail"): "anouk.13@voorbeeld.nl",
    ("710059", "Betaalwijze"): "PIN",
    ("710061", "Aantal"): "2",
}


def _fix_kassa(text: str) -> str:
    """The partner's corrections, made in the file's own text (cells only, as a person
    would in an editor): the second receipt 710055 (customer K5516) gets its own number."""
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    head = rows[0]
    for r in rows[1:]:
        if len(r) < len(head):
            continue
        if r[0] == "710055" and r[head.index("Klantnummer")] == "K5516":
            r[0] = "710056"
        for (receipt, column), value in KASSA_FIXES.items():
            if r[0] == receipt:
                r[head.index(column)] = value
    buf = io.StringIO(newline="")
    csv.writer(buf, delimiter=";", lineterminator="\r\n").writerows(rows)
    return buf.getvalue()


def _convert(src: Path, rules: str, out: Path, ledger: Path, *extra: str):
    return run_cli("convert", src, "--rules", rules, "--to", "bulk-csv", "-o", f"{out}/",
                   "--today", TODAY, "--upload-name", "--ledger", ledger, "--lang", "en", *extra)


def _records(folder: Path) -> list[tuple[str, ...]]:
    (out,) = [p for p in folder.glob("*.csv") if ".rejects." not in p.name]
    return [tuple(r) for r in list(csv.reader(out.read_text("utf-8").splitlines()))[1:]]


def test_csv_round_trip(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    first, second, whole = tmp_path / "first", tmp_path / "second", tmp_path / "whole"
    res = _convert(KASSA, "kassa-nl", first, ledger, "--rejects", first / "kassa.rejects.csv")
    assert res.code == 1, res.err
    assert f"rejects: {first}/kassa.rejects.csv (7 line(s))" in res.err
    # the partner's own lines, byte for byte (cp1252, ';', CRLF), each with its problems
    original = KASSA.read_bytes().split(b"\r\n")
    lines = (first / "kassa.rejects.csv").read_bytes().split(b"\r\n")
    assert lines[0] == original[0] + b";Problems"
    assert lines[-1] == b""  # every record keeps its CRLF
    by_row = {6: "Bedrag: AMOUNT is not a valid number. The cell holds text", 9: "Datum: ",
              12: "Achternaam: LAST_NAME is required.", 15: "E-mail: EMAIL is not",
              18: "Bonnummer: ORDER_ID is duplicated", 21: "Betaalwijze: PAYMENT_METHOD",
              23: "Aantal: QUANTITY is not a valid number."}
    assert len(lines) == 1 + len(by_row) + 1
    for line, (row, start) in zip(lines[1:], by_row.items(), strict=False):
        assert line.startswith(original[row - 1] + b";"), row  # not normalised: '€ 12,5O'
        assert line.split(b";")[-1].decode("cp1252").startswith(start)
    fixed = tmp_path / "kassa.fixed.csv"
    text = (first / "kassa.rejects.csv").read_bytes().decode("cp1252")
    fixed.write_bytes(_fix_kassa(text).encode("cp1252"))  # Problems column left in place
    again = _convert(fixed, "kassa-nl", second, ledger, "--rejects",
                     second / "kassa.rejects.csv")
    assert again.code == 0, again.err
    assert (second / "kassa.rejects.csv").read_bytes() == lines[0] + b"\r\n"  # none
    assert "rows: 7 read = 7 converted + 0 rejected + 0 skipped" in again.err
    assert "0 warning(s)" in again.err  # the Problems column is ignored, silently
    # upload names never collide: the ledger gives the resend the next batch
    names = {p.name for d in (first, second) for p in d.glob("retail-nl_*.csv")}
    assert names == {"retail-nl_01-11-2026_1.csv", "retail-nl_01-11-2026_2.csv"}
    # first delivery + resend = every line of the partner's file, each id once
    whole_src = tmp_path / "kassa.all-fixed.csv"
    whole_src.write_bytes(_fix_kassa(KASSA.read_bytes().decode("cp1252")).encode("cp1252"))
    assert _convert(whole_src, "kassa-nl", whole, tmp_path / "other.sqlite").code == 0
    delivered = _records(first) + _records(second)
    ids = [r[0] for r in delivered]
    assert len(ids) == len(set(ids)) == 24
    assert sorted(delivered) == sorted(_records(whole))


UK_FIXES = {90102: ("Qty", 1), 90105: ("Qty", 2), 90107: ("Amount (£)", 3.2),
            90109: ("Sale Date", datetime(2026, 10, 15, 10, 0)),
            90111: ("Product", "WK-LOTTO-PLUS"), 90113: ("Surname", "Jones")}


def test_xlsx_rejects_and_round_trip(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    first, second = tmp_path / "first", tmp_path / "second"
    rejects = first / "uk.rejects.xlsx"
    res = _convert(UK, "tillpoint-uk", first, ledger, "--rejects", rejects)
    assert res.code == 1, res.err
    wb = openpyxl.load_workbook(rejects)
    assert wb.sheetnames == ["What to do", "Weekly sales"]
    assert "6 line(s) of your file weekly-sales-uk.xlsx" in wb["What to do"]["A3"].value
    ws = wb["Weekly sales"]
    assert ws["A1"].value.startswith("Bright Futures")  # the title block: header on row 5
    head = [c.value for c in ws[5]]
    assert head[:3] == ["Order No", "Draw", "Sale Date"] and head[-1] == "Problems"
    rows = {r[0].value: r for r in ws.iter_rows(min_row=6)}
    assert sorted(rows) == sorted(UK_FIXES)
    # values and types as in the partner's workbook; problem cells filled and commented
    sale = rows[90109][head.index("Sale Date")]
    assert sale.value == datetime(2027, 1, 15, 10, 0) and sale.is_date
    assert "must not be in the future" in sale.comment.text
    assert sale.fill.fgColor.rgb.endswith("FFC7CE")
    assert rows[90105][head.index("Qty")].value == "two"
    assert rows[90102][head.index("Qty")].value == 0
    assert rows[90102][head.index("Amount (£)")].comment is None
    assert rows[90107][-1].value.startswith("Amount (£): AMOUNT is not a valid number.")
    for order, (column, value) in UK_FIXES.items():
        rows[order][head.index(column)].value = value
    fixed = tmp_path / "uk.fixed.xlsx"
    wb.save(fixed)
    again = _convert(fixed, "tillpoint-uk", second, ledger)
    assert again.code == 0, again.err
    assert "rows: 6 read = 6 converted + 0 rejected + 0 skipped" in again.err
    delivered = _records(first) + _records(second)
    ids = [r[0] for r in delivered]
    assert len(ids) == len(set(ids)) == 18  # every line of the partner's sheet
    names = {p.name for d in (first, second) for p in d.glob("retail-uk_*.csv")}
    assert len(names) == 2


def test_grouped_rejects_carry_the_whole_sale(tmp_path: Path) -> None:
    """A Wallie sale is sent whole: its good lines come back with it, saying why."""
    res = run_cli("convert", SAMPLES / "pos-lines-returns.csv", "--rules", "pos-lines",
                  "--to", "wallie", "-o", f"{tmp_path}/", "--today", TODAY,
                  "--rejects", tmp_path / "pos.rejects.csv")
    assert res.code == 1, res.err
    rows = list(csv.reader((tmp_path / "pos.rejects.csv").read_text("utf-8").splitlines()))
    assert rows[0][-1] == "Problems"
    with_sale = [r for r in rows[1:] if r[-1].startswith("Rejected with its sale")]
    assert {r[0] for r in with_sale} == {"R1002", "W5001"}
    assert "row 8 has an error" in with_sale[0][-1]
    sent = (tmp_path / "pos-lines-returns.json").read_text("utf-8")
    assert all(f'"salesId": "{r[0]}"' not in sent for r in rows[1:])


def test_rejects_options_are_checked_up_front(tmp_path: Path) -> None:
    wrong = run_cli("convert", KASSA, "--rules", "kassa-nl", "--to", "bulk-csv",
                    "-o", f"{tmp_path}/out/", "--rejects", tmp_path / "r.xlsx")
    assert wrong.code == 2 and "name it *.csv" in wrong.err
    elsewhere = run_cli("convert", KASSA, "--rules", "kassa-nl", "--to", "bulk-csv",
                        "-o", f"{tmp_path}/out/", "--rejects", tmp_path / "r.csv")
    assert elsewhere.code == 2 and "in the output folder" in elsewhere.err
    assert not list((tmp_path / "out").iterdir())


def test_rejects_belong_to_the_output_set(tmp_path: Path) -> None:
    """Refused over an earlier set's rejects without --force; --force replaces the set,
    with the same bytes (deterministic)."""
    args = ["convert", KASSA, "--rules", "kassa-nl", "--to", "bulk-csv", "-o", f"{tmp_path}/",
            "--today", TODAY, "--rejects", tmp_path / "k.rejects.csv"]
    assert run_cli(*args).code == 1
    before = (tmp_path / "k.rejects.csv").read_bytes()
    (tmp_path / "kassa-export-nl.csv").unlink()
    (tmp_path / "kassa-export-nl.report.json").unlink()
    refused = run_cli(*args)
    assert refused.code == 2 and "k.rejects.csv: already exists" in refused.err
    assert run_cli(*args, "--force").code == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "k.rejects.csv", "kassa-export-nl.csv", "kassa-export-nl.report.json"]
    assert (tmp_path / "k.rejects.csv").read_bytes() == before


@pytest.mark.parametrize(("body", "copied"), [
    # a quoted line break: the record spans two physical lines, both copied
    ('id;name;qty\r\n1;"two\r\nlines";x\r\n2;ok;1\r\n',
     'id;name;qty;Problems\r\n1;"two\r\nlines";x;'),
    # a short record is padded so that Problems stays in its column
    ("id;name;qty\n1;short\n2;ok;1\n", "id;name;qty;Problems\n1;short;;"),
    # a title block stays above the header: the header keeps its line
    ("Export 1-10-2026;;\nid;name;qty\n2;ok;1\n1;x;y\n",
     "Export 1-10-2026;;\nid;name;qty;Problems\n1;x;y;"),
    # a quote inside an unquoted cell is text: the record ends with its line
    ('id;name;qty\n1;5" screen;x\n2;ok;1\n', 'id;name;qty;Problems\n1;5" screen;x;'),
    # a rejects file sent back still wrong: its Problems column is reused, not repeated
    ('id;name;qty;Problems\n1;x;y;"qty: old; text"\n2;ok;1;\n',
     "id;name;qty;Problems\n1;x;y;"),
])
def test_csv_records_copied_whole(tmp_path: Path, body: str, copied: str) -> None:
    src = tmp_path / "p.csv"
    src.write_text(body, encoding="utf-8", newline="")
    rules = tmp_path / "r.yaml"
    rules.write_text("name: r\ninput: {delimiter: ';'}\nfields:\n  sale_id: id\n"
                     "  sku: name\n  quantity: qty\n  draw_number: {constant: 1}\n"
                     "  sold_at: {constant: '2026-10-01'}\n  amount: {constant: '1.00'}\n"
                     "  payment_method: {constant: cash}\n  last_name: {constant: X}\n"
                     "  address_line1: {constant: X}\n  postcode: {constant: X}\n",
                     encoding="utf-8")
    res = run_cli("report", src, "--rules", rules, "--to", "bulk-csv", "-o",
                  tmp_path / "r.html", "--today", TODAY, "--rejects", tmp_path / "rej.csv")
    assert res.code == 1, res.err
    got = (tmp_path / "rej.csv").read_bytes().decode("utf-8")
    newline = "\r\n" if "\r" in body else "\n"
    assert got.startswith(f"{copied}qty: QUANTITY"), got
    assert got.endswith(f".{newline}") and got.count(newline) == copied.count(newline) + 1
