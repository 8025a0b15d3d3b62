"""Workbook cells as the text a person sees, fixed up column by column in polars.

calamine (through fastexcel) renders every cell as text, but: datetimes come as
``YYYY-MM-DD HH:MM:SS`` whatever their format (times as 1899-12-31, durations as January
1900), and floats are rounded to 9 decimals (1e-10 → "0", 41800000.01 →
"41800000.009999998"). These expressions turn that into what Excel shows: dates without a
midnight time, ``HH:MM:SS`` times, ``[h]:mm:ss`` durations, and numbers to 15 significant
digits (Excel's precision) taken from the cell's real float value.
"""

from __future__ import annotations

from datetime import date, time

import polars as pl

__all__ = ["DATETIME_RE", "LOSSY_NUMBER_RE", "excel_datetime_text", "excel_number_text",
           "fastexcel_float_text"]

#: How fastexcel renders a datetime cell as text.
DATETIME_RE = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d+)?$"
#: Float renderings that may have lost precision (9 decimals, or more than 15 digits).
LOSSY_NUMBER_RE = r"^-?\d+\.\d{9}$|^-?[\d.]{17,}$"
#: Serials below this many days are times or durations, never calendar dates of a sale.
_DURATION_DAYS = 60
#: 1904-system serials read as 1900-system are 1462 days early.
_EPOCH_GAP_DAYS = 1462


def excel_datetime_text(cell: pl.Expr, *, shift_1904: bool = False) -> pl.Expr:
    """Datetime texts as shown: date, date+time, time of day, or ``[h]:mm:ss`` duration.

    Serials under 60 days from either epoch (1899-12-31 or 1904-01-01) are times and
    durations, never dates of a sale. ``shift_1904`` corrects cells calamine decoded with
    the 1900 epoch in a 1904 workbook.
    """
    ts = cell.str.strptime(pl.Datetime("ms"), "%Y-%m-%d %H:%M:%S%.f", strict=False)
    if shift_1904:
        ts = ts + pl.duration(days=_EPOCH_GAP_DAYS)
    day = ts.dt.date()
    d1900 = (day - pl.lit(date(1899, 12, 31))).dt.total_days()
    d1904 = (day - pl.lit(date(1904, 1, 1))).dt.total_days()
    days = pl.when(d1900.is_between(0, _DURATION_DAYS, closed="left")).then(d1900) \
        .when(d1904.is_between(0, _DURATION_DAYS, closed="left")).then(d1904)
    shown = (
        pl.when(days == 0).then(ts.dt.strftime("%H:%M:%S"))
        .when(days > 0)
        .then(pl.concat_str([(days * 24 + ts.dt.hour()).cast(pl.String),
                             ts.dt.strftime(":%M:%S")]))
        .when(ts.dt.time() == pl.lit(time(0))).then(ts.dt.strftime("%Y-%m-%d"))
        .otherwise(ts.dt.strftime("%Y-%m-%d %H:%M:%S"))
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
    """Float ``x`` to 15 significant digits, integers without a decimal point."""
    r = x.round_sig_figs(15)
    small = r.abs() < 1e15
    return pl.when(small & (r == r.round())).then(_integral_text(r)).otherwise(r.cast(pl.String))
