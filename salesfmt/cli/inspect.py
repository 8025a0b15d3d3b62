"""``salesfmt inspect``: what the reader detected in a partner file, to write its rules.

Columns that look enumerated (few distinct values, each used several times), and those
asked for with ``--values``, list their distinct values with counts over the whole file:
the keys a rule's value ``map:`` needs (keys match regardless of case and spacing).
"""

from __future__ import annotations

import json
from typing import Any

import click
import polars as pl

from salesfmt.cli import cli
from salesfmt.cli._options import parse_char
from salesfmt.columns import ROW
from salesfmt.readers import ReadOptions, Source, open_source
from salesfmt.readers._encoding import EncodingRetry
from salesfmt.report._escape import json_safe
from salesfmt.report.terminal import terminal_safe

__all__ = ["inspect_file", "inspect", "resolve_columns", "ENUM_MAX", "VALUES_MAX"]

_SAMPLE_ROWS = 1000
#: A column looks enumerated with at most this many distinct values, each used (on
#: average) at least twice; such columns list their values and counts.
ENUM_MAX = 20
#: Distinct values counted for a column asked for with --values (memory stays bounded).
VALUES_MAX = 1000
#: Share of sampled values that must fit a type (a footer or a typo does not make it text).
_MAJORITY = 0.9
_CURRENCY = r"[€$£¥]|\b(?:EUR|GBP|USD|CHF)\b"
#: (type, pattern the non-empty values match), tried in order; else "text".
_TYPES = [
    ("boolean", r"(?i)^(?:true|false|yes|no|ja|nee|oui|non|y|n|j)$"),
    ("integer", r"^[+-]?\d+$"),
    ("decimal", r"^[+-]?(?:\d{1,3}(?:[.,' ]\d{3})+|\d+)(?:[.,]\d+)?$"),
    ("date", r"^(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4})$"),
    ("datetime", r"^(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[./-]\d{1,2}[./-]\d{2,4})[ T]"
                 r"\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$"),
    ("time", r"^\d{1,3}:\d{2}(?::\d{2})?$"),
    ("email", r"^[^@\s]+@[^@\s]+\.[^@\s]+$"),
]


def _column_types(sample: pl.DataFrame, names: list[str]) -> dict[str, str]:
    """A type per column from the sample rows (vectorised: one boolean per type and column)."""
    if sample.height == 0:
        return {n: "empty" for n in names}
    exprs = []
    for i, name in enumerate(names):
        cell = pl.col(name).str.strip_chars()
        cell = pl.when(cell == "").then(None).otherwise(cell)
        bare = cell.str.replace_all(_CURRENCY, "").str.strip_chars()
        exprs.append(cell.is_not_null().any().alias(f"any{i}"))
        exprs.append(cell.str.contains(r"^0\d").any().alias(f"zero{i}"))
        exprs.append(cell.str.contains(_CURRENCY).any().alias(f"cur{i}"))
        exprs.append(bare.str.contains(r"\d,\d{1,2}$").any().alias(f"comma{i}"))
        for kind, pattern in _TYPES:
            exprs.append(bare.str.contains(pattern).sum().alias(f"{kind}{i}"))
        exprs.append(cell.is_not_null().sum().alias(f"n{i}"))
    flags = sample.select(exprs).row(0, named=True)
    types = {}
    for i, name in enumerate(names):
        if not flags[f"any{i}"]:
            types[name] = "empty"
            continue
        total = flags[f"n{i}"]
        kind = next((k for k, _ in _TYPES if flags[f"{k}{i}"] >= _MAJORITY * total), "text")
        notes = []
        if kind != "text" and flags[f"{kind}{i}"] < total:
            notes.append(f"{total - flags[f'{kind}{i}']} of {total} sampled values do not fit")
        if kind in ("integer", "decimal") and flags[f"zero{i}"]:
            kind, notes = "text", ["leading zeros: a code, keep as text"]
        if kind == "decimal" and flags[f"comma{i}"]:
            notes.append("decimal comma")
        if kind in ("integer", "decimal") and flags[f"cur{i}"]:
            notes.append("currency symbol")
        types[name] = f"{kind} ({', '.join(notes)})" if notes else kind
    return types


