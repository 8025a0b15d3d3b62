"""Readers: any supported partner file → a table of strings with source coordinates.

Every batch a :class:`Source` yields has ``__row`` (1-based spreadsheet row / physical
line of the record) followed by one String column per header, in file order.
"""

from __future__ import annotations

from pathlib import Path

from salesfmt.errors import InputError
from salesfmt.readers._source import HeaderScorer, ReadOptions, Source
from salesfmt.readers.csv import open_csv
from salesfmt.readers.workbook import open_workbook

__all__ = ["ReadOptions", "Source", "HeaderScorer", "open_source", "SUPPORTED_EXTENSIONS"]

SUPPORTED_EXTENSIONS = {
    ".csv": "csv", ".tsv": "csv", ".txt": "csv",
    ".xlsx": "workbook", ".xlsm": "workbook", ".xls": "workbook", ".xlsb": "workbook",
    ".ods": "workbook",
}

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"


def _sniff(path: Path) -> str:
    """Tell a workbook from text by its first bytes, not by its name."""
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith(_OLE2) or head.startswith(_ZIP):
        return "workbook"
    return "csv"


def open_source(path: str | Path, options: ReadOptions | None = None,
                scorer: HeaderScorer | None = None) -> Source:
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
    except OSError as exc:
        raise InputError(f"cannot read file: {exc.strerror}", where=str(path)) from None
    if size == 0:
        raise InputError("file is empty", where=str(path))
    kind = _sniff(path)
    if kind == "workbook":
        return open_workbook(path, options, scorer)
    if SUPPORTED_EXTENSIONS[ext] == "workbook":
        raise InputError(f"not a {ext} workbook (no zip or OLE2 signature)", where=str(path))
    return open_csv(path, options, scorer)
