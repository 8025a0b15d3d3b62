"""Built-in checks whose fast formulation must agree with the plain one on every input."""

from __future__ import annotations

import polars as pl

from salesfmt.checks import get_check
from salesfmt.checks.builtin import _FORMULA, _HARMLESS


def test_formula_like_agrees_with_the_regex_on_every_first_character() -> None:
    """The gated check (string comparisons, regex on the few candidates) flags exactly
    what its two regexes flag on every cell: every ASCII first character, Unicode, blank,
    null."""
    firsts = [chr(c) for c in range(1, 128)] + ["é", "€", "\u00a0", "\u200b", "😀", "Ａ"]
    values = [f + rest for f in firsts for rest in ("", "x", "=1+2", "0", "\t")]
    values += ["", None, "a=", " =1", "0=", "9+", ":+", "A", "@"]
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
    check = get_check("formula_like").fn
    got = frame.select(check(pl.col("v"), pl.col("v")).fill_null(True)).to_series()
    v = pl.col("v")
    want = frame.select((~(v.str.contains(_FORMULA) & ~v.str.contains(_HARMLESS)))
                        .fill_null(True)).to_series()
    assert got.to_list() == want.to_list()
    assert got.sum() < len(values) - 5 * 4  # the formula characters are flagged


def test_formula_like_on_a_many_chunk_column() -> None:
    """Each chunk may reach the check on its own: the result still lines up row by row."""
    col = pl.Series("v", ["Jansen", "=SUM(A1)", None, "+1+1", "12 Main St"])
    for _ in range(39):
        col = col.append(pl.Series("v", ["Jansen", "=SUM(A1)", None, "+1+1", "12 Main St"]))
    assert col.n_chunks() > 1
    got = pl.DataFrame([col]).select(
        get_check("formula_like").fn(pl.col("v"), pl.col("v")).fill_null(True)).to_series()
    assert got.to_list() == [True, False, True, False, True] * 40


def test_too_long_counts_characters_not_bytes() -> None:
    values = ["abc", "abcd", "ééé", "éééé", "😀😀😀", "😀😀😀😀", "", None, "a" * 100]
    frame = pl.DataFrame({"v": values}, schema={"v": pl.String})
    check = get_check("too_long").fn
    got = frame.select(check(pl.col("v"), pl.col("v"), max_length=3).fill_null(True))
    assert got.to_series().to_list() == [True, False, True, False, True, False, True, True,
                                         False]
