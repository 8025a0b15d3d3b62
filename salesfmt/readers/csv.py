"""CSV/TSV/TXT reader: encoding, delimiter and header row detected, rows streamed by polars.

Every file ends up as UTF-8 with LF or CRLF records (transcoded to a temporary copy when
needed: other encodings, a BOM, classic-Mac CR line ends), is measured once by
parsed in batches by polars (physical lines from quoted-newline counts), and measured by
:func:`record_geometry` (exact lines and cells per record: a second pass) only when a batch
holds a row that may be ragged. Only dialects with an escape character take the Python
fallback.
"""

from __future__ import annotations

import codecs
import csv as _csv
import io
import re
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from salesfmt.errors import InputError
from salesfmt.problems import PROBLEM_SCHEMA, Severity, column_letter, empty_problems
from salesfmt.readers._blocks import batches_of
from salesfmt.readers._encoding import (
    check_decodes,
    detect_encoding,
    retry_encoding,
    starts_as_utf8,
    to_utf8_file,
)
from salesfmt.readers._geometry import record_geometry
from salesfmt.readers._source import (
    HEADER_SEARCH_ROWS,
    RESERVED,
    ROW,
    HeaderScorer,
    ReadOptions,
    Source,
    header_index,
    header_problems,
    unique_headers,
)

__all__ = ["open_csv", "sniff_delimiter", "ragged_problems", "head_rows"]

_DELIMITERS = [",", ";", "\t", "|"]
_HEAD_BYTES = 256 * 1024
#: A carriage return that does not end a line, hidden from the csv module (which refuses
#: one in an unquoted value; polars keeps it as text) and put back in the cells.
_LONE_CR = re.compile(r"\r(?!\n)")
_CR_STAND_IN = "\uf8ff"
#: The csv module refuses fields over 128 KiB by default; the polars path has no limit.
_csv.field_size_limit(max(_csv.field_size_limit(), 2**31 - 1))


def head_rows(text: str, delimiter: str, quote: str) -> list[list[str]]:
    """The records of the file's first bytes as the polars reader will see them (a bare CR
    inside a value is text, a value cut at the end of the sample is kept as far as read)."""
    guarded = _LONE_CR.sub(_CR_STAND_IN, text)
    rows = _csv.reader(io.StringIO(guarded), delimiter=delimiter, quotechar=quote or None,
                       quoting=_csv.QUOTE_MINIMAL if quote else _csv.QUOTE_NONE)
    if _CR_STAND_IN not in guarded:
        return list(rows)
    return [[c.replace(_CR_STAND_IN, "\r") for c in r] for r in rows]


def sniff_delimiter(text: str, quote: str = '"') -> str:
    """Pick the delimiter giving the most consistent multi-column rows over the first lines."""
    lines = text.splitlines()[:50]
    sample = "\n".join(lines)
    best, best_score = ",", -1.0
    for delim in _DELIMITERS:
        counts = [len(r) for r in _csv.reader(
            io.StringIO(sample), delimiter=delim, quotechar=quote or None,
            quoting=_csv.QUOTE_MINIMAL if quote else _csv.QUOTE_NONE) if r]
        counts = [c for c in counts if c > 1]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        score = counts.count(mode) * mode
        if score > best_score:
            best, best_score = delim, score
    return best


