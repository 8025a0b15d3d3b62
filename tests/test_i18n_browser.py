"""Dutch and German HTML reports opened in headless Chromium: the page's own text, the
messages and the "how to fix" texts are translated; the partner's values are as written."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SAMPLES, TODAY, run_cli

pytest.importorskip("selenium.webdriver")
from test_report_browser import _open, _shot, browser  # noqa: E402, F401  (the fixture)

_BEFORE = "return getComputedStyle(document.querySelector('.hint'), '::before').content"


def _report(tmp_path: Path, src: Path, *args: str) -> Path:
    html = tmp_path / f"{src.stem}.html"
    made = run_cli("report", src, *args, "--today", TODAY, "-o", html)
    assert made.code == 1, made.err
    return html


def test_dutch_report_reads_dutch(browser, tmp_path: Path) -> None:  # noqa: F811
    html = _report(tmp_path, SAMPLES / "kassa-export-nl.csv", "-r", "kassa-nl", "-t", "bulk-csv")
    assert _open(browser, html) == []
    assert browser.execute_script("return document.documentElement.lang") == "nl"
    assert browser.title == "Controle verkoopbestand: kassa-export-nl.csv"
    status = browser.find_element("id", "status").text
    assert status == "7 fout(en) op 7 regel(s): de server zou dit bestand weigeren."
    row6 = browser.find_element("id", "line-6").text
    assert "AMOUNT is geen geldig getal" in row6
    assert "waarde: € 12,5O" in row6  # the partner's cell, as written
    assert "Schrijf het getal alleen met cijfers" in row6
    assert browser.execute_script(_BEFORE) == '"Zo lost u het op: "'
    heads = [h.text for h in browser.find_elements("css selector", "h2")]
    assert heads[:4] == ["Bestand", "Aantallen", "Waar de problemen zitten",
                         "Fouten: regels die de server zou weigeren"]
    _shot(browser, "report-nl.png", 1200)


def test_german_report_reads_german(browser, tmp_path: Path) -> None:  # noqa: F811
    html = _report(tmp_path, SAMPLES / "pos-lines-returns.csv", "-r", "pos-lines",
                   "-t", "wallie", "--lang", "de")
    assert _open(browser, html) == []
    assert browser.execute_script("return document.documentElement.lang") == "de"
    assert browser.find_element("id", "status").text.startswith(
        "4 Fehler in 3 Zeile(n): der Server würde diese Datei ablehnen, dazu 2 Warnung(en)")
    body = browser.find_element("tag name", "body").text
    assert ("salesLineId muss über alle Verkaufszeilen eindeutig sein ('W5001-1' zuerst "
            "verwendet in Zeile 5, Ausgabezeile 4)") in body
    assert "abgelehnt mit dem Datensatz (Verkauf, Ausgabezeile 3)" in body
    assert "Warnungen: umgewandelt, aber einen Blick wert" in body
    assert browser.execute_script(_BEFORE) == '"So beheben Sie es: "'
    _shot(browser, "report-de.png", 1200)
