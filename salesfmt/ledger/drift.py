"""A delivery's profile (columns, number and date style, encoding, volume, unmapped values)
and what changed against the partner's previous one.

The profile is taken in the worker: the header and encoding from the reader, the number
and date style from the first :data:`SAMPLE` rows (vectorised patterns over every column),
the row count from the run, the amount total from the converted output, and unmapped
values from the problem table and the sample.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import polars as pl

from salesfmt.columns import ROW
from salesfmt.readers import open_source
from salesfmt.result import Result
from salesfmt.rules import header_scorer, read_options
from salesfmt.rules.headers import normalize_header

__all__ = ["profile", "drift", "SAMPLE", "CHANGE"]

SAMPLE = 500
#: A row count or amount total that moved by more than this share is flagged.
CHANGE = 0.5

_COMMA = r"^[-+]?\D{0,3}\s?\d{1,3}(?:[. ]?\d{3})*,\d{1,2}\s?\D{0,3}$"
_DOT = r"^[-+]?\D{0,3}\s?\d{1,3}(?:[, ]?\d{3})*\.\d{1,2}\s?\D{0,3}$"
_DMY = r"^(\d{1,2})[-/.](\d{1,2})[-/.]\d{2,4}\b"
_ISO = r"^\d{4}-\d{1,2}-\d{1,2}\b"


def _styles(sample: pl.DataFrame) -> tuple[str | None, str | None]:
    """(decimal separator, date order) the sample's cells show, None where none shows."""
    cols = [c for c in sample.columns if c != ROW]
    if not cols or sample.height == 0:
        return None, None
    long = sample.select(pl.concat_list(pl.col(cols).cast(pl.String)).alias("v")) \
        .explode("v").drop_nulls()
    v = pl.col("v").str.strip_chars()
    a, b = (v.str.extract(_DMY, i).cast(pl.Int32, strict=False) for i in (1, 2))
    s = long.select(
        v.str.contains(_COMMA).sum().alias("comma"), v.str.contains(_DOT).sum().alias("dot"),
        (a > 12).sum().alias("dm"), (b > 12).sum().alias("md"),
        v.str.contains(_ISO).sum().alias("ymd")).row(0, named=True)
    decimal = "," if s["comma"] > s["dot"] else "." if s["dot"] else None
    if s["ymd"] > s["dm"] + s["md"]:
        order: str | None = "year-month-day"
    else:
        order = ("day-month-year" if s["dm"] > s["md"] else "month-day-year" if s["md"]
                 else None)
    return decimal, order


def _unmapped(result: Result, sample: pl.DataFrame) -> dict[str, list[str]]:
    """Values with no mapping: the problem table's, and those of the sample's mapped
    columns that the value map does not list."""
    found: dict[str, set[str]] = {}
    flagged = result.problems.filter(pl.col("code") == "unmapped_value")
    for field, value in flagged.select("field", "value").unique().iter_rows():
        found.setdefault(field, set()).add(value)
    by_norm = {normalize_header(c): c for c in sample.columns}
    for name, rule in result.rules.fields.items():
        if not rule.value_map:
            continue
        col = next((by_norm[normalize_header(a)] for a in rule.columns
                    if normalize_header(a) in by_norm), None)
        if col is None:
            continue
        known = [str(k).strip().casefold() for k in rule.value_map]
        v = pl.col("v")
        values = (sample.select(pl.col(col).str.strip_chars().alias("v"))
                  .filter(v.is_not_null() & (v != "") & ~v.str.to_lowercase().is_in(known))
                  .unique(maintain_order=True))
        found.setdefault(name, set()).update(values["v"].to_list())
    return {k: sorted(v) for k, v in sorted(found.items()) if v}


def profile(result: Result, path: Path, amount: str | None, **overrides: Any) -> dict[str, Any]:
    """The delivery's profile, JSON-ready."""
    options = read_options(result.rules, **overrides)
    options.batch_size = SAMPLE
    with open_source(path, options, header_scorer(result.rules)) as source:
        sample = next(iter(source.batches()), pl.DataFrame()).head(SAMPLE)
    decimal, order = _styles(sample)
    return {"source": path.name, "columns": list(result.source.original_headers),
            "encoding": result.source.encoding, "decimal_separator": decimal,
            "date_order": order, "rows": result.rows_read, "amount_total": amount,
            "unmapped": _unmapped(result, sample)}


def _pct(old: Decimal, new: Decimal) -> str:
    return f"{(new - old) / old * 100:+.0f}%"


def _volume(name: str, old: Any, new: Any) -> list[str]:
    try:
        o, n = Decimal(str(old)), Decimal(str(new))
    except (InvalidOperation, TypeError):
        return []
    if o == 0 or abs(n - o) / abs(o) <= Decimal(str(CHANGE)):
        return []
    return [f"{name} changed from {o.normalize():f} to {n.normalize():f} ({_pct(o, n)})"]


def _columns(old: list[str], new: list[str]) -> list[str]:
    on, nn = [normalize_header(c) for c in old], [normalize_header(c) for c in new]
    gone = [i for i, c in enumerate(on) if c not in nn]
    added = [i for i, c in enumerate(nn) if c not in on]
    out = []
    renamed = {i for i in gone if i in added}  # same place, another name
    for i in sorted(renamed):
        out.append(f"column '{old[i]}' is now called '{new[i]}'")
    out += [f"column '{old[i]}' is missing" for i in gone if i not in renamed]
    out += [f"column '{new[i]}' is new" for i in added if i not in renamed]
    return out


def drift(previous: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """What changed since ``previous``, one phrase per change, in the partner's terms."""
    out = _columns(previous.get("columns", []), current.get("columns", []))
    for field, values in current.get("unmapped", {}).items():
        new = [v for v in values if v not in set(previous.get("unmapped", {}).get(field, []))]
        if new:
            shown = ", ".join(f"'{v}'" for v in new[:5]) + (", …" if len(new) > 5 else "")
            out.append(f"new value(s) without a mapping for {field}: {shown}")
    for key, what in (("decimal_separator", "decimal separator"), ("date_order", "date order"),
                      ("encoding", "encoding")):
        old, new = previous.get(key), current.get(key)
        if old and new and old != new:
            out.append(f"{what} changed from '{old}' to '{new}'")
    out += _volume("row count", previous.get("rows"), current.get("rows"))
    out += _volume("amount total", previous.get("amount_total"), current.get("amount_total"))
    return out
