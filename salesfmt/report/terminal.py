"""The short human summary printed on stderr."""

from __future__ import annotations

from typing import Any

import polars as pl

__all__ = ["summary"]

TOP = 10


def summary(result: Any, *, color: bool = False) -> str:
    """Counts, the first problems and the balance line, as plain or coloured text."""

    def paint(text: str, code: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if color else text

    p = result.problems
    n_err = p.filter(pl.col("severity") == "error").height
    n_warn = p.height - n_err
    src = result.source
    where = f" sheet {src.sheet!r}," if src.sheet else ""
    lines = [
        f"{result.path} → {result.target.name} (rules {result.rules.name}):{where} "
        f"header on row {src.header_row}",
        f"rows: {result.rows_read} read = {result.rows_out} converted + "
        f"{result.rows_rejected} rejected + {result.rows_skipped} skipped",
    ]
    status = paint("clean", "32") if n_err == 0 else paint(f"{n_err} error(s)", "31")
    lines.append(f"problems: {status}, {paint(str(n_warn), '33') if n_warn else 0} warning(s)")
    for row in p.head(TOP).iter_rows(named=True):
        at = f"line {row['line']}" if row["line"] is not None else "file"
        origin = f"row {row['row']}" if row["row"] is not None else ""
        if row["column"]:
            origin += f" col {row['column']}"
        sev = paint(row["severity"], "31" if row["severity"] == "error" else "33")
        value = f" [value: {row['value']!r}]" if row["value"] is not None else ""
        lines.append(f"  {at:>10} ({origin.strip() or '-'}) {sev}: {row['message']}{value}")
    if p.height > TOP:
        lines.append(f"  … and {p.height - TOP} more (see the JSON or HTML report)")
    if result.output is not None:
        lines.append(f"output: {result.output}")
    return "\n".join(lines)
