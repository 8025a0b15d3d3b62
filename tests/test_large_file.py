"""A large, many-batch, many-chunk file through the problem-message path (pl.format over
filtered string columns has panicked in polars' streaming engine; keep this covered)."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import polars as pl
from conftest import ROOT

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import frame  # noqa: E402

from salesfmt import load_rules, load_target, run  # noqa: E402

ROWS = 400_000


def test_large_file_messages_and_accounting(tmp_path: Path) -> None:
    src = tmp_path / "big.csv"
    data = frame(ROWS, seed=11)
    # write in pieces so the reader sees many chunks
    with src.open("wb") as fh:
        for i, part in enumerate(data.iter_slices(50_000)):
            part.write_csv(fh, separator=";", include_header=i == 0)
    out = tmp_path / "big.out.csv"
    res = run(src, load_rules(ROOT / "benchmarks" / "bench-partner.yaml"),
              load_target("bulk-csv"), today=date(2026, 11, 1), output=out, batch_size=60_000)
    assert res.rows_read == ROWS
    assert res.rows_read == res.rows_out + res.rows_rejected + res.rows_skipped
    p = res.problems
    assert 0.005 * ROWS < res.rows_rejected < 0.02 * ROWS
    assert p["message"].null_count() == 0
    lines = p["line"]
    assert lines.is_sorted() and lines.min() >= 2 and lines.max() <= ROWS + 1
    # every message names its column and, where it has one, the raw value is the cell's
    counts = dict(p.group_by("message").len().iter_rows())
    assert counts["AMOUNT is not a valid number"] == p.filter(pl.col("value") == "€ 12,5O").height
    assert sum(n for m, n in counts.items() if m.startswith("SALE_DATE: Datum '")) > 0
    assert counts["QUANTITY is not a valid number"] > 0
    # the written file has exactly the good rows
    written = pl.scan_csv(out, infer_schema=False).select(pl.len()).collect().item()
    assert written == res.rows_out
    # bad rows are not in the output; good rows are
    bad_line = int(p["line"][0])
    bad_id = str(1_000_000 + bad_line - 2)
    ids = pl.scan_csv(out, infer_schema=False).select("ORDER_ID").collect()["ORDER_ID"]
    assert bad_id not in set(ids.to_list())
