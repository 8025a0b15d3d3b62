"""The pipeline: read → rules → target → problems, batch by batch, all in polars expressions.

Batches bound memory; cross-row checks (uniqueness) keep only a key → first-line table.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import polars as pl

from salesfmt.canonical import Kind, polars_type
from salesfmt.checks import render_message
from salesfmt.checks.crossrow import SEQ, CrossRowState, first_line, first_row, first_value
from salesfmt.errors import InputError
from salesfmt.problems import Severity, concat_problems, empty_problems, file_problem
from salesfmt.readers import ReadOptions, Source, open_source
from salesfmt.readers._encoding import EncodingRetry
from salesfmt.readers._source import ROW
from salesfmt.rules import CompiledRules, RuleSet, compile_rules, header_scorer
from salesfmt.rules.compiler import raw, typed
from salesfmt.rules.expr import to_text
from salesfmt.rules.instants import local_date
from salesfmt.targets import Target, TargetPlan, plan_target
from salesfmt.targets.records import RecordLines, RecordWarnings
from salesfmt.targets.serializers import AtomicWriter, open_writer
from salesfmt.targets.times import utc_warnings
from salesfmt.targets.validate import LINE, message_expr, ok, value, value_expr

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
    #: Grouped targets: good lines rejected because another line of their record (sale,
    #: transaction) has an error: ``row`` and ``line``, in the partner's row order.
    rejected_with_record: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema={"row": pl.Int64, "line": pl.Int64}))
    #: Warnings left out of ``problems`` by the rule file's ``severity: {code: off}``.
    muted: dict[str, int] = field(default_factory=dict)

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
                       quote_char=rules.quote_char, escape_char=rules.escape_char,
                       sheet=rules.sheet,
                       header_row=rules.header_row,
                       decimal_separator=rules.parse.decimal_separator)
    for key, val in overrides.items():
        if val is not None:
            setattr(opts, key, val)
    return opts


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


def _missing_column_problems(plan: TargetPlan, compiled: CompiledRules,
                             sheet: str | None) -> list[pl.DataFrame]:
    out = []
    for f, aliases in plan.missing_columns:
        msg = render_message(plan.target.message_for("missing_column"),
                             {"column": f.name, "aliases": ", ".join(aliases),
                              **compiled.hints.get(f.source, {})}, {})
        text = pl.select(msg).item()
        sev = Severity.ERROR if f.required else Severity.WARNING
        sev = compiled.rules.severity.get("missing_column", sev)  # a rule file's override
        out.append(file_problem("missing_column", text, severity=sev, sheet=sheet,
                                field=f.name))
    return out


def run(path: str | Path, rules: RuleSet, target: Target, *, today: date | None = None,
        output: Path | None = None, strict: bool = False,
        progress: Callable[[int], None] | None = None, **read_overrides: object) -> Result:
    """Check (and, with ``output``, convert) one partner file; problems are collected.

    ``progress`` is called with the number of rows read after every batch.
    """
    try:
        return _run(path, rules, target, today=today, output=output, strict=strict,
                    progress=progress, **read_overrides)
    except EncodingRetry as exc:  # UTF-8 by its first bytes only: start again, re-judged
        return _run(path, rules, target, today=today, output=output, strict=strict,
                    progress=progress, **{**read_overrides, "encoding": exc.encoding})


def _run(path: str | Path, rules: RuleSet, target: Target, *, today: date | None,
         output: Path | None, strict: bool, progress: Callable[[int], None] | None,
         **read_overrides: object) -> Result:
    path = Path(path)
    today = today or date.today()
    options = read_options(rules, **read_overrides)
    with open_source(path, options, header_scorer(rules)) as source:
        if not source.headers:  # an empty sheet reads fine, but there is nothing to check
            raise InputError(f"sheet {source.sheet!r} has no cells" if source.sheet
                             else "no header row", where=str(path))
        compiled = compile_rules(rules, source)
        plan = plan_target(target, compiled, today=today)
        result = Result(path=path, rules=rules, target=target, source=source)
        writer: AtomicWriter | None = open_writer(output, target) if output else None
        try:
            frames = [*compiled.problems,
                      *_missing_column_problems(plan, compiled, source.sheet)]
            placed = _run_batches(source, compiled, plan, result, frames, writer,
                                  progress)
            frames.extend(utc_warnings(target, compiled))  # known once every row is read
            result.problems = concat_problems([_place(source.problems, placed), *frames])
            if rules.muted:
                _mute(result, rules.muted)
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


def _mute(result: Result, codes: frozenset[str]) -> None:
    """Drop the warnings of muted codes, counting them per code (errors always stay)."""
    hit = pl.col("code").is_in(sorted(codes)) & (pl.col("severity") == Severity.WARNING.value)
    counts = result.problems.filter(hit).group_by("code").len()
    result.muted = dict(counts.sort("code").iter_rows())
    result.problems = result.problems.filter(~hit)


def _place(problems: pl.DataFrame, placed: list[pl.DataFrame]) -> pl.DataFrame:
    """Reader problems that name a source row get that row's output line."""
    if not placed or problems.height == 0:
        return problems
    lines = pl.concat(placed).rename({ROW: "row", LINE: "__l"})
    return (problems.join(lines, on="row", how="left", maintain_order="left")
            .with_columns(pl.coalesce("line", "__l").alias("line")).drop("__l"))


