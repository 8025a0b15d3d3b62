"""Control totals (issue 14): the bundled sample whose Totaal row no longer matches its lines
(a receipt deleted by hand), its exact report, and the rule key in `rules show`. The rule
behaviour itself is data: tests/rule_cases/totals.yaml."""

from __future__ import annotations

from conftest import ROOT, SAMPLES, TODAY, run_cli
from test_cli_bulk_csv import golden

SAMPLE = SAMPLES / "kassa-dagtotaal-nl.csv"


def test_control_total_sample_report_is_golden() -> None:
    res = run_cli("check", SAMPLE.relative_to(ROOT), "--rules", "kassa-dagtotaal-nl", "--to",
                  "bulk-csv", "--today", TODAY, "--format", "json", "--with-source", "--lang", "en",
                  cwd=ROOT)
    assert res.code == 1, res.err
    others = res.json()["error"]["extended"]["other_problems"]
    assert [(p["code"], p["header"], p["row"]) for p in others] == [
        ("control_total_mismatch", "Bedrag", 26), ("control_total_mismatch", "Aantal", 26)]
    assert others[0]["message"] == ("Bedrag on the totals row (row 26) is 600.25, but the 24 "
                                    "lines read add up to 563.50: a difference of 36.75")
    assert others[0]["value"] == "€ 600,25"
    golden("kassa-dagtotaal-nl.bulk-csv.json", res.out)
    golden("kassa-dagtotaal-nl.bulk-csv.txt", res.err)


def test_rules_show_names_the_control_total() -> None:
    res = run_cli("rules", "show", "kassa-dagtotaal-nl", "--to", "bulk-csv")
    assert res.code == 0, res.err
    assert ("control total: the row whose 'Bonnummer' matches '^Totaal' (skipped) gives the "
            "sum of 'Bedrag', its 'Aantal' the number of lines") in res.out
