"""Workbook cells as the text a person sees, fixed up column by column in polars.

calamine (through fastexcel) renders every cell as text, but: datetimes come as
``YYYY-MM-DD HH:MM:SS`` whatever their format (times as 1899-12-31, durations as January
1900), and floats are rounded to 9 decimals (1e-10 → "0", 41800000.01 →
"41800000.009999998"). These expressions turn that into what Excel shows: dates without a
midnight time, ``HH:MM:SS`` times, ``[h]:mm:ss`` durations, and numbers to 15 significant
digits (Excel's precision) taken from the cell's real float value.
"""

from __future__ import annotations

import polars as pl

__all__ = ["DATETIME_RE", "LOSSY_NUMBER_RE", "excel_datetime_text", "excel_number_text",
           "fastexcel_float_text", "duration_text"]

#: How fastexcel renders a datetime cell as text.
DATETIME_RE = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?$"
#: Float renderings that may have lost precision (9 decimals, or more than 15 digits).
LOSSY_NUMBER_RE = r"^-?\d+\.\d{9}$|^-?[\d.]{17,}$"
#: Serials below this many days are times or durations, never calendar dates of a sale.
_DURATION_DAYS = 60
#: 1904-system serials read as 1900-system are 1462 days early.
_EPOCH_GAP_DAYS = 1462
#: Floats hold every whole number below 2**53 exactly.
_EXACT = 2.0**53


def excel_datetime_text(cell: pl.Expr, *, shift_1904: bool = False) -> pl.Expr:
    """Datetime texts as shown: date, date+time, time of day, or ``[h]:mm:ss`` duration.

    Serials under 60 days from either epoch (1899-12-31 or 1904-01-01) are times and
    durations, never dates of a sale. Plain string slicing, no parsing, on the common path.
    ``shift_1904`` corrects cells calamine decoded with the 1900 epoch in a 1904 workbook.
    """
    text = cell
    if shift_1904:
        ts = cell.str.strptime(pl.Datetime("ms"), "%Y-%m-%d %H:%M:%S%.f", strict=False)
        text = (ts + pl.duration(days=_EPOCH_GAP_DAYS)).dt.strftime("%Y-%m-%d %H:%M:%S")
    year, month = text.str.slice(0, 4), text.str.slice(5, 2).cast(pl.Int32, strict=False)
    day = text.str.slice(8, 2).cast(pl.Int32, strict=False)
    feb = pl.when(month == 2).then(31).otherwise(0)
    early = month.is_in([1, 2])
    days = (
        pl.when((year == "1899") & (month == 12) & (day == 31)).then(0)
        .when((year == "1900") & early).then(day + feb)
        .when((year == "1904") & early).then(day - 1 + feb)
    )
    clock = text.str.slice(11)                       # HH:MM:SS[.fff]
    hours = days * 24 + text.str.slice(11, 2).cast(pl.Int32, strict=False)
    shown = (
        pl.when(days == 0).then(clock)
        .when(days < _DURATION_DAYS)
        .then(pl.concat_str([hours.cast(pl.String), text.str.slice(13)]))
        .when(text.str.ends_with(" 00:00:00")).then(text.str.slice(0, 10))
        .otherwise(text)
    )
    return pl.when(cell.str.contains(DATETIME_RE)).then(shown).otherwise(cell)


def _integral_text(x: pl.Expr) -> pl.Expr:
    return x.cast(pl.Int64, strict=False).cast(pl.String)


def fastexcel_float_text(x: pl.Expr) -> pl.Expr:
    """The text fastexcel makes of float ``x`` (integer part, then the fraction rounded to 9
    digits), used to recognise numeric cells in a column that also holds text."""
    whole = x.abs().floor()
    frac = ((x.abs() - whole) * 1e9).round().cast(pl.Int64, strict=False)
    sign = pl.when(x < 0).then(pl.lit("-")).otherwise(pl.lit(""))
    digits = frac.cast(pl.String).str.zfill(9).str.strip_chars_end("0")
    head = pl.concat_str([sign, whole.cast(pl.Int64, strict=False).cast(pl.String)])
    return pl.when(frac == 0).then(head).otherwise(pl.concat_str([head, pl.lit("."), digits]))


def excel_number_text(x: pl.Expr) -> pl.Expr:
    """Float ``x`` as Excel shows it: whole numbers exactly (up to 2**53, no ``.0``), others
    to 15 significant digits."""
    exact = (x == x.round()) & (x.abs() < _EXACT)
    r = x.round_sig_figs(15)
    return (pl.when(exact).then(_integral_text(x))
            .when((r == r.round()) & (r.abs() < _EXACT)).then(_integral_text(r))
            .otherwise(r.cast(pl.String)))


def duration_text(d: pl.Expr) -> pl.Expr:
    """A duration as ``[h]:mm:ss`` (with ``.fff`` when it has milliseconds)."""
    ms = d.dt.total_milliseconds()
    secs = ms // 1000
    frac = ms % 1000
    two = [(secs // 60 % 60), (secs % 60)]
    parts = [(secs // 3600).cast(pl.String)] + [
        pl.lit(":") + p.cast(pl.String).str.zfill(2) for p in two]
    text = pl.concat_str(parts)
    return pl.when(frac == 0).then(text).otherwise(
        pl.concat_str([text, pl.lit("."), frac.cast(pl.String).str.zfill(3)]))
