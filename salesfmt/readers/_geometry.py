"""Where each CSV record starts and how many cells it has, from one vectorised pass.

polars' CSV parser pads short rows and truncates long ones without saying so. To report
ragged rows, the file is also read as plain lines: a quote count parity tells which lines
continue a quoted value, and delimiters outside quotes give each record's cell count. The
result (one small row per record) also gives exact physical line numbers, blank lines and
quoted newlines included.
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

__all__ = ["record_geometry"]

#: Lines are read whole: a separator that (practically) never occurs in text.
_NO_SEPARATOR = "\x1f"


def record_geometry(path: Path, delimiter: str, quote: str | None) -> pl.DataFrame:
    """Per record (0-based ``rec``): first physical ``line``, ``lines`` spanned, ``cells``,
    and ``blank`` (a single line of nothing but whitespace)."""
    text = pl.col("l").fill_null("")
    if quote:
        q = re.escape(quote)
        count = text.str.count_matches(quote, literal=True)
        inside = ((count.cum_sum() - count) % 2) == 1        # line starts inside quotes
        tail = pl.when(inside).then(text.str.replace(f"^[^{q}]*(?:{q}|$)", "")).otherwise(text)
        outside = tail.str.replace_all(f"{q}[^{q}]*(?:{q}|$)", "")  # quoted parts removed
    else:
        inside, outside = pl.lit(False), text
    lines = pl.scan_csv(path, has_header=False, separator=_NO_SEPARATOR, quote_char=None,
                        schema={"l": pl.String}, truncate_ragged_lines=True,
                        empty_string_is_null=False, raise_if_empty=False)
    per_line = lines.select(
        (pl.int_range(pl.len(), dtype=pl.Int64) + 1).alias("line"),
        (~inside).alias("start"),
        outside.str.count_matches(delimiter, literal=True).cast(pl.Int64).alias("delims"),
        (text.str.strip_chars() == "").alias("blank"),
    ).with_columns(pl.col("delims").cum_sum().alias("upto")).collect(engine="streaming")
    total_lines, total_delims = per_line.height, int(per_line["delims"].sum() or 0)
    starts = per_line.filter(pl.col("start"))
    before = pl.col("upto") - pl.col("delims")
    return starts.select(
        pl.int_range(pl.len(), dtype=pl.Int64).alias("rec"),
        pl.col("line"),
        (pl.col("line").shift(-1, fill_value=total_lines + 1) - pl.col("line")).alias("lines"),
        (before.shift(-1, fill_value=total_delims) - before + 1).alias("cells"),
        pl.col("blank"),
    ).with_columns(pl.col("blank") & (pl.col("lines") == 1))
