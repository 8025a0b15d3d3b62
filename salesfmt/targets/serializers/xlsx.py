"""XLSX template serializer: fills a copy of the target's template workbook.

The data sheet's rows are built as XML by polars expressions (one string per row, whole
batches at a time) and streamed into a copy of the template package; every other part of
the template (styles, Instructions sheet, theme, properties) is copied byte for byte. The
header row, column widths/styles and data validations are re-laid out for the target's
columns, so declared variants (renamed, reordered, extra columns) keep the template's look.

Cells: text is always an inline string (never a formula), numbers are numbers written from
their exact decimal text, dates are Excel serial dates in the template column's date style.
Output is deterministic: fixed zip timestamps, members in the template's order.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path

import polars as pl

from salesfmt.canonical import Kind
from salesfmt.columns import out, value
from salesfmt.outputs import temp_prefix
from salesfmt.problems import column_letter
from salesfmt.resources import templates_dir
from salesfmt.targets.serializers._atomic import AtomicWriter
from salesfmt.targets.serializers._xlsx_template import (
    plain_attributes,
    read_template,
    remap_sqref,
)
from salesfmt.targets.spec import Target, TargetField

__all__ = ["XlsxTemplateWriter"]

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)
_ROW = "__xml_row"
# XML 1.0 refuses these: C0 controls but tab and LF (CR is kept as _x000D_, as Excel does),
# U+FFFE and U+FFFF. Each is written as Excel's _xHHHH_ escape, so the sheet stays well-formed.
_CTRL = [chr(i) for i in range(32) if chr(i) not in "\t\n"] + ["\ufffe", "\uffff"]
_EXCEL_EPOCH = pl.date(1899, 12, 30)
#: Excel's first date (serial 1); it counts a 29 February 1900, so earlier serials are one less
_FIRST_DAY, _LEAP_BUG = pl.date(1900, 1, 1), pl.date(1900, 3, 1)


def _xml_text(e: pl.Expr) -> pl.Expr:
    """Text for an inline string: XML-escaped, control characters as Excel's _xHHHH_."""
    e = e.str.replace_all(r"_(x[0-9A-Fa-f]{4}_)", "_x005F_${1}")
    return e.str.replace_many(["&", "<", ">", *_CTRL],
                              ["&amp;", "&lt;", "&gt;", *[f"_x{ord(c):04X}_" for c in _CTRL]])


def _inline(text: pl.Expr) -> pl.Expr:
    return pl.concat_str([pl.lit(' t="inlineStr"><is><t xml:space="preserve">'),
                          _xml_text(text), pl.lit("</t></is>")])


def _number(text: pl.Expr) -> pl.Expr:
    return pl.concat_str([pl.lit("><v>"), text, pl.lit("</v>")])


def _cell_value(f: TargetField) -> pl.Expr:
    """The cell's type attribute and content (``><v>45000</v>``), null for an empty cell.
    Dates Excel cannot hold (before 1900) are written as their text, never a negative
    serial; the target's check reports them."""
    v = pl.col(value(f.name))
    if f.kind in (Kind.DATE, Kind.DATETIME):
        day = v.cast(pl.Date)
        if f.kind is Kind.DATE:
            serial = (v - _EXCEL_EPOCH).dt.total_days().cast(pl.String)
        else:
            serial = (v.dt.epoch("ms").cast(pl.Float64) / 86_400_000 + 25569)
        serial = pl.when(day < _LEAP_BUG).then(serial.cast(pl.Float64) - 1).otherwise(
            serial.cast(pl.Float64))
        text = serial.cast(pl.Int64).cast(pl.String) if f.kind is Kind.DATE \
            else serial.round(10).cast(pl.String)
        return pl.when(day >= _FIRST_DAY).then(_number(text)).otherwise(
            _inline(pl.col(out(f.name))))
    if f.kind in (Kind.INTEGER, Kind.DECIMAL):
        return _number(pl.col(out(f.name)))
    if f.kind is Kind.BOOLEAN:
        return pl.concat_str([pl.lit(' t="b"'), _number(v.cast(pl.Int8).cast(pl.String))])
    return _inline(pl.col(out(f.name)))


