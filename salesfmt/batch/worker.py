"""One inbox file converted on a worker (a local process or a Dask worker).

The worker converts into its own staging folder (inside the coordinator's hidden one in
OUT), reads the keys and the profile back, and returns a picklable :class:`Outcome`; it
never touches the ledger nor names anything. Every failure is an outcome, never an
exception: a file that cannot be read or crashes the run is one entry of the summary.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import time
import warnings
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from salesfmt.batch.config import Route
from salesfmt.errors import SalesfmtError
from salesfmt.ledger.drift import profile
from salesfmt.ledger.keys import align_lines, read_keys
from salesfmt.outputs import OutputSet
from salesfmt.pipeline import run
from salesfmt.report import ReportFormat, render
from salesfmt.result import Result
from salesfmt.rules import load_rules
from salesfmt.targets import load_target
from salesfmt.targets.serializers import extension

__all__ = ["Job", "Outcome", "convert_job", "warm_up", "write_reports", "CRASH_ENV"]

#: Fault injection for tests: a worker given this file name dies by SIGKILL.
CRASH_ENV = "SALESFMT_BATCH_TEST_CRASH"


@dataclass(frozen=True)
class Job:
    """What a worker needs: the file, its route, where to stage, and the run's dates."""

    index: int
    path: str
    route: Route
    stage: str
    today: date | None = None


@dataclass
class Outcome:
    """A worker's answer. ``error`` set: the file failed (exit 2), nothing was produced."""

    index: int
    path: str
    route: str
    result: Result | None = None
    produced: list[str] = field(default_factory=list)
    ext: str = ""
    keys: dict[str, pl.DataFrame] | None = None
    profile: dict[str, Any] | None = None
    error: str | None = None
    seconds: float = 0.0
    stage: str = ""  # where the worker left its files (reports too)


def _portable(result: Result) -> Result:
    """The result without the reader's open handles, so it pickles."""
    source = dataclasses.replace(result.source, _batches=None, _cleanup=[])
    return dataclasses.replace(result, source=source)


def _convert(job: Job) -> Outcome:
    route = job.route
    rules = load_rules(route.rules)
    target = load_target(route.target, route.variant)
    ext = extension(target)
    stage = Path(job.stage)
    result = run(job.path, rules, target, today=job.today, output=stage / f"output{ext}")
    produced = OutputSet(stage, "output", ext).members() if result.output else []
    got = read_keys(target.name, produced)
    keys, amount = got if got is not None else (None, None)
    if keys:
        errors = result.errors.filter(pl.col("line").is_not_null())["line"]
        keys = align_lines(keys, errors)
    prof = profile(result, Path(job.path), amount)
    write_reports(stage, result)  # the coordinator re-renders them only if it adds problems
    return Outcome(job.index, job.path, route.name, _portable(result),
                   [str(p) for p in produced], ext, keys, prof)


def write_reports(stage: Path, result: Result) -> list[Path]:
    """The JSON (server envelope, with sources) and HTML (partner's) reports, staged."""
    html = stage / "output.report.html"
    html.write_text(render(ReportFormat.HTML, result, audience="partner"), encoding="utf-8")
    report = stage / "output.report.json"
    report.write_text(render(ReportFormat.JSON, result, with_source=True), encoding="utf-8")
    return [html, report]


def warm_up() -> None:
    """Nothing: submitted once per worker so that it starts (and imports this) early."""


def convert_job(job: Job) -> Outcome:
    """Convert one file; any failure becomes the outcome's one-line ``error``."""
    start = time.monotonic()
    Path(job.stage).mkdir(parents=True, exist_ok=True)  # also marks the job as started
    if os.environ.get(CRASH_ENV) and Path(job.path).name == os.environ[CRASH_ENV]:
        os.kill(os.getpid(), signal.SIGKILL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            out = _convert(job)
    except SalesfmtError as exc:
        out = Outcome(job.index, job.path, job.route.name, error=str(exc))
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 — a Rust panic too: one line, the batch goes on
        text = (str(exc).strip().splitlines() or [""])[0]
        out = Outcome(job.index, job.path, job.route.name,
                      error=f"internal error: {type(exc).__name__}: {text}")
    out.seconds, out.stage = time.monotonic() - start, job.stage
    return out
