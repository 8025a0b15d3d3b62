"""``salesfmt name --check``: the convention and the ledger (the server refuses a name twice)."""

from __future__ import annotations

from pathlib import Path

from conftest import run_cli

NAME = "direct-mail_20-04-2020_1.csv"


def test_a_name_already_in_the_ledger_fails_with_the_servers_words(tmp_path: Path) -> None:
    ledger = tmp_path / "ledger.sqlite"
    assert run_cli("name", "--record", NAME, "--ledger", ledger).code == 0
    used = run_cli("name", "--check", NAME, "--ledger", ledger)
    assert used.code == 1, used.out
    assert used.out.startswith(f"{NAME}: This file has already been uploaded (in the ledger ")
    assert "follows" not in used.out
    fresh = run_cli("name", "--check", "direct-mail_20-04-2020_2.csv", "--ledger", ledger)
    assert fresh.code == 0 and "is not in the ledger" in fresh.out


def test_the_ledger_comes_from_the_environment_and_a_path_counts_by_its_name(
        tmp_path: Path, monkeypatch) -> None:
    ledger = tmp_path / "env.sqlite"
    run_cli("name", "--record", NAME, "--ledger", ledger)
    monkeypatch.setenv("SALESFMT_LEDGER", str(ledger))
    res = run_cli("name", "--check", f"out/{NAME}")
    assert res.code == 1 and "already been uploaded" in res.out


def test_checking_does_not_create_a_ledger(tmp_path: Path) -> None:
    ledger = tmp_path / "state" / "ledger.sqlite"
    res = run_cli("name", "--check", NAME, "--ledger", ledger)
    assert res.code == 0, res.out
    assert not ledger.exists() and not ledger.parent.exists()
