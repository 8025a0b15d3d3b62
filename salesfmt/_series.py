"""Cheap eager steps for the Python steps that run inside queries (one call per batch).

Several eager Series methods of polars 2.x run a whole query per call (``fill_null``,
``arg_true``, ``pl.repeat(eager=True)``, ``struct.field``, ``zip_with``: about 0.2 ms
each, measured), so a Python step built from them cost more per batch than its work on a
clean column. These helpers use the direct kernels (a few µs); the steps test with
``any()``, which skips nulls, instead of filling them first.
"""

from __future__ import annotations

from typing import Any

import polars as pl

__all__ = ["constant", "where", "nulled", "fields"]


def constant(value: Any, length: int, dtype: pl.DataType) -> pl.Series:
    """``length`` copies of ``value``."""
    return pl.Series([value], dtype=dtype).new_from_index(0, length)


def where(mask: pl.Series) -> pl.Series:
    """Positions where ``mask`` is true (null counts as false)."""
    return pl.arg_where(mask, eager=True)


def nulled(s: pl.Series, mask: pl.Series) -> pl.Series:
    """``s`` with null where ``mask`` is true (``s`` itself when it is nowhere)."""
    return s.scatter(where(mask), None) if mask.any() else s


def fields(struct: pl.Series) -> list[pl.Series]:
    """The fields of a struct Series, in order."""
    return struct.struct.unnest().get_columns()
