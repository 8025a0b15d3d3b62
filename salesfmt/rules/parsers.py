"""Value parsers: one per canonical kind, each a polars expression over a String column.

A parser returns the typed value or null; "raw present but parsed null" is a parse failure,
reported by the target in the server's own wording. Money stays decimal from text to output.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

import polars as pl

from salesfmt._series import nulled, where
from salesfmt.canonical import DECIMAL_SCALE, Kind
from salesfmt.rules.cascade import Step, cascade, on, per_value

__all__ = ["ParseOptions", "parse", "localize", "PARSERS", "ISO_DATE_FORMATS",
           "ISO_DATETIME_FORMATS", "TRUE_VALUES", "FALSE_VALUES"]

ISO_DATE_FORMATS = ["%Y-%m-%d"]
ISO_DATETIME_FORMATS = [
    "%Y-%m-%dT%H:%M:%S%.f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%d %H:%M:%S%.f",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
]

TRUE_VALUES = ["true", "t", "yes", "y", "1", "ja", "j", "oui", "si", "x", "waar", "on", "✓"]
FALSE_VALUES = ["false", "f", "no", "n", "0", "nee", "non", "onwaar", "off"]

# Currency symbols anywhere, ISO codes at either end: "€ 12,50", "12.50 EUR", "$-3".
_CURRENCY = r"^[A-Z]{3}\s*|\s*[A-Z]{3}$|[€$£¥₹₽₩¤]"
_GROUP = "\\s\u00a0\u202f'"  # spaces, no-break spaces and apostrophes group thousands too
# Stripped from both ends of every cell: whitespace, no-break spaces, zero-width and BOM.
_BLANKS = " \t\r\n\v\f\u00a0\u2007\u202f\u3000\u200b\u200c\u200d\u2060\ufeff"
# Characters that NFC can change: combining marks, Hangul jamo, canonical singletons.
_NOT_NFC = r"[\p{M}\u1100-\u11ff\u212a\u212b\u2126\u0340\u0341\u0343\u0374\u037e\u0387\uf900-\ufaff]"
_EDGE_CURRENCY = "€$£¥₹₽₩¤" + _BLANKS  # signs at either end: strip, then cast
# A UTC offset after a time of day ("10:15:00+02:00", "10:15Z", "10:15 +0100"): honoured.
OFFSET = r"^(?P<body>.*\d:\d{2}(?::\d{2}(?:[.,]\d+)?)?)\s*(?P<off>Z|[+-]\d{2}(?::?\d{2})?)$"
# Five-digit numbers are spreadsheet serial dates (1927..2173), with an optional time fraction.
_SERIAL = r"^\d{5}(\.\d+)?$"
_EPOCH = {1900: datetime(1899, 12, 30), 1904: datetime(1904, 1, 1)}
_ORDERS = {"dmy": ("%d", "%m", "%Y"), "mdy": ("%m", "%d", "%Y"), "ymd": ("%Y", "%m", "%d")}
_TIMES = ("", " %H:%M", " %H:%M:%S")


@dataclass(frozen=True)
class ParseOptions:
    """How values of one field are written in the partner's file."""

    decimal_separator: str = "."
    thousands_separator: str | None = None
    date_formats: tuple[str, ...] = ()
    date_order: str | None = None
    date_system: int = 1900
    #: IANA zone of the partner's naive times (None: read as UTC); see rules.instants.
    timezone: str | None = None
    true_values: tuple[str, ...] = field(default_factory=lambda: tuple(TRUE_VALUES))
    false_values: tuple[str, ...] = field(default_factory=lambda: tuple(FALSE_VALUES))


_DECIMAL = pl.Decimal(38, DECIMAL_SCALE)


def _clean(raw: pl.Expr) -> pl.Expr:
    return raw.str.strip_chars(_BLANKS)


def _tidy(s: pl.Series) -> pl.Series:
    """Finish text cells after ``str.strip_chars()``: blank cells become null; non-ASCII
    cells (few, if any) lose the zero-width and other blanks it leaves and are
    NFC-normalised where needed (combining marks, jamo, singletons). One call per batch."""
    size = s.str.len_bytes()
    wide = size != s.str.len_chars()
    if wide.any():
        idx = where(wide)
        s = s.scatter(idx, per_value(s.gather(idx), _tidy_wide))
        size = s.str.len_bytes()
    return nulled(s, size == 0)


