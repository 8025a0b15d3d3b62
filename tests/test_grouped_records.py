"""Grouped targets (Wallie sales, Thalamus transactions): which record fields must agree and
which take the first line's value, messages naming the row that set a value, and one
message per root cause (no follow-on errors from a cell that failed to parse)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES, TODAY

from salesfmt.errors import TargetError
from salesfmt.pipeline import run
from salesfmt.rules import load_rules
from salesfmt.targets import load_target

PARTNERS = ROOT / "rules" / "partners"

TILL_RULES = """
name: till-lines
parse: {timezone: UTC}
fields:
  sale_id: Receipt
  line_number: Line
  line_id: {template: "{sale_id}-{line_number}"}
  sold_at: Scanned
  location_id: Store
  transaction_id: Code
  sku: SKU
  quantity: Qty
  unit_price: Price
  amount: {expr: "quantity * unit_price"}
  online: {constant: false}
"""

HEADER = "Receipt,Line,Scanned,Store,Code,SKU,Qty,Price\n"


def _wallie(tmp_path: Path, rows: str, batch_size: int = 250_000):
    (tmp_path / "r.yaml").write_text(TILL_RULES)
    (tmp_path / "in.csv").write_text(HEADER + rows)
    return run(tmp_path / "in.csv", load_rules(tmp_path / "r.yaml"), load_target("wallie"),
               today=date(2026, 11, 1), batch_size=batch_size)


def _problems(res) -> list[tuple]:
    return res.problems.select("line", "row", "field", "code", "message").rows()


@pytest.mark.parametrize("batch_size", [1, 2, 1000])
def test_an_unreadable_quantity_is_one_message_not_a_return_nor_a_missing_amount(
        tmp_path: Path, batch_size: int) -> None:
    """Issue 18.6: 'twee' on the first line of a sale made its sibling lines 'mix sold and
    returned lines (its first line is )' and the derived amount 'required' (no column)."""
    res = _wallie(tmp_path, "R1,1,2026-10-05 10:15:00,0001,C1,A,twee,2.50\n"
                            "R1,2,2026-10-05 10:15:00,0001,C1,B,1,3.00\n"
                            "R1,3,2026-10-05 10:15:00,0001,C1,B,-1,3.00\n"
                            "R2,1,2026-10-05 10:16:00,0001,C2,B,1,3.00\n", batch_size)
    assert _problems(res) == [
        (2, 2, "quantitySold", "invalid_number", "quantitySold is not a valid decimal"),
        # the real mix (row 3 sold, row 4 returned) is still found, from the first known line
        (2, 4, "salesId", "mixed_return",
         "salesId 'R1' mixes sold and returned lines (its first line, row 3, is sold); "
         "send the return as a separate sale with its own salesId"),
    ]
    # the sale is still rejected whole, by its root error: 3 lines, R2 goes out
    assert (res.rows_out, res.rows_rejected) == (1, 3)


def test_an_unreadable_quantity_alone_rejects_its_sale_with_one_message(tmp_path: Path) -> None:
    res = _wallie(tmp_path, "R1,1,2026-10-05 10:15:00,0001,C1,A,twee,2.50\n"
                            "R1,2,2026-10-05 10:15:00,0001,C1,B,1,3.00\n")
    assert [p[3] for p in _problems(res)] == ["invalid_number"]
    assert (res.rows_out, res.rows_rejected) == (0, 2)


def test_a_fractional_line_number_is_one_integer_message(tmp_path: Path) -> None:
    """Issue 18.8: lineNumber 1.5 said 'not a valid decimal' and added 'salesLineId is
    required' (derived from it) with no column."""
    res = _wallie(tmp_path, "R1,1.5,2026-10-05 10:15:00,0001,C1,A,1,2.50\n")
    assert _problems(res) == [
        (2, 2, "lineNumber", "invalid_number",
         "lineNumber is not a valid integer (a whole number: 1, 2, ...)")]
    assert res.rows_rejected == 1


def test_an_empty_input_of_a_derived_field_still_reports_it_required(tmp_path: Path) -> None:
    """Only a value that failed to parse silences the checks that read it: an empty price
    leaves the derived amount empty, and that is reported."""
    res = _wallie(tmp_path, "R1,1,2026-10-05 10:15:00,0001,C1,A,1,\n")
    assert [(p[2], p[3]) for p in _problems(res)] == [
        ("originalSalesAmountInclVat", "required"), ("salesAmountInclVat", "required")]


