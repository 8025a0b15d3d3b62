"""What the partner loop costs: `convert` of an N-row partner CSV (~1% bad rows) to
bulk-csv, alone (the baseline), and with the rejects file written; and the same file with a
Totaal row, skipped by a `skip:` rule (the baseline of the next step) or checked as a
control total. Each step in a fresh process, paired in the same round (imports excluded
from the clock on every side).

Usage: python benchmarks/bench_partner_loop.py [--rows 1000000] [--repeat 5]
Prints, per step, the median seconds and the ratio to the baseline of the same round:
median, lowest and highest of --repeat rounds.
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

from generate import DATA, generate  # noqa: E402

_STEP = r"""
import json, sys, time
from datetime import date
from pathlib import Path
from salesfmt import load_rules, load_target, run
from salesfmt.rejects import rejects_bytes
kind, src, out, rules = sys.argv[1:5]
t0 = time.perf_counter()
res = run(src, load_rules(rules), load_target("bulk-csv"), today=date(2026, 11, 1),
          output=Path(out))
if kind == "rejects":
    Path(out).with_suffix(".rejects.csv").write_bytes(rejects_bytes(res))
print(json.dumps({"seconds": time.perf_counter() - t0, "rejected": res.rows_rejected}))
"""

_TOTALS_RULES = """name: bench-partner-totals
extends: {base}
control_total: {{row: {{column: Bonnummer, matches: "^Totaal"}}, amount: Bedrag, count: Aantal}}
"""
_SKIP_RULES = """name: bench-partner-skip
extends: {base}
skip: [{{column: Bonnummer, matches: "^Totaal"}}]
"""


def _with_totals(src: Path) -> Path:
    """The generated file with a Totaal row at the end (its numbers need not agree)."""
    out = DATA / f"{src.stem}_totaal.csv"
    if not out.exists():
        data = src.read_bytes()
        out.write_bytes(data + b"Totaal;;;;;1;\xe2\x82\xac 1.234,50" + b";" * 9 + b"\n")
    return out


def step(kind: str, src: Path, rules: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        proc = subprocess.run([sys.executable, "-c", _STEP, kind, str(src),
                               str(Path(tmp) / "out.csv"), str(rules)],
                              capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    src = generate(a.rows)
    totals_src = _with_totals(src)
    with tempfile.TemporaryDirectory() as tmp:
        rules = HERE / "bench-partner.yaml"
        totals = Path(tmp) / "bench-partner-totals.yaml"
        totals.write_text(_TOTALS_RULES.format(base=rules), encoding="utf-8")
        skip = Path(tmp) / "bench-partner-skip.yaml"
        skip.write_text(_SKIP_RULES.format(base=rules), encoding="utf-8")
        steps = {"baseline": (src, rules), "rejects": (src, rules),
                 "skip": (totals_src, skip), "totals": (totals_src, totals)}
        runs: dict[str, list[dict[str, float]]] = {k: [] for k in steps}
        for _ in range(a.repeat):
            for kind, (path, rule) in steps.items():
                runs[kind].append(step("rejects" if kind == "rejects" else "plain", path,
                                       rule))
    print(f"input: {src} ({a.rows} rows, {runs['rejects'][0]['rejected']} rejected)")
    print(f"{'step':<10}{'median s':>9}{'ratio median':>14}{'min':>7}{'max':>7}  (to)")
    for kind, got in runs.items():
        base = "skip" if kind == "totals" else "baseline"
        ratios = [r["seconds"] / b["seconds"] for r, b in zip(got, runs[base], strict=True)]
        print(f"{kind:<10}{statistics.median(r['seconds'] for r in got):>9.2f}"
              f"{statistics.median(ratios):>13.2f}x{min(ratios):>6.2f}x{max(ratios):>6.2f}x"
              f"  ({base})")


if __name__ == "__main__":
    main()
