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
    html = render(ReportFormat.HTML, result)
    assert html.startswith("<!DOCTYPE html>")
    assert not re.search(r"<script|<link(?![^>]*href=\"data:)|@import|url\(|https?://", html)
    assert "<svg" in html
    for line in result.problems["line"].drop_nulls().unique().to_list():
        assert f'id="line-{line}"' in html
    for message in result.problems["message"].to_list():
        assert message.replace("'", "&#39;") in html


def test_raw_cells_of_flagged_rows_are_kept_and_highlighted() -> None:
    result = _result("weekly-sales-uk.xlsx", "tillpoint-uk")
    assert result.raw_rows["__row"].to_list() == result.problems["row"].to_list()
    groups = report_context(result)["groups"]
    qty = next(g for g in groups if g["row"] == 8)
    bad = [c for c in qty["cells"] if c["bad"]]
    assert [(c["letter"], c["header"], c["value"]) for c in bad] == [("E", "Qty", "0")]
