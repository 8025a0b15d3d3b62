"""Dates and times as the partner meant them: the file's day/month order, why a cell is
not a date, and the local date of an instant (SPEC §5: a time is an instant).

Canonical date-times are naive UTC instants: an offset in a cell is honoured, a naive time
is local time in the rule's ``parse.timezone`` (UTC when the rule names none).
"""

from __future__ import annotations

import ast
import re
from dataclasses import replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import polars as pl

from salesfmt._series import constant, fields, where
from salesfmt.canonical import Kind
from salesfmt.readers import Source
from salesfmt.rules.parsers import OFFSET, ParseOptions, parse

__all__ = ["timezone_problem", "expected_formats", "settle_orders", "why_not", "local_date",
           "expr_columns", "wall_clock", "ambiguous_date", "why_params", "WHY_CODES", "NOT_A_DATE", "NONEXISTENT", "AMBIGUOUS"]

#: Reasons ``why_not`` gives for a date cell that did not parse (they are check codes).
NOT_A_DATE, NONEXISTENT, AMBIGUOUS = "not_a_date", "nonexistent_time", "ambiguous_time"
WHY_CODES = (NOT_A_DATE, NONEXISTENT, AMBIGUOUS)

_HUMAN = {"%d": "dd", "%e": "d", "%m": "mm", "%Y": "yyyy", "%y": "yy", "%H": "HH",
          "%I": "hh", "%M": "MM", "%S": "SS", "%.f": ".fff", "%f": "ffffff", "%p": "AM/PM",
          "%z": "+hh:mm", "%:z": "+hh:mm", "%#z": "+hh:mm", "%b": "Mon", "%B": "Month",
          "%T": "HH:MM:SS", "%R": "HH:MM", "%j": "ddd", "%F": "yyyy-mm-dd"}
_ORDER_TEXT = {"dmy": "dd-mm-yyyy", "mdy": "mm-dd-yyyy", "ymd": "yyyy-mm-dd"}
# Day and month first, as the generated formats read them ("03/04/2026", "3.4.26 10:00").
_DAY_MONTH = r"^\s*(?P<a>\d{1,2})[-/.](?P<b>\d{1,2})[-/.]\d{2}(?:\d{2})?(?:[ T].*)?\s*$"


def timezone_problem(name: object) -> str | None:
    """Why ``name`` is not an IANA time zone (one line), or None when it is one."""
    if not isinstance(name, str) or not name.strip():
        return "timezone must be an IANA zone name such as Europe/Amsterdam"
    try:
        ZoneInfo(name)
        pl.select(pl.lit(0).cast(pl.Datetime("us")).dt.replace_time_zone(name))
    except (ZoneInfoNotFoundError, ValueError, pl.exceptions.PolarsError):
        return f"unknown time zone {name!r}: use an IANA name such as Europe/Amsterdam"
    return None


def _human(fmt: str) -> str:
    return re.sub(r"%[.:#]?[A-Za-z]", lambda m: _HUMAN.get(m.group(0), m.group(0)), fmt)


def expected_formats(opts: ParseOptions) -> str:
    """The formats a date cell may have, as a partner reads them ("dd-mm-yyyy HH:MM")."""
    if opts.date_formats:
        shown = list(dict.fromkeys(_human(f) for f in opts.date_formats))
    elif opts.date_order:
        shown = [_ORDER_TEXT[opts.date_order], *(["yyyy-mm-dd"] if opts.date_order != "ymd"
                                                 else [])]
    else:
        shown = ["yyyy-mm-dd", "dd-mm-yyyy", "mm-dd-yyyy"]
    return " or ".join(shown) if len(shown) < 3 else ", ".join(shown[:-1]) + " or " + shown[-1]


def why_params(opts: ParseOptions, shown: str) -> dict[str, str]:
    """What the date checks' messages say: the partner's column(s), formats and zone."""
    return {"expected": expected_formats(opts), "columns": shown,
            "zone": opts.timezone or "UTC"}


def ambiguous_date(raw: pl.Expr, opts: ParseOptions) -> pl.Expr | None:
    """True where day-first and month-first readings give different dates (03/04/2026).

    None when the rule or the file fixes the order (``date_formats`` or ``date_order``).
    Two numbers up to 12 that differ are valid both ways: one regex, no date parsing.
    """
    if opts.date_formats or opts.date_order:
        return None
    parts = raw.str.extract_groups(_DAY_MONTH)
    a = parts.struct.field("a").cast(pl.Int32, strict=False)
    b = parts.struct.field("b").cast(pl.Int32, strict=False)
    return ((a <= 12) & (b <= 12) & (a != b)).fill_null(False)


