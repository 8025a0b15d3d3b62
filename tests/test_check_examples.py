"""Every check's bad and good example (salesfmt/checks/examples.yaml) runs as a fixture,
like sqlfluff's std_rule_cases: the bad lines raise exactly that check's code, the good
lines raise nothing at all. ``salesfmt explain CODE`` shows the same examples."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import run_cli

from salesfmt.checks import Context, all_checks
from salesfmt.checks.examples import Example, examples, lines_text
from salesfmt.pipeline import run
from salesfmt.rules import load_rules
from salesfmt.targets.spec import load_target

TODAY = date(2026, 11, 1)


def _merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        out[key] = _merge(out[key], value) if isinstance(value, dict) and \
            isinstance(out.get(key), dict) else value
    return out


def _problems(ex: Example, lines: list[dict[str, str]], tmp: Path) -> list[tuple[Any, ...]]:
    """Run ``lines`` as a partner CSV through the example's rules and target."""
    mapping = {f["from"]: f["name"] for f in ex.fields if "from" in f}
    rules = _merge({"name": "example", "fields": mapping}, ex.rules)
    target = {"name": "example", "output": "csv", **ex.declaration,
              "fields": [{"formula": False, **f} if f.get("type") == "text"
                         and ex.code != "formula_like" else f for f in ex.fields]}
    (tmp / "rules.yaml").write_text(yaml.safe_dump(rules, allow_unicode=True), encoding="utf-8")
    (tmp / "target.yaml").write_text(yaml.safe_dump(target, allow_unicode=True),
                                     encoding="utf-8")
    header = list(dict.fromkeys(["#", *(k for line in lines for k in line)]))
    with (tmp / "input.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_ALL)
        writer.writerow(header)
        for i, line in enumerate(lines, start=1):  # '#': no line of the file is blank
            writer.writerow([str(i), *(line.get(k, "") for k in header[1:])])
    result = run(tmp / "input.csv", load_rules(tmp / "rules.yaml"),
                 load_target(str(tmp / "target.yaml")), today=TODAY)
    return result.problems.select("line", "code", "field", "message").rows()


CASES = [pytest.param(code, side, id=f"{code}-{side}")
         for code in sorted(examples()) for side in ("bad", "good")]


@pytest.mark.parametrize(("code", "side"), CASES)
def test_example(code: str, side: str, tmp_path: Path) -> None:
    ex = examples()[code]
    if ex.earlier:
        pytest.skip(f"{code} compares two deliveries: run by tests/test_batch.py")
    problems = _problems(ex, getattr(ex, side), tmp_path)
    if side == "bad":
        assert problems, f"{code}: the bad example raises nothing"
        assert {p[1] for p in problems} == {code}, problems
        assert not any("{" in p[3] for p in problems), problems  # every part filled in
    else:
        assert problems == [], problems


def test_every_check_has_an_example() -> None:
    assert sorted(examples()) == sorted(c.code for c in all_checks())


def test_explain_shows_the_examples() -> None:
    res = run_cli("explain", "too_many_decimals")
    ex = examples()["too_many_decimals"]
    assert res.code == 0
    assert f"bad:  {lines_text(ex.bad)}" in res.out and f"good: {lines_text(ex.good)}" in res.out
    assert "AMOUNT: decimal, decimals: 2" in res.out


def test_delivery_checks_have_an_earlier_delivery() -> None:
    """Checks across deliveries show the earlier delivery their example compares with."""
    for check in all_checks():
        assert bool(examples()[check.code].earlier) == (check.context is Context.DELIVERIES)
