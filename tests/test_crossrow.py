"""Cross-row checks: composite unique keys and values consistent within a group, declared
by a target and by a rule file, across batch boundaries."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest

from salesfmt.checks.crossrow import CrossRowDecl
from salesfmt.pipeline import run
from salesfmt.rules import compiler as compiler_mod
from salesfmt.rules import load_rules
from salesfmt.targets.spec import load_target

TARGET = """
name: lines
description: test target with cross-row declarations
output: csv
unique: [[SALE, LINE]]
consistent:
  - {group: SALE, fields: [DATE, SHOP]}
fields:
  - {name: SALE, from: sale_id, type: text, required: true}
  - {name: LINE, from: line_number, type: integer, required: true}
  - {name: DATE, from: sold_at, type: date}
  - {name: SHOP, from: location_id, type: text}
"""

RULES = """
name: lines
fields:
  sale_id: sale
  line_number: line
  sold_at: date
  location_id: shop
"""

ROWS = """sale,line,date,shop
A,1,2026-10-01,S1
A,2,2026-10-01,S1
B,1,2026-10-02,S2
A,2,2026-10-01,S1
A,3,2026-10-03,S1
B,2,2026-10-02,S9
C,1,2026-10-04,S3
"""


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path, Path]:
    (tmp_path / "t.yaml").write_text(TARGET)
    (tmp_path / "r.yaml").write_text(RULES)
    (tmp_path / "in.csv").write_text(ROWS)
    return tmp_path / "in.csv", tmp_path / "r.yaml", tmp_path / "t.yaml"


@pytest.mark.parametrize("batch_size", [1, 2, 3, 1000])
def test_target_declared_cross_row(files, batch_size: int) -> None:
    src, rules, target = files
    res = run(src, load_rules(rules), load_target(str(target)), today=date(2026, 11, 1),
              batch_size=batch_size)
    got = res.problems.select("line", "code", "message").rows()
    assert got == [
        (5, "duplicate", "SALE + LINE is duplicated (first seen on line 3)"),
        (6, "inconsistent", "DATE differs from line 2 of the same SALE ('2026-10-01')"),
        (7, "inconsistent", "SHOP differs from line 4 of the same SALE ('S2')"),
    ]
    assert (res.rows_read, res.rows_out, res.rows_rejected) == (7, 4, 3)


def test_rule_declared_cross_row(files, monkeypatch) -> None:
    src, rules, target = files
    original = compiler_mod.compile_rules

    def with_rule(rs, source):
        compiled = original(rs, source)
        compiled.cross.append(CrossRowDecl("consistent", ("sale_id",), ("location_id",)))
        return compiled

    monkeypatch.setattr("salesfmt.pipeline.compile_rules", with_rule)
    plain = load_target(str(target))
    res = run(src, load_rules(rules), plain, today=date(2026, 11, 1))
    shop = res.problems.filter(pl.col("field") == "SHOP")
    # declared twice (target and rule): both report the same line, each once
    assert shop["line"].to_list() == [7, 7]


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("composite", [False, True])
def test_unique_state_matches_a_whole_file_answer(seed: int, composite: bool) -> None:
    """Batch by batch (random batch sizes) gives what one pass over the whole file gives:
    the first occurrence of each key is valid, every later one points at its line."""
    import random

    from salesfmt.checks.crossrow import (
        LINE,
        ROW,
        SEQ,
        CrossRowSpec,
        CrossRowState,
        first_line,
        first_row,
    )

    rng = random.Random(seed)
    n = 3000
    keys = ["a", "b"] if composite else ["a"]
    frame = pl.DataFrame({
        "a": [rng.choice([None, *range(400)]) for _ in range(n)],
        "b": [rng.choice(["x", "y", None]) for _ in range(n)],
    }).with_columns((pl.int_range(pl.len()) + 2).alias(SEQ)).with_columns(
        pl.col(SEQ).alias(LINE), (pl.col(SEQ) * 2 + 1).alias(ROW))
    present = pl.all_horizontal(pl.col(k).is_not_null() for k in keys)
    firsts = frame.filter(present).group_by(keys).agg(pl.col(LINE).min().alias("want_first"))
    want = (frame.join(firsts, on=keys, how="left", maintain_order="left", nulls_equal=False)
            .select((~present | (pl.col(LINE) == pl.col("want_first"))).alias("ok"),
                    pl.when(present & (pl.col(LINE) != pl.col("want_first")))
                    .then(pl.col("want_first")).alias("first")))
    state = CrossRowState({0: CrossRowSpec("unique", tuple(keys))})
    got, start = [], 0
    while start < n:
        size = rng.choice([1, 7, 50, 400])
        got.append(state.apply(frame.slice(start, size)).select(
            pl.col("ok:0").alias("ok"), pl.col(first_line(0)).alias("first"),
            pl.col(first_row(0)).alias("row")))
        start += size
    got_all = pl.concat(got)
    assert got_all["ok"].to_list() == want["ok"].to_list()
    bad = ~want["ok"]
    assert got_all["first"].filter(bad).to_list() == want["first"].filter(bad).to_list()
    assert got_all["row"].filter(bad).to_list() == [
        f * 2 + 1 for f in want["first"].filter(bad).to_list()]  # the first line's row
