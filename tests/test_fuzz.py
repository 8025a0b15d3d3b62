"""Fuzz the CLI: mutated samples and corpus files, random CSVs, through check and convert.

Every run must keep the exit-code contract and the books (see :mod:`tests.fuzz.oracle`).
Seeded and deterministic per seed. Environment:

* ``SALESFMT_FUZZ_SECONDS`` (default 12, a smoke run that keeps the suite within its time
  budget): the whole budget; a campaign is
  ``SALESFMT_FUZZ_SECONDS=600 pytest -q tests/test_fuzz.py`` (do one before a release and
  after touching readers, parsers or the CLI's error paths).
* ``SALESFMT_FUZZ_SEED`` (default fixed), ``SALESFMT_FUZZ_OUT``: a folder where every
  failing input is kept with its command line and stderr.
* ``SALESFMT_FUZZ_BIG_CELL`` / ``SALESFMT_FUZZ_WIDE``: size of huge cells and wide headers.
"""

from __future__ import annotations

import os
import string
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import CORPUS, TODAY, run_cli
from tests.fuzz.harness import (
    BASES,
    EXT,
    SAMPLES,
    Case,
    Driver,
    Finding,
    campaign,
    corpus_inputs,
    run_case,
)
from tests.fuzz.known import OTHER_BRANCH, known_cause
from tests.fuzz.mutate import VALUES
from tests.fuzz.oracle import verdict

SECONDS = float(os.environ.get("SALESFMT_FUZZ_SECONDS", "12"))
SEED = int(os.environ.get("SALESFMT_FUZZ_SEED", "20261202"))
KEEP = Path(os.environ["SALESFMT_FUZZ_OUT"]) if os.environ.get("SALESFMT_FUZZ_OUT") else None
TIMEOUT = 60.0
REPROS = Path(__file__).parent / "data" / "fuzz_repros"


def _report(findings: list[Finding], known: bool) -> str:
    seen: dict[str, Finding] = {}
    for f in findings:
        seen.setdefault((known_cause(f) if known else None) or f.cause, f)
    return "\n".join(f"- {cause}: {f.reasons} in case {f.case.ident} ({f.case.origin}, "
                     f"{f.case.mutations}): salesfmt {' '.join(f.argv)}\n  {f.err[-300:]!r}"
                     for cause, f in seen.items())


def _judge(findings: list[Finding]) -> None:
    new = [f for f in findings if known_cause(f) is None]
    assert not new, f"{len(new)} fuzz finding(s) with a new cause:\n{_report(new, False)}"
    if findings:
        pytest.xfail(f"{OTHER_BRANCH}: {len(findings)} finding(s) of known causes:\n"
                     + _report(findings, True))


def test_fuzz_campaign() -> None:
    """Mutated sample and corpus files; one case in eight as a real process."""
    stats = campaign(SEED, SECONDS * 0.8, corpus_inputs(CORPUS), timeout=TIMEOUT, keep=KEEP)
    print(stats.summary())
    assert stats.cases > 0
    _judge(stats.findings)


CSV_SAMPLES = sorted(s for s in BASES if s.endswith(".csv"))
_cell = st.one_of(st.sampled_from(VALUES), st.text(max_size=12),
                  st.text(string.digits + ".,-€$ ", max_size=10))


@pytest.fixture(scope="module")
def driver(tmp_path_factory: pytest.TempPathFactory):
    workdir = tmp_path_factory.mktemp("fuzz")
    drv = Driver(workdir)
    yield drv, workdir
    drv.close()


@settings(max_examples=max(10, int(SECONDS / 6)), deadline=None, derandomize=True,
          database=None, suppress_health_check=list(HealthCheck))
@given(sample=st.sampled_from(CSV_SAMPLES), command=st.sampled_from(["check", "convert"]),
       delim=st.sampled_from([",", ";", "\t", "|"]), eol=st.sampled_from(["\n", "\r\n"]),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
       rows=st.lists(st.lists(_cell, max_size=20), max_size=12))
def test_random_csvs(driver, sample: str, command: str, delim: str, eol: str, encoding: str,
                     rows: list[list[str]]) -> None:
    """A real partner header (so the rules apply) over random cells, quoted as CSV does."""
    drv, workdir = driver
    first = (SAMPLES / sample).read_bytes().decode("cp1252", "replace").splitlines()[0]
    header = first.split(max([",", ";", "\t"], key=first.count))

    def quote(v: str) -> str:
        return '"' + v.replace('"', '""') + '"' if any(c in v for c in f'{delim}"\r\n') else v

    lines = [delim.join(quote(h) for h in header)]
    lines += [delim.join(quote(v) for v in row) for row in rows]
    raw = (eol.join(lines) + eol).encode(encoding, "replace")
    rules, target = BASES[sample]
    case = Case(f"hypothesis:{sample}", raw, ".csv", sample, ["hypothesis"], command, rules,
                target)
    reasons, err, argv = run_case(case, drv, workdir, TIMEOUT)
    finding = Finding(case, reasons, err, argv) if reasons else None
    assert finding is None or known_cause(finding), _report([finding], False)


def _repro_cases() -> list:
    cases = yaml.safe_load((REPROS / "cases.yaml").read_text(encoding="utf-8"))
    return [pytest.param(c, id=c["name"], marks=[pytest.mark.xfail(
        strict=False, reason=c["xfail"])] if c.get("xfail") else [])
        for c in cases]


@pytest.mark.parametrize("case", _repro_cases())
def test_fuzz_repro(case: dict, tmp_path: Path) -> None:
    """Every distinct cause the campaigns found, kept as a regression case."""
    src = tmp_path / case["file"]
    src.write_bytes((REPROS / case["file"]).read_bytes())
    out = tmp_path / "out"
    out.mkdir()
    command = case.get("command", "check")
    rules = str(REPROS / case["rules"]) if case["rules"].endswith(".yaml") else case["rules"]
    args = [command, src, "-r", rules, "-t", case["target"], "--today", TODAY,
            "--with-source", *case.get("args", [])]
    args += ["--format", "json"] if command == "check" else ["-o", f"{out}{os.sep}"]
    res = run_cli(*args, timeout=120, allow_internal=True)
    bad = verdict(res.code, res.out, res.err, command=command, target=case["target"],
                  outdir=out if command == "convert" else None, stem=src.stem,
                  ext=EXT[case["target"]])
    assert not bad, f"{bad}: {res.err[-500:]}"
    assert res.code in case.get("codes", [0, 1, 2]), res.err[-500:]
