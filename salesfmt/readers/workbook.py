"""Workbook reader (XLSX, XLSM, XLS, XLSB, ODS) through calamine, cells read as text.

Cells are loaded as text in one pass (no type inference that could turn a bad cell into
null), then fixed up column-wise (see :mod:`._cells`). Rows and column letters are the
sheet's own: data starting in B4 gives letters B, C, … and rows 4, 5, ….
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from salesfmt.errors import InputError
from salesfmt.problems import PROBLEM_SCHEMA, Severity, column_letter, empty_problems
from salesfmt.readers._cells import (
    DATETIME_RE,
    LOSSY_NUMBER_RE,
    duration_text,
    excel_datetime_text,
    excel_number_text,
    fastexcel_float_text,
)
from salesfmt.readers._sniff import Kind
from salesfmt.readers._source import (
    HEADER_SEARCH_ROWS,
    ROW,
    HeaderScorer,
    ReadOptions,
    Source,
    header_index,
    header_problems,
    unique_headers,
)
from salesfmt.readers._xlsx_meta import (
    SheetMarks,
    XlsxMeta,
    numeric_texts,
    ods_numeric_texts,
    read_meta,
    scan_sheet,
)
from salesfmt.readers._zipscan import Scanned, column_number

if TYPE_CHECKING:  # imported where a workbook is opened: a CSV run loads none of it
    import fastexcel
__all__ = ["open_workbook"]

_EXT = {Kind.XLSX: (".xlsx", ".xlsm"), Kind.XLSB: (".xlsb",), Kind.XLS: (".xls",),
        Kind.ODS: (".ods",)}
_HIDDEN = ("hidden", "veryhidden", "chart", "unreadable")


def _reason(exc: BaseException) -> str:
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    first = first.removeprefix("calamine error: ")
    low = text.lower()
    if "password" in low or "encrypt" in low:
        return "the workbook is password-protected (encrypted); save an unprotected copy"
    if "cell limit exceeded" in low:
        return f"refused: the sheet declares too many cells ({first})"
    if not isinstance(exc, Exception):  # a Rust panic: calamine met bytes it cannot parse
        return f"damaged workbook: the reader stopped on it ({first})"
    return f"cannot read workbook: {first}"


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """calamine prints capping notices straight to fd 2; keep the CLI's one-line errors."""
    try:
        saved = os.dup(2)
    except OSError:
        yield
        return
    with tempfile.TemporaryFile() as sink:
        os.dup2(sink.fileno(), 2)
        try:
            yield
        finally:
            os.dup2(saved, 2)
            os.close(saved)


def _open(path: Path, kind: Kind) -> fastexcel.ExcelReader:
    """calamine picks its parser by extension, so a mislabelled file is passed as bytes."""
    import fastexcel

    source: str | bytes = str(path)
    if path.suffix.lower() not in _EXT[kind]:
        source = path.read_bytes()
    try:
        with _quiet_stderr():
            return fastexcel.read_excel(source)
    except Exception as exc:  # calamine raises a family of errors; all mean "cannot read"
        raise InputError(_reason(exc), where=str(path)) from None


def _load(reader: fastexcel.ExcelReader, idx: int, path: Path, **kw: object
          ) -> fastexcel.ExcelSheet:
    try:
        with _quiet_stderr():
            return reader.load_sheet(idx, header_row=None, skip_rows=0, **kw)
    except Exception as exc:
        raise InputError(_reason(exc), where=str(path)) from None


def _states(reader: fastexcel.ExcelReader, meta: XlsxMeta | None) -> dict[str, str]:
    """Visibility per sheet: from workbook.xml for XLSX, else by loading each (small) sheet."""
    if meta is not None and meta.states:
        return {n: meta.states.get(n, "visible").lower() for n in reader.sheet_names}
    states = {}
    for i, name in enumerate(reader.sheet_names):
        try:
            with _quiet_stderr():
                states[name] = reader.load_sheet(i, header_row=None, n_rows=1,
                                                 dtypes="string").visible
        except Exception:  # chart sheets in XLSB cannot be loaded as cells
            states[name] = "unreadable"
    return states


