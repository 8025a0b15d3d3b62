"""The serial steps of each checked batch (after its query): line numbers, cross-row
checks, masks, problem rows, the report's raw cells, counts, sale days, writing."""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

import polars as pl

from salesfmt.canonical import Kind, polars_type
from salesfmt.checks.crossrow import CrossRowState, first_line, first_row, first_value
from salesfmt.columns import LINE, ROW, SEQ, ok, typed
from salesfmt.problems import Severity
from salesfmt.readers import Source
from salesfmt.rules import CompiledRules
from salesfmt.rules.expr import to_text
from salesfmt.rules.instants import local_date
from salesfmt.rules.totals import ControlTotals
from salesfmt.targets import TargetPlan
from salesfmt.targets.records import RecordLines, RecordWarnings
from salesfmt.targets.serializers import AtomicWriter
from salesfmt.targets.validate import message_expr, value_expr

if TYPE_CHECKING:
    from salesfmt.result import Result

__all__ = ["BatchLoop", "batch_masks", "RAW_ROWS"]

#: How many flagged rows keep their raw partner cells (``Result.raw_rows``) for reports.
RAW_ROWS = 1000

#: Columns the query adds: a row has an error / any problem in a check within the row
#: (cross-row checks and reader problems are added after it, on the main thread).
_BAD, _FLAG = "__bad", "__flag"


def batch_masks(plan: TargetPlan) -> list[pl.Expr]:
    """``_BAD`` and ``_FLAG`` over the row checks (computed in the query, not after it)."""
    inrow = [c for c in plan.checks if c.cross is None]
    errors = [pl.col(ok(c.index)) for c in inrow if c.severity is Severity.ERROR]
    return [(~pl.all_horizontal(errors) if errors else pl.repeat(False, pl.len())).alias(_BAD),
            (~pl.all_horizontal(pl.col(ok(c.index)) for c in inrow) if inrow
             else pl.repeat(False, pl.len())).alias(_FLAG)]


