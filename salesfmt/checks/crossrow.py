"""Cross-row checks (unique keys, values consistent within a group), evaluated batch by
batch with only a key → first-occurrence table kept between batches.

Declared by target declarations (``unique:``/``consistent:`` top-level keys, field-level
``unique: true``) and by rule files; both resolve to :class:`CrossRowSpec` over frame columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import polars as pl

from salesfmt.problems import Severity

__all__ = ["CrossRowDecl", "CrossRowSpec", "CrossRowState", "first_line", "first_value"]

LINE = "__line"


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
    """First occurrences per check, carried across batches (grows with distinct keys only)."""

    def __init__(self, specs: dict[int, CrossRowSpec]) -> None:
        self.specs = specs
        self.seen: dict[int, pl.DataFrame] = {}

    def apply(self, df: pl.DataFrame, ok_column: str = "ok:{}") -> pl.DataFrame:
        """Add ``ok:i``, ``first:i`` (and ``firstval:i``) for every cross-row check."""
        for index, spec in self.specs.items():
            keys = list(spec.keys)
            fl, fv = first_line(index), first_value(index)
            aggs = [pl.col(LINE).min().alias(fl)]
            if spec.value is not None:
                aggs.append(pl.col(spec.value).sort_by(LINE).first().alias(fv))
            firsts = (df.lazy().filter(pl.all_horizontal(pl.col(k).is_not_null() for k in keys))
                      .group_by(keys).agg(aggs).collect())
            seen = self.seen.get(index)
            if seen is not None:
                firsts = pl.concat([seen, firsts.join(seen, on=keys, how="anti")],
                                   how="vertical_relaxed")
            self.seen[index] = firsts
            # join a narrow frame: the batch's other columns are not copied by the join
            narrow = df.select(list(dict.fromkeys([*keys, LINE, *([spec.value] if spec.value else [])])))
            joined = narrow.join(firsts, on=keys, how="left", maintain_order="left",
                                 nulls_equal=False)
            same_line = pl.col(fl).is_null() | (pl.col(fl) == pl.col(LINE))
            if spec.value is None:
                valid = same_line
            else:
                valid = same_line | pl.col(spec.value).eq_missing(pl.col(fv))
            added = joined.select(*aggs_names(fl, fv, spec), valid.alias(ok_column.format(index)))
            df = df.hstack(added.get_columns())
        return df


def aggs_names(fl: str, fv: str, spec: CrossRowSpec) -> list[str]:
    """The first-occurrence columns a check adds to the batch."""
    return [fl, fv] if spec.value is not None else [fl]
