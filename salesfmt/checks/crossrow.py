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
from salesfmt.checks import Context, register
from salesfmt.columns import LINE, ROW, SEQ, ok
from salesfmt.problems import Severity

__all__ = ["CrossRowDecl", "CrossRowSpec", "CrossRowState", "first_line", "first_row", "ROW",
           "first_value", "LINE", "SEQ"]



def first_line(index: int) -> str:
    """Frame column: line where check ``index``'s key was first seen."""
    return f"first:{index}"


def first_row(index: int) -> str:
    """Frame column: the partner row where check ``index``'s key (or value) was first seen."""
    return f"firstrow:{index}"


def first_value(index: int) -> str:
    """Frame column: the value the first line of the group had (consistency checks)."""
    return f"firstval:{index}"


@dataclass(frozen=True)
class CrossRowDecl:
    """A cross-row rule as declared, in the declaring file's names.

    ``unique``: the combination of ``keys`` appears once. ``consistent``: within each group
    of equal ``keys``, every one of ``fields`` has the value of the group's first line.
    ``first``: as consistent, but the first line's value is taken and each group that has
    lines differing gets one warning counting them.
    """

    kind: Literal["unique", "consistent", "first"]
    keys: tuple[str, ...]
    fields: tuple[str, ...] = ()
    severity: Severity | None = None