def _kept_columns(plan: TargetPlan, compiled: CompiledRules, written: list[str]
                  ) -> list[str]:
    """Columns the batch loop needs after the lazy stage; the rest is pruned by polars
    (projection pushdown drops parsers of canonical fields the target does not use, and
    output text no writer reads: ``check`` formats only the failing rows' values)."""
    # target fields, and the fields only checked because they feed one (rules' hidden inputs)
    fields = list({f.name: f for f in [*plan.target.fields, *(c.field for c in plan.checks)]
                   }.values())
    shown = {raw(f.source) for f in fields if f.source in compiled.mapped}
    base = [ROW, SEQ, *(value(f.name) for f in fields)]
    base += [c for c in written if c not in base]
    crossed = {c for chk in plan.checks if chk.cross is not None
               for c in (*chk.cross.keys, chk.cross.value) if c is not None}
    return [*base, *sorted((shown | crossed) - set(base) - {LINE}),  # LINE comes later
            *(e.meta.output_name() for e in plan.row_checks)]


#: Batches whose parse-and-check query runs at once, on threads (polars releases the GIL):
#: one batch's serial steps (uniqueness, problems, writing) overlap the next one's query.
IN_FLIGHT = 2

#: Columns the query adds: a row has an error / any problem in a check within the row
#: (cross-row checks and reader problems are added after it, on the main thread).
_BAD, _FLAG = "__bad", "__flag"


def _masks(plan: TargetPlan) -> list[pl.Expr]:
    """``_BAD`` and ``_FLAG`` over the row checks (computed in the query, not after it)."""
    inrow = [c for c in plan.checks if c.cross is None]
    errors = [pl.col(ok(c.index)) for c in inrow if c.severity is Severity.ERROR]
    return [(~pl.all_horizontal(errors) if errors else pl.repeat(False, pl.len())).alias(_BAD),
            (~pl.all_horizontal(pl.col(ok(c.index)) for c in inrow) if inrow
             else pl.repeat(False, pl.len())).alias(_FLAG)]


def _queries(source: Source, compiled: CompiledRules, plan: TargetPlan, kept: list[str]
             ) -> Iterator[tuple[pl.DataFrame, pl.DataFrame]]:
    """(batch, its parsed and checked rows) in file order; ``kept`` columns only."""
    masks = _masks(plan)

    def query(batch: pl.DataFrame) -> pl.DataFrame:
        lf = batch.lazy().filter(~compiled.skip)
        for layer in compiled.layers:
            lf = lf.with_columns(layer)
        if compiled.skip_fields is not None:
            lf = lf.filter(~compiled.skip_fields)
        return (lf.with_columns(plan.values).with_columns(plan.row_checks)  # outputs read
                .with_columns(plan.outputs)  # the checks: a failed one may rewrite the text
                .select(*kept, *masks).collect(engine="in-memory"))

    pending: deque[tuple[pl.DataFrame, Future[pl.DataFrame]]] = deque()
    with ThreadPoolExecutor(IN_FLIGHT, thread_name_prefix="salesfmt-batch") as pool:
        try:
            for batch in source.batches():
                pending.append((batch, pool.submit(query, batch)))
                if len(pending) >= IN_FLIGHT:
                    done, future = pending.popleft()
                    yield done, future.result()
            while pending:
                done, future = pending.popleft()
                yield done, future.result()
        finally:
            for _, future in pending:
                future.cancel()


class _BatchLoop:
    """The serial steps of each checked batch, in order: number its lines, cross-row
    checks, the rows' masks, problems, the report's raw cells, counts and writing."""

    def __init__(self, source: Source, compiled: CompiledRules, plan: TargetPlan,
                 result: Result, frames: list[pl.DataFrame], writer: AtomicWriter | None,
                 kept: list[str]) -> None:
        self.source, self.compiled, self.plan = source, compiled, plan
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


def _run_batches(source: Source, compiled: CompiledRules, plan: TargetPlan, result: Result,
                 frames: list[pl.DataFrame], writer: AtomicWriter | None,
                 progress: Callable[[int], None] | None = None) -> list[pl.DataFrame]:
    """Returns (source row, output line) for the rows the reader reported problems on."""
    reads = writer.columns() if writer is not None else []
    kept = [c for c in _kept_columns(plan, compiled, reads) if c != SEQ]  # numbered later
    day = typed("sold_at")  # kept for the upload file name's date
    if "sold_at" in compiled.mapped and day not in kept:
        kept.append(day)
    loop = _BatchLoop(source, compiled, plan, result, frames, writer, kept)
    for batch, df in _queries(source, compiled, plan, kept):
        loop.step(batch, df)
        if progress is not None:
            progress(result.rows_read)
    return loop.finish()


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
