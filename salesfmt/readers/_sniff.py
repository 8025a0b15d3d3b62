"""What a file really is, from its first bytes and (for zips) its declared contents.

Extensions lie: an ``.xls`` saved as ``.xlsx``, a zip saved as ``.csv``. Everything here
runs before calamine touches the file, so a zip bomb or an encrypted workbook ends in a
one-line :class:`InputError` instead of a hang or a misleading message.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from salesfmt.errors import InputError

__all__ = ["Kind", "Limits", "sniff", "LIMITS"]

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP = b"PK\x03\x04"  # a local file header
#: BIFF2-4 streams start with a BOF record (not an OLE2 container): opcode → Excel version.
_BIFF_BOF = {b"\x09\x00": "Excel 2.x (BIFF2)", b"\x09\x02": "Excel 3.0 (BIFF3)",
             b"\x09\x04": "Excel 4.0 (BIFF4)"}
_TEXT_EXT = (".csv", ".tsv", ".txt")
_ENCRYPTED = "EncryptedPackage".encode("utf-16-le")


class Kind(StrEnum):
    """Physical formats the readers handle (the extension only breaks ties)."""

    TEXT = "csv"
    XLSX = "xlsx"
    XLSB = "xlsb"
    XLS = "xls"
    ODS = "ods"


@dataclass(frozen=True)
class Limits:
    """Safety limits for workbooks: on the zip's declared sizes, then on the bytes really
    inflated (a streamed pass before calamine opens the file), and on a sheet's extent."""

    max_file_bytes: int = 512 * 1024**2
    max_uncompressed_bytes: int = 2 * 1024**3
    max_ratio: float = 200.0
    ratio_floor_bytes: int = 64 * 1024**2  # members smaller than this are never a bomb
    #: A worksheet whose cell references span a grid larger than this is refused (calamine
    #: allocates the whole grid: one value at XFD1048576 would abort the process).
    max_cells: int = 50_000_000
    #: Memory a child process may use to parse an XLS/XLSB first (0: no child, read as is).
    probe_memory_bytes: int = 6 * 1024**3


LIMITS = Limits()


def _mb(n: float) -> str:
    return f"{n / 1024**2:,.0f} MB"


def _check_zip(path: Path, ext: str, limits: Limits) -> Kind:
    where = str(path)
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            mimetype = zf.read("mimetype")[:64] if "mimetype" in names else b""
    except zipfile.BadZipFile:
        raise InputError("truncated or damaged zip archive (no end-of-central-directory "
                         "record); the workbook cannot be read", where=where) from None
    except (OSError, RuntimeError, NotImplementedError, ValueError) as exc:
        raise InputError(f"unreadable zip archive: {exc}", where=where) from None
    total = sum(i.file_size for i in infos)
    if total > limits.max_uncompressed_bytes:
        raise InputError(f"refused: the workbook would unpack to {_mb(total)}, over the "
                         f"{_mb(limits.max_uncompressed_bytes)} limit (zip bomb?)", where=where)
    for i in infos:
        if i.file_size > limits.ratio_floor_bytes and \
                i.file_size > limits.max_ratio * max(i.compress_size, 1):
            raise InputError(f"refused: zip member {i.filename!r} expands "
                             f"{i.file_size / max(i.compress_size, 1):,.0f}x to "
                             f"{_mb(i.file_size)} (zip bomb?)", where=where)
    if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
        return Kind.ODS
    if "[Content_Types].xml" not in names:
        inner = ", ".join(sorted(names)[:3]) or "nothing"
        what = "a CSV text file; unzip it first" if ext in _TEXT_EXT else \
            "an Excel or ODS workbook (no [Content_Types].xml)"
        raise InputError(f"a ZIP archive holding {inner}, not {what}", where=where)
    if any(n.endswith("workbook.bin") for n in names):
        return Kind.XLSB
    return Kind.XLSX


def _check_ole2(path: Path) -> Kind:
    with path.open("rb") as fh:
        data = fh.read(4 * 1024**2)  # the directory of a small encrypted package sits early
    if _ENCRYPTED in data:
        raise InputError("the workbook is password-protected (encrypted); save an "
                         "unprotected copy and try again", where=str(path))
    return Kind.XLS


def sniff(path: Path, ext: str, limits: Limits = LIMITS) -> Kind:
    """The file's real format; raises InputError for archives and legacy formats we refuse."""
    with path.open("rb") as fh:
        head = fh.read(8)
    if head.startswith((_ZIP, _OLE2)) and path.stat().st_size > limits.max_file_bytes:
        raise InputError(f"refused: workbook of {_mb(path.stat().st_size)} is over the "
                         f"{_mb(limits.max_file_bytes)} limit", where=str(path))
    if head.startswith(_ZIP):
        return _check_zip(path, ext, limits)
    if head.startswith(_OLE2):
        return _check_ole2(path)
    if head[:2] in _BIFF_BOF and head[2:4] in (b"\x04\x00", b"\x06\x00", b"\x08\x00"):
        raise InputError(f"unsupported legacy {_BIFF_BOF[head[:2]]} format; open it in a "
                         "spreadsheet program and save it as .xlsx", where=str(path))
    if ext in (".xlsx", ".xlsm", ".xlsb", ".ods", ".xls"):
        raise InputError(f"not a {ext} workbook: no zip or OLE2 signature in the first "
                         "bytes (damaged, or a text file with the wrong name?)", where=str(path))
    return Kind.TEXT