@pytest.mark.parametrize("batch_size", [1, 2, 1000])
def test_scan_times_take_the_first_line_with_one_warning_per_sale(
        tmp_path: Path, batch_size: int) -> None:
    """Issue 18.13: each receipt line carries its own scan time; the sale is sent with its
    first line's time and one warning counts the others. Ids (store, code) must agree."""
    res = _wallie(tmp_path, "R1,1,2026-10-05 10:15:00,0001,C1,A,1,2.50\n"
                            "R2,1,2026-10-05 10:16:00,0001,C2,A,1,2.50\n"
                            "R1,2,2026-10-05 10:15:07,0001,C1,B,1,3.00\n"
                            "R1,3,2026-10-05 10:15:09,0001,C1,B,1,3.00\n"
                            "R2,2,2026-10-05 10:16:30,0002,C2,B,1,3.00\n"
                            "R2,3,2026-10-05 10:16:00,0001,CX,B,1,3.00\n",
                  batch_size=batch_size)
    assert _problems(res) == [
        (2, 4, "salesDateTime", "first_line_value",
         "salesDateTime differs on 2 line(s) of this sale, first on row 4 "
         "('2026-10-05 10:15:07'); the sale is sent with its first line's salesDateTime "
         "'2026-10-05T10:15:00.000Z' (row 2)"),
        (3, 7, "code", "record_differs",
         "code 'CX' differs from the first line of this sale (row 3: 'C2'); all lines of "
         "one salesId must agree"),
        (3, 6, "locationId", "record_differs",
         "locationId '0002' differs from the first line of this sale (row 3: '0001'); all "
         "lines of one salesId must agree"),
        (3, 6, "salesDateTime", "first_line_value",
         "salesDateTime differs on 1 line(s) of this sale, first on row 6 "
         "('2026-10-05 10:16:30'); the sale is sent with its first line's salesDateTime "
         "'2026-10-05T10:16:00.000Z' (row 3)"),
    ]
    assert res.problems.filter(res.problems["code"] == "first_line_value")["severity"] \
        .to_list() == ["warning", "warning"]
    assert (res.rows_out, res.rows_rejected) == (3, 3)


@pytest.mark.parametrize("batch_size", [1, 2, 1000])
def test_party_sale_ids_agree_and_descriptions_take_the_first_line(tmp_path: Path,
                                                                   batch_size: int) -> None:
    (tmp_path / "r.yaml").write_text((PARTNERS / "party-pos.yaml").read_text()
                                     + "parse: {timezone: UTC}\n")
    head = "Transaction,Date,Origin,Vendor,Payment,Currency,Location,Principal,Description," \
           "Ref code,SKU,Qty,Amount\n"
    (tmp_path / "in.csv").write_text(
        head + "T1,2022-03-21 13:26:01,1,V2,1,1,24,,first,R1,C1,1,1.00\n"
               "T1,2022-03-21 13:26:05,1,2,1,1,24,,second,R2,C2,1,1.00\n"
               "T1,2022-03-21 13:26:01,1,3,1,1,24,,first,R3,C3,1,1.00\n")
    res = run(tmp_path / "in.csv", load_rules(tmp_path / "r.yaml"),
              load_target("thalamus-party-sale"), today=date(2026, 11, 1), batch_size=batch_size)
    assert _problems(res) == [
        (2, 2, "vendorId", "InvalidId", "vendorId: InvalidId ('V2' is not a valid id)"),
        # compared with the first line whose vendorId is readable (row 3), not with 'V2'
        (2, 4, "vendorId", "record_differs",
         "vendorId '3' differs from the first line of this transaction (row 3: '2'); all "
         "lines of one transactionId must agree"),
        (2, 3, "saleDate", "first_line_value",
         "saleDate differs on 1 line(s) of this transaction, first on row 3 "
         "('2022-03-21 13:26:05'); the transaction is sent with its first line's saleDate "
         "'1647869161' (row 2)"),
        (2, 3, "description1", "first_line_value",
         "description1 differs on 1 line(s) of this transaction, first on row 3 ('second'); "
         "the transaction is sent with its first line's description1 'first' (row 2)"),
    ]


def test_messages_name_the_row_that_set_the_value() -> None:
    """Issue 18.5: 'first used on line 4' on line 4, 'differs from line 6' on line 6."""
    wallie = run(SAMPLES / "pos-lines-returns.csv", load_rules(PARTNERS / "pos-lines.yaml"),
                 load_target("wallie"), today=date.fromisoformat(TODAY))
    messages = dict(wallie.problems.select("code", "message").rows())
    assert messages["duplicate"] == ("salesLineId must be unique across all sales lines "
                                     "('W5001-1' is first used on row 5, line 4)")
    assert "(its first line, row 4, is sold)" in messages["mixed_return"]
    party = run(SAMPLES / "party-transactions.csv", load_rules(PARTNERS / "party-pos.yaml"),
                load_target("thalamus-party-sale"), today=date.fromisoformat(TODAY))
    assert dict(party.problems.select("code", "message").rows())["record_differs"] == (
        "physicalLocationId '26' differs from the first line of this transaction (row 7: "
        "'25'); all lines of one transactionId must agree")


