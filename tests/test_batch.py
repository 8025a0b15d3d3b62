"""``salesfmt batch``: routing, naming through the ledger, reports, summary, exit codes, and
the checks across deliveries (ids sent before, near-duplicates, drift), on the bundled
sample inboxes (samples/inbox = week 40, samples/inbox-week2 = week 41)."""

from __future__ import annotations

import html as html_lib
import json
import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import SAMPLES, TODAY, run_cli

CONFIG = SAMPLES / "deliveries.yaml"
WEEK40 = SAMPLES / "inbox"
WEEK41 = SAMPLES / "inbox-week2"


def _batch(inbox: Path, out: Path, ledger: Path, *extra: str, config: Path = CONFIG,
           env: dict | None = None):
    args = ("batch", inbox, "-c", config, "-o", out, "--ledger", ledger, "--today", TODAY,
            "--date", "12-10-2026", *extra)
    if env is None:
        return run_cli(*args)
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        return run_cli(*args)
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def _files(summary: dict) -> dict[str, dict]:
    return {f["file"]: f for f in summary["files"]}


@pytest.fixture(scope="module")
def two_weeks(tmp_path_factory) -> tuple[Path, object, object]:
    """Week 40 then week 41 through one ledger."""
    root = tmp_path_factory.mktemp("batch")
    ledger = root / "ledger.sqlite"
    first = _batch(WEEK40, root / "w40", ledger, "-j", "2")
    second = _batch(WEEK41, root / "w41", ledger, "-j", "2")
    return root, first, second


def test_week_routes_names_and_reports_every_file(two_weeks) -> None:
    root, first, _ = two_weeks
    out = root / "w40"
    assert first.code == 1, first.err  # files with errors, and one file no route claims
    files = _files(json.loads((out / "batch.json").read_text()))
    assert {n: (f["route"], f["status"], f["name"]) for n, f in files.items()} == {
        "kassa-export-nl-w40.csv": ("kassa-nl", "converted", "retail-nl_12-10-2026_1.csv"),
        "lottery-eu-web-w40.csv": ("lottery-eu", "converted", "lottery-web_12-10-2026_1.csv"),
        "party-transactions-w40.csv": ("party-pos", "converted",
                                       "party-pos_12-10-2026_1.jsonl"),
        "pos-export-w40.csv": ("pos-lines", "converted", "retail-pos_12-10-2026_1.json"),
        "tickets-from-new-partner.csv": (None, "unclaimed", None),
    }
    for f in files.values():
        if f["name"]:  # converted, named, reports beside it
            assert (out / f["name"]).is_file()
            assert f["report_json"] == f["name"].rsplit(".", 1)[0] + ".report.json"
            assert (out / f["report_json"]).is_file() and (out / f["report_html"]).is_file()
    unclaimed = files["tickets-from-new-partner.csv"]
    assert unclaimed["exit"] == 1
    assert unclaimed["suggestions"][0] == {"rules": "ticketline-events",
                                           "columns_known_pct": 100.0}
    index = (out / "index.html").read_text()
    for f in files.values():
        if f["report_html"]:
            assert f'href="{f["report_html"]}"' in index
    assert "tickets-from-new-partner.csv" in first.out and "ticketline-events" in first.out
    assert "\r" not in first.err  # no progress bar when stderr is not a terminal


def test_next_week_catches_ids_sent_before_and_drift(two_weeks) -> None:
    root, _, second = two_weeks
    out = root / "w41"
    assert second.code == 1, second.err
    files = _files(json.loads((out / "batch.json").read_text()))
    kassa = files["kassa-export-nl-w41.csv"]
    # the same orders again: held back (no upload name), named as a near-duplicate
    assert (kassa["status"], kassa["name"], kassa["exit"]) == ("held back", None, 1)
    assert kassa["already_sent"] == 17
    report = json.loads((out / kassa["report_json"]).read_text())
    first = report["error"]["extended"]["errors"][0]
    assert first["line"] == 2
    assert first["messages"] == ["ORDER_ID '710040' was already sent in "
                                 "retail-nl_12-10-2026_1.csv, line 2: ids must be unique "
                                 "across all uploads, give it a new one or leave the line out"]
    assert any("100% of the records in this file were already sent in "
               "retail-nl_12-10-2026_1.csv" in n for n in kassa["notes"])
    # report lines count the rejected lines, as the file's other problems do: order 710047
    # is on report line 9 (line 8 had an error), and was sent on line 8 of last week's file
    lines = {e["source"][0]["value"]: (e["line"], e["messages"][0])
             for e in report["error"]["extended"]["errors"]
             if e["source"][0]["code"] == "already_sent"}
    sent = (root / "w40" / "retail-nl_12-10-2026_1.csv").read_text().splitlines()
    for key, (line, message) in lines.items():
        earlier = int(message.split(", line ")[1].split(":")[0])
        assert sent[earlier - 1].startswith(f"{key},")
    assert len(set(lines)) == 17
    # lottery: drift against week 40
    lottery = files["lottery-eu-web-w41.csv"]
    assert lottery["drift"] == [
        "column 'Payment' is now called 'Pay method'",
        "decimal separator changed from '.' to ','",
        "row count changed from 10 to 3 (-70%)",
        "amount total changed from 35 to 0 (-100%)",
    ]
    assert lottery["name"] is None  # no line converted: no upload name spent
    html = (out / lottery["report_html"]).read_text()
    assert "is now called" in html
    # Wallie: receipt R1001 again is an update (a warning), the file goes out
    pos = files["pos-export-w41.csv"]
    assert (pos["status"], pos["exit"]) == ("converted", 0)
    assert json.loads((out / pos["report_json"]).read_text()) == {"status": 200, "body": None}
    assert "salesId 'R1001' was already sent in retail-pos_12-10-2026_1.json, line 2: this " \
           "sale replaces it" in html_lib.unescape((out / pos["report_html"]).read_text())
