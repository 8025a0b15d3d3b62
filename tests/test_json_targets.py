"""JSON targets: the vendors' own examples reproduced from equivalent partner files, returns
and duplicate line numbers, record lines of grouped targets, batch boundaries, payloads."""

from __future__ import annotations

import csv
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from conftest import ROOT, SAMPLES, TODAY

from salesfmt.pipeline import run
from salesfmt.rules import load_rules
from salesfmt.targets import load_target, with_options

DATA = Path(__file__).parent / "data"
PARTNERS = ROOT / "rules" / "partners"

WALLIE_FLAT_RULES = """
name: wallie-flat
fields:
  sale_id: salesId
  transaction_id: code
  sold_at: salesDateTime
  location_id: locationId
  line_id: salesLineId
  sku: skuId
  line_number: lineNumber
  original_amount: originalSalesAmountInclVat
  amount: salesAmountInclVat
  vat_percentage: vatPercentage
  cost_price: costPrice
  online: online
  quantity: quantitySold
"""

PARTY_RULES = """
name: party-flat
fields:
  transaction_id: transactionId
  sold_at: saleDate
  sales_origin_id: salesOriginId
  vendor_id: vendorId
  payment_method_id: paymentMethodId
  currency_id: currencyId
  physical_location_id: physicalLocationId
  description1: description1
  reference_code_name: referenceCodeName
  sku: skuCode
  quantity: quantity
  amount: amount
"""


def _exact(text: str) -> object:
    return json.loads(text, parse_float=Decimal)


def test_wallie_seed_example_round_trips(tmp_path: Path) -> None:
    body = (DATA / "seed002_body.json").read_text()
    sale = json.loads(body)["sales"][0]
    head = {k: v for k, v in sale.items() if k != "salesLines"}
    src = tmp_path / "lines.csv"
    with src.open("w", newline="") as fh:
        w = csv.writer(fh)
        lines = sale["salesLines"]
        w.writerow([*head, *lines[0]])
        for line in lines:
            w.writerow([*head.values(), *[json.dumps(v) if isinstance(v, bool) else v
                                          for v in line.values()]])
    (tmp_path / "r.yaml").write_text(WALLIE_FLAT_RULES)
    out = tmp_path / "out.json"
    res = run(src, load_rules(tmp_path / "r.yaml"), load_target("wallie"),
              today=date(2026, 11, 1), output=out)
    assert res.clean, res.problems
    text = out.read_text()
    assert _exact(text) == _exact(body)
    # exact decimals, as the vendor wrote them: no float artefacts, no padding
    assert '"costPrice":9.50,' in text and '"salesAmountInclVat":29.99,' in text
    assert '"vatPercentage":21,' in text and '"quantitySold":1,' in text


def test_thalamus_party_seed_example_from_two_lines(tmp_path: Path) -> None:
    (tmp_path / "r.yaml").write_text(PARTY_RULES)
    out = tmp_path / "out.jsonl"
    res = run(DATA / "seed004_two_lines.csv", load_rules(tmp_path / "r.yaml"),
              load_target("thalamus-party-sale"), today=date(2026, 11, 1), output=out)
    assert res.clean and res.rows_out == 2
    lines = out.read_text().splitlines()
    assert len(lines) == 1
    assert _exact(lines[0]) == _exact((DATA / "seed004_body.json").read_text())
    assert '"amount":100.50}' in lines[0]


def _wallie(batch_size: int = 250_000, **options: object):
    target = with_options(load_target("wallie"), **options)
    return run(SAMPLES / "pos-lines-returns.csv", load_rules(PARTNERS / "pos-lines.yaml"),
               target, today=date.fromisoformat(TODAY), batch_size=batch_size)


