"""The reader contract shared by CSV and workbook readers."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from salesfmt.columns import ROW
from salesfmt.errors import InputError
from salesfmt.problems import PROBLEM_SCHEMA, Severity, empty_problems

__all__ = ["ReadOptions", "Source", "HeaderScorer", "ROW", "detect_header", "unique_headers",
           "header_problems", "header_index"]


#: Scores a candidate header row (list of cell texts); the best-scoring row is the header.
HeaderScorer = Callable[[list[str]], float]

HEADER_SEARCH_ROWS = 30

#: Column names the readers use themselves: a header with such a text is renamed.
RESERVED = (ROW, "\x00spare")


@dataclass
class ReadOptions:
    """How to read a file; None means detect."""

    encoding: str | None = None
    delimiter: str | None = None
    quote_char: str = '"'
    escape_char: str | None = None  # e.g. "\\": read by the (slower) Python csv fallback
    skip_initial_space: bool = False  # ``a, "b"``: spaces before a quote (fallback only)
    sheet: str | int | None = None
    header_row: int | None = None  # 1-based: sheet row, or CSV record (= line unless quoted newlines precede)
    batch_size: int = 250_000
    #: Workbook cells holding a number (not text) are written with this decimal separator,
    #: so the rule's separators read them as the numbers they are (text cells keep theirs).
    decimal_separator: str = "."


@dataclass
class Source:
    """An opened partner file: what was detected, and its rows in batches."""

    path: Path
    format: str
    headers: list[str]
    original_headers: list[str]
    column_letters: list[str]
    header_row: int
    sheet: str | None = None
    encoding: str | None = None
    delimiter: str | None = None
    sheets: list[str] = field(default_factory=list)
    #: Sheet name → visible, hidden, veryhidden, chart or unreadable (workbooks only).
    sheet_states: dict[str, str] = field(default_factory=dict)
    #: Why the sheet was chosen when neither --sheet nor the rules named it and it is not
    #: simply the first one holding data (e.g. "its header fits the rules best").
    sheet_choice: str | None = None
    #: Columns holding both numeric cells and number-like text (XLSX), e.g. 24.5 and "54,00 €".
    mixed_numbers: list[str] = field(default_factory=list)
    problems: pl.DataFrame = field(default_factory=empty_problems)
    _batches: Callable[[], Iterator[pl.DataFrame]] | None = None
    _cleanup: list[Callable[[], None]] = field(default_factory=list)

    def batches(self) -> Iterator[pl.DataFrame]:
        """Yield the data rows (after the header) as String frames with ``__row``."""
        assert self._batches is not None
        try:
            yield from self._batches()
        except (pl.exceptions.PolarsError, pl.exceptions.PanicException) as exc:
            # a Rust panic is a BaseException: caught by name, still one line, exit 2
            reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            raise InputError(f"cannot read rows: {reason}", where=str(self.path)) from None

    def close(self) -> None:
        """Remove temporary files (transcoded copies)."""
        while self._cleanup:
            self._cleanup.pop()()

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def detect_header(rows: list[list[str]], scorer: HeaderScorer | None) -> int:
    """0-based index of the header among the first rows.

    The row with the best alias score wins; without one, the first row filled at least
    60% as much as the fullest (and with two cells or more): title lines above the header
    hold one or two cells, while a ragged data row further down may be longer than it.
    """
    rows = rows[:HEADER_SEARCH_ROWS]
    if not rows:
        return 0
    if scorer is not None:
        scores = [scorer(r) for r in rows]
        best = max(scores)
        if best > 0:
            return scores.index(best)
    filled = [sum(1 for c in r if c and c.strip()) for r in rows]
    most = max(filled)
    need = max(2, math.ceil(0.6 * most))
    if most < need:
        return filled.index(most)
    return next(i for i, n in enumerate(filled) if n >= need)


def header_index(rows: list[list[str]], options: ReadOptions, scorer: HeaderScorer | None,
                 where: str, available: int | None = None, what: str = "the file") -> int:
    """0-based header row: forced by ``options.header_row`` or detected; InputError if it
    lies beyond the ``available`` rows (default: ``rows``)."""
    idx = (options.header_row - 1) if options.header_row else detect_header(rows, scorer)
    available = len(rows) if available is None else available
    if idx >= available:
        raise InputError(f"header row {idx + 1} is beyond the end of {what} ({available} "
                         "rows)", where=where)
    if not rows[idx]:  # a blank line: every line near the top is blank or only delimiters
        raise InputError(f"no header row: record {idx + 1} of {what} is empty (choose the "
                         "header with --header-row or the rule file's input.header_row)",
                         where=where)
    return idx


def unique_headers(cells: list[str | None], letters: list[str] | None = None
                   ) -> tuple[list[str], list[str]]:
    """Column names from header cells: blanks named by their column letter (the sheet's own
    when ``letters`` is given), duplicates numbered, never two alike nor a reserved name.

    Returns (names, originals); originals keep the header text exactly as in the file.
    A header that is literally ``Ref (2)`` keeps its name; a later duplicate ``Ref`` then
    becomes ``Ref (3)``. A header named ``__row`` (our source-row column) is ``__row (2)``.
    """
    from salesfmt.problems import column_letter

    originals = [(c or "").strip() for c in cells]
    bases = [text or f"(column {letters[i] if letters else column_letter(i)})"
             for i, text in enumerate(originals)]
    taken = set(RESERVED)
    firsts: set[int] = set()
    for i, base in enumerate(bases):  # first occurrences keep their own text
        if base not in taken:
            taken.add(base)
            firsts.add(i)
    names: list[str] = []
    count: dict[str, int] = {}
    for i, base in enumerate(bases):
        if i in firsts:
            names.append(base)
            continue
        n = count.get(base, 1)
        while f"{base} ({n})" in taken or n == 1:
            n += 1
        count[base] = n
        taken.add(f"{base} ({n})")
        names.append(f"{base} ({n})")
    return names, originals


def header_problems(names: list[str], originals: list[str], letters: list[str], row: int,
                    sheet: str | None) -> pl.DataFrame:
    """Warnings for blank and duplicate header cells, naming the column each was given."""
    seen: set[str] = set()
    rows = []
    for name, text, letter in zip(names, originals, letters, strict=True):
        if not text:
            rows.append(("blank_header", f"column {letter} has no header; it is named "
                                         f"{name!r}", name, letter))
        elif text in RESERVED:
            rows.append(("duplicate_header", f"header {text!r} is a name salesfmt uses "
                                             f"itself; column {letter} is named {name!r}",
                         name, letter))
        elif text in seen:
            rows.append(("duplicate_header", f"header {text!r} appears more than once; "
                                             f"column {letter} is named {name!r}", name, letter))
        seen.add(text)
    if not rows:
        return empty_problems()
    return pl.DataFrame(
        [{"line": None, "sheet": sheet, "row": row, "column": letter, "header": name,
          "field": None, "code": code, "severity": Severity.WARNING.value, "message": msg,
          "value": None, "order": -1} for code, msg, name, letter in rows],
        schema=PROBLEM_SCHEMA)