class XlsxTemplateWriter(AtomicWriter):
    """Streams rows into the data sheet of a copy of the target's template."""

    extension = ".xlsx"

    def __init__(self, path: Path, target: Target) -> None:
        super().__init__(path, target)
        opts = target.options
        self.template = templates_dir() / opts.get("template", "")
        self.sheet, self.infos = read_template(self.template, opts.get("sheet", "Sheet1"))
        self.fields = list(target.fields)
        self.source_col = self._template_columns()
        fd, rows = tempfile.mkstemp(prefix=f"{temp_prefix()}{self.path.name}.", suffix=".rows",
                                    dir=self.path.parent)
        self._rows_path = Path(rows)
        self._rows = os.fdopen(fd, "wb")
        self.next_row = 2

    def _template_columns(self) -> list[int | None]:
        """For each output column, the template column whose look it takes."""
        cols = [self.sheet.headers.get(f.template_column) for f in self.fields]
        by_kind: dict[Kind, int] = {}
        for f, c in zip(self.fields, cols, strict=True):
            if c is not None:
                by_kind.setdefault(f.kind, c)
        return [c if c is not None else by_kind.get(f.kind)
                for f, c in zip(self.fields, cols, strict=True)]

    def _style(self, i: int) -> str:
        src = self.source_col[i]
        style = self.sheet.cols.get(src, {}).get("style") if src is not None else None
        return f' s="{style}"' if style else ""

    def write(self, batch: pl.DataFrame) -> None:
        if batch.height == 0:
            return
        rn = (pl.int_range(pl.len(), dtype=pl.Int64) + self.next_row).cast(pl.String)
        cells = []
        for i, f in enumerate(self.fields):
            cells.append(pl.concat_str([
                pl.lit(f'<c r="{column_letter(i)}'), rn, pl.lit(f'"{self._style(i)}'),
                _cell_value(f), pl.lit("</c>")]))
        row = pl.concat_str([pl.lit('<row r="'), rn, pl.lit('">'), *cells, pl.lit("</row>")],
                            ignore_nulls=True)
        xml = batch.select(row.alias(_ROW))[_ROW].str.join("").item()
        self._rows.write(xml.encode("utf-8"))
        self.next_row += batch.height
        self.records += batch.height

    def _header(self) -> str:
        from xml.sax.saxutils import escape  # here: it imports urllib, http and ssl (30 ms)

        cells = []
        for i, f in enumerate(self.fields):
            src = self.sheet.headers.get(f.template_column, self.source_col[i])
            style = self.sheet.header_style.get(src) if src is not None else None
            s = f' s="{style}"' if style else ""
            cells.append(f'<c r="{column_letter(i)}1"{s} t="inlineStr"><is><t>'
                         f"{escape(f.name)}</t></is></c>")
        return f'<row r="1"{self.sheet.header_row_attrs}>{"".join(cells)}</row>'

    def _cols(self) -> str:
        from xml.sax.saxutils import quoteattr

        parts = []
        for i, src in enumerate(self.source_col):
            attrs = dict(self.sheet.cols.get(src, {})) if src is not None else {}
            if self.sheet.headers.get(self.fields[i].template_column) is None:
                attrs.update(width=str(max(10, len(self.fields[i].name) + 4)), customWidth="1")
            if attrs:
                extra = "".join(f" {k}={quoteattr(v)}" for k, v in sorted(attrs.items()))
                parts.append(f'<col min="{i + 1}" max="{i + 1}"{extra}/>')
        return f"<cols>{''.join(parts)}</cols>" if parts else ""

    def _validations(self) -> str:
        from xml.sax.saxutils import escape, quoteattr

        mapping = {}
        for i, f in enumerate(self.fields):
            src = self.sheet.headers.get(f.template_column)
            if src is not None:
                mapping[src] = i
        parts = []
        for dv in self.sheet.validations:
            sqref = remap_sqref(dv.get("sqref", ""), mapping)
            if not sqref:
                continue
            attrs = "".join(f" {k}={quoteattr(sqref if k == 'sqref' else v)}"
                            for k, v in plain_attributes(dv.attrib).items())
            body = "".join(f"<{c.tag.split('}')[-1]}>{escape(c.text or '')}"
                           f"</{c.tag.split('}')[-1]}>" for c in dv)
            parts.append(f"<dataValidation{attrs}>{body}</dataValidation>")
        if not parts:
            return ""
        return f'<dataValidations count="{len(parts)}">{"".join(parts)}</dataValidations>'

    def _sheet_parts(self) -> tuple[str, str]:
        last = column_letter(max(len(self.fields) - 1, 0))
        before = re.sub(r"<dimension [^>]*/>",
                        f'<dimension ref="A1:{last}{max(self.next_row - 1, 1)}"/>',
                        self.sheet.before)
        cols = self._cols()
        if re.search(r"<cols>.*?</cols>", before, re.S):
            before = re.sub(r"<cols>.*?</cols>", cols, before, flags=re.S)
        else:
            before += cols
        after = re.sub(r"<dataValidations[^>]*>.*?</dataValidations>|<dataValidations[^>]*/>",
                       "", self.sheet.after, flags=re.S)
        validations = self._validations()
        if validations:
            # schema order: dataValidations come right after the sheet's protection/filters,
            # before hyperlinks, print options and margins
            anchor = re.search(r"<(hyperlinks|printOptions|pageMargins|pageSetup|headerFooter"
                               r"|drawing|legacyDrawing|tableParts|extLst)\b", after)
            at = anchor.start() if anchor else after.rindex("</worksheet>")
            after = after[:at] + validations + after[at:]
        return before, after

    def finish(self) -> None:
        if self._rows.closed:
            return
        self._rows.close()
        before, after = self._sheet_parts()
        with zipfile.ZipFile(self.template) as src, \
                zipfile.ZipFile(self.tmp, "w", zipfile.ZIP_DEFLATED) as dst:
            for info in self.infos:
                entry = zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME)
                entry.compress_type = zipfile.ZIP_DEFLATED
                if info.filename != self.sheet.member:
                    dst.writestr(entry, src.read(info.filename))
                    continue
                with dst.open(entry, "w", force_zip64=True) as fh, \
                        self._rows_path.open("rb") as rows:
                    fh.write(before.encode("utf-8"))
                    fh.write(b"<sheetData>" + self._header().encode("utf-8"))
                    shutil.copyfileobj(rows, fh, 1 << 20)
                    fh.write(b"</sheetData>" + after.encode("utf-8"))
        self._rows_path.unlink(missing_ok=True)

    def abort(self) -> None:
        if not self._rows.closed:
            self._rows.close()
        self._rows_path.unlink(missing_ok=True)
        super().abort()

