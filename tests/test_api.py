"""The library API: ``salesfmt.check``/``convert`` return a Result; the docs' examples run
(docs/api.md and the API's docstrings, as doctests); errors are SalesfmtError subclasses."""

from __future__ import annotations

import doctest
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from conftest import GOLDEN, ROOT, SAMPLES, TODAY

import salesfmt
from salesfmt import api, result
from salesfmt.errors import InputError, OptionError, OutputError, RuleError, TargetError

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE | doctest.IGNORE_EXCEPTION_DETAIL
KASSA = SAMPLES / "kassa-export-nl.csv"


@pytest.fixture
def at_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # the examples name the bundled samples from a checkout


def test_docs_api_examples_run(at_root: None) -> None:
    failed, tried = doctest.testfile(str(ROOT / "docs" / "api.md"), module_relative=False,
                                     optionflags=FLAGS, verbose=False)
    assert tried > 10 and failed == 0


@pytest.mark.parametrize("module", [api, result, salesfmt], ids=lambda m: m.__name__)
def test_docstring_examples_run(at_root: None, module: object) -> None:
    failed, _ = doctest.testmod(module, optionflags=FLAGS, verbose=False)  # type: ignore[arg-type]
    assert failed == 0


def test_documented_problem_schema_is_the_real_one() -> None:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    table = text.split("### The problem table")[1].split("```")[0]
    rows = re.findall(r"^\| (\w+) \| (Int64|String) \|", table, re.M)
    assert {name: getattr(pl, dtype) for name, dtype in rows} == salesfmt.PROBLEM_SCHEMA
    assert [name for name, _ in rows] == list(salesfmt.PROBLEM_SCHEMA)


def test_convert_writes_what_the_command_writes(tmp_path: Path) -> None:
    got = salesfmt.convert(KASSA, rules="kassa-nl", to="bulk-csv", output=tmp_path / "out.csv",
                           today=date.fromisoformat(TODAY))
    assert got.output == tmp_path / "out.csv"
    assert got.output.read_text("utf-8") == (GOLDEN / "kassa-export-nl.bulk-csv.csv").read_text(
        "utf-8")
    assert (tmp_path / "out.report.json").is_file()
    with pytest.raises(OutputError, match="already exists"):
        salesfmt.convert(KASSA, rules="kassa-nl", output=tmp_path / "out.csv")
    again = salesfmt.convert(KASSA, rules=salesfmt.load_rules("kassa-nl"),
                             to=salesfmt.load_target("bulk-csv"), output=tmp_path / "out.csv",
                             force=True, strict=True, today=date.fromisoformat(TODAY))
    assert again.output is None and not (tmp_path / "out.csv").exists()  # strict: report only


@pytest.mark.parametrize(("call", "error"), [
    (lambda: salesfmt.check(KASSA, rules="no-such-rules"), RuleError),
    (lambda: salesfmt.check(KASSA, rules="kassa-nl", to="no-such-target"), TargetError),
    (lambda: salesfmt.check(SAMPLES / "missing.csv", rules="kassa-nl"), InputError),
    (lambda: salesfmt.check(KASSA, rules="kassa-nl", delimiter="ab"), OptionError),
    (lambda: salesfmt.check(KASSA, rules="kassa-nl", header_row=0), OptionError),
    (lambda: salesfmt.check(KASSA, rules="kassa-nl", today="2026-01-01"), OptionError),
    (lambda: salesfmt.convert(KASSA, rules="kassa-nl", output=KASSA, force=True), OutputError),
    (lambda: salesfmt.convert(KASSA, rules="kassa-nl", output="/no/such/dir/x.csv"),
     OutputError),
], ids=["rules", "target", "input", "delimiter", "header_row", "today", "input-as-output",
        "folder"])
def test_library_errors_are_salesfmt_errors(call, error: type[Exception]) -> None:
    with pytest.raises(error) as caught:
        call()
    assert isinstance(caught.value, salesfmt.SalesfmtError)
    assert "\n" not in str(caught.value)


def test_importing_the_package_loads_no_pipeline() -> None:
    code = ("import sys, salesfmt; print(sorted(m for m in ('polars', 'salesfmt.pipeline', "
            "'click') if m in sys.modules)); print(salesfmt.__version__)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split("\n")
    assert out[0] == "[]" and out[1] == salesfmt.__version__
    assert set(salesfmt.__all__) <= set(dir(salesfmt))
    assert all(getattr(salesfmt, name) is not None for name in salesfmt.__all__)
