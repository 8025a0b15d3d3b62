"""The names of the pipeline frame's columns, in one place (a leaf: imports nothing of salesfmt).

Rules produce ``c:f`` (typed value of canonical field ``f``), ``r:f`` (the partner's cell
text, shown in messages), ``m:f`` (the text the parser got) and ``u:f`` (not in a strict
value map); a target produces ``t:F`` (value of target field ``F``), ``o:F`` (its output
text) and ``ok:i`` (check instance ``i`` passed). ``__row``, ``__line`` and ``__seq`` are
the source row, the output line and the kept-row sequence.
"""

from __future__ import annotations

__all__ = ["TYPED", "RAW", "PARSED", "UNMAPPED", "VALUE", "OUT", "OK", "KNOWN", "ROW", "LINE", "SEQ",
           "typed", "raw", "parsed_text", "unmapped", "value", "out", "ok", "field_of"]

TYPED = "c:"
RAW = "r:"
PARSED = "m:"
UNMAPPED = "u:"
VALUE = "t:"
OUT = "o:"
OK = "ok:"
#: ``k:<column>``: the column's value is known (no cell it comes from failed to parse).
KNOWN = "k:"

#: 1-based row of the partner file (the reader's row number).
ROW = "__row"
#: Output line (the header is line 1; skipped rows take no line).
LINE = "__line"
#: Row identity (1 per partner line kept). Equals ``LINE`` for flat targets; for grouped
#: targets several rows share a record's LINE, so first occurrences are found by SEQ.
SEQ = "__seq"


def typed(name: str) -> str:
    """Frame column holding canonical field ``name``'s typed value."""
    return TYPED + name


def raw(name: str) -> str:
    """Frame column holding canonical field ``name``'s source text."""
    return RAW + name


def parsed_text(name: str) -> str:
    """Frame column holding the text canonical field ``name`` was parsed from."""
    return PARSED + name


def unmapped(name: str) -> str:
    """Frame column flagging values a strict value map did not know."""
    return UNMAPPED + name


def value(name: str) -> str:
    """Frame column holding target field ``name``'s typed value."""
    return VALUE + name


def out(name: str) -> str:
    """Frame column holding target field ``name`` as output text."""
    return OUT + name


def ok(index: int | str) -> str:
    """Frame column: check instance ``index`` passed (``ok("{}")`` gives a template)."""
    return f"{OK}{index}"


def field_of(column: str) -> str:
    """The field name of a prefixed column (``"c:amount"`` → ``"amount"``)."""
    return column.split(":", 1)[1]
