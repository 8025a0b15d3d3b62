"""check + convert of an N-row partner CSV to bulk-csv, against bare polars read_csv +
write_csv of the same file, each step in a fresh process, measured in the same run.
Imports happen before the clock starts on both sides (the CLI adds about a second of
start-up, measured separately by timing `salesfmt --help`).

Usage: python benchmarks/bench_convert.py [--rows 1000000] [--repeat 3] [--rules FILE]
                                          [--baseline read|stream] [--only convert]
Prints seconds, peak RSS and the ratio to the baseline: median and best of --repeat runs,
and the spread (lowest–highest) of the per-run ratios (each run's step over the same run's
baseline). From 5M rows on the baseline is the streaming copy (``scan_csv`` +
``sink_csv``, bounded memory): ``read_csv`` + ``write_csv`` holds the whole file.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402

_STEP = r"""
import json, resource, sys, time
from datetime import date
from pathlib import Path
import polars as pl
from salesfmt import load_rules, load_target, run
kind, src, out, rules = sys.argv[1:5]
t0 = time.perf_counter()  # imports excluded on both sides: the work is compared
if kind == "baseline":
    pl.read_csv(src, separator=";", infer_schema=False).write_csv(out)
elif kind == "stream":
    pl.scan_csv(src, separator=";", infer_schema=False).sink_csv(out)
else:
    res = run(src, load_rules(rules), load_target("bulk-csv"), today=date(2026, 11, 1),
              output=Path(out) if kind == "convert" else None)
    assert res.rows_read == res.rows_out + res.rows_rejected + res.rows_skipped
elapsed = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": elapsed, "peak_mib": peak}))
"""


def step(kind: str, src: Path, rules: Path) -> dict[str, float]:
    """Run one measured step in a fresh interpreter (imports excluded from the timing)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.csv"
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", _STEP, kind, str(src), str(out), str(rules)],
                              capture_output=True, text=True, check=True)
        whole = time.perf_counter() - t0
    return {**json.loads(proc.stdout.strip().splitlines()[-1]), "whole": whole}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--rules", type=Path, default=HERE / "bench-partner.yaml")
    ap.add_argument("--baseline", choices=["read", "stream"],
                    help="read_csv + write_csv, or scan_csv + sink_csv [stream from 5M rows]")
    ap.add_argument("--only", choices=["check", "convert"], help="time one step alone")
    a = ap.parse_args()
    src = generate(a.rows)
    print(f"input: {src} ({src.stat().st_size / 2**20:.1f} MiB, {a.rows} rows)")
    base_kind = a.baseline or ("stream" if a.rows >= 5_000_000 else "read")
    steps = [a.only] if a.only else ["check", "convert"]
    results: dict[str, list[dict[str, float]]] = {"baseline": [], **{k: [] for k in steps}}
    for _ in range(a.repeat):
        for kind in results:
            results[kind].append(step(base_kind if kind == "baseline" else kind, src, a.rules))
    # median: the typical run; best (min): the least disturbed one, steadier on a shared
    # machine. Both are ratios to the baseline measured the same way in the same run.
    base = statistics.median(r["seconds"] for r in results["baseline"])
    base_best = min(r["seconds"] for r in results["baseline"])
    print(f"baseline: {'scan_csv + sink_csv' if base_kind == 'stream' else 'read + write'}")
    print(f"{'step':<10}{'median s':>9}{'ratio':>8}{'best s':>8}{'ratio':>8}{'peak MiB':>10}"
          f"{'ratios per run':>22}{'whole-process ratio':>21}")
    for kind, runs in results.items():
        secs = statistics.median(r["seconds"] for r in runs)
        best = min(r["seconds"] for r in runs)
        peak = max(r["peak_mib"] for r in runs)
        paired = [r["seconds"] / b["seconds"] for r, b in zip(runs, results["baseline"], strict=True)]
        spread = f"{min(paired):.2f}-{max(paired):.2f}x"
        whole = [r["whole"] / b["whole"] for r, b in zip(runs, results["baseline"], strict=True)]
        print(f"{kind:<10}{secs:>9.2f}{secs / base:>7.2f}x{best:>8.2f}{best / base_best:>7.2f}x"
              f"{peak:>10.0f}{spread:>22}{statistics.median(whole):>20.2f}x")

if __name__ == "__main__":
    main()