def _shown(expr: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """A typed value as a message shows it: the canonical text of its kind (ISO dates,
    whole seconds, plain decimals), found from the column's dtype."""
    kind = next((k for k in Kind if dtype.base_type() == polars_type(k).base_type()), None)
    return to_text(expr, kind)


def _extract(df: pl.DataFrame, plan: TargetPlan, compiled: CompiledRules,
             sheet: str | None) -> list[pl.DataFrame]:
    """Problem rows of the batch ``df``: one lazy query for all failing checks, each
    filtering its own rows and reading only the columns its message needs (no copy of the
    flagged rows first). The in-memory engine: polars' streaming engine has panicked on
    a filter then pl.format over many-chunk strings (CONTRIBUTING.md, pitfalls)."""
    failing = df.select((~pl.col(ok(c.index))).any().alias(str(c.index))
                        for c in plan.checks).row(0)
    lf = df.lazy()
    parts = []
    for inst, fails in zip(plan.checks, failing, strict=True):
        if not fails or (inst.cross is not None and inst.cross.kind == "first"):
            continue  # "first" checks: one warning per record, at the end (RecordWarnings)
        extra = {}
        if inst.cross is not None:
            extra["first_line"] = pl.col(first_line(inst.index))
            extra["first_row"] = pl.col(first_row(inst.index))
            if inst.cross.value is not None:
                name = first_value(inst.index)
                extra["first_value"] = _shown(pl.col(name), df.schema[name])
        shown = value_expr(inst, compiled)
        parts.append(lf.filter(~pl.col(ok(inst.index))).select(
            pl.col(LINE).cast(pl.Int64).alias("line"),
            pl.lit(sheet, dtype=pl.String).alias("sheet"),
            pl.col(ROW).cast(pl.Int64).alias("row"),
            pl.lit(inst.letter, dtype=pl.String).alias("column"),
            pl.lit(inst.header, dtype=pl.String).alias("header"),
            pl.lit(inst.field.name).alias("field"),
            pl.lit(inst.code).alias("code"),
            pl.lit(inst.severity.value).alias("severity"),
            message_expr(inst, shown, extra).alias("message"),
            shown.alias("value"),
            pl.lit(inst.order, dtype=pl.Int64).alias("order"),
        ))
    return [pl.concat(parts).collect(engine="in-memory")] if parts else []


class BatchLoop:
    """The serial steps of each checked batch, in order: number its lines, cross-row
    checks, the rows' masks, problems, the report's raw cells, counts and writing."""

    def __init__(self, source: Source, compiled: CompiledRules, plan: TargetPlan,
                 result: Result, frames: list[pl.DataFrame], writer: AtomicWriter | None,
                 kept: list[str], totals: ControlTotals | None = None) -> None:
        self.source, self.compiled, self.plan = source, compiled, plan
        self.totals = totals  # the rule's control total: sums the lines read
        self.result, self.frames, self.writer = result, frames, writer
        self.cross = CrossRowState({c.index: c.cross for c in plan.checks
                                    if c.cross is not None})
        self.records = RecordLines(plan.target)
        self.warnings = RecordWarnings(plan.checks, compiled)
        crossed = [c for c in plan.checks if c.cross is not None]
        self.cross_errors = [pl.col(ok(c.index)) for c in crossed
                             if c.severity is Severity.ERROR]
        self.cross_every = [pl.col(ok(c.index)) for c in crossed]
        self.day = typed("sold_at") if typed("sold_at") in kept else None
        self.written = [ROW, LINE, SEQ, *(writer.columns() if writer is not None else [])]
        self.next_line = 2
        self.placed: list[pl.DataFrame] = []  # (source row, output line) of marked rows

    def step(self, batch: pl.DataFrame, df: pl.DataFrame) -> None:
        """All serial steps of one batch (``df``: its query's result)."""
        marked = self.source.problems.filter(pl.col("row").is_not_null())  # grows: per batch
        df = self._number(batch, df)
        if marked.height:
            self.placed.append(df.select(ROW, LINE)
                               .filter(pl.col(ROW).is_in(marked["row"].implode())))
        bad, flag = self._bad_and_flagged(df, marked)
        flagged = bool(flag.any())
        if flagged:
            self.frames.extend(_extract(df, self.plan, self.compiled, self.source.sheet))
            self.warnings.add(df)
        lines = self.records.track(df, bad)
        with_sale = self.records.rejected_so_far(df, bad)  # cells shown: "rejected with its sale"
        if flagged or marked.height or with_sale.len():
            # the report shows the cells of lines with errors (warnings: examples only) and
            # of the good lines rejected with their record
            _keep_raw(self.result, batch,
                      pl.concat([df[ROW].filter(bad), marked["row"], with_sale]))
        if self.writer is not None and lines is not None:
            self.writer.reject(lines)
        self._count_and_write(df, bad)

    def _number(self, batch: pl.DataFrame, df: pl.DataFrame) -> pl.DataFrame:
        """Output line numbers (skipped rows have none), records, cross-row checks."""
        self.result.rows_read += batch.height
        self.result.rows_skipped += batch.height - df.height
        df = df.with_columns((pl.int_range(pl.len(), dtype=pl.Int64) + self.next_line)
                             .alias(SEQ))
        if self.totals is not None:
            self.totals.observe(batch, df)
        self.next_line += df.height
        return self.cross.apply(self.records.assign(df), ok("{}"))

    def _bad_and_flagged(self, df: pl.DataFrame, marked: pl.DataFrame
                         ) -> tuple[pl.Series, pl.Series]:
        """Rows with an error (rejected) and rows with any problem: the query's masks, with
        the cross-row checks and the reader's errors added (none: no query at all)."""
        rejects = marked.filter(pl.col("severity") == Severity.ERROR.value)["row"]
        if not self.cross_every and not rejects.len():
            return df[_BAD], df[_FLAG]
        extra = [*self.cross_errors, pl.col(ROW).is_in(rejects.implode()).not_()]
        masks = df.select((pl.col(_BAD) | ~pl.all_horizontal(extra)).alias("bad"),
                          (pl.col(_FLAG) | ~pl.all_horizontal(self.cross_every or [pl.lit(True)]))
                          .alias("flag"))
        return masks["bad"], masks["flag"]

    def _count_and_write(self, df: pl.DataFrame, bad: pl.Series) -> None:
        """Rows out and rejected, the sale days, the good rows to the writer."""
        rejected = int(bad.sum())
        self.result.rows_rejected += rejected
        self.result.rows_out += df.height - rejected
        if self.day is not None:
            _track_sale_dates(self.result, df[self.day].filter(~bad) if rejected
                              else df[self.day])
        if self.writer is not None:
            good = df.select(self.written)
            self.writer.write(good.filter(~bad) if rejected else good)

    def finish(self) -> list[pl.DataFrame]:
        """Problems known once every row is read; returns (source row, output line) pairs."""
        self.frames.extend(self.warnings.problems(self.source.sheet))
        result = self.result
        result.rejected_with_record = self.records.good_lines_rejected()  # sent or rejected whole
        moved = result.rejected_with_record.height
        result.rows_out -= moved
        result.rows_rejected += moved
        return self.placed


def _keep_raw(result: Result, batch: pl.DataFrame, rows: pl.Series) -> None:
    """Keep the partner's cells of the first RAW_ROWS rows with problems (reports show them)."""
    room = RAW_ROWS - result.raw_rows.height
    if room > 0:
        part = batch.filter(pl.col(ROW).is_in(rows.implode())).head(room)
        result.raw_rows = pl.concat([result.raw_rows, part]) if result.raw_rows.width else part


_EPOCH = date(1970, 1, 1)
_DAY_MIN, _DAY_MAX = (date.min - _EPOCH).days, (date.max - _EPOCH).days


def _track_sale_dates(result: Result, days: pl.Series) -> None:
    """First and last sale day of the converted rows, across batches (names the output):
    the partner's calendar days, in the rule's zone (sale times are UTC instants)."""
    rule = result.rules.fields.get("sold_at")
    zone = rule.parse.timezone if rule is not None else None
    if zone:  # the first and last instants, as the partner's days
        days = days.to_frame("d").select(pl.concat([pl.col("d").min(), pl.col("d").max()])
                                         .cast(pl.Datetime("us")).pipe(local_date, zone))["d"]
    phys = days.cast(pl.Date).to_physical()  # a day past year 9999 is no Python date
    lo_n, hi_n = phys.min(), phys.max()
    if lo_n is None:
        return
    lo, hi = (date.min if n < _DAY_MIN else date.max if n > _DAY_MAX
              else _EPOCH + timedelta(days=int(n)) for n in (lo_n, hi_n))
    if result.sale_dates is not None:
        lo, hi = min(lo, result.sale_dates[0]), max(hi, result.sale_dates[1])
    result.sale_dates = (lo, hi)
