"""Reader behaviour on files made here: coordinates, encodings, numbers, limits."""

from __future__ import annotations

import datetime as dt
import re
import struct
import zipfile
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from salesfmt.errors import InputError
from salesfmt.readers import Limits, ReadOptions, open_source
from salesfmt.readers._encoding import EncodingRetry
from salesfmt.readers._source import ROW


def read(path: Path, **options) -> tuple:
    with open_source(path, ReadOptions(**options)) as source:
        batches = list(source.batches())
        return source, (pl.concat(batches) if batches else None)


def cell(source, data: pl.DataFrame, letter: str, row: int) -> str | None:
    header = source.headers[source.column_letters.index(letter)]
    return data.filter(pl.col(ROW) == row)[header][0]


# --- CSV: physical lines, encodings, dialects -------------------------------------------

@pytest.mark.parametrize("eol", ["\n", "\r\n", "\r"])
def test_csv_rows_are_physical_lines(tmp_path: Path, eol: str) -> None:
    text = eol.join(['id,note,amount', '1,plain,10', '', '2,"two', 'lines",20', '   ',
                     '3,"a ""quoted"" word",30', ''])
    path = tmp_path / "f.csv"
    path.write_bytes(text.encode())
    source, data = read(path)
    assert source.headers == ["id", "note", "amount"]
    by_row = dict(zip(data[ROW], data["id"], strict=True))
    assert by_row[2] == "1" and by_row[4] == "2" and by_row[7] == "3"
    assert cell(source, data, "B", 7) == 'a "quoted" word'
    assert cell(source, data, "C", 4) == "20"


