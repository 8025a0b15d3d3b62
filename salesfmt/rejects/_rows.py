"""Which partner rows a run rejected, and what the partner is told about each of them.

A row is rejected when it has an error (its own, or one the reader found on it), or when a
grouped target rejected it with its record (a sale, a transaction) because another line
of that record has an error. The text is the partner's: the column header, the message the
reports show and the fix (the check's partner explanation, as in the HTML report).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import polars as pl

from salesfmt.i18n import Language
from salesfmt.i18n.messages import hint, localize
from salesfmt.problems import Severity
from salesfmt.report.render import report_language

__all__ = ["Rejected", "rejected_rows", "PROBLEMS_HEADER"]

#: Header of the column that says what is wrong with each rejected line. Reading a rejects
#: file back, it is one more column no rule maps, so it is ignored.
PROBLEMS_HEADER = "Problems"


@dataclass(frozen=True)
class Rejected:
    """The rejected rows in the partner's row order: ``row`` (source row), ``texts``
    (one text per problem), ``letters`` (column letters of the problem cells) and
    ``cells`` (column letter → the texts about that cell, for cell comments)."""

    rows: list[int]
    texts: dict[int, list[str]]
    cells: dict[int, dict[str, list[str]]]

    def __len__(self) -> int:
        return len(self.rows)

    def joined(self, row: int, sep: str) -> str:
        """The row's problem texts in one cell."""
        return sep.join(self.texts.get(row, []))


def _hints(result: Any, codes: list[str], lang: Language) -> dict[str, str]:
    """Code as shown (a target may rename it) → what the partner changes (the fix), in
    ``lang``."""
    renamed = {shown: own for own, shown in result.target.codes.items()}
    return {code: hint(renamed.get(code, code), lang) for code in codes}


def _sentence(text: str) -> str:
    text = text.strip()
    return text if not text or text.endswith((".", "!", "?")) else text + "."


def problem_text(header: str | None, letter: str | None, message: str, hint: str) -> str:
    """One problem in the partner's words: ``Bedrag: AMOUNT is not a valid number. Write …``."""
    where = header or (f"column {letter}" if letter else "")
    lead = f"{where}: {message}" if where else message
    return f"{_sentence(lead)} {hint}".strip()


def with_record_text(noun: str, rows: list[int]) -> str:
    """Why a good line is rejected: another line of its record (sale, …) has an error."""
    where = ", ".join(str(r) for r in rows[:5]) + (" …" if len(rows) > 5 else "")
    which = f"row {where} has" if len(rows) == 1 else f"rows {where} have"
    return (f"Rejected with its {noun}: this line has no error itself, but {which} an error "
            f"and the {noun} is sent whole. Correct that line and send every line of the "
            f"{noun} again.")


def rejected_rows(result: Any, lang: str | None = None) -> Rejected:
    """The rows ``result`` rejected (errors on output lines, and lines rejected with their
    record), each with the partner's problem texts in ``lang`` (else the rule's language)."""
    language = report_language(result, lang)
    errors = result.problems.filter((pl.col("severity") == Severity.ERROR.value)
                                    & pl.col("line").is_not_null() & pl.col("row").is_not_null())
    errors = localize(errors, language, result.target)
    hints = _hints(result, errors.get_column("code").unique().sort().to_list(), language)
    texts: dict[int, list[str]] = {}
    cells: dict[int, dict[str, list[str]]] = {}
    ordered = errors.sort(["row", "order", "code"], maintain_order=True)
    for row, header, letter, code, message in ordered.select(
            "row", "header", "column", "code", "message").iter_rows():
        text = problem_text(header, letter, message or "", hints.get(code, ""))
        texts.setdefault(row, []).append(text)
        if letter:
            cells.setdefault(row, {}).setdefault(letter, []).append(text)
    with_record = getattr(result, "rejected_with_record", None)
    if with_record is not None and with_record.height:
        noun = result.target.group.noun if result.target.group is not None else "record"
        bad_rows = errors.group_by("line").agg(pl.col("row").unique().sort())
        by_line = dict(bad_rows.iter_rows())
        for row, line in with_record.select("row", "line").iter_rows():
            texts.setdefault(row, []).append(with_record_text(noun, by_line.get(line, [])))
    return Rejected(rows=sorted(texts), texts=texts, cells=cells)