def _evidence(column: pl.Series) -> str | None:
    """The order the first unambiguous day/month cell of ``column`` shows (a day > 12
    first: dmy; second: mdy), "" when it has day/month cells but none settles it, None
    when it has none at all (ISO 8601, serials)."""
    parts = column.str.extract_groups(_DAY_MONTH)
    a, b = (p.cast(pl.Int32, strict=False) for p in fields(parts)[:2])
    shows = (a > 12) | (b > 12)
    if not shows.any():
        return "" if a.null_count() < len(a) else None
    first = int(where(shows)[0])
    return "dmy" if a[first] > 12 else "mdy"


def settle_orders(source: Source, columns: dict[str, str]) -> dict[str, str]:
    """Day/month order of each field's column (field → header), settled by the first
    unambiguous date of the column anywhere in the file.

    A first pass over the file's batches, stopping as soon as every column is settled, or
    holds no day/month date at all in the first batch (ISO 8601 dates: not searched
    further). The reader's problems found on the way are put back as they were (the
    real pass reports them). Columns left unsettled are left out."""
    found: dict[str, str] = {}
    todo = dict(columns)
    if not todo:  # every date field has its formats or order: no batch is read
        return found
    kept = source.problems
    try:
        for i, batch in enumerate(source.batches()):
            for name, header in list(todo.items()):
                order = _evidence(batch[header])
                if order or (order is None and i == 0):
                    del todo[name]
                if order:
                    found[name] = order
            if not todo:
                break
    finally:
        source.problems = kept
    return found


def why_not(value: pl.Expr, text: pl.Expr, kind: Kind, opts: ParseOptions,
            naive: set[str] | None = None, name: str = "") -> pl.Expr:
    """Why a date cell holding text has no value: ``nonexistent_time`` or
    ``ambiguous_time`` (a local time the clocks skip or repeat in the rule's zone),
    else ``not_a_date``; null where the value is there or the cell is blank. Only the
    cells left without a value are looked at, once per batch.

    With a ``naive`` set, ``name`` is added to it once a cell with a value shows no UTC
    offset (read as UTC: the run warns once); batches after that skip the look."""

    def reasons(both: pl.Series) -> pl.Series:
        got, cell = fields(both)
        if naive is not None and name not in naive:
            _look_for_naive(cell.filter(got.is_not_null()), naive, name)
        out = constant(None, len(both), pl.String)
        todo = got.is_null() & cell.is_not_null()
        if not todo.any():
            return out
        at = where(todo)
        sub = cell.gather(at)
        filled = sub.str.strip_chars().str.len_bytes() > 0
        at, sub = at.filter(filled), sub.filter(filled)
        if not len(sub):
            return out
        why = pl.Series([NOT_A_DATE] * len(sub), dtype=pl.String)
        if kind is Kind.DATETIME and opts.timezone:
            wall = _parse_series(sub, replace(opts, timezone=None))
            local = wall.to_frame("w").select(pl.col("w").dt.replace_time_zone(
                opts.timezone, ambiguous="earliest", non_existent="null")).to_series()
            why = why.scatter(where(wall.is_not_null() & local.is_null()), NONEXISTENT)
            why = why.scatter(where(wall.is_not_null() & local.is_not_null()), AMBIGUOUS)
        return out.scatter(at, why)

    return pl.struct(value.alias("v"), text.alias("t")).map_batches(
        reasons, return_dtype=pl.String, is_elementwise=False)


def _look_for_naive(read: pl.Series, naive: set[str], name: str) -> None:
    """Add ``name`` to ``naive`` when a cell of ``read`` has no UTC offset: the first
    cells first (where offsets are missing, the first cell usually shows it)."""
    for part in (read.head(16), read):
        if len(part) and not part.str.strip_chars().str.contains(OFFSET).all():
            naive.add(name)
            return


def _parse_series(s: pl.Series, opts: ParseOptions) -> pl.Series:
    return s.to_frame("t").select(parse(Kind.DATETIME, pl.col("t"), opts)).to_series()


def local_date(expr: pl.Expr, zone: str | None) -> pl.Expr:
    """The calendar day of a naive UTC instant in ``zone`` (UTC when None)."""
    if zone is None or zone in ("UTC", "Etc/UTC"):
        return expr.dt.date()
    return expr.dt.replace_time_zone("UTC").dt.convert_time_zone(zone).dt.date()


def wall_clock(expr: pl.Expr, zone: str | None) -> pl.Expr:
    """A naive UTC instant as the naive local time in ``zone`` (UTC when None)."""
    if zone is None or zone in ("UTC", "Etc/UTC"):
        return expr
    return expr.dt.replace_time_zone("UTC").dt.convert_time_zone(zone).dt.replace_time_zone(None)


def expr_columns(text: str) -> list[str]:
    """The partner headers an expression reads with ``column('...')``, in order."""
    tree = ast.parse(text.strip(), mode="eval")
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)
             and isinstance(n.func, ast.Name) and n.func.id == "column"
             and n.args and isinstance(n.args[0], ast.Constant)]
    return [str(n.args[0].value) for n in sorted(calls, key=lambda n: n.col_offset)]
