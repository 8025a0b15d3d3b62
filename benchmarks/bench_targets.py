"""Targets benchmark, each step in a fresh process (imports excluded), measured in one run:

* wallie: convert the seeded N-row partner CSV (benchmarks/generate.py) to wallie JSON,
  next to bulk-csv on the same file (time and peak RSS);
* sales-template: M lines into the XLSX template, and the writer alone against
  xlsxwriter ``constant_memory`` writing the same cells (same formats) from the same frame.

Usage: python benchmarks/bench_targets.py [--rows 1000000] [--xlsx-rows 100000] [--repeat 3]
                                          [--no-xlsx]
Ratios are medians of per-run ratios (each step over the same run's first step), with
their spread (lowest–highest); peak RSS is the highest of the runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402

_CONVERT = r"""
import json, resource, sys, time
from datetime import date
from pathlib import Path
src, out, rules, target = sys.argv[1:5]
from salesfmt import load_rules, load_target, run
t0 = time.perf_counter()
res = run(src, load_rules(rules), load_target(target), today=date(2026, 11, 1), output=Path(out))
assert res.rows_read == res.rows_out + res.rows_rejected + res.rows_skipped
print(json.dumps({"seconds": time.perf_counter() - t0, "rows_out": res.rows_out,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

# The converted rows are captured as polars frames (what the pipeline hands a writer), then
# the same frames are written by our template writer and by xlsxwriter, cell by cell.
_WRITERS = r"""
import json, resource, sys, time
from datetime import date
from pathlib import Path
import polars as pl
src, out, rules, which = sys.argv[1:5]
from salesfmt import load_rules, load_target, run
from salesfmt.targets import serializers
from salesfmt.targets.serializers._atomic import AtomicWriter
from salesfmt.targets.validate import out as o, value as v
frames = []
class Capture(AtomicWriter):
    def write(self, batch): frames.append(batch)
serializers.WRITERS[serializers.OutputShape.XLSX] = Capture
target = load_target("sales-template")
run(src, load_rules(rules), target, today=date(2026, 11, 1), output=Path(out + ".cap"))
frame = pl.concat(frames)
t0 = time.perf_counter()
if which == "salesfmt":
    from salesfmt.targets.serializers.xlsx import XlsxTemplateWriter
    w = XlsxTemplateWriter(Path(out), target)
    w.write(frame)
    w.commit()
else:
    import xlsxwriter
    wb = xlsxwriter.Workbook(out, {"constant_memory": True})
    ws = wb.add_worksheet("Sales")
    head = wb.add_format({"bold": True, "font_color": "white", "bg_color": "#1F4E78"})
    fmts = {"date": wb.add_format({"num_format": "yyyy-mm-dd"}),
            "integer": wb.add_format({"num_format": "0"}),
            "decimal": wb.add_format({"num_format": "#,##0.00"}),
            "text": wb.add_format({"num_format": "@"})}
    fields = list(target.fields)
    for c, f in enumerate(fields):
        ws.write_string(0, c, f.name, head)
    cols = [v(f.name) if f.kind.value == "date" else o(f.name) for f in fields]
    kinds = [f.kind.value for f in fields]
    for r, row in enumerate(frame.select(cols).iter_rows(), start=1):
        for c, (x, kind) in enumerate(zip(row, kinds)):
            if x is None:
                continue
            if kind == "date":
                ws.write_datetime(r, c, x, fmts["date"])
            elif kind in ("integer", "decimal"):
                ws.write_number(r, c, float(x), fmts[kind])
            else:
                ws.write_string(r, c, x, fmts["text"])
    wb.close()
print(json.dumps({"seconds": time.perf_counter() - t0, "rows_out": frame.height,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def _step(script: str, *args: str | Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        out.mkdir()
        proc = subprocess.run([sys.executable, "-c", script, str(args[0]),
                               str(out / f"x{args[-1]}"), *map(str, args[1:-1])],
                              capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _report(title: str, results: dict[str, list[dict[str, float]]], base: str) -> None:
    print(f"\n{title}\n{'step':<26}{'seconds':>9}{'ratio':>8}{'spread':>14}{'peak MiB':>10}"
          f"{'rows out':>10}")
    for name, runs in results.items():
        if not runs:
            continue
        secs = statistics.median(r["seconds"] for r in runs)
        peak = max(r["peak_mib"] for r in runs)
        paired = [r["seconds"] / b["seconds"] for r, b in zip(runs, results[base], strict=True)]
        spread = f"{min(paired):.2f}-{max(paired):.2f}x"
        print(f"{name:<26}{secs:>9.2f}{statistics.median(paired):>7.2f}x{spread:>14}"
              f"{peak:>10.0f}{runs[0]['rows_out']:>10}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--xlsx-rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-xlsx", action="store_true", help="JSON targets only")
    a = ap.parse_args()
    big = generate(a.rows)
    small = generate(a.xlsx_rows) if not a.no_xlsx else big
    print(f"inputs: {big} ({a.rows} rows)" + ("" if a.no_xlsx else f", {small} ({a.xlsx_rows} rows)"))
    json_runs: dict[str, list[dict[str, float]]] = {"bulk-csv": [], "wallie": []}
    xlsx_runs: dict[str, list[dict[str, float]]] = {
        "xlsxwriter constant_memory": [], "salesfmt template writer": [],
        "convert to sales-template": []}
    for _ in range(a.repeat):
        json_runs["bulk-csv"].append(
            _step(_CONVERT, big, HERE / "bench-partner.yaml", "bulk-csv", ".csv"))
        json_runs["wallie"].append(
            _step(_CONVERT, big, HERE / "bench-wallie.yaml", "wallie", ".json"))
        if a.no_xlsx:
            continue
        xlsx_runs["xlsxwriter constant_memory"].append(
            _step(_WRITERS, small, HERE / "bench-events.yaml", "xlsxwriter", ".xlsx"))
        xlsx_runs["salesfmt template writer"].append(
            _step(_WRITERS, small, HERE / "bench-events.yaml", "salesfmt", ".xlsx"))
        xlsx_runs["convert to sales-template"].append(
            _step(_CONVERT, small, HERE / "bench-events.yaml", "sales-template", ".xlsx"))
    _report(f"{a.rows} lines to JSON (median of {a.repeat})", json_runs, "bulk-csv")
    if not a.no_xlsx:
        _report(f"{a.xlsx_rows} lines to XLSX (median of {a.repeat})", xlsx_runs,
                "xlsxwriter constant_memory")


if __name__ == "__main__":
    main()
