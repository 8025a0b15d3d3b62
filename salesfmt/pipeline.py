"""The pipeline: read → rules → target → problems, batch by batch, all in polars expressions.

Batches bound memory; cross-row checks (uniqueness) keep only a key → first-line table.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import polars as pl

from salesfmt.checks import render_message
from salesfmt.problems import Severity, concat_problems, empty_problems, file_problem
from salesfmt.readers import ReadOptions, Source, open_source
from salesfmt.readers._source import ROW
from salesfmt.rules import CompiledRules, RuleSet, compile_rules, header_scorer
from salesfmt.rules.compiler import typed
from salesfmt.targets import Target, TargetPlan, plan_target
from salesfmt.targets.serializers import AtomicWriter, open_writer
from salesfmt.targets.validate import LINE, CheckInstance, message_expr, ok, value, value_expr

__all__ = ["Result", "run", "read_options", "RAW_ROWS"]

#: How many flagged rows keep their raw partner cells (``Result.raw_rows``) for reports.
RAW_ROWS = 1000


@dataclass
class Result:
    """What a run did: counts, the problem table, where the output went."""

    path: Path
    rules: RuleSet
    target: Target
    source: Source
    rows_read: int = 0
    rows_skipped: int = 0
    rows_out: int = 0
    rows_rejected: int = 0
    problems: pl.DataFrame = field(default_factory=empty_problems)
    output: Path | None = None
    #: ``__row`` + the partner's columns (as text) of the first RAW_ROWS flagged rows.
    raw_rows: pl.DataFrame = field(default_factory=pl.DataFrame)
    #: First and last sale day of the converted rows (None when there is no sale date).
    sale_dates: tuple[date, date] | None = None

    @property
    def errors(self) -> pl.DataFrame:
        """Problems of severity error."""
        return self.problems.filter(pl.col("severity") == Severity.ERROR.value)

    @property
    def clean(self) -> bool:
        """True when no problem of severity error was found."""
        return self.errors.height == 0

    def check_balance(self) -> None:
        """Nothing lost: rows in = rows out + rows rejected + rows skipped."""
        total = self.rows_out + self.rows_rejected + self.rows_skipped
        if total != self.rows_read:
            raise AssertionError(f"row accounting broken: {self.rows_read} read but "
                                 f"{self.rows_out} out + {self.rows_rejected} rejected + "
                                 f"{self.rows_skipped} skipped = {total}")


def read_options(rules: RuleSet, **overrides: object) -> ReadOptions:
    """Reader options: command-line overrides first, then the rule file, else detection."""
    opts = ReadOptions(encoding=rules.encoding, delimiter=rules.delimiter,
                       quote_char=rules.quote_char, sheet=rules.sheet,
                       header_row=rules.header_row)
    for key, val in overrides.items():
        if val is not None:
            setattr(opts, key, val)
    return opts


class _Uniques:
    """Key → first line for every uniqueness check, across batches."""

    def __init__(self, checks: list[CheckInstance]) -> None:
        self.checks = [c for c in checks if c.check.cross_row]
        self.seen: dict[int, pl.DataFrame] = {}

    def apply(self, df: pl.DataFrame) -> pl.DataFrame:
        for inst in self.checks:
            key = value(inst.field.name)
            first = f"first:{inst.index}"
            firsts = (df.lazy().filter(pl.col(key).is_not_null())
                      .group_by(key).agg(pl.col(LINE).min().alias(first)))
            if inst.index in self.seen:
                firsts = pl.concat([self.seen[inst.index].lazy(), firsts]).group_by(key).agg(
                    pl.col(first).min())
            table = firsts.collect()
            self.seen[inst.index] = table
            df = df.join(table, on=key, how="left", maintain_order="left",
                         nulls_equal=False).with_columns(
                (pl.col(first).is_null() | (pl.col(first) == pl.col(LINE))).alias(ok(inst.index)))
        return df


def _extract(df: pl.DataFrame, plan: TargetPlan, compiled: CompiledRules,
             sheet: str | None) -> list[pl.DataFrame]:
    frames = []
    for inst in plan.checks:
        sub = df.filter(~pl.col(ok(inst.index)))
        if sub.height == 0:
            continue
        extra = {"first_line": pl.col(f"first:{inst.index}")} if inst.check.cross_row else {}
        shown = value_expr(inst, compiled)
        frames.append(sub.rechunk().select(
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
    return frames


def _missing_column_problems(plan: TargetPlan, sheet: str | None) -> list[pl.DataFrame]:
    out = []
    for f, aliases in plan.missing_columns:
        msg = render_message(plan.target.message_for("missing_column"),
                             {"column": f.name, "aliases": ", ".join(aliases)}, {})
        text = pl.select(msg).item()
        sev = Severity.ERROR if f.required else Severity.WARNING
        out.append(file_problem("missing_column", text, severity=sev, sheet=sheet,
                                field=f.name))
    return out


def run(path: str | Path, rules: RuleSet, target: Target, *, today: date | None = None,
        output: Path | None = None, strict: bool = False,
        progress: Callable[[int], None] | None = None, **read_overrides: object) -> Result:
    """Check (and, with ``output``, convert) one partner file; problems are collected.

    ``progress`` is called with the number of rows read after every batch.
    """
    path = Path(path)
    today = today or date.today()
    options = read_options(rules, **read_overrides)
    with open_source(path, options, header_scorer(rules)) as source:
        compiled = compile_rules(rules, source)
        plan = plan_target(target, compiled, today=today)
        result = Result(path=path, rules=rules, target=target, source=source)
        writer: AtomicWriter | None = open_writer(output, target) if output else None
        try:
            frames = [source.problems, *_missing_column_problems(plan, source.sheet)]
            _run_batches(source, compiled, plan, result, frames, writer, progress)
            result.problems = concat_problems(frames)
            if writer is not None:
                if strict and not result.clean:
                    writer.abort()
                else:
                    result.output = writer.commit()
        except BaseException:
            if writer is not None:
                writer.abort()
            raise
    result.check_balance()
    return result


def _run_batches(source: Source, compiled: CompiledRules, plan: TargetPlan, result: Result,
                 frames: list[pl.DataFrame], writer: AtomicWriter | None,
                 progress: Callable[[int], None] | None = None) -> None:
    uniques = _Uniques(plan.checks)
    errors = [pl.col(ok(c.index)) for c in plan.checks if c.severity is Severity.ERROR]
    every = [pl.col(ok(c.index)) for c in plan.checks]
    next_line = 2
    for batch in source.batches():
        result.rows_read += batch.height
        lf = batch.lazy()
        for layer in compiled.layers:
            lf = lf.with_columns(layer)
        df = lf.with_columns(compiled.skip.alias("__skip")).collect()
        skipped = int(df["__skip"].sum())
        result.rows_skipped += skipped
        if skipped:
            df = df.filter(~pl.col("__skip"))
        df = df.with_columns((pl.int_range(pl.len(), dtype=pl.Int64) + next_line).alias(LINE))
        next_line += df.height
        df = (df.lazy().with_columns(plan.values)
              .with_columns([*plan.outputs, *plan.row_checks]).collect())
        df = uniques.apply(df)
        df = df.with_columns(
            (~pl.all_horizontal(errors) if errors else pl.lit(False)).alias("__bad"),
            (~pl.all_horizontal(every) if every else pl.lit(False)).alias("__flag"),
        )
        flagged = df.filter(pl.col("__flag"))
        if flagged.height:
            frames.extend(_extract(flagged, plan, compiled, source.sheet))
            _keep_raw(result, flagged.select([ROW, *source.headers]))
        bad = int(df["__bad"].sum())
        result.rows_rejected += bad
        good = df.filter(~pl.col("__bad")) if bad else df
        result.rows_out += good.height
        _track_sale_dates(result, good)
        if writer is not None:
            writer.write(good)
        if progress is not None:
            progress(result.rows_read)


def _keep_raw(result: Result, flagged: pl.DataFrame) -> None:
    """Keep the partner's cells of the first RAW_ROWS flagged rows (reports show them)."""
    room = RAW_ROWS - result.raw_rows.height
    if room > 0:
        part = flagged.head(room)
        result.raw_rows = pl.concat([result.raw_rows, part]) if result.raw_rows.width else part


def _track_sale_dates(result: Result, good: pl.DataFrame) -> None:
    """First and last sale day of the converted rows, across batches (names the output)."""
    col = typed("sold_at")
    if col not in good.columns or good.height == 0:
        return
    days = good.select(pl.col(col).cast(pl.Date).min().alias("lo"),
                       pl.col(col).cast(pl.Date).max().alias("hi")).row(0)
    if days[0] is None:
        return
    lo, hi = days
    if result.sale_dates is not None:
        lo, hi = min(lo, result.sale_dates[0]), max(hi, result.sale_dates[1])
    result.sale_dates = (lo, hi)
