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


def _batch(inbox: Path, out: Path, ledger: Path, *extra: str):
    return run_cli("batch", inbox, "-c", CONFIG, "-o", out, "--ledger", ledger, "--today",
                   TODAY, "--date", "12-10-2026", *extra)


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
    # report lines count the rejected lines, as the file's other problems do: order 710045
    # is on report line 7 (line 6 has an error), and went out on line 6 of last week's file
    lines = {e["source"][0]["value"]: (e["line"], e["messages"][0])
             for e in report["error"]["extended"]["errors"]
             if e["source"][0]["code"] == "already_sent"}
    sent = (root / "w40" / "retail-nl_12-10-2026_1.csv").read_text().splitlines()
    assert lines["710045"][0] == 7 and "_1.csv, line 6:" in lines["710045"][1]
    for key, (_, message) in lines.items():
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


def _on_a_terminal(*args: str | Path, env: dict) -> tuple[int, str, str]:
    """Run the CLI with stderr on a pseudo-terminal: (exit code, stdout, stderr)."""
    import fcntl
    import pty
    import struct
    import subprocess
    import sys
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))  # a real size
    proc = subprocess.Popen([sys.executable, "-m", "salesfmt", *map(str, args)],
                            stdout=subprocess.PIPE, stderr=slave,
                            env={**os.environ, **env, "PYTHONIOENCODING": "utf-8"})
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    out = proc.stdout.read().decode()
    code = proc.wait(timeout=120)
    os.close(master)
    return code, out, b"".join(chunks).decode(errors="replace")


