"""Crash consistency: `convert` killed with SIGKILL at seeded random moments, every target.

After each kill the output folder holds, per output set, either the complete set with its
report (byte-identical to an undisturbed run), or outputs without a report that the dead
run's journal marks as an unfinished publish, or nothing. The next run then succeeds and
leaves no temporary file behind. ``SALESFMT_CRASH_KILLS=N`` kills N times per target
(default 2, to keep CI short); ``SALESFMT_CRASH_SEED`` changes the moments. Every other
kill aims at the publish step (a few ms after the report is staged), the rest fall anywhere
in the run.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import ROOT, SAMPLES, TODAY

sys.path.insert(0, str(ROOT / "benchmarks"))
from generate import frame  # noqa: E402

KILLS = int(os.environ.get("SALESFMT_CRASH_KILLS", "2"))
SEED = int(os.environ.get("SALESFMT_CRASH_SEED", "12"))
BENCH = ROOT / "benchmarks"


def _generated(rows: int) -> Callable[[Path], Path]:
    def make(folder: Path) -> Path:
        path = folder / "partner.csv"
        frame(rows).write_csv(path, separator=";")
        return path
    return make


def _repeated(sample: str, times: int) -> Callable[[Path], Path]:
    """A bundled sample's records repeated (ids repeat too: a run with problems is fine)."""
    def make(folder: Path) -> Path:
        lines = (SAMPLES / sample).read_text(encoding="utf-8").splitlines()
        path = folder / sample
        path.write_text("\n".join([lines[0], *lines[1:] * times]) + "\n", encoding="utf-8")
        return path
    return make


@dataclass(frozen=True)
class Case:
    target: str
    rules: str | Path
    make: Callable[[Path], Path]
    extra: tuple[str, ...] = ()
    named: bool = False  # --upload-name: every run gets a new name, nothing to --force
    rejects: str | None = None  # --rejects OUT/NAME: a member of the set too


CASES = {
    "bulk-csv": Case("bulk-csv", BENCH / "bench-partner.yaml", _generated(20_000),
                     rejects="partner.rejects.csv"),
    "sales-template": Case("sales-template", BENCH / "bench-events.yaml", _generated(5_000)),
    "wallie-split": Case("wallie", BENCH / "bench-wallie.yaml", _generated(6_000),
                         ("--payload-size", "500")),
    "wallie-named-over-999": Case("wallie", BENCH / "bench-wallie.yaml", _generated(1_100),
                                  ("--payload-size", "1", "--channel", "crash",
                                   "--date", "01-01-2026"), named=True),
    "thalamus-partner-sale": Case("thalamus-partner-sale", "loyalty-partner",
                                  _repeated("loyalty-partner-sales.csv", 1_000)),
    "thalamus-party-sale": Case("thalamus-party-sale", "party-pos",
                                _repeated("party-transactions.csv", 1_000)),
}

_SET = re.compile(r"^(.*?)(\.\d{3,})?\.(csv|xlsx|json|jsonl)$")


def _sets(folder: Path) -> dict[str, dict[str, bytes]]:
    """Visible files grouped by output set (stem): {stem: {suffix: bytes}}."""
    sets: dict[str, dict[str, bytes]] = {}
    for p in sorted(folder.iterdir()):
        if p.name.startswith("."):
            continue
        stem, suffix = (p.name[:-len(".report.json")], ".report.json") \
            if p.name.endswith(".report.json") else \
            (p.name.split(".rejects.")[0], ".rejects." + p.name.split(".rejects.")[1]) \
            if ".rejects." in p.name else (
            _SET.match(p.name).group(1), p.name[len(_SET.match(p.name).group(1)):])
        sets.setdefault(stem, {})[suffix] = p.read_bytes()
    return sets


def _command(case: Case, src: Path, out: Path, ledger: Path) -> list[str]:
    args = [sys.executable, "-m", "salesfmt", "convert", str(src), "-r", str(case.rules),
            "-t", case.target, "-o", f"{out}/", "--today", TODAY, *case.extra]
    if case.rejects:
        args += ["--rejects", str(out / case.rejects)]
    return [*args, "--ledger", str(ledger)] if case.named else args


def _hidden(folder: Path) -> list[str]:
    return [p.name for p in folder.iterdir() if p.name.startswith(".")]


def _wait_for_staged_report(out: Path, proc: subprocess.Popen) -> None:
    end = time.monotonic() + 120
    while proc.poll() is None and time.monotonic() < end:
        if any(out.glob(".salesfmt-*.stage/*.report.json")):
            return
        time.sleep(0.001)


@pytest.mark.parametrize("name", list(CASES))
def test_kill_at_random_moments_leaves_whole_sets_or_nothing(tmp_path: Path, name: str) -> None:
    case = CASES[name]
    src = case.make(tmp_path)
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    env.pop("SALESFMT_DEBUG", None)

    ref_dir = tmp_path / "ref"
    ref_dir.mkdir()
    began = time.monotonic()
    ref_run = subprocess.run(_command(case, src, ref_dir, tmp_path / "ref.sqlite"), env=env,
                             capture_output=True, text=True, timeout=300)
    took = time.monotonic() - began
    assert ref_run.returncode in (0, 1), ref_run.stderr
    (reference,) = _sets(ref_dir).values()
    assert not case.rejects or ".rejects.csv" in reference  # the rejects file is a member

    out, ledger = tmp_path / "out", tmp_path / "ledger.sqlite"
    out.mkdir()
    rng = random.Random(f"{SEED}-{name}")
    for kill in range(KILLS):
        # after the first round the folder holds a set: replace it (unnamed targets)
        forced = ["--force"] if kill and not case.named else []
        proc = subprocess.Popen([*_command(case, src, out, ledger), *forced], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if kill % 2:  # every other kill aims at the publish: once the report is staged
            _wait_for_staged_report(out, proc)
            time.sleep(rng.uniform(0, 0.02))
        else:
            time.sleep(rng.uniform(0.4, 1.05) * took)
        proc.kill()
        proc.wait()
        marked = bool(list(out.glob(".salesfmt-*/journal.json")))
        print(f"{name}: kill {kill} after {took:.2f}s x, left {sorted(_sets(out))} "
              f"{'(unfinished publish)' if marked else ''} and {len(_hidden(out))} temps")
        for stem, members in _sets(out).items():
            if ".report.json" in members:
                assert members == reference, f"kill {kill}: {stem} differs from a clean run"
            else:  # outputs without their report: an unfinished publish, and marked so
                assert marked, f"kill {kill}: {stem} has no report and no journal"
        rerun_args = _command(case, src, out, ledger)
        if not case.named and any(".report.json" in m for m in _sets(out).values()):
            rerun_args.append("--force")
        again = subprocess.run(rerun_args, env=env, capture_output=True, text=True, timeout=300)
        assert again.returncode == ref_run.returncode, again.stderr
        assert _hidden(out) == [], f"kill {kill}: temporary files left: {_hidden(out)}"
        for stem, members in _sets(out).items():
            assert members == reference, f"after kill {kill}: {stem} differs from a clean run"
