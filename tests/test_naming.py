"""Upload file names (SPEC §4): slugging, checking, date choice, batches, the ledger."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, SAMPLES, TODAY, run_cli

from salesfmt.naming import Ledger, check_name, choose_date, format_name, slug

CASES = yaml.safe_load((ROOT / "tests" / "data" / "naming" / "names.yaml").read_text())
DAY = date(2020, 4, 20)


@pytest.mark.parametrize(("key", "expected"), [
    ("charity_lotery", "charity-lotery"),
    ("direct-mail", "direct-mail"),
    ("Direct Mail", "direct-mail"),
    ("  Retail__NL ", "retail-nl"),
    ("Café/Shop", "cafe-shop"),
])
def test_slug(key: str, expected: str) -> None:
    assert slug(key) == expected
    assert check_name(format_name(key, DAY, 1)) == []


def test_slug_refuses_a_channel_without_letters() -> None:
    with pytest.raises(ValueError, match="no letters or digits"):
        slug("__")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_check_name(case: dict) -> None:
    problems = check_name(case["name"])
    if not case["problems"]:
        assert problems == []
    for expected in case["problems"]:
        assert any(expected in p for p in problems), problems


def test_check_name_cli_exit_codes() -> None:
    ok = run_cli("name", "--check", "direct-mail_20-04-2020_1.csv")
    bad = run_cli("name", "--check", "direct-mail_20-4-2020_1.csv")
    assert (ok.code, bad.code) == (0, 1)
    assert "not zero-padded" in bad.out


@pytest.mark.parametrize(("dates", "given", "expected"), [
    ((date(2026, 10, 5), date(2026, 10, 5)), None, date(2026, 10, 5)),   # one sales day
    ((date(2026, 10, 1), date(2026, 10, 20)), None, date(2026, 11, 1)),  # several: today
    (None, None, date(2026, 11, 1)),                                     # no date: today
    ((date(2026, 10, 5), date(2026, 10, 5)), DAY, DAY),                  # given wins
])
def test_choose_date(dates, given, expected) -> None:
    assert choose_date(dates, given, date(2026, 11, 1))[0] == expected


def test_batch_is_smallest_unused_in_ledger_and_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "direct-mail_20-04-2020_2.csv").write_text("x")
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        names = []
        for _ in range(3):
            with ledger.reserve("direct_mail", DAY, folder=out) as got:
                names.append(got.name)
        assert ledger.suggest("direct_mail", DAY, folder=out) == "direct-mail_20-04-2020_5.csv"
        assert ledger.suggest("direct_mail", date(2020, 4, 21)) == "direct-mail_21-04-2020_1.csv"
    assert names == ["direct-mail_20-04-2020_1.csv", "direct-mail_20-04-2020_3.csv",
                     "direct-mail_20-04-2020_4.csv"]


def test_failed_move_does_not_record_the_name(tmp_path: Path) -> None:
    with Ledger(tmp_path / "ledger.sqlite") as ledger:
        with pytest.raises(OSError), ledger.reserve("shop", DAY):
            raise OSError("disk full")
        assert ledger.suggest("shop", DAY) == "shop_20-04-2020_1.csv"


def _reserve_many(ledger_path: str, barrier, n: int, queue) -> None:
    barrier.wait()
    got = []
    with Ledger(ledger_path) as ledger:
        for _ in range(n):
            with ledger.reserve("charity_lotery", DAY) as r:
                got.append(r.name)
    queue.put(got)


def test_ledger_never_hands_out_a_name_twice_to_parallel_processes(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    barrier, queue = ctx.Barrier(4), ctx.Queue()
    path = str(tmp_path / "ledger.sqlite")
    procs = [ctx.Process(target=_reserve_many, args=(path, barrier, 25, queue))
             for _ in range(4)]
    for p in procs:
        p.start()
    names = [n for _ in procs for n in queue.get(timeout=120)]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert sorted(names) == sorted(format_name("charity_lotery", DAY, b) for b in range(1, 101))


def _convert(out: Path, ledger: Path, *extra: str) -> list:
    return [sys.executable, "-m", "salesfmt", "convert", str(SAMPLES / "charity-lottery-web.csv"),
            "-r", "charity-web", "-t", "bulk-csv", "--today", TODAY, "-o", str(out),
            "--ledger", str(ledger), *extra]


def test_parallel_converts_get_different_names(tmp_path: Path) -> None:
    out, ledger = tmp_path / "out", tmp_path / "ledger.sqlite"
    out.mkdir()
    procs = [subprocess.Popen(_convert(out, ledger, "--upload-name", "--date", "20-04-2020"),
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(3)]
    for p in procs:
        p.communicate(timeout=120)
        assert p.returncode == 1  # the sample has errors; good lines are still converted
    assert sorted(f.name for f in out.glob("*.csv")) == [
        f"charity-lotery_20-04-2020_{b}.csv" for b in (1, 2, 3)]
    assert not list(out.glob(".*"))  # no pending files left behind


def test_convert_names_output_from_rule_channel_and_warns_on_same_content(tmp_path: Path) -> None:
    out, ledger = tmp_path / "out", tmp_path / "ledger.sqlite"
    out.mkdir()
    plain = run_cli(*_convert(out, ledger)[3:-2])  # no --upload-name: named after the input
    assert plain.code == 1 and (out / "charity-lottery-web.csv").is_file()
    first = run_cli(*_convert(out, ledger, "--upload-name")[3:])
    assert "warning: the same content" not in first.err
    # the sample spans several sales days: the name takes --today
    assert (out / "charity-lotery_01-11-2026_1.csv").is_file()
    report = json.loads((out / "charity-lotery_01-11-2026_1.report.json").read_text())
    assert report["error"]["extended"]["error_lines"] == 5
    second = run_cli(*_convert(out, ledger, "--channel", "Direct Mail")[3:])
    assert (out / "direct-mail_01-11-2026_1.csv").is_file()
    assert ("warning: the same content was already produced as "
            "charity-lotery_01-11-2026_1.csv") in second.err


def test_convert_takes_the_date_of_a_one_day_file(tmp_path: Path) -> None:
    src = tmp_path / "oneday.csv"
    lines = (SAMPLES / "charity-lottery-web.csv").read_text().splitlines()
    src.write_text("\n".join(lines[:3]) .replace("2026-10-02", "2026-10-01") + "\n")
    out = tmp_path / "out"
    out.mkdir()
    res = run_cli("convert", src, "-r", "charity-web", "-t", "bulk-csv", "--today", TODAY,
                  "-o", out, "--ledger", tmp_path / "l.sqlite", "--upload-name")
    assert res.code == 0, res.err
    assert (out / "charity-lotery_01-10-2026_1.csv").is_file()
    assert "the file's only sales day" in res.err
    suggested = run_cli("name", src, "-r", "charity-web", "--today", TODAY,
                        "--ledger", tmp_path / "l.sqlite", "--dir", out)
    assert suggested.out.strip() == "charity-lotery_01-10-2026_2.csv"


def test_recorded_names_are_not_handed_out(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    rec = run_cli("name", "--record", "direct-mail_20-04-2020_1.csv", "--ledger", ledger)
    assert rec.code == 0 and "recorded" in rec.out
    assert "already in" in run_cli("name", "--record", "direct-mail_20-04-2020_1.csv",
                                   "--ledger", ledger).out
    bad = run_cli("name", "--record", "direct_mail_20-4-2020_1.csv", "--ledger", ledger)
    assert bad.code == 2 and "'_' inside the channel" in bad.err
    nxt = run_cli("name", "--channel", "direct_mail", "--date", "20-04-2020", "--ledger", ledger)
    assert nxt.out.strip() == "direct-mail_20-04-2020_2.csv"


def test_split_payloads_share_one_upload_name(tmp_path: Path) -> None:
    out, ledger = tmp_path / "out", tmp_path / "ledger.sqlite"
    out.mkdir()
    args = ["convert", SAMPLES / "pos-lines-returns.csv", "-r", "pos-lines", "-t", "wallie",
            "--today", TODAY, "-o", out, "--payload-size", "2", "--upload-name",
            "--date", "05-10-2026", "--ledger", ledger]
    first, second = run_cli(*args), run_cli(*args)
    assert first.code == second.code == 1, first.err
    names = sorted(p.name for p in out.iterdir())
    assert names == ["retail-pos_05-10-2026_1.001.json", "retail-pos_05-10-2026_1.002.json",
                     "retail-pos_05-10-2026_1.report.json", "retail-pos_05-10-2026_2.001.json",
                     "retail-pos_05-10-2026_2.002.json", "retail-pos_05-10-2026_2.report.json"]
    assert "already produced as retail-pos_05-10-2026_1.json" in second.err