def test_wallie_returns_and_duplicate_line_numbers(tmp_path: Path) -> None:
    target = load_target("wallie")
    out = tmp_path / "o.json"
    res = run(SAMPLES / "pos-lines-returns.csv", load_rules(PARTNERS / "pos-lines.yaml"),
              target, today=date.fromisoformat(TODAY), output=out)
    sales = json.loads(out.read_text())["sales"]
    assert [s["salesId"] for s in sales] == ["R1001", "RET-R1001", "R1004", "R1005"]
    ret = sales[1]["salesLines"][0]
    assert (ret["quantitySold"], ret["salesAmountInclVat"], ret["costPrice"]) == (-1, -29.99,
                                                                                  9.5)
    assert ret["salesLineId"] == "RET-R1001-1"
    defaults = sales[2]["salesLines"][0]
    assert defaults["vatPercentage"] == 0 and "costPrice" not in defaults
    assert defaults["quantityTransferred"] == defaults["quantitySold"] == 1
    assert defaults["quantityCancelled"] == 0 and sales[2]["currencyCode"] == "LOCAL"
    got = res.problems.select("line", "row", "field", "code", "severity").rows()
    assert got.pop(0) == (None, None, "salesDateTime", "times_read_as_utc", "warning")  # UTC
    assert got == [
        (3, 8, "salesDateTime", "first_line_value", "warning"),  # R1002 again, a day later
        (3, 8, "salesId", "mixed_return", "error"),    # ... as a return under the sale's id
        (4, 6, "salesLineId", "duplicate", "error"),   # W5001 line 1 twice
        (6, 9, "salesAmountInclVat", "sign_mismatch", "error"),
        (6, 9, "costPrice", "too_small", "error"),
    ]
    # whole sales are rejected: R1002 (2 lines), W5001 (2 lines), R1003 (1 line)
    assert (res.rows_read, res.rows_out, res.rows_rejected) == (10, 5, 5)


@pytest.mark.parametrize("batch_size", [1, 2, 3])
def test_wallie_batches_change_nothing(batch_size: int) -> None:
    ref = _wallie()
    res = _wallie(batch_size)
    assert res.problems.equals(ref.problems)
    assert (res.rows_out, res.rows_rejected) == (ref.rows_out, ref.rows_rejected)


def test_wallie_payloads_split_in_order(tmp_path: Path) -> None:
    target = with_options(load_target("wallie"), payload_size=1)
    out = tmp_path / "o.json"
    run(SAMPLES / "pos-lines-returns.csv", load_rules(PARTNERS / "pos-lines.yaml"), target,
        today=date.fromisoformat(TODAY), output=out)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [f"o.00{i}.json" for i in range(1, 5)]
    ids = [json.loads((tmp_path / n).read_text())["sales"][0]["salesId"] for n in names]
    assert ids == ["R1001", "RET-R1001", "R1004", "R1005"]


def test_record_lines_follow_first_appearance(tmp_path: Path) -> None:
    src = tmp_path / "in.csv"
    src.write_text("transactionId,saleDate,physicalLocationId,skuCode,quantity,amount\n"
                   "B,2022-03-21,1,S,1,1\nA,2022-03-21,1,S,1,1\nB,2022-03-21,1,S,x,1\n"
                   ",2022-03-21,1,S,1,1\nA,2022-03-21,1,S,1,1\nC,2022-03-21,1,S,1,1\n")
    (tmp_path / "r.yaml").write_text(PARTY_RULES)
    out = tmp_path / "o.jsonl"
    res = run(src, load_rules(tmp_path / "r.yaml"), load_target("thalamus-party-sale"),
              today=date(2026, 11, 1), output=out)
    # B = line 2 (its bad third row rejects all of B), A = 3, the keyless row = 4, C = 5
    lines = res.problems.filter(pl.col("line").is_not_null())
    assert lines.select("line", "row", "field").rows() == [
        (2, 4, "quantity"), (4, 5, "transactionId")]
    sent = [json.loads(x)["transactionId"] for x in out.read_text().splitlines()]
    assert sent == ["A", "C"]
    assert (res.rows_out, res.rows_rejected) == (3, 3)


def test_thalamus_partner_codes_verbatim() -> None:
    res = run(SAMPLES / "loyalty-partner-sales.csv", load_rules(PARTNERS / "loyalty-partner.yaml"),
              load_target("thalamus-partner-sale"), today=date.fromisoformat(TODAY))
    codes = res.problems.select("line", "code").rows()
    assert codes == [(4, "sku.cannotUseBoth"), (5, "sku.missingData"),
                     (6, "sku.requiredTogether"), (7, "code.notFound"),
                     (8, "BeforeTodayRequired"), (9, "field.invalid.format"), (10, "required"),
                     (11, "field.lengthExceeded"), (12, "required"), (12, "invalidId")]
    messages = res.problems.filter(pl.col("code").str.contains(r"\."))["message"]
    assert all(m.startswith(c + ":") for m, c in zip(
        messages, res.problems.filter(pl.col("code").str.contains(r"\."))["code"],
        strict=True))