def _tidy_wide(s: pl.Series) -> pl.Series:
    """Non-ASCII cells: every blank stripped, NFC where a character may change."""
    s = s.str.strip_chars(_BLANKS)
    odd = s.str.contains(_NOT_NFC)
    if odd.any():
        at = where(odd)
        s = s.scatter(at, s.gather(at).str.normalize("NFC"))
    return s


def _text(raw: pl.Expr, opts: ParseOptions) -> pl.Expr:
    # Unicode whitespace natively (fast, parallel); _tidy does the rest of _BLANKS.
    # One UDF holds it all: polars does not share a Python UDF's result between uses.
    return raw.str.strip_chars().map_batches(_tidy, return_dtype=pl.String,
                                             is_elementwise=False)


def _decimal_text(s: pl.Series, opts: ParseOptions) -> pl.Series:
    """Locale-formatted amounts as ``-1234.56`` text; null where not a number.

    Accepts currency symbols/codes, ``-12``, ``(12.00)``, ``12-``; thousands separators
    only in groups of three, so ``12,50`` in a ``.``-decimal file is refused, not 1250.
    One query over the cells the fast path left: each step a column, computed once.
    """
    dec = opts.decimal_separator
    thousands = opts.thousands_separator
    if thousands is None:
        thousands = "," if dec == "." else "."
    group = f"[{re.escape(thousands)}{_GROUP}]"
    body = rf"^(\d{{1,3}}({group}\d{{3}})+|\d+)({re.escape(dec)}\d*)?([eE][+-]?\d+)?$" \
        rf"|^{re.escape(dec)}\d+$"
    v = pl.col("v")
    sign = [pl.col(n).fill_null(False).cast(pl.Int8) for n in ("paren", "trailing", "leading")]
    return (s.to_frame("v").lazy()
            .with_columns(v.str.strip_chars(_BLANKS).str.replace_all("\u2212", "-", literal=True)
                          .str.replace_all(_CURRENCY, "").str.strip_chars())
            .with_columns((v.str.starts_with("(") & v.str.ends_with(")")).alias("paren"))
            .with_columns(pl.when(pl.col("paren")).then(v.str.slice(1, v.str.len_chars() - 2))
                          .otherwise(v).str.strip_chars())
            .with_columns(v.str.contains(r"^[^-+].*-$").alias("trailing"))
            .with_columns(pl.when(pl.col("trailing")).then(v.str.strip_suffix("-"))
                          .otherwise(v).str.strip_chars())
            .with_columns(v.str.starts_with("-").alias("leading"))
            .with_columns(v.str.replace(r"^[-+]\s*", ""), sum(sign).alias("signs"))
            .with_columns(pl.when(v.str.contains(body) & (pl.col("signs") <= 1))
                          .then(v.str.replace_all(group, "")
                                .str.replace(dec, ".", literal=True)))
            .select(pl.when(pl.col("signs") == 1).then(pl.lit("-") + v).otherwise(v))
            .collect(engine="in-memory").to_series().alias(s.name))


def _to_decimal(text: pl.Expr) -> pl.Expr:
    # the cast rounds extra places half-to-even, as Decimal.quantize does by default
    return text.cast(_DECIMAL, strict=False)


def _plain_decimal(v: pl.Expr, opts: ParseOptions) -> pl.Expr:
    """Plain numbers ("12.5", "-3"; "12,5" for a decimal comma), also with a currency
    sign or blanks at either end ("€ 12,50"): one strip and one cast."""
    v = v.str.strip_chars(_EDGE_CURRENCY)
    if opts.decimal_separator == ".":
        return _to_decimal(v)
    # one pass: the separator becomes ".", and a "." (a thousands group: "1.234") becomes
    # a letter the cast refuses, so such cells go to the full parse
    return _to_decimal(v.str.replace_many([opts.decimal_separator, "."], [".", "x"]))


def _decimal(raw: pl.Expr, opts: ParseOptions) -> pl.Expr:
    full: Step = lambda s: on(_decimal_text(s, opts), _to_decimal)  # noqa: E731
    return cascade(raw, lambda v: _plain_decimal(v, opts), [full], _DECIMAL, by_value=True)


