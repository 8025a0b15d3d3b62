"""Parsers over whole batch columns: constants folded at plan time, many-chunk columns."""

from __future__ import annotations

from datetime import UTC, date
from decimal import Decimal

import polars as pl
import pytest

from salesfmt.canonical import Kind
from salesfmt.rules import cascade, parsers
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


_POOLS = {
    Kind.DECIMAL: ["12,50", "€ 3,00", "1.234,56", "(7,00)", "12-", "x", "", " ", None, "1.5",
                   "0,1", "-0,2", "EUR 9", "1 234,5"],
    Kind.DATE: ["01-02-2026", "31-02-2026", "2026-03-04", "4/5/2026", "", None, "45000",
                "12-13-2026", "01-02-0026", "1-2-2026 10:00"],
    Kind.DATETIME: ["01-02-2026", "2026-03-04T10:11:12", "2026-03-04 10:11", "x", None,
                    "45000.5", "01-02-2026 10:00"],
}


@pytest.mark.parametrize("kind", list(_POOLS))
@pytest.mark.parametrize("seed", [1, 2])
def test_parsing_by_value_equals_parsing_every_cell(kind: Kind, seed: int,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """A column whose values repeat is parsed once per distinct value: the result is the
    same as parsing every cell, bad cells, blanks and nulls included, over many chunks."""
    import random

    rng = random.Random(seed)
    cells = [rng.choice(_POOLS[kind]) for _ in range(40_000)]
    cells += [f"{i},{i % 100:02d}" if kind is Kind.DECIMAL else None for i in range(2_000)]
    column = pl.concat([pl.DataFrame({"c": cells[i:i + 7_000]}, schema={"c": pl.String})
                        for i in range(0, len(cells), 7_000)], rechunk=False)
    opts = ParseOptions(decimal_separator=",", date_formats=("%d-%m-%Y",))
    assert cascade.repeats(column["c"])
    got = column.select(parse(kind, pl.col("c"), opts))["c"]
    monkeypatch.setattr(cascade, "repeats", lambda s: False)
    want = column.select(parse(kind, pl.col("c"), opts))["c"]
    assert got.dtype == want.dtype and got.to_list() == want.to_list()
    assert got.null_count() < len(got)


def test_distinct_values_are_parsed_cell_by_cell() -> None:
    assert not cascade.repeats(pl.Series([str(i) for i in range(100_000)]))
    assert not cascade.repeats(pl.Series(["1", "2"] * 100))  # too short to be worth it
    assert cascade.repeats(pl.Series([str(i % 20_000) for i in range(250_000)]))


@pytest.mark.parametrize("zone", ["Europe/Amsterdam", "America/New_York", "Australia/Lord_Howe"])
def test_instants_agree_with_zoneinfo(zone: str) -> None:
    """Every minute-ish local time around both DST changes of a year, naive and with an
    offset, parsed as zoneinfo reads it: a time the clocks skip or repeat has no value."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    tz, utc = ZoneInfo(zone), UTC
    start = datetime(2026, 1, 1)
    walls = [start + timedelta(minutes=37 * i) for i in range(365 * 24 * 60 // 37)]
    cells, want = [], []
    for wall in walls:
        first, second = wall.replace(tzinfo=tz, fold=0), wall.replace(tzinfo=tz, fold=1)
        back = first.astimezone(utc).astimezone(tz).replace(tzinfo=None)
        exists, once = back == wall, first.utcoffset() == second.utcoffset()
        cells.append(wall.strftime("%Y-%m-%d %H:%M:%S"))
        want.append(first.astimezone(utc).replace(tzinfo=None) if exists and once else None)
        offset = first.strftime("%z")  # the same wall time with an offset: always an instant
        cells.append(wall.strftime("%Y-%m-%dT%H:%M:%S") + offset[:3] + ":" + offset[3:])
        want.append(first.astimezone(utc).replace(tzinfo=None))
    got = pl.DataFrame({"c": cells}).select(
        parse(Kind.DATETIME, pl.col("c"), ParseOptions(timezone=zone)))["c"].to_list()
    assert got == want
    assert want.count(None) >= 1  # the sweep did cross a change (Lord Howe: 30 minutes)
