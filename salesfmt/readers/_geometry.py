"""Where each CSV record starts and how many cells it has, from one vectorised pass.

polars' CSV parser pads short rows and truncates long ones without saying so. To report
ragged rows, the file is also read as plain lines: a quote count parity tells which lines
continue a quoted value, and delimiters outside quotes give each record's cell count. The
result (one small row per record) also gives exact physical line numbers, blank lines and
quoted newlines included.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

__all__ = ["record_geometry"]

#: Lines are read whole: a separator that (practically) never occurs in text.
_NO_SEPARATOR = "\x1f"


def record_geometry(path: Path, delimiter: str, quote: str | None) -> pl.DataFrame:
    """Per record (0-based ``rec``): first physical ``line``, ``lines`` spanned, ``cells``,
    and ``blank`` (nothing but whitespace)."""
    text = pl.col("l").fill_null("")
    if quote:
        q = text.str.count_matches(quote, literal=True)
        inside = ((q.cum_sum() - q) % 2) == 1
        parts = text.str.split(quote)
        even = parts.list.gather_every(2, 0).list.join("").str.count_matches(
            delimiter, literal=True)
        odd = parts.list.gather_every(2, 1).list.join("").str.count_matches(
            delimiter, literal=True)
        outside = pl.when(inside).then(odd).otherwise(even)
    else:
        inside = pl.lit(False)
        outside = text.str.count_matches(delimiter, literal=True)
    lines = pl.scan_csv(path, has_header=False, separator=_NO_SEPARATOR, quote_char=None,
                        schema={"l": pl.String}, truncate_ragged_lines=True,
                        empty_string_is_null=False, raise_if_empty=False)
    return (
        lines.select(
            (pl.int_range(pl.len(), dtype=pl.Int64) + 1).alias("line"),
            ((~inside).cum_sum() - 1).cast(pl.Int64).alias("rec"),
            outside.cast(pl.Int64).alias("delims"),
            (text.str.strip_chars() == "").alias("blank"),
        )
        .group_by("rec", maintain_order=True)
        .agg(pl.col("line").min(), pl.len().cast(pl.Int64).alias("lines"),
             (pl.col("delims").sum() + 1).alias("cells"), pl.col("blank").all())
        .collect(engine="streaming")
    )
