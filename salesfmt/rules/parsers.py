"""Value parsers: one per canonical kind, each a polars expression over a String column.

A parser returns the typed value or null; "raw present but parsed null" is a parse failure,
reported by the target in the server's own wording.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import polars as pl

from salesfmt.canonical import DECIMAL_SCALE, Kind

__all__ = ["ParseOptions", "parse", "PARSERS", "ISO_DATE_FORMATS", "ISO_DATETIME_FORMATS"]

ISO_DATE_FORMATS = ["%Y-%m-%d"]
ISO_DATETIME_FORMATS = [
    "%Y-%m-%dT%H:%M:%S%.fZ",
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
]

TRUE_VALUES = ["true", "t", "yes", "y", "1", "ja", "j", "oui", "si", "x", "waar", "on"]
FALSE_VALUES = ["false", "f", "no", "n", "0", "nee", "non", "onwaar", "off"]

# Currency symbols and ISO codes around an amount: "€ 12,50", "12.50 EUR", "$-3".
_CURRENCY = r"^[A-Z]{3}\s*|\s*[A-Z]{3}$|[€$£¥₹₽₩¤]"
_SPACES = r"[\s\u00a0\u202f']"


@dataclass(frozen=True)
class ParseOptions:
    """How values of one field are written in the partner's file."""

    decimal_separator: str = "."
    thousands_separator: str | None = None
    date_formats: tuple[str, ...] = ()
    true_values: tuple[str, ...] = field(default_factory=lambda: tuple(TRUE_VALUES))
    false_values: tuple[str, ...] = field(default_factory=lambda: tuple(FALSE_VALUES))


def _text(raw: pl.Expr, opts: ParseOptions) -> pl.Expr:
    cleaned = raw.str.strip_chars().str.normalize("NFC")
    return pl.when(cleaned.str.len_chars() > 0).then(cleaned)


def _decimal_string(raw: pl.Expr, opts: ParseOptions) -> pl.Expr:
    """Normalise a locale-formatted number to ``-1234.56`` text (still a string)."""
    thousands = opts.thousands_separator
    if thousands is None:
        thousands = "," if opts.decimal_separator == "." else "."
    s = raw.str.strip_chars().str.replace_all(_CURRENCY, "").str.replace_all(_SPACES, "")
    # Accounting negatives: (12.00) and trailing minus 12-
    negative = s.str.contains(r"^\(.*\)$") | s.str.contains(r"^[^-].*-$")
    s = s.str.replace_all(r"^\((.*)\)$", "$1").str.replace(r"-$", "")
    s = s.str.replace_all(thousands, "", literal=True)
    if opts.decimal_separator != ".":
        s = s.str.replace_all(opts.decimal_separator, ".", literal=True)
    return pl.when(negative).then(pl.lit("-") + s).otherwise(s)


def _decimal(raw: pl.Expr, opts: ParseOptions) -> pl.Expr:
    s = _decimal_string(raw, opts)
    s = pl.when(s.str.contains(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")).then(s)
    return (
        s.cast(pl.Decimal(38, 12), strict=False)
        .round(DECIMAL_SCALE)
        .cast(pl.Decimal(38, DECIMAL_SCALE))
    )


def _integer(raw: pl.Expr, opts: ParseOptions) -> pl.Expr:
    d = _decimal(raw, opts)
    return pl.when(d.round(0) == d).then(d.cast(pl.Int64, strict=False))


def _is_date_only(fmt: str) -> bool:
    return not any(t in fmt for t in ("%H", "%M", "%S", "%T", "%R", "%I"))


def _datetime(raw: pl.Expr, opts: ParseOptions) -> pl.Expr:
    s = raw.str.strip_chars()
    tries = []
    for fmt in [*opts.date_formats, *ISO_DATETIME_FORMATS, *ISO_DATE_FORMATS]:
        if _is_date_only(fmt):
            tries.append(s.str.to_date(fmt, strict=False, exact=True).cast(pl.Datetime("us")))
        else:
            tries.append(s.str.to_datetime(fmt, strict=False, exact=True, time_unit="us",
                                           time_zone=None) if "%z" not in fmt else
                         s.str.to_datetime(fmt, strict=False, exact=True, time_unit="us")
                         .dt.replace_time_zone(None))
    return pl.coalesce(tries)


def _date(raw: pl.Expr, opts: ParseOptions) -> pl.Expr:
    s = raw.str.strip_chars()
    tries = []
    for fmt in [*opts.date_formats, *ISO_DATE_FORMATS, *ISO_DATETIME_FORMATS]:
        if _is_date_only(fmt):
            tries.append(s.str.to_date(fmt, strict=False, exact=True))
        else:
            # a datetime whose time is midnight is a date (workbook cells read as text)
            dt = s.str.to_datetime(fmt, strict=False, exact=True, time_unit="us")
            tries.append(pl.when(dt.dt.time() == pl.time(0)).then(dt.dt.date()))
    return pl.coalesce(tries)


def _boolean(raw: pl.Expr, opts: ParseOptions) -> pl.Expr:
    s = raw.str.strip_chars().str.to_lowercase()
    return (
        pl.when(s.is_in(list(opts.true_values))).then(pl.lit(True))
        .when(s.is_in(list(opts.false_values))).then(pl.lit(False))
    )


PARSERS: dict[Kind, Callable[[pl.Expr, ParseOptions], pl.Expr]] = {
    Kind.TEXT: _text,
    Kind.INTEGER: _integer,
    Kind.DECIMAL: _decimal,
    Kind.DATE: _date,
    Kind.DATETIME: _datetime,
    Kind.BOOLEAN: _boolean,
}


def parse(kind: Kind, raw: pl.Expr, opts: ParseOptions | None = None) -> pl.Expr:
    """Parse the String expression ``raw`` into ``kind``; null where it does not parse."""
    return PARSERS[kind](raw, opts or ParseOptions())