def ragged_problems(ragged: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    """Problems for records with more (error: cells dropped) or fewer (warning) cells."""
    if ragged.height == 0:
        return empty_problems()
    n = len(names)
    extra = pl.col("cells") > n
    return ragged.select(
        pl.lit(None, pl.Int64).alias("line"),
        pl.lit(None, pl.String).alias("sheet"),
        pl.col("line").alias("row"),
        pl.when(extra).then(pl.lit(column_letter(n)))
        .otherwise(pl.col("cells").map_elements(column_letter, return_dtype=pl.String))
        .alias("column"),
        pl.when(extra).then(pl.lit(None, pl.String))
        .otherwise(pl.col("cells").replace_strict(list(range(n)), names, default=None,
                                                  return_dtype=pl.String)).alias("header"),
        pl.lit(None, pl.String).alias("field"),
        pl.when(extra).then(pl.lit("extra_cells")).otherwise(pl.lit("missing_cells"))
        .alias("code"),
        pl.when(extra).then(pl.lit(Severity.ERROR.value)).otherwise(pl.lit(Severity.WARNING.value))
        .alias("severity"),
        pl.format("row has {} cells but the header has {}: ", pl.col("cells"), pl.lit(n))
        .add(pl.when(extra).then(pl.lit("the extra cells would be lost"))
             .otherwise(pl.lit("the missing cells read as empty"))).alias("message"),
        pl.lit(None, pl.String).alias("value"),
        pl.lit(-1, pl.Int64).alias("order"),
    ).cast(PROBLEM_SCHEMA)


def _prepare(path: Path, options: ReadOptions) -> tuple[str, Path, list, bool]:
    """(encoding, UTF-8 path to parse, cleanups, optimistic): transcode when the bytes need
    it. A file whose first 256 KiB are UTF-8 (no BOM) is read as UTF-8 straight away
    (``optimistic``): polars validates every byte it parses, and a bad byte further on
    raises :class:`EncodingRetry`, so the whole file is still judged, in one pass."""
    with path.open("rb") as fh:
        raw = fh.read(_HEAD_BYTES)
    cr_only = b"\r" in raw and b"\n" not in raw
    optimistic = not options.encoding and not cr_only and starts_as_utf8(raw)
    try:
        encoding = options.encoding or ("utf-8" if optimistic else detect_encoding(path))
        codec = codecs.lookup(encoding).name
    except LookupError:
        raise InputError(f"unknown encoding {options.encoding!r}", where=str(path)) from None
    if codec == "utf-8" and not cr_only and not raw.startswith(b"\xef\xbb\xbf"):
        if options.encoding:  # forced: prove it, naming the first bad line
            check_decodes(path, "utf-8")
        return encoding, path, [], optimistic
    data = to_utf8_file(path, encoding, cr_only=cr_only)
    return encoding, data, [lambda: data.unlink(missing_ok=True)], False


def _utf8_checked(batches: Iterator[pl.DataFrame], path: Path) -> Iterator[pl.DataFrame]:
    """Batches of an optimistically UTF-8 file; EncodingRetry when a later byte is not."""
    try:
        yield from batches
    except UnicodeDecodeError:
        raise retry_encoding(path) from None
    except pl.exceptions.ComputeError as exc:
        if not _utf8_error(exc):
            raise
        raise retry_encoding(path) from None


def _utf8_error(exc: Exception) -> bool:
    text = str(exc).lower()
    return "utf-8" in text or "utf8" in text


_NAMED = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|",
          "space": " "}


def _one_char(what: str, text: str | None, path: Path) -> str | None:
    """A dialect character as given (``tab`` or ``\\t`` for a tab): one ASCII character,
    or InputError (polars splits on one byte; a quote cannot also be the delimiter)."""
    if text is None:
        return None
    char = _NAMED.get(text.lower(), text)
    if len(char) != 1 or not char.isascii() or char in "\r\n":
        raise InputError(f"the {what} must be one ASCII character (such as , ; | or tab), "
                         f"not {text!r}", where=str(path))
    return char


def _check_dialect(path: Path, options: ReadOptions) -> ReadOptions:
    from dataclasses import replace

    delimiter = _one_char("delimiter", options.delimiter, path)
    quote = _one_char("quote character", options.quote_char or None, path)
    escape = _one_char("escape character", options.escape_char, path)
    if delimiter is not None and delimiter in (quote, escape):
        raise InputError(f"the delimiter {delimiter!r} cannot also be the quote or escape "
                         "character", where=str(path))
    return replace(options, delimiter=delimiter, quote_char=quote or "", escape_char=escape)


def open_csv(path: Path, options: ReadOptions, scorer: HeaderScorer | None) -> Source:
    """Open a delimited text file as a :class:`Source`."""
    options = _check_dialect(path, options)
    encoding, data_path, cleanup, optimistic = _prepare(path, options)
    try:
        source = _open(path, data_path, encoding, options, scorer, cleanup)
        if optimistic:
            batches = source._batches
            source._batches = lambda: _utf8_checked(batches(), path)
        return source
    except BaseException:
        for fn in cleanup:
            fn()
        raise


