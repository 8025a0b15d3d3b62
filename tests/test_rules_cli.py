"""``salesfmt rules validate|show|list``, ``salesfmt explain`` and bad rule files, driven as
real subprocesses; plus the invariants behind them (every check documented, schema found)."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES, TODAY, run_cli

from salesfmt.checks import all_checks
from salesfmt.resources import rules_dir
from salesfmt.rules.loader import schema_path


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_every_bundled_rule_file_validates_and_references_the_schema() -> None:
    files = sorted(rules_dir().glob("*.yaml"))
    res = run_cli("rules", "validate", *files)
    assert res.code == 0, res.out + res.err
    assert res.out.count(": ok") == len(files)
    for path in files:
        first = path.read_text(encoding="utf-8").splitlines()[0]
        ref = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
        assert ref, f"{path.name} does not reference the schema on its first line"
        assert (path.parent / ref.group(1)).resolve() == schema_path().resolve()


def test_validate_reports_every_problem_with_line_and_column(tmp_path: Path) -> None:
    bad = _write(tmp_path / "bad.yaml", "name: bad\nfields:\n  sale_id: {colum: Bon}\n"
                 "  amount: {column: A, unmapped: maybe}\nparse: {date_order: xyz}\n")
    res = run_cli("rules", "validate", bad)
    assert res.code == 1
    assert res.out.splitlines() == [
        f"{bad}:3:13: fields.sale_id.colum: unknown key 'colum'",
        f"{bad}:4:23: fields.amount.unmapped: 'maybe' is not one of ['keep', 'default', 'error']",
        f"{bad}:5:9: parse.date_order: 'xyz' is not one of ['dmy', 'mdy', 'ymd']",
    ]


def test_validate_reports_model_errors_and_broken_yaml(tmp_path: Path) -> None:
    model = _write(tmp_path / "model.yaml",
                   "name: m\nfields:\n  sale_id: Bon\n  amount: {expr: 'quantity * 2'}\n")
    broken = _write(tmp_path / "broken.yaml", "name: b\nfields: [\n")
    res = run_cli("rules", "validate", model, broken)
    assert res.code == 1
    lines = res.out.splitlines()
    assert lines[0] == (f"{model}:4:12: fields.amount.expr: expression reads field "
                        "'quantity', which this rule does not map")
    assert lines[1].startswith(f"{broken}:3:1: invalid YAML")


def test_show_effective_mapping_after_extends() -> None:
    res = run_cli("rules", "show", "kiosk-kassa-nl", "--to", "bulk-csv")
    assert res.code == 0, res.err
    out = res.out
    assert "extends kassa-nl" in out
    assert re.search(r"sale_id\s+← column 'Bon'\s+→ ORDER_ID \(required\)", out)
    # inherited from kassa-nl, column renamed here: the map comes along
    assert re.search(r"payment_method\s+← column 'Betaling'; map of 7", out)
    assert re.search(r"is_return\s+← column 'Soort'; map of 2 \(unmapped: error\)\s+→ "
                     r"\(not used by bulk-csv\)", out)
    assert "unmapped required fields: none" in out


def test_show_names_unmapped_required_fields(tmp_path: Path) -> None:
    rules = _write(tmp_path / "thin.yaml", "name: thin\nextends: kassa-nl\n"
                   "fields: {last_name: null, postcode: null}\n")
    res = run_cli("rules", "show", rules, "--to", "bulk-csv")
    assert res.code == 1
    assert "unmapped required fields: LAST_NAME (canonical last_name" in res.out
    assert "POSTCODE (canonical postcode" in res.out


def test_unmapped_required_field_is_an_upfront_error_in_check(tmp_path: Path) -> None:
    rules = _write(tmp_path / "thin.yaml", "name: thin\nextends: kassa-nl\n"
                   "fields: {last_name: null}\n")
    res = run_cli("check", SAMPLES / "kassa-export-nl.csv", "-r", rules, "-t", "bulk-csv")
    assert res.code == 2
    assert res.err.strip().count("\n") == 0
    assert "LAST_NAME (canonical last_name)" in res.err


@pytest.mark.parametrize(("text", "where"), [
    ("name: x\nfields:\n  sale_id: Bon\n  sale_id: Nr\n", ":4:3: duplicate key 'sale_id'"),
    ("name: x\nfields: {sale_number: Bon}\n", ":2:10: fields.sale_number: unknown canonical"),
    ("name: x\nextends: x.yaml\nfields: {sale_id: Bon}\n", "extends cycle: x → x"),
    ("name: x\nfields: {amount: {expr: 'open(1)'}}\n", ":2:19: fields.amount.expr: unknown function"),
])
def test_bad_rule_file_is_one_line_exit_2(tmp_path: Path, text: str, where: str) -> None:
    rules = _write(tmp_path / "x.yaml", text)
    res = run_cli("check", SAMPLES / "kassa-export-nl.csv", "-r", rules, "-t", "bulk-csv")
    assert res.code == 2
    assert len(res.err.strip().splitlines()) == 1, res.err
    assert "Traceback" not in res.err
    assert where in res.err


def test_explain_lists_every_code() -> None:
    res = run_cli("explain")
    assert res.code == 0
    codes = [line.split()[0] for line in res.out.splitlines()]
    assert codes == [c.code for c in all_checks()]


@pytest.mark.parametrize("check", all_checks(), ids=lambda c: c.code)
def test_every_check_is_documented_with_examples(check) -> None:
    assert len(check.explanation) > 40 and check.bad and check.good and check.message


@pytest.mark.parametrize("code", ["ambiguous_date", "duplicate"])
def test_explain_code_shows_explanation_and_examples(code: str) -> None:
    check = {c.code: c for c in all_checks()}[code]
    res = run_cli("explain", code)
    assert res.code == 0
    assert res.out.startswith(f"{code} (")
    assert f"bad:  {check.bad}" in res.out and f"good: {check.good}" in res.out


def test_explain_unknown_code_exit_2() -> None:
    res = run_cli("explain", "no_such_code")
    assert res.code == 2
    assert "unknown code 'no_such_code'" in res.err


def test_rules_list_shows_parents() -> None:
    res = run_cli("rules", "list")
    assert res.code == 0
    assert re.search(r"^kiosk-kassa-nl\s+extends kassa-nl\s+Dutch kiosk", res.out, re.M)


def test_kiosk_variant_converts_to_bulk_csv(tmp_path: Path) -> None:
    res = run_cli("convert", SAMPLES / "kiosk-kassa-nl.csv", "-r", "kiosk-kassa-nl",
                  "-t", "bulk-csv", "--today", TODAY, "-o", tmp_path, "--lang", "en")
    assert res.code == 1, res.err  # two bad lines, reported
    assert "18 read = 13 converted + 2 rejected + 3 skipped" in res.err
    with (tmp_path / "kiosk-kassa-nl.csv").open(encoding="utf-8") as fh:
        rows = {r["ORDER_ID"]: r for r in csv.DictReader(fh)}
    # returns: positive quantities, negative amounts, whatever sign the till wrote
    assert [(rows[k]["QUANTITY"], rows[k]["AMOUNT"]) for k in ("820103", "820108", "820111")] \
        == [("1", "-5.00"), ("2", "-10.00"), ("1", "-5.00")]
    assert rows["820100"]["PAYMENT_METHOD"] == "card" and rows["820100"]["SALE_DATE"] == \
        "2026-10-01"
    report = (tmp_path / "kiosk-kassa-nl.report.json").read_text(encoding="utf-8")
    assert "is_return has no mapping for value 'Ruil'" in report
    assert "SALE_DATE: Datum/tijd '31-09-2026 10:05' is not a date (expected dd-mm-yyyy HH:MM" \
        in report


def test_schema_ships_where_the_wheel_puts_the_rules() -> None:
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert '"rules" = "salesfmt/_data/rules"' in text
    assert schema_path().is_file()
    assert schema_path().parent.parent == rules_dir().parent


def test_validate_lists_every_model_problem_of_a_file(tmp_path: Path) -> None:
    rules = _write(tmp_path / "multi.yaml",
                   "name: m\nfields:\n  sale_id: Bon\n  amount: {expr: 'quantity * 2'}\n"
                   "  sale_nr: X\n  notes: {template: '{foo}'}\nseverity: {nope: warning}\n")
    res = run_cli("rules", "validate", rules)
    assert res.code == 1
    assert [line.split(": ", 2)[1] for line in res.out.splitlines()] == [
        "fields.amount.expr", "fields.sale_nr", "fields.notes.template", "severity.nope"]


def test_show_to_lists_allowed_values_and_record_level_fields() -> None:
    """Issue 18.24: what a rule author needs before the first run."""
    res = run_cli("rules", "show", "kiosk-kassa-nl", "--to", "bulk-csv")
    assert res.code == 0, res.err
    assert re.search(r"PAYMENT_METHOD\s+required .*\n\s+allowed: cash, cheque, card, "
                     r"direct_debit, other\n", res.out)
    assert "records:" not in res.out  # bulk-csv is one record per line
    res = run_cli("rules", "show", "pos-lines", "--to", "wallie")
    assert res.code == 0, res.err
    assert ("records: lines with the same salesId form one record; the other fields go into "
            "its 'salesLines' list") in res.out
    # read from the declaration: record fields, and the consistent rule keyed on salesId
    from salesfmt.targets import load_target
    wallie = load_target("wallie")
    agree = {n for d in wallie.cross if d.kind == "consistent" and d.keys == wallie.group.by
             for n in d.fields}
    must = [n for n in wallie.group.record if n in agree]
    first = [n for n in wallie.group.record if n not in agree and n not in wallie.group.by
             and n not in wallie.group.first]
    assert f"must agree on every line: {', '.join(must)}\n" in res.out
    assert ("from its first line (one warning per record counts the lines that differ): "
            f"{', '.join(wallie.group.first)}\n") in res.out
    if first:
        assert f"from its first line (other lines not compared): {', '.join(first)}\n" in res.out


@pytest.mark.parametrize("how", ["argument", "option"])
def test_show_with_a_file_names_the_header_each_alias_resolved_to(tmp_path: Path, how: str
                                                                  ) -> None:
    text = (SAMPLES / "kiosk-kassa-nl.csv").read_text(encoding="utf-8")
    data = tmp_path / "kiosk.csv"
    data.write_text(text.replace("Bon;", "Bonnr;", 1).replace(";Kassa;", ";KASSA;", 1),
                    encoding="utf-8")
    where = [data] if how == "argument" else ["--file", data]
    res = run_cli("rules", "show", "kiosk-kassa-nl", "--to", "bulk-csv", *where)
    assert res.code == 0, res.err
    assert f"file {data}: header on row 1" in res.out
    assert re.search(r"location_id\s+← column 'Kassa' \[file column B 'KASSA'\]", res.out)
    assert re.search(r"sale_id\s+← column 'Bon' \[not in the file \(closest: 'Bonnr' \(",
                     res.out)
    assert re.search(r"country\s+← column 'Land'; default 'NL' \[not in the file: default "
                     r"'NL'\]", res.out)


def test_validate_warns_about_a_comment_right_after_an_alias(tmp_path: Path) -> None:
    """`Store #` unquoted is the alias `Store`: YAML reads ` #` on as a comment."""
    rules = _write(tmp_path / "hash.yaml", "name: h\nextends: kassa-nl\nfields:\n"
                   "  location_id: Store #\n  sku:\n    - Art #\n    - 'SKU #'\n"
                   "  notes: Notes    # a comment after blanks is a comment\n"
                   "  customer_ref: {column: \"Klant #\"}\n")
    res = run_cli("rules", "validate", rules)
    assert res.code == 0, res.out
    assert res.out.splitlines() == [
        f"{rules}:4:3: fields.location_id: warning: alias 'Store' is followed by ' #', which "
        "YAML reads as a comment; if the header contains '#', quote it: 'Store #'",
        f"{rules}:6:7: fields.sku.0: warning: alias 'Art' is followed by ' #', which YAML "
        "reads as a comment; if the header contains '#', quote it: 'Art #'",
        f"{rules}: ok",
    ]
