"""check + convert of an N-row partner CSV to bulk-csv, against bare polars read_csv +
write_csv of the same file, each step in a fresh process, measured in the same run.

Two views, paired (every repeat runs every step once, in turn):

* whole process: the command as a user runs it (``salesfmt check`` / ``convert``, interpreter
  start and imports included) against ``python -c`` polars ``read_csv(infer_schema=False,
  separator=";")`` + ``write_csv``; and start-up: ``salesfmt check`` of a 1k-line file and
  ``salesfmt --version`` against ``python -c "import polars"``;
* in process: the work only (imports before the clock starts on both sides).

Each ratio is taken within one repeat (the baseline of the same repeat), then the median
and the spread (min–max) over the repeats are printed, beside median seconds, CPU seconds
(all threads) and peak RSS. On a shared machine the ratios are what to compare.

Usage: python benchmarks/bench_convert.py [--rows 1000000] [--repeat 5] [--rules FILE]
       [--only whole|inprocess] [--baseline read|stream]
From 5M rows the baseline is the streaming copy (``scan_csv`` + ``sink_csv``, bounded
memory): ``read_csv`` + ``write_csv`` would hold the whole file.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

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
elif kind == "stream":  # the streaming copy: bounded memory, the baseline from 5M rows
    pl.scan_csv(src, separator=";", infer_schema=False).sink_csv(out)
else:
    res = run(src, load_rules(rules), load_target("bulk-csv"), today=date(2026, 11, 1),
              output=Path(out) if kind == "convert" else None)
    assert res.rows_read == res.rows_out + res.rows_rejected + res.rows_skipped
elapsed = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": elapsed, "peak_mib": peak}))
"""

_BASELINE = ("import sys, polars as pl; pl.read_csv(sys.argv[1], separator=';', "
             "infer_schema=False).write_csv(sys.argv[2])")
_STREAM = ("import sys, polars as pl; pl.scan_csv(sys.argv[1], separator=';', "
           "infer_schema=False).sink_csv(sys.argv[2])")
#: a real install has compiled .pyc files: never measure the compiler
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _whole(kind: str, src: Path, small: Path, rules: Path, out: Path) -> list[str]:
    """The command line of a whole-process step."""
    cli = [sys.executable, "-m", "salesfmt"]
    common = ["-r", str(rules), "-t", "bulk-csv", "--today", "2026-11-01"]
    return {
        "baseline": [sys.executable, "-c", _BASELINE, str(src), str(out)],
        "stream": [sys.executable, "-c", _STREAM, str(src), str(out)],
        "check": [*cli, "check", str(src), *common],
        "convert": [*cli, "convert", str(src), *common, "-o", str(out), "--force"],
        "import polars": [sys.executable, "-c", "import polars"],
        "check 1k": [*cli, "check", str(small), *common],
        "--version": [*cli, "--version"],
    }[kind]


def generate(rows: int) -> Path:
    """The generated file (made once), by a child: this process stays small, so that the
    children's peak RSS is their own (a forked child starts with its parent's)."""
    out = subprocess.run([sys.executable, str(HERE / "generate.py"), str(rows)], check=True,
                         capture_output=True, text=True).stdout.strip().splitlines()[-1]
    return Path(out)


def timed(cmd: list[str]) -> dict[str, float]:
    """Wall seconds, CPU seconds (all threads) and peak RSS of one fresh process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=_ENV)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    code = os.waitstatus_to_exitcode(status)
    proc.returncode = code
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if code not in (0, 1):  # 1: the generated file has problems, by design
        raise SystemExit(f"{' '.join(cmd[:4])}: exit {code}\n{err[-2000:]}")
    return {"seconds": wall, "cpu": usage.ru_utime + usage.ru_stime,
            "peak_mib": usage.ru_maxrss / 1024}


def step(kind: str, src: Path, rules: Path) -> dict[str, float]:
    """Run one in-process step in a fresh interpreter (imports excluded from the timing)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.csv"
        proc = subprocess.run([sys.executable, "-c", _STEP, kind, str(src), str(out), str(rules)],
                              capture_output=True, text=True, check=True, env=_ENV)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def table(title: str, results: dict[str, list[dict[str, float]]], base: dict[str, str]) -> None:
    """Median seconds, and the ratio to the step's baseline per repeat: median [min–max]."""
    print(f"\n{title}")
    print(f"{'step':<14}{'median s':>9}{'cpu s':>8}{'ratio':>8}{'  spread':<15}{'peak MiB':>9}"
          f"  vs")
    for kind, runs in results.items():
        ref = results[base[kind]]
        ratios = [r["seconds"] / b["seconds"] for r, b in zip(runs, ref, strict=True)]
        cpu = [r["cpu"] for r in runs if "cpu" in r]
        print(f"{kind:<14}{statistics.median(r['seconds'] for r in runs):>9.3f}"
              f"{statistics.median(cpu) if cpu else float('nan'):>8.2f}"
              f"{statistics.median(ratios):>7.2f}x  {min(ratios):.2f}–{max(ratios):.2f}x   "
              f"{max(r['peak_mib'] for r in runs):>8.0f}  {base[kind]}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--rules", type=Path, default=HERE / "bench-partner.yaml")
    ap.add_argument("--only", choices=["whole", "inprocess"], default=None)
    ap.add_argument("--baseline", choices=["read", "stream"], default=None,
                    help="read_csv + write_csv, or scan_csv + sink_csv [stream from 5M rows]")
    a = ap.parse_args()
    stream = a.baseline == "stream" or (a.baseline is None and a.rows >= 5_000_000)
    src, small = generate(a.rows), generate(1000)
    print(f"input: {src} ({src.stat().st_size / 2**20:.1f} MiB, {a.rows} rows); "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    whole_kinds = ["baseline", "check", "convert", "import polars", "check 1k", "--version"]
    whole: dict[str, list[dict[str, float]]] = {k: [] for k in whole_kinds}
    inproc: dict[str, list[dict[str, float]]] = {k: [] for k in ("baseline", "check", "convert")}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out.csv"
        for _ in range(a.repeat):
            if a.only != "inprocess":
                for kind in whole:
                    run = "stream" if kind == "baseline" and stream else kind
                    whole[kind].append(timed(_whole(run, src, small, a.rules, out)))
            if a.only != "whole":
                for kind in inproc:
                    run = "stream" if kind == "baseline" and stream else kind
                    inproc[kind].append(step(run, src, a.rules))
    if a.only != "inprocess":
        table("whole process (interpreter start and imports included)", whole,
              {"baseline": "baseline", "check": "baseline", "convert": "baseline",
               "import polars": "import polars", "check 1k": "import polars",
               "--version": "import polars"})
    if a.only != "whole":
        table("in process (imports excluded)", inproc, dict.fromkeys(inproc, "baseline"))
    print(f"baseline: {'scan_csv + sink_csv (streaming copy)' if stream else 'read_csv + write_csv'}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
