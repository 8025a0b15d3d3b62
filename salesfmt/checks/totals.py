"""Control totals: the partner's own totals row against the lines read (rule key
``control_total:``, compared by :mod:`salesfmt.rules.totals`). Both are file-level checks:
their functions only document them (what is compared is not a cell)."""

from __future__ import annotations

import polars as pl

from salesfmt.checks import Context, register
from salesfmt.problems import Severity

__all__ = ["control_total_mismatch", "control_total_missing"]


@register("control_total_mismatch",
          "{header} on the totals row (row {row}) is {total}, but {what} {sum}: "
          "a difference of {difference}", context=Context.FILE)
def control_total_mismatch(value: pl.Expr, raw: pl.Expr) -> pl.Expr:
    """The file's own totals row does not agree with its lines: their amounts do not add
    up to its total, or there are not as many lines as it counts. Lines may have been lost
    or changed on the way from the till (an export cut short, a line deleted by hand), or
    the total is from another export. Send the complete file, as the till produced it.

    Operator: The rule file's `control_total:` names the totals row, the amount column and
    the count column. Every line that is not skipped counts, rejected lines included."""
    return pl.lit(True)


@register("control_total_missing",
          "no totals row: no row's {column} matches '{matches}', so the file's total could "
          "not be checked", severity=Severity.WARNING, context=Context.FILE)
def control_total_missing(value: pl.Expr, raw: pl.Expr) -> pl.Expr:
    """The file should carry its totals row (or its column), and it does not, or the row
    holds no number where the total belongs: the lines could not be checked against it.
    Send the file with its totals row, as the till produced it.

    Operator: A warning by default, so that a resent rejects file (which has no totals
    row) converts clean; `severity: {control_total_missing: error}` makes it an error."""
    return pl.lit(True)
