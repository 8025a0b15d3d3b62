"""A time is an instant (SPEC §5): offsets honoured, naive times local in the rule's
parse.timezone (summer time included), local dates for date fields, the day/month order of
the file, and one message per bad date in the partner's terms (issue 18: 1, 7, 11, 23)."""

from __future__ import annotations

import csv
import json
from datetime import date
from pathlib import Path

import polars as pl
from conftest import ROOT, SAMPLES, TODAY, run_cli

from salesfmt.pipeline import run
from salesfmt.rules import load_rules
from salesfmt.targets.spec import load_target

PARTNERS = ROOT / "rules" / "partners"
HEADER = ["Transaction", "Date", "Origin", "Vendor", "Payment", "Currency", "Location",
          "Principal", "Description", "Ref code", "SKU", "Qty", "Amount"]


def _item(ref: str, sku: str, qty: int, amount: str) -> dict:
    return {"referenceCodeName": ref, "skuCode": sku, "quantity": qty, "amount": amount}


def _sale(tid: str, when: int, items: list[dict], location: int = 24, payment: int = 1,
          description: str | None = None) -> dict:
    sale = {"salesOriginId": 1, "saleDate": when, "vendorId": 2, "paymentMethodId": payment,
            "currencyId": 1, "transactionId": tid, "physicalLocationId": location}
    if description:
        sale["description1"] = description
    return {**sale, "items": items}


def _jsonl(path: Path) -> list[dict]:
    # amounts as their exact text: 100.50 stays 100.50
    return [json.loads(line, parse_float=str) for line in path.read_text().splitlines()]


def _convert(sample: str, rules: str, tmp: Path) -> tuple[list[dict], dict]:
    res = run_cli("convert", SAMPLES / sample, "--rules", rules, "--to", "thalamus-party-sale",
                  "-o", f"{tmp}/", "--today", TODAY, "--with-source")
    assert res.code == 1, res.err  # each sample carries a realistic problem
    stem = Path(sample).stem
    report = json.loads((tmp / f"{stem}.report.json").read_text())
    return _jsonl(tmp / f"{stem}.jsonl"), report


def test_party_sale_offsets_are_honoured(tmp_path: Path) -> None:
    """Offsets in the cells, no zone in the rule: saleDate is the instant's Unix seconds
    (13:26:01+01:00 is 12:26:01Z, not 13:26:01Z), across the spring DST change too."""
    sales, report = _convert("party-transactions-offsets.csv", "party-pos", tmp_path)
    ref1 = _item("SKU-Reference-1", "Code1", 1, "10.05")
    assert sales == [
        _sale("jfj7-fbde4-rgvaeb-34tvss", 1647865561,
              [_item("SKU-Reference-1", "Code1", 10, "100.50"),
               _item("SKU-Reference-2", "Code2", 20, "200.50")], description="description1"),
        _sale("kq02-77ab1-xx93-000011", 1648342799, [ref1]),   # 01:59:59+01:00
        _sale("kq02-77ab1-xx93-000012", 1648342800, [ref1]),   # 03:00:00+02:00: 1 s later
        _sale("kq02-77ab1-xx93-000013", 1648368900,           # 08:15:00Z
              [_item("SKU-Reference-3", "Code3", 2, "20.10")], location=25, payment=2),
        _sale("kq02-77ab1-xx93-000015", 1648377000, [ref1], location=25),  # naive: UTC
    ]
    assert report == {"error": {"code": 400, "extended": {
        "additional_errors": 0, "error_fields": 1, "error_lines": 1,
        "errors": [{"line": 6, "messages": ["quantity must be a whole number"],
                    "source": [{"sheet": None, "row": 7, "column": "L", "header": "Qty",
                                "field": "quantity", "code": "invalid_number", "value": "1.5",
                                "message": "quantity must be a whole number"}]}],
        "other_problems": [{
            "line": None, "sheet": None, "row": None, "column": "B", "header": "Date",
            "field": "saleDate", "code": "times_read_as_utc", "severity": "warning",
            "message": "times in Date have no UTC offset: they were read as UTC for "
                       "saleDate; if they are local times, write them with their offset "
                       "(e.g. +02:00)", "value": None}]},
        "message": "Bad Request"}}


