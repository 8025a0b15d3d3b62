"""Keys seen in earlier batches, with what a message needs of their first line.

Membership is probed, never rebuilt: the 64-bit hashes of the keys are kept in sorted
runs (merged as they pile up, like a log-structured tree), and a batch's keys are found by
binary search (``search_sorted``), so a batch costs its own size times log(keys), not the
number of keys seen. Only the hashes stay in memory (8 bytes a key); the keys themselves
and their payload (first line, row) stay in memory up to the budget, then go to parquet
files sorted by hash, of which a lookup reads only the row groups holding a hash it hit.
A hash hit is confirmed on the key values (two keys may share a hash).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from salesfmt._series import constant
from salesfmt.spill import SpillDir

__all__ = ["KeyIndex", "key_hash"]

_H = "__h"
_I = "__i"
_V = "__v"
_SEED = 0x5A1E5F47
#: rows per parquet row group of a spill file: a lookup reads one group per hit
_GROUP = 8192


def key_hash(keys: list[str]) -> pl.Expr:
    """The 64-bit hash of a key (one column or several)."""
    key = pl.col(keys[0]) if len(keys) == 1 else pl.struct(keys)
    return key.hash(_SEED).alias(_H)


class KeyIndex:
    """Distinct keys with a payload per key, added batch by batch; a key's payload may be
    replaced (the newest wins)."""

    def __init__(self, keys: list[str], budget: int, spill: SpillDir) -> None:
        self.keys = keys
        self.budget = budget
        self.spill = spill
        self._runs: list[pl.Series] = []  # sorted hashes, largest first
        self._mem: list[pl.DataFrame] = []  # keys + hash + payload, not spilled yet
        self._mem_size = 0
        self._files: list[Path] = []
        self._schema: pl.Schema | None = None
        self._version = 0  # insert count: the newest payload of a replaced key wins
        self._replaced = False

    def hashes(self, df: pl.DataFrame) -> pl.Series:
        """The key hash of every row of ``df``."""
        return df.select(key_hash(self.keys))[_H]

    def lookup(self, df: pl.DataFrame, h: pl.Series) -> pl.DataFrame | None:
        """The payload of each row's key (null where the key is new), or None when no key
        of ``df`` was seen (the usual case: no row read back)."""
        if not self._runs:
            return None
        order = h.arg_sort()  # sorted probes walk each run's memory in order
        probes = h.gather(order)
        hit = None
        for run in self._runs:
            pos = run.search_sorted(probes, side="left")
            found = run.gather(pos.clip(upper_bound=run.len() - 1)) == probes
            hit = found if hit is None else hit | found
        if not hit.any():
            return None
        hit = constant(False, h.len(), pl.Boolean).scatter(order.filter(hit), True)
        q = df.select(self.keys).with_columns(h.alias(_H), pl.int_range(pl.len(), dtype=pl.UInt32)
                                              .alias(_I)).filter(hit)
        wanted = q[_H].unique().implode()
        parts = [pl.concat(self._mem).filter(pl.col(_H).is_in(wanted))] if self._mem else []
        if self._files:
            parts.append(pl.scan_parquet(self._files).filter(pl.col(_H).is_in(wanted))
                         .collect())
        stored = pl.concat(parts).drop(_H)
        if self._replaced:
            stored = stored.sort(_V).unique(self.keys, keep="last", maintain_order=True)
        stored = stored.drop(_V)
        payload = [c for c in stored.columns if c not in self.keys]
        joined = q.join(stored, on=self.keys, how="inner", nulls_equal=False)
        full = pl.DataFrame({_I: pl.int_range(df.height, dtype=pl.UInt32, eager=True)})
        return full.join(joined.select(_I, *payload), on=_I, how="left",
                         maintain_order="left").drop(_I)

    def insert(self, rows: pl.DataFrame, h: pl.Series, *, replace: bool = False) -> None:
        """Add new keys (``rows``: the key columns and the payload; ``h`` their hashes), or
        with ``replace`` give keys already added a new payload."""
        if rows.height == 0:
            return
        if replace:
            self._replaced = True
        else:
            self._runs.append(h.sort())
            while len(self._runs) > 1 and self._runs[-2].len() <= 2 * self._runs[-1].len():
                last = self._runs.pop()  # two sorted runs merged in one linear pass
                self._runs[-1] = pl.DataFrame({_H: self._runs[-1]}).merge_sorted(
                    pl.DataFrame({_H: last}), key=_H)[_H]
        if self._schema is None:
            self._schema = rows.schema
        elif rows.schema != self._schema:
            rows = rows.cast(dict(self._schema))
        self._version += 1
        frame = rows.with_columns(h.alias(_H), pl.lit(self._version, pl.Int64).alias(_V))
        self._mem.append(frame)
        self._mem_size += frame.estimated_size()
        if self._mem_size > self.budget:
            self._spill()

    def _spill(self) -> None:
        """The keys and payloads kept in memory go to one parquet file, sorted by hash."""
        path = self.spill.file("keys")
        pl.concat(self._mem).sort(_H).write_parquet(
            path, compression="uncompressed", statistics=True, row_group_size=_GROUP)
        self._files.append(path)
        self._mem, self._mem_size = [], 0
