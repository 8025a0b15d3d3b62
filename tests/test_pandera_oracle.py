"""pandera as an independent oracle: on random frames of canonical text, the cells pandera
rejects with the exported schema (salesfmt.targets.pandera_schema) are the cells salesfmt
rejects, for the type, required, length and allowed checks. pandera judges with its own
built-in checks (regular expressions, str_length, isin, nullable); salesfmt with its
parsers and checks. What cannot map is listed in salesfmt.targets.export.UNMAPPED.
5 examples by default (each up to 30 lines); SALESFMT_ORACLE_EXAMPLES=200 for a longer
hunt."""

from __future__ import annotations

import csv
import os
import tempfile
import warnings
from datetime import date
from pathlib import Path
from typing import Any

import pandera.polars as pa
import polars as pl
import yaml
from conftest import run_cli
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from salesfmt.canonical import Kind
from salesfmt.pipeline import run
from salesfmt.rules import load_rules
from salesfmt.targets import load_target, pandera_schema
from salesfmt.targets.spec import TYPE_CHECK, TargetField

TODAY = date(2026, 11, 1)
#: salesfmt's codes the comparison covers; pandera's failure cases carry the same codes
#: (each exported check's ``error``), an empty required cell is pandera's not_nullable
COMPARED = {"invalid_number", "invalid_date", "invalid_datetime", "invalid_boolean",
            "required", "too_long", "not_allowed"}
TARGETS = ("bulk-csv", "thalamus-partner-sale", "sales-template", "wallie")
#: not canonical text of any kind (partner notations such as a trailing minus, "12-",
#: are the rule file's business: salesfmt reads them, pandera's patterns do not)
JUNK = ["1x", "abc", "2024-13-01", "2023-02-29", "1.2.3", "ja nee", "2026-10-05T25:00:00"]


def _text(f: TargetField) -> st.SearchStrategy[str | None]:
    limit = next((u.params["max_length"] for u in f.checks if u.code == "too_long"), 20)
    words = st.text(alphabet="abcXYZéß😀 ", min_size=1, max_size=limit + 3) \
        .map(str.strip).filter(bool)
    allowed = next((u.params["allowed"] for u in f.checks if u.code == "not_allowed"), None)
    if allowed:
        words = st.one_of(st.sampled_from([str(a) for a in allowed]), words)
    return words


def _value(f: TargetField) -> st.SearchStrategy[str | None]:
    """A cell of canonical text for field ``f``: empty, valid, or not of its type."""
    if f.kind is Kind.TEXT:
        good = _text(f)
    elif f.kind is Kind.INTEGER:
        good = st.integers(-10**6, 10**6).map(str)
    elif f.kind is Kind.DECIMAL:
        good = st.builds(lambda n, d, p: f"{n}.{str(d).zfill(p)[:p]}" if p else str(n),
                         st.integers(-10**5, 10**5), st.integers(0, 999999), st.integers(0, 6))
    elif f.kind is Kind.DATE:
        good = st.dates(date(1990, 1, 1), date(2026, 10, 31)).map(date.isoformat)
    elif f.kind is Kind.DATETIME:
        good = st.builds(lambda d, s, z: f"{d.isoformat()}T{s // 3600:02d}:{s // 60 % 60:02d}:"
                         f"{s % 60:02d}{z}", st.dates(date(1990, 1, 1), date(2026, 10, 31)),
                         st.integers(0, 86399), st.sampled_from(["", "Z", "+02:00", ".250Z"]))
    else:
        good = st.sampled_from(["true", "false"])
    return st.one_of(st.none(), good, good, st.sampled_from(JUNK))


def _fields(name: str) -> list[TargetField]:
    seen: set[str] = set()
    out = []
    for f in load_target(name).fields:
        if f.constant is None and f.source and f.source not in seen:
            seen.add(f.source)
            out.append(f)
    return out


@st.composite
def frames(draw: Any) -> tuple[str, pl.DataFrame]:
    name = draw(st.sampled_from(TARGETS))
    fields = _fields(name)
    n = draw(st.integers(1, 30))
    data = {f.name: draw(st.lists(_value(f), min_size=n, max_size=n)) for f in fields}
    return name, pl.DataFrame(data, schema={f.name: pl.String for f in fields})