def test_party_sale_naive_times_in_amsterdam_across_dst(tmp_path: Path) -> None:
    """Naive times in Europe/Amsterdam: CET before the spring change, CEST after, and the
    hour the clocks skip / repeat reported with its own message (never guessed)."""
    sales, report = _convert("party-transactions-amsterdam.csv", "party-pos-amsterdam",
                             tmp_path)
    one = [_item("SKU-Reference-1", "Code1", 1, "10.05")]
    assert sales == [
        _sale("ams-2026-0001", 1774744200, one, description="night market"),  # 00:30Z
        _sale("ams-2026-0003", 1774747800, [_item("SKU-Reference-2", "Code2", 2, "20.10")],
              description="night market"),                                    # 01:30Z
        _sale("ams-2026-0004", 1782900000, one, payment=2),                    # 10:00Z
        _sale("ams-2026-0006", 1792891800, one, description="night market"),  # +01:00
        _sale("ams-2026-0007", 1792895400, [_item("SKU-Reference-2", "Code2", 3, "30.15")],
              description="night market"),                                    # 02:30Z
    ]
    skipped = "saleDate: Date '2026-03-29 02:30:00' does not exist in Europe/Amsterdam " \
              "(the clocks skip that hour)"
    twice = "saleDate: Date '2026-10-25 02:30:00' happens twice in Europe/Amsterdam (the " \
            "clocks go back); write it with its UTC offset"

    def source(row: int, code: str, value: str, message: str) -> dict:
        return {"sheet": None, "row": row, "column": "B", "header": "Date",
                "field": "saleDate", "code": code, "value": value, "message": message}

    assert report == {"error": {"code": 400, "extended": {
        "additional_errors": 0, "error_fields": 2, "error_lines": 2,
        "errors": [
            {"line": 3, "messages": [skipped], "source": [
                source(3, "nonexistent_time", "2026-03-29 02:30:00", skipped)]},
            {"line": 6, "messages": [twice], "source": [
                source(6, "ambiguous_time", "2026-10-25 02:30:00", twice)]}],
        "other_problems": []},
        "message": "Bad Request"}}


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return path


POS = ["Receipt", "Line", "Sold at", "Store", "Receipt code", "SKU", "Qty", "List price",
       "Paid", "VAT %", "Unit cost", "Channel"]


def test_wallie_sends_utc_z(tmp_path: Path) -> None:
    """Issue 18's probe: 10:15+02:00 is 08:15Z in Wallie's salesDateTime (seed 002 format)."""
    data = _write(tmp_path / "pos.csv", [
        POS, ["R1", "1", "2026-10-05T10:15:00+02:00", "0001", "C1", "S", "1", "1", "1", "21",
              "", "store"]])
    res = run_cli("convert", data, "--rules", "pos-lines", "--to", "wallie",
                  "-o", f"{tmp_path}/out/", "--today", TODAY)
    assert res.code == 0, res.err
    sale = json.loads((tmp_path / "out" / "pos.json").read_text())["sales"][0]
    assert sale["salesDateTime"] == "2026-10-05T08:15:00.000Z"
    assert "read as UTC" not in res.err  # every time had its offset: nothing to warn about


def test_wallie_zone_and_one_warning_without(tmp_path: Path) -> None:
    """Naive times: local in the rule's zone; without a zone, read as UTC with ONE warning
    for the file (not one per line)."""
    rows = [POS] + [[f"R{i}", "1", f"2026-10-05 10:{i:02d}:00", "0001", f"C{i}", "S", "1", "1",
                     "1", "21", "", "store"] for i in range(5)]
    data = _write(tmp_path / "pos.csv", rows)
    target = load_target("wallie")
    plain = run(data, load_rules(PARTNERS / "pos-lines.yaml"), target, today=date(2026, 11, 1),
                output=tmp_path / "utc.json")
    warned = plain.problems.filter(pl.col("code") == "times_read_as_utc")
    assert warned.height == 1 and warned["severity"][0] == "warning" and plain.clean
    sales = json.loads((tmp_path / "utc.json").read_text())["sales"]
    assert sales[0]["salesDateTime"] == "2026-10-05T10:00:00.000Z"
    zoned = tmp_path / "pos-ams.yaml"
    zoned.write_text(f"name: pos-ams\nextends: {PARTNERS / 'pos-lines.yaml'}\n"
                     "parse: {timezone: Europe/Amsterdam}\n", encoding="utf-8")
    res = run(data, load_rules(zoned), target, today=date(2026, 11, 1),
              output=tmp_path / "ams.json")
    assert res.problems.height == 0
    sales = json.loads((tmp_path / "ams.json").read_text())["sales"]
    assert sales[0]["salesDateTime"] == "2026-10-05T08:00:00.000Z"  # CEST: UTC+2


