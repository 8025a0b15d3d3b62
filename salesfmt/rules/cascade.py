"""How a parser runs over a column: a fast polars expression over every cell, Python steps
only over the cells it left unparsed, and costly parses once per distinct value where a
column repeats (CONTRIBUTING.md, principle 1)."""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from salesfmt._series import fields, where

__all__ = ["Step", "cascade", "per_value", "repeats", "on"]

Step = Callable[[pl.Series], pl.Series]


def on(series: pl.Series, expr: Callable[[pl.Expr], pl.Expr]) -> pl.Series:
    """Apply an expression builder to a Series (vectorised, no Python per row)."""
    return series.to_frame("v").select(expr(pl.col("v"))).to_series()


#: Cells sampled to judge whether a column's values repeat (see :func:`repeats`).
_SAMPLE = 4096


def repeats(s: pl.Series) -> bool:
    """True when fewer than a third of the cells are distinct values, judged from a
    seeded random sample: c collisions among m sampled cells suggest m²/2c distinct."""
    if len(s) < 4 * _SAMPLE:
        return False
    sample = s.sample(_SAMPLE, seed=0)
    collisions = len(sample) - sample.n_unique()
    return 2 * collisions * len(s) > 3 * len(sample) ** 2


def per_value(s: pl.Series, step: Step) -> pl.Series:
    """``step`` over a column; where values repeat (amounts, quantities, dates, accented
    product names) each distinct value goes through it once and the cells look their
    result up: the same result, for a hash and a lookup per cell instead of a parse."""
    if not repeats(s):
        return step(s)
    distinct = s.unique().drop_nulls()
    parsed = step(distinct)
    return s.replace_strict(distinct, parsed, default=None, return_dtype=parsed.dtype)


def cascade(raw: pl.Expr, fast: Callable[[pl.Expr], pl.Expr], slow: list[Step],
             dtype: pl.DataType, finish: Step | None = None,
             out_dtype: pl.DataType | None = None, keep: Step | None = None,
             by_value: bool = False) -> pl.Expr:
    """``fast`` over the whole column; the ``slow`` steps, in order, only over the cells
    it left unparsed; then ``finish``.

    Same result as ``finish(coalesce(fast, slow1, slow2, …))``, but a clean column costs
    one native pass and Python only sees the cells that need the full, locale-aware
    parse. ``fast`` runs as a polars expression over the column: outside the UDF
    (parallel, no GIL), or with ``by_value`` inside it, once per distinct value where
    the column repeats (costly parses). All in one UDF: polars does not share a UDF's
    result between uses, so nothing here is referenced twice.
    """
    if not slow and finish is None and not by_value:
        return fast(raw).cast(dtype)

    def run(out: pl.Series, s: pl.Series) -> pl.Series:
        if keep is not None:  # the fast result's own validity, as a Series step (no re-parse)
            out = keep(out)
        # a null cell never parses: more nulls out than in means cells left to parse
        if slow and out.null_count() > s.null_count():
            idx = where(out.is_null() & s.is_not_null())
            sub = s.gather(idx)
            got = slow[0](sub).cast(dtype)
            for step in slow[1:]:
                if not got.null_count():
                    break
                at = where(got.is_null())
                got = got.scatter(at, step(sub.gather(at)).cast(dtype))
            out = out.scatter(idx, got)
        return finish(out) if finish is not None else out

    if by_value:
        parse: Step = lambda s: on(s, lambda v: fast(v).cast(dtype))  # noqa: E731
        return raw.map_batches(lambda s: run(per_value(s, parse), s),
                               return_dtype=out_dtype or dtype, is_elementwise=False)
    return pl.struct(fast(raw).cast(dtype).alias("f"), raw.alias("r")).map_batches(
        lambda both: run(*fields(both)), return_dtype=out_dtype or dtype,
        is_elementwise=False)

