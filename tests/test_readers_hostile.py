"""Hostile and odd input (issue 12): every file gets an answer, never an internal error.

Each case is a file's bytes and what the reader must make of it: rows read (a cell to
check) or a one-line :class:`InputError` whose text is given.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from salesfmt.errors import InputError
from salesfmt.readers import Limits, ReadOptions, open_source
from salesfmt.readers._source import ROW


def _read(path: Path, **options) -> tuple:
    with open_source(path, ReadOptions(**options)) as source:
        batches = list(source.batches())
        return source, pl.concat(batches) if batches else None


# (id, file bytes, reader options, headers expected | None, {(header, row): text}, error)
CSV_CASES = [
    ("bare CR inside an unquoted value", b"Ref,Draw\n1,x\ry\n", {}, ["Ref", "Draw"],
     {("Draw", 2): "x\ry"}, None),
    ("bare CR in the header", b"Ref,Dr\raw\n1,x\n", {}, ["Ref", "Dr\raw"],
     {("Ref", 2): "1"}, None),
    ("a 140 KiB cell near the top", b"Ref,Draw\n1," + b"x" * 140_000 + b"\n2,y\n", {},
     ["Ref", "Draw"], {("Draw", 3): "y"}, None),
    ("a 140 KiB header line", b"Ref,Draw," + b"h" * 140_000 + b"\n1,2,3\n", {},
     None, {("Ref", 2): "1"}, None),
    ("a 140 KiB cell with an escape character", b"Ref;Draw\n1;" + b"x" * 140_000
     + b"\n2;y\n", {"escape_char": "\\"}, ["Ref", "Draw"], {("Draw", 3): "y"}, None),
    ("UTF-8 cut inside its last character", "Ref,Draw\n1,café\n2,é".encode()[:-1], {}, None,
     {}, "ends in the middle of a character on line 3"),
    ("odd-length UTF-16", "Ref,Draw\n1,x\n".encode("utf-16")[:-1], {}, None, {},
     "ends in the middle of a character"),
    ("forced UTF-8, cut", "Ref,Draw\n1,é".encode()[:-1], {"encoding": "utf-8"}, None, {},
     "ends in the middle of a character on line 2"),
    ("only blank lines and delimiters", b"\r\r\r;\r", {}, None, {},
     "no header row: record 1 of the file is empty"),
    ("header __row", b"__row,Draw\n7,8\n", {}, ["__row (2)", "Draw"],
     {("__row (2)", 2): "7"}, None),
    ("Ref,Ref,Ref (2)", b"Ref,Ref,Ref (2)\n1,2,3\n", {}, ["Ref", "Ref (3)", "Ref (2)"],
     {("Ref (3)", 2): "2", ("Ref (2)", 2): "3"}, None),
    ("delimiter abc", b"a,b\n1,2\n", {"delimiter": "abc"}, None, {},
     "the delimiter must be one ASCII character (such as , ; | or tab), not 'abc'"),
    ("delimiter of two bytes", b"a\xc2\xa7b\n1\xc2\xa72\n", {"delimiter": "\u00a7"}, None,
     {}, "the delimiter must be one ASCII character"),
    ("delimiter tab by name", b"a\tb\n1\t2\n", {"delimiter": "tab"}, ["a", "b"],
     {("b", 2): "2"}, None),
    ("no quote character", b'a;b\n"1;2\n', {"quote_char": ""}, ["a", "b"],
     {("a", 2): '"1'}, None),
    ("no quote character, an escape character", b'a;b\n"1;2\n',
     {"quote_char": "", "escape_char": "\\"}, ["a", "b"], {("a", 2): '"1'}, None),
    ("quote = delimiter", b"a,b\n1,2\n", {"delimiter": '"'}, None, {},
     "cannot also be the quote"),
]


@pytest.mark.parametrize("data,options,headers,cells,error",
                         [c[1:] for c in CSV_CASES], ids=[c[0] for c in CSV_CASES])
def test_odd_csv_reads_or_gives_one_line_error(tmp_path: Path, data: bytes, options: dict,
                                               headers: list[str] | None, cells: dict,
                                               error: str | None) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    if error is not None:
        with pytest.raises(InputError, match=None) as info:
            _read(path, **options)
        assert error in str(info.value) and "\n" not in str(info.value)
        return
    source, rows = _read(path, **options)
    if headers is not None:
        assert source.headers == headers
    for (header, row), text in cells.items():
        assert rows.filter(pl.col(ROW) == row)[header].to_list() == [text]


def test_renamed_headers_are_warned(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"__row,Ref,Ref,Ref (2)\n1,2,3,4\n")
    source, _ = _read(path)
    found = {(p["code"], p["column"], p["message"]) for p in source.problems.to_dicts()}
    assert ("duplicate_header", "A", "header '__row' is a name salesfmt uses itself; "
            "column A is named '__row (2)'") in found
    assert ("duplicate_header", "C", "header 'Ref' appears more than once; column C is "
            "named 'Ref (3)'") in found


def test_cli_delimiter_abc_is_one_line_exit_2(tmp_path: Path, cli) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"Ref,Draw\n1,x\ry\n")
    run = cli("check", path, "--rules", "charity-web", "--to", "bulk-csv", "--delimiter",
              "abc")
    assert run.code == 2 and run.err.count("\n") == 1 and "internal error" not in run.err
    assert "the delimiter must be one ASCII character" in run.err


# --- workbooks ---------------------------------------------------------------------------

DATA = Path(__file__).parent / "data"


def test_rust_panic_is_one_line_input_error(cli) -> None:
    """calamine's tests/date.xls (MIT) with byte 1620 set to 39: calamine panics."""
    path = DATA / "damaged-biff8.xls"
    with pytest.raises(InputError, match="damaged workbook"):
        _read(path)
    run = cli("inspect", path)
    assert run.code == 2 and run.err.count("\n") == 1
    assert "damaged-biff8.xls: damaged workbook: the reader stopped on it" in run.err