def _open(path: Path, data_path: Path, encoding: str, options: ReadOptions,
          scorer: HeaderScorer | None, cleanup: list) -> Source:
    with data_path.open("rb") as fh:
        head = fh.read(_HEAD_BYTES).decode("utf-8", errors="replace")
    if not head.strip():
        raise InputError("file has no content (only blank lines)", where=str(path))
    quote = options.quote_char
    delimiter = options.delimiter or sniff_delimiter(head, quote)
    if options.escape_char or options.skip_initial_space:
        from salesfmt.readers._pycsv import open_pycsv

        return open_pycsv(path, data_path, encoding, delimiter, options, scorer, cleanup)
    rows = head_rows(head, delimiter, quote)
    rows = rows[: HEADER_SEARCH_ROWS + 5]
    header_idx = header_index(rows, options, scorer, str(path))
    names, originals = unique_headers(rows[header_idx])
    letters = [column_letter(i) for i in range(len(names))]
    # physical line of the header: records before it, each 1 line + its quoted newlines
    header_line = 1 + sum(1 + sum(c.count("\n") for c in r) for r in rows[:header_idx])
    header_lines = 1 + sum(c.count("\n") for c in rows[header_idx])
    problems = header_problems(names, originals, letters, header_line, None)
    source = Source(path=path, format="csv", headers=names, original_headers=originals,
                    column_letters=letters, header_row=header_line, encoding=encoding,
                    delimiter=delimiter, problems=problems, _cleanup=cleanup)
    # Exact per-record geometry (a second pass over the file) is computed only when a batch
    # holds a row that may be ragged: clean files are read once.
    geometry: list[pl.DataFrame] = []

    def data_geometry() -> pl.DataFrame:
        if not geometry:
            geometry.append(record_geometry(data_path, delimiter, quote).slice(header_idx + 1))
        return geometry[0]

    def parsed(block: bytes) -> pl.DataFrame:
        return pl.read_csv(
            block, has_header=False, separator=delimiter, quote_char=quote or None,
            schema={**{n: pl.String for n in names}, _SPARE: pl.String},
            truncate_ragged_lines=True, raise_if_empty=False, empty_string_is_null=True,
            missing_columns="insert", extra_columns="ignore")

    def records(multiline: bool) -> Iterator[pl.DataFrame]:
        # bounded memory whatever the file's size; title rows and the header skipped;
        # without a quote character in the file every line feed ends a record
        return batches_of(data_path, quote if multiline else None, parsed,
                          batch_size=options.batch_size,
                          bytes_per_row=len(head.encode("utf-8")) / max(1, head.count("\n")),
                          skip=header_idx + 1)

    def polars_batches() -> Iterator[pl.DataFrame]:
        multiline = bool(quote) and _contains(data_path, quote.encode("utf-8"))
        suspect = pl.col(_SPARE).is_not_null() | (
            pl.col(names[-1]).is_null() & ~pl.all_horizontal(pl.col(n).is_null() for n in names))
        done, next_line = 0, header_line + header_lines
        for batch in records(multiline):
            if batch.height == 0:
                continue
            if multiline:
                spans = batch.select(1 + pl.sum_horizontal(
                    pl.col(n).str.count_matches("\n").fill_null(0) for n in names
                ).cast(pl.Int64)).to_series()
                rows_ = spans.cum_sum() - spans + next_line
                next_line = int(rows_[-1] + spans[-1])
            else:
                rows_ = pl.int_range(next_line, next_line + batch.height, dtype=pl.Int64,
                                     eager=True)
                next_line += batch.height
            if batch.select(suspect.any()).item():
                part = data_geometry().slice(done, batch.height)
                if part.height == batch.height:
                    rows_ = part["line"]
                    ragged = part.filter(~pl.col("blank") & (pl.col("cells") != len(names)))
                    if ragged.height:
                        source.problems = pl.concat([source.problems,
                                                     ragged_problems(ragged, names)])
                else:  # should not happen; keep counting by embedded newlines, and say so
                    _warn(source, "approximate_lines", "the quoting of this file could not "
                          "be followed exactly: row numbers may be off and ragged rows "
                          "unreported")
            done += batch.height
            # a new frame: with_columns would align the chunks (one per block) serially
            yield pl.DataFrame([rows_.cast(pl.Int64).alias(ROW),
                                *batch.select(names).get_columns()])

    def batches() -> Iterator[pl.DataFrame]:
        produced = False
        try:
            for batch in polars_batches():
                produced = True
                yield batch
        except pl.exceptions.ComputeError as exc:
            if _utf8_error(exc):
                raise  # not a quoting problem: the encoding was guessed from the head
            if produced:  # too late to start again: a clean error instead of half a file
                raise InputError(f"malformed CSV: {str(exc).splitlines()[0]}",
                                 where=str(path)) from None
            from salesfmt.readers._pycsv import lenient_batches

            source.problems = header_problems(names, originals, letters, header_line, None)
            _warn(source, "lenient_quoting", "quotes in this file are not RFC 4180 (text "
                  "after a closing quote, or a quote inside an unquoted value); it was read "
                  "leniently, keeping such characters as text")
            yield from lenient_batches(source, data_path, delimiter, options, header_idx)

    source._batches = batches
    return source


_SPARE = RESERVED[1]  # one column beyond the header: non-null when a row has extra cells


def _contains(path: Path, needle: bytes) -> bool:
    """True when the file holds ``needle`` anywhere, read in 1 MiB pieces (a memory map
    of the whole file would count every page in the process's memory)."""
    with path.open("rb") as fh:
        tail = b""
        while piece := fh.read(_SCAN_PIECE):
            if needle in tail + piece[:len(needle) - 1] or needle in piece:
                return True
            tail = piece[-(len(needle) - 1):] if len(needle) > 1 else b""
    return False


_SCAN_PIECE = 1 << 20


def _warn(source: Source, code: str, message: str) -> None:
    """Add a file-level warning once."""
    if (source.problems["code"] == code).any():
        return
    from salesfmt.problems import file_problem

    source.problems = pl.concat([source.problems,
                                 file_problem(code, message, severity=Severity.WARNING)])
