"""The rule key ``control_total:``: the partner's own totals row, checked against the lines.

``control_total: {row: {column: Bonnummer, matches: "^Totaal"}, amount: Bedrag, count: Aantal}``
names the row (a partner column and a pattern searched in its cell, as a ``skip:`` rule),
the column whose total it gives, and optionally the column where it gives the number of
lines. The row is left out of the lines (counted as skipped) and compared with them by
:mod:`salesfmt.checks.totals`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from salesfmt.errors import RuleError
from salesfmt.rules.expr import regex_problem
from salesfmt.rules.model import ControlTotal

__all__ = ["control_total", "describe"]


def control_total(spec: dict[str, Any] | None, where: Callable[..., str]
                  ) -> ControlTotal | None:
    """The ``control_total`` of a rule file (already schema-checked), or None."""
    if not spec:
        return None
    row = spec["row"]
    if problem := regex_problem(row["matches"]):
        raise RuleError(f"bad pattern: {problem}",
                        where=where("control_total", "row", "matches"))
    return ControlTotal(column=row["column"], matches=row["matches"], amount=spec["amount"],
                        count=spec.get("count"), where=where("control_total"))


def describe(total: ControlTotal) -> str:
    """One line for ``rules show``."""
    count = f", its {total.count!r} the number of lines" if total.count else ""
    return (f"control total: the row whose {total.column!r} matches {total.matches!r} "
            f"(skipped) gives the sum of {total.amount!r}{count}")