def test_a_record_field_must_say_whether_it_agrees_or_takes_the_first(tmp_path: Path) -> None:
    text = (ROOT / "rules" / "targets" / "wallie.yaml").read_text()
    bad = tmp_path / "w.yaml"
    bad.write_text(text.replace("  first: [salesDateTime]\n", ""))
    with pytest.raises(TargetError, match="record field 'salesDateTime' must be listed"):
        load_target(str(bad))


TILL_ENVELOPE = {"error": {"code": 400, "extended": {
    "additional_errors": 0, "error_fields": 1, "error_lines": 1,
    "errors": [{"line": 4, "messages": ["quantitySold is not a valid decimal"]}]},
    "message": "Bad request"}}


def test_dutch_receipt_lines_to_wallie(cli, tmp_path: Path) -> None:
    """The issue's realistic file: per-line scan times, one 'twee' quantity. Only that sale
    is rejected, by one message; the others go out, each with one scan-time warning."""
    args = (SAMPLES / "kassa-bonregels-nl.csv", "--rules", "kassa-bonregels-nl", "--to",
            "wallie", "--today", TODAY)
    checked = cli("check", *args, "--format", "json")
    assert checked.code == 1
    assert checked.json() == TILL_ENVELOPE
    source = cli("check", *args, "--format", "json", "--with-source").json()
    warned = [(p["line"], p["row"], p["code"]) for p in
              source["error"]["extended"]["other_problems"] if p["code"] == "first_line_value"]
    assert warned == [(2, 3, "first_line_value"), (4, 7, "first_line_value"),
                      (5, 10, "first_line_value")]
    converted = cli("convert", *args, "-o", f"{tmp_path}/")
    assert converted.code == 1
    sales = json.loads((tmp_path / "kassa-bonregels-nl.json").read_text())["sales"]
    assert [(s["salesId"], s["salesDateTime"], len(s["salesLines"])) for s in sales] == [
        ("0012-2-004711", "2026-10-05T10:15:02.000Z", 3),
        ("0012-2-004712", "2026-10-05T10:21:40.000Z", 1),
        ("0012-2-004713", "2026-10-05T10:30:55.000Z", 2)]
    assert sales[0]["salesLines"][1]["originalSalesAmountInclVat"] == 15.0  # 2 × 7,50


@pytest.mark.parametrize(("sample", "rules", "target", "rows", "marked"), [
    ("pos-lines-returns.csv", "pos-lines", "wallie", [4, 5, 6, 8, 9], {4: 3, 5: 4}),
    ("party-transactions.csv", "party-pos", "thalamus-party-sale", [5, 6, 7, 8, 9], {7: 6}),
])
def test_html_lists_every_rejected_row_in_the_partner_order(sample, rules, target, rows,
                                                            marked) -> None:
    """Issue 18.14: good rows rejected with their sale were left out (wallie: 5 rejected,
    3 shown; party: 5 and 4), and wallie's cards came in output order (rows 8, 6, 9)."""
    from salesfmt.report.html import html_report, report_context

    res = run(SAMPLES / sample, load_rules(PARTNERS / f"{rules}.yaml"), load_target(target),
              today=date.fromisoformat(TODAY))
    assert res.rows_rejected == len(rows)
    groups = report_context(res)["groups"]
    assert [g["row"] for g in groups] == rows
    assert {g["row"]: g["line"] for g in groups if g["with_record"]} == marked
    assert all(g["cells"] for g in groups)  # the partner's cells, for these rows too
    html = html_report(res)
    noun = "sale" if target == "wallie" else "transaction"
    for line in marked.values():
        assert f"rejected with its {noun} (line {line})" in html
    ids = [g["id"] for g in groups]
    assert len(set(ids)) == len(ids)


@pytest.mark.parametrize("batch_size", [1, 2, 1000])
def test_rows_rejected_with_their_sale_are_counted_and_named(batch_size: int) -> None:
    res = run(SAMPLES / "kassa-bonregels-nl.csv", load_rules(PARTNERS / "kassa-bonregels-nl.yaml"),
              load_target("wallie"), today=date.fromisoformat(TODAY), batch_size=batch_size)
    assert res.rejected_with_record.rows() == [(6, 4), (8, 4)]
    assert (res.rows_out, res.rows_rejected, res.rows_skipped) == (6, 3, 1)


def test_summary_says_good_lines_were_rejected_with_their_sale(cli) -> None:
    res = cli("check", SAMPLES / "kassa-bonregels-nl.csv", "--rules", "kassa-bonregels-nl",
              "--to", "wallie", "--today", TODAY, "--lang", "en")
    assert res.code == 1
    assert ("2 of the rejected line(s) have no error of their own, rejected with their sale: "
            "row(s) 6, 8") in res.err
