"""Cross-row checks (unique keys, values consistent within a group), evaluated batch by
batch with only a key → first-occurrence table kept between batches.

Declared by target declarations (``unique:``/``consistent:`` top-level keys, field-level
``unique: true``) and by rule files; both resolve to :class:`CrossRowSpec` over frame columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

from salesfmt._series import constant
from salesfmt.problems import Severity

__all__ = ["CrossRowDecl", "CrossRowSpec", "CrossRowState", "first_line", "first_value", "LINE",
           "SEQ"]

LINE = "__line"
#: Row identity (1 per partner line kept). Equals ``LINE`` for flat targets; for grouped
#: targets several rows share a record's LINE, so first occurrences are found by SEQ.
SEQ = "__seq"


def first_line(index: int) -> str:
    """Frame column: line where check ``index``'s key was first seen."""
    return f"first:{index}"


def first_value(index: int) -> str:
    """Frame column: the value the first line of the group had (consistency checks)."""
    return f"firstval:{index}"


@dataclass(frozen=True)
class CrossRowDecl:
    """A cross-row rule as declared, in the declaring file's names.

    ``unique``: the combination of ``keys`` appears once. ``consistent``: within each group
    of equal ``keys``, every one of ``fields`` has the value of the group's first line.
    """

    kind: Literal["unique", "consistent"]
    keys: tuple[str, ...]
    fields: tuple[str, ...] = ()
    severity: Severity | None = None


@dataclass(frozen=True)
class CrossRowSpec:
    """A cross-row check resolved to frame columns."""

    kind: Literal["unique", "consistent"]
    keys: tuple[str, ...]
    value: str | None = None


class CrossRowState:
    """First occurrences per key, carried across batches (grows with distinct keys only).

    Checks on the same key share one first-occurrence table and one join per batch (a
    grouped target's consistency checks all key on the record id).
    """

    def __init__(self, specs: dict[int, CrossRowSpec]) -> None:
        self.specs = specs
        self.by_keys: dict[tuple[str, ...], list[int]] = {}
        for index, spec in specs.items():
            self.by_keys.setdefault(spec.keys, []).append(index)
        self.seen: dict[tuple[str, ...], pl.DataFrame] = {}

    def apply(self, df: pl.DataFrame, ok_column: str = "ok:{}") -> pl.DataFrame:
        """Add ``ok:i``, ``first:i`` (and ``firstval:i``) for every cross-row check.

        ``first:i`` is the line where the key was first seen; for pure uniqueness checks
        it is filled on failing rows only (the rest never reach a message)."""
        for n, (keys, indexes) in enumerate(self.by_keys.items()):
            if all(self.specs[i].value is None for i in indexes):
                df = self._unique(df, keys, indexes, ok_column)
            else:
                df = self._firsts(df, n, keys, indexes, ok_column)
        return df

    def _unique(self, df: pl.DataFrame, keys: tuple[str, ...], indexes: list[int],
                ok_column: str) -> pl.DataFrame:
        """Uniqueness only: hash membership per row; the first lines are looked up for the
        few duplicates alone. The set is hashed from the batch's keys and the keys of
        earlier batches only probe it (hashing every earlier key again for each batch
        made the check quadratic in the file's length)."""
        cols = list(keys)
        key = pl.col(cols[0]) if len(cols) == 1 else pl.struct(cols)
        present = pl.all_horizontal(pl.col(k).is_not_null() for k in cols)
        seen = self.seen.get(keys)
        narrow = df.select(*cols, LINE)
        old_keys = None
        if seen is not None and seen.height:  # earlier keys met again
            here = narrow.filter(present).select(key.alias("k"))["k"].implode()
            old_keys = seen.filter(key.is_in(here))
        earlier = (key.is_in(old_keys.select(key.alias("k"))["k"].implode())
                   if old_keys is not None and old_keys.height else pl.lit(False))
        # keys distinct within the batch (the usual case) need no first-occurrence pass
        keyed, distinct = narrow.select(present.sum().alias("n"),
                                        key.filter(present).n_unique().alias("u")).row(0)
        first = present if keyed == distinct else present & key.is_first_distinct()
        flags = narrow.select(first.alias("new"), earlier.alias("old"))
        fresh = flags["new"] & ~flags["old"]
        valid = fresh | ~narrow.select(present.alias("p"))["p"]
        firsts = narrow.filter(fresh).select(*cols, pl.col(LINE).alias("fl"))  # kept: key, line
        self.seen[keys] = firsts if seen is None else pl.concat([seen, firsts])
        line = constant(None, df.height, pl.Int64)
        if not valid.all():
            at = (~valid).arg_true()
            bad = narrow[at].select(cols)
            hit = firsts if old_keys is None else pl.concat([old_keys, firsts])
            line = line.scatter(at, bad.join(hit, on=cols, how="left", maintain_order="left",
                                             nulls_equal=False)["fl"])
        out = []
        for index in indexes:
            out += [line.alias(first_line(index)), valid.alias(ok_column.format(index))]
        return df.hstack(out)

    def _firsts(self, df: pl.DataFrame, n: int, keys: tuple[str, ...], indexes: list[int],
                ok_column: str) -> pl.DataFrame:
        """Checks that compare values with the group's first line: join every row to it."""
        fs, fl = f"firstseq:k{n}", f"first:k{n}"
        values = {self.specs[i].value for i in indexes} - {None}
        named = {v: f"firstval:k{n}:{j}" for j, v in enumerate(sorted(values))}
        # rows arrive in __seq order, so a group's first row is its first occurrence
        aggs = [pl.col(SEQ).first().alias(fs), pl.col(LINE).first().alias(fl),
                *[pl.col(v).first().alias(name) for v, name in named.items()]]
        firsts = (df.lazy().filter(pl.all_horizontal(pl.col(k).is_not_null() for k in keys))
                  .group_by(list(keys)).agg(aggs).collect())
        seen = self.seen.get(keys)
        if seen is not None:  # only the earlier groups met again take part in the joins
            key = pl.col(keys[0]) if len(keys) == 1 else pl.struct(list(keys))
            again = seen.filter(key.is_in(firsts.select(key.alias("k"))["k"].implode()))
            new = firsts.join(again, on=list(keys), how="anti")
            self.seen[keys] = pl.concat([seen, new], how="vertical_relaxed")
            firsts = pl.concat([again, new], how="vertical_relaxed")
        else:
            self.seen[keys] = firsts
        # join a narrow frame: the batch's other columns are not copied by the join
        narrow = df.select(list(dict.fromkeys([*keys, SEQ, LINE, *sorted(values)])))
        joined = narrow.join(firsts, on=list(keys), how="left", maintain_order="left",
                             nulls_equal=False)
        same_line = pl.col(fs).is_null() | (pl.col(fs) == pl.col(SEQ))
        cols = []
        for index in indexes:
            spec = self.specs[index]
            cols.append(pl.col(fl).alias(first_line(index)))
            if spec.value is None:
                valid = same_line
            else:
                fv = pl.col(named[spec.value])
                cols.append(fv.alias(first_value(index)))
                valid = same_line | pl.col(spec.value).eq_missing(fv)
            cols.append(valid.alias(ok_column.format(index)))
        return df.hstack(joined.select(cols).get_columns())
