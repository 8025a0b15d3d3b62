"""What calamine does not tell us about an XLSX/XLSM package, read from its XML.

Sheet visibility and chart sheets, the workbook's date system, formula error cells
(calamine gives them as empty text) and merged ranges. The sheet XML is streamed in
chunks, so memory stays bounded whatever the sheet size.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["XlsxMeta", "SheetMarks", "SheetScanner", "read_meta", "scan_sheet",
           "numeric_texts",
           "ods_numeric_texts"]

_CHUNK = 1 << 20
_ERROR_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)\bt=\"e\"([^>]*)>(.*?)</(?:\w+:)?c>", re.S)
_REF = re.compile(rb"\br=\"([A-Z]+)(\d+)\"")
_VALUE = re.compile(rb"<(?:\w+:)?v>([^<]*)</(?:\w+:)?v>")
_NUMERIC_TEXT = re.compile(rb"<(?:\w+:)?t(?:\s[^>]*)?>\s*(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*"
                           rb"</(?:\w+:)?t>")
#: Literal-led (re then scans fast): ``<is><t>24.5</t>``; the namespaced form separately.
_INLINE_NUMBER = re.compile(rb"<is>\s*<t(?:\s[^>]*)?>\s*(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*</")
_INLINE_NUMBER_NS = re.compile(rb"<\w+:is>\s*<\w+:t(?:\s[^>]*)?>\s*"
                               rb"(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*</")
#: An ODS cell that is not a number (no float/currency/percentage value type) whose text
#: reads like one.
_ODS_NUMERIC_TEXT = re.compile(
    rb"<table:table-cell(?:(?!value-type=\"(?:float|currency|percentage)\")[^>])*>\s*"
    rb"<text:p>\s*(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)\s*</text:p>")
_MERGE = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*\bref=\"([A-Z]+)(\d+):([A-Z]+)(\d+)\"")


@dataclass
class XlsxMeta:
    """Per-sheet state (visible/hidden/veryHidden/chart), XML part, and the date system."""

    states: dict[str, str] = field(default_factory=dict)
    parts: dict[str, str] = field(default_factory=dict)
    date1904: bool = False
    #: calamine takes the date system from the *last* workbookPr element; Excel 2010+ may
    #: add a second one (an extension, without date1904) that makes it fall back to 1900.
    calamine_reads_1900: bool = False


@dataclass
class SheetMarks:
    """Error cells (letter, row, text) and merged ranges (letter1, row1, letter2, row2)."""

    errors: list[tuple[str, int, str]] = field(default_factory=list)
    merges: list[tuple[str, int, str, int]] = field(default_factory=list)
    #: Inline text cells that read like a plain number (``<is><t>24.5</t></is>``).
    texts: set[str] = field(default_factory=set)


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _attr(el: ET.Element, name: str) -> str | None:
    for key, val in el.attrib.items():
        if _local(key) == name:
            return val
    return None


def read_meta(path: Path) -> XlsxMeta:
    """Sheet states and the date system from xl/workbook.xml (namespace-agnostic: Strict too)."""
    meta = XlsxMeta()
    try:
        with zipfile.ZipFile(path) as zf:
            wb = ET.fromstring(zf.read("xl/workbook.xml"))
            rels_name = "xl/_rels/workbook.xml.rels"
            rels = ET.fromstring(zf.read(rels_name)) if rels_name in zf.namelist() else None
    except (KeyError, ET.ParseError, zipfile.BadZipFile, OSError):
        return meta
    targets = {}
    if rels is not None:
        for rel in rels:
            target = rel.get("Target", "")
            target = target.lstrip("/") if target.startswith("/") else \
                posixpath.normpath(posixpath.join("xl", target))
            targets[rel.get("Id")] = (target, rel.get("Type", ""))
    for el in wb.iter():
        tag = _local(el.tag)
        if tag == "workbookPr":
            flag = _attr(el, "date1904")
            if flag is not None:
                meta.date1904 = flag.lower() in ("1", "true", "on")
            meta.calamine_reads_1900 = meta.date1904 and flag is None
        elif tag == "sheet":
            name = _attr(el, "name") or ""
            target, typ = targets.get(_attr(el, "id"), ("", ""))
            state = _attr(el, "state") or "visible"
            meta.states[name] = "chart" if typ.endswith("/chartsheet") else state
            meta.parts[name] = target
    return meta


class SheetScanner:
    """Builds a worksheet's :class:`SheetMarks` from its XML fed chunk by chunk (any
    sizes; each body is cut after a whole row). ``feed(b"")`` ends the part."""

    def __init__(self) -> None:
        self.marks = SheetMarks()
        self._tail = b""

    def feed(self, chunk: bytes) -> None:
        buf = self._tail + chunk
        cut = len(buf) if not chunk else (buf.rfind(b"row>") + 4 if b"row>" in buf else 0)
        body, self._tail = buf[:cut], buf[cut:]
        marks = self.marks
        if b't="e"' in body:
            _errors(body, marks)
        if b"<is>" in body:
            marks.texts.update(m.decode() for m in _INLINE_NUMBER.findall(body))
        if b":is>" in body:
            marks.texts.update(m.decode() for m in _INLINE_NUMBER_NS.findall(body))
        if b"mergeCell" in body:
            marks.merges += [(a.decode(), int(b), c.decode(), int(d))
                             for a, b, c, d in _MERGE.findall(body)]


def scan_sheet(path: Path, part: str) -> SheetMarks:
    """Error cells and merged ranges of one worksheet part, streamed chunk by chunk."""
    scanner = SheetScanner()
    try:
        zf = zipfile.ZipFile(path)
        fh = zf.open(part)
    except (KeyError, zipfile.BadZipFile, OSError):
        return scanner.marks
    with zf, fh:
        while chunk := fh.read(_CHUNK):
            scanner.feed(chunk)
    scanner.feed(b"")
    return scanner.marks


def _errors(body: bytes, marks: SheetMarks) -> None:
    for attrs1, attrs2, inner in _ERROR_CELL.findall(body):
        ref = _REF.search(attrs1 + b" " + attrs2)
        val = _VALUE.search(inner)
        if ref and val:
            marks.errors.append((ref.group(1).decode(), int(ref.group(2)),
                                 val.group(1).decode("utf-8", "replace")))


def _texts_in(path: Path, member: str, pattern: re.Pattern[bytes], end: bytes) -> set[str]:
    """Matches of ``pattern`` in a zip member, streamed, each chunk cut after ``end``."""
    found: set[str] = set()
    try:
        zf = zipfile.ZipFile(path)
        fh = zf.open(member)
    except (KeyError, zipfile.BadZipFile, OSError):
        return found
    with zf, fh:
        tail = b""
        while chunk := fh.read(_CHUNK):
            buf = tail + chunk
            cut = buf.rfind(end) + len(end) if end in buf else 0
            found.update(m.strip().decode() for m in pattern.findall(buf[:cut]))
            tail = buf[cut:]
        found.update(m.strip().decode() for m in pattern.findall(tail))
    return found


def ods_numeric_texts(path: Path) -> set[str]:
    """ODS text cells that read like a plain number (see :func:`numeric_texts`)."""
    return _texts_in(path, "content.xml", _ODS_NUMERIC_TEXT, b"</table:table-cell>")


def numeric_texts(path: Path) -> set[str]:
    """Shared strings that read like a plain number (``24.5``): text cells calamine renders
    exactly as it renders a numeric cell, so such a rendering is not proof of a number."""
    return _texts_in(path, "xl/sharedStrings.xml", _NUMERIC_TEXT, b"</si>")
