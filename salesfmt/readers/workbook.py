"""Workbook reader (XLSX, XLSM, XLS, XLSB, ODS) through calamine, cells read as text."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import fastexcel
import polars as pl

from salesfmt.errors import InputError
from salesfmt.problems import column_letter
from salesfmt.readers._source import (
    HEADER_SEARCH_ROWS,
    ROW,
    HeaderScorer,
    ReadOptions,
    Source,
    detect_header,
    unique_headers,
)

__all__ = ["open_workbook"]


def _pick_sheet(reader: fastexcel.ExcelReader, wanted: str | int | None, path: Path) -> str:
    names = reader.sheet_names
    if wanted is None:
        return names[0]
    if isinstance(wanted, int) or (isinstance(wanted, str) and wanted.isdigit()):
        idx = int(wanted)
        if not 1 <= idx <= len(names):
            raise InputError(f"sheet number {idx} does not exist (the workbook has "
                             f"{len(names)}: {', '.join(names)})", where=str(path))
        return names[idx - 1]
    if wanted not in names:
        raise InputError(f"sheet {wanted!r} not found; sheets are: {', '.join(names)}",
                         where=str(path))
    return wanted


def open_workbook(path: Path, options: ReadOptions, scorer: HeaderScorer | None) -> Source:
    """Open one sheet of a workbook as a :class:`Source` (strings, no lossy inference)."""
    try:
        reader = fastexcel.read_excel(str(path))
        sheet_name = _pick_sheet(reader, options.sheet, path)
        sheet = reader.load_sheet(sheet_name, header_row=None, skip_rows=0, dtypes="string")
        grid = sheet.to_polars()
    except InputError:
        raise
    except Exception as exc:  # calamine raises a family of errors; all mean "cannot read"
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"cannot read workbook: {reason}", where=str(path)) from None
    if grid.width == 0 or grid.height == 0:
        raise InputError(f"sheet {sheet_name!r} is empty", where=str(path))
    top = grid.head(HEADER_SEARCH_ROWS).rows()
    header_idx = (options.header_row - 1) if options.header_row else detect_header(
        [[c or "" for c in r] for r in top], scorer)
    if header_idx >= grid.height:
        raise InputError(f"header row {header_idx + 1} is beyond the end of sheet "
                         f"{sheet_name!r}", where=str(path))
    names, originals = unique_headers(list(grid.row(header_idx)))
    data = grid.slice(header_idx + 1)
    data.columns = names
    data = data.with_columns(
        (pl.int_range(pl.len(), dtype=pl.Int64) + header_idx + 2).alias(ROW)
    ).select([ROW, *names])

    def batches() -> Iterator[pl.DataFrame]:
        for start in range(0, max(data.height, 1), options.batch_size):
            chunk = data.slice(start, options.batch_size)
            if chunk.height:
                yield chunk

    return Source(
        path=path,
        format=path.suffix.lower().lstrip("."),
        headers=names,
        original_headers=originals,
        column_letters=[column_letter(i) for i in range(len(names))],
        header_row=header_idx + 1,
        sheet=sheet_name,
        sheets=list(reader.sheet_names),
        _batches=batches,
    )