def test_today_moves_the_future(cli) -> None:
    args = ("check", SAMPLES / "loyalty-partner-sales.csv", "--rules", "loyalty-partner",
            "--to", "thalamus-partner-sale", "--format", "json")
    later = cli(*args, "--today", "2026-12-31").json()
    before = cli(*args, "--today", TODAY).json()
    assert before["error"]["extended"]["error_fields"] == \
        later["error"]["extended"]["error_fields"] + 1


def test_unfed_required_field_is_reported_before_reading(cli, tmp_path: Path) -> None:
    rules = tmp_path / "r.yaml"
    rules.write_text((PARTNERS / "pos-lines.yaml").read_text().split("  online:")[0])
    res = cli("convert", SAMPLES / "pos-lines-returns.csv", "--rules", rules, "--to", "wallie",
              "-o", f"{tmp_path}/")
    assert res.code == 2
    assert "online (canonical online)" in res.err
    assert not list(tmp_path.glob("*.json"))


def test_clean_file_gives_the_success_shape(cli, tmp_path: Path) -> None:
    src = tmp_path / "ok.csv"
    src.write_text((SAMPLES / "loyalty-partner-sales.csv").read_text().splitlines()[0] + "\n"
                   + "\n".join((SAMPLES / "loyalty-partner-sales.csv").read_text()
                               .splitlines()[1:3]) + "\n")
    res = cli("check", src, "--rules", "loyalty-partner", "--to", "thalamus-partner-sale",
              "--today", TODAY, "--format", "json")
    assert res.code == 0
    assert res.json() == {"status": 201, "requests": 2}


def test_json_strings_escape_everything_rfc8259_requires() -> None:
    from salesfmt.targets.serializers.json import json_string

    values = ["".join(map(chr, range(40))), 'a"b\\c', "ünï €", '\\"', "\u2028", "", None]
    got = pl.DataFrame({"v": values}).select(json_string(pl.col("v")).alias("j"))["j"].to_list()
    assert [None if g is None else json.loads(g) for g in got] == values


@pytest.mark.parametrize("chunk", [1, 2, 3])
def test_records_assembled_in_chunks_give_the_same_bytes(tmp_path: Path, monkeypatch,
                                                         chunk: int) -> None:
    from salesfmt.targets.serializers import json as json_ser

    def outputs(folder: Path) -> dict[str, bytes]:
        folder.mkdir()
        for target, sample, rules, name in [
                ("wallie", "pos-lines-returns.csv", "pos-lines", "o.json"),
                ("thalamus-party-sale", "party-transactions.csv", "party-pos", "o.jsonl")]:
            run(SAMPLES / sample, load_rules(PARTNERS / f"{rules}.yaml"),
                with_options(load_target(target), payload_size=3),
                today=date.fromisoformat(TODAY), output=folder / name, batch_size=2)
        return {p.name: p.read_bytes() for p in folder.iterdir()}

    reference = outputs(tmp_path / "ref")
    monkeypatch.setattr(json_ser._Buffered, "chunk_records", chunk)
    assert outputs(tmp_path / "chunked") == reference
    assert sorted(reference) == ["o.001.json", "o.002.json", "o.jsonl"]


def test_a_rerun_leaves_only_its_own_payloads(tmp_path: Path) -> None:
    out = tmp_path / "o.json"
    for size in (1, 2, 10):
        run(SAMPLES / "pos-lines-returns.csv", load_rules(PARTNERS / "pos-lines.yaml"),
            with_options(load_target("wallie"), payload_size=size),
            today=date.fromisoformat(TODAY), output=out)
        names = sorted(p.name for p in tmp_path.iterdir())
        expected = {1: [f"o.00{i}.json" for i in range(1, 5)],
                    2: ["o.001.json", "o.002.json"], 10: ["o.json"]}[size]
        assert names == expected


def test_numbered_payloads_are_not_replaced_without_force(cli, tmp_path: Path) -> None:
    args = ("convert", SAMPLES / "pos-lines-returns.csv", "--rules", "pos-lines", "--to",
            "wallie", "-o", f"{tmp_path}/", "--today", TODAY, "--payload-size", "2")
    assert cli(*args).code == 1
    (tmp_path / "pos-lines-returns.report.json").unlink()
    again = cli(*args)
    assert again.code == 2 and "pos-lines-returns.001.json: already exists" in again.err
    assert cli(*args, "--force").code == 1
