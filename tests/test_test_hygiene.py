"""The suite's own rules: a missing golden file fails (one switch regenerates them all),
and the browser tests skip without Chromium unless CI requires it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import test_cli_bulk_csv
import test_targets_golden
from conftest import REGEN_GOLDEN, ROOT


def test_a_missing_golden_file_fails_and_is_not_written(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv(REGEN_GOLDEN, raising=False)
    monkeypatch.setattr(test_cli_bulk_csv, "GOLDEN", tmp_path)
    with pytest.raises(pytest.fail.Exception, match="missing golden file"):
        test_cli_bulk_csv.golden("new.bulk-csv.json", "{}\n")
    assert not (tmp_path / "new.bulk-csv.json").exists()


def test_the_regenerate_switch_rewrites_golden_files(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv(REGEN_GOLDEN, "1")
    monkeypatch.setattr(test_cli_bulk_csv, "GOLDEN", tmp_path)
    (tmp_path / "old.json").write_text("stale\n", encoding="utf-8")
    test_cli_bulk_csv.golden("old.json", "fresh\n")
    assert (tmp_path / "old.json").read_text(encoding="utf-8") == "fresh\n"


def test_every_golden_file_is_read_by_a_case() -> None:
    """No orphan golden files (a renamed case would leave its old file behind unseen)."""
    cases = test_targets_golden.CASES
    names = {f"{c['name']}__" for c in cases}
    orphans = [p.name for p in test_targets_golden.GOLDEN.iterdir()
               if not any(p.name.startswith(n) for n in names)]
    assert orphans == []


def _browser_run(env: dict[str, str]) -> subprocess.Popen[str]:
    bare = Path(sys.executable).parent  # python, pytest: but no chromium on this PATH
    return subprocess.Popen(
        [sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "-x",
         str(ROOT / "tests" / "test_report_browser.py"), "-k", "test_sample_report_loads"],
        cwd=ROOT, text=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={**{k: v for k, v in os.environ.items()
                if k not in ("SALESFMT_CHROMIUM", "SALESFMT_CHROMEDRIVER",
                             "SALESFMT_REQUIRE_BROWSER")},
             "PATH": str(bare), **env})


def test_browser_tests_skip_without_chromium_unless_ci_requires_it() -> None:
    fresh = _browser_run({})
    ci = _browser_run({"SALESFMT_REQUIRE_BROWSER": "1"})
    out, code = fresh.communicate(timeout=120)[0], fresh.returncode
    ci_out, ci_code = ci.communicate(timeout=120)[0], ci.returncode
    assert code == 0, out
    assert "skipped" in out and "headless Chromium not found" in out, out
    assert ci_code == 1, ci_out
    assert "SALESFMT_REQUIRE_BROWSER is set" in ci_out and "error" in ci_out, ci_out
