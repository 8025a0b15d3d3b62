"""Output lines of records (SPEC §3): which output line each partner line ends up on.

Flat targets: one record per partner line, the n-th line kept is output line n + 1 (the
header is line 1). Grouped targets (``group:`` in the declaration — a Wallie sale, a
Thalamus transaction): all lines sharing the group key form one record, and records are
numbered the same way in the order their first line appears in the partner file. Lines
with an empty key are a record each. A record is sent (or rejected) as a whole: a good line
whose record has an error is counted as rejected with it.

State kept across batches: key → record line, and per record the number of good lines.
"""

from __future__ import annotations

import polars as pl

from salesfmt.checks.crossrow import LINE, SEQ
from salesfmt.targets.spec import Target
from salesfmt.targets.validate import value

__all__ = ["RecordLines"]

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

    @property
    def grouped(self) -> bool:
        """True when lines are grouped into records."""
        return bool(self.keys)

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
        lines = df.select(LINE)
        rejected = lines.filter(bad).unique()
        self._bad.append(rejected)
        self._good.append(lines.filter(~bad).group_by(LINE).len())
        return rejected[LINE]

    def good_lines_rejected(self) -> int:
        """Good partner lines whose record was rejected for another line's error."""
        if not self._bad:
            return 0
        bad = pl.concat(self._bad).unique()
        good = pl.concat(self._good)
        return int(good.join(bad, on=LINE, how="semi")["len"].sum() or 0)
