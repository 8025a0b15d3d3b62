"""Read a partner file as ``check`` would and describe every column by its values: the
evidence `salesfmt init` places fields with (value signatures, number and date styles).

All signatures are polars expressions over whole columns (one query per file)."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import polars as pl

from salesfmt.checks.countries import country_names
from salesfmt.readers import ReadOptions, Source, open_source
from salesfmt.readers._encoding import EncodingRetry
from salesfmt.readers._source import ROW, HeaderScorer

__all__ = ["ColumnProfile", "FileProfile", "profile_file", "iso_currencies", "PROFILE_ROWS",
           "DATE_FORMATS"]

#: Rows read to profile a file (a draft needs a sample, not a million lines).
PROFILE_ROWS = 100_000
#: Distinct values kept per column (value maps are for enumerated columns).
_DISTINCT = 40

_SIGN = r"[€$£¥]|\b(?:EUR|GBP|USD|CHF)\b"
_NUMBER = r"^\(?[+-]?(?:\d{1,3}(?:[.,' ]\d{3})+|\d+)(?:[.,]\d+)?-?\)?$"
_DATE = r"^(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-](?:\d{4}|\d{2}))"
_TIME = r"[ T]\d{1,2}:\d{2}"
_PATTERNS = {
    "email": r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
    "uuid": r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$",
    "integer": r"^[+-]?\d+$",
}


def _strftime_formats() -> list[str]:
    out = ["%Y-%m-%d"]
    for sep in "-/.":
        out += [f"%d{sep}%m{sep}%Y", f"%m{sep}%d{sep}%Y", f"%d{sep}%m{sep}%y",
                f"%m{sep}%d{sep}%y"]
    return out


#: Date formats `init` recognises (with the time suffixes below); ISO first.
DATE_FORMATS = [d + t for d in _strftime_formats()
                for t in ("", " %H:%M", " %H:%M:%S", "T%H:%M:%S")]


@cache
def iso_currencies() -> frozenset[str]:
    """ISO 4217 codes (babel's list)."""
    from babel.numbers import list_currencies

    return frozenset(list_currencies())


@dataclass
class ColumnProfile:
    """What one column's values look like."""

    header: str  # the reader's (unique) column name
    original: str  # the header as written in the file
    letter: str
    filled: int = 0
    counts: dict[str, int] = field(default_factory=dict)  # signature → cells showing it
    distinct: list[tuple[str, int]] = field(default_factory=list)  # when few: value, count
    n_distinct: int = 0
    date_formats: dict[str, int] = field(default_factory=dict)  # format → cells it reads
    comma_decimals: int = 0  # text cells with a decimal comma (1,50) / point (1.50)
    point_decimals: int = 0
    space_thousands: int = 0
    samples: list[str] = field(default_factory=list)

    def share(self, *kinds: str) -> float:
        """Share of the filled cells showing any of ``kinds`` (0 when empty)."""
        if not self.filled:
            return 0.0
        return max((self.counts.get(k, 0) for k in kinds), default=0) / self.filled


@dataclass
class FileProfile:
    """The file as the readers saw it, and its columns."""

    path: Path
    format: str
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    sheets: list[str]
    header_row: int
    rows: int
    columns: list[ColumnProfile]
    data: pl.DataFrame  # the profiled rows (text), ``__row`` first
    footer_rows: dict[int, int] = field(default_factory=dict)  # row → filled cells


def _read(path: Path, options: ReadOptions, scorer: HeaderScorer | None
          ) -> tuple[Source, pl.DataFrame]:
    try:
        source = open_source(path, options, scorer)
    except EncodingRetry as exc:
        options.encoding = exc.encoding
        source = open_source(path, options, scorer)
    with source:
        parts, n = [], 0
        try:
            for batch in source.batches():
                parts.append(batch)
                n += batch.height
                if n >= PROFILE_ROWS:
                    break
        except EncodingRetry as exc:
            options.encoding = exc.encoding
            return _read(path, options, scorer)
    frame = pl.concat(parts) if parts else pl.DataFrame(
        {ROW: [], **{h: [] for h in source.headers}},
        schema={ROW: pl.Int64, **dict.fromkeys(source.headers, pl.String)})
    return source, frame.head(PROFILE_ROWS)


def _gtin_valid(cell: pl.Expr) -> pl.Expr:
    """8/12/13/14-digit codes whose GS1 check digit is right: integer arithmetic on the
    code (digit k from the right weighs 3 when k is odd), no per-character slicing."""
    code = pl.when(cell.str.contains(r"^(?:\d{8}|\d{12,14})$")).then(
        cell.cast(pl.Int64, strict=False))
    total = pl.sum_horizontal([(code // 10**k % 10) * (3 if k % 2 else 1)
                               for k in range(1, 14)])
    return (total + code % 10) % 10 == 0


def _prepared(name: str, i: int) -> list[pl.Expr]:
    """The cell (stripped, empty → null), without currency signs, and in lower case:
    computed once per column, read by every signature."""
    cell = pl.col(name).str.strip_chars()
    cell = pl.when(cell == "").then(None).otherwise(cell)
    return [cell.alias(f"__c{i}"),
            cell.str.replace_all(_SIGN, "").str.strip_chars().alias(f"__b{i}"),
            cell.str.to_lowercase().alias(f"__l{i}")]


def _signature_exprs(i: int, text_cells: pl.Expr | None) -> list[pl.Expr]:
    cell, bare, lower = pl.col(f"__c{i}"), pl.col(f"__b{i}"), pl.col(f"__l{i}")
    sign = cell.str.contains(_SIGN)
    number = bare.str.contains(_NUMBER)
    names = sorted(country_names())
    date = cell.str.contains(_DATE)
    country = lower.is_in(names)
    out = [cell.is_not_null().sum().alias(f"filled{i}"),
           cell.n_unique().alias(f"nuniq{i}"),
           (number & sign).sum().alias(f"money{i}"),
           number.sum().alias(f"number{i}"),
           date.sum().alias(f"date{i}"),
           (date & cell.str.contains(_TIME)).sum().alias(f"datetime{i}"),
           _gtin_valid(cell).sum().alias(f"gtin{i}"),
           cell.str.to_uppercase().is_in(sorted(iso_currencies())).sum()
           .alias(f"currency{i}"),
           country.sum().alias(f"country{i}"),
           ((cell.str.len_chars() > 2) & country).sum().alias(f"countryname{i}")]
    out += [cell.str.contains(p).sum().alias(f"{k}{i}") for k, p in _PATTERNS.items()]
    votes = bare if text_cells is None else pl.when(text_cells).then(bare)
    out += [votes.str.contains(r"\d,\d{1,2}-?\)?$").sum().alias(f"comma{i}"),
            votes.str.contains(r"\d\.\d{1,2}-?\)?$").sum().alias(f"point{i}"),
            votes.str.contains(r"\d \d{3}(?:\D|$)").sum().alias(f"space{i}")]
    return out


def _date_counts(frame: pl.DataFrame, names: list[str]) -> dict[str, dict[str, int]]:
    """Per date-like column, how many cells each known format reads (one query)."""
    if not names:
        return {}
    exprs = []
    for i, name in enumerate(names):
        cell = pl.col(name).str.strip_chars()
        for j, fmt in enumerate(DATE_FORMATS):
            exprs.append(cell.str.strptime(pl.Datetime("us"), fmt, strict=False)
                         .is_not_null().sum().alias(f"{i}:{j}"))
    row = frame.select(exprs).row(0, named=True)
    return {name: {fmt: row[f"{i}:{j}"] for j, fmt in enumerate(DATE_FORMATS)
                   if row[f"{i}:{j}"]} for i, name in enumerate(names)}


def profile_file(path: str | Path, scorer: HeaderScorer | None = None) -> FileProfile:
    """Read ``path`` (format, encoding, delimiter, sheet and header as the readers detect
    them; ``scorer`` picks the sheet and header row) and profile its columns."""
    path = Path(path)
    options = ReadOptions()
    source, frame = _read(path, options, scorer)
    names = list(source.headers)
    text_cells: dict[str, pl.Series] = {}
    if source.format != "csv" and frame.height:
        # number cells of a workbook are written with the reader's decimal separator: read
        # again with another one; cells that change are numbers, the rest typed text
        again = ReadOptions(sheet=source.sheet, header_row=source.header_row,
                            decimal_separator=",")
        _, other = _read(path, again, None)
        if other.columns == frame.columns and other.height == frame.height:
            text_cells = {n: (frame[n] == other[n]).fill_null(True) for n in names}
    data = frame.with_columns(pl.Series(f"__text{i}", text_cells[n])
                              for i, n in enumerate(names) if n in text_cells)
    exprs = [e for i, n in enumerate(names)
             for e in _signature_exprs(i, pl.col(f"__text{i}") if n in text_cells else None)]
    prepared = [e for i, n in enumerate(names) for e in _prepared(n, i)]
    flags = (data.lazy().with_columns(prepared).select(exprs).collect().row(0, named=True)
             if names and data.height else {})
    columns = []
    for i, (name, original, letter) in enumerate(zip(names, source.original_headers,
                                                     source.column_letters, strict=True)):
        col = ColumnProfile(name, original or name, letter)
        if flags:
            col.filled = flags[f"filled{i}"]
            col.n_distinct = flags[f"nuniq{i}"] - (1 if col.filled < frame.height else 0)
            col.counts = {k: flags[f"{k}{i}"] for k in
                          ("money", "number", "date", "datetime", "gtin", "currency",
                           "country", "countryname", *_PATTERNS)}
            col.comma_decimals, col.point_decimals = flags[f"comma{i}"], flags[f"point{i}"]
            col.space_thousands = flags[f"space{i}"]
        columns.append(col)
    _add_values(frame, columns)
    dated = [c.header for c in columns if c.filled and c.counts.get("date", 0)]
    for name, found in _date_counts(frame, dated).items():
        next(c for c in columns if c.header == name).date_formats = found
    filled = frame.select(pl.col(ROW), pl.sum_horizontal(
        [(pl.col(n).str.strip_chars().fill_null("") != "").cast(pl.Int32) for n in names])
        .alias("n")) if names else pl.DataFrame({ROW: [], "n": []})
    footer_rows = dict(filled.filter(pl.col("n") <= 0.6 * len(names)).iter_rows())
    return FileProfile(path, source.format, source.encoding, source.delimiter, source.sheet,
                       list(source.sheets), source.header_row, frame.height, columns, frame,
                       footer_rows)


def _add_values(frame: pl.DataFrame, columns: list[ColumnProfile]) -> None:
    """Distinct values with counts for columns with few of them; samples for all."""
    few = [c.header for c in columns if 0 < c.n_distinct <= _DISTINCT]
    if few:
        counts = (frame.select(few).unpivot(variable_name="column", value_name="value")
                  .with_columns(pl.col("value").str.strip_chars())
                  .filter(pl.col("value").fill_null("") != "")
                  .group_by("column", "value").len()
                  .sort(["column", "len", "value"], descending=[False, True, False]))
        for c in columns:
            if c.header in few:
                part = counts.filter(pl.col("column") == c.header)
                c.distinct = list(zip(part["value"].to_list(), part["len"].to_list(),
                                      strict=True))
    for c in columns:
        if c.filled:
            vals = frame[c.header].str.strip_chars().drop_nulls()
            c.samples = vals.filter(vals != "").unique(maintain_order=True).head(3).to_list()
