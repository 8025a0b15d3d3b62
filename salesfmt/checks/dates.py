"""Checks on dates and times as the partner wrote them (SPEC §5: a time is an instant).

The rules compute, per date field, why a cell with text has no value (``rules.instants``);
each reason is one check here, and the field's other checks skip the cell, so one root
cause gives one message, naming the partner's column(s), the value and what to write.
"""

from __future__ import annotations

import polars as pl

from salesfmt.checks import register
from salesfmt.problems import Severity


def _not(flag: str, code: str) -> pl.Expr:
    return pl.col(flag).fill_null("") != code


@register("not_a_date", "{column}: {columns} '{value}' is not a date (expected {expected})",
          bad="Datum = 31-02-2025 (dd-mm-yyyy): there is no 31 February",
          good="Datum = 28-02-2025")
def not_a_date(value: pl.Expr, raw: pl.Expr, flag: str, **_: object) -> pl.Expr:
    """The cell is not a date in the partner's format (the rule's `date_formats`, the
    file's day/month order, ISO 8601) or the date does not exist (31 February). The
    message names the partner's column(s) and the format expected. Reported under the
    target's own code for a bad date where it has one (Thalamus: field.invalid.format)."""
    return _not(flag, "not_a_date")


@register("nonexistent_time",
          "{column}: {columns} '{value}' does not exist in {zone} (the clocks skip that hour)",
          bad="29-03-2026 02:30 in Europe/Amsterdam (clocks go from 02:00 to 03:00)",
          good="29-03-2026 03:30, or 29-03-2026 02:30+01:00 with its UTC offset")
def nonexistent_time(value: pl.Expr, raw: pl.Expr, flag: str, **_: object) -> pl.Expr:
    """A local time in the rule's `parse.timezone` that the clocks skip when summer time
    starts. Ask the partner for the real time, or for times with their UTC offset."""
    return _not(flag, "nonexistent_time")


@register("ambiguous_time",
          "{column}: {columns} '{value}' happens twice in {zone} (the clocks go back); "
          "write it with its UTC offset",
          bad="25-10-2026 02:30 in Europe/Amsterdam (02:00-03:00 happens twice)",
          good="25-10-2026 02:30+02:00 (the first) or 25-10-2026 02:30+01:00 (the second)")
def ambiguous_time(value: pl.Expr, raw: pl.Expr, flag: str, **_: object) -> pl.Expr:
    """A local time in the rule's `parse.timezone` that happens twice when summer time
    ends, so the instant is unknown. It is never guessed: the partner writes the UTC
    offset (+02:00 or +01:00 in Amsterdam) or sends UTC times."""
    return _not(flag, "ambiguous_time")


@register("times_read_as_utc",
          "times in {columns} have no UTC offset and the rule names no time zone: they "
          "were read as UTC for {column}; set parse.timezone (e.g. Europe/Amsterdam)",
          bad="Sold at = 2026-10-05 10:15 (Amsterdam time), rule without parse.timezone",
          good="rule sets parse: {timezone: Europe/Amsterdam}, or cells carry +02:00",
          severity=Severity.WARNING)
def times_read_as_utc(value: pl.Expr, raw: pl.Expr) -> pl.Expr:
    """The target needs an instant (a UTC time, Unix seconds) and the rule names no zone
    for the partner's times: times without an offset are read as UTC, once per file.
    Set `parse: {timezone: Europe/Amsterdam}` (an IANA name) in the rule file."""
    return pl.lit(True)
