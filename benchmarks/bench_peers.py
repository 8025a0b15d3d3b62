"""salesfmt beside its peers (pandera, pointblank, frictionless) on the 1M-row file of
bench_convert, in one call, each step a whole process (interpreter start and imports
included) against the same baseline: ``python -c`` polars ``read_csv(infer_schema=False,
separator=";")`` + ``write_csv`` of the partner file.

The peers cannot read a partner's notation (decimal commas, dd-mm-yyyy, € signs), so they
validate the same lines in canonical text: the bulk-csv file ``salesfmt convert`` writes
from the partner file (made once, untimed). Every tool checks the same things on it: the
checks of ``salesfmt.targets.pandera_schema("bulk-csv")`` (types as patterns, required,
lengths, allowed values, unique ORDER_ID). salesfmt is timed on both files: the partner
file (its real job: parsing included) and the canonical one (the same work as the peers).
frictionless validates row by row in Python: it runs on the first 100k lines and its time
is extrapolated to the whole file (labelled so).

Needs the ``bench`` extra: ``pip install -e '.[bench]'``.
Usage: python benchmarks/bench_peers.py [--rows 1000000] [--repeat 5]
Prints per step the median and spread (min-max) of seconds and of the ratio to the
baseline of the same round, and the peak RSS.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402

#: frictionless runs on this many lines; its time is scaled to the file's line count
FRICTIONLESS_LINES = 100_000

_BASELINE = """
import sys, polars as pl
pl.read_csv(sys.argv[1], separator=";", infer_schema=False).write_csv(sys.argv[2])
"""

_PANDERA = """
import sys, warnings, polars as pl, pandera.polars as pa
from salesfmt.targets import pandera_schema
frame = pl.read_csv(sys.argv[1], infer_schema=False)
full = pandera_schema("bulk-csv", today=__import__("datetime").date(2026, 11, 1))
schema = pa.DataFrameSchema({c: full.columns[c] for c in frame.columns}, name="bulk-csv")
warnings.simplefilter("ignore")
try:
    schema.validate(frame, lazy=True)
    print(0)
except pa.errors.SchemaErrors as exc:
    print(exc.failure_cases.height)
"""

#: the exported schema's checks as (column, kind, argument) for the other peers
_CHECKS = """
import warnings
from salesfmt.targets import pandera_schema
def same_checks(columns):
    warnings.simplefilter("ignore")
    schema = pandera_schema("bulk-csv")
    out = []
    for name in columns:
        col = schema.columns[name]
        if not col.nullable:
            out.append((name, "required", None))
        if col.unique:
            out.append((name, "unique", None))
        for check in col.checks:
            stats = check.statistics or {}
            if check.name == "str_matches":
                out.append((name, "pattern", stats["pattern"]))
            elif check.name == "str_length":
                out.append((name, "max_length", stats["max_value"]))
            elif check.name == "isin":
                out.append((name, "allowed", list(stats["allowed_values"])))
    return out
"""

_POINTBLANK = _CHECKS + """
import sys, polars as pl, pointblank as pb
frame = pl.read_csv(sys.argv[1], infer_schema=False)
v = pb.Validate(data=frame)
for name, kind, arg in same_checks(frame.columns):
    if kind == "required":
        v = v.col_vals_not_null(columns=name)
    elif kind == "unique":
        v = v.rows_distinct(columns_subset=[name])
    elif kind == "pattern":
        v = v.col_vals_regex(columns=name, pattern=arg, na_pass=True)
    elif kind == "max_length":
        v = v.col_vals_expr(expr=pl.col(name).str.len_chars().fill_null(0) <= arg)
    elif kind == "allowed":
        v = v.col_vals_in_set(columns=name, set=arg)
v = v.interrogate()
print(sum(v.n_failed().values()))
"""

_FRICTIONLESS = _CHECKS + """
import sys, itertools
from frictionless import Resource, Schema, fields, validate
src, lines = sys.argv[1], int(sys.argv[2])
with open(src, encoding="utf-8") as fh, open(src + ".head.csv", "w", encoding="utf-8") as out:
    out.writelines(itertools.islice(fh, lines + 1))
header = open(src, encoding="utf-8").readline().strip().split(",")
constraints = {c: {} for c in header}
for name, kind, arg in same_checks(header):
    if kind == "pattern":
        constraints[name]["pattern"] = arg.lstrip("^").rstrip("$")
    elif kind == "max_length":
        constraints[name]["maxLength"] = arg
    elif kind == "allowed":
        constraints[name]["enum"] = arg
    else:
        constraints[name][kind] = True
