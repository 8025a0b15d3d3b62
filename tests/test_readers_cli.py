"""The readers through the real command line: refusals are one line with exit 2, and
``salesfmt inspect`` shows what was detected."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import xlsxwriter

from tests.conftest import CORPUS, SAMPLES, TODAY, run_cli
from tests.test_readers import _bomb

BROKEN = {  # corpus file → words the one-line error must contain
    "derived/date_truncated.xlsx": "truncated or damaged zip archive",
    "calamine/pass_protected.xlsx": "password-protected",
    "xlrd/biff4_no_format_no_window2.xls": "unsupported legacy Excel 4.0",
    "openpyxl/null_file.xlsx": "file is empty",
    "openpyxl/null_archive.xlsx": "not an Excel or ODS workbook",
    "frictionless-py/implicit-zip.csv": "ZIP archive",
    "calamine/issue_594_dos.ods": "too many cells",
    "calamine/too_small.xls": "no zip or OLE2 signature",
}


def _assert_refused(run, *words: str) -> None:
    assert run.code == 2, run
    assert run.out == ""
    lines = run.err.strip().splitlines()
    assert len(lines) == 1, run.err
    assert lines[0].startswith("salesfmt: error: ")
    assert "Traceback" not in run.err
    for word in words:
        assert word in lines[0]


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared/corpus not found")
@pytest.mark.parametrize(("rel", "words"), sorted(BROKEN.items()))
def test_broken_corpus_files_are_refused_in_one_line(rel: str, words: str) -> None:
    _assert_refused(run_cli("inspect", CORPUS / rel), words, rel)


def test_local_refusals(tmp_path: Path) -> None:
    _assert_refused(run_cli("inspect", tmp_path), "is a directory")
    _assert_refused(run_cli("inspect", tmp_path / "missing.csv"), "file not found")
    (tmp_path / "empty.csv").write_bytes(b"")
    _assert_refused(run_cli("inspect", tmp_path / "empty.csv"), "file is empty")
    (tmp_path / "text.xlsx").write_text("Order,Amount\n1,2\n")
    _assert_refused(run_cli("inspect", tmp_path / "text.xlsx"), "not a .xlsx workbook")
    _bomb(tmp_path / "bomb.xlsx", 0xFFFF0000)
    _assert_refused(run_cli("inspect", tmp_path / "bomb.xlsx"), "zip bomb")


def test_convert_of_a_refused_file_leaves_no_output(tmp_path: Path) -> None:
    src = tmp_path / "bomb.xlsx"
    _bomb(src, 0xFFFF0000)
    out = tmp_path / "out"
    out.mkdir()
    run = run_cli("convert", src, "-r", "tillpoint-uk", "-t", "bulk-csv", "-o", out,
                  "--today", TODAY)
    _assert_refused(run, "zip bomb")
    assert list(out.iterdir()) == []


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared/corpus not found")
def test_xls_renamed_xlsx_is_read_as_xls() -> None:
    run = run_cli("inspect", CORPUS / "derived/dummy_xls_renamed.xlsx", "--format", "json")
    assert run.code == 0, run.err
    info = run.json()
    assert info["format"] == "xls"
    assert [c["header"] for c in info["columns"]] == ["a", "b", "c"]


def test_inspect_workbook_json(tmp_path: Path) -> None:
    path = tmp_path / "partner.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    notes = wb.add_worksheet("Notes")
    notes.write(0, 0, "internal")
    data = wb.add_worksheet("Data")
    data.activate()
    notes.hide()
    data.write(0, 1, "Partner X sales")
    data.write_row(2, 1, ["Ref", "Qty", "Amount", "Email"])
    for i in range(5):
        data.write_row(3 + i, 1, [f"R{i}", i + 1, 2.5 * (i + 1), f"a{i}@x.nl"])
    wb.close()
    run = run_cli("inspect", path, "--format", "json")
    assert run.code == 0, run.err
    info = run.json()
    assert info["sheet"] == "Data" and info["header_row"] == 3 and info["data_rows"] == 5
    assert {"name": "Notes", "state": "hidden"} in info["sheets"]
    cols = {c["header"]: c for c in info["columns"]}
    assert [c["letter"] for c in info["columns"]] == ["B", "C", "D", "E"]
    assert cols["Qty"]["type"] == "integer" and cols["Amount"]["type"] == "decimal"
    assert cols["Email"]["type"] == "email" and cols["Ref"]["samples"][:2] == ["R0", "R1"]


def test_inspect_csv_text_and_overrides(tmp_path: Path) -> None:
    path = tmp_path / "kassa.csv"
    shutil.copy(SAMPLES / "kassa-export-nl.csv", path)
    run = run_cli("inspect", path)
    assert run.code == 0, run.err
    assert "encoding:   cp1252" in run.out and "delimiter:  ';'" in run.out
    assert "Bedrag" in run.out and "decimal comma" in run.out
    forced = run_cli("inspect", path, "--encoding", "utf-8")
    _assert_refused(forced, "cannot decode byte", "as utf-8")
    as_json = json.loads(run_cli("inspect", path, "--header-row", "2", "--format", "json").out)
    assert as_json["header_row"] == 2


def test_ragged_rows_reach_the_report_on_their_output_line(tmp_path: Path) -> None:
    path = tmp_path / "kassa.csv"
    lines = (SAMPLES / "kassa-export-nl.csv").read_bytes().split(b"\r\n")
    lines[3] += b";extra"                                 # file line 4 → output line 4
    path.write_bytes(b"\r\n".join(lines))
    run = run_cli("check", path, "-r", "kassa-nl", "-t", "bulk-csv", "--today", TODAY,
                  "--format", "json", "--with-source", "--lang", "en")
    assert run.code == 1, run.err
    errors = {e["line"]: e for e in run.json()["error"]["extended"]["errors"]}
    assert any("17 cells but the header has 16" in m for m in errors[4]["messages"])
    assert "rows: 25 read = 16 converted + 8 rejected + 1 skipped" in run.err


def test_workbook_footer_is_skipped_by_the_rule_not_reported() -> None:
    run = run_cli("check", SAMPLES / "weekly-sales-uk.xlsx", "-r", "tillpoint-uk",
                  "-t", "bulk-csv", "--today", TODAY)
    assert run.code == 1, run.err
    assert "+ 1 skipped" in run.err and "sheet 'Weekly sales'" in run.err


@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared/corpus not found")
def test_checking_an_empty_sheet_is_a_clean_error() -> None:
    run = run_cli("check", CORPUS / "calamine/empty_sheet.xlsx", "-r", "kassa-nl",
                  "-t", "bulk-csv", "--today", TODAY)
    _assert_refused(run, "sheet 'Sheet1' has no cells")


def test_rule_file_forces_an_escape_character_dialect(tmp_path: Path) -> None:
    rules = tmp_path / "euro.yaml"
    rules.write_text(
        "name: euro\ninput: {delimiter: ';', escape_char: '\\'}\n"
        "fields: {sale_id: Ref, draw_number: Draw, sold_at: Date, sku: Product,\n"
        "  quantity: Qty, amount: Amount, payment_method: Paid, last_name: Name,\n"
        "  address_line1: Street, postcode: Zip}\n", encoding="utf-8")
    data = tmp_path / "euro.csv"
    data.write_text(
        "Ref;Draw;Date;Product;Qty;Amount;Paid;Name;Street;Zip\n"
        '1;7;2026-01-02;"LOT \\"A\\"; big";1;2.50;card;Smith;Main 1;1000\n'
        '2;7;2026-01-02;LOT;x;2.50;card;Jones;Main 2;1000\n', encoding="utf-8")
    out = tmp_path / "out.csv"
    run = run_cli("convert", data, "-r", rules, "-t", "bulk-csv", "-o", out, "--today", TODAY)
    assert run.code == 1, run.err
    assert 'LOT ""A""; big' in out.read_text(encoding="utf-8")   # one cell, quotes unescaped
    report = json.loads(out.with_name("out.report.json").read_text(encoding="utf-8"))
    assert report["error"]["extended"]["errors"][0]["line"] == 3


# --- issue 18: the rules pick the sheet, merged titles, numbers next to number text -------

def test_box_office_sample_envelope_exact() -> None:
    """Summary sheet first: the rules' headers pick 'Transaktionen'; numeric cells (24.5)
    and typed text ('54,00 €', '1.234,50 €') in one money column both read as amounts."""
    res = run_cli("check", SAMPLES / "box-office-de.xlsx", "--rules", "box-office-de", "--to",
                  "bulk-csv", "--today", "2026-11-01", "--format", "json", "--with-source")
    assert res.code == 1, res.err
    ext = res.json()["error"]["extended"]
    assert [(e["line"], e["messages"], [(s["row"], s["column"], s["value"]) for s in e["source"]])
            for e in ext["errors"]] == [(11, ["AMOUNT is not a valid number"],
                                         [(12, "F", "n/a")])]
    assert [(p["code"], p["row"], p["message"]) for p in ext["other_problems"]] == [
        ("merged_cells", 1, "cells A1:F1 are merged (a title above the header); only A1 "
                            "holds the value, the other cells read as empty")]
    assert "sheet 'Transaktionen' (its header fits the rules best), header on row 2" in res.err


def test_box_office_amounts_convert(tmp_path: Path) -> None:
    res = run_cli("convert", SAMPLES / "box-office-de.xlsx", "--rules", "box-office-de",
                  "--to", "bulk-csv", "--today", "2026-11-01", "-o", f"{tmp_path}/")
    assert res.code == 1, res.err
    lines = (tmp_path / "box-office-de.csv").read_text(encoding="utf-8").splitlines()
    amounts = [line.split(",")[5] for line in lines[1:]]
    assert amounts == ["24.50", "54.00", "12.00", "7.50", "36.75", "1234.50", "9.90", "18.00",
                       "12.50", "30.00", "6.25"]


def test_inspect_says_a_column_mixes_numbers_and_text() -> None:
    res = run_cli("inspect", SAMPLES / "box-office-de.xlsx", "--sheet", "Transaktionen",
                  "--format", "json")
    assert res.code == 0, res.err
    types = {c["header"]: c["type"] for c in res.json()["columns"]}
    assert "numbers and number text mixed" in types["Betrag"]
    assert "mixed" not in types["Anzahl"]


def test_merged_title_above_the_header_is_reported() -> None:
    res = run_cli("inspect", SAMPLES / "weekly-sales-uk.xlsx", "--format", "json")
    found = [(p["row"], p["message"]) for p in res.json()["problems"]
             if p["code"] == "merged_cells"]
    assert (1, "cells A1:H1 are merged (a title above the header); only A1 holds the value, "
               "the other cells read as empty") in found
    assert (2, "cells A2:D2 are merged (a title above the header); only A2 holds the value, "
               "the other cells read as empty") in found
