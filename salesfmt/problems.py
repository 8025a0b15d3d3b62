"""The one problem table every stage appends to; every report is a view of it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from enum import StrEnum
from pathlib import Path

import polars as pl

from salesfmt.spill import SpillDir, memory_budget

__all__ = ["Severity", "PROBLEM_SCHEMA", "empty_problems", "concat_problems", "file_problem",
           "column_letter", "ProblemRows", "N_"]


def N_(text: str) -> str:
    """Mark a message template for translation (``pybabel extract``); returns it unchanged.
    Lives here, not in :mod:`salesfmt.i18n`, so any stage can mark its messages."""
    return text


class Severity(StrEnum):
    """Errors reject the line; warnings are reported but the line is still converted."""

    ERROR = "error"
    WARNING = "warning"


#: Columns of the problem table. ``line`` is the line of the converted output the server
#: would name (header = 1); null for file-level problems. ``sheet``/``row``/``column``/
#: ``header`` are where it came from in the partner's file; ``value`` is the raw cell.
PROBLEM_SCHEMA: dict[str, pl.DataType] = {
    "line": pl.Int64,
    "sheet": pl.String,
    "row": pl.Int64,
    "column": pl.String,
    "header": pl.String,
    "field": pl.String,
    "code": pl.String,
    "severity": pl.String,
    "message": pl.String,
    "value": pl.String,
    "order": pl.Int64,
}


def empty_problems() -> pl.DataFrame:
    """A problem table with no rows."""
    return pl.DataFrame(schema=PROBLEM_SCHEMA)


def concat_problems(frames: list[pl.DataFrame]) -> pl.DataFrame:
    """Concatenate problem frames and sort them deterministically (line, field order, check)."""
    frames = [f.select(list(PROBLEM_SCHEMA)).cast(PROBLEM_SCHEMA) for f in frames if f.height]
    if not frames:
        return empty_problems()
    return (
        pl.concat(frames, rechunk=True)
        .sort(["line", "order", "row", "code"], nulls_last=False, maintain_order=True)
    )


class ProblemRows:
    """Problem frames collected during a run, in order; past the memory budget they wait
    in IPC files (the batch loop then holds no problem rows), read back when iterated."""

    def __init__(self, frames: Iterable[pl.DataFrame] = (), budget: int | None = None) -> None:
        self.budget = memory_budget() if budget is None else budget
        self._spill = SpillDir()
        self._files: list[Path] = []
        self._mem: list[pl.DataFrame] = []
        self._size = 0
        self.extend(frames)

    def append(self, frame: pl.DataFrame) -> None:
        """Add one problem frame (in the problem table's columns)."""
        if frame.height == 0:
            return
        frame = frame.select(list(PROBLEM_SCHEMA)).cast(PROBLEM_SCHEMA)
        self._mem.append(frame)
        self._size += frame.estimated_size()
        if self._size > self.budget:
            path = self._spill.file("problems")
            pl.concat(self._mem).write_ipc(path)
            self._files.append(path)
            self._mem, self._size = [], 0

    def extend(self, frames: Iterable[pl.DataFrame]) -> None:
        """Add problem frames."""
        for frame in frames:
            self.append(frame)

    def __iter__(self) -> Iterator[pl.DataFrame]:
        for path in self._files:
            yield pl.read_ipc(path)
        yield from self._mem

    def close(self) -> None:
        """Remove the spill files."""
        self._spill.close()


def file_problem(code: str, message: str, *, severity: Severity = Severity.ERROR,
                 sheet: str | None = None, row: int | None = None, column: str | None = None,
                 header: str | None = None, field: str | None = None,
                 value: str | None = None, line: int | None = None) -> pl.DataFrame:
    """A one-row problem table for a problem found outside the vectorised row checks."""
    return pl.DataFrame(
        [{"line": line, "sheet": sheet, "row": row, "column": column, "header": header,
          "field": field, "code": code, "severity": severity.value, "message": message,
          "value": value, "order": -1}],
        schema=PROBLEM_SCHEMA,
    )


def column_letter(index: int) -> str:
    """Spreadsheet column letter for a 0-based column index (0 → A, 26 → AA)."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters
