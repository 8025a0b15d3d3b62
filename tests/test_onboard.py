"""`salesfmt init` and `salesfmt rules suggest` (issue 13), driven by
tests/data/onboarding/cases.yaml: bundled samples must be flagged as their bundled rule flags
them; new partner files must give their expected rule file byte for byte."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl
import pytest
import yaml

from salesfmt.onboard import init_text
from salesfmt.pipeline import run
from salesfmt.rules import load_rules
from salesfmt.targets import load_target
from conftest import SAMPLES, run_cli

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


def test_init_cli_todo_check_and_suggest(tmp_path: Path) -> None:
    """init -o → rules show lists the TODOs → check accepts the draft (exit 1, not 2) →
    rules suggest --write a patch that extends it; the rule file is left alone."""
    sample = SAMPLES / "kassa-export-nl.csv"
    rule = tmp_path / "kassa.yaml"
    r = run_cli("init", sample, "--to", "bulk-csv", "-o", rule)
    assert r.code == 0, r.err
    text = rule.read_text(encoding="utf-8")
    # a partner that renamed two columns since: a missing column, a fuzzy one
    rule.write_text(text.replace("payment_method:  #", "payment_method:  # renamed:")
                    .replace("column: Betaalwijze", "column: Betaalmethode")
                    .replace("last_name: Achternaam", "last_name: TODO  # TODO: was it 'Naam'?"),
                    encoding="utf-8")
    before = rule.read_bytes()
    shown = run_cli("rules", "show", rule, "--to", "bulk-csv")
    assert "todo: line" in shown.out and "last_name" in shown.out
    checked = run_cli("check", sample, "--rules", rule, "--to", "bulk-csv")
    assert checked.code == 1 and "missing_column" in checked.err
    patch = tmp_path / "patch.yaml"
    sug = run_cli("rules", "suggest", sample, "--rules", rule, "--to", "bulk-csv", "--write",
                  "-o", patch, "--today", "2026-11-01")
    assert sug.code == 0, sug.err
    assert rule.read_bytes() == before  # never applied silently
    body = patch.read_text(encoding="utf-8")
    assert "extends: kassa.yaml" in body
    assert "Achternaam" in body and "Betaalwijze" in body
    fixed = run(sample, load_rules(patch), load_target("bulk-csv"), today=TODAY).problems
    assert fixed.filter(pl.col("code") == "missing_column").height == 0
    assert _flags(sample, patch, "bulk-csv") == _flags(sample, "kassa-nl", "bulk-csv")