def resolve_columns(source: Source, wanted: tuple[str, ...]) -> list[str]:
    """Column names for ``--values`` arguments: a header, a column letter, or a header in
    other case; click.BadParameter names the file's headers when one is not found."""
    by_letter = {letter.upper(): n for letter, n in zip(source.column_letters, source.headers,
                                                         strict=True)}
    exact = {**dict(zip(source.original_headers, source.headers, strict=True)),
             **{n: n for n in source.headers}}
    loose = {h.casefold(): n for h, n in exact.items() if h}
    out = []
    for want in wanted:
        name = exact.get(want) or by_letter.get(want.upper()) or loose.get(want.casefold())
        if name is None:
            headers = ", ".join(repr(h) for h in source.original_headers)
            raise click.BadParameter(f"no column {want!r} in the file; its headers: {headers}",
                                     param_hint="--values")
        out.append(name)
    return out


class _ValueCounts:
    """Distinct values with counts per column over all batches, in one query per batch.

    A column stops being counted once it has more distinct values than its limit (its
    most frequent values so far are kept, marked incomplete), so memory stays bounded."""

    def __init__(self, limits: dict[str, int]) -> None:
        self.limits = limits
        self.incomplete: set[str] = set()
        self.counts = pl.DataFrame(schema={"column": pl.String, "value": pl.String,
                                           "count": pl.UInt32})

    def add(self, batch: pl.DataFrame) -> None:
        """Count one batch's non-blank cells of the columns still counted."""
        live = [c for c in self.limits if c not in self.incomplete]
        if not live or batch.height == 0:
            return
        new = (batch.select(live).unpivot(variable_name="column", value_name="value")
               .filter(pl.col("value").str.strip_chars() != "")
               .group_by("column", "value").agg(pl.len().cast(pl.UInt32).alias("count")))
        merged = (pl.concat([self.counts, new]).group_by("column", "value")
                  .agg(pl.col("count").sum()))
        sizes = dict(merged.group_by("column").len().iter_rows())
        over = sorted(c for c in live if sizes.get(c, 0) > self.limits[c])
        if over:  # keep the most frequent values counted so far, and stop counting
            self.incomplete.update(over)
            top = (merged.filter(pl.col("column").is_in(over))
                   .sort(["count", "value"], descending=[True, False])
                   .filter(pl.int_range(pl.len()).over("column") < pl.col("column")
                           .replace_strict(self.limits, return_dtype=pl.Int64)))
            merged = pl.concat([merged.filter(~pl.col("column").is_in(over)), top])
        self.counts = merged

    def of(self, column: str) -> list[dict[str, Any]]:
        """[{value, count}] of ``column``, most frequent first, then by value."""
        part = (self.counts.filter(pl.col("column") == column)
                .sort(["count", "value"], descending=[True, False]))
        return [{"value": v, "count": int(n)} for v, n in part.select("value", "count").iter_rows()]


def inspect_file(source: Source, samples: int = 3, *, values: tuple[str, ...] = (),
                 enum_max: int = ENUM_MAX, values_max: int = VALUES_MAX) -> dict[str, Any]:
    """What was detected, as plain data (the JSON output).

    ``values``: columns (header or letter) whose distinct values are listed whatever their
    number, up to ``values_max``; other columns list them when they look enumerated."""
    asked = resolve_columns(source, values)
    limits = {n: enum_max for n in source.headers} | {n: values_max for n in asked}
    counter = _ValueCounts(limits)
    sample = pl.DataFrame(schema={n: pl.String for n in source.headers})
    rows = 0
    filled = dict.fromkeys(source.headers, 0)
    for batch in source.batches():
        rows += batch.height
        counter.add(batch)
        if sample.height < _SAMPLE_ROWS:
            sample = pl.concat([sample, batch.drop(ROW).head(_SAMPLE_ROWS - sample.height)])
    for column, n in counter.counts.group_by("column").agg(pl.col("count").sum()).iter_rows():
        filled[column] = int(n)
    types = _column_types(sample, source.headers)
    for name in source.mixed_numbers:  # the rule's separators apply to the text cells only
        kind, _, notes = types[name].partition(" (")
        notes = notes.removesuffix(")")
        types[name] = f"{kind} ({notes + ', ' if notes else ''}numbers and number text mixed)"
    columns = []
    for letter, name, original in zip(source.column_letters, source.headers,
                                      source.original_headers, strict=True):
        values_ = sample.get_column(name).drop_nulls().unique(maintain_order=True)
        column = {"letter": letter, "header": original, "name": name,
                  "type": types[name], "samples": values_.head(samples).to_list()}
        listed = counter.of(name)
        complete = name not in counter.incomplete
        enumerated = complete and bool(listed) and 2 * len(listed) <= filled[name]
        if name in asked or enumerated:
            column["values"] = listed
            column["values_complete"] = complete
        columns.append(column)
    problems = source.problems.drop("order").to_dicts()
    return {
        "file": str(source.path), "format": source.format, "encoding": source.encoding,
        "delimiter": source.delimiter, "sheet": source.sheet,
        "sheets": [{"name": n, "state": source.sheet_states.get(n, "visible")}
                   for n in source.sheets],
        "header_row": source.header_row, "data_rows": rows, "columns": columns,
        "problems": problems,
    }


