"""``salesfmt batch`` at scale, and the ledger's key check (issue 15). Not a test.

1. batch: FILES generated partner files of mixed kinds (bulk-csv from the generated Dutch
   till export, Wallie from POS lines, Thalamus party and partner sales), ids unique per
   file, as one inbox: wall time of ``salesfmt batch`` with -j1, -j2 and a Dask
   LocalCluster (2 worker processes), each in a fresh ledger and output folder, paired
   runs, median and spread; ratios against -j1 of the same round.
2. ledger: KEYS ids of earlier deliveries in the key store (1M per delivery): its size on
   disk; then a ROWS-line convert to bulk-csv, and the batch's extra work on it (read the
   ids back from the output, align their lines, look them up, profile the file for drift;
   then record the ids): seconds and the ratio to the convert, in the same process,
   median of --repeat.

Usage: python benchmarks/bench_batch.py [--files 200] [--rows 200] [--keys 10000000]
       [--convert-rows 1000000] [--repeat 3] [--only batch|ledger]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from generate import frame, generate  # noqa: E402

SAMPLES = ROOT / "samples"
CONFIG = """routes:
  - {name: till, rules: %s, to: bulk-csv, channel: till, files: ["till-*.csv"]}
  - {name: pos, rules: pos-lines, to: wallie, files: ["pos-*.csv"]}
  - {name: party, rules: party-pos, to: thalamus-party-sale, files: ["party-*.csv"]}
  - {name: loyalty, rules: loyalty-partner, to: thalamus-partner-sale, files: ["loy-*.csv"]}
"""
#: sample file, id column(s) made unique per file
_KINDS = [("pos", "pos-lines-returns.csv", ["Receipt"]),
          ("party", "party-transactions.csv", ["Transaction"]),
          ("loy", "loyalty-partner-sales.csv", ["Transaction"])]


def make_inbox(folder: Path, files: int, rows: int) -> Path:
    """FILES partner files of four kinds; the till exports have ROWS lines."""
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(files):
        kind = i % 4
        if kind == 0:
            df = frame(rows, seed=i).with_columns(
                Bonnummer=(pl.int_range(pl.len()) + 10_000_000 + i * rows).cast(pl.String))
            df.write_csv(folder / f"till-{i:04d}.csv", separator=";")
            continue
        prefix, sample, ids = _KINDS[kind - 1]
        df = pl.read_csv(SAMPLES / sample, infer_schema=False)
        df = df.with_columns(pl.concat_str([pl.lit(f"F{i}-"), pl.col(c)]).alias(c) for c in ids)
        df.write_csv(folder / f"{prefix}-{i:04d}.csv")
    return folder


def _batch(inbox: Path, config: Path, work: Path, *extra: str) -> float:
    out, ledger = work / "out", work / "ledger.sqlite"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "salesfmt", "batch", str(inbox), "-c",
                           str(config), "-o", str(out), "--ledger", str(ledger), "--today",
                           "2026-11-01", "--no-progress", *extra], capture_output=True,
                          text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode not in (0, 1):
        raise SystemExit(f"batch failed ({proc.returncode}): {proc.stderr[-500:]}")
    return elapsed


def bench_batch(files: int, rows: int, repeat: int) -> dict:
    from distributed import LocalCluster

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        inbox = make_inbox(tmp / "inbox", files, rows)
        config = tmp / "deliveries.yaml"
        config.write_text(CONFIG % (HERE / "bench-partner.yaml"))
        times: dict[str, list[float]] = {"j1": [], "j2": [], "dask": []}
        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cluster:
            for _ in range(repeat):  # paired: the three in the same round
                times["j1"].append(_batch(inbox, config, tmp / "w", "-j", "1"))
                times["j2"].append(_batch(inbox, config, tmp / "w", "-j", "2"))
                times["dask"].append(_batch(inbox, config, tmp / "w", "--scheduler",
                                            cluster.scheduler_address))
    out = {k: {"median_s": round(statistics.median(v), 2), "min_s": round(min(v), 2),
               "max_s": round(max(v), 2)} for k, v in times.items()}
    for k in ("j2", "dask"):
        ratios = [b / a for a, b in zip(times["j1"], times[k], strict=True)]
        out[k]["ratio_to_j1_median"] = round(statistics.median(ratios), 2)
        out[k]["ratio_spread"] = [round(min(ratios), 2), round(max(ratios), 2)]
    return {"files": files, "rows_per_till_file": rows, **out}


_LEDGER_STEP = r"""
import json, sys, time
from datetime import date
from pathlib import Path
import polars as pl
from salesfmt import load_rules, load_target, run
from salesfmt.ledger.drift import profile
from salesfmt.ledger.keys import align_lines, read_keys
from salesfmt.ledger.store import KeyStore
src, out, rules, ledger, scratch = sys.argv[1:6]
t0 = time.perf_counter()
res = run(src, load_rules(rules), load_target("bulk-csv"), today=date(2026, 11, 1),
          output=Path(out))