def test_a_worker_that_dies_stops_no_other_file(tmp_path: Path) -> None:
    """The worker converting one file is killed (SIGKILL): that file fails with one line,
    exit 2; so does an empty file; the other is converted and named. The batch's progress
    bar shows on a terminal."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name in ("lottery-eu-web-w41.csv", "pos-export-w41.csv"):
        shutil.copy(WEEK41 / name, inbox / name)
    (inbox / "kassa-export-nl-empty.csv").write_bytes(b"")  # claimed, unreadable
    code, out, err = _on_a_terminal(
        "batch", inbox, "-c", CONFIG, "-o", tmp_path / "out", "--ledger",
        tmp_path / "l.sqlite", "--today", TODAY, "-j", "2",
        env={"SALESFMT_BATCH_TEST_CRASH": "lottery-eu-web-w41.csv"})
    assert code == 2, err
    assert "Traceback" not in err and "internal error: the worker" not in err
    files = _files(json.loads((tmp_path / "out" / "batch.json").read_text()))
    dead = files["lottery-eu-web-w41.csv"]
    assert (dead["status"], dead["exit"]) == ("failed", 2)
    assert dead["notes"][0].startswith("internal error: the worker converting this file died")
    assert files["pos-export-w41.csv"]["status"] == "converted"
    assert (tmp_path / "out" / files["pos-export-w41.csv"]["name"]).is_file()
    empty = files["kassa-export-nl-empty.csv"]
    assert (empty["status"], empty["exit"]) == ("failed", 2)
    assert empty["notes"] == [f"{inbox / 'kassa-export-nl-empty.csv'}: file is empty (0 bytes)"]
    assert "3/3" in err  # tqdm's bar, on the terminal only


def test_dask_cluster_output_is_byte_identical_to_local_run(two_weeks, tmp_path: Path
                                                           ) -> None:
    distributed = pytest.importorskip("distributed")
    root, _, _ = two_weeks
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  protocol="tcp://", host="127.0.0.1",
                                  dashboard_address=None) as cluster:
        res = _batch(WEEK40, tmp_path / "w40", tmp_path / "ledger.sqlite",
                     "--scheduler", cluster.scheduler_address)
    assert res.code == 1, res.err
    local = sorted(p.name for p in (root / "w40").iterdir())
    assert sorted(p.name for p in (tmp_path / "w40").iterdir()) == local
    for name in local:
        assert (tmp_path / "w40" / name).read_bytes() == (root / "w40" / name).read_bytes(), \
            name


@pytest.mark.parametrize(("text", "where", "message"), [
    ("routes:\n  - name: a\n    rules: kassa-nl\n    to: bulk-csv\n    file: ['*.csv']\n",
     "deliveries.yaml:5:5: routes.0.file", "unknown key 'file'"),
    ("routes:\n  - name: a\n    rules: kassa-nl\n    to: bulk-csv\n",
     "deliveries.yaml:2:5: routes.0", "a route needs 'files' (name patterns) or 'headers'"),
    ("routes:\n  - name: a\n    rules: no-such-rules\n    to: bulk-csv\n    files: ['x']\n",
     "deliveries.yaml:3:5: routes.0.rules", "no rule file named 'no-such-rules'"),
    ("routes:\n  - name: a\n    rules: kassa-nl\n    to: no-target\n    files: ['x']\n",
     "deliveries.yaml:4:5: routes.0.to", "no-target"),
    ("ledger: x\nroutes: [\n", "deliveries.yaml:3:1", "invalid YAML"),
])
def test_bad_deliveries_file_names_its_place(tmp_path: Path, text: str, where: str,
                                             message: str) -> None:
    from salesfmt.batch import load_deliveries
    from salesfmt.errors import RuleError

    config = tmp_path / "deliveries.yaml"
    config.write_text(text)
    with pytest.raises(RuleError) as caught:
        load_deliveries(config)
    assert where in str(caught.value) and message in str(caught.value), str(caught.value)


def test_bad_deliveries_file_is_one_line_exit_2(tmp_path: Path) -> None:
    config = tmp_path / "deliveries.yaml"
    config.write_text("routes:\n  - name: a\n    rules: kassa-nl\n    to: bulk-csv\n"
                      "    file: ['*.csv']\n")
    res = run_cli("batch", WEEK41, "-c", config, "-o", tmp_path / "out")
    assert res.code == 2
    assert len(res.err.strip().splitlines()) == 1, res.err
    assert res.err.startswith(f"salesfmt: error: {config}:5:5: routes.0.file: unknown key "
                              "'file'")
    assert not (tmp_path / "out").exists()  # nothing started


def test_wallie_line_id_sent_under_another_sale_is_an_error(tmp_path: Path) -> None:
    """A salesLineId met before under another salesId is an error; under the same salesId
    (the sale sent again, an update) it is not."""
    import polars as pl

    from salesfmt.ledger.store import KeyStore

    store = KeyStore(tmp_path / "ledger.sqlite")
    week1 = pl.DataFrame({"line": [2, 2, 3], "key": ["L-1", "L-2", "L-3"],
                          "parent": ["S1", "S1", "S2"]})
    store.add("wallie", "all", "retail-pos_05-10-2026_1.json", {"salesLineId": week1})
    week2 = pl.DataFrame({"line": [2, 3], "report_line": [2, 4], "key": ["L-1", "L-3"],
                          "parent": ["S1", "S9"]})
    seen = store.seen("wallie", "all", "salesLineId", week2)
    assert seen.select("report_line", "key", "parent", "first_file", "first_line",
                       "first_parent").rows() == [
        (2, "L-1", "S1", "retail-pos_05-10-2026_1.json", 2, "S1"),
        (4, "L-3", "S9", "retail-pos_05-10-2026_1.json", 3, "S2")]
    from salesfmt.batch.crossdelivery import _problems
    from salesfmt.ledger.keys import SENT_KEYS

    spec = SENT_KEYS["wallie"].keys[1]
    wrong = seen.filter(pl.col("parent").ne_missing(pl.col("first_parent")))
    problems = _problems(wrong, spec, "already_sent")
    assert problems.select("line", "code", "severity", "message").rows() == [
        (4, "already_sent", "error", "salesLineId 'L-3' was already sent in "
         "retail-pos_05-10-2026_1.json, line 3 under salesId 'S2': ids must be unique "
         "across all uploads, give it a new one or leave the line out")]


_BASE = {"columns": ["Order", "Date", "Amount", "Payment"], "encoding": "utf-8",
         "decimal_separator": ".", "date_order": "day-month-year", "rows": 100,
         "amount_total": "1000.00", "unmapped": {"payment_method": ["Bitcoin"]}}


@pytest.mark.parametrize(("change", "expected"), [
    ({}, []),
    ({"columns": ["Order", "Date", "Amount", "Payment", "Shop"]}, ["column 'Shop' is new"]),
    ({"columns": ["Order", "Date", "Amount"]}, ["column 'Payment' is missing"]),
    ({"columns": ["Order", "Date", "Total", "Payment"]},
     ["column 'Amount' is now called 'Total'"]),
    ({"unmapped": {"payment_method": ["Bitcoin", "Klarna"]}},
     ["new value(s) without a mapping for payment_method: 'Klarna'"]),
    ({"encoding": "cp1252"}, ["encoding changed from 'utf-8' to 'cp1252'"]),
    ({"date_order": "month-day-year"},
     ["date order changed from 'day-month-year' to 'month-day-year'"]),
    ({"date_order": None}, []),  # nothing telling in this file's dates: no claim
    ({"rows": 150, "amount_total": "1500.00"}, []),  # +50% is not more than half
    ({"rows": 151, "amount_total": "400"},
     ["row count changed from 100 to 151 (+51%)",
      "amount total changed from 1000 to 400 (-60%)"]),
])
def test_drift_against_the_previous_delivery(change: dict, expected: list[str]) -> None:
    from salesfmt.ledger.drift import drift

    assert drift(_BASE, {**_BASE, **change}) == expected


@pytest.mark.parametrize(("cells", "decimal", "order"), [
    (["05-10-2026", "13-10-2026", "12,50"], ",", "day-month-year"),
    (["10/05/2026", "10/13/2026", "12.50"], ".", "month-day-year"),
    (["2026-10-05", "2026-10-13 10:00", "1.234,50"], ",", "year-month-day"),
    (["05-10-2026", "1,234.50"], ".", None),  # day 05 and month 10 tell nothing
])
def test_number_and_date_style_of_a_sample(cells: list[str], decimal: str,
                                           order: str | None) -> None:
    import polars as pl

    from salesfmt.ledger.drift import _styles

    assert _styles(pl.DataFrame({"a": cells})) == (decimal, order)
