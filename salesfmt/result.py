"""What a run produced: the :class:`Result` of ``salesfmt.check`` / ``salesfmt.convert``.

``Result.problems`` is the one problem table (``salesfmt.problems.PROBLEM_SCHEMA``), one row
per problem, sorted by output line, field order, source row and code:

=========  =======  ==================================================================
column     dtype    meaning
=========  =======  ==================================================================
line       Int64    line of the converted output the server would name (header = 1);
                    null for problems about the whole file (missing column, encoding)
sheet      String   the partner's sheet (workbooks), else null
row        Int64    1-based row of the partner's file, null for file-level problems
column     String   the partner's column letter (``"C"``), null when not one cell's
header     String   that column's header text in the partner's file
field      String   the target field concerned (``"amount"``)
code       String   the check's code (``"required"``, ``"not_a_number"``, ...)
severity   String   ``"error"`` (the line is rejected) or ``"warning"`` (still converted)
message    String   what to change, in the partner's terms
value      String   the partner's cell text as read
order      Int64    position of the field in the target (sort key; -1 file-level)
=========  =======  ==================================================================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from salesfmt.problems import Severity, empty_problems

if TYPE_CHECKING:
    from salesfmt.readers import Source
    from salesfmt.rules import RuleSet
    from salesfmt.targets import Target

__all__ = ["Result"]


@dataclass(repr=False)
class Result:
    """What a run did: counts, the problem table, where the output went."""

    path: Path
    rules: RuleSet
    target: Target
    source: Source
    rows_read: int = 0
    rows_skipped: int = 0
    rows_out: int = 0
    rows_rejected: int = 0
    #: The problem table (see the module docstring for its columns).
    problems: pl.DataFrame = field(default_factory=empty_problems)
    output: Path | None = None
    #: ``__row`` + the partner's columns (as text) of the first RAW_ROWS flagged rows.
    raw_rows: pl.DataFrame = field(default_factory=pl.DataFrame)
    #: First and last sale day of the converted rows (None when there is no sale date).
    sale_dates: tuple[date, date] | None = None
    #: Grouped targets: good lines rejected because another line of their record (sale,
    #: transaction) has an error: ``row`` and ``line``, in the partner's row order.
    rejected_with_record: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema={"row": pl.Int64, "line": pl.Int64}))
    #: Warnings left out of ``problems`` by the rule file's ``severity: {code: off}``.
    muted: dict[str, int] = field(default_factory=dict)

    @property
    def errors(self) -> pl.DataFrame:
        """Problems of severity error."""
        return self.problems.filter(pl.col("severity") == Severity.ERROR.value)

    @property
    def warnings(self) -> pl.DataFrame:
        """Problems of severity warning."""
        return self.problems.filter(pl.col("severity") == Severity.WARNING.value)

    @property
    def clean(self) -> bool:
        """True when no problem of severity error was found."""
        return self.errors.height == 0

    def envelope(self, *, cap: int = 100, with_source: bool = False) -> dict[str, Any]:
        """The server's JSON answer to this file: its success shape when clean, else the
        error envelope listing the first ``cap`` lines (``with_source``: where each was)."""
        from salesfmt.report.envelope import envelope

        return envelope(self, cap=cap, with_source=with_source)

    def __repr__(self) -> str:
        return (f"Result(path={str(self.path)!r}, target={self.target.name!r}, "
                f"rows_read={self.rows_read}, rows_out={self.rows_out}, "
                f"rows_rejected={self.rows_rejected}, rows_skipped={self.rows_skipped}, "
                f"errors={self.errors.height}, warnings={self.warnings.height})")

    def check_balance(self) -> None:
        """Nothing lost: rows in = rows out + rows rejected + rows skipped."""
        total = self.rows_out + self.rows_rejected + self.rows_skipped
        if total != self.rows_read:
            raise AssertionError(f"row accounting broken: {self.rows_read} read but "
                                 f"{self.rows_out} out + {self.rows_rejected} rejected + "
                                 f"{self.rows_skipped} skipped = {total}")
