"""``salesfmt inspect``: what the reader detected in a partner file, to write its rules."""

from __future__ import annotations

import json
from typing import Any

import click
import polars as pl

from salesfmt.cli import cli
from salesfmt.cli._options import parse_char
from salesfmt.readers import ReadOptions, Source, open_source
from salesfmt.readers._encoding import EncodingRetry

__all__ = ["inspect_file", "inspect"]

_SAMPLE_ROWS = 1000
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


def inspect_file(source: Source, samples: int = 3) -> dict[str, Any]:
    """What was detected, as plain data (the JSON output)."""
    sample = pl.DataFrame(schema={n: pl.String for n in source.headers})
    rows = 0
    for batch in source.batches():
        rows += batch.height
        if sample.height < _SAMPLE_ROWS:
            sample = pl.concat([sample, batch.drop("__row").head(_SAMPLE_ROWS - sample.height)])
    types = _column_types(sample, source.headers)
    columns = []
    for letter, name, original in zip(source.column_letters, source.headers,
                                      source.original_headers, strict=True):
        values = sample.get_column(name).drop_nulls().unique(maintain_order=True)
        columns.append({"letter": letter, "header": original, "name": name,
                        "type": types[name], "samples": values.head(samples).to_list()})
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
    out = [f"file:       {info['file']}", f"format:     {info['format']}"]
    if info["encoding"]:
        out.append(f"encoding:   {info['encoding']}")
    if info["delimiter"]:
        out.append(f"delimiter:  {info['delimiter']!r}")
    if info["sheets"]:
        listed = ", ".join(n["name"] + ("" if n["state"] == "visible" else f" ({n['state']})")
                           for n in info["sheets"])
        out.append(f"sheets:     {listed}")
        out.append(f"sheet:      {info['sheet']}")
    out.append(f"header row: {info['header_row']}")
    out.append(f"data rows:  {info['data_rows']}")
    out.append("columns:")
    width = max((len(c["header"]) for c in info["columns"]), default=0)
    for c in info["columns"]:
        shown = ", ".join(repr(v) for v in c["samples"])
        out.append(f"  {c['letter']:>3}  {c['header'] or '(blank)':<{width}}  "
                   f"{c['type']:<10}  {shown}")
    if info["problems"]:
        out.append(f"reader problems: {len(info['problems'])}")
        for p in info["problems"][:10]:
            where = f"row {p['row']} " if p["row"] else ""
            out.append(f"  {where}{p['severity']}: {p['message']}")
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
def inspect(file: str, sheet: str | None, encoding: str | None, delimiter: str | None,
            quote_char: str, escape_char: str | None, header_row: int | None,
            fmt: str) -> None:
    """Show what the reader detects in FILE: format, encoding, sheets, header, columns."""
    options = ReadOptions(encoding=encoding, delimiter=delimiter, quote_char=quote_char,
                          escape_char=escape_char, sheet=sheet, header_row=header_row)
    try:
        with open_source(file, options) as source:
            info = inspect_file(source)
    except EncodingRetry as exc:  # UTF-8 by its first bytes only: read again, re-judged
        options.encoding = exc.encoding
        with open_source(file, options) as source:
            info = inspect_file(source)
    if fmt == "json":
        click.echo(json.dumps(info, ensure_ascii=False, indent=2, default=str))
    else:
        click.echo(_text(info))
