"""Bad rule files end in one clean line naming the file and place, never an internal error,
a traceback or the contents of a file that is no rule file; `rules validate` finds what
`check` would stop on. Cases as data in tests/cases/rule_files.yaml."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import SAMPLES, TODAY, run_cli

from salesfmt.rules.headers import closest_headers
from salesfmt.rules.loader import validate_file

CASES = yaml.safe_load(Path(__file__).with_name("cases").joinpath("rule_files.yaml")
                       .read_text(encoding="utf-8"))["cases"]


def _write(tmp: Path, case: dict[str, Any]) -> Path:
    for name, body in (case.get("files") or {}).items():
        (tmp / name).write_text(body, encoding="utf-8")
    rules = tmp / "rules.yaml"
    rules.write_text(case["text"], encoding="utf-8")
    return rules


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_validate_names_the_problem_and_its_place(tmp_path: Path, case: dict[str, Any]) -> None:
    problems = validate_file(_write(tmp_path, case))
    assert len(problems) == 1, problems
    assert case["expect"] in problems[0], problems[0]
    if "absent" in case:
        assert case["absent"] not in problems[0]


def test_validate_finds_what_check_stops_on(tmp_path: Path) -> None:
    """Issue 18.16: `rules validate` said ok; `check` stopped at 'character 1'."""
    case = next(c for c in CASES if c["name"].startswith("arithmetic on a text field"))
    rules = _write(tmp_path, case)
    validated = run_cli("rules", "validate", rules)
    assert validated.code == 1 and case["expect"] in validated.out
    checked = run_cli("check", SAMPLES / "kassa-export-nl.csv", "-r", rules, "-t", "bulk-csv")
    assert checked.code == 2 and case["expect"] in checked.err


def _deep_extends(tmp: Path, depth: int) -> Path:
    for i in range(depth):
        parent = f"extends: c{i + 1}.yaml\n" if i < depth - 1 else "extends: kassa-nl\n"
        (tmp / f"c{i}.yaml").write_text(f"name: c{i}\n{parent}", encoding="utf-8")
    return tmp / "c0.yaml"


# 9**6 values from 300 bytes (9**9 from 428 took 25 s and 3.1 GB; this size keeps the
# fail-before run on the old code small)
_BOMB = "name: x\nfields: {sale_id: Bon}\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" \
    + "".join(f"{b}: &{b} [{', '.join([f'*{a}'] * 9)}]\n"
              for a, b in zip("abcde", "bcdef", strict=True))


@pytest.mark.parametrize(("text", "expect"), [
    pytest.param("name: x\x00\nfields: {sale_id: Bon}\n",
                 ":1:8: invalid YAML: unacceptable character #x0000", id="NUL byte"),
    pytest.param("name: x\nextends: kassa-nl\nfields:\n  amount: {expr: '1e400 * amount'}\n",
                 ":4:12: fields.amount.expr: number 1e400 is too large", id="1e400"),
    pytest.param("name: x\nextends: kassa-nl\nfields:\n  amount: {expr: '"
                 "99999999999999999999999999 * amount'}\n",
                 ":4:12: fields.amount.expr: number 99999999999999999999999999 is too large",
                 id="huge integer"),
    pytest.param("name: x\nfields: {sale_id: Bon}\ndescription: " + "[" * 5000 + "]" * 5000
                 + "\n", ":3:63: nested deeper than 50 levels", id="deep lists"),
    pytest.param("name: x\nfields: {sale_id: Bon}\nchannel: " + "{a: " * 3000 + "1"
                 + "}" * 3000 + "\n", ":3:206: nested deeper than 50 levels", id="deep maps"),
    pytest.param("name: x\nextends: kassa-nl\nfields:\n  amount: {expr: '"
                 + "+".join(["1"] * 5000) + "'}\n",
                 ":4:12: fields.amount.expr: expression nested deeper than 100 levels",
                 id="long expression"),
    pytest.param("name: x\nextends: kassa-nl\nfields:\n  amount: {expr: '"
                 + "abs(" * 150 + "amount" + ")" * 150 + "'}\n",
                 ":4:12: fields.amount.expr: expression nested deeper than 100 levels", id="deep calls"),
    pytest.param(_BOMB, ":8:12: holds more than 200,000 values", id="alias bomb"),
])
def test_hostile_rule_file_is_one_line_exit_2(tmp_path: Path, text: str, expect: str) -> None:
    rules = tmp_path / "x.yaml"
    rules.write_text(text, encoding="utf-8")
    start = time.perf_counter()
    res = run_cli("check", SAMPLES / "kassa-export-nl.csv", "-r", rules, "-t", "bulk-csv",
                  timeout=60)
    assert time.perf_counter() - start < 30  # the alias bomb took 25 s and 3.1 GB
    assert res.code == 2, res.err
    assert len(res.err.strip().splitlines()) == 1, res.err[:500]
    assert "internal error" not in res.err and "Traceback" not in res.err
    assert f"{rules}{expect}" in res.err, res.err[:500]
    assert run_cli("rules", "validate", rules).code == 1


def test_alias_bomb_refused_before_expanding(tmp_path: Path) -> None:
    rules = tmp_path / "bomb.yaml"
    rules.write_text(_BOMB, encoding="utf-8")
    start = time.perf_counter()
    problems = validate_file(rules)
    assert time.perf_counter() - start < 2  # milliseconds; 9**9 values were copied before
    assert problems == [f"{rules}:8:12: holds more than 200,000 values once its aliases are "
                        "expanded (each *alias copies what it names)"]


def test_extends_chain_of_1000_files_works(tmp_path: Path) -> None:
    """The README promises chains of any depth: 1,000 files deep was a RecursionError."""
    rules = _deep_extends(tmp_path, 1000)
    assert validate_file(rules) == []
    res = run_cli("check", SAMPLES / "kassa-export-nl.csv", "-r", rules, "-t", "bulk-csv",
                  "--today", TODAY, "--lang", "en")
    assert res.code in (0, 1), res.err
    assert "rules c0" in res.err


def test_extends_cycle_deep_in_a_chain_is_named(tmp_path: Path) -> None:
    rules = _deep_extends(tmp_path, 5)
    (tmp_path / "c4.yaml").write_text("name: c4\nextends: c2.yaml\n", encoding="utf-8")
    assert validate_file(rules) == [f"{tmp_path / 'c4.yaml'}:2:1: extends: extends cycle: "
                                    "c0 → c1 → c2 → c3 → c4 → c2"]


def test_kiosk_without_its_bon_column_is_a_missing_column_report(tmp_path: Path) -> None:
    """Issue 12.20: the `consistent:` group on sale_id made it a configuration error."""
    text = (SAMPLES / "kiosk-kassa-nl.csv").read_text(encoding="utf-8")
    data = tmp_path / "no-bon.csv"
    data.write_text(text.replace("Bon;", "Nummer;", 1), encoding="utf-8")
    res = run_cli("check", data, "-r", "kiosk-kassa-nl", "-t", "bulk-csv", "--today", TODAY,
                  "--format", "json", "--lang", "en")
    assert res.code == 1, res.err
    assert "no column for ORDER_ID in the file (looked for: Bon)" in res.err


@pytest.mark.parametrize("skip", ["", "skip:\n  - {field: location_id, equals: K9}\n"
                                      "  - {when: \"location_id == 'K9'\"}\nconsistent: []\n"])
def test_a_missing_column_read_only_by_consistent_or_skip_rules_is_reported(
        tmp_path: Path, skip: str) -> None:
    text = (SAMPLES / "kiosk-kassa-nl.csv").read_text(encoding="utf-8")
    data = tmp_path / "no-kassa.csv"
    data.write_text(text.replace(";Kassa;", ";Till;", 1), encoding="utf-8")
    rules = tmp_path / "k.yaml"
    rules.write_text(f"name: k\nextends: kiosk-kassa-nl\n{skip}", encoding="utf-8")
    res = run_cli("check", data, "-r", rules, "-t", "bulk-csv", "--today", TODAY,
                  "--lang", "en")
    assert res.code == 1, res.err
    assert "warning: no column for location_id in the file (looked for: Kassa)" in res.err


def test_closest_headers_is_linear_in_columns() -> None:
    """Issue 12.14: a `headers.index` per header made 100,000 columns take 71 s."""
    headers = [f"Kolom {i}" for i in range(40_000)] + ["Bonnr."]
    start = time.perf_counter()
    near = closest_headers(("Bonnummer", "Bonnr"), headers)
    assert time.perf_counter() - start < 3  # ~10 s when quadratic
    assert near[0] == ("Bonnr.", 100.0)
