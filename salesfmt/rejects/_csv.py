"""Rejects of a CSV file: the partner's own lines, copied byte for byte, plus "Problems".

The lines above the header (a title block), the header record and every rejected record
are copied from the source file as they are (same encoding and byte-order mark, delimiter,
quoting, line ends; a record spans the physical lines of its quoted line breaks), so the
header stays on its line; one cell is appended to the header, ``Problems``, and to each
rejected record: what is wrong with the line. A record with fewer cells than the header
is padded with empty cells first, so "Problems" stays in its own column. A file that
already ends in a "Problems" column (a rejects file sent back, not yet right) keeps that
one column, with the new text.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

from salesfmt.errors import InputError
from salesfmt.rejects._rows import PROBLEMS_HEADER, Rejected

__all__ = ["csv_rejects"]

#: Byte-order marks, longest first (a UTF-32 LE mark starts like a UTF-16 LE one).
_BOMS = [(codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"),
         (codecs.BOM_UTF16_BE, "utf-16-be")]
#: Between two problems of one line (one physical line per record stays one).
SEPARATOR = " | "


def _codec(path: Path, encoding: str | None) -> tuple[bytes, str]:
    """(byte-order mark to copy, codec for the text after it)."""
    with path.open("rb") as fh:
        head = fh.read(4)
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return bom, codec
    name = codecs.lookup(encoding or "utf-8").name
    return b"", "utf-8" if name == "utf-8-sig" else name


def _byte_lines(codec: str) -> bool:
    """Whether a line feed is the byte 0x0A in ``codec`` and never part of another
    character (UTF-8 and the single-byte code pages): lines are then split as bytes."""
    name = codecs.lookup(codec).name
    return not name.startswith(("utf-16", "utf-32")) and "\n".encode(codec) == b"\n"


def _physical_lines(path: Path, bom: bytes, codec: str) -> Iterator[str | bytes]:
    """The file's physical lines with their own line ends (LF or CRLF; CR for files with
    classic-Mac line ends), as the reader numbers them: bytes where a line feed is one
    byte (decoded only for the records wanted), else text."""
    with path.open("rb") as raw:
        raw.seek(len(bom))
        head = raw.read(256 * 1024)
        probe = head.decode(codec, errors="replace")
        newline = "\r" if "\r" in probe and "\n" not in probe else "\n"
        raw.seek(len(bom))
        if newline == "\n" and _byte_lines(codec):
            yield from raw
        else:
            yield from io.TextIOWrapper(raw, encoding=codec, errors="surrogateescape",
                                        newline=newline)


@dataclass(frozen=True)
class _Dialect:
    delimiter: str
    quote: str
    escape: str | None

    def open_after(self, line: str, inside: bool) -> bool:
        """Whether a quoted value is still open at the end of ``line`` (``inside``: one
        was open at its start). A quote opens a value only at the start of a cell, as the
        readers take it; a doubled quote (or an escaped one) inside a value is text."""
        q, esc, delim = self.quote, self.escape, self.delimiter
        if not q or (not inside and q not in line):
            return False
        start, i, n = not inside, 0, len(line)
        while i < n:
            ch = line[i]
            if inside:
                if esc and esc != q and ch == esc:
                    i += 2
                    continue
                if ch == q:
                    if i + 1 < n and line[i + 1] == q:
                        i += 2
                        continue
                    inside = False
            elif ch == q and start:
                inside = True
            start = ch == delim and not inside
            i += 1
        return inside


def _records(lines: Iterator[str | bytes], wanted: set[int], dialect: _Dialect, codec: str
             ) -> Iterator[tuple[int, str]]:
    """(first physical line, text) of the records starting on a ``wanted`` line; a record
    goes on while a quoted value is open (its line breaks belong to the value). The lines
    between are skipped without a Python step per line (``islice``)."""

    def text(raw: str | bytes) -> str:
        return raw if isinstance(raw, str) else raw.decode(codec, errors="surrogateescape")

    it = iter(lines)
    number = 0  # lines consumed so far
    for start in sorted(wanted):
        if start <= number:
            continue  # inside the record before it (cannot happen with the readers' rows)
        deque(islice(it, start - number - 1), maxlen=0)
        raw = next(it, None)
        if raw is None:
            return
        number = start
        parts = [text(raw)]
        while dialect.open_after(parts[-1], len(parts) > 1):
            raw = next(it, None)
            if raw is None:
                break
            number += 1
            parts.append(text(raw))
        yield start, "".join(parts)


def _parsed(record: str, delimiter: str, quote: str, escape: str | None,
            strict: bool = False) -> list[str] | None:
    """The cells of one record (None when the csv module cannot follow its quoting)."""
    reader = csv.reader(io.StringIO(record.rstrip("\r\n"), newline=""), delimiter=delimiter,
                        quotechar=quote or None, escapechar=escape, strict=strict,
                        quoting=csv.QUOTE_MINIMAL if quote else csv.QUOTE_NONE)
    try:
        return next(reader, [])
    except csv.Error:
        return None


def _cells(record: str, delimiter: str, quote: str, escape: str | None) -> int | None:
    cells = _parsed(record, delimiter, quote, escape)
    return None if cells is None else len(cells)


def _last_cell(body: str, width: int, delimiter: str, quote: str, escape: str | None
               ) -> int | None:
    """Where the last of a record's ``width`` cells starts: after the rightmost delimiter
    that leaves ``width - 1`` well-quoted cells before it (None if there is none)."""
    pos = len(body)
    while (pos := body.rfind(delimiter, 0, pos)) >= 0:
        before = _parsed(body[:pos], delimiter, quote, escape, strict=True)
        if before is not None and len(before) == width - 1:
            return pos + 1
    return None


def _quoted(text: str, delimiter: str, quote: str) -> str:
    """A cell as the partner's dialect writes it: quoted only where it must be."""
    if not quote:
        return text.replace(delimiter, " ").replace("\r", " ").replace("\n", " ")
    if any(c in text for c in (delimiter, quote, "\r", "\n")) or text != text.strip():
        return quote + text.replace(quote, quote * 2) + quote
    return text