class _Guard:
    """Refuses a worksheet whose cell references span more cells than the budget, before
    calamine allocates its grid (XLSX: extents found while inflating the zip)."""

    def __init__(self, path: Path, meta: XlsxMeta | None,
                 extents: dict[str, tuple[int, int]] | None, max_cells: int) -> None:
        self.path, self.meta, self.extents, self.max_cells = path, meta, extents or {}, \
            max_cells

    def check(self, name: str) -> None:
        part = self.meta.parts.get(name, "") if self.meta is not None else ""
        rows, cols = self.extents.get(part, (0, 0))
        if rows * cols > self.max_cells:
            raise InputError(f"refused: sheet {name!r} has a cell at {column_letter(cols - 1)}"
                             f"{rows}, a grid of {rows * cols:,} cells (the limit is "
                             f"{self.max_cells:,}); delete the stray cell or copy the data "
                             "to a new sheet", where=str(self.path))


def _score(sheet: fastexcel.ExcelSheet, scorer: HeaderScorer) -> float:
    """The best header score among the sheet's first rows."""
    top = sheet.to_polars().head(HEADER_SEARCH_ROWS).rows()
    return max((scorer([c or "" for c in r]) for r in top), default=0.0)


def _pick(reader: fastexcel.ExcelReader, wanted: str | int | None, states: dict[str, str],
          path: Path, scorer: HeaderScorer | None, guard: _Guard
          ) -> tuple[int, fastexcel.ExcelSheet, str | None]:
    """(index, loaded sheet, why it was chosen when not asked for by name or number)."""
    names = reader.sheet_names

    def load(i: int, **kw: object) -> fastexcel.ExcelSheet:
        guard.check(names[i])
        return _load(reader, i, path, dtypes="string", **kw)

    if wanted is None:
        candidates = [i for i, n in enumerate(names) if states.get(n) not in _HIDDEN]
        if not candidates:
            raise InputError("the workbook has no visible worksheet; choose one with --sheet "
                             f"({', '.join(names)})", where=str(path))
        if scorer is not None and len(candidates) > 1:  # the sheet the rule's headers fit
            scores = {}
            for i in candidates:
                try:
                    scores[i] = _score(load(i, n_rows=HEADER_SEARCH_ROWS), scorer)
                except InputError:  # e.g. a stray far cell: chosen only if nothing fits
                    scores[i] = -1.0
            best = max(candidates, key=lambda i: (scores[i], -i))
            if scores[best] > 0 and best != candidates[0]:
                return best, load(best), "its header fits the rules best"
        for i in candidates:  # the first visible sheet holding anything
            sheet = load(i)
            if sheet.height and sheet.width:
                return i, sheet, None
        return candidates[0], load(candidates[0]), None
    if isinstance(wanted, int) or wanted.isdigit():
        idx = int(wanted)
        if not 1 <= idx <= len(names):
            raise InputError(f"sheet number {idx} does not exist (the workbook has "
                             f"{len(names)}: {', '.join(names)})", where=str(path))
        idx -= 1
    elif wanted in names:
        idx = names.index(wanted)
    else:
        raise InputError(f"sheet {wanted!r} not found; sheets are: {', '.join(names)}",
                         where=str(path))
    if states.get(names[idx]) == "chart":
        raise InputError(f"sheet {names[idx]!r} is a chart sheet, not a worksheet",
                         where=str(path))
    return idx, load(idx), None


def _fix_cells(grid: pl.DataFrame, reader: fastexcel.ExcelReader, idx: int, path: Path,
               meta: XlsxMeta | None) -> pl.DataFrame:
    """Datetimes and numbers as Excel shows them (see :mod:`._cells`)."""
    if grid.height == 0:
        return grid
    flags = grid.select(
        *[pl.col(c).str.contains(DATETIME_RE).any().alias(f"d{i}")
          for i, c in enumerate(grid.columns)],
        *[pl.col(c).str.contains(LOSSY_NUMBER_RE).any().alias(f"n{i}")
          for i, c in enumerate(grid.columns)],
    ).row(0, named=True)
    dates = [c for i, c in enumerate(grid.columns) if flags[f"d{i}"]]
    lossy = [c for i, c in enumerate(grid.columns) if flags[f"n{i}"]]
    shift = bool(meta and meta.calamine_reads_1900)
    if dates:
        grid = grid.with_columns(excel_datetime_text(pl.col(c), shift_1904=shift) for c in dates)
    if lossy:
        floats = _load(reader, idx, path, use_columns=lossy, dtypes="float").to_polars()
        floats.columns = [f"__f{i}" for i in range(floats.width)]
        grid = pl.concat([grid, floats], how="horizontal").with_columns(
            pl.when(pl.col(f"__f{i}").is_not_null()
                    & (pl.col(c) == fastexcel_float_text(pl.col(f"__f{i}"))))
            .then(excel_number_text(pl.col(f"__f{i}"))).otherwise(pl.col(c)).alias(c)
            for i, c in enumerate(lossy)
        ).drop(floats.columns)
    return grid