def _text(info: dict[str, Any]) -> str:
    out = [f"file:       {terminal_safe(info['file'])}", f"format:     {info['format']}"]
    if info["encoding"]:
        out.append(f"encoding:   {terminal_safe(info['encoding'])}")
    if info["delimiter"]:
        out.append(f"delimiter:  {terminal_safe(repr(info['delimiter']))}")
    if info["sheets"]:
        listed = ", ".join(n["name"] + ("" if n["state"] == "visible" else f" ({n['state']})")
                           for n in info["sheets"])
        out.append(f"sheets:     {terminal_safe(listed)}")
        out.append(f"sheet:      {terminal_safe(info['sheet'])}")
    out.append(f"header row: {info['header_row']}")
    out.append(f"data rows:  {info['data_rows']}")
    out.append("columns:")
    width = max((len(c["header"]) for c in info["columns"]), default=0)
    for c in info["columns"]:
        shown = ", ".join(repr(v) for v in c["samples"])
        header = terminal_safe(c["header"] or "(blank)")
        out.append(f"  {c['letter']:>3}  {header:<{width}}  {c['type']:<10}  "
                   f"{terminal_safe(shown)}")
    listed = [c for c in info["columns"] if "values" in c]
    if listed:
        out.append("values (distinct, with counts; value map keys match regardless of case):")
    for c in listed:
        more = "" if c["values_complete"] else ", more not counted"
        out.append(f"  {c['letter']:>3}  {terminal_safe(c['header'] or '(blank)')} "
                   f"({len(c['values'])} distinct{more}):")
        out.extend(f"  {v['count']:>9,}  {terminal_safe(repr(v['value']))}"
                   for v in c["values"])
    if info["problems"]:
        out.append(f"reader problems: {len(info['problems'])}")
        for p in info["problems"][:10]:
            where = f"row {p['row']} " if p["row"] else ""
            out.append(f"  {where}{p['severity']}: {terminal_safe(p['message'])}")
    return "\n".join(out)


@cli.command()
@click.argument("file", type=click.Path(path_type=str))
@click.option("--sheet", default=None, help="Workbook sheet name or 1-based number.")
@click.option("--encoding", default=None, help="Force the CSV encoding.")
@click.option("--delimiter", default=None, callback=parse_char, help="Force the CSV delimiter.")
@click.option("--quote-char", default='"', show_default=True, callback=parse_char,
              help="CSV quote character.")
@click.option("--escape-char", default=None, callback=parse_char,
              help="CSV escape character (e.g. \\).")
@click.option("--header-row", type=click.IntRange(min=1), default=None,
              help="Force the 1-based header row.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Human-readable summary or JSON.")
@click.option("--values", "values", multiple=True, metavar="COLUMN",
              help="List COLUMN's distinct values with counts (header or letter; "
                   "repeatable). Enumerated-looking columns list them anyway.")
def inspect(file: str, sheet: str | None, encoding: str | None, delimiter: str | None,
            quote_char: str, escape_char: str | None, header_row: int | None,
            fmt: str, values: tuple[str, ...]) -> None:
    """Show what the reader detects in FILE: format, encoding, sheets, header, columns."""
    options = ReadOptions(encoding=encoding, delimiter=delimiter, quote_char=quote_char,
                          escape_char=escape_char, sheet=sheet, header_row=header_row)
    try:
        with open_source(file, options) as source:
            info = inspect_file(source, values=values)
    except EncodingRetry as exc:  # UTF-8 by its first bytes only: read again, re-judged
        options.encoding = exc.encoding
        with open_source(file, options) as source:
            info = inspect_file(source, values=values)
    if fmt == "json":
        click.echo(json_safe(json.dumps(info, ensure_ascii=False, indent=2, default=str)))
    else:
        click.echo(_text(info))