def _integer(raw: pl.Expr, opts: ParseOptions) -> pl.Expr:
    def whole(s: pl.Series) -> pl.Series:
        d = on(_decimal_text(s, opts), _to_decimal)
        return on(d, lambda v: pl.when(v.round(0) == v).then(v.cast(pl.Int64, strict=False)))

    return cascade(raw, lambda v: v.cast(pl.Int64, strict=False), [whole], pl.Int64)


def _has_time(fmt: str) -> bool:
    return any(t in fmt for t in ("%H", "%M", "%S", "%T", "%R", "%I"))


def _order_formats(order: str) -> list[str]:
    a, b, c = _ORDERS[order]
    years = ("%Y", "%y") if order != "ymd" else ("%Y",)
    out = []
    for y in years:
        parts = [p if p != "%Y" else y for p in (a, b, c)]
        out += [f"{parts[0]}-{parts[1]}-{parts[2]}{t}" for t in _TIMES]
    return out


def _formats(opts: ParseOptions) -> list[str]:
    """Formats tried in order: the rule's own, else its date order, else both orders."""
    if opts.date_formats:
        return list(opts.date_formats)
    if opts.date_order:
        return _order_formats(opts.date_order)
    return _order_formats("dmy") + _order_formats("mdy")


_YEAR_1000 = datetime(1000, 1, 1)


def _aware(fmt: str) -> bool:
    """A format that reads a UTC offset (%z, %:z, %#z)."""
    return any(z in fmt for z in ("%z", "%:z", "%#z"))


def _parsed(s: pl.Expr, fmt: str) -> pl.Expr:
    """One format as a naive datetime, whatever the year; a format with an offset gives
    the instant in UTC."""
    if _aware(fmt):
        return s.str.to_datetime(fmt, strict=False, exact=True, time_unit="us",
                                 time_zone="UTC", cache=False).dt.replace_time_zone(None)
    if _has_time(fmt):
        return s.str.to_datetime(fmt, strict=False, exact=True, time_unit="us", cache=False)
    return s.str.to_date(fmt, strict=False, exact=True, cache=False).cast(pl.Datetime("us"))


def _try(s: pl.Expr, fmt: str) -> pl.Expr:
    """One format as a datetime from the year 1000 on."""
    dt = _parsed(s, fmt)
    return pl.when(dt >= _YEAR_1000).then(dt)  # "1-2-26" read with %Y is year 26: refuse


def _from_year_1000(dt: pl.Series) -> pl.Series:
    """``_try``'s year check on a parsed Series (an expression would parse twice)."""
    return nulled(dt, dt < _YEAR_1000)


def localize(dt: pl.Expr, zone: str | None) -> pl.Expr:
    """Naive wall-clock times in ``zone`` as naive UTC instants; null where the time does
    not exist (clocks forward) or happens twice (clocks back) there."""
    if zone is None or zone in ("UTC", "Etc/UTC"):
        return dt
    return (dt.dt.replace_time_zone(zone, ambiguous="null", non_existent="null")
            .dt.convert_time_zone("UTC").dt.replace_time_zone(None))


def _with_offset(c: pl.Expr, read: Callable[[pl.Expr], pl.Expr], zone: str | None
                 ) -> pl.Expr:
    """``read`` over the cell without its UTC offset, then the offset applied (the
    instant in UTC); cells without one are local times in ``zone``."""
    parts = c.str.extract_groups(OFFSET)
    off = parts.struct.field("off")
    dt = read(pl.coalesce(parts.struct.field("body"), c))
    digits = off.str.replace(":", "", literal=True)
    hours = digits.str.slice(1, 2).cast(pl.Int64, strict=False)
    mins = digits.str.slice(3, 2).cast(pl.Int64, strict=False).fill_null(0)
    minutes = pl.when((hours <= 14) & (mins < 60)).then(hours * 60 + mins)  # else no offset
    minutes = pl.when(off == "Z").then(0).when(off.str.starts_with("-")).then(-minutes) \
        .otherwise(minutes)
    return pl.when(off.is_null()).then(localize(dt, zone)) \
        .otherwise(dt - pl.duration(minutes=minutes))


def _serial(s: pl.Expr, opts: ParseOptions) -> pl.Expr:
    days = pl.when(s.str.contains(_SERIAL)).then(s).cast(pl.Float64, strict=False)
    micros = (days * 86_400).round(0).cast(pl.Int64) * 1_000_000
    return localize(pl.lit(_EPOCH[opts.date_system]) + pl.duration(microseconds=micros),
                    opts.timezone)


