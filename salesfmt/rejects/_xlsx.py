"""Rejects of a workbook: an XLSX with a "What to do" sheet, then the rejected rows.

The data sheet has the partner's header and sheet name and the rejected rows as read:
from an XLSX/XLSM the cells' own values and types (numbers, dates with their format,
booleans, text; formulas as their cached values), from XLS/XLSB/ODS the cell text salesfmt
read. Cells with a problem are filled and carry a comment; a last "Problems" column lists
every problem of the line. Text is always written as text, never as a formula. The file is
deterministic (fixed timestamps in the package).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from typing import Any

from salesfmt.columns import ROW
from salesfmt.errors import InputError
from salesfmt.readers import ReadOptions, open_source
from salesfmt.readers._zipscan import column_number
from salesfmt.rejects._rows import PROBLEMS_HEADER, Rejected

__all__ = ["xlsx_rejects", "INSTRUCTIONS_SHEET"]

INSTRUCTIONS_SHEET = "What to do"
_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_FIXED_STAMP = "2000-01-01T00:00:00Z"
_BAD, _HEAD = "FFC7CE", "DDEBF7"  # fills: a problem cell, the header
_AUTHOR = "salesfmt"
#: Characters a workbook cannot hold (openpyxl refuses them): written as _xHHHH_ escapes.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _safe(value: Any) -> Any:
    """Text a workbook can hold: control characters as Excel's _xHHHH_ escapes."""
    if isinstance(value, str):
        return _ILLEGAL.sub(lambda m: f"_x{ord(m.group()):04X}_", value)
    return value


def _typed_rows(result: Any, rows: list[int]) -> Iterator[tuple[int, list[tuple[Any, str]]]]:
    """(row, [(value, number format)] per source column) from the XLSX itself."""
    letters = result.source.column_letters
    cols = [column_number(x) for x in letters]
    wanted = set(rows)
    import openpyxl  # only here and for writing: reading partner workbooks never needs it

    wb = openpyxl.load_workbook(result.path, read_only=True, data_only=True)
    try:
        ws = wb[result.source.sheet]
        ws.reset_dimensions()
        for number, cells in enumerate(ws.iter_rows(min_row=min(rows), max_row=max(rows)),
                                       start=min(rows)):
            if number not in wanted:
                continue
            by_col = {getattr(c, "column", None): c for c in cells}
            out = []
            for col in cols:
                c = by_col.get(col)
                value = getattr(c, "value", None)
                out.append((value, getattr(c, "number_format", "General") or "General"))
            yield number, out
    finally:
        wb.close()


def _text_rows(result: Any, rows: list[int]) -> Iterator[tuple[int, list[tuple[Any, str]]]]:
    """(row, [(text, "General")]) as salesfmt read them (XLS, XLSB, ODS)."""
    src = result.source
    options = ReadOptions(sheet=src.sheet, header_row=src.header_row,
                          decimal_separator=result.rules.parse.decimal_separator)
    wanted = set(rows)
    with open_source(result.path, options) as again:
        for batch in again.batches():
            for rec in batch.filter(batch[ROW].is_in(list(wanted))).iter_rows():
                yield rec[0], [(v, "General") for v in rec[1:]]


def _instructions(ws: Any, result: Any, rejected: Rejected, data_sheet: str) -> None:
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    src = result.source
    noun = result.target.group.noun if result.target.group is not None else "record"
    ws.column_dimensions["A"].width = 110
    title = WriteOnlyCell(ws, f"Lines of {result.path.name} that could not be sent")
    title.font = Font(bold=True, size=14)
    ws.append([title])
    for text in [
        "",
        f"{len(rejected)} line(s) of your file {result.path.name} (sheet {src.sheet!r}) were "
        f"rejected. They are on the sheet {data_sheet!r}, under your own header, as you sent "
        "them.",
        "",
        "1. Correct the cells filled in red: each has a comment saying what is wrong. The "
        f"last column, {PROBLEMS_HEADER!r}, lists every problem of the line.",
        f"2. A line marked 'Rejected with its {noun}' has no error itself: another line of "
        f"its {noun} has one. Send it again, unchanged, with the corrected line.",
        "3. Change nothing else, and do not add the lines that were already accepted: they "
        "have been sent.",
        f"4. Save this workbook as .xlsx and send it back. The {PROBLEMS_HEADER!r} column and "
        "this sheet may stay: they are ignored when the file is read.",
    ]:
        ws.append([text])