@dataclass(frozen=True)
class CrossRowSpec:
    """A cross-row check resolved to frame columns. ``known`` (a boolean column) marks
    the rows whose value is known: a row whose value failed to parse is neither compared
    nor taken as its group's first (its parse error is the one message)."""

    kind: Literal["unique", "consistent", "first"]
    keys: tuple[str, ...]
    value: str | None = None
    known: str | None = None


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

    def apply(self, df: pl.DataFrame, ok_column: str = ok("{}")) -> pl.DataFrame:
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
        narrow = df.select(*cols, LINE, ROW)
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
        firsts = narrow.filter(fresh).select(  # kept: key, line, row
            *cols, pl.col(LINE).alias("fl"), pl.col(ROW).cast(pl.Int32).alias("fr"))
        self.seen[keys] = firsts if seen is None else pl.concat([seen, firsts])
        line = constant(None, df.height, pl.Int64)
        row = constant(None, df.height, pl.Int32)
        if not valid.all():
            at = (~valid).arg_true()
            bad = narrow[at].select(cols)
            hit = firsts if old_keys is None else pl.concat([old_keys, firsts])
            found = bad.join(hit, on=cols, how="left", maintain_order="left", nulls_equal=False)
            line, row = line.scatter(at, found["fl"]), row.scatter(at, found["fr"])
        out = []
        for index in indexes:
            out += [line.alias(first_line(index)), row.alias(first_row(index)),
                    valid.alias(ok_column.format(index))]
        return df.hstack(out)

    def _firsts(self, df: pl.DataFrame, n: int, keys: tuple[str, ...], indexes: list[int],
                ok_column: str) -> pl.DataFrame:
        """Checks that compare values with the group's first line: join every row to it.

        Per compared value (and its ``known`` mask) the table keeps the first known row's
        sequence number, line, row and value; a group whose rows were all unknown so far
        takes them from a later batch."""
        uses = sorted({(self.specs[i].value, self.specs[i].known) for i in indexes
                       if self.specs[i].value is not None}, key=str)
        named = {use: f"k{n}:{j}" for j, use in enumerate(uses)}
        seq_of = {use: f"firstseq:{p}" for use, p in named.items()}
        firsts = self._batch_firsts(df, n, keys, named)
        seen = self.seen.get(keys)
        if seen is not None:  # only the earlier groups met again take part in the joins
            key = pl.col(keys[0]) if len(keys) == 1 else pl.struct(list(keys))
            again = seen.filter(key.is_in(firsts.select(key.alias("k"))["k"].implode()))
            new = firsts.join(again, on=list(keys), how="anti")
            open_ = pl.any_horizontal(pl.col(c).is_null() for c in seq_of.values()) \
                if seq_of else pl.lit(False)
            if again.height and again.select(open_.any()).item():  # first known rows now
                again = self._fill(again, firsts, keys, named)
                seen = pl.concat([seen.join(again, on=list(keys), how="anti"), again],
                                 how="vertical_relaxed")
            self.seen[keys] = pl.concat([seen, new], how="vertical_relaxed")
            firsts = pl.concat([again, new], how="vertical_relaxed")
        else:
            self.seen[keys] = firsts
        # join a narrow frame: the batch's other columns are not copied by the join, and
        # the first line and row (for messages only) are looked up for failing rows alone
        wanted = [*keys, SEQ, *sorted({c for use in uses for c in use if c})]
        narrow = df.select(list(dict.fromkeys(wanted)))
        ps = {f"k{n}" if self.specs[i].value is None
              else named[(self.specs[i].value, self.specs[i].known)] for i in indexes}
        slim = firsts.select(*keys, *[f"firstseq:{p}" for p in sorted(ps)],
                             *[f"fv:{p}" for p in sorted(ps) if p != f"k{n}"])
        joined = narrow.join(slim, on=list(keys), how="left", maintain_order="left",
                             nulls_equal=False)
        cols, where = [], {}
        for index in indexes:
            spec = self.specs[index]
            if spec.value is None:
                p = f"k{n}"
                valid = pl.col(f"firstseq:{p}").is_null() | (pl.col(f"firstseq:{p}") == pl.col(SEQ))
            else:
                p = named[(spec.value, spec.known)]
                fs, fv = pl.col(f"firstseq:{p}"), pl.col(f"fv:{p}")
                cols.append(fv.alias(first_value(index)))
                valid = fs.is_null() | (fs == pl.col(SEQ)) | pl.col(spec.value).eq_missing(fv)
                if spec.known is not None:
                    valid = valid | ~pl.col(spec.known).fill_null(False)
            cols.append(valid.alias(ok_column.format(index)))
            where[index] = p
        checked = joined.select(cols)
        failing = ~pl.all_horizontal(pl.col(ok_column.format(i)) for i in indexes)
        at = checked.select(failing.alias("f"))["f"].arg_true()
        lookup = narrow.select(keys)[at].join(
            firsts.select(*keys, *[pl.col(f"{c}:{p}") for p in sorted(ps) for c in ("fl", "fr")]),
            on=list(keys), how="left", maintain_order="left", nulls_equal=False)
        out = checked.get_columns()
        for index, p in where.items():
            line = constant(None, df.height, pl.Int64).scatter(at, lookup[f"fl:{p}"])
            row = constant(None, df.height, pl.Int32).scatter(at, lookup[f"fr:{p}"])
            out += [line.alias(first_line(index)), row.alias(first_row(index))]
        return df.hstack(out)

    @staticmethod
    def _batch_firsts(df: pl.DataFrame, n: int, keys: tuple[str, ...],
                      named: dict[tuple[str | None, str | None], str]) -> pl.DataFrame:
        """The batch's first row per group (sequence number, line, row) and, per compared
        value, the first *known* row and its value. Rows arrive in __seq order, so a group's
        first row is its first occurrence. Most groups' first row is known: the plain
        first is taken for all, and only the few groups with an unknown row are redone."""
        group = [pl.col(SEQ).first().alias(f"firstseq:k{n}"),
                 pl.col(LINE).first().alias(f"fl:k{n}"),
                 pl.col(ROW).first().cast(pl.Int32).alias(f"fr:k{n}")]

        def per_use() -> list[pl.Expr]:
            out = []
            for (v, mask), p in named.items():
                def pick(c: str, mask: str | None = mask) -> pl.Expr:
                    return pl.col(c).filter(pl.col(mask)) if mask else pl.col(c)
                out += [pick(SEQ).first().alias(f"firstseq:{p}"),
                        pick(LINE).first().alias(f"fl:{p}"),
                        pick(ROW).first().cast(pl.Int32).alias(f"fr:{p}"),
                        pick(v).first().alias(f"fv:{p}")]
            return out

        keyed = df.lazy().filter(pl.all_horizontal(pl.col(k).is_not_null() for k in keys))
        # a group's first row stands for every value's first known row: aliases, no aggs
        plain = keyed.group_by(list(keys)).agg(
            group + [pl.col(v).first().alias(f"fv:{p}") for (v, _), p in named.items()]
        ).with_columns(pl.col(f"{c}:k{n}").alias(f"{c}:{p}") for p in named.values()
                       for c in ("firstseq", "fl", "fr")).select(
            *keys, *[c.meta.output_name() for c in group],
            *[f"{c}:{p}" for p in named.values() for c in ("firstseq", "fl", "fr", "fv")])
        masks = [m for _, m in named if m is not None]
        if not masks:
            return plain.collect()
        unknown = ~pl.all_horizontal(pl.col(m).fill_null(False) for m in masks)
        odd = keyed.filter(unknown).select(list(keys)).unique().collect()
        if not odd.height:
            return plain.collect()
        redone = keyed.join(odd.lazy(), on=list(keys), how="semi") \
            .group_by(list(keys)).agg(group + per_use())
        return pl.concat([plain.join(odd.lazy(), on=list(keys), how="anti"), redone],
                         how="vertical_relaxed").collect()

    @staticmethod
    def _fill(again: pl.DataFrame, firsts: pl.DataFrame, keys: tuple[str, ...],
              named: dict[tuple[str | None, str | None], str]) -> pl.DataFrame:
        """Groups met again whose values had no known row yet take this batch's first."""
        later = firsts.select(*keys, *[pl.col(f"{c}:{p}").alias(f"{c}:{p}:new")
                                       for p in named.values()
                                       for c in ("firstseq", "fl", "fr", "fv")])
        joined = again.join(later, on=list(keys), how="left", maintain_order="left")
        fixes = []
        for p in named.values():
            empty = pl.col(f"firstseq:{p}").is_null()
            fixes += [pl.when(empty).then(pl.col(f"{c}:{p}:new")).otherwise(pl.col(f"{c}:{p}"))
                      .alias(f"{c}:{p}") for c in ("firstseq", "fl", "fr", "fv")]
        return joined.with_columns(fixes).select(again.columns)


@register("record_differs",
          "{column} '{value}' differs from the first line of this {record} "
          "(row {first_row}: '{first_value}'); all lines of one {group} must agree",
          context=Context.LINES)
def record_differs(value: pl.Expr, raw: pl.Expr) -> pl.Expr:
    """The target sends this field once per record (a sale, a transaction), and it is an
    id: every line of the record must give the first line's value. Different values
    usually mean two records share one id (a receipt number reused in another store):
    give them their own ids, or correct the line."""
    return pl.lit(True)


@register("first_line_value",
          "{column} differs on {count} line(s) of this {record}, first on row {row} "
          "('{value}'); the {record} is sent with its first line's {column} '{first_value}' "
          "(row {first_row})",
          severity=Severity.WARNING, context=Context.LINES)
def first_line_value(value: pl.Expr, raw: pl.Expr) -> pl.Expr:
    """The target sends this field once per record (a sale, a transaction) and the lines of
    one record give different values, such as each receipt line's own scan time. The record
    is sent with its first line's value; one warning per record counts the other lines.
    If the first line's value is not the one meant, put that line first."""
    return pl.lit(True)
