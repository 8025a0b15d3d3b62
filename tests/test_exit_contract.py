"""The exit-code contract: 0 clean, 1 problems, 2 anything else in exactly one stderr line.

The last-resort net is tested with real failures injected into a real ``python -m
salesfmt`` process (a ``sitecustomize`` on PYTHONPATH replaces the pipeline's ``run``).
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

import pytest

from tests.conftest import ROOT, SAMPLES, TODAY, Run, internal_failure, run_cli

SAMPLE = SAMPLES / "charity-lottery-web.csv"
ARGS = ("check", SAMPLE, "-r", "charity-web", "-t", "bulk-csv", "--today", TODAY)

# What the injected pipeline does instead of running. A real Rust panic: polars unwraps
# the conversion of Decimal('Infinity') (its exponent is the string 'F').
FAILURES = {
    "rust panic": "import polars as pl, decimal\n"
                  "pl.Series('a', [decimal.Decimal('Infinity')])",
    "base exception": "class Odd(BaseException):\n    pass\nraise Odd('odd\\nsecond line')",
    "multi-line error": "raise ValueError('first line\\n\\nsecond line\\nthird')",
    "memory error": "raise MemoryError()",
    "recursion": "def f(n):\n    return f(n + 1)\nf(0)",
    "native stderr noise": "import os\nos.write(2, b'calamine: capped\\nnotice two\\n')\n"
                           "raise RuntimeError('x')",
    "library log and warning": "import logging, warnings\n"
                               "logging.getLogger('calamine.ods').warning('capped')\n"
                               "warnings.warn('noisy')\nraise RuntimeError('x')",
}


def _inject(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, body: str) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import salesfmt.cli.run as _run\n\n\ndef _broken(*args, **kwargs):\n"
        + textwrap.indent(body, "    ") + "\n\n\n_run.run = _broken\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(site), str(ROOT)]))  # this checkout


def _one_error_line(res: Run, prefix: str) -> str:
    lines = res.err.splitlines()
    assert res.code == 2, res
    assert len(lines) == 1 and lines[0].startswith(prefix), res.err
    assert "Traceback" not in res.err and "panicked at" not in res.err
    return lines[0]


@pytest.mark.parametrize("failure", list(FAILURES))
def test_any_failure_is_one_line_exit_2(failure: str, tmp_path: Path,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    _inject(tmp_path, monkeypatch, FAILURES[failure])
    line = _one_error_line(run_cli(*ARGS, allow_internal=True), "salesfmt: internal error: ")
    if failure == "rust panic":
        assert "Rust panic (at crates/" in line and "unwrap" in line, line


def test_the_test_suite_fails_on_an_internal_error(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    _inject(tmp_path, monkeypatch, FAILURES["rust panic"])
    with pytest.raises(pytest.fail.Exception, match="internal error"):
        run_cli(*ARGS)
    assert internal_failure("Traceback (most recent call last):\n") == "traceback"
    assert internal_failure("salesfmt: error: x.csv: empty file") is None


def test_panic_from_a_rule_expression_is_one_line(tmp_path: Path) -> None:
    """Issue 12 item 7: ``1e400 * amount`` panicked in polars with a 250-line traceback."""
    rules = tmp_path / "big.yaml"
    rules.write_text("name: big\nextends: charity-web\nfields:\n"
                     "  amount: {column: Total, expr: \"1e400 * amount\"}\n")
    res = run_cli("check", SAMPLE, "-r", rules, "-t", "bulk-csv", "--today", TODAY,
                  allow_internal=True)
    _one_error_line(res, "salesfmt: ")


@pytest.mark.parametrize("argv, words", [
    ((), "missing command"),
    (("frobnicate",), "No such command 'frobnicate'"),
    (("check",), "Missing argument 'FILE'"),
    (("check", SAMPLE), "Missing option '--rules'"),
    (("check", SAMPLE, "-r", "charity-web", "-t", "bulk-csv", "--max-errors", "-1"),
     "--max-errors"),
    (("check", SAMPLE, "-r", "charity-web", "-t", "bulk-csv", "--delimiter", "abc"),
     "'--delimiter': 'abc'"),
    (("check", SAMPLE, "-r", "charity-web", "-t", "bulk-csv", "--delimiter", '"'),
     "the quote character"),
    (("convert", SAMPLE, "-r", "charity-web", "-t", "bulk-csv", "-o", "x", "--date", "May"),
     "'May' is not a date"),
    (("inspect", SAMPLE, "--quote-char", "''"), "'--quote-char'"),
    (("rules",), "missing command"),
    (("check", SAMPLE, "--bogus"), "No such option '--bogus'"),
])
def test_usage_errors_are_one_line_with_a_help_hint(argv: tuple, words: str) -> None:
    line = _one_error_line(run_cli(*argv), "salesfmt: usage: ")
    assert words in line and line.endswith(" --help')"), line


def test_tab_delimiter_by_name(tmp_path: Path) -> None:
    src = tmp_path / "tab.csv"
    src.write_bytes(SAMPLE.read_bytes().replace(b",", b"\t"))
    for name in ("tab", "\\t", "\t"):
        res = run_cli("check", src, "-r", "charity-web", "-t", "bulk-csv", "--today", TODAY,
                      "--delimiter", name)
        assert res.code in (0, 1) and "rows:" in res.err, res


@pytest.mark.parametrize("output", ["/proc/x/", "/dev/null/x/"])
def test_uncreatable_output_folder_is_one_line_output_error(output: str) -> None:
    res = run_cli("convert", SAMPLE, "-r", "charity-web", "-t", "bulk-csv", "--today", TODAY,
                  "-o", output)
    line = _one_error_line(res, "salesfmt: error: ")
    assert output in line and "cannot create the output folder" in line, line


def test_unwritable_output_file_names_the_output_not_a_temporary_file() -> None:
    res = run_cli("convert", SAMPLE, "-r", "charity-web", "-t", "bulk-csv", "--today", TODAY,
                  "-o", "/proc/x.csv")
    line = _one_error_line(res, "salesfmt: error: /proc/x.csv: cannot write the output")
    assert ".tmp" not in line, line


def test_error_lines_cannot_drive_the_terminal(tmp_path: Path) -> None:
    """A file name holding ESC, CR or U+202E is shown escaped in the one-line error."""
    name = tmp_path / "evil\x1b[2J\r\u202eslx.csv"
    run = run_cli("check", name, "--rules", "kassa-nl", "--to", "bulk-csv")
    assert run.code == 2
    assert "\x1b" not in run.err and "\r" not in run.err and "\u202e" not in run.err
    assert "evil\\x1b[2J" in run.err and "\\u202eslx.csv" in run.err
    assert len(run.err.strip().splitlines()) == 1


def test_rules_validate_output_cannot_drive_the_terminal(tmp_path: Path) -> None:
    """A rule file named with ESC is shown escaped in every line about it."""
    rule = tmp_path / "r\x1b[2J.yaml"
    rule.write_text('name: x\nfields:\n  "sku\\e[2J": Code\n', encoding="utf-8")
    run = run_cli("rules", "validate", rule)
    assert run.code == 1, run.out + run.err
    assert "\x1b" not in run.out and "\\x1b[2J" in run.out
