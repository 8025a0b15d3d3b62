"""The walking skeleton end to end, through the real CLI (a subprocess): every bundled
sample against bulk-csv, golden envelopes, exit codes, accounting, determinism, atomicity."""

from __future__ import annotations

import csv
import json
import os
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES, TODAY, golden_file, run_cli

GOLDEN = ROOT / "tests" / "golden"
DATA = ROOT / "tests" / "data"

SAMPLE_RULES = [
    ("kassa-export-nl.csv", "kassa-nl"),
    ("weekly-sales-uk.xlsx", "tillpoint-uk"),
    ("charity-lottery-web.csv", "charity-web"),
    ("box-office-de.xlsx", "box-office-de"),
]


def golden(name: str, text: str) -> None:
    """Compare ``text`` with tests/golden/``name`` (SALESFMT_REGEN_GOLDEN=1 rewrites it)."""
    path = golden_file(GOLDEN / name, lambda p: p.write_text(text, encoding="utf-8"))
    assert text == path.read_text(encoding="utf-8"), f"differs from golden file {path}"


@pytest.mark.parametrize(("sample", "rules"), SAMPLE_RULES)
def test_check_json_envelope_is_golden(sample: str, rules: str) -> None:
    res = run_cli("check", SAMPLES / sample, "--rules", rules, "--to", "bulk-csv",
                  "--today", TODAY, "--format", "json")
    assert res.code == 1, res.err
    env = res.json()
    ext = env["error"]["extended"]
    assert env["error"]["code"] == 400
    assert env["error"]["message"] == "File content contains one or more errors"
    assert ext["error_fields"] == sum(len(e["messages"]) for e in ext["errors"])
    assert ext["error_lines"] == len(ext["errors"])
    assert ext["additional_errors"] == 0
    golden(f"{Path(sample).stem}.bulk-csv.json", res.out)


def test_dutch_till_envelope_exact() -> None:
    """The messy cp1252 till export: every defect on its line, in the server's words."""
    res = run_cli("check", SAMPLES / "kassa-export-nl.csv", "--rules", "kassa-nl", "--to",
                  "bulk-csv", "--today", TODAY, "--format", "json")
    errors = {e["line"]: e["messages"] for e in res.json()["error"]["extended"]["errors"]}
    assert errors == {
        6: ["AMOUNT is not a valid number"],
        9: ["SALE_DATE: Datum '31-02-2026' is not a date (expected dd-mm-yyyy or "
            "dd-mm-yyyy HH:MM)"],
        12: ["LAST_NAME is required"],
        15: ["EMAIL is not a valid email"],
        18: ["ORDER_ID is duplicated (first seen on line 17)"],
        21: ["PAYMENT_METHOD must be one of cash, cheque, card, direct_debit, other"],
        23: ["QUANTITY is not a valid number"],
    }


def test_workbook_errors_carry_source_coordinates() -> None:
    res = run_cli("check", SAMPLES / "weekly-sales-uk.xlsx", "--rules", "tillpoint-uk", "--to",
                  "bulk-csv", "--today", TODAY, "--format", "json", "--with-source")
    by_line = {e["line"]: e for e in res.json()["error"]["extended"]["errors"]}
    # title block: header on spreadsheet row 5, so line 2 is row 6
    src = by_line[7]["source"][0]
    assert (src["sheet"], src["row"], src["column"], src["header"], src["value"]) == (
        "Weekly sales", 11, "E", "Qty", "two")
    future = by_line[11]["source"][0]
    assert future["code"] == "future_date" and future["row"] == 15


def test_cap_counts_additional_errors() -> None:
    res = run_cli("check", SAMPLES / "kassa-export-nl.csv", "--rules", "kassa-nl", "--to",
                  "bulk-csv", "--today", TODAY, "--format", "json", "--max-errors", "2")
    ext = res.json()["error"]["extended"]
    assert [e["line"] for e in ext["errors"]] == [6, 9]
    assert (ext["error_lines"], ext["error_fields"], ext["additional_errors"]) == (7, 7, 5)


def test_clean_file_gives_the_success_shape(tmp_path: Path) -> None:
    res = run_cli("check", DATA / "charity-clean.csv", "--rules", "charity-web", "--to",
                  "bulk-csv", "--today", TODAY, "--format", "json")
    assert res.code == 0, res.err
    assert res.json() == {"result": 6}
    conv = run_cli("convert", DATA / "charity-clean.csv", "--rules", "charity-web", "--to",
                   "bulk-csv", "--today", TODAY, "-o", tmp_path)
    assert conv.code == 0, conv.err
    report = json.loads((tmp_path / "charity-clean.report.json").read_text())
    assert report == {"result": 6}


