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

ARGS = ["-r", "kassa-nl", "-t", "bulk-csv", "--today", TODAY]


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
