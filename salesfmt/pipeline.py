"""The pipeline: read → rules → target → problems, batch by batch, all in polars expressions.

Batches bound memory; cross-row checks (uniqueness) keep only a key → first-line table.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import date
from pathlib import Path

import polars as pl

from salesfmt.batchsteps import RAW_ROWS, BatchLoop, batch_masks
from salesfmt.checks import render_message
from salesfmt.columns import LINE, ROW, SEQ, raw, typed, value
from salesfmt.errors import InputError
from salesfmt.problems import ProblemRows, Severity, concat_problems, file_problem
from salesfmt.readers import Source, open_source
from salesfmt.readers._encoding import EncodingRetry
from salesfmt.result import Result
from salesfmt.rules import CompiledRules, RuleSet, compile_rules, header_scorer, read_options
from salesfmt.rules.totals import ControlTotals
from salesfmt.targets import Target, TargetPlan, plan_target
from salesfmt.targets.serializers import AtomicWriter, open_writer
from salesfmt.targets.times import utc_warnings

__all__ = ["Result", "run", "read_options", "RAW_ROWS"]


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
        totals = ControlTotals.plan(rules, source.headers, source.column_letters, compiled)
        if totals is not None and totals.row is not None:  # the totals row is no line
            compiled.skip = compiled.skip | totals.row
        plan = plan_target(target, compiled, today=today)
        result = Result(path=path, rules=rules, target=target, source=source)
        writer: AtomicWriter | None = open_writer(output, target) if output else None
        try:
            frames = ProblemRows([*compiled.problems,  # spilled past the memory budget
                                  *_missing_column_problems(plan, compiled, source.sheet)])
            placed = _run_batches(source, compiled, plan, result, frames, writer,
                                  progress, totals)
            if totals is not None:
                frames.extend(totals.problems(source.sheet, rules.severity))
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

def _queries(source: Source, compiled: CompiledRules, plan: TargetPlan, kept: list[str]
             ) -> Iterator[tuple[pl.DataFrame, pl.DataFrame]]:
    """(batch, its parsed and checked rows) in file order; ``kept`` columns only."""
    masks = batch_masks(plan)

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


def _run_batches(source: Source, compiled: CompiledRules, plan: TargetPlan, result: Result,
                 frames: ProblemRows, writer: AtomicWriter | None,
                 progress: Callable[[int], None] | None = None,
                 totals: ControlTotals | None = None) -> list[pl.DataFrame]:
    """Returns (source row, output line) for the rows the reader reported problems on."""
    reads = writer.columns() if writer is not None else []
    kept = [c for c in _kept_columns(plan, compiled, reads) if c != SEQ]  # numbered later
    day = typed("sold_at")  # kept for the upload file name's date
    if "sold_at" in compiled.mapped and day not in kept:
        kept.append(day)
    kept += [c for c in (totals.columns() if totals is not None else []) if c not in kept]
    loop = BatchLoop(source, compiled, plan, result, frames, writer, kept, totals)
    for batch, df in _queries(source, compiled, plan, kept):
        loop.step(batch, df)
        if progress is not None:
            progress(result.rows_read)
    return loop.finish()


