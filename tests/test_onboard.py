"""`salesfmt init` and `salesfmt rules suggest` (issue 13), driven by
tests/data/onboarding/cases.yaml: bundled samples must be flagged as their bundled rule flags
them; new partner files must give their expected rule file byte for byte."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml
from conftest import SAMPLES, run_cli

from salesfmt.onboard import draft_rules, init_text, render
from salesfmt.onboard.extends import closest_rule
from salesfmt.onboard.suggest import render_patch, suggest
from salesfmt.pipeline import run
from salesfmt.rules import load_rules
from salesfmt.targets import load_target

DATA = Path(__file__).parent / "data" / "onboarding"
CASES = yaml.safe_load((DATA / "cases.yaml").read_text(encoding="utf-8"))
TODAY = date(2026, 11, 1)


def _flags(path: Path, rules: str | Path, target: str) -> set[tuple]:
    """(row, code, severity) of every problem a check finds."""
    result = run(path, load_rules(rules), load_target(target), today=TODAY)
    return set(result.problems.select("row", "code", "severity").iter_rows())


def _sample_param(case: dict) -> pytest.param:
    marks = [pytest.mark.xfail(reason=case["cannot"], strict=True)] if "cannot" in case else []
    return pytest.param(case, id=case["rules"], marks=marks)


@pytest.mark.parametrize("case", [_sample_param(c) for c in CASES["samples"]])
def test_init_rule_flags_what_the_bundled_rule_flags(case: dict, tmp_path: Path) -> None:
    sample = SAMPLES / case["file"]
    drafted = tmp_path / "drafted.yaml"
    drafted.write_text(init_text(str(sample), case["to"]), encoding="utf-8")
    assert _flags(sample, drafted, case["to"]) == _flags(sample, case["rules"], case["to"])


@pytest.mark.parametrize("case", CASES["new"], ids=[c["file"] for c in CASES["new"]])
def test_init_new_partner_file_gives_the_expected_rule(case: dict, tmp_path: Path) -> None:
    path = DATA / case["file"]
    expected = (DATA / (path.stem + ".expected.yaml")).read_bytes()
    text = init_text(str(path), case["to"])
    assert text.encode("utf-8") == expected
    drafted = tmp_path / "drafted.yaml"
    drafted.write_bytes(expected)
    load_rules(drafted)  # check accepts it as it is (no TODO left in these files)
    assert "# TODO:" not in text


def test_init_is_deterministic() -> None:
    path = str(SAMPLES / "box-office-de.xlsx")
    assert init_text(path, "bulk-csv") == init_text(path, "bulk-csv")


def test_init_cli_writes_a_rule_check_accepts_and_rules_show_lists_todos(tmp_path: Path
                                                                          ) -> None:
    """init -o for a target the file only half feeds: check accepts the draft (problems,
    exit 1, never a configuration error) and rules show lists what init left TODO."""
    rule = tmp_path / "event.yaml"
    r = run_cli("init", SAMPLES / "event-ticketing.csv", "--to", "bulk-csv", "-o", rule)
    assert r.code == 0, r.err
    assert "6 TODO" in r.err
    shown = run_cli("rules", "show", rule, "--to", "bulk-csv")
    todo = [line for line in shown.out.splitlines() if line.startswith("todo:")]
    assert [t.split(":")[2].strip() for t in todo] == [
        "draw_number", "sku", "payment_method", "last_name", "address_line1", "postcode"]
    checked = run_cli("check", SAMPLES / "event-ticketing.csv", "--rules", rule, "--to",
                      "bulk-csv")
    assert checked.code == 1 and "no column for DRAW_NO in the file" in checked.err


def test_rules_suggest_write_patch_extends_the_rule_and_leaves_it_alone(tmp_path: Path
                                                                          ) -> None:
    """A rule whose columns were renamed since: the patch adds the new headers as aliases;
    the rule file itself is never changed."""
    sample = SAMPLES / "kassa-export-nl.csv"
    rule = tmp_path / "kassa.yaml"
    text = init_text(str(sample), "bulk-csv", name="kassa")
    rule.write_text(text.replace("column: Betaalwijze", "column: Betaalmethode")
                    .replace("last_name: Achternaam", "last_name: Naam"), encoding="utf-8")
    before = rule.read_bytes()
    patch = tmp_path / "patch.yaml"
    sug = run_cli("rules", "suggest", sample, "--rules", rule, "--to", "bulk-csv", "--write",
                  "-o", patch, "--today", "2026-11-01")
    assert sug.code == 0, sug.err
    assert rule.read_bytes() == before  # never applied silently
    body = patch.read_text(encoding="utf-8")
    assert "extends: kassa.yaml" in body
    assert "column: [Naam, Achternaam]" in body and "column: [Betaalmethode, Betaalwijze]" in body
    assert _flags(sample, patch, "bulk-csv") == _flags(sample, "kassa-nl", "bulk-csv")


_TYPO_RULE = """\
name: kassa-typo
input: {encoding: cp1252, delimiter: ";"}
parse: {decimal_separator: ",", date_formats: ["%d-%m-%Y"]}
headers: {fuzzy: true, threshold: 80}
skip:
  - {column: Bonnummer, matches: "^(?i)totaal"}