#: How calamine renders a numeric cell (after :func:`_fix_cells`).
_NUMBER = r"^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?$"
#: Text a person typed as a number: digits, no letters, no clock, not an ISO date.
_TYPED_NUMBER = r"^[^A-Za-z:]*\d[^A-Za-z:]*$"


def _natives(grid: pl.DataFrame, texts: set[str]) -> pl.DataFrame:
    """Per column with any, a mask of its numeric cells: rendered as a number and not one
    of the workbook's number-like text cells (XLSX: known from its shared strings)."""
    known = pl.Series(sorted(texts), dtype=pl.String)
    masks = grid.select((pl.col(c).str.contains(_NUMBER) & ~pl.col(c).is_in(known.implode()))
                        .fill_null(False) for c in grid.columns)
    return masks.select(c for c in masks.columns if masks[c].any())


def _mixed(data: pl.DataFrame, natives: pl.DataFrame, names: list[str]) -> list[str]:
    """Headers of columns whose data rows hold numbers and number-like text side by side."""
    index = {c: i for i, c in enumerate(data.columns)}
    return [names[index[c]] for c in natives.columns
            if natives[c].any() and (~natives[c] & data[c].str.contains(_TYPED_NUMBER)).any()]


def _ods_durations(grid: pl.DataFrame, reader: fastexcel.ExcelReader, idx: int,
                   path: Path) -> pl.DataFrame:
    """ODS time/duration cells (``PT10H10M10S``) read as empty text; take them as durations."""
    gaps = [c for c in grid.columns if grid[c].null_count()] if grid.height else []
    if not gaps:
        return grid
    spans = _load(reader, idx, path, use_columns=gaps, dtypes="duration").to_polars()
    spans.columns = [f"__d{i}" for i in range(spans.width)]
    return pl.concat([grid, spans], how="horizontal").with_columns(
        pl.col(c).fill_null(duration_text(pl.col(f"__d{i}"))) for i, c in enumerate(gaps)
    ).drop(spans.columns)


def _marks_problems(marks: SheetMarks, sheet: str, header_row: int, col0: int,
                    names: list[str]) -> pl.DataFrame:
    rows = []
    for letter, row, text in marks.errors:
        if row > header_row:
            rows.append({"row": row, "column": letter, "code": "cell_error",
                         "message": f"cell {letter}{row} holds the formula error {text}",
                         "value": text})
    for l1, r1, l2, r2 in marks.merges:
        where = ("" if r2 > header_row else " (a title above the header)" if r2 < header_row
                 else " (in the header row)")
        rows.append({"row": max(r1, header_row + 1) if r2 > header_row else r1,
                     "column": l1, "code": "merged_cells",
                     "message": f"cells {l1}{r1}:{l2}{r2} are merged{where}; only {l1}{r1} "
                                "holds the value, the other cells read as empty",
                     "value": None})
    if not rows:
        return empty_problems()
    letters = {column_letter(col0 + i): n for i, n in enumerate(names)}
    return pl.DataFrame(
        [{"line": None, "sheet": sheet, "field": None,
          "header": letters.get(r["column"]) if r["row"] > header_row else None,
          "severity": Severity.WARNING.value, "order": -1, **r} for r in rows],
        schema=PROBLEM_SCHEMA)


def _put_errors(grid: pl.DataFrame, marks: SheetMarks, col0: int) -> pl.DataFrame:
    """Formula errors (#DIV/0!, …) keep their text instead of reading as empty."""
    by_col: dict[int, list[tuple[int, str]]] = {}
    for letter, row, text in marks.errors:
        idx = column_number(letter) - 1 - col0
        if 0 <= idx < grid.width and 0 < row <= grid.height:
            by_col.setdefault(idx, []).append((row - 1, text))
    if not by_col:
        return grid
    exprs = []
    for idx, cells in by_col.items():
        name = grid.columns[idx]
        table = pl.DataFrame({"i": [r for r, _ in cells], "t": [t for _, t in cells]},
                             schema={"i": pl.UInt32, "t": pl.String})
        exprs.append(pl.int_range(pl.len(), dtype=pl.UInt32)
                     .replace_strict(table["i"], table["t"], default=None)
                     .fill_null(pl.col(name)).alias(name))
    return grid.with_columns(exprs)