def _cell(ws: Any, value: Any, fmt: str) -> Any:
    """A data cell: text stays text (never a formula), other values keep their format."""
    from openpyxl.cell import WriteOnlyCell

    cell = WriteOnlyCell(ws, _safe(value))
    if isinstance(value, str):
        cell.data_type = "s"
    elif fmt != "General":
        cell.number_format = fmt
    return cell


def xlsx_rejects(result: Any, rejected: Rejected) -> bytes:
    """The rejects workbook's bytes (written row by row: openpyxl's write-only mode)."""
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill

    bad, head_fill = (PatternFill("solid", fgColor=c) for c in (_BAD, _HEAD))
    src = result.source
    wb = openpyxl.Workbook(write_only=True)
    data_sheet = src.sheet or "Sheet1"
    guide = wb.create_sheet(INSTRUCTIONS_SHEET if data_sheet != INSTRUCTIONS_SHEET
                            else "What to do (2)")
    _instructions(guide, result, rejected, data_sheet)
    ws = wb.create_sheet(data_sheet)
    headers = [o or None for o in src.original_headers]
    if len(headers) > 1 and headers[-1] == PROBLEMS_HEADER:  # a resent rejects file
        headers.pop()  # its old Problems column gives way to the new one
    width = len(headers)
    ws.freeze_panes = f"A{src.header_row + 1}"
    ws.column_dimensions[openpyxl.utils.get_column_letter(width + 1)].width = 80
    rows = rejected.rows
    typed = src.format in ("xlsx", "xlsm")
    above = dict(_typed_rows(result, list(range(1, src.header_row)))) \
        if typed and src.header_row > 1 else {}
    for row in range(1, src.header_row):  # a title block: the header keeps its row
        ws.append([_safe(v) for v, _ in above.get(row, [])][:width] or [None])
    head = []
    for name in [*headers, PROBLEMS_HEADER]:
        cell = WriteOnlyCell(ws, _safe(name))
        cell.font, cell.fill = Font(bold=True), head_fill
        head.append(cell)
    ws.append(head)
    fetch = _typed_rows if typed else _text_rows
    pending = set(rows)
    index = {letter: i for i, letter in enumerate(src.column_letters[:width])}
    for row, cells in fetch(result, rows) if rows else ():  # in row order
        pending.discard(row)
        cells = cells[:width]
        out = [_cell(ws, v, fmt) for v, fmt in cells]
        out += [None] * (width - len(out))
        for letter, texts in rejected.cells.get(row, {}).items():
            if letter in index:
                i = index[letter]
                if out[i] is None:
                    out[i] = WriteOnlyCell(ws, None)
                out[i].fill = bad
                out[i].comment = Comment("\n".join(texts), _AUTHOR, width=320, height=160)
        problems = WriteOnlyCell(ws, rejected.joined(row, "\n"))
        problems.data_type = "s"
        problems.alignment = Alignment(wrap_text=True, vertical="top")
        ws.append([*out, problems])
    if pending:
        raise InputError(f"cannot copy row {min(pending)} into the rejects file: the sheet "
                         "has no such row", where=str(result.path))
    return _deterministic(wb)


def _deterministic(wb: Any) -> bytes:
    """Save ``wb`` with fixed timestamps (package members and document properties)."""
    buf = io.BytesIO()
    wb.save(buf)
    out = io.BytesIO()
    stamp = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")
    with zipfile.ZipFile(buf) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = stamp.sub(rb"\g<1>" + _FIXED_STAMP.encode() + rb"\g<2>", data)
            entry = zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            dst.writestr(entry, data)
    return out.getvalue()