fields:
  sale_id: Bonnummer
  draw_number: Trekking
  sold_at: Datum
  sku: Artikelcode
  quantity: Aantal
  amount: Bedrag
  payment_method: {column: Betaalwijz, map: {PIN: card}, unmapped: error}
  last_name: Achternaam
  address_line1: Adres
  postcode: Postcode
"""


def test_rules_suggest_resolves_fuzzy_headers_and_unmapped_values(tmp_path: Path) -> None:
    sample = SAMPLES / "kassa-export-nl.csv"
    rule = tmp_path / "typo.yaml"
    rule.write_text(_TYPO_RULE, encoding="utf-8")
    codes = {c for _, c, _ in _flags(sample, rule, "bulk-csv")}
    assert {"fuzzy_header", "unmapped_value"} <= codes
    found = suggest(sample, str(rule), "bulk-csv", today=TODAY)
    patch = tmp_path / "patch.yaml"
    patch.write_text(render_patch(found, tmp_path), encoding="utf-8")
    body = patch.read_text(encoding="utf-8")
    assert "column: [Betaalwijz, Betaalwijze]" in body
    assert ("map: {PIN: card, Contant: cash, iDEAL: other, Incasso: direct_debit}" in body)
    assert "# TODO: no suggestion for 'Bitcoin': one of cash, cheque, card, direct_debit, other" in body
    after = _flags(sample, patch, "bulk-csv")
    assert "fuzzy_header" not in {c for _, c, _ in after}
    assert [r for r, c, _ in after if c == "unmapped_value"] == [21]  # Bitcoin, listed


def test_init_extends_auto_a_rule_the_file_matches(tmp_path: Path) -> None:
    """The kiosk sample matches the bundled kiosk-kassa-nl: the draft extends it (and adds
    nothing); beside -o, the operator's own copy wins the tie."""
    sample = SAMPLES / "kiosk-kassa-nl.csv"
    draft = draft_rules(str(sample), "bulk-csv", name="kiosk")
    draft.extends = closest_rule(draft, tmp_path)
    assert draft.extends is not None and draft.extends[0] == "kiosk-kassa-nl"
    drafted = tmp_path / "kiosk.yaml"
    drafted.write_text(render(draft), encoding="utf-8")
    assert "fields: {}" in drafted.read_text(encoding="utf-8")
    assert _flags(sample, drafted, "bulk-csv") == _flags(sample, "kiosk-kassa-nl", "bulk-csv")
    own = (load_rules("kiosk-kassa-nl").path.read_text(encoding="utf-8")
           .replace("name: kiosk-kassa-nl", "name: my-kiosk")
           .replace("extends: kassa-nl", f"extends: {load_rules('kassa-nl').path}"))
    (tmp_path / "my-kiosk.yaml").write_text(own, encoding="utf-8")
    assert closest_rule(draft, tmp_path, drafted)[0] == "my-kiosk.yaml"
    assert closest_rule(draft_rules(str(DATA / "kasse-de.csv"), "bulk-csv")) is None


def test_init_escapes_control_characters_of_headers(tmp_path: Path) -> None:
    """A header holding an escape sequence or a bidi override is written escaped (YAML
    refuses control characters, even in comments) and still names its column."""
    path = tmp_path / "odd.csv"
    path.write_text("Order,Date\x1b[2J,Tot\u202eal,Qty\nA1,2026-10-01,1.50,1\n", encoding="utf-8")
    text = init_text(str(path), "bulk-csv")
    assert all(line.isprintable() for line in text.splitlines())
    rule = tmp_path / "odd.yaml"
    rule.write_text(text, encoding="utf-8")
    assert load_rules(rule).fields["amount"].columns == ("Tot\u202eal",)


def test_init_boolean_column_of_unknown_words_gives_a_valid_rule(tmp_path: Path) -> None:
    """An 'online' column whose words no table knows: listed to check, no 'unmapped:'
    without a map (a rule file the schema refuses)."""
    path = tmp_path / "web.csv"
    path.write_text("Receipt,Line,Date,Store,SKU,Qty,Paid,Online\n"
                    "R1,1,2026-10-01,S1,A,1,2.50,maybe\nR2,1,2026-10-01,S1,A,1,2.50,perhaps\n",
                    encoding="utf-8")
    text = init_text(str(path), "wallie")
    rule = tmp_path / "web.yaml"
    rule.write_text(text, encoding="utf-8")
    assert load_rules(rule).fields["online"].columns == ("Online",)
    assert "'maybe' (1 line), 'perhaps' (1 line)" in text


def test_init_places_an_enumerated_field_by_its_values(tmp_path: Path) -> None:
    """A 'Type' column of ticket types (a header no lexicon gives the field) is placed by
    its values, asked to be checked; a 'Type' that is not sale/return words is no return
    marker."""
    path = tmp_path / "shows.csv"
    path.write_text("Event,Type,Date,Qty,Total,Channel,Cur\n"
                    "E1,Adult,2026-10-01,1,5.00,Web,EUR\nE1,Kind,2026-10-02,1,3.00,Door,EUR\n",
                    encoding="utf-8")
    text = init_text(str(path), "sales-template")
    assert ("  ticket_type:  # CHECK: values: 2 of 2 are ticket type words (header not in "
            "the lexicon): score 75, below 90\n    column: Type\n    map: {Kind: Child}") in text
    assert "is_return" not in text