def test_money_stays_decimal(tmp_path: Path) -> None:
    """Amounts that binary floats cannot hold come out exactly as written."""
    run_cli("convert", DATA / "charity-clean.csv", "--rules", "charity-web", "--to", "bulk-csv",
            "--today", TODAY, "-o", tmp_path)
    with (tmp_path / "charity-clean.csv").open(newline="", encoding="utf-8") as fh:
        amounts = [r["AMOUNT"] for r in csv.DictReader(fh)]
    assert amounts == ["0.10", "0.20", "0.30", "1234567.89", "99999999999.99", "2.50"]


def test_workbook_float_cells_are_exact(tmp_path: Path) -> None:
    """XLSX stores 0.1+0.2 as a binary float; the output must still say 0.30."""
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Order No", "Draw", "Sale Date", "Product", "Qty", "Amount (£)", "Payment",
               "Surname", "Address", "Postcode"])
    ws.append([1, 5, "2026-10-01", "P", 1, 0.1 + 0.2, "card", "Smith", "1 Road", "LS1 1AA"])
    ws.append([2, 5, "2026-10-01", "P", 1, 1234567.89, "card", "Smith", "1 Road", "LS1 1AA"])
    src = tmp_path / "floats.xlsx"
    wb.save(src)
    out = tmp_path / "out"
    res = run_cli("convert", src, "--rules", "tillpoint-uk", "--sheet", "1", "--to", "bulk-csv",
                  "--today", TODAY, "-o", f"{out}/")
    assert res.code == 0, res.err
    rows = list(csv.DictReader((out / "floats.csv").open(encoding="utf-8")))
    assert [r["AMOUNT"] for r in rows] == ["0.30", "1234567.89"]


@pytest.mark.parametrize(("sample", "rules"), SAMPLE_RULES)
def test_rows_in_equal_rows_out_plus_rejected(sample: str, rules: str, tmp_path: Path) -> None:
    res = run_cli("convert", SAMPLES / sample, "--rules", rules, "--to", "bulk-csv",
                  "--today", TODAY, "-o", tmp_path)
    assert res.code == 1
    line = next(x for x in res.err.splitlines() if x.startswith("rows:"))
    # "rows: N read = A converted + B rejected + C skipped"
    nums = [int(w) for w in line.replace("=", " ").replace("+", " ").split() if w.isdigit()]
    read, converted, rejected, skipped = nums
    assert read == converted + rejected + skipped
    out = tmp_path / (Path(sample).stem + ".csv")
    with out.open(newline="", encoding="utf-8") as fh:
        assert sum(1 for _ in csv.reader(fh)) - 1 == converted
    report = json.loads(out.with_name(out.stem + ".report.json").read_text())
    assert report["error"]["extended"]["error_lines"] == rejected


@pytest.mark.parametrize(("sample", "rules"), SAMPLE_RULES)
def test_two_runs_are_byte_identical(sample: str, rules: str, tmp_path: Path) -> None:
    outputs = []
    for run in ("a", "b"):
        res = run_cli("convert", SAMPLES / sample, "--rules", rules, "--to", "bulk-csv",
                      "--today", TODAY, "-o", f"{tmp_path / run}/")
        assert res.code == 1
        outputs.append({p.name: p.read_bytes() for p in sorted((tmp_path / run).iterdir())})
    assert outputs[0] == outputs[1]
    assert len(outputs[0]) == 2


def test_converted_csv_is_golden(tmp_path: Path) -> None:
    run_cli("convert", SAMPLES / "kassa-export-nl.csv", "--rules", "kassa-nl", "--to",
            "bulk-csv", "--today", TODAY, "-o", tmp_path)
    golden("kassa-export-nl.bulk-csv.csv", (tmp_path / "kassa-export-nl.csv").read_text("utf-8"))


def test_strict_writes_no_output(tmp_path: Path) -> None:
    res = run_cli("convert", SAMPLES / "kassa-export-nl.csv", "--rules", "kassa-nl", "--to",
                  "bulk-csv", "--today", TODAY, "-o", tmp_path, "--strict")
    assert res.code == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kassa-export-nl.report.json"]


def test_existing_output_needs_force(tmp_path: Path) -> None:
    args = ["convert", SAMPLES / "charity-lottery-web.csv", "--rules", "charity-web", "--to",
            "bulk-csv", "--today", TODAY, "-o", tmp_path]
    assert run_cli(*args).code == 1
    again = run_cli(*args)
    assert again.code == 2 and "already exists" in again.err and "--force" in again.err
    assert run_cli(*args, "--force").code == 1


def test_input_is_never_overwritten(tmp_path: Path) -> None:
    src = tmp_path / "charity.csv"
    src.write_bytes((SAMPLES / "charity-lottery-web.csv").read_bytes())
    res = run_cli("convert", src, "--rules", "charity-web", "--to", "bulk-csv", "-o", src,
                  "--force")
    assert res.code == 2 and "input" in res.err
    assert src.read_bytes() == (SAMPLES / "charity-lottery-web.csv").read_bytes()


