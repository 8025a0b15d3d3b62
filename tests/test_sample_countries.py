"""The realistic sample of issue 18: a European lottery's web export whose members typed
their country in their own language → bulk-csv, through the CLI, exact envelope and file."""

from __future__ import annotations

import csv
from pathlib import Path

from conftest import SAMPLES, TODAY, run_cli

SAMPLE = SAMPLES / "lottery-eu-web.csv"


def test_envelope_is_exact() -> None:
    res = run_cli("check", SAMPLE, "--rules", "lottery-eu-web", "--to", "bulk-csv",
                  "--format", "json", "--today", TODAY)
    assert res.code == 1, res.err
    assert res.json() == {"error": {
        "code": 400,
        "extended": {
            "additional_errors": 0, "error_fields": 3, "error_lines": 3,
            "errors": [
                {"line": 8, "messages": ["COUNTRY is not an ISO 3166 country code"]},
                {"line": 9, "messages": [
                    "LAST_NAME starts like a spreadsheet formula (=, +, -, @), which a "
                    "spreadsheet would run: remove the leading character"]},
                {"line": 11, "messages": ["AMOUNT must have at most 2 decimal places"]}]},
        "message": "File content contains one or more errors"}}
    assert "line 10 (row 10 col L) warning: ADDRESS_LINE1 has a line break" in res.err


def test_countries_go_out_as_iso_codes_one_record_per_line(tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    res = run_cli("convert", SAMPLE, "--rules", "lottery-eu-web", "--to", "bulk-csv",
                  "-o", out, "--today", TODAY)
    assert res.code == 1, res.err
    text = out.read_text(encoding="utf-8")
    rows = list(csv.DictReader(text.splitlines()))  # one physical line per record
    assert [(r["ORDER_ID"], r["COUNTRY"]) for r in rows] == [
        ("88001", "NL"), ("88002", "DE"), ("88003", "BE"), ("88004", "NL"), ("88005", "GB"),
        ("88006", "DE"), ("88009", "BE")]
    assert rows[-1]["ADDRESS_LINE1"] == "Rue Neuve 7 Boîte 3"
    assert "HYPERLINK" not in text
