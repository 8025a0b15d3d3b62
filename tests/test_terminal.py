"""The terminal summary and the progress bar: colour and progress only on a terminal."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
import time

from conftest import ROOT, SAMPLES, TODAY, run_cli

from salesfmt.report import Progress

ARGS = ["-r", "kassa-nl", "-t", "bulk-csv", "--today", TODAY, "--lang", "en"]  # kassa-nl: nl


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_on_a_terminal_after_the_delay_and_clears_itself() -> None:
    stream = _Tty()
    with Progress(stream, delay=0.0) as bar:
        bar.update(250_000)
        time.sleep(0.35)
    text = stream.getvalue()
    assert "checking… 250,000 rows checked" in text
    assert text.endswith("\r\x1b[2K")


def test_progress_is_silent_for_short_work_and_off_a_terminal() -> None:
    quick, piped = _Tty(), io.StringIO()
    with Progress(quick, delay=5.0) as bar:
        bar.update(10)
    with Progress(piped, delay=0.0) as bar:
        bar.update(10)
        time.sleep(0.2)
    assert quick.getvalue() == "" and piped.getvalue() == ""


def test_plain_summary_and_clean_json_when_piped() -> None:
    res = run_cli("check", SAMPLES / "kassa-export-nl.csv", *ARGS, "--format", "json")
    assert res.code == 1
    assert res.json()["error"]["extended"]["error_lines"] == 7
    assert "\x1b[" not in res.err and "\r" not in res.err
    assert "rows: 25 read = 17 converted + 7 rejected + 1 skipped" in res.err
    assert "problems: 7 error(s) on 7 line(s), 0 warning(s)" in res.err


def test_summary_says_where_the_html_report_is(tmp_path) -> None:
    html = tmp_path / "r.html"
    res = run_cli("check", SAMPLES / "kassa-export-nl.csv", *ARGS, "--html", html)
    assert res.code == 1
    assert html.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert res.err.rstrip().endswith(f"full report: {html}")
    assert f"… and 2 more error(s) (see {html})" in res.err


def test_colour_on_a_terminal() -> None:
    leader, follower = pty.openpty()
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    proc = subprocess.Popen([sys.executable, "-m", "salesfmt", "check",
                             str(SAMPLES / "kassa-export-nl.csv"), *ARGS],
                            stdout=subprocess.DEVNULL, stderr=follower, cwd=ROOT, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 4096)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    proc.wait(timeout=60)
    os.close(leader)
    text = b"".join(chunks).decode("utf-8")
    assert proc.returncode == 1
    assert "\x1b[31m7 error(s) on 7 line(s)\x1b[0m" in text


def test_summary_ranks_the_most_frequent_problems() -> None:
    from dataclasses import replace
    from datetime import date

    import polars as pl

    from salesfmt import load_rules, load_target, run
    from salesfmt.report import summary

    result = run(SAMPLES / "kassa-export-nl.csv", load_rules("kassa-nl"), load_target("bulk-csv"),
                 today=date(2026, 11, 1))
    p = result.problems
    many = pl.concat([p, p.filter(pl.col("code") == "invalid_email")
                      .select(pl.all().repeat_by(4).explode())])
    text = summary(replace(result, problems=many), report="r.html")
    ranked = text.split("top errors:\n")[1].splitlines()
    assert ranked[0].split() == ["5×", "EMAIL", "invalid_email", "(first", "on", "line", "15)"]
    assert text.endswith("full report: r.html")


EVENTS = ["-r", "ticketline-events", "-t", "sales-template", "--today", TODAY]


def test_errors_come_first_and_warnings_are_grouped_by_code(tmp_path) -> None:
    from _events import events_file

    res = run_cli("check", events_file(tmp_path, 200), *EVENTS)
    assert res.code == 1, res.err
    err = res.err
    assert "problems: 2 error(s) on 2 line(s), 200 warning(s)" in err
    assert err.index("errors:") < err.index("warnings by code:")
    assert "line 202 (row 202 col C) error: Sale Date must not be in the future" in err
    assert "line 203 (row 203 col I) error: Currency is not an ISO 4217" in err
    assert "    200× not_allowed" in err
    assert err.count("warning: Ticket Type must be one of") == 3  # a few examples, not 200
    assert "… and 197 more" in err


def test_severity_off_mutes_a_codes_warnings_but_never_its_errors(tmp_path) -> None:
    from _events import events_file, muted_rules

    src = events_file(tmp_path, 200, channel="Online")  # the two error rows say "Web"
    rules = muted_rules(tmp_path)
    assert run_cli("rules", "validate", rules).code == 0
    res = run_cli("check", src, "-r", rules, "-t", "sales-template", "--today", TODAY,
                  "--format", "json", "--with-source")
    assert res.code == 1, res.err
    errors = res.json()["error"]["extended"]["errors"]
    assert [e["line"] for e in errors] == [202, 203]
    assert all("Sales Channel must be one of Box Office, Online, Phone, Agent, Partner"
               in e["messages"] for e in errors)  # not_allowed errors are kept
    others = res.json()["error"]["extended"]["other_problems"]
    assert others == []  # the 200 ticket-type warnings are counted nowhere else
    assert "problems: 4 error(s) on 2 line(s), 0 warning(s)" in res.err
    assert "muted: 200 warning(s) not reported, by the rule file's severity: off " \
           "(not_allowed 200)" in res.err


def test_names_and_values_from_the_file_cannot_drive_the_terminal(tmp_path) -> None:
    from _events import HEADER

    evil = "We\x1b[2J\x1b]0;owned\x07b\u202egnp.exe\x9b31m\x7f"
    src = tmp_path / "ev\x1b[31mil\u202e.csv"
    src.write_text(",".join([*HEADER[:-1], "Re\x1b[8mmarks"]) + "\n"
                   + f"T-1,EVT-1,12/10/2026,Adult,{evil},1,\"1,00\",\"1,00\",EUR,x\n",
                   encoding="utf-8")
    checked = run_cli("check", src, *EVENTS)
    inspected = run_cli("inspect", src)
    named = run_cli("name", "--check", "a\x1b[2J_01-01-2020_1.csv")
    for out in (checked.err, inspected.out, named.out):
        assert not any(c in out for c in "\x1b\x07\u202e\x9b\x7f"), repr(out)
    assert checked.code == 1 and inspected.code == 0 and named.code == 1
    assert "has no mapping for value 'We\\x1b[2J\\x1b]0;owned\\x07b\\u202egnp.exe" \
           "\\x9b31m\\x7f'" in checked.err
    assert "ev\\x1b[31mil\\u202e.csv" in checked.err and "Re\\x1b[8mmarks" in inspected.out


def test_json_on_stdout_escapes_what_json_dumps_leaves_raw(tmp_path) -> None:
    import json

    from _events import HEADER

    src = tmp_path / "e.csv"
    value = "We\u202eb\x9b\x7f"
    src.write_text(",".join(HEADER) + "\n"
                   + f"T-1,EVT-1,12/10/2026,Adult,{value},1,\"1,00\",\"1,00\",EUR,x\n",
                   encoding="utf-8")
    checked = run_cli("check", src, *EVENTS, "--format", "json", "--with-source")
    inspected = run_cli("inspect", src, "--format", "json", "--values", "Channel")
    for res in (checked, inspected):
        assert not any(c in res.out for c in "\u202e\x9b\x7f"), repr(res.out)
        assert "\\u202e" in res.out
    assert json.loads(checked.out)["error"]["extended"]["errors"][0]["source"][0]["value"] \
        == value
    assert json.loads(inspected.out)["columns"][4]["values"] == [{"value": value, "count": 1}]


def test_escaping_helper() -> None:
    from salesfmt.report.terminal import terminal_safe

    assert terminal_safe("a\tb\nc\rd\x00\x1b\x7f\x85\u202a\u2066\u200f ok é €") == \
        "a\\tb\\nc\\rd\\x00\\x1b\\x7f\\x85\\u202a\\u2066\\u200f ok é €"


def test_rules_show_escapes_the_rule_files_text(tmp_path) -> None:
    rules = tmp_path / "evil.yaml"
    rules.write_text('name: evil\ndescription: "de\\e]0;x\\asc\\u202e"\n'
                     'fields:\n  sale_id: "Or\\e[2Jder\\u202e"\n', encoding="utf-8")
    res = run_cli("rules", "show", rules, "--to", "bulk-csv")
    assert not any(c in res.out for c in "\x1b\x07\u202e"), repr(res.out)
    assert "de\\x1b]0;x\\x07sc\\u202e" in res.out and "Or\\x1b[2Jder\\u202e" in res.out
