"""The cheap eager steps used inside the Python steps of a query."""

from __future__ import annotations

import polars as pl

from salesfmt._series import constant, fields, nulled, where


def test_where_skips_nulls_and_false() -> None:
    assert where(pl.Series([True, None, False, True])).to_list() == [0, 3]
    assert where(pl.Series([], dtype=pl.Boolean)).to_list() == []


def test_constant_of_any_length() -> None:
    assert constant(True, 3, pl.Boolean).to_list() == [True, True, True]
    assert constant(None, 2, pl.String).to_list() == [None, None]
    assert constant(False, 0, pl.Boolean).dtype == pl.Boolean
    assert constant(False, 0, pl.Boolean).len() == 0


def test_fields_in_order_of_a_chunked_struct() -> None:
    one = pl.struct(pl.Series("f", [1, None]), pl.Series("r", ["a", "b"]), eager=True)
    f, r = fields(pl.concat([one, one], rechunk=False))
    assert (f.name, r.name) == ("f", "r")
    assert f.to_list() == [1, None, 1, None] and r.to_list() == ["a", "b", "a", "b"]


def test_nulled_only_where_the_mask_is_true() -> None:
    s = pl.Series([1, 2, 3, None])
    assert nulled(s, pl.Series([True, None, False, False])).to_list() == [None, 2, 3, None]
    assert nulled(s, pl.Series([False, None, False, False])) is s
