"""The reader contract shared by CSV and workbook readers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from salesfmt.errors import InputError
from salesfmt.problems import empty_problems

__all__ = ["ReadOptions", "Source", "HeaderScorer", "ROW", "detect_header", "unique_headers"]

#: Name of the source-row column every batch carries.
ROW = "__row"

#: Scores a candidate header row (list of cell texts); the best-scoring row is the header.
HeaderScorer = Callable[[list[str]], float]

HEADER_SEARCH_ROWS = 30


@dataclass
class ReadOptions:
    """How to read a file; None means detect."""

    encoding: str | None = None
    delimiter: str | None = None
    quote_char: str = '"'
    sheet: str | int | None = None
    header_row: int | None = None  # 1-based
    batch_size: int = 250_000


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
    problems: pl.DataFrame = field(default_factory=empty_problems)
    _batches: Callable[[], Iterator[pl.DataFrame]] | None = None
    _cleanup: list[Callable[[], None]] = field(default_factory=list)

    def batches(self) -> Iterator[pl.DataFrame]:
        """Yield the data rows (after the header) as String frames with ``__row``."""
        assert self._batches is not None
        try:
            yield from self._batches()
        except pl.exceptions.PolarsError as exc:
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
    """0-based index of the header among the first rows: best alias score, else fullest row."""
    rows = rows[:HEADER_SEARCH_ROWS]
    if not rows:
        return 0
    if scorer is not None:
        scores = [scorer(r) for r in rows]
        best = max(scores)
        if best > 0:
            return scores.index(best)
    filled = [sum(1 for c in r if c and c.strip()) for r in rows]
    return filled.index(max(filled))


def unique_headers(cells: list[str | None]) -> tuple[list[str], list[str]]:
    """Column names from header cells: blanks named by position, duplicates numbered.

    Returns (names, originals); originals keep the header text exactly as in the file.
    """
    from salesfmt.problems import column_letter

    originals = [(c or "").strip() for c in cells]
    names: list[str] = []
    seen: dict[str, int] = {}
    for i, text in enumerate(originals):
        name = text or f"(column {column_letter(i)})"
        if name in seen:
            seen[name] += 1
            name = f"{name} ({seen[name]})"
        else:
            seen[name] = 1
        names.append(name)
    return names, originals
