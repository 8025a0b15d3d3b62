"""The rejects file: the lines a run rejected, in the partner's own layout, to fix and resend.

A CSV comes back as a CSV (the partner's own lines, byte for byte, plus a "Problems"
column); a workbook comes back as an XLSX (a "What to do" sheet, then the rejected rows as
read, problem cells filled and commented, plus "Problems"). Read back with the same rule
file, "Problems" is one more column the rule does not map, so it is ignored.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Any

from salesfmt.rejects._csv import csv_rejects
from salesfmt.rejects._rows import PROBLEMS_HEADER, Rejected, rejected_rows
from salesfmt.rejects._xlsx import INSTRUCTIONS_SHEET, xlsx_rejects

__all__ = ["RejectsFormat", "rejects_bytes", "rejected_rows", "Rejected", "PROBLEMS_HEADER",
           "INSTRUCTIONS_SHEET"]


class RejectsFormat(StrEnum):
    """The rejects file's format, from the partner file's: CSV stays CSV, workbooks → XLSX."""

    CSV = "csv"
    XLSX = "xlsx"

    @classmethod
    def for_input(cls, path: str | Path) -> RejectsFormat:
        """The format for a partner file, judged by its extension (as the readers' table)."""
        from salesfmt.readers import SUPPORTED_EXTENSIONS

        kind = SUPPORTED_EXTENSIONS.get(Path(path).suffix.lower(), "csv")
        return cls.CSV if kind == "csv" else cls.XLSX

    @property
    def suffixes(self) -> tuple[str, ...]:
        """File name endings a rejects file of this format may have."""
        return (".csv", ".tsv", ".txt") if self is RejectsFormat.CSV else (".xlsx",)


def _csv(result: Any, rejected: Rejected) -> bytes:
    src, rules = result.source, result.rules
    return csv_rejects(result.path, encoding=src.encoding, delimiter=src.delimiter or ",",
                       quote=rules.quote_char or "", escape=rules.escape_char,
                       header_line=src.header_row, rejected=rejected)


_WRITERS = {RejectsFormat.CSV: _csv, RejectsFormat.XLSX: xlsx_rejects}


def rejects_bytes(result: Any, lang: str | None = None) -> bytes:
    """The rejects file of a finished run (a header only when no line was rejected); its
    problem texts in ``lang`` (``--lang``), else the rule file's ``language:``."""
    fmt = RejectsFormat.CSV if result.source.format == "csv" else RejectsFormat.XLSX
    return _WRITERS[fmt](result, rejected_rows(result, lang))
