"""Inflate every member of a workbook zip once, counting the bytes really produced.

A zip's declared sizes can lie: members declaring 1 MB may inflate to gigabytes, which
calamine would then hold in memory. Before calamine opens the file, each member is
inflated here through zlib in bounded steps, and the run stops as soon as a member or the
whole archive goes over its budget. Worksheet parts are scanned on the way for the
largest cell reference, so a single value at XFD1048576 (calamine would allocate the
whole grid and abort the process) is refused from its extent.
"""

from __future__ import annotations

import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from salesfmt.errors import InputError
from salesfmt.readers._sniff import Limits, _mb
from salesfmt.readers._xlsx_meta import _REF as _CELL_REF
from salesfmt.readers._xlsx_meta import SheetMarks, SheetScanner

__all__ = ["inflate_checked", "column_number", "Scanned"]

_STEP = 1 << 20
_LOCAL_HEADER = struct.Struct("<4s5H3I2H")
#: Cheap gates, each starting with a literal (re then scans with a fast prefix search):
#: columns past Z, and rows past 999,999 (rare; their exact refs are read only then).
_WIDE_REF = re.compile(rb"r=\"([A-Z]{2,3})\d")
_TALL_GATE = re.compile(rb"r=\"[A-Z]+\d{7}")
_TALL_REF = re.compile(rb"r=\"[A-Z]+(\d{7,})\"")


def column_number(letters: str) -> int:
    """1-based column number of ``A``, ``AB``, ``XFD``."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


class _Extent:
    """Largest row and column among a worksheet's cell references, chunk by chunk (rows
    come in order: the last reference of a chunk, plus any 7-digit row or 2-3 letter
    column anywhere)."""

    def __init__(self) -> None:
        self.rows = self.cols = 0
        self._tail = b""

    def feed(self, data: bytes) -> None:
        buf = self._tail + data
        self._tail = buf[-64:]
        last = buf.rfind(b' r="')
        if last >= 0:
            m = _CELL_REF.search(buf, last)
            if m:
                self.rows = max(self.rows, int(m.group(2)))
                self.cols = max(self.cols, column_number(m.group(1).decode()))
        if _TALL_GATE.search(buf):
            self.rows = max([self.rows, *map(int, _TALL_REF.findall(buf))])
        wide = _WIDE_REF.findall(buf)
        if wide:
            self.cols = max(self.cols, max(column_number(w.decode()) for w in set(wide)))


def _member_chunks(fh, info: zipfile.ZipInfo, budget: int, where: str):
    """The member's inflated bytes in steps; stops (InputError) past ``budget`` bytes."""
    if not 0 <= info.header_offset < fh.seek(0, 2):
        raise InputError(f"damaged zip: member {info.filename!r} points outside the file",
                         where=where)
    fh.seek(info.header_offset)
    head = fh.read(_LOCAL_HEADER.size)
    if len(head) < _LOCAL_HEADER.size or head[:4] != b"PK\x03\x04":
        raise InputError(f"damaged zip: member {info.filename!r} has no local header",
                         where=where)
    fields = _LOCAL_HEADER.unpack(head)
    fh.seek(fields[-2] + fields[-1], 1)  # name and extra field
    left = info.compress_size
    if info.compress_type == zipfile.ZIP_STORED:
        while left > 0:
            chunk = fh.read(min(_STEP, left))
            if not chunk:
                break
            left -= len(chunk)
            yield chunk
        return
    if info.compress_type != zipfile.ZIP_DEFLATED:
        raise InputError(f"zip member {info.filename!r} uses compression method "
                         f"{info.compress_type}, which workbooks never use", where=where)
    inflater = zlib.decompressobj(-15)
    produced = 0
    pending = b""
    while True:
        if not pending:
            if left <= 0:
                break
            pending = fh.read(min(_STEP // 4, left))
            if not pending:
                break
            left -= len(pending)
        try:
            out = inflater.decompress(pending, _STEP)
        except zlib.error as exc:
            raise InputError(f"damaged zip: member {info.filename!r} does not inflate "
                             f"({exc})", where=where) from None
        pending = inflater.unconsumed_tail
        produced += len(out)
        if produced > budget:
            raise _Over
        if out:
            yield out
        if inflater.eof:
            break


class _Over(Exception):
    """A member inflated past its budget."""


@dataclass
class Scanned:
    """What inflating a workbook zip found, per worksheet part (``xl/worksheets/*.xml``):
    the (rows, columns) extent of its cell references, and its marks (error cells,
    merged ranges, number-like inline text), so the part is not inflated a second time."""

    extents: dict[str, tuple[int, int]] = field(default_factory=dict)
    marks: dict[str, SheetMarks] = field(default_factory=dict)


def inflate_checked(path: Path, limits: Limits) -> Scanned:
    """Inflate every member within the limits (InputError otherwise), scanning worksheets."""
    try:
        return _inflate_all(path, limits)
    except (OSError, ValueError, struct.error, zipfile.BadZipFile) as exc:
        raise InputError(f"damaged zip: {exc}", where=str(path)) from None


def _inflate_all(path: Path, limits: Limits) -> Scanned:
    where = str(path)
    found = Scanned()
    total = 0
    with zipfile.ZipFile(path) as zf, path.open("rb") as fh:
        for info in zf.infolist():
            if info.is_dir():
                continue
            per_member = max(limits.ratio_floor_bytes,
                             int(limits.max_ratio * max(info.compress_size, 1)))
            budget = min(per_member, limits.max_uncompressed_bytes - total)
            sheet = info.filename.startswith("xl/worksheets/") and \
                info.filename.endswith(".xml")
            extent = _Extent() if sheet else None
            scanner = SheetScanner() if sheet else None
            size = 0
            try:
                for chunk in _member_chunks(fh, info, budget, where):
                    size += len(chunk)
                    if extent is not None and scanner is not None:
                        extent.feed(chunk)
                        scanner.feed(chunk)
            except _Over:
                if budget < per_member:
                    raise InputError(f"refused: the workbook unpacks to more than "
                                     f"{_mb(limits.max_uncompressed_bytes)} (zip bomb?)",
                                     where=where) from None
                raise InputError(f"refused: zip member {info.filename!r} expands more than "
                                 f"{limits.max_ratio:,.0f}x its compressed size, past "
                                 f"{_mb(limits.ratio_floor_bytes)} (zip bomb?)",
                                 where=where) from None
            if size != info.file_size:
                raise InputError(f"damaged zip: member {info.filename!r} inflates to {size:,} "
                                 f"bytes but declares {info.file_size:,}", where=where)
            total += size
            if extent is not None and scanner is not None:
                scanner.feed(b"")
                found.extents[info.filename] = (extent.rows, extent.cols)
                found.marks[info.filename] = scanner.marks
    return found