def test_allocation_abort_is_one_line_input_error(cli) -> None:
    """calamine's tests/date.xls (MIT) with one byte changed: calamine asks for 296 GB and
    the process aborts (exit 134, nothing printed) unless a child process takes the blow."""
    run = cli("inspect", DATA / "damaged-biff8-alloc.xls")
    assert run.code == 2 and run.err.count("\n") == 1
    assert "damaged workbook: reading it crashed the reader (SIGABRT)" in run.err


def test_polars_panic_while_reading_rows_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(b"Ref,Draw\n1,2\n")

    def panics():
        raise pl.exceptions.PanicException("index out of bounds")
        yield

    with open_source(path) as source:
        source._batches = panics
        with pytest.raises(InputError, match="cannot read rows: index out of bounds"):
            list(source.batches())


def _far_cell(path: Path, ref: str) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Ref", "Draw"])
    ws.append([1, 2])
    ws[ref] = 5
    wb.save(path)


def test_far_cell_is_refused_before_calamine_allocates(tmp_path: Path, cli) -> None:
    path = tmp_path / "far.xlsx"
    _far_cell(path, "XFD1048576")
    run = cli("inspect", path)
    assert run.code == 2, run.err[-300:]
    assert run.err.strip().endswith("refused: sheet 'Sheet' has a cell at XFD1048576, a grid "
                                    "of 17,179,869,184 cells (the limit is 50,000,000); "
                                    "delete the stray cell or copy the data to a new sheet")
    _far_cell(path, "J40")
    with pytest.raises(InputError, match="cell at J40, a grid of 400 cells"):
        open_source(path, limits=Limits(max_cells=399))
    with open_source(path, limits=Limits(max_cells=400)) as source:
        assert source.headers[:2] == ["Ref", "Draw"]


def _lying_zip(path: Path, real: int, declared: int) -> None:
    """An XLSX/ODS-looking zip whose extra member holds ``real`` zero bytes but declares
    ``declared`` (local header and central directory both patched)."""
    import struct
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        if path.suffix == ".ods":
            zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        else:
            zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/media/blob.bin", b"\0" * real)
    raw = bytearray(path.read_bytes())
    for sig, at in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        pos = raw.find(sig, 1 if sig == b"PK\x03\x04" else 0)
        while pos >= 0:
            name_len = struct.unpack_from("<H", raw, pos + (26 if at == 22 else 28))[0]
            start = pos + (30 if at == 22 else 46)
            if raw[start:start + name_len].startswith(b"xl/media/"):
                raw[pos + at:pos + at + 4] = struct.pack("<I", declared)
            pos = raw.find(sig, pos + 4)
    path.write_bytes(bytes(raw))


SMALL = Limits(max_uncompressed_bytes=3_000_000, ratio_floor_bytes=100_000, max_ratio=10)


@pytest.mark.parametrize("ext", [".xlsx", ".ods"])
def test_zip_limits_count_the_bytes_really_inflated(tmp_path: Path, ext: str) -> None:
    path = tmp_path / f"bomb{ext}"
    _lying_zip(path, real=4_000_000, declared=1_000)       # declares 1 KB, inflates 4 MB
    with pytest.raises(InputError, match=r"expands more than 10x its compressed size"):
        open_source(path, limits=SMALL)
    _lying_zip(path, real=50_000, declared=1_000)           # a lie under every budget
    with pytest.raises(InputError, match="inflates to 50,000 bytes but declares 1,000"):
        open_source(path, limits=SMALL)


