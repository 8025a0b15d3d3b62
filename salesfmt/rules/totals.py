"""The rule key ``control_total:``: the partner's own totals row, checked against the lines.

``control_total: {row: {column: Bonnummer, matches: "^Totaal"}, amount: Bedrag, count: Aantal}``
names the row (a partner column and a pattern searched in its cell, as a ``skip:`` rule),
the column whose total it gives, and optionally the column where it gives the number of
lines. A partner's total is the best proof that nothing was lost between their till and
our output.

The row is left out of the lines (counted as skipped); batch by batch the lines' amounts
are added up exactly (decimals: the values of the field that reads the column as it is,
else the column parsed with the rule's number format) and the lines are counted. At the
end the totals row's amount (and count) must equal them: else one file-level error per
column, ``control_total_mismatch`` (registered in :mod:`salesfmt.checks.totals`), with both
numbers and the difference.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import polars as pl

from salesfmt.canonical import FIELDS, Kind
from salesfmt.checks import get_check, render_message
from salesfmt.columns import ROW, parsed_text, typed
from salesfmt.errors import RuleError
from salesfmt.problems import Severity, file_problem
from salesfmt.rules.expr import regex_problem
from salesfmt.rules.headers import match_headers, normalize_header
from salesfmt.rules.model import ControlTotal, RuleSet
from salesfmt.rules.parsers import ParseOptions, parse

if TYPE_CHECKING:
    from salesfmt.rules.compiler import CompiledRules

__all__ = ["control_total", "describe", "ControlTotals"]


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


def _plain(number: Decimal) -> str:
    """A decimal as text: two places for money-like values, else as few as it needs."""
    if number == number.quantize(Decimal("0.01")):
        return f"{number:.2f}"
    return format(number.normalize(), "f")


@dataclass
class ControlTotals:
    """One run's control total: plan it, observe each batch, then compare."""

    decl: ControlTotal
    headers: list[str]
    letters: list[str]
    row: pl.Expr | None  # the totals row, over raw columns (None: its column is missing)
    amount: str | None
    count: str | None
    opts: ParseOptions
    #: the canonical field that reads the amount column as it is (no map, default or
    #: expression): its parsed values are the lines' amounts, no second parse needed
    reader: str | None = None
    lines: int = 0
    total: Decimal = Decimal(0)
    unparsed: int = 0
    found: list[pl.DataFrame] = field(default_factory=list)

    @classmethod
    def plan(cls, rules: RuleSet, headers: list[str], letters: list[str],
             compiled: CompiledRules | None = None) -> ControlTotals | None:
        """The control total of ``rules`` against a file's headers, or None."""
        decl = rules.control_total
        if decl is None:
            return None

        def find(alias: str | None) -> str | None:
            if alias is None:
                return None
            hit = match_headers({"": (alias,)}, headers, fuzzy=False, threshold=100).get("")
            return hit.header if hit else None

        label = find(decl.column)
        row = (pl.col(label).str.contains(decl.matches).fill_null(False)
               if label is not None else None)
        wanted = normalize_header(decl.amount)
        opts = next((f.parse for f in rules.fields.values()
                     if any(normalize_header(c) == wanted for c in f.columns)), rules.parse)
        amount = find(decl.amount)
        same = [n for n, f in rules.fields.items() if compiled is not None
                and compiled.sources.get(n, ("",))[0] == amount and n in compiled.mapped
                and FIELDS[n].kind is Kind.DECIMAL and f.expr is None
                and f.value_map is None and f.default is None]
        return cls(decl, headers, letters, row, amount, find(decl.count), opts,
                   same[0] if same and amount is not None else None)

    def columns(self) -> list[str]:
        """Frame columns :meth:`observe` reads from the lines (kept by the batch loop)."""
        return [typed(self.reader), parsed_text(self.reader)] if self.reader else []

    def _number(self, kind: Kind, column: str) -> pl.Expr:
        return parse(kind, pl.col(column), self.opts)

    def observe(self, batch: pl.DataFrame, lines: pl.DataFrame) -> None:
        """Add a batch: its totals rows, and its ``lines`` (rows not skipped)."""
        self.lines += lines.height
        if self.row is not None:
            cols = [c for c in (self.amount, self.count) if c is not None]
            hit = batch.filter(self.row).select(ROW, *cols)
            if hit.height:
                self.found.append(hit)
        if self.amount is None or not lines.height:
            return
        if self.reader is not None:  # parsed already, by the field that reads the column
            cells = lines.select(pl.col(typed(self.reader)).alias("v"), pl.col(
                parsed_text(self.reader)).str.strip_chars().str.len_bytes().fill_null(0)
                .alias("n"))
        else:
            cells = batch.filter(pl.col(ROW).is_in(lines[ROW].implode())).select(
                self._number(Kind.DECIMAL, self.amount).alias("v"),
                pl.col(self.amount).str.strip_chars().str.len_bytes().fill_null(0).alias("n"))
        sums = cells.select(pl.col("v").sum().alias("s"),
                            (pl.col("v").is_null() & (pl.col("n") > 0)).sum().alias("bad"))
        got, bad = sums.row(0)
        self.total += Decimal(str(got)) if got is not None else Decimal(0)
        self.unparsed += int(bad)

    def _where(self, header: str) -> dict[str, Any]:
        return {"column": self.letters[self.headers.index(header)], "header": header}

    @staticmethod
    def _missing(sheet: str | None, text: str, sev: Severity, **where: Any) -> pl.DataFrame:
        return file_problem("control_total_missing", text, severity=sev, sheet=sheet, **where)

    def problems(self, sheet: str | None, severity: dict[str, Severity]) -> list[pl.DataFrame]:
        """The comparison, once every batch is observed: file-level problems."""
        d = self.decl
        sev = severity.get("control_total_missing", Severity.WARNING)
        if self.row is None or self.amount is None:
            lost = d.column if self.row is None else d.amount
            return [self._missing(sheet, f"no totals row: the file has no column {lost!r}, "
                                  "so the file's total could not be checked", sev)]
        rows = pl.concat(self.found) if self.found else pl.DataFrame()
        if not rows.height:
            text = pl.select(render_message(get_check("control_total_missing").message,
                                            {"column": d.column, "matches": d.matches},
                                            {})).item()
            return [self._missing(sheet, text, sev)]
        at = ", ".join(str(r) for r in rows[ROW].to_list())
        out = []
        checks = [(self.amount, Kind.DECIMAL)] + ([(self.count, Kind.INTEGER)]
                                                   if self.count else [])
        for header, kind in checks:
            values = rows.select(self._number(kind, header).alias("v"), pl.col(header))
            if values["v"].null_count():
                shown = values.filter(pl.col("v").is_null())[header][0]
                out.append(self._missing(
                    sheet, f"the totals row (row {at}) has no number in {header} "
                    f"({shown!r}), so the file's total could not be checked", sev,
                    row=int(rows[ROW][0]), value=shown, **self._where(header)))
                continue
            claimed = sum((Decimal(str(v)) for v in values["v"].to_list()), Decimal(0))
            if kind is Kind.DECIMAL:
                if self.unparsed:  # those lines have their own errors: one root cause
                    continue
                mine, what = self.total, f"the {self.lines} lines read add up to"
            else:
                mine, what = Decimal(self.lines), "the number of lines read is"
            if claimed == mine:
                continue
            show = _plain if kind is Kind.DECIMAL else str
            text = pl.select(render_message(get_check("control_total_mismatch").message, {
                "header": header, "row": at, "total": show(claimed), "what": what,
                "sum": show(mine), "difference": show(claimed - mine)}, {})).item()
            out.append(file_problem(
                "control_total_mismatch", text,
                severity=severity.get("control_total_mismatch", Severity.ERROR), sheet=sheet,
                row=int(rows[ROW][0]), value=", ".join(str(v) for v in values[header]),
                **self._where(header)))
        return out
