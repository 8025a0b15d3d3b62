"""The CSV writer writes numbers as typed columns, byte for byte the output text; dates
as text from a calendar lookup, the same as ``strftime``."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest

from salesfmt.canonical import Kind
from salesfmt.rules.expr import date_text
from salesfmt.targets.spec import TargetField, load_target
from salesfmt.targets.validate import UNIX, csv_native, out, value
from salesfmt.targets.values import output_text as _output_text

_DEC = pl.Decimal(38, 6)
CASES = [
    (Kind.INTEGER, None, None, pl.Int64,
     [0, -1, 7, 2**62, -(2**62), None]),
    (Kind.DECIMAL, None, 2, _DEC,
     [Decimal("0"), Decimal("-0.005"), Decimal("0.005"), Decimal("0.015"), Decimal("12.5"),
      Decimal("-1234567.891234"), Decimal("99999999999999999999999999999.999999"), None]),
    (Kind.DECIMAL, None, 0, _DEC, [Decimal("2.5"), Decimal("3.5"), Decimal("-0.4"), None]),
    (Kind.DATE, UNIX, None, pl.Date, [date(1970, 1, 1), date(1969, 12, 31), date(2038, 1, 20),
                                      None]),
    (Kind.DATETIME, UNIX, None, pl.Datetime("us"),
     [datetime(1970, 1, 1, 0, 0, 1), datetime(1969, 12, 31, 23, 59, 59, 500_000),
      datetime(2026, 11, 1, 13, 5, 7, 999_999), None]),
]


@pytest.mark.parametrize(("kind", "fmt", "places", "dtype", "values"), CASES,
                         ids=[f"{c[0].value}-{c[1]}-{c[2]}" for c in CASES])
def test_typed_column_writes_as_its_output_text(kind: Kind, fmt: str | None,
                                                places: int | None, dtype: pl.DataType,
                                                values: list[object]) -> None:
    f = TargetField("F", "f", kind, False, (), format=fmt, decimals=places)
    native = csv_native(f)
    assert native is not None
    frame = pl.DataFrame({value("F"): values}, schema={value("F"): dtype})
    as_text = frame.select(_output_text(f).alias("F")).write_csv()
    assert frame.select(native.alias("F")).write_csv() == as_text


def test_text_and_other_formats_stay_text() -> None:
    for kind, fmt in [(Kind.TEXT, None), (Kind.DATE, "%d/%m/%Y"), (Kind.DATE, "%Y-%m-%d"),
                      (Kind.DATETIME, None),
                      (Kind.BOOLEAN, None), (Kind.DECIMAL, None)]:
        assert csv_native(TargetField("F", "f", kind, False, (), format=fmt)) is None


@pytest.mark.parametrize("fmt", ["%Y-%m-%d", "%d/%m/%Y", "%-d %B %Y"])
@pytest.mark.parametrize("days", [
    [],
    [None, None],
    [date(2026, 3, 1)],
    [date(2026, 3, 1), None, date(2026, 2, 28), date(2026, 3, 1), date(2024, 2, 29)],
    [date(1000, 1, 1), date(9999, 12, 31), None],  # a span wider than the column
    "beyond 9999",
    [date(2025, 12, 31) + timedelta(days=i % 400) for i in range(5000)],
], ids=["empty", "nulls", "one", "mixed", "wide", "beyond-9999", "many"])
def test_date_text_is_strftime(days: list[date | None] | str, fmt: str) -> None:
    if days == "beyond 9999":  # polars dates go past Python's: a partner's "+12345-01-01"
        frame = pl.DataFrame({"d": ["+12345-01-01", "+12345-01-02", "+12345-01-01"]}).select(
            pl.col("d").str.to_date("%Y-%m-%d"))
    else:
        frame = pl.DataFrame({"d": days}, schema={"d": pl.Date})
    half = frame.height // 2
    chunked = pl.concat([frame.head(half), frame.tail(frame.height - half)],
                        rechunk=False)
    for f in (frame, chunked):
        got = f.select(date_text(pl.col("d"), fmt))["d"]
        assert got.dtype == pl.String
        assert got.to_list() == f["d"].dt.strftime(fmt).to_list()


def test_bulk_csv_writer_reads_typed_numbers_and_date_text(tmp_path: Path) -> None:
    from salesfmt.targets.serializers.csv import CsvWriter

    target = load_target("bulk-csv")
    writer = CsvWriter(tmp_path / "out.csv", target)
    reads = dict(zip([f.name for f in target.fields], writer.columns(), strict=True))
    writer.abort()
    assert reads["AMOUNT"] == value("AMOUNT") and reads["SALE_DATE"] == out("SALE_DATE")
    assert reads["LAST_NAME"] == out("LAST_NAME")
