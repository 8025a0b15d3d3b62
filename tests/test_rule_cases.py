"""Rule behaviour as data: every case in tests/rule_cases/*.yaml is input rows + a rule
snippet → expected canonical values, problems, skipped rows or a rule error.

Case keys: ``name``, ``rules`` (rule file body; ``name`` is added) or ``rules_text``
(the same, verbatim YAML), ``files`` (other rule
files written beside it, for ``extends``), ``rows`` (header first), ``expect`` (canonical
field → values as text, null for none, in output order), ``problems`` (every problem of
the run as ``[line, code, field]``; lines as in the output file), ``skipped``,
``required`` (canonical fields the test target requires), ``outputs`` (the fields the
test target has; default: every field the rule maps), ``error`` (a RuleError text),
``messages`` (texts some problem message contains), ``rejected`` (rows rejected).
"""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl
import pytest
import yaml

from salesfmt.canonical import FIELDS
from salesfmt.errors import RuleError, TargetError
from salesfmt.pipeline import read_options, run
from salesfmt.readers import open_source
from salesfmt.rules import compile_rules, header_scorer, load_rules
from salesfmt.rules.compiler import to_text, typed
from salesfmt.targets.spec import load_target

CASES_DIR = Path(__file__).with_name("rule_cases")
TODAY = date(2026, 11, 1)


def _cases() -> list[Any]:
    out = []
    for path in sorted(CASES_DIR.glob("*.yaml")):
        for case in yaml.safe_load(path.read_text(encoding="utf-8"))["cases"]:
            out.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return out


def _write(tmp: Path, case: dict[str, Any]) -> tuple[Path, Path]:
    for name, body in (case.get("files") or {}).items():
        (tmp / name).write_text(yaml.safe_dump(body, allow_unicode=True), encoding="utf-8")
    rules = tmp / "case.yaml"
    if "rules_text" in case:  # verbatim YAML, for cases about how YAML itself is read
        rules.write_text("name: case\n" + case["rules_text"], encoding="utf-8")
    else:
        body = {"name": "case", **case["rules"]}
        rules.write_text(yaml.safe_dump(body, allow_unicode=True, sort_keys=False),
                         encoding="utf-8")
    data = tmp / "input.csv"
    with data.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, quoting=csv.QUOTE_ALL).writerows(case["rows"])
    return rules, data


def _target(tmp: Path, rules_fields: list[str], required: list[str]) -> Any:
    fields = [{"name": n, "from": n, "type": FIELDS[n].kind.value, "required": n in required,
               "formula": False} for n in rules_fields]
    path = tmp / "target.yaml"
    path.write_text(yaml.safe_dump({"name": "case-target", "output": "csv", "fields": fields}),
                    encoding="utf-8")
    return load_target(str(path))


def _canonical(data: Path, ruleset: Any) -> pl.DataFrame:
    with open_source(data, read_options(ruleset), header_scorer(ruleset)) as source:
        compiled = compile_rules(ruleset, source)
        lf = pl.concat(list(source.batches())).lazy().filter(~compiled.skip)
        for layer in compiled.layers:
            lf = lf.with_columns(layer)
        if compiled.skip_fields is not None:
            lf = lf.filter(~compiled.skip_fields)
        return lf.collect()


@pytest.mark.parametrize("case", _cases())
def test_rule_case(case: dict[str, Any], tmp_path: Path) -> None:
    rules_path, data = _write(tmp_path, case)
    if "error" in case:
        with pytest.raises((RuleError, TargetError)) as info:
            ruleset = load_rules(rules_path)
            run(data, ruleset, _target(tmp_path, list(ruleset.fields), []), today=TODAY)
        assert case["error"] in str(info.value)
        return
    ruleset = load_rules(rules_path)
    frame = _canonical(data, ruleset)
    for name, expected in (case.get("expect") or {}).items():
        got = frame.select(to_text(pl.col(typed(name)), FIELDS[name].kind))
        assert got.to_series().to_list() == [None if v is None else str(v) for v in expected], name
    target = _target(tmp_path, case.get("outputs") or list(ruleset.fields),
                     case.get("required", []))
    result = run(data, ruleset, target, today=TODAY)
    if "problems" in case:
        got = sorted(result.problems.select("line", "code", "field").rows(),
                     key=lambda r: (r[0] or 0, r[1], r[2] or ""))
        want = sorted((tuple(p) for p in case["problems"]),
                      key=lambda r: (r[0] or 0, r[1], r[2] or ""))
        assert got == want, result.problems.select("line", "code", "field", "message").rows()
    if "messages" in case:
        messages = result.problems["message"].to_list()
        for text in case["messages"]:
            assert any(text in m for m in messages), messages
    if "skipped" in case:
        assert result.rows_skipped == case["skipped"]
    if "rejected" in case:
        assert result.rows_rejected == case["rejected"]
