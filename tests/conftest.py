"""Shared fixtures: paths, and the CLI driven as a real subprocess."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


def _shared() -> Path:
    """``shared/`` beside the checkout (CI), or above it (git worktrees); $SALESFMT_SHARED wins."""
    if os.environ.get("SALESFMT_SHARED"):
        return Path(os.environ["SALESFMT_SHARED"])
    for parent in ROOT.parents:
        if (parent / "shared" / "corpus").is_dir():
            return parent / "shared"
    return ROOT.parent / "shared"


SHARED = _shared()
CORPUS = SHARED / "corpus"
TODAY = "2026-11-01"
GOLDEN = ROOT / "tests" / "golden"
#: The one switch that rewrites every golden file from what the code produces now.
REGEN_GOLDEN = "SALESFMT_REGEN_GOLDEN"
#: Set by CI (.ci/run): a missing headless Chromium fails the browser tests, not skips them.
REQUIRE_BROWSER = "SALESFMT_REQUIRE_BROWSER"


def golden_file(path: Path, write: Callable[[Path], object]) -> Path:
    """The golden file ``path`` to compare with; ``SALESFMT_REGEN_GOLDEN=1`` first rewrites
    it with ``write(path)``. A missing golden file fails the test (it is never made up)."""
    if os.environ.get(REGEN_GOLDEN):
        path.parent.mkdir(parents=True, exist_ok=True)
        write(path)
    if not path.is_file():
        pytest.fail(f"missing golden file {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}"
                    f" (write it deliberately: {REGEN_GOLDEN}=1 pytest ...)", pytrace=False)
    return path


def browser_paths() -> tuple[str, str]:
    """(chromium, chromedriver) for the browser tests: found on PATH ($SALESFMT_CHROMIUM and
    $SALESFMT_CHROMEDRIVER win); without them the tests skip, or fail under CI's
    ``SALESFMT_REQUIRE_BROWSER=1``."""
    found = (os.environ.get("SALESFMT_CHROMIUM") or shutil.which("chromium")
             or shutil.which("chromium-browser"),
             os.environ.get("SALESFMT_CHROMEDRIVER") or shutil.which("chromedriver"))
    if all(p and Path(p).exists() for p in found):
        return found[0], found[1]  # type: ignore[return-value]
    why = ("headless Chromium not found (apt-get install chromium chromium-driver, or set "
           "SALESFMT_CHROMIUM/SALESFMT_CHROMEDRIVER)")
    if os.environ.get(REQUIRE_BROWSER):
        pytest.fail(f"{why}; {REQUIRE_BROWSER} is set", pytrace=False)
    pytest.skip(why)


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self) -> dict:
        return json.loads(self.out)


def internal_failure(err: str) -> str | None:
    """Why this stderr shows a bug (an internal error or a traceback), or None."""
    if "internal error" in err:
        return "internal error"
    if "Traceback (most recent call last)" in err or "panicked at" in err:
        return "traceback"
    return None


def run_cli(*args: str | Path, cwd: Path | None = None, timeout: int = 300,
            allow_internal: bool = False) -> Run:
    """Run ``python -m salesfmt`` as a subprocess (the real entry point, real exit code).

    An internal error or a traceback is a bug: it fails the calling test, unless the test
    opts out with ``allow_internal=True`` (tests of the last-resort net itself).
    """
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("SALESFMT_DEBUG", None)
    proc = subprocess.run([sys.executable, "-m", "salesfmt", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, env=env, timeout=timeout)
    why = None if allow_internal else internal_failure(proc.stderr)
    if why:
        pytest.fail(f"salesfmt {' '.join(map(str, args))}: {why} (exit {proc.returncode}):\n"
                    f"{proc.stderr[-2000:]}", pytrace=False)
    return Run(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def cli():
    return run_cli