def _own_step(fmt: str, opts: ParseOptions) -> Step:
    """One of the rule's (or the generated) formats over the cells left: blanks stripped,
    generated formats read / and . as -, an offset honoured, else the rule's zone."""
    zone = opts.timezone
    if _aware(fmt):
        return lambda s: on(s, lambda v: _try(_clean(v), fmt))
    if opts.date_formats:
        return lambda s: on(s, lambda v: _with_offset(_clean(v), lambda b: _try(b, fmt), zone))
    return lambda s: on(s, lambda v: _with_offset(
        _clean(v), lambda b: _try(b.str.replace_all(r"[/.]", "-"), fmt), zone))


def _datetime_steps(opts: ParseOptions) -> list[Step]:
    """The rule's formats first; else ISO 8601 first, then both day/month orders; serials.
    Each step strips blanks (and generated formats read / and . as -) before parsing."""
    own = [_own_step(fmt, opts) for fmt in _formats(opts)]
    iso: Step = lambda s: on(s, lambda v: _with_offset(  # noqa: E731  (exclusive formats)
        _clean(v), lambda b: pl.coalesce(_try(b, f) for f in
                                         [*ISO_DATETIME_FORMATS, *ISO_DATE_FORMATS]),
        opts.timezone))
    serial: Step = lambda s: on(s, lambda v: _serial(_clean(v), opts))  # noqa: E731
    return [*own, iso, serial] if opts.date_formats else [iso, *own, serial]


def _datetime_fast(opts: ParseOptions) -> Callable[[pl.Expr], pl.Expr]:
    """What most cells match as written: the rule's first format, else ISO 8601, read as
    local times in the rule's zone (offsets, rarer, are the slow steps' work)."""
    zone = opts.timezone
    if opts.date_formats:  # the year check follows, in _cascade's keep step
        first = opts.date_formats[0]
        if _aware(first):
            return lambda v: _parsed(v, first)
        return lambda v: localize(_parsed(v, first), zone)
    return lambda v: localize(pl.coalesce(_parsed(v, f) for f in
                                          ("%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S")),
                              zone)


def _datetime(raw: pl.Expr, opts: ParseOptions) -> pl.Expr:
    return cascade(raw, _datetime_fast(opts), _datetime_steps(opts), pl.Datetime("us"),
                    keep=_from_year_1000, by_value=True)


def _midnight_date(dt: pl.Series) -> pl.Series:
    """A date-time at midnight is a date (workbook cells read as text); other times are not."""
    day = dt.cast(pl.Date)
    return nulled(day, day.cast(pl.Datetime("us")) != dt)


def _date(raw: pl.Expr, opts: ParseOptions) -> pl.Expr:
    opts = replace(opts, timezone=None)  # a date is a calendar day, in no zone
    return cascade(raw, _datetime_fast(opts), _datetime_steps(opts), pl.Datetime("us"),
                    finish=_midnight_date, out_dtype=pl.Date, keep=_from_year_1000,
                    by_value=True)


def _boolean(raw: pl.Expr, opts: ParseOptions) -> pl.Expr:
    s = _clean(raw).str.to_lowercase()
    # "true"/"false" always count: value maps, constants and defaults write them
    yes = sorted({v.lower() for v in opts.true_values} | {"true"})
    no = sorted({v.lower() for v in opts.false_values} | {"false"})
    return pl.when(s.is_in(yes)).then(pl.lit(True)).when(s.is_in(no)).then(pl.lit(False))


PARSERS: dict[Kind, Callable[[pl.Expr, ParseOptions], pl.Expr]] = {
    Kind.TEXT: _text,
    Kind.INTEGER: _integer,
    Kind.DECIMAL: _decimal,
    Kind.DATE: _date,
    Kind.DATETIME: _datetime,
    Kind.BOOLEAN: _boolean,
}


def parse(kind: Kind, raw: pl.Expr, opts: ParseOptions | None = None) -> pl.Expr:
    """Parse the String expression ``raw`` into ``kind``; null where it does not parse.

    A constant (a default, a missing column's null) is parsed once, here: the Python steps
    see a batch's whole column in one call, so they do not broadcast a single value."""
    expr = PARSERS[kind](raw, opts or ParseOptions())
    if not raw.meta.root_names():
        parsed = pl.select(expr).to_series()
        return pl.lit(parsed.item(), dtype=parsed.dtype)
    return expr

