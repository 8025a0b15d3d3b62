"""Output lines of records (SPEC §3): which output line each partner line ends up on.

Flat targets: one record per partner line, the n-th line kept is output line n + 1 (the
header is line 1). Grouped targets (``group:`` in the declaration — a Wallie sale, a
Thalamus transaction): all lines sharing the group key form one record, and records are
numbered the same way in the order their first line appears in the partner file. Lines
with an empty key are a record each. A record is sent (or rejected) as a whole: a good line
whose record has an error is counted as rejected with it.

State kept across batches: key → record line, the lines of records with an error, and the
(line, row) of every good line (two 32-bit integers a line) to list those rejected with
their record.
"""

from __future__ import annotations

import polars as pl

from salesfmt.checks.crossrow import first_row, first_value
from salesfmt.columns import LINE, ROW, SEQ, ok, value
from salesfmt.rules.compiler import CompiledRules
from salesfmt.targets.spec import Target
from salesfmt.targets.validate import CheckInstance, message_expr, value_expr

__all__ = ["RecordLines", "RecordWarnings"]

_NEW = "__rec_new"
_START = "__rec_start"
_NULLKEY = "__rec_nullkey"


class RecordLines:
    """Assigns ``__line`` from ``__seq`` (and the group key) batch by batch."""

    def __init__(self, target: Target) -> None:
        group = target.group
        self.keys = [value(k) for k in group.by] if group else []
        self.seen: pl.DataFrame | None = None
        self.next = 2
        self._bad: list[pl.DataFrame] = []
        self._good: list[pl.DataFrame] = []

    def assign(self, df: pl.DataFrame) -> pl.DataFrame:
        """Add ``__line``: the output line of each row's record."""
        if not self.keys:
            return df.with_columns(pl.col(SEQ).alias(LINE))
        keys = self.keys
        narrow = df.select(*keys, SEQ)  # work on the keys only, attach LINE at the end
        if self.seen is not None:
            narrow = narrow.join(self.seen, on=keys, how="left", maintain_order="left",
                                 nulls_equal=False)
        else:
            narrow = narrow.with_columns(pl.lit(None, dtype=pl.Int64).alias(LINE))
        narrow = self._number(narrow)
        return df.with_columns(narrow[LINE])

    def _number(self, df: pl.DataFrame) -> pl.DataFrame:
        keys = self.keys
        nullkey = pl.any_horizontal([pl.col(k).is_null() for k in keys])
        df = df.with_columns(nullkey.alias(_NULLKEY))
        start = pl.col(LINE).is_null() & (
            pl.col(_NULLKEY) | (pl.col(SEQ) == pl.col(SEQ).min().over(keys)))
        df = df.with_columns(start.alias(_START))
        df = df.with_columns(
            pl.when(pl.col(_START))
            .then(pl.col(_START).cast(pl.Int64).cum_sum() + (self.next - 1)).alias(_NEW))
        df = df.with_columns(pl.coalesce(
            pl.col(LINE),
            pl.when(~pl.col(_NULLKEY)).then(pl.col(_NEW).max().over(keys)),
            pl.col(_NEW)).alias(LINE))
        self.next += int(df[_START].sum())
        new = df.filter(pl.col(_START) & ~pl.col(_NULLKEY)).select([*keys, LINE])
        self.seen = new if self.seen is None else pl.concat([self.seen, new])
        return df

    def track(self, df: pl.DataFrame, bad: pl.Series) -> pl.Series | None:
        """Remember which records have a bad line; the record lines rejected in this batch."""
        if not self.keys:
            return None
        lines = df.select(LINE, pl.col(ROW).cast(pl.Int32))
        rejected = lines.filter(bad).select(LINE).unique()
        self._bad.append(rejected)
        self._good.append(lines.filter(~bad).with_columns(pl.col(LINE).cast(pl.Int32)))
        return rejected[LINE]

    def good_lines_rejected(self) -> pl.DataFrame:
        """Good partner lines whose record was rejected for another line's error:
        ``row`` and ``line`` (their record's), in the partner's row order."""
        if not self._bad:
            return pl.DataFrame(schema={"row": pl.Int64, "line": pl.Int64})
        bad = pl.concat(self._bad).unique().with_columns(pl.col(LINE).cast(pl.Int32))
        good = pl.concat(self._good).join(bad, on=LINE, how="semi")
        return good.select(pl.col(ROW).cast(pl.Int64).alias("row"),
                           pl.col(LINE).cast(pl.Int64).alias("line")).sort("row")

    def rejected_so_far(self, df: pl.DataFrame, bad: pl.Series) -> pl.Series:
        """Rows of ``df``'s good lines whose record is known to be rejected already."""
        if not self.keys or not self._bad:
            return pl.Series(ROW, [], dtype=pl.Int64)
        known = pl.concat(self._bad)[LINE].implode()
        return df.filter(~bad & pl.col(LINE).is_in(known))[ROW]


class RecordWarnings:
    """One warning per record and field whose lines differ from the first line's value
    (a grouped target's ``first:`` record fields), the lines counted across batches."""

    def __init__(self, checks: list[CheckInstance], compiled: CompiledRules) -> None:
        self.checks = [c for c in checks if c.cross is not None and c.cross.kind == "first"]
        self.compiled = compiled
        self._parts: dict[int, list[pl.DataFrame]] = {c.index: [] for c in self.checks}

    def add(self, df: pl.DataFrame) -> None:
        """Count this batch's differing lines per record (rows arrive in file order)."""
        for inst in self.checks:
            bad = ~pl.col(ok(inst.index))
            if not df.select(bad.any()).item():
                continue
            self._parts[inst.index].append(
                df.lazy().filter(bad).group_by(LINE, maintain_order=True).agg(
                    pl.len().alias("n"), pl.col(ROW).first().alias("row"),
                    value_expr(inst, self.compiled).first().alias("value"),
                    pl.col(first_value(inst.index)).first().cast(pl.String).alias("fv"),
                    pl.col(first_row(inst.index)).first().cast(pl.Int64).alias("fr"))
                .collect(engine="in-memory"))

    def problems(self, sheet: str | None) -> list[pl.DataFrame]:
        """The warnings, one per record and field."""
        out = []
        for inst in self.checks:
            parts = self._parts[inst.index]
            if not parts:
                continue
            per_record = pl.concat(parts).group_by(LINE, maintain_order=True).agg(
                pl.col("n").sum(), pl.all().exclude("n").first())
            value = pl.col("value")
            out.append(per_record.select(
                pl.col(LINE).cast(pl.Int64).alias("line"),
                pl.lit(sheet, dtype=pl.String).alias("sheet"),
                pl.col("row").cast(pl.Int64),
                pl.lit(inst.letter, dtype=pl.String).alias("column"),
                pl.lit(inst.header, dtype=pl.String).alias("header"),
                pl.lit(inst.field.name).alias("field"),
                pl.lit(inst.code).alias("code"),
                pl.lit(inst.severity.value).alias("severity"),
                message_expr(inst, value, {"count": pl.col("n"), "row": pl.col("row"),
                                           "first_value": pl.col("fv"),
                                           "first_row": pl.col("fr")}).alias("message"),
                value,
                pl.lit(inst.order, dtype=pl.Int64).alias("order")))
        return out