def test_ragged_rows_are_problems_on_their_line_and_never_shift(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text('a,b,c\n1,2,3\n"x\ny",5\n7,8,9,10\n11,12,13\n', encoding="utf-8")
    source, data = read(path)
    assert cell(source, data, "A", 3) == "x\ny" and cell(source, data, "C", 3) is None
    assert cell(source, data, "C", 5) == "9" and cell(source, data, "A", 6) == "11"
    found = {(p["code"], p["row"], p["column"], p["severity"]) for p in source.problems.to_dicts()}
    assert ("missing_cells", 3, "C", "warning") in found
    assert ("extra_cells", 5, "D", "error") in found


def test_encoding_is_judged_on_the_whole_file(tmp_path: Path) -> None:
    """UTF-8 by its first 256 KiB: read as UTF-8 in one pass; the first byte that is not
    raises EncodingRetry with the whole file's encoding, and reading again gets it right."""
    path = tmp_path / "f.csv"
    body = "id;name\n" + "".join(f"{i};plain ascii\n" for i in range(20_000))
    path.write_bytes(body.encode() + "99;caf\xe9\n".encode("cp1252"))
    assert path.stat().st_size > 256 * 1024
    with pytest.raises(EncodingRetry) as caught:
        read(path, batch_size=5_000)
    assert caught.value.encoding == "cp1252"
    source, data = read(path, encoding=caught.value.encoding)
    assert source.encoding == "cp1252"
    assert data[ROW][-1] == 20_002 and data["name"][-1] == "café"


def test_late_non_utf8_byte_is_read_again_by_the_pipeline(tmp_path: Path) -> None:
    from salesfmt import load_rules, load_target, run

    path = tmp_path / "kassa.csv"
    head = "Bonnummer;Trekking;Datum;Artikelcode;Aantal;Bedrag;Betaalwijze;Achternaam;Adres;Postcode\n"
    line = "{};2026;01-02-2026;LOT-1;1;12,50;PIN;{};Kerkstraat 1;1234 AB\n"
    body = head + "".join(line.format(1000 + i, "Jansen") for i in range(8_000))
    path.write_bytes(body.encode() + line.format(99_999, "Müller café").encode("cp1252"))
    assert path.stat().st_size > 256 * 1024
    out = tmp_path / "out.csv"
    res = run(path, load_rules("kassa-nl"), load_target("bulk-csv"), output=out,
              today=dt.date(2026, 11, 1), batch_size=3_000)
    assert res.source.encoding == "cp1252" and res.rows_read == 8_001
    assert res.rows_out + res.rows_rejected == 8_001
    assert out.read_text(encoding="utf-8").splitlines()[-1].count("Müller café") == 1


def test_forced_encoding_error_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes("id,name\n1,ok\n2,\xa9\n".encode("latin-1"))
    with pytest.raises(InputError, match=r"cannot decode byte 0xa9 on line 3 as utf-8"):
        read(path, encoding="utf-8")
    source, data = read(path)
    assert data["name"].to_list() == ["ok", "©"]


@pytest.mark.parametrize("codec", ["utf-16", "utf-8-sig"])
def test_bom_files(tmp_path: Path, codec: str) -> None:
    path = tmp_path / "f.txt"
    path.write_bytes("Ref\tQty\nA1\t2\n".encode(codec))
    source, data = read(path)
    assert source.headers == ["Ref", "Qty"] and source.delimiter == "\t"
    assert data.rows() == [(2, "A1", "2")]


def test_other_quote_and_escape_when_forced(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_text("id|name\n1|'O\\'Brien'\n2|'a|b'\n", encoding="utf-8")
    source, data = read(path, quote_char="'", escape_char="\\")
    assert data["name"].to_list() == ["O'Brien", "a|b"]


# --- Workbooks -----------------------------------------------------------------------------

def _workbook(path: Path, **kw) -> None:
    wb = xlsxwriter.Workbook(str(path), kw)
    hidden = wb.add_worksheet("Hidden first")
    hidden.write(0, 0, "secret")
    hidden.hide()
    ws = wb.add_worksheet("Sales")
    ws.activate()                                     # xlsxwriter hides only inactive sheets
    date = wb.add_format({"num_format": "dd/mm/yyyy"})
    ws.write(0, 1, "Weekly report")                   # title in B1
    ws.write_row(3, 1, ["Order", "Sold", "Amount", "Code", "Ref"])   # header B4:F4
    ws.write_row(4, 1, [1001])
    ws.write_datetime(4, 2, dt.datetime(2026, 3, 1), date)
    ws.write_number(4, 3, 0.1 + 0.2)
    ws.write_string(4, 4, "00123")
    ws.write_string(4, 5, "8712345678901234567")
    ws.write_row(5, 1, [1002])
    ws.write_datetime(5, 2, dt.datetime(2026, 3, 2, 14, 30), date)
    ws.write_number(5, 3, 41800000.01)
    ws.write_string(5, 4, "0.30000000000000004")
    ws.write_formula(5, 5, "=1/0", None, "#DIV/0!")
    ws.write_row(6, 1, ["TOTAL"])
    ws.write_number(6, 3, 1 / 3)
    ws.write_number(6, 4, 8712345678901234)
    wb.close()


def test_workbook_coordinates_dates_numbers(tmp_path: Path) -> None:
    path = tmp_path / "w.xlsx"
    _workbook(path)
    source, data = read(path)
    assert source.sheet == "Sales"                       # hidden sheets are not picked
    assert source.sheet_states == {"Hidden first": "hidden", "Sales": "visible"}
    assert source.header_row == 4
    assert source.column_letters == ["B", "C", "D", "E", "F"]
    assert data[ROW].to_list() == [5, 6, 7]
    assert cell(source, data, "C", 5) == "2026-03-01"
    assert cell(source, data, "C", 6) == "2026-03-02 14:30:00"
    assert cell(source, data, "D", 5) == "0.3"           # 15 significant digits
    assert cell(source, data, "D", 6) == "41800000.01"
    assert cell(source, data, "D", 7) == "0.333333333333333"
    assert cell(source, data, "E", 5) == "00123"         # numbers stored as text stay text
    assert cell(source, data, "E", 6) == "0.30000000000000004"
    assert cell(source, data, "E", 7) == "8712345678901234"     # whole numbers exactly
    assert cell(source, data, "F", 5) == "8712345678901234567"
    assert cell(source, data, "F", 6) == "#DIV/0!"       # formula errors keep their text
    codes = {(p["code"], p["row"], p["column"]) for p in source.problems.to_dicts()}
    assert ("cell_error", 6, "F") in codes


def test_workbook_1904_dates(tmp_path: Path) -> None:
    """A plain 1904 workbook (calamine applies the epoch; csvkit/sheets.xlsx in the corpus
    covers the variant it misses)."""
    path = tmp_path / "w.xlsx"
    _workbook(path, date_1904=True)
    assert re.search(rb'date1904="1"', zipfile.ZipFile(path).read("xl/workbook.xml"))
    source, data = read(path, sheet="Sales")
    assert cell(source, data, "C", 5) == "2026-03-01"


def test_sheet_by_name_and_number(tmp_path: Path) -> None:
    path = tmp_path / "w.xlsx"
    _workbook(path)
    assert read(path, sheet="Hidden first", header_row=1)[0].headers == ["secret"]
    assert read(path, sheet=2)[0].sheet == "Sales"
    with pytest.raises(InputError, match="sheet 'Nope' not found; sheets are: Hidden first, Sales"):
        read(path, sheet="Nope")


def _bomb(path: Path, declared: int) -> None:
    """A small zip whose central directory declares a huge uncompressed member."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/worksheets/sheet1.xml", "0" * 10_000)
    raw = bytearray(path.read_bytes())
    at = raw.rfind(b"PK\x01\x02")                       # last central directory entry
    raw[at + 24:at + 28] = struct.pack("<I", declared)  # its uncompressed size
    path.write_bytes(bytes(raw))


def test_zip_bomb_is_refused_before_decompression(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    _bomb(path, 0xFFFF0000)
    with pytest.raises(InputError, match="zip bomb"):
        read(path)
    small = Limits(max_uncompressed_bytes=5_000, ratio_floor_bytes=1_000, max_ratio=10)
    _bomb(path, 9_000)
    with pytest.raises(InputError, match="zip bomb"):
        open_source(path, limits=small)


def test_workbook_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "w.xlsx"
    _workbook(path)
    with pytest.raises(InputError, match="over the 0 MB limit"):
        open_source(path, limits=Limits(max_file_bytes=1000))
