"""Checks on dates and times as the partner wrote them (SPEC §5: a time is an instant).

The rules compute, per date field, why a cell with text has no value (``rules.instants``);
each reason is one check here, and the field's other checks skip the cell, so one root
cause gives one message, naming the partner's column(s), the value and what to write.
"""

from __future__ import annotations

import polars as pl

from salesfmt.checks import Context, register
from salesfmt.problems import Severity


def _not(flag: str, code: str) -> pl.Expr:
    return pl.col(flag).fill_null("") != code


@register("not_a_date", "{column}: {columns} '{value}' is not a date (expected {expected})",
          context=Context.RULES)
def not_a_date(value: pl.Expr, raw: pl.Expr, flag: str, **_: object) -> pl.Expr:
    """The cell is not a date in the format the message names, or the date does not
    exist (31 February). Write an existing date in that format.

    Operator: The formats are the rule's `date_formats` (else the file's day/month order,
    and ISO 8601). Reported under the target's own code for a bad date where it has one
    (Thalamus: field.invalid.format)."""
    return _not(flag, "not_a_date")


@register("nonexistent_time",
          "{column}: {columns} '{value}' does not exist in {zone} (the clocks skip that hour)",
          context=Context.RULES)
def nonexistent_time(value: pl.Expr, raw: pl.Expr, flag: str, **_: object) -> pl.Expr:
    """The time does not exist where the sale happened: the clocks skip that hour when
    summer time starts. Write the real time, or the time with its UTC offset.

    Operator: Times without an offset are read in the rule's `parse.timezone`."""
    return _not(flag, "nonexistent_time")


@register("ambiguous_time",
          "{column}: {columns} '{value}' happens twice in {zone} (the clocks go back); "
          "write it with its UTC offset",
          context=Context.RULES)
def ambiguous_time(value: pl.Expr, raw: pl.Expr, flag: str, **_: object) -> pl.Expr:
    """The time happens twice where the sale happened (the clocks go back when summer
    time ends), so which one is meant is unknown; it is never guessed. Write the time
    with its UTC offset (+02:00 or +01:00 in Amsterdam), or in UTC.

    Operator: Times without an offset are read in the rule's `parse.timezone`."""
    return _not(flag, "ambiguous_time")


@register("times_read_as_utc",
          "times in {columns} have no UTC offset: they were read as UTC for {column}; "
          "if they are local times, write them with their offset (e.g. +02:00)",
          severity=Severity.WARNING, context=Context.FILE)
def times_read_as_utc(value: pl.Expr, raw: pl.Expr) -> pl.Expr:
    """The times in the file have no UTC offset, and the target needs the moment of the
    sale (a UTC time, Unix seconds): they were read as UTC. Write times with their UTC
    offset (2026-10-05T10:15:00+02:00) if they are not UTC.

    Operator: Set `parse: {timezone: Europe/Amsterdam}` (an IANA name) in the rule file.
    One warning per file, only when such a time was read."""
    return pl.lit(True)
