"""What every fuzz run must satisfy, whatever the input: the exit-code contract and the books.

* exit 0, 1 or 2, never a signal, never a timeout;
* exit 2: one stderr line, ``salesfmt: error:`` or ``salesfmt: usage:``, no traceback,
  and no output or report (nor a temporary file) left behind;
* exit 0/1: the summary's ``read = converted + rejected + skipped`` adds up; the JSON (the
  check's ``--format json --with-source`` or the convert report) has the summary's error,
  error-line and warning counts; exit 0 exactly when there is no error;
* convert: the output file holds as many records as the summary says were converted.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

__all__ = ["verdict", "count_records"]

_ROWS = re.compile(r"^rows: (\d+) read = (\d+) converted \+ (\d+) rejected \+ (\d+) skipped$",
                   re.M)
_PROBLEMS = re.compile(r"^problems: (?:clean|(\d+) error\(s\) on (\d+) line\(s\)), "
                       r"(\d+) warning\(s\)$", re.M)
_RECORDS_KEY = {"bulk-csv": "result", "sales-template": "records",
                "thalamus-partner-sale": "requests", "thalamus-party-sale": "items"}


def count_records(path: Path, target: str) -> int:
    """Records in a converted output, counted the way the summary counts converted rows."""
    if target == "sales-template":
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True)
        try:
            return sum(1 for row in wb.worksheets[0].iter_rows(min_row=2, values_only=True)
                       if any(v is not None for v in row))
        finally:
            wb.close()
    text = path.read_text(encoding="utf-8")
    if target == "bulk-csv":
        import csv
        import io

        return max(0, sum(1 for _ in csv.reader(io.StringIO(text, newline=""))) - 1)
    if target == "wallie":
        return sum(len(s["salesLines"]) for s in json.loads(text)["sales"])
    lines = [json.loads(x) for x in text.split("\n") if x.strip()]  # not splitlines: U+2028
    if target == "thalamus-party-sale":
        return sum(len(x["items"]) for x in lines)
    return len(lines)


def _books(code: int, err: str, report: dict, target: str) -> list[str]:
    rows, probs = _ROWS.search(err), _PROBLEMS.search(err)
    if not rows or not probs:
        return ["exit 0/1 without the summary's rows:/problems: lines"]
    read, out, rejected, skipped = map(int, rows.groups())
    n_err, n_lines, n_warn = (int(g or 0) for g in probs.groups())
    bad = [] if (code == 0) == (n_err == 0) else [f"exit {code} with {n_err} error(s)"]
    if read != out + rejected + skipped:
        bad.append(f"summary does not add up: {rows.group(0)}")
    if rejected and not n_err:
        bad.append(f"{rejected} rejected without an error")
    if n_lines and not rejected:
        bad.append(f"errors on {n_lines} line(s) but nothing rejected")
    if "error" in report:
        ext = report["error"]["extended"]
        others = ext.get("other_problems", [])
        json_err = ext["error_fields"] + sum(p["severity"] == "error" for p in others)
        json_warn = sum(p["severity"] != "error" for p in others)
        if (json_err, ext["error_lines"], json_warn) != (n_err, n_lines, n_warn):
            bad.append(f"JSON counts {json_err} errors on {ext['error_lines']} lines, "
                       f"{json_warn} warnings; summary {n_err} on {n_lines}, {n_warn}")
    else:
        key = _RECORDS_KEY.get(target)
        if n_lines:
            bad.append(f"success JSON with errors on {n_lines} line(s)")
        if key and key in report and report[key] != out:
            bad.append(f"success JSON says {report[key]} records, summary {out} converted")
    return bad


def verdict(code: int | str, out: str, err: str, *, command: str, target: str,
            outdir: Path | None, stem: str, ext: str) -> list[str]:
    """Every broken promise of one run (empty when it kept them all)."""
    if isinstance(code, str) or code not in (0, 1, 2):
        return [f"exit {code}" + (" (signal)" if isinstance(code, int) and code < 0 else "")]
    bad = []
    if "Traceback (most recent call last)" in err or "panicked at" in err:
        bad.append("traceback")
    if "internal error" in err:
        bad.append("internal error")
    produced = sorted(p.name for p in outdir.iterdir()) if outdir and outdir.is_dir() else []
    if any(n.endswith(".tmp") for n in produced):
        bad.append(f"temporary file left behind: {produced}")
    if code == 2:
        lines = err.splitlines()
        if len(lines) != 1:
            bad.append(f"exit 2 with {len(lines)} stderr lines")
        elif not bad and not lines[0].startswith(("salesfmt: error: ", "salesfmt: usage: ")):
            bad.append(f"exit 2 with an unexpected line: {lines[0][:100]!r}")
        if produced:
            bad.append(f"exit 2 left files: {produced}")
        return bad
    try:
        if command == "check":
            report = json.loads(out)
        else:
            report = json.loads((outdir / f"{stem}.report.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        return [*bad, f"no JSON report: {type(exc).__name__}"]
    bad += _books(code, err, report, target)
    if command == "convert":
        rows = _ROWS.search(err)
        output = outdir / f"{stem}{ext}"
        converted = int(rows.group(2)) if rows else -1
        if output.exists():
            try:
                n = count_records(output, target)
            except Exception as exc:  # noqa: BLE001 — an unreadable output is a finding
                bad.append(f"output unreadable: {type(exc).__name__}: {exc}")
            else:
                if n != converted:
                    bad.append(f"output holds {n} records, summary says {converted} converted")
        elif converted > 0 and "no output written (--strict" not in err:
            bad.append(f"{converted} converted but no output file")
    return bad
