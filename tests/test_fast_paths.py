"""Cheap gates in the Python steps give the same answers as the full computation they skip.

Each gate rules cells out with a byte test before a parse or a regex; here the gated step
is compared with the same step run over every cell, on values chosen to sit at the edges
of each gate, and on random text (hypothesis).
"""

from __future__ import annotations

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from salesfmt.canonical import DECIMAL_SCALE
from salesfmt.rules import precision
from salesfmt.rules.parsers import ParseOptions, _decimal_text

NUMBERS = ["€ 12,50", "EUR 12,50", "12,50 EUR", "1e-400", "1E5", "2,5e0", "1,5e1",
           "2.123456789", "2,123456789", "2,1234560", "2,1234561", "0,0000001", ",1234567",
           "1.234.567,1234567", "1,234,567.1234567", "(1,1234567)", "1,1234567-",
           "1e\u22125", "€ 1,0000001", "12345678", "1 234 567,5", "e", "E1", "", None,
           "abc,defghijk", "2,5 e5", "1e+3", "12,3456789e2", " 1,1234567 "]


def _lost_everywhere(s: pl.Series, opts: ParseOptions) -> pl.Series:
    """``precision._lost`` without its gate: every cell parsed."""
    text = _decimal_text(s, opts)
    exp = text.str.contains("[eE]").fill_null(False)
    lost = (~exp & text.str.contains(rf"\.\d{{{DECIMAL_SCALE}}}\d*[1-9]")).fill_null(False)
    inexact = [bool(e) and precision._inexact(t) for e, t in zip(exp, text, strict=True)]
    return lost | pl.Series(inexact, dtype=pl.Boolean)


@pytest.mark.parametrize("dec", [",", "."])
def test_precision_gate_keeps_every_lost_digit(dec: str) -> None:
    opts = ParseOptions(decimal_separator=dec)
    s = pl.Series("v", NUMBERS, dtype=pl.String)
    assert precision._lost(s, opts).to_list() == _lost_everywhere(s, opts).to_list()


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(alphabet="0123456789,.eE+-\u2212 €()", max_size=14), max_size=20),
       st.sampled_from([",", "."]))
def test_precision_gate_on_random_numbers(cells: list[str], dec: str) -> None:
    opts = ParseOptions(decimal_separator=dec)
    s = pl.Series("v", cells, dtype=pl.String)
    assert precision._lost(s, opts).to_list() == _lost_everywhere(s, opts).to_list()


def test_shipped_country_table_is_what_babel_gives() -> None:
    from salesfmt.checks.countries import country_names, names_from_babel

    assert country_names() == names_from_babel(), (
        "babel's CLDR names changed: python -c \"from salesfmt.checks.countries import "
        "write_table; write_table()\" rewrites salesfmt/checks/country_names.json")


def test_country_codes_looked_up_only_for_non_codes_give_the_full_lookup() -> None:
    from salesfmt.checks.countries import country_code, country_names

    names = country_names()
    full = pl.coalesce(pl.col("c").str.to_lowercase().replace_strict(
        list(names), list(names.values()), default=None, return_dtype=pl.String), pl.col("c"))
    cells = [*names, *(k.upper() for k in names), *(k.title() for k in names),
             " NL", "xx", "", None, "Nederland ", "U.K."]
    frame = pl.DataFrame({"c": cells}, schema={"c": pl.String})
    assert frame.select(country_code(pl.col("c"))).equals(frame.select(full))


def test_a_constant_country_is_looked_up_for_every_row() -> None:
    from salesfmt.checks.countries import country_code

    frame = pl.DataFrame({"x": [1, 2, 3]})
    out = frame.with_columns(country_code(pl.lit("Nederland")).alias("c"))
    assert out["c"].to_list() == ["NL"] * 3