def test_failed_run_leaves_no_partial_output(tmp_path: Path) -> None:
    """Invalid UTF-8 deep in a file forced to UTF-8 fails mid-stream: nothing is left."""
    good = (SAMPLES / "charity-lottery-web.csv").read_text(encoding="utf-8").splitlines()
    body = "\n".join([good[0], *good[1:] * 20000]) + "\n"
    src = tmp_path / "broken.csv"
    src.write_bytes(body.encode() + b"50001,53,2026-10-20,Weekly draw,1,0.1,Visa,S,\xff\xfe,B\n")
    out = tmp_path / "out"
    out.mkdir()
    res = run_cli("convert", src, "--rules", "charity-web", "--to", "bulk-csv", "--encoding",
                  "utf-8", "-o", out)
    assert res.code == 2, res.err
    assert "Traceback" not in res.err and len(res.err.strip().splitlines()) == 1
    assert list(out.iterdir()) == []


BAD_INPUTS = {
    "empty file": (lambda d: _write(d / "e.csv", b""), "charity-web", "file is empty"),
    "missing file": (lambda d: d / "nope.csv", "charity-web", "file not found"),
    "wrong extension": (lambda d: _write(d / "s.pdf", b"%PDF-1.4"), "charity-web",
                        "unsupported file type '.pdf'"),
    "directory": (lambda d: d, "charity-web", "is a directory"),
    "unknown rule key": (lambda d: SAMPLES / "charity-lottery-web.csv",
                         lambda d: _write(d / "r.yaml", b"name: x\nfileds: {}\n"),
                         "unknown key 'fileds'"),
    "unknown canonical field": (lambda d: SAMPLES / "charity-lottery-web.csv",
                                lambda d: _write(d / "r.yaml",
                                                 b"name: x\nfields:\n  order_number: Ref\n"),
                                "unknown canonical field 'order_number'"),
    "unknown rule name": (lambda d: SAMPLES / "charity-lottery-web.csv", "no-such-partner",
                          "no rule file named 'no-such-partner'"),
    "missing sheet": (lambda d: SAMPLES / "weekly-sales-uk.xlsx", "tillpoint-uk",
                      None),
}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", sorted(BAD_INPUTS))
def test_bad_input_is_one_line_exit_2(case: str, tmp_path: Path) -> None:
    make_file, rules, expected = BAD_INPUTS[case]
    src = make_file(tmp_path)
    rules_arg = rules(tmp_path) if callable(rules) else rules
    extra = ["--sheet", "Nope"] if case == "missing sheet" else []
    res = run_cli("check", src, "--rules", rules_arg, "--to", "bulk-csv", *extra)
    assert res.code == 2, (res.code, res.err)
    lines = res.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("salesfmt: error:"), res.err
    assert expected is None or expected in lines[0], lines[0]
    if case == "missing sheet":
        assert "'Nope' not found" in lines[0] and "Weekly sales" in lines[0]
    assert res.out == ""


def test_unknown_target_and_usage_errors() -> None:
    res = run_cli("check", SAMPLES / "charity-lottery-web.csv", "--rules", "charity-web",
                  "--to", "nowhere")
    assert res.code == 2 and "unknown target 'nowhere'" in res.err
    assert run_cli("check").code == 2
    assert run_cli("frobnicate").code == 2


def test_required_target_field_unmapped_is_refused_before_reading(tmp_path: Path) -> None:
    rules = _write(tmp_path / "r.yaml", b"name: thin\nfields:\n  sale_id: Ref\n")
    res = run_cli("check", SAMPLES / "charity-lottery-web.csv", "--rules", rules, "--to",
                  "bulk-csv")
    assert res.code == 2
    assert "DRAW_NO (canonical draw_number)" in res.err


def test_targets_and_rules_list() -> None:
    targets = run_cli("targets")
    assert targets.code == 0 and targets.out.startswith("bulk-csv")
    rules = run_cli("rules", "list")
    names = [line.split()[0] for line in rules.out.splitlines()]
    assert {"charity-web", "kassa-nl", "tillpoint-uk"} <= set(names)
    assert run_cli("fields").out.count("\n") > 40


def test_outputs_get_normal_file_modes(tmp_path: Path) -> None:
    """Atomic writes go through mkstemp (0600); published files follow the umask."""
    run_cli("convert", SAMPLES / "charity-lottery-web.csv", "--rules", "charity-web", "--to",
            "bulk-csv", "--today", TODAY, "-o", tmp_path)
    mask = os.umask(0)
    os.umask(mask)
    for p in tmp_path.iterdir():
        assert p.stat().st_mode & 0o777 == 0o666 & ~mask, p
