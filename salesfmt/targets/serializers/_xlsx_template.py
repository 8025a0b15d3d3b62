"""Read what the XLSX writer needs from a template workbook: the data sheet's XML split
around ``<sheetData>``, its header (column → style), column definitions and validations."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from salesfmt.errors import TargetError
from salesfmt.problems import column_letter

__all__ = ["TemplateSheet", "read_template", "column_index", "remap_sqref", "plain_attributes"]

NS = {"m": "http://schemas.openxmlformats.org/spreadsheetml/2006/main",
      "r": "http://schemas.openxmlformats.org/officeDocument/2006/relationships",
      "rel": "http://schemas.openxmlformats.org/package/2006/relationships"}
_SHEETDATA = re.compile(r"<sheetData\s*/>|<sheetData>.*?</sheetData>", re.S)
_REF = re.compile(r"([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?")


def column_index(letters: str) -> int:
    """0-based index of a column letter (A → 0, AA → 26)."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


@dataclass
class TemplateSheet:
    """The data sheet of a template, ready to be refilled."""

    member: str
    before: str
    after: str
    headers: dict[str, int]
    header_style: dict[int, str]
    header_row_attrs: str
    cols: dict[int, dict[str, str]] = field(default_factory=dict)
    validations: list[ET.Element] = field(default_factory=list)


def plain_attributes(attrib: dict[str, str]) -> dict[str, str]:
    """Attributes without a namespace: the ones we rewrite (Excel adds xr:uid and the like,
    which ElementTree spells {uri}uid and which would need their prefixes declared)."""
    return {k: v for k, v in attrib.items() if not k.startswith("{")}


def _shared_strings(zf: zipfile.ZipFile) -> list[str]:
    try:
        root = ET.fromstring(zf.read("xl/sharedStrings.xml"))
    except KeyError:
        return []
    return ["".join(t.text or "" for t in si.iter(f"{{{NS['m']}}}t"))
            for si in root.findall("m:si", NS)]


def _sheet_member(zf: zipfile.ZipFile, sheet: str, where: str) -> str:
    wb = ET.fromstring(zf.read("xl/workbook.xml"))
    rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    targets = {r.get("Id"): r.get("Target") for r in rels.findall("rel:Relationship", NS)}
    for s in wb.findall("m:sheets/m:sheet", NS):
        if s.get("name") == sheet:
            target = targets[s.get(f"{{{NS['r']}}}id")] or ""
            return target.lstrip("/") if target.startswith("/") else \
                str(PurePosixPath("xl") / target)
    raise TargetError(f"template has no sheet {sheet!r}", where=where)


def _cell_text(c: ET.Element, shared: list[str]) -> str:
    if c.get("t") == "s":
        v = c.find("m:v", NS)
        return shared[int(v.text)] if v is not None and v.text else ""
    if c.get("t") == "inlineStr":
        return "".join(t.text or "" for t in c.iter(f"{{{NS['m']}}}t"))
    v = c.find("m:v", NS)
    return v.text if v is not None and v.text else ""


def read_template(path: Path, sheet: str) -> tuple[TemplateSheet, list[zipfile.ZipInfo]]:
    """The template's data sheet and the package's members (in order)."""
    where = str(path)
    try:
        zf = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as exc:
        raise TargetError(f"cannot open template: {exc}", where=where) from None
    with zf:
        member = _sheet_member(zf, sheet, where)
        text = zf.read(member).decode("utf-8")
        shared = _shared_strings(zf)
        infos = zf.infolist()
    from xml.sax.saxutils import quoteattr  # here: it imports urllib, http and ssl (30 ms)

    match = _SHEETDATA.search(text)
    if match is None:
        raise TargetError(f"sheet {sheet!r} has no sheetData", where=where)
    root = ET.fromstring(text)
    headers: dict[str, int] = {}
    styles: dict[int, str] = {}
    row_attrs = ""
    first = root.find("m:sheetData/m:row", NS)
    if first is not None:
        row_attrs = "".join(f" {k}={quoteattr(v)}" for k, v in plain_attributes(first.attrib).items()
                            if k not in ("r", "spans"))
        for c in first.findall("m:c", NS):
            col = column_index(_REF.match(c.get("r", "")).group(1))
            headers[_cell_text(c, shared).strip()] = col
            if c.get("s"):
                styles[col] = c.get("s")
    cols: dict[int, dict[str, str]] = {}
    for col in root.findall("m:cols/m:col", NS):
        attrs = {k: v for k, v in plain_attributes(col.attrib).items() if k not in ("min", "max")}
        for i in range(int(col.get("min")) - 1, min(int(col.get("max")), 16384)):
            cols[i] = attrs
    validations = root.findall("m:dataValidations/m:dataValidation", NS)
    before, after = text[:match.start()], text[match.end():]
    return TemplateSheet(member, before, after, headers, styles, row_attrs, cols,
                         validations), infos


def remap_sqref(sqref: str, mapping: dict[int, int]) -> str:
    """A validation's ranges moved to the output columns; ranges of dropped columns go."""
    out = []
    for part in sqref.split():
        m = _REF.fullmatch(part)
        if m is None:
            continue
        a, r1, b, r2 = m.groups()
        ia, ib = column_index(a), column_index(b or a)
        if ia != ib or ia not in mapping:
            continue
        letter = column_letter(mapping[ia])
        out.append(f"{letter}{r1}:{letter}{r2}" if b else f"{letter}{r1}")
    return " ".join(out)

