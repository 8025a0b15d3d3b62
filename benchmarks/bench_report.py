"""The HTML report for a file with a million problems: pipeline time, render time, size.

Builds an N-row charity-web CSV where every row has two errors (QUANTITY not a number,
PAYMENT_METHOD unmapped), runs the pipeline once, then renders the HTML report.

Usage: python benchmarks/bench_report.py [--rows 500000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import date
from pathlib import Path

import polars as pl

from salesfmt import load_rules, load_target, run
from salesfmt.report import ReportFormat, render

SAMPLE = Path(__file__).resolve().parent.parent / "samples" / "charity-lottery-web.csv"


def bad_file(rows: int, folder: Path) -> Path:
    """``rows`` copies of the sample's first line, each with two errors."""
    first = pl.read_csv(SAMPLE, infer_schema=False, n_rows=1)
    frame = first.select(pl.all().repeat_by(rows).explode()).with_columns(
        Ref=(pl.int_range(pl.len()) + 1).cast(pl.String), Tickets=pl.lit("two"),
        **{"Paid by": pl.lit("Bitcoin")})
    path = folder / "million-problems.csv"
    frame.write_csv(path)
    return path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=500_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = bad_file(args.rows, Path(tmp))
        t0 = time.perf_counter()
        result = run(src, load_rules("charity-web"), load_target("bulk-csv"),
                     today=date(2026, 11, 1))
        pipeline = time.perf_counter() - t0
        times, size = [], 0
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            html = render(ReportFormat.HTML, result)
            times.append(time.perf_counter() - t0)
            size = len(html.encode("utf-8"))
    print(json.dumps({"rows": args.rows, "problems": result.problems.height,
                      "pipeline_seconds": round(pipeline, 2),
                      "render_seconds_median": round(statistics.median(times), 2),
                      "html_bytes": size}))


if __name__ == "__main__":
    main()
