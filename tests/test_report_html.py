"""The HTML report: a bounded, escaped, self-contained view of the problem table."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from conftest import SAMPLES

from salesfmt import load_rules, load_target, run
from salesfmt.report import ReportFormat, render
from salesfmt.report.html import report_context

SAMPLE_CASES = [
    ("charity-lottery-web.csv", "charity-web"),
    ("kassa-export-nl.csv", "kassa-nl"),
    ("weekly-sales-uk.xlsx", "tillpoint-uk"),
]


def _result(name: str, rules: str, path: Path | None = None):
    return run(path or SAMPLES / name, load_rules(rules), load_target("bulk-csv"),
               today=date(2026, 11, 1))


@pytest.mark.parametrize(("name", "rules"), SAMPLE_CASES)
def test_report_is_self_contained_and_shows_every_problem_line(name: str, rules: str) -> None:
    result = _result(name, rules)
    html = render(ReportFormat.HTML, result, lang="en")  # the messages as in the table
    assert html.startswith("<!DOCTYPE html>")
    assert not re.search(r"<script|<link(?![^>]*href=\"data:)|@import|url\(|https?://", html)
    assert "<svg" in html
    for line in result.problems["line"].drop_nulls().unique().to_list():
        assert f'id="line-{line}"' in html
    for message in result.problems["message"].to_list():
        assert message.replace("'", "&#39;") in html


def test_raw_cells_of_flagged_rows_are_kept_and_highlighted() -> None:
    result = _result("weekly-sales-uk.xlsx", "tillpoint-uk")
    data_rows = [r for r in result.problems["row"].to_list() if r > result.source.header_row]
    assert result.raw_rows["__row"].to_list() == data_rows  # not the merged title rows 1-2
    groups = report_context(result)["groups"]
    qty = next(g for g in groups if g["row"] == 8)
    bad = [c for c in qty["cells"] if c["bad"]]
    assert [(c["letter"], c["header"], c["value"]) for c in bad] == [("E", "Qty", "0")]


def _million_problems(result, n: int = 1_000_000):
    """``result`` with a synthetic problem table of ``n`` problems, two per line."""
    from dataclasses import replace

    import polars as pl

    from salesfmt.pipeline import RAW_ROWS
    from salesfmt.problems import PROBLEM_SCHEMA

    src = result.source
    idx = pl.int_range(0, n, eager=True)
    k = len(src.column_letters)
    codes = pl.Series(["invalid_number", "required", "not_allowed", "too_long", "formula_like"])
    problems = pl.DataFrame({
        "line": idx // 2 + 2,
        "sheet": pl.repeat(None, n, dtype=pl.String, eager=True),
        "row": idx // 2 + 2,
        "column": pl.Series(src.column_letters).gather(idx % k),
        "header": pl.Series(src.original_headers).gather(idx % k),
        "field": pl.Series(src.headers).gather(idx % k).str.to_uppercase(),
        "code": codes.gather(idx % 5),
        "severity": pl.Series(["error"] * 4 + ["warning"]).gather(idx % 5),
        "message": pl.repeat("FIELD is not a valid number", n, eager=True),
        "value": idx.cast(pl.String),
        "order": idx % k,
    }, schema=PROBLEM_SCHEMA)
    rows = RAW_ROWS
    raw = pl.DataFrame({"__row": pl.int_range(2, rows + 2, eager=True),
                        **{h: pl.repeat(f"cell {h}", rows, eager=True) for h in src.headers}})
    return replace(result, problems=problems, raw_rows=raw)


def test_a_million_problems_stay_within_the_size_bound() -> None:
    result = _million_problems(_result("charity-lottery-web.csv", "charity-web"))
    html = render(ReportFormat.HTML, result)
    assert len(html.encode("utf-8")) < 5_000_000
    assert 'id="n-errors" data-value="800000"' in html
    assert 'id="n-warnings" data-value="200000"' in html
    assert 'id="n-error-lines" data-value="500000"' in html
    assert html.count('<article class="group') == 500
    assert 'id="n-hidden-lines" data-value="499500"' in html
    assert 'id="n-hidden-problems" data-value="999000"' in html
    assert "lists the first 500 lines with errors in full" in html


def test_fix_hint_follows_a_code_the_target_renamed() -> None:
    from dataclasses import replace

    from salesfmt.checks import get_check

    result = _result("weekly-sales-uk.xlsx", "tillpoint-uk")
    target = replace(result.target, codes={"too_long": "field.lengthExceeded"})
    problems = result.problems.with_columns(
        result.problems["code"].replace({"too_long": "field.lengthExceeded"}))
    renamed = replace(result, target=target, problems=problems)
    hints = {p["code"]: p["hint"] for g in report_context(renamed)["groups"]
             for p in g["problems"]}
    assert hints["field.lengthExceeded"] == get_check("too_long").explanation


def test_long_cells_are_cut(tmp_path: Path) -> None:
    from salesfmt.report.html import MAX_TEXT

    lines = (SAMPLES / "charity-lottery-web.csv").read_text(encoding="utf-8").splitlines()
    lines[1] = lines[1].replace("Weekly draw", "W" * 100_000)
    src = tmp_path / "long.csv"
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    html = render(ReportFormat.HTML, _result("", "charity-web", src))
    assert len(html) < 60_000
    assert f"({100_000 - MAX_TEXT:,} more characters)" in html


def _events(tmp_path: Path, warnings: int = 200):
    from _events import events_file

    return run(events_file(tmp_path, warnings), load_rules("ticketline-events"),
               load_target("sales-template"), today=date(2026, 11, 1))


def test_errors_come_before_warnings_grouped_by_code(tmp_path: Path) -> None:
    html = render(ReportFormat.HTML, _events(tmp_path))
    errors, warnings = html.index('<section id="errors">'), html.index('<section id="warnings">')
    assert errors < html.index('id="line-202"') < html.index('id="line-203"') < warnings
    assert html.count('<article class="group') == 2  # only the lines with errors in full
    group = html[html.index('id="warning-not_allowed"'):]
    assert '<span class="n" data-value="200">200</span> warning(s)' in group
    assert group.count("Ticket Type must be one of") == 5
    assert "… and 195 more like these." in group


def test_the_error_cap_counts_lines_with_errors_only(tmp_path: Path) -> None:
    ctx = report_context(_events(tmp_path), max_lines=1)
    assert [g["line"] for g in ctx["groups"]] == [202]
    assert ctx["hidden"] == {"lines": 1, "problems": 1, "max_lines": 1}
    assert [(w["code"], w["n"], len(w["examples"])) for w in ctx["warning_codes"]] == [
        ("not_allowed", 200, 5)]


def test_partner_report_speaks_to_the_partner_and_operator_report_adds_hints(
        tmp_path: Path) -> None:
    from _events import events_file
    from conftest import TODAY, run_cli

    src = events_file(tmp_path, 3)
    args = ["-r", "ticketline-events", "-t", "sales-template", "--today", TODAY]
    partner, operator, checked = (tmp_path / "p.html", tmp_path / "o.html",
                                  tmp_path / "c.html")
    assert run_cli("report", src, *args, "-o", partner).code == 1
    assert run_cli("report", src, *args, "-o", operator, "--audience", "operator").code == 1
    assert run_cli("check", src, *args, "--html", checked).code == 1
    p, o = partner.read_text(encoding="utf-8"), operator.read_text(encoding="utf-8")
    assert 'id="operator"' not in p
    for text in ("`", "--today", "rule file", "map:"):
        assert text not in p.split("<footer>")[0].split("</style>")[1], text
    assert "A sale cannot happen after today. Correct the date" in p
    assert '<section id="operator">' in o and "`" not in o.split("</style>")[1]
    assert "<code>--today YYYY-MM-DD</code>" in o and "<code>map:</code>" in o
    assert '<section id="operator">' in checked.read_text(encoding="utf-8")  # check: operator


def test_operator_report_counts_muted_warnings(tmp_path: Path) -> None:
    from _events import events_file, muted_rules

    from salesfmt.report.html import Audience

    result = run(events_file(tmp_path, 200, channel="Online"), load_rules(muted_rules(tmp_path)),
                 load_target("sales-template"), today=date(2026, 11, 1))
    assert result.muted == {"not_allowed": 200}
    o = render(ReportFormat.HTML, result, audience=Audience.OPERATOR)
    assert 'id="muted" data-value="200"' in o and 'id="warnings"' not in o
    assert 'id="muted"' not in render(ReportFormat.HTML, result)


def test_inline_code_is_escaped_then_marked_up() -> None:
    from salesfmt.report.html import inline_code

    assert str(inline_code("add a `map:` for <b> & `x<y`")) == \
        "add a <code>map:</code> for &lt;b&gt; &amp; <code>x&lt;y</code>"
