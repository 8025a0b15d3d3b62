"""Checks across deliveries (``salesfmt batch``): ids sent before, near-duplicate files and
drift against the partner's previous delivery. They compare a file with the ledger's
earlier deliveries, so they run after the conversion, on the keys read back from it."""

from __future__ import annotations

import polars as pl

from salesfmt.checks import Context, register
from salesfmt.problems import Severity

__all__ = ["already_sent", "sent_again", "near_duplicate", "drift"]


@register("already_sent", "{column} '{value}' was already sent in {first_file}, line "
          "{first_line}{under}: ids must be unique across all uploads, give it a new one or "
          "leave the line out", context=Context.DELIVERIES)
def already_sent(value: pl.Expr, raw: pl.Expr, sent: pl.Expr) -> pl.Expr:
    """This id went out in an earlier upload, and the server takes each id once (bulk-csv
    ORDER_ID per channel, Thalamus transactionId, a Wallie salesLineId under another
    salesId). Give the line a new id, or leave it out if it was sent already.

    Operator: The ledger beside the name ledger keeps the ids of every delivery
    `salesfmt batch` named; the file is held back (no upload name) while it has such
    lines."""
    return ~sent


@register("sent_again", "{column} '{value}' was already sent in {first_file}, line "
          "{first_line}: this sale replaces it (an update)",
          severity=Severity.WARNING, context=Context.DELIVERIES)
def sent_again(value: pl.Expr, raw: pl.Expr, sent: pl.Expr) -> pl.Expr:
    """A sale with this id went out before: sending it again updates that sale (Wallie).
    Check that an update is meant, not a second copy of last week's sale."""
    return ~sent


@register("near_duplicate", "{share}% of the records in this file were already sent in "
          "{first_file}: is this a delivery sent twice?",
          severity=Severity.WARNING, context=Context.DELIVERIES)
def near_duplicate(value: pl.Expr, raw: pl.Expr, share: pl.Expr) -> pl.Expr:
    """90% or more of the file's records carry ids an earlier delivery had already: most
    likely the same delivery again, edited a little. Send only the new sales.

    Operator: Identical files are caught by their content hash; this catches resends
    with a few changes."""
    return share < 90


@register("drift", "since your previous delivery ({first_file}): {change}",
          severity=Severity.WARNING, context=Context.DELIVERIES)
def drift(value: pl.Expr, raw: pl.Expr, changed: pl.Expr) -> pl.Expr:
    """The file differs from the partner's previous delivery in a way that often means
    an export changed: columns added, removed or renamed, new values in a mapped column,
    another decimal separator, date order or encoding, or row count or amount total
    changed by more than half. Check that the change is intended.

    Operator: Drift is tracked per route name of deliveries.yaml, against the profile
    the ledger kept of the route's latest delivery."""
    return ~changed
