"""The fuzz campaign: seeded cases (case i of seed s is always the same), run through the CLI.

Most cases run in :mod:`tests.fuzz.driver` (many cases per process, killed on a per-case
timeout, its death by signal seen); every ``subprocess_every``-th case runs as a real
``python -m salesfmt``. Each run is judged by :func:`tests.fuzz.oracle.verdict`.
"""

from __future__ import annotations

import csv
import json
import os
import random
import re
import selectors
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tests.fuzz.mutate import Sizes, mutate, random_csv
from tests.fuzz.oracle import verdict

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples"
TODAY = "2026-11-01"
EXT = {"bulk-csv": ".csv", "sales-template": ".xlsx", "wallie": ".json",
       "thalamus-partner-sale": ".jsonl", "thalamus-party-sale": ".jsonl"}
# sample file → (bundled rules, target it is made for)
BASES = {
    "charity-lottery-web.csv": ("charity-web", "bulk-csv"),
    "kassa-export-nl.csv": ("kassa-nl", "bulk-csv"),
    "kiosk-kassa-nl.csv": ("kiosk-kassa-nl", "bulk-csv"),
    "weekly-sales-uk.xlsx": ("tillpoint-uk", "bulk-csv"),
    "event-ticketing.csv": ("ticketline-events", "sales-template"),
    "pos-lines-returns.csv": ("pos-lines", "wallie"),
    "loyalty-partner-sales.csv": ("loyalty-partner", "thalamus-partner-sale"),
    "party-transactions.csv": ("party-pos", "thalamus-party-sale"),
}
WORKBOOKS = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods")


def corpus_inputs(corpus: Path) -> list[Path]:
    """The corpus's ``kind=input`` files (none when the corpus is not there)."""
    manifest = corpus / "MANIFEST.tsv"
    if not manifest.is_file():
        return []
    with manifest.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    return sorted(corpus / r["path"] for r in rows
                  if r["kind"] == "input" and (corpus / r["path"]).is_file())


@dataclass
class Case:
    """One run: the input's bytes and the command line around it."""

    ident: str
    data: bytes
    suffix: str
    origin: str
    mutations: list[str]
    command: str
    rules: str
    target: str
    extra: list[str] = field(default_factory=list)
    real_process: bool = False

    def argv(self, path: Path, outdir: Path) -> list[str]:
        args = [self.command, str(path), "-r", self.rules, "-t", self.target, "--today", TODAY,
                "--with-source", "--lang", "en", *self.extra]  # the oracle reads English
        return args + (["--format", "json"] if self.command == "check"
                       else ["-o", f"{outdir}{os.sep}"])


def make_case(seed: int, i: int, corpus: list[Path], sizes: Sizes,
              subprocess_every: int = 8) -> Case:
    """Case ``i`` of ``seed``: a sample or corpus file, mutated, and a command for it."""
    rng = random.Random(f"{seed}:{i}")
    sample = rng.choice(sorted(BASES))
    rules, target = BASES[sample]
    base = SAMPLES / sample
    if corpus and rng.random() < 0.3:
        base = rng.choice(corpus)
    data, origin = base.read_bytes(), base.name
    suffix = base.suffix.lower() or ".csv"
    if rng.random() < 0.1 and sample.endswith(".csv"):
        header = (SAMPLES / sample).read_text(encoding="utf-8", errors="replace").splitlines()[0]
        data = random_csv(rng, re.split(r"[,;\t|]", header), rng.choice([0, 1, 5, 50]))
        origin, suffix, done = f"random({sample})", ".csv", ["random_csv"]
    elif rng.random() < 0.92:
        data, done = mutate(rng, data, workbook=suffix in WORKBOOKS, sizes=sizes)
    else:
        done = []
    if rng.random() < 0.05:
        suffix = rng.choice([".csv", ".xlsx", ".txt", ".xls", ".ods", ".tsv"])
        done.append(f"renamed{suffix}")
    extra: list[str] = []
    if rng.random() < 0.05:
        extra += ["--delimiter", rng.choice([";", ",", "tab", "|", "x"])]
    if rng.random() < 0.05:
        extra += ["--encoding", rng.choice(["utf-8", "cp1252", "utf-16", "latin-1", "nope"])]
    if rng.random() < 0.03:
        extra += ["--header-row", str(rng.choice([1, 2, 5, 1000]))]
    if rng.random() < 0.03:
        extra += ["--sheet", rng.choice(["1", "2", "Sheet1", "Nope"])]
    command = rng.choice(["check", "convert"])
    if command == "convert" and rng.random() < 0.1:
        extra.append("--strict")
    return Case(f"{seed}:{i}", data, suffix, origin, done, command, rules, target, extra,
                real_process=subprocess_every > 0 and i % subprocess_every == 0)


