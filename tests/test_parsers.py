"""Parsers over whole batch columns: constants folded at plan time, many-chunk columns."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import polars as pl
import pytest

from salesfmt.canonical import Kind
from salesfmt.rules import parsers
from salesfmt.rules.parsers import ParseOptions, parse

COMMA = ParseOptions(decimal_separator=",", date_formats=("%d-%m-%Y",))


@pytest.mark.parametrize(("kind", "text", "want"), [
    (Kind.DECIMAL, "€ 1.234,50", Decimal("1234.5")),
    (Kind.INTEGER, "12", 12),
    (Kind.DATE, "03-04-2026", date(2026, 4, 3)),
    (Kind.TEXT, "  Jansen\u200b ", "Jansen"),
    (Kind.DECIMAL, None, None),
])
def test_a_constant_is_parsed_once_and_fills_every_row(kind: Kind, text: str | None,
                                                       want: object) -> None:
    expr = parse(kind, pl.lit(text, dtype=pl.String), COMMA)
    assert expr.meta.is_literal(allow_aliasing=True)
    got = pl.DataFrame({"x": [1, 2, 3]}).with_columns(expr.alias("v"))["v"]
    assert got.to_list() == [want] * 3


def test_many_chunk_column_takes_one_python_call_and_parses_every_chunk(monkeypatch) -> None:
    calls = []
    slow = parsers._decimal_text

    def counted(s: pl.Series, opts: ParseOptions) -> pl.Series:
        calls.append(len(s))
        return slow(s, opts)

    monkeypatch.setattr(parsers, "_decimal_text", counted)
    col = pl.Series("v", ["1,5", "1.234,5", "€ 2,00", "x"])
    for _ in range(9):
        col = col.append(pl.Series("v", ["1,5", "1.234,5", "€ 2,00", "x"]))
    assert col.n_chunks() == 10
    got = pl.DataFrame([col]).lazy().select(parse(Kind.DECIMAL, pl.col("v"), COMMA)
                                            ).collect(engine="in-memory").to_series()
    assert got.to_list() == [Decimal("1.5"), Decimal("1234.5"), Decimal("2"), None] * 10
    assert calls == [20]  # the cells the native cast left: "1.234,5" and "x", once


def test_text_tidy_agrees_with_stripping_every_non_ascii_cell() -> None:
    """The gated tidy (only cells with a zero-width end or NFC-changeable characters are
    touched) equals stripping all _BLANKS and NFC-normalising every cell."""
    import random

    bits = ["a", "é", "e\u0301", "\u200b", "\u200d", "\ufeff", "\u2060", "\u00a0", " ",
            "\u3000", "Å", "\u212b", "ß", "😀", "\t", "x\u200by"]
    rng = random.Random(7)
    cells = ["".join(rng.choice(bits) for _ in range(rng.randint(0, 5))) for _ in range(5000)]
    cells += [None, "", "\u200b", " \u200b ", "café", "\ufeffId"]
    col = pl.Series("v", cells, dtype=pl.String)
    got = pl.DataFrame([col]).select(parse(Kind.TEXT, pl.col("v")))["v"].to_list()
    blanks = parsers._BLANKS
    want = []
    for c in cells:
        t = None if c is None else __import__("unicodedata").normalize(
            "NFC", c.strip().strip(blanks).strip())
        want.append(t or None)
    assert got == want