schema = Schema(fields=[fields.StringField(name=c, constraints=constraints[c]) for c in header])
import os, time
os.chdir(os.path.dirname(src))  # frictionless reads relative paths only (safety)
t0 = time.perf_counter()
report = validate(Resource(path=os.path.basename(src) + ".head.csv", schema=schema),
                  limit_errors=10**9)
assert not [e for e in report.flatten(["type"]) if e[0] == "resource-error"], report.flatten()
print(len(report.flatten(["rowNumber"])))
print(time.perf_counter() - t0)  # the part extrapolated to the whole file
"""


def _identity_rules(path: Path) -> None:
    """A rule file reading the canonical bulk-csv file (its headers are the target's)."""
    from salesfmt.targets import load_target

    mapping = "\n".join(f"  {f.source}: {f.name}" for f in load_target("bulk-csv").fields
                        if f.source)
    path.write_text(f"name: bench-canonical\nparse:\n  decimal_separator: \".\"\n"
                    f"  date_formats: [\"%Y-%m-%d\"]\nfields:\n{mapping}\n", encoding="utf-8")


def _timed(argv: list[str]) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MiB, last stdout line) of one whole process."""
    with tempfile.TemporaryFile("w+") as out:
        t0 = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.PIPE, text=True)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read() if proc.stderr else ""
        out.seek(0)
        lines = out.read().strip().splitlines()
    if proc.returncode not in (0, 1):
        raise SystemExit(f"{argv[:3]} failed ({proc.returncode}): {err[-500:]}")
    return elapsed, usage.ru_maxrss / 1024, lines[-1] if lines else ""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    src = generate(a.rows)
    py = sys.executable
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        canonical, rules = work / "canonical.csv", work / "canonical.yaml"
        subprocess.run([py, "-m", "salesfmt", "convert", str(src), "--rules",
                        str(HERE / "bench-partner.yaml"), "--to", "bulk-csv", "-o",
                        str(canonical), "--today", "2026-11-01", "--force"],
                       capture_output=True, check=False)
        _identity_rules(rules)
        lines = sum(1 for _ in canonical.open(encoding="utf-8")) - 1
        scale = lines / min(FRICTIONLESS_LINES, lines)
        print(f"partner file: {src} ({a.rows} rows); canonical: {lines} lines")
        check = [py, "-m", "salesfmt", "check", "--today", "2026-11-01", "--format", "json"]
        steps = {
            "baseline (polars read+write)": [py, "-c", _BASELINE, str(src), str(work / "b.csv")],
            "salesfmt check, partner file": [*check, str(src), "--rules",
                                             str(HERE / "bench-partner.yaml"), "--to",
                                             "bulk-csv"],
            "salesfmt check, canonical": [*check, str(canonical), "--rules", str(rules),
                                          "--to", "bulk-csv"],
            "pandera (polars), canonical": [py, "-c", _PANDERA, str(canonical)],
            "pointblank, canonical": [py, "-c", _POINTBLANK, str(canonical)],
            f"frictionless, {FRICTIONLESS_LINES // 1000}k lines x{scale:.1f} (extrapolated)":
                [py, "-c", _FRICTIONLESS, str(canonical), str(FRICTIONLESS_LINES)],
        }
        runs: dict[str, list[tuple[float, float]]] = {k: [] for k in steps}
        for _ in range(a.repeat):  # one round = every step once: ratios within a round
            base = None
            for name, argv in steps.items():
                secs, peak, last = _timed(argv)
                if name.startswith("frictionless"):  # start-up once, validation scaled
                    secs += float(last) * (scale - 1)
                base = base if base is not None else secs
                runs[name].append((secs, peak, secs / base))
    print(f"{'step':<52}{'median s':>9}{'ratio median (min-max)':>26}{'peak MiB':>10}")
    for name, rs in runs.items():
        secs = statistics.median(r[0] for r in rs)
        ratios = [r[2] for r in rs]
        print(f"{name:<52}{secs:>9.2f}{statistics.median(ratios):>12.2f}x "
              f"({min(ratios):.2f}-{max(ratios):.2f}){max(r[1] for r in rs):>10.0f}")


if __name__ == "__main__":
    main()