def _env() -> dict[str, str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "POLARS_MAX_THREADS": "2",
           "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}
    env.pop("SALESFMT_DEBUG", None)
    return env


class Driver:
    """A :mod:`tests.fuzz.driver` process; restarted after a timeout or a death."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None

    def _start(self) -> subprocess.Popen[bytes]:
        self.stderr = open(self.workdir / "driver.stderr", "w+b")  # noqa: SIM115
        return subprocess.Popen([sys.executable, str(ROOT / "tests/fuzz/driver.py")],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                stderr=self.stderr, env=_env(), cwd=self.workdir)

    def ask(self, argv: list[str], timeout: float) -> tuple[int | str, str, str]:
        """(exit code or "timeout" / a negative signal number, stdout, stderr) of one case."""
        if self.proc is None or self.proc.poll() is not None:
            self.proc = self._start()
        proc = self.proc
        assert proc.stdin and proc.stdout
        proc.stdin.write((json.dumps({"argv": argv}) + "\n").encode())
        proc.stdin.flush()
        buf = bytearray()
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            while not buf.endswith(b"\n"):
                left = deadline - time.monotonic()
                if left <= 0 or not sel.select(left):
                    self.close()
                    return "timeout", "", ""
                chunk = os.read(proc.stdout.fileno(), 1 << 20)
                if not chunk:  # the driver died mid-case
                    code = proc.wait()
                    self.stderr.seek(0)
                    err = self.stderr.read().decode("utf-8", "replace")
                    self.proc = None
                    return code, "", err
                buf += chunk
        answer = json.loads(buf)
        return answer["code"], answer["out"], answer["err"]

    def close(self) -> None:
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            self.proc = None


def run_process(argv: list[str], timeout: float) -> tuple[int | str, str, str]:
    """One real ``python -m salesfmt`` run (a signal death shows as a negative code)."""
    try:
        proc = subprocess.run([sys.executable, "-m", "salesfmt", *argv], capture_output=True,
                              env=_env(), timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", "", ""
    return (proc.returncode, proc.stdout.decode("utf-8", "replace"),
            proc.stderr.decode("utf-8", "replace"))


@dataclass
class Finding:
    case: Case
    reasons: list[str]
    err: str
    argv: list[str]

    @property
    def cause(self) -> str:
        """A short signature to group findings by (numbers and paths blurred)."""
        line = next((ln for ln in self.err.splitlines() if "internal error" in ln), "")
        text = line.split("internal error: ", 1)[1] if line else self.reasons[0]
        text = re.sub(r"(/[^\s:'\"]+)+", "PATH", text)
        return re.sub(r"\d+", "#", text)[:120]


@dataclass
class Stats:
    cases: int = 0
    real_processes: int = 0
    findings: list[Finding] = field(default_factory=list)
    kinds: Counter = field(default_factory=Counter)
    slowest: tuple[float, str] = (0.0, "")

    def summary(self) -> str:
        causes = Counter(f.cause for f in self.findings)
        lines = [f"{self.cases} cases ({self.real_processes} as real processes), "
                 f"{len(self.findings)} failing: " + ", ".join(
                     f"{k} {v}" for k, v in sorted(self.kinds.items()))
                 + f"; slowest case {self.slowest[1]}: {self.slowest[0]:.1f} s"]
        lines += [f"  {n:>5}× {c}" for c, n in causes.most_common()]
        return "\n".join(lines)


def _kind(reasons: list[str]) -> str:
    r = reasons[0]
    for word in ("internal error", "traceback", "signal", "timeout"):
        if word in r:
            return word
    return "contract" if r.startswith(("exit", "temporary")) else "accounting"


def run_case(case: Case, driver: Driver, workdir: Path, timeout: float
             ) -> tuple[list[str], str, list[str]]:
    """Run one case in a fresh folder; (broken promises, stderr, argv)."""
    shutil.rmtree(workdir / "case", ignore_errors=True)
    folder = workdir / "case"
    (folder / "out").mkdir(parents=True)
    path = folder / f"in{case.suffix}"
    path.write_bytes(case.data)
    argv = case.argv(path, folder / "out")
    runner = run_process if case.real_process else driver.ask
    code, out, err = runner(argv, timeout)
    reasons = ([f"exit {code}"] if code == "timeout" else
               verdict(code, out, err, command=case.command, target=case.target,
                       outdir=folder / "out" if case.command == "convert" else None,
                       stem="in", ext=EXT[case.target]))
    return reasons, err, argv


def campaign(seed: int, seconds: float, corpus: list[Path], *, sizes: Sizes | None = None,
             timeout: float = 60, subprocess_every: int = 8, keep: Path | None = None,
             first: int = 0) -> Stats:
    """Run cases ``first``, ``first+1``, … of ``seed`` until ``seconds`` have passed."""
    sizes = sizes or Sizes()
    stats = Stats()
    end = time.monotonic() + seconds
    with tempfile.TemporaryDirectory(prefix="salesfmt-fuzz-") as tmp:
        workdir = Path(tmp)
        driver = Driver(workdir)
        try:
            i = first
            while time.monotonic() < end:
                case = make_case(seed, i, corpus, sizes, subprocess_every)
                started = time.monotonic()
                reasons, err, argv = run_case(case, driver, workdir, timeout)
                stats.slowest = max(stats.slowest, (time.monotonic() - started, case.ident))
                stats.cases += 1
                stats.real_processes += case.real_process
                if reasons:
                    finding = Finding(case, reasons, err, argv)
                    stats.findings.append(finding)
                    stats.kinds[_kind(reasons)] += 1
                    if keep is not None:
                        _keep(keep, finding)
                i += 1
        finally:
            driver.close()
    return stats


def _keep(folder: Path, f: Finding) -> None:
    """Save a failing input and how to replay it (SALESFMT_FUZZ_OUT)."""
    name = f.case.ident.replace(":", "-")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}{f.case.suffix}").write_bytes(f.case.data)
    (folder / f"{name}.json").write_text(json.dumps({
        "case": f.case.ident, "origin": f.case.origin, "mutations": f.case.mutations,
        "argv": f.argv, "reasons": f.reasons, "cause": f.cause, "stderr": f.err[-3000:],
    }, indent=1))
