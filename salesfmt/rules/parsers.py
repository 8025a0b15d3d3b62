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

# Currency symbols, ISO codes around an amount ("€ 12,50", "12.50 EUR", "$-3") and
# spaces/apostrophes used as thousands separators ("1 234,50", "1'234.50"): removed.
_NOISE = r"^\s*[A-Z]{3}|[A-Z]{3}\s*$|[€$£¥₹₽₩¤\s\u00a0\u202f']"


@dataclass(frozen=True)
class ParseOptions:
    """How values of one field are written in the partner's file."""

    decimal_separator: str = "."
    thousands_separator: str | None = None
    date_formats: tuple[str, ...] = ()
    true_values: tuple[str, ...] = field(default_factory=lambda: tuple(TRUE_VALUES))
    false_values: tuple[str, ...] = field(default_factory=lambda: tuple(FALSE_VALUES))


Step = Callable[[pl.Series], pl.Series]


def _on(series: pl.Series, expr: Callable[[pl.Expr], pl.Expr]) -> pl.Series:
    """Apply an expression builder to a Series (vectorised, no Python per row)."""
    return series.to_frame("v").select(expr(pl.col("v"))).to_series()


def _cascade(raw: pl.Expr, steps: list[Step], dtype: pl.DataType) -> pl.Expr:
    """First step over the whole column; each later step only over rows still unparsed.

    Same result as ``coalesce(step1, step2, …)`` but a clean column costs one cheap pass.
    """

    def run(s: pl.Series) -> pl.Series:
        out = steps[0](s).cast(dtype)
        for step in steps[1:]:
            todo = out.is_null() & s.is_not_null()
            if not todo.any():
                break
            idx = todo.arg_true()
            out = out.scatter(idx, step(s.gather(idx)).cast(dtype))
        return out

    return raw.map_batches(run, return_dtype=dtype, is_elementwise=True)


def _text(raw: pl.Expr, opts: ParseOptions) -> pl.Expr:
    def clean(s: pl.Series) -> pl.Series:
        s = s.str.strip_chars()
        wide = s.str.contains(r"[^\x00-\x7f]").fill_null(False)
        if wide.any():
            idx = wide.arg_true()
            s = s.scatter(idx, s.gather(idx).str.normalize("NFC"))
        return _on(s, lambda v: pl.when(v.str.len_bytes() > 0).then(v))

    return raw.map_batches(clean, return_dtype=pl.String, is_elementwise=True)


def _decimal_text(s: pl.Series, opts: ParseOptions) -> pl.Series:
    """Normalise locale-formatted numbers to ``-1234.56`` text; null where not a number.

    Works step by step on a Series, skipping steps no value needs (vectorised checks).
    """
    thousands = opts.thousands_separator
    if thousands is None:
        thousands = "," if opts.decimal_separator == "." else "."
    s = s.str.replace_all(_NOISE, "")
    # Accounting negatives: (12.00) and trailing minus 12-
    paren, trailing = s.str.starts_with("("), s.str.ends_with("-")
    if bool(paren.any()) or bool(trailing.any()):
        p = paren & s.str.ends_with(")")
        t = trailing & ~s.str.starts_with("-")
        core = (pl.when(p).then(s.str.slice(1, s.str.len_chars() - 2))
                .when(t).then(s.str.strip_suffix("-")).otherwise(s))
        s = pl.select(pl.when(p | t).then(pl.lit("-") + core).otherwise(core)).to_series()
    if thousands and bool(s.str.contains(thousands, literal=True).any()):
        s = s.str.replace_all(thousands, "", literal=True)
    if opts.decimal_separator != ".":
        s = s.str.replace(opts.decimal_separator, ".", literal=True)
    return _on(s, lambda v: pl.when(v.str.contains(_NUMBER)).then(v))


_DECIMAL = pl.Decimal(38, DECIMAL_SCALE)
_WIDE = pl.Decimal(38, 12)


def _to_decimal(text: pl.Expr) -> pl.Expr:
    return text.cast(_WIDE, strict=False).round(DECIMAL_SCALE).cast(_DECIMAL)


def _decimal_steps(opts: ParseOptions) -> list[Step]:
    def fast(s: pl.Series) -> pl.Series:
        # plain numbers ("12.5", "-3"; "12,5" for a decimal comma) need one cast
        if opts.decimal_separator == ".":
            return _on(s, _to_decimal)
        return _on(s, lambda v: pl.when(~v.str.contains(".", literal=True)).then(
            _to_decimal(v.str.replace(opts.decimal_separator, ".", literal=True))))

    def full(s: pl.Series) -> pl.Series:
        return _on(_decimal_text(s, opts), _to_decimal)

    return [fast, full]


_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$"


def _decimal(raw: pl.Expr, opts: ParseOptions) -> pl.Expr:
    return _cascade(raw, _decimal_steps(opts), _DECIMAL)


def _integer(raw: pl.Expr, opts: ParseOptions) -> pl.Expr:
    def whole(s: pl.Series) -> pl.Series:
        d = _on(s, lambda v: _cascade(v, _decimal_steps(opts), _DECIMAL))
        return _on(d, lambda v: pl.when(v.round(0) == v).then(v.cast(pl.Int64, strict=False)))

    def fast(s: pl.Series) -> pl.Series:
        return s.cast(pl.Int64, strict=False)

    return _cascade(raw, [fast, whole], pl.Int64)


def _is_date_only(fmt: str) -> bool:
    return not any(t in fmt for t in ("%H", "%M", "%S", "%T", "%R", "%I"))


def _datetime_step(fmt: str) -> Step:
    def step(s: pl.Series) -> pl.Series:
        v = s.str.strip_chars()
        if _is_date_only(fmt):
            return v.str.to_date(fmt, strict=False, exact=True).cast(pl.Datetime("us"))
        out = v.str.to_datetime(fmt, strict=False, exact=True, time_unit="us")
        return out.dt.replace_time_zone(None) if out.dtype.time_zone else out  # type: ignore[union-attr]

    return step


def _date_step(fmt: str) -> Step:
    def step(s: pl.Series) -> pl.Series:
        v = s.str.strip_chars()
        if _is_date_only(fmt):
            return v.str.to_date(fmt, strict=False, exact=True)
        # a date-time whose time is midnight is a date (workbook cells read as text)
        dt = v.str.to_datetime(fmt, strict=False, exact=True, time_unit="us")
        return _on(dt, lambda x: pl.when(x.dt.time() == pl.time(0)).then(x.dt.date()))

    return step


def _datetime(raw: pl.Expr, opts: ParseOptions) -> pl.Expr:
    formats = [*opts.date_formats, *ISO_DATETIME_FORMATS, *ISO_DATE_FORMATS]
    return _cascade(raw, [_datetime_step(f) for f in formats], pl.Datetime("us"))


def _date(raw: pl.Expr, opts: ParseOptions) -> pl.Expr:
    formats = [*opts.date_formats, *ISO_DATE_FORMATS, *ISO_DATETIME_FORMATS]
    return _cascade(raw, [_date_step(f) for f in formats], pl.Date)


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
