"""The HTML report opened in headless Chromium (Debian's chromium + chromedriver)."""

from __future__ import annotations

import csv
import shutil
import tempfile
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES, TODAY, browser_paths, run_cli
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

ARTIFACTS = ROOT / "tests" / "_artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]

SAMPLE_CASES = [
    ("charity-lottery-web.csv", "charity-web"),
    ("kassa-export-nl.csv", "kassa-nl"),
    ("weekly-sales-uk.xlsx", "tillpoint-uk"),
]
SCRIPT = "<script>window.pwned = 1</script>"
IMG = '"><img src=x onerror="window.pwned = 2">'


@pytest.fixture(scope="module")
def browser():
    chromium, chromedriver = browser_paths()  # skips without them (CI: fails)
    profile = tempfile.mkdtemp(prefix="salesfmt-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = chromium
    for flag in [*FLAGS, f"--user-data-dir={profile}"]:
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(chromedriver), options=opts)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _open(driver, html: Path, width: int = 1200) -> list[dict]:
    driver.get_log("browser")  # drop earlier pages' messages
    driver.set_window_size(width, 900)
    driver.get(html.resolve().as_uri())
    return [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]


def _shot(driver, name: str, width: int) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(width, min(height + 140, 6000))
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    return path


def _count(driver, key: str) -> int:
    return int(driver.find_element("id", f"n-{key}").get_attribute("data-value"))


def _report(tmp_path: Path, src: Path, rules: str) -> tuple[Path, dict]:
    html = tmp_path / f"{src.stem}.html"
    made = run_cli("report", src, "-r", rules, "-t", "bulk-csv", "--today", TODAY, "-o", html)
    assert made.code in (0, 1), made.err
    assert f"full report: {html}" in made.err
    checked = run_cli("check", src, "-r", rules, "-t", "bulk-csv", "--today", TODAY,
                      "--format", "json")
    assert checked.code == made.code
    return html, checked.json()


@pytest.mark.parametrize(("name", "rules"), SAMPLE_CASES)
def test_sample_report_loads_and_counts_match_json(browser, tmp_path: Path, name: str,
                                                    rules: str) -> None:
    html, envelope = _report(tmp_path, SAMPLES / name, rules)
    assert _open(browser, html) == []
    ext = envelope["error"]["extended"]
    assert _count(browser, "error-lines") == ext["error_lines"]
    assert _count(browser, "error-fields") == ext["error_fields"]
    groups = browser.find_elements("css selector", "article.group")
    assert len(groups) == ext["error_lines"]
    assert browser.find_elements("css selector", "td.bad")
    assert browser.find_elements("css selector", "svg.bars rect")
    _shot(browser, f"report-{Path(name).stem}.png", 1200)
    # phone width: nothing sticks out sideways (wide tables scroll in their own box)
    assert _open(browser, html, width=390) == []
    assert browser.execute_script(
        "return document.documentElement.scrollWidth <= window.innerWidth")
    _shot(browser, f"report-{Path(name).stem}-phone.png", 390)


def test_clean_report_counts_match_success_shape(browser, tmp_path: Path) -> None:
    src = tmp_path / "clean.csv"
    lines = (SAMPLES / "charity-lottery-web.csv").read_text(encoding="utf-8").splitlines()
    src.write_text("\n".join(lines[:4]) + "\n", encoding="utf-8")
    html, envelope = _report(tmp_path, src, "charity-web")
    assert _open(browser, html) == []
    assert _count(browser, "rows-out") == envelope["result"] == 3
    assert _count(browser, "errors") == 0
    assert "No problems found" in browser.find_element("id", "status").text


def test_planted_markup_is_shown_as_text_and_never_runs(browser, tmp_path: Path) -> None:
    with (SAMPLES / "charity-lottery-web.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    rows[1][0] = IMG       # Ref → ORDER_ID: not a number, value shown
    rows[1][9] = SCRIPT    # Surname, shown among the original cells
    rows[2][3] = SCRIPT    # Product: unmapped, the value is inside the message
    src = tmp_path / "planted.csv"
    with src.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    html, _ = _report(tmp_path, src, "charity-web")
    text = html.read_text(encoding="utf-8")
    assert "<script" not in text and "<img" not in text
    assert _open(browser, html) == []
    assert browser.execute_script("return window.pwned === undefined")
    assert browser.execute_script("return document.querySelectorAll('script, img').length") == 0
    body = browser.find_element("tag name", "body").text
    assert SCRIPT in body and IMG in body
    assert f"PRODUCT_CODE has no mapping for value '{SCRIPT}'" in body
    _shot(browser, "report-planted-markup.png", 1200)


def test_report_prints_within_the_page_width(browser, tmp_path: Path) -> None:
    import base64

    from selenium.webdriver.common.print_page_options import PrintOptions

    html, _ = _report(tmp_path, SAMPLES / "weekly-sales-uk.xlsx", "tillpoint-uk")
    assert _open(browser, html, width=760) == []  # about an A4 page at 96 dpi
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert browser.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth")
        _shot(browser, "report-print-media.png", 760)
        pdf = base64.b64decode(browser.print_page(PrintOptions()))
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert pdf.startswith(b"%PDF")
    (ARTIFACTS / "report-weekly-sales-uk.pdf").write_bytes(pdf)


def test_errors_come_first_and_the_partner_sees_no_operator_hints(browser, tmp_path: Path
                                                                  ) -> None:
    from _events import events_file

    src = events_file(tmp_path, 200)
    args = ["-r", "ticketline-events", "-t", "sales-template", "--today", TODAY]
    partner, operator = tmp_path / "partner.html", tmp_path / "operator.html"
    assert run_cli("report", src, *args, "-o", partner).code == 1
    assert run_cli("report", src, *args, "-o", operator, "--audience", "operator").code == 1
    assert _open(browser, partner) == []
    order = browser.execute_script(
        "return [...document.querySelectorAll('main > section')].map(s => s.id)")
    assert order.index("errors") < order.index("warnings") and "operator" not in order
    first = browser.find_element("css selector", "#errors article.group")
    assert first.get_attribute("id") == "line-202"
    body = browser.find_element("tag name", "main").text
    assert "`" not in body and "--today" not in body and "rule file" not in body
    assert len(browser.find_elements("css selector", "#warning-not_allowed li")) == 5
    _shot(browser, "report-errors-first.png", 1200)
    assert _open(browser, operator) == []
    codes = browser.find_elements("css selector", "#operator li code")
    assert "--today YYYY-MM-DD" in [c.text for c in codes]
    assert "`" not in browser.find_element("tag name", "main").text