def open_workbook(path: Path, kind: Kind, options: ReadOptions, scorer: HeaderScorer | None,
                  scanned: Scanned | None = None, max_cells: int = 50_000_000) -> Source:
    """Open one sheet of a workbook as a :class:`Source` (strings, no lossy inference).

    Anything calamine, fastexcel or polars raise while reading, Rust panics included, is
    an :class:`InputError` naming the file."""
    try:
        return _open_workbook(path, kind, options, scorer, scanned or Scanned(), max_cells)
    except (InputError, KeyboardInterrupt, SystemExit, MemoryError):
        raise
    except BaseException as exc:  # pyo3's PanicException is a BaseException
        raise InputError(_reason(exc), where=str(path)) from None


def _open_workbook(path: Path, kind: Kind, options: ReadOptions, scorer: HeaderScorer | None,
                   scanned: Scanned, max_cells: int) -> Source:
    reader = _open(path, kind)
    meta = read_meta(path) if kind is Kind.XLSX else None
    states = _states(reader, meta)
    guard = _Guard(path, meta, scanned.extents, max_cells)
    idx, sheet, why = _pick(reader, options.sheet, states, path, scorer, guard)
    name = reader.sheet_names[idx]
    part = meta.parts.get(name, "") if meta is not None else ""
    marks = scanned.marks.get(part) or (scan_sheet(path, part) if part else SheetMarks())
    cols = sheet.available_columns()
    col0 = cols[0].absolute_index if cols else 0
    grid = sheet.to_polars()
    grid = _fix_cells(grid, reader, idx, path, meta)
    if kind is Kind.ODS:
        grid = _ods_durations(grid, reader, idx, path)
    grid = _put_errors(grid, marks, col0)
    natives = (_natives(grid, numeric_texts(path) | marks.texts) if meta is not None
               else _natives(grid, ods_numeric_texts(path)) if kind is Kind.ODS else None)
    if natives is not None and options.decimal_separator != ".":
        grid = grid.with_columns(
            pl.when(natives[c]).then(pl.col(c).str.replace(".", options.decimal_separator,
                                                           literal=True))
            .otherwise(pl.col(c)).alias(c) for c in natives.columns)
    fmt = kind.value if kind is not Kind.XLSX else path.suffix.lower().lstrip(".")
    if fmt not in ("xlsx", "xlsm"):
        fmt = kind.value
    base = dict(path=path, format=fmt, sheet=name, sheets=list(reader.sheet_names),
                sheet_states=states, sheet_choice=why)
    if grid.height == 0 or grid.width == 0:
        return Source(headers=[], original_headers=[], column_letters=[], header_row=0,
                      _batches=lambda: iter(()), **base)
    top = grid.head(HEADER_SEARCH_ROWS).rows()
    header_idx = header_index([[c or "" for c in r] for r in top], options, scorer, str(path),
                              available=grid.height, what=f"sheet {name!r}")
    letters = [column_letter(col0 + i) for i in range(grid.width)]
    names, originals = unique_headers(list(grid.row(header_idx)), letters)
    data = grid.slice(header_idx + 1)
    data.columns = names
    data = data.with_columns(
        (pl.int_range(pl.len(), dtype=pl.Int64) + header_idx + 2).alias(ROW)
    ).select([ROW, *names])
    problems = pl.concat([
        header_problems(names, originals, letters, header_idx + 1, name),
        _marks_problems(marks, name, header_idx + 1, col0, names),
    ])
    mixed = _mixed(grid.slice(header_idx + 1), natives.slice(header_idx + 1), names) \
        if natives is not None else []

    def batches() -> Iterator[pl.DataFrame]:
        for start in range(0, data.height, options.batch_size):
            yield data.slice(start, options.batch_size)

    return Source(headers=names, original_headers=originals, column_letters=letters,
                  header_row=header_idx + 1, problems=problems, _batches=batches,
                  mixed_numbers=mixed, **base)
