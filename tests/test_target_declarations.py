"""Target declarations are validated like rule files: a JSON Schema (committed, made from
the check registry where checks are concerned) and the model, every mistake one
configuration error naming file:line:col (cases: tests/cases/target_declarations.yaml)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, SAMPLES, TODAY, run_cli

from salesfmt.checks import get_check
from salesfmt.errors import TargetError
from salesfmt.targets.declaration import registry_defs, schema_path
from salesfmt.targets.serializers import OutputShape
from salesfmt.targets.spec import _SUGAR, declaration_problems, list_targets, load_target

CASES = yaml.safe_load((Path(__file__).parent / "cases" / "target_declarations.yaml")
                       .read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_broken_declaration_is_a_config_error(case: dict[str, Any], tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(case["body"], encoding="utf-8")
    with pytest.raises(TargetError) as info:
        load_target(str(path))
    assert case["error"] in str(info.value)
    assert str(info.value).startswith(f"{path}:{case['at']}:"), str(info.value)
    assert any(case["error"] in line for line in declaration_problems(str(path)))


def test_bundled_declarations_are_valid() -> None:
    for path in list_targets():
        assert declaration_problems(str(path)) == [], path


def test_committed_schema_has_the_registry_parameters() -> None:
    """The schema's check part is made from the registry: regenerate it with
    ``python -m salesfmt.targets.declaration`` after adding a check or a parameter."""
    schema = json.loads(schema_path().read_text(encoding="utf-8"))
    for key, value in registry_defs().items():
        assert schema["$defs"][key] == value, key
    assert schema["properties"]["output"]["enum"] == [s.value for s in OutputShape]
    for key, (code, param) in _SUGAR.items():  # sugar keys take the check's parameter
        prop = schema["$defs"]["field"]["properties"][key]
        if param is not None:
            assert prop == {"$ref": f"#/$defs/params/{code}/{param}"}, key
            assert get_check(code).params[param]


def test_cli_refuses_broken_declarations_in_one_line(tmp_path: Path) -> None:
    """check and convert stop with exit 2 and one line naming file:line:col (these were
    'internal error: TypeError / ValueError'); targets validate lists every problem."""
    bodies = {c["name"]: c for c in CASES}
    broken = []
    for name in ("unknown parameter of a check", "a parameter that is not a mapping",
                 "an output shape no serializer writes", "a cross-row check in a field's checks"):
        case = bodies[name]
        path = tmp_path / f"t{len(broken)}.yaml"
        path.write_text(case["body"], encoding="utf-8")
        broken.append((path, case))
    for path, case in broken[2:3]:  # was "internal error: ValueError"
        res = run_cli("convert", SAMPLES / "kassa-export-nl.csv", "--rules", "kassa-nl",
                      "--to", path, "-o", tmp_path / "out", "--today", TODAY)
        assert res.code == 2, res.err
        assert res.err.count("\n") == 1 and case["error"] in res.err, res.err
        assert str(path) in res.err
    res = run_cli("targets", "validate", "wallie", *(p for p, _ in broken))
    assert res.code == 1, res.out
    assert "wallie: ok" in res.out
    for path, case in broken:
        assert any(line.startswith(f"{path}:{case['at']}:") and case["error"] in line
                   for line in res.out.splitlines()), res.out


def test_inconsistent_in_checks_no_longer_reports_unfilled_messages(tmp_path: Path) -> None:
    """``checks: [inconsistent]`` silently became a uniqueness check whose messages showed
    {group} and {first_value}; now the declaration is refused before any line is read."""
    data = yaml.safe_load((ROOT / "rules" / "targets" / "bulk-csv.yaml").read_text())
    data["fields"][0]["checks"] = ["inconsistent"]
    path = tmp_path / "bulk.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    res = run_cli("check", SAMPLES / "kassa-export-nl.csv", "--rules", "kassa-nl", "--to", path,
                  "--today", TODAY, "--format", "json")
    assert res.code == 2, res.out
    assert "{group}" not in res.out + res.err and "compares lines" in res.err
