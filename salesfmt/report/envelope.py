"""The server's JSON envelope (seed 001 ``error.extended``), computed from the problem table."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import polars as pl

from salesfmt.problems import Severity

if TYPE_CHECKING:
    from salesfmt.result import Result

__all__ = ["envelope", "DEFAULT_CAP"]

DEFAULT_CAP = 100
_SOURCE_KEYS = ["sheet", "row", "column", "header", "field", "code", "value"]


def _success(result: Result) -> dict[str, Any]:
    shape = result.target.success
    records = result.rows_out

    def fill(v: Any) -> Any:
        if v == "{records}":
            return records
        if isinstance(v, dict):
            return {k: fill(x) for k, x in v.items()}
        return v

    return fill(shape)


def envelope(result: Result, *, cap: int = DEFAULT_CAP, with_source: bool = False) -> dict[str, Any]:
    """The server's answer to this file: success shape if clean, else the error envelope.

    ``error_fields`` counts every message, ``error_lines`` every line with one; ``errors``
    lists the first ``cap`` lines and ``additional_errors`` counts messages beyond them.
    """
    problems = result.problems
    line_errors = problems.filter(
        (pl.col("severity") == Severity.ERROR.value) & pl.col("line").is_not_null())
    if line_errors.height == 0:
        return _success(result)
    cols = [pl.col("message").alias("messages")]
    if with_source:
        cols.append(pl.struct(_SOURCE_KEYS + ["message"]).alias("source"))
    per_line = line_errors.group_by("line", maintain_order=True).agg(cols).sort("line")
    shown = per_line.head(cap)
    extra = int(per_line.slice(cap)["messages"].list.len().sum() or 0)
    errors = shown.to_dicts()
    extended: dict[str, Any] = {
        "additional_errors": extra,
        "error_fields": line_errors.height,
        "error_lines": per_line.height,
        "errors": errors,
    }
    if with_source:
        others = problems.filter(pl.col("line").is_null()
                                 | (pl.col("severity") != Severity.ERROR.value))
        extended["other_problems"] = others.drop("order").to_dicts()
    error = dict(result.target.error)
    return {"error": {"code": error.get("code", 400), "extended": extended,
                      "message": error.get("message",
                                           "File content contains one or more errors")}}