CHARITY = ["Ref", "Draw", "Date", "Product", "Tickets", "Total", "Paid by", "Supporter ID",
           "Name", "Surname", "E-mail address", "Address 1", "Address 2", "Postcode", "Country"]


def _charity(ref: int, when: str) -> list[str]:
    return [str(ref), "52", when, "Weekly draw", "1", "2.50", "Visa", "S1", "Emma", "Smit",
            "e@example.org", "1 Lane", "", "AB1 2CD", "UK"]


def _sale_dates(tmp: Path, rows: list[list[str]], zone: str | None, target: str = "bulk-csv",
                **read: object) -> tuple[list[str], pl.DataFrame]:
    rules = tmp / "charity.yaml"
    body = f"name: charity-local\nextends: {PARTNERS / 'charity-web.yaml'}\n"
    rules.write_text(body + (f"parse: {{timezone: {zone}}}\n" if zone else ""), encoding="utf-8")
    out = tmp / f"out-{zone}.csv".replace("/", "-")
    res = run(_write(tmp / "in.csv", [CHARITY, *rows]), load_rules(rules), load_target(target),
              today=date(2026, 11, 1), output=out, **read)
    return pl.read_csv(out, infer_schema=False)["SALE_DATE"].to_list(), res.problems


def test_date_fields_take_the_local_date(tmp_path: Path) -> None:
    """bulk-csv SALE_DATE is the partner's calendar day of the instant, in the rule's zone."""
    rows = [_charity(1, "2026-10-01 00:30"), _charity(2, "2026-09-30T23:30:00Z"),
            _charity(3, "2026-10-01T00:30:00+02:00")]
    local, problems = _sale_dates(tmp_path, rows, "Europe/Amsterdam")
    assert local == ["2026-10-01", "2026-10-01", "2026-10-01"]
    assert problems.height == 0
    utc, problems = _sale_dates(tmp_path, rows, None)
    assert utc == ["2026-10-01", "2026-09-30", "2026-09-30"]
    assert problems.height == 0  # a date target needs no instant: no "read as UTC" warning


def test_day_month_order_settled_by_a_later_batch(tmp_path: Path) -> None:
    """The order is a property of the column in the whole file: a day over 12 in the last
    batch settles the earlier, ambiguous rows (batches of one row)."""
    rows = [_charity(i, f"0{i}/10/2026") for i in range(1, 6)] + [_charity(9, "13/10/2026")]
    dates, problems = _sale_dates(tmp_path, rows, None, batch_size=1)
    assert dates == [f"2026-10-0{i}" for i in range(1, 6)] + ["2026-10-13"]
    assert problems.height == 0
    rows = [_charity(i, f"10/0{i}/2026") for i in range(1, 6)] + [_charity(9, "10/13/2026")]
    dates, problems = _sale_dates(tmp_path, rows, None, batch_size=1)
    assert dates == [f"2026-10-0{i}" for i in range(1, 6)] + ["2026-10-13"]
    assert problems.height == 0


def test_ambiguous_dates_without_evidence_are_errors(tmp_path: Path) -> None:
    rows = [_charity(1, "03/04/2026"), _charity(2, "05/05/2026"), _charity(3, "2026-04-07")]
    dates, problems = _sale_dates(tmp_path, rows, None)
    assert dates == ["2026-05-05", "2026-04-07"]  # the ambiguous line is rejected
    assert problems.select("line", "code", "severity").rows() == [
        (2, "ambiguous_date", "error")]
    assert "03/04/2026' could be day-first or month-first; set date_order" \
        in problems["message"][0]