def _split_end(record: str, newline: str) -> tuple[str, str]:
    body = record.rstrip("\r\n")
    return body, record[len(body):] or newline


def csv_rejects(source_path: Path, *, encoding: str | None, delimiter: str, quote: str,
                escape: str | None, header_line: int, rejected: Rejected) -> bytes:
    """The rejects file's bytes: the header record and the rejected records of
    ``source_path``, verbatim, each with a last "Problems" cell."""
    bom, codec = _codec(source_path, encoding)
    wanted = {*range(1, header_line + 1), *rejected.rows}
    found = dict(_records(_physical_lines(source_path, bom, codec), wanted,
                          _Dialect(delimiter, quote, escape), codec))
    lost = sorted(set(rejected.rows) - set(found))
    if lost:  # never silently short: the run's set is not published without it
        raise InputError(f"cannot copy row {lost[0]} into the rejects file: the file's "
                         "quoting could not be followed to it", where=str(source_path))
    header = found.get(header_line, "")
    newline = header[len(header.rstrip("\r\n")):] or "\n"
    names = _parsed(header, delimiter, quote, escape) or []
    width = len(names)
    again = width > 1 and names[-1].strip() == PROBLEMS_HEADER  # a resent rejects file
    out = [bom]
    for number in range(1, header_line):  # the title block, verbatim
        if number in found:
            out.append(found[number].encode(codec, errors="surrogateescape"))

    def line(record: str, extra: str) -> None:
        body, end = _split_end(record, newline)
        cells = _cells(record, delimiter, quote, escape) or width
        cut = _last_cell(body, width, delimiter, quote, escape) \
            if again and cells == width else None
        if cut is not None:  # its old Problems cell gives way to the new one
            body, sep = body[:cut], ""
        else:
            sep = delimiter * max(0, width - again - cells) + delimiter
        out.append(body.encode(codec, errors="surrogateescape"))
        tail = sep + _quoted(extra, delimiter, quote) + end
        out.append(tail.encode(codec, errors="replace"))

    if again:
        out.append(header.encode(codec, errors="surrogateescape"))
    else:
        line(header, PROBLEMS_HEADER)
    for row in rejected.rows:
        if row in found:
            line(found[row], rejected.joined(row, SEPARATOR))
    return b"".join(out)
