"""CSV/TSV/TXT reader: encoding, delimiter and header row detected, rows streamed by polars."""

from __future__ import annotations

import csv as _csv
import io
import mmap
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from salesfmt.errors import InputError
from salesfmt.problems import column_letter
from salesfmt.readers._encoding import detect_encoding, to_utf8_file
from salesfmt.readers._source import (
    HEADER_SEARCH_ROWS,
    ROW,
    HeaderScorer,
    ReadOptions,
    Source,
    detect_header,
    unique_headers,
)

__all__ = ["open_csv", "sniff_delimiter"]

_DELIMITERS = [",", ";", "\t", "|"]
_HEAD_BYTES = 256 * 1024


def _head_text(path: Path, encoding: str) -> str:
    with path.open("rb") as fh:
        raw = fh.read(_HEAD_BYTES)
    return raw.decode(encoding, errors="replace")


def sniff_delimiter(text: str) -> str:
    """Pick the delimiter giving the most consistent multi-column rows over the first lines."""
    lines = text.splitlines()[:50]
    sample = "\n".join(lines)
    best, best_score = ",", -1.0
    for delim in _DELIMITERS:
        counts = [len(r) for r in _csv.reader(io.StringIO(sample), delimiter=delim) if r]
        counts = [c for c in counts if c > 1]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        score = counts.count(mode) * mode
        if score > best_score:
            best, best_score = delim, score
    return best


def _contains(path: Path, needle: bytes) -> bool:
    """True when the file holds ``needle`` anywhere (memchr over a memory map: fast)."""
    with path.open("rb") as fh:
        try:
            with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mm:
                return mm.find(needle) >= 0
        except ValueError:  # empty file
            return False


def open_csv(path: Path, options: ReadOptions, scorer: HeaderScorer | None) -> Source:
    """Open a delimited text file as a :class:`Source`."""
    encoding = options.encoding or detect_encoding(path)
    try:
        head = _head_text(path, encoding)
    except LookupError:
        raise InputError(f"unknown encoding {encoding!r}", where=str(path)) from None
    if not head.strip():
        raise InputError("file has no content (only blank lines)", where=str(path))
    delimiter = options.delimiter or sniff_delimiter(head)
    rows = list(_csv.reader(io.StringIO(head), delimiter=delimiter, quotechar=options.quote_char))
    rows = [r for r in rows[: HEADER_SEARCH_ROWS + 5]]
    header_idx = (options.header_row - 1) if options.header_row else detect_header(
        [r for r in rows], scorer)
    if header_idx >= len(rows):
        raise InputError(f"header row {header_idx + 1} is beyond the end of the file",
                         where=str(path))
    names, originals = unique_headers(rows[header_idx])
    header_line = 1 + sum(1 + sum(c.count("\n") for c in r) for r in rows[:header_idx])

    cleanup = []
    data_path = path
    if encoding.lower().replace("_", "-") not in ("utf-8", "utf8"):
        data_path = to_utf8_file(path, encoding)
        cleanup.append(lambda: data_path.unlink(missing_ok=True))

    # Records span several lines only through quoted newlines: no quote char, no counting.
    multiline = _contains(data_path, options.quote_char.encode("utf-8"))

    def batches() -> Iterator[pl.DataFrame]:
        lf = pl.scan_csv(
            data_path,
            has_header=False,
            separator=delimiter,
            quote_char=options.quote_char,
            skip_rows=header_idx + 1,
            schema={n: pl.String for n in names},
            truncate_ragged_lines=True,
            raise_if_empty=False,
            empty_string_is_null=True,
        )
        offset = header_line + 1
        for batch in lf.collect_batches(chunk_size=options.batch_size):
            if batch.height == 0:
                continue
            newlines = pl.sum_horizontal(
                pl.col(n).str.count_matches("\n").fill_null(0) for n in names
            ).cast(pl.Int64) if multiline else pl.lit(0, dtype=pl.Int64)
            batch = batch.with_columns(
                (pl.int_range(pl.len(), dtype=pl.Int64) + offset
                 + newlines.cum_sum() - newlines).alias(ROW)
            ).select([ROW, *names])
            offset = int(batch[ROW][-1]) + 1 + int(
                batch.select(newlines.last()).item() or 0)
            yield batch

    return Source(
        path=path,
        format="csv",
        headers=names,
        original_headers=originals,
        column_letters=[column_letter(i) for i in range(len(names))],
        header_row=header_line,
        encoding=encoding,
        delimiter=delimiter,
        _batches=batches,
        _cleanup=cleanup,
    )
