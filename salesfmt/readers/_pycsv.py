"""Python ``csv`` fallback for dialects polars cannot parse: an escape character (``\\"``).

Taken when a rule or flag sets ``escape_char`` (or ``skip_initial_space``), and when
polars refuses a file's quoting (read leniently, with a warning); it loops per record in Python, so it
is slower than the polars path and is never chosen by detection alone.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from salesfmt.errors import InputError
from salesfmt.problems import column_letter
from salesfmt.readers._source import (
    HEADER_SEARCH_ROWS,
    ROW,
    HeaderScorer,
    ReadOptions,
    Source,
    header_index,
    header_problems,
    unique_headers,
)

__all__ = ["open_pycsv", "lenient_batches"]


def _records(data_path: Path, delimiter: str, options: ReadOptions
             ) -> Iterator[tuple[int, list[str]]]:
    """(first physical line, cells) per record, lenient about stray quotes."""
    with data_path.open(encoding="utf-8", newline="") as fh:
        quoting = csv.QUOTE_MINIMAL if options.quote_char else csv.QUOTE_NONE
        reader = csv.reader(fh, delimiter=delimiter, quotechar=options.quote_char or None,
                            quoting=quoting, escapechar=options.escape_char, doublequote=True,
                            skipinitialspace=options.skip_initial_space, strict=False)
        last = 0
        try:
            for cells in reader:
                yield last + 1, cells
                last = reader.line_num
        except csv.Error as exc:
            raise InputError(f"line {last + 1}: {exc}", where=str(data_path)) from None


def open_pycsv(path: Path, data_path: Path, encoding: str, delimiter: str,
               options: ReadOptions, scorer: HeaderScorer | None, cleanup: list) -> Source:
    """Open a file with an escape-character dialect as a :class:`Source`."""
    head = []
    for i, (_, cells) in enumerate(_records(data_path, delimiter, options)):
        head.append(cells)
        if i >= HEADER_SEARCH_ROWS + 5:
            break
    if not head:
        raise InputError("file has no content", where=str(path))
    header_idx = header_index(head, options, scorer, str(path))
    names, originals = unique_headers(head[header_idx])
    letters = [column_letter(i) for i in range(len(names))]
    source = Source(path=path, format="csv", headers=names, original_headers=originals,
                    column_letters=letters, header_row=header_idx + 1, encoding=encoding,
                    delimiter=delimiter, problems=header_problems(names, originals, letters,
                                                                  header_idx + 1, None),
                    _cleanup=cleanup)

    source._batches = lambda: lenient_batches(source, data_path, delimiter, options,
                                              header_idx)
    return source


def _frame(names: list[str], lines: list[int], cols: list[list[str | None]]) -> pl.DataFrame:
    data = {ROW: pl.Series(lines, dtype=pl.Int64)}
    data.update({name: pl.Series(col, dtype=pl.String) for name, col in zip(names, cols, strict=True)})
    return pl.DataFrame(data).with_columns(pl.col(name).replace("", None) for name in names)


def lenient_batches(source: Source, data_path: Path, delimiter: str, options: ReadOptions,
                    header_idx: int) -> Iterator[pl.DataFrame]:
    """Data records after ``header_idx`` in batches. Ragged records are added to
    ``source.problems`` before the batch holding them is yielded."""
    names = source.headers
    n = len(names)
    lines: list[int] = []
    cols: list[list[str | None]] = [[] for _ in names]
    ragged: list[tuple[int, int]] = []
    for i, (line, cells) in enumerate(_records(data_path, delimiter, options)):
        if i <= header_idx:
            continue
        if len(cells) != n and any(c.strip() for c in cells):
            ragged.append((line, len(cells)))
        lines.append(line)
        for j, col in enumerate(cols):
            col.append(cells[j] if j < len(cells) else None)
        if len(lines) >= options.batch_size:
            _report(source, ragged)
            yield _frame(names, lines, cols)
            lines, cols, ragged = [], [[] for _ in names], []
    if lines:
        _report(source, ragged)
        yield _frame(names, lines, cols)


def _report(source: Source, ragged: list[tuple[int, int]]) -> None:
    from salesfmt.readers.csv import ragged_problems

    if ragged:
        found = pl.DataFrame(ragged, schema={"line": pl.Int64, "cells": pl.Int64}, orient="row")
        source.problems = pl.concat([source.problems, ragged_problems(found, source.headers)])