def test_offset_formats_in_date_formats(tmp_path: Path) -> None:
    """Issue 18 item 23: %z in date_formats passed validation, then check crashed."""
    rules = tmp_path / "z.yaml"
    rules.write_text(f"name: z\nextends: {PARTNERS / 'charity-web.yaml'}\n"
                     "parse: {date_formats: ['%Y-%m-%dT%H:%M:%S%z']}\n", encoding="utf-8")
    assert run_cli("rules", "validate", rules).code == 0
    data = _write(tmp_path / "in.csv", [CHARITY, _charity(1, "2026-10-01T23:30:00-02:00"),
                                        _charity(2, "2026-10-01T12:00:00")])
    res = run_cli("convert", data, "--rules", rules, "--to", "bulk-csv", "-o", f"{tmp_path}/o/",
                  "--today", TODAY)
    assert res.code == 0, res.err
    got = pl.read_csv(tmp_path / "o" / "in.csv", infer_schema=False)["SALE_DATE"].to_list()
    assert got == ["2026-10-02", "2026-10-01"]  # 23:30-02:00 is 01:30Z the next day


def test_impossible_date_one_message(tmp_path: Path) -> None:
    """Issue 18 item 7: 31-02-2025 from a date column joined with a time column is one
    error naming both columns, the value and the expected format; no 'required' after it."""
    rules = tmp_path / "joined.yaml"
    rules.write_text(f"name: joined\nextends: {PARTNERS / 'pos-lines.yaml'}\n"
                     "parse: {date_formats: ['%d-%m-%Y %H:%M']}\n"
                     "fields:\n  sold_at: {expr: \"column('Datum') + ' ' + column('Tijd')\"}\n",
                     encoding="utf-8")
    header = [c for c in POS if c != "Sold at"] + ["Datum", "Tijd"]
    row = ["R1", "1", "0001", "C1", "S", "1", "1", "1", "21", "", "store"]
    data = _write(tmp_path / "in.csv", [header, [*row, "31-02-2025", "10:00"],
                                        ["R2", *row[1:], "28-02-2025", "10:00"]])
    res = run_cli("check", data, "--rules", rules, "--to", "wallie", "--today", TODAY,
                  "--format", "json")
    assert res.code == 1, res.err
    assert res.json()["error"]["extended"]["errors"] == [
        {"line": 2, "messages": ["salesDateTime: Datum + Tijd '31-02-2025 10:00' is not a date "
                                 "(expected dd-mm-yyyy HH:MM)"]}]


def test_upload_name_date_is_the_local_day(tmp_path: Path) -> None:
    """The file's sales day (upload file names) is the partner's day, not the UTC one."""
    rules = tmp_path / "charity.yaml"
    rules.write_text(f"name: c\nextends: {PARTNERS / 'charity-web.yaml'}\n"
                     "parse: {timezone: Europe/Amsterdam}\n", encoding="utf-8")
    data = _write(tmp_path / "in.csv", [CHARITY, _charity(1, "2026-10-01 00:30"),
                                        _charity(2, "2026-10-01 23:30")])
    res = run(data, load_rules(rules), load_target("bulk-csv"), today=date(2026, 11, 1))
    assert res.sale_dates == (date(2026, 10, 1), date(2026, 10, 1))


def test_wall_clock_and_instant_formats(tmp_path: Path) -> None:
    """A date-time format without Z or an offset gets the partner's wall-clock time (in the
    rule's zone); one with Z gets UTC; neither needs the 'read as UTC' warning here."""
    target = tmp_path / "t.yaml"
    target.write_text("name: t\noutput: csv\nfields:\n"
                      "  - {name: local, from: sold_at, type: datetime, format: '%Y-%m-%d %H:%M'}\n"
                      "  - {name: utc, from: sold_at, type: datetime, "
                      "format: '%Y-%m-%dT%H:%M:%SZ'}\n", encoding="utf-8")
    rules = tmp_path / "r.yaml"
    rules.write_text("name: r\nparse: {timezone: Europe/Amsterdam}\nfields: {sold_at: Sold}\n",
                     encoding="utf-8")
    data = _write(tmp_path / "in.csv", [["Sold"], ["2026-07-01 10:00"],
                                        ["2026-07-01T10:00:00Z"], ["2026-01-01 10:00"]])
    res = run(data, load_rules(rules), load_target(str(target)), today=date(2026, 11, 1),
              output=tmp_path / "o.csv")
    assert res.problems.height == 0
    assert pl.read_csv(tmp_path / "o.csv", infer_schema=False).rows() == [
        ("2026-07-01 10:00", "2026-07-01T08:00:00Z"), ("2026-07-01 12:00", "2026-07-01T10:00:00Z"),
        ("2026-01-01 10:00", "2026-01-01T09:00:00Z")]