t1 = time.perf_counter()
keys, total = read_keys("bulk-csv", [res.output])
keys = align_lines(keys, res.errors.filter(pl.col("line").is_not_null())["line"])
seen = KeyStore(Path(ledger)).seen("bulk-csv", "till", "ORDER_ID", keys["ORDER_ID"])
profile(res, Path(src), total)
t2 = time.perf_counter()
KeyStore(Path(scratch)).add("bulk-csv", "till", "till_02-01-2026_1.csv", keys)
t3 = time.perf_counter()
print(json.dumps({"convert_s": t1 - t0, "check_s": t2 - t1, "record_s": t3 - t2,
                  "hits": seen.height, "keys": keys["ORDER_ID"].height}))
"""


def bench_ledger(n_keys: int, rows: int, repeat: int) -> dict:
    from salesfmt.ledger.store import KeyStore

    src = generate(rows)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ledger = tmp / "ledger.sqlite"
        store = KeyStore(ledger)
        per = 1_000_000
        t0 = time.perf_counter()
        for d in range(0, n_keys, per):
            n = min(per, n_keys - d)
            keys = pl.select((pl.int_range(n) + 20_000_000 + d).cast(pl.String).alias("key"),
                             (pl.int_range(n) + 2).cast(pl.Int64).alias("line"),
                             pl.lit(None, pl.String).alias("parent"))
            if d == 0:  # 1000 of the file's ids were sent before: the hit path runs too
                keys = keys.with_columns(pl.when(pl.int_range(n) < 1000)
                                         .then((pl.int_range(n) * 997 + 1_000_000)
                                               .cast(pl.String))
                                         .otherwise(pl.col("key")).alias("key"))
            store.add("bulk-csv", "till", f"till_01-01-2026_{d // per + 1}.csv",
                      {"ORDER_ID": keys})
        build = time.perf_counter() - t0
        size = store.size()
        runs = []
        for _ in range(repeat):
            proc = subprocess.run([sys.executable, "-c", _LEDGER_STEP, str(src),
                                   str(tmp / "out.csv"), str(HERE / "bench-partner.yaml"),
                                   str(ledger), str(tmp / "scratch" / "l.sqlite")],
                                  capture_output=True, text=True, check=True)
            shutil.rmtree(tmp / "scratch", ignore_errors=True)
            runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
            (tmp / "out.csv").unlink(missing_ok=True)
    ratios = [(r["check_s"] + r["record_s"]) / r["convert_s"] for r in runs]
    return {"keys": n_keys, "disk_mb": round(size / 1e6, 1),
            "bytes_per_key": round(size / n_keys, 2), "build_s": round(build, 1),
            "convert_rows": rows, "hits": runs[0]["hits"],
            "convert_s_median": round(statistics.median(r["convert_s"] for r in runs), 2),
            "check_s_median": round(statistics.median(r["check_s"] for r in runs), 3),
            "record_s_median": round(statistics.median(r["record_s"] for r in runs), 3),
            "overhead_median": round(statistics.median(ratios), 3),
            "overhead_spread": [round(min(ratios), 3), round(max(ratios), 3)]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--files", type=int, default=200)
    ap.add_argument("--rows", type=int, default=200)
    ap.add_argument("--keys", type=int, default=10_000_000)
    ap.add_argument("--convert-rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", choices=["batch", "ledger"])
    a = ap.parse_args()
    if a.only != "ledger":
        print(json.dumps({"batch": bench_batch(a.files, a.rows, a.repeat)}, indent=1))
    if a.only != "batch":
        print(json.dumps({"ledger": bench_ledger(a.keys, a.convert_rows, a.repeat)},
                         indent=1))


if __name__ == "__main__":
    main()