def _two_sheets(path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Summary"
    wb.active.append(["Total sales", 12])
    wb.active.append(["Period", "week 42"])
    ws = wb.create_sheet("Transactions")
    ws.append(["Order", "Amount"])
    ws.append([1, 24.5])
    ws.append([2, "54,00 €"])
    wb.save(path)


def test_rules_pick_the_sheet_their_headers_fit(tmp_path: Path) -> None:
    path = tmp_path / "two.xlsx"
    _two_sheets(path)
    aliases = {"order", "amount"}
    with open_source(path, scorer=lambda cells: float(len({c.lower() for c in cells}
                                                          & aliases))) as source:
        assert (source.sheet, source.sheet_choice) == ("Transactions",
                                                       "its header fits the rules best")
    with open_source(path) as source:  # without rules: the first sheet holding data
        assert (source.sheet, source.sheet_choice) == ("Summary", None)


def test_numeric_cells_take_the_rules_decimal_separator(tmp_path: Path) -> None:
    path = tmp_path / "two.xlsx"
    _two_sheets(path)
    source, rows = _read(path, sheet="Transactions", decimal_separator=",")
    assert rows["Amount"].to_list() == ["24,5", "54,00 €"] and source.mixed_numbers == ["Amount"]
    source, rows = _read(path, sheet="Transactions")
    assert rows["Amount"].to_list() == ["24.5", "54,00 €"]


def test_zip_whose_directory_points_outside_the_file(tmp_path: Path) -> None:
    """Found by fuzzing: the end record's directory offset off by 100, so every member's
    offset moves 100 bytes before its real place (the first one before the file)."""
    import struct

    path = tmp_path / "w.xlsx"
    _far_cell(path, "B3")
    raw = bytearray(path.read_bytes())
    offset = struct.unpack_from("<I", raw, len(raw) - 6)[0]
    struct.pack_into("<I", raw, len(raw) - 6, offset + 100)
    path.write_bytes(bytes(raw))
    with pytest.raises(InputError, match="damaged zip: member .* points outside the file"):
        open_source(path)


def test_a_far_cell_on_another_sheet_does_not_stop_the_rules_choice(tmp_path: Path) -> None:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Summary"
    wb.active["A1"] = "Total"
    wb.active["XFD1048576"] = 1
    ws = wb.create_sheet("Transactions")
    ws.append(["Order", "Amount"])
    ws.append([1, 2])
    path = tmp_path / "w.xlsx"
    wb.save(path)
    with open_source(path, scorer=lambda cells: float("Order" in cells)) as source:
        assert source.sheet == "Transactions" and source.headers == ["Order", "Amount"]


def _ods(path: Path, rows: list[str]) -> None:
    """A minimal ODS: one sheet, ``rows`` of table-cell XML."""
    import zipfile

    ns = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
          'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
          'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"')
    body = "".join(f"<table:table-row>{r}</table:table-row>" for r in rows)
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ns} '
               'office:version="1.2"><office:body><office:spreadsheet>'
               f'<table:table table:name="Verkauf">{body}</table:table>'
               "</office:spreadsheet></office:body></office:document-content>")
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("META-INF/manifest.xml", '<?xml version="1.0"?><manifest:manifest '
                    'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
                    '<manifest:file-entry manifest:full-path="/" manifest:media-type='
                    '"application/vnd.oasis.opendocument.spreadsheet"/><manifest:file-entry '
                    'manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                    "</manifest:manifest>")
        zf.writestr("content.xml", content, compress_type=zipfile.ZIP_DEFLATED)


def test_ods_numeric_cells_take_the_rules_decimal_separator(tmp_path: Path) -> None:
    def text(t: str) -> str:
        return (f'<table:table-cell office:value-type="string"><text:p>{t}</text:p>'
                "</table:table-cell>")

    def number(v: str) -> str:
        return (f'<table:table-cell office:value-type="float" office:value="{v}">'
                f"<text:p>{v.replace('.', ',')}</text:p></table:table-cell>")

    path = tmp_path / "w.ods"
    _ods(path, [text("Bedrag"), number("24.5"), text("54,00 €"), text("1.234")])
    source, rows = _read(path, decimal_separator=",")
    assert rows["Bedrag"].to_list() == ["24,5", "54,00 €", "1.234"]
    assert source.mixed_numbers == ["Bedrag"]


def test_inflating_stops_at_the_archive_budget(tmp_path: Path) -> None:
    """The budget over all members, counted while inflating (the declared-size check in
    front of it is bypassed here: members whose sizes are all true)."""
    import zipfile

    from salesfmt.readers._zipscan import inflate_checked

    path = tmp_path / "w.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        for i in range(40):
            zf.writestr(f"xl/media/blob{i}.bin", b"\0" * 90_000)
    with pytest.raises(InputError, match="unpacks to more than 3 MB"):
        inflate_checked(path, SMALL)
    assert inflate_checked(path, Limits()).extents == {}