def _salesfmt(name: str, frame: pl.DataFrame, tmp: Path) -> set[tuple[int, str, str]]:
    fields = _fields(name)
    rules = {"name": "oracle", "parse": {"decimal_separator": ".", "date_formats": ["%Y-%m-%d"]},
             "fields": {f.source: f.name for f in fields}}
    (tmp / "rules.yaml").write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    with (tmp / "lines.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_ALL)
        writer.writerow(["#", *frame.columns])
        for i, row in enumerate(frame.iter_rows()):  # '#': no line is blank
            writer.writerow([str(i), *("" if v is None else v for v in row)])
    result = run(tmp / "lines.csv", load_rules(tmp / "rules.yaml"), load_target(name),
                 today=TODAY)
    ours = _our_codes(load_target(name))
    p = result.problems.filter(pl.col("severity") == "error")
    found = {(row - 2, field, ours.get((field, code), code))
             for row, field, code in p.select("row", "field", "code").rows()}
    # a default taken from another field: exported as nullable (UNMAPPED)
    from_field = {f.name for f in load_target(name).fields if str(f.default).startswith("{")}
    return {x for x in found if x[2] in COMPARED
            and not (x[2] == "required" and x[1] in from_field)}


def _our_codes(target: Any) -> dict[tuple[str, str], str]:
    """(field, code as the server names it) → salesfmt's code; a partner's date that is
    not one is reported with its reason (not_a_date): a type problem."""
    out = {}
    for f in target.fields:
        for use in f.checks:
            out[(f.name, use.code_as or target.code_for(use.code))] = use.code
        if f.kind in TYPE_CHECK:
            out[(f.name, "not_a_date")] = TYPE_CHECK[f.kind]
    return out


def _pandera(name: str, frame: pl.DataFrame) -> set[tuple[int, str, str]]:
    schema = pandera_schema(name, today=TODAY)
    try:
        with warnings.catch_warnings():  # warnings (raise_warning checks) reject nothing
            warnings.simplefilter("ignore")
            schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases.with_columns(
            pl.col("check").replace({"not_nullable": "required"}))
        cases = cases.filter(pl.col("check").is_in(sorted(COMPARED)) & pl.col("index").is_not_null())
        return set(cases.select("index", "column", "check").iter_rows())
    return set()


@settings(max_examples=int(os.environ.get("SALESFMT_ORACLE_EXAMPLES", "5")), deadline=None, derandomize=True, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.too_slow])
@given(frames())
def test_pandera_rejects_the_cells_salesfmt_rejects(case: tuple[str, pl.DataFrame]) -> None:
    name, frame = case
    with tempfile.TemporaryDirectory() as tmp:
        ours = _salesfmt(name, frame, Path(tmp))
    theirs = _pandera(name, frame)
    assert theirs == ours, (name, sorted(theirs - ours), sorted(ours - theirs),
                            frame.rows(named=True))


def test_the_oracle_sees_every_compared_check(tmp_path: Path) -> None:
    """A fixed frame on which each compared check fails at least once, on both sides."""
    frame = pl.DataFrame({"ORDER_ID": ["1", "x", None], "DRAW_NO": ["2", "3", "4"],
                          "SALE_DATE": ["2026-01-01", "2026-02-30", "2026-01-02"],
                          "PRODUCT_CODE": ["A", "B" * 51, "C"], "QUANTITY": ["1", "1", "1"],
                          "AMOUNT": ["1.50", "2", "3"],
                          "PAYMENT_METHOD": ["cash", "PIN", "card"],
                          "LAST_NAME": ["Jansen", "de Vries", "Bakker"],
                          "ADDRESS_LINE1": ["Dam 1", "Dam 2", "Dam 3"],
                          "POSTCODE": ["1012 JS", "1012 JS", "1012 JS"]})
    ours = _salesfmt("bulk-csv", frame, tmp_path)
    assert {c for _, _, c in ours} == {"invalid_number", "invalid_date", "too_long",
                                       "not_allowed", "required"}
    assert _pandera("bulk-csv", frame) == ours


def test_cli_prints_pandera_s_own_yaml() -> None:
    """``targets schema --format pandera`` is pandera's serialisation of the exported
    schema (reading it back needs pandas, which salesfmt does not install)."""
    res = run_cli("targets", "schema", "bulk-csv", "--format", "pandera")
    assert res.code == 0, res.err
    body = "\n".join(line for line in res.out.splitlines() if not line.startswith("#"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert body == pandera_schema("bulk-csv").to_yaml().rstrip("\n")
    data = yaml.safe_load(body)
    assert data["schema_type"] == "polars_dataframe"
    assert list(data["columns"]) == [f.name for f in load_target("bulk-csv").fields]
    assert data["columns"]["PRODUCT_CODE"]["str_length"]["error"] == "too_long"
    assert data["columns"]["PAYMENT_METHOD"]["isin"]["error"] == "not_allowed"
    assert "nullable" not in data["columns"]["ORDER_ID"]  # required
    assert "future_date" in res.out.splitlines()[1]  # custom checks are named


def test_json_schema_of_a_record_accepts_the_golden_output() -> None:
    """Every request body salesfmt wrote for thalamus-partner-sale (golden file) is valid
    against the record's JSON Schema, and a body breaking a declared check is not."""
    import json

    import jsonschema
    from conftest import ROOT

    from salesfmt.targets import record_json_schema

    validator = jsonschema.Draft202012Validator(record_json_schema("thalamus-partner-sale"))
    golden = ROOT / "tests" / "golden" / "targets" / \
        "thalamus-partner-sale__loyalty-partner-sales.jsonl"
    bodies = [json.loads(line) for line in golden.read_text().splitlines()]
    assert bodies
    for body in bodies:
        assert not list(validator.iter_errors(body)), body
    broken = {**bodies[0], "description1": "x" * 256, "currency": "EURO"}
    assert {e.validator for e in validator.iter_errors(broken)} == {"maxLength", "enum"}
