"""Readers: any supported partner file → a table of strings with source coordinates.

Every batch a :class:`Source` yields has ``__row`` (1-based spreadsheet row / physical
line of the record) followed by one String column per header, in file order.
"""

from __future__ import annotations

from pathlib import Path

from salesfmt.errors import InputError
from salesfmt.readers._probe import probe_binary_workbook
from salesfmt.readers._sniff import LIMITS, Kind, Limits, sniff
from salesfmt.readers._source import HeaderScorer, ReadOptions, Source
from salesfmt.readers._zipscan import inflate_checked
from salesfmt.readers.csv import open_csv
from salesfmt.readers.workbook import open_workbook

__all__ = ["ReadOptions", "Source", "HeaderScorer", "open_source", "SUPPORTED_EXTENSIONS",
           "Limits", "LIMITS"]

SUPPORTED_EXTENSIONS = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv",
    ".xlsx": "workbook", ".xlsm": "workbook", ".xls": "workbook", ".xlsb": "workbook",
    ".ods": "workbook",
}


def open_source(path: str | Path, options: ReadOptions | None = None,
                scorer: HeaderScorer | None = None, limits: Limits = LIMITS) -> Source:
    """Open a partner file for reading; raises InputError with a one-line reason."""
    path = Path(path)
    options = options or ReadOptions()
    if not path.exists():
        raise InputError("file not found", where=str(path))
    if path.is_dir():
        raise InputError("is a directory, not a file", where=str(path))
    ext = path.suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        known = ", ".join(sorted(SUPPORTED_EXTENSIONS))
        raise InputError(f"unsupported file type {ext or '(none)'!r}; expected one of {known}",
                         where=str(path))
    try:
        size = path.stat().st_size
        with path.open("rb"):
            pass
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", where=str(path)) from None
    if size == 0:
        raise InputError("file is empty (0 bytes)", where=str(path))
    kind = sniff(path, ext, limits)
    if kind is Kind.TEXT:
        return open_csv(path, options, scorer)
    if kind in (Kind.XLS, Kind.XLSB) and limits.probe_memory_bytes:
        probe_binary_workbook(path, path.suffix.lower() != f".{kind.value}",
                              limits.probe_memory_bytes)
    scanned = inflate_checked(path, limits) if kind in (Kind.XLSX, Kind.XLSB, Kind.ODS) \
        else None
    return open_workbook(path, kind, options, scorer, scanned, limits.max_cells)
