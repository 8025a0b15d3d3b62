"""The coordinator: routes the inbox, hands the files to workers, and alone touches the
ledger. In job order it checks each converted file against earlier deliveries (ids sent
before, near-duplicates, drift), writes its JSON and HTML reports, reserves its upload
name and publishes the set; a file with ids already sent is held back (reports only).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from salesfmt.batch.config import Deliveries, Route
from salesfmt.batch.crossdelivery import CrossCheck, cross_check
from salesfmt.batch.executors import run_dask, run_local, start_pool
from salesfmt.batch.routing import Routed, inbox_files, route_files
from salesfmt.batch.worker import Job, Outcome, write_reports
from salesfmt.errors import ExitCode, SalesfmtError
from salesfmt.ledger.store import KeyStore
from salesfmt.naming import Ledger, choose_date, default_ledger_path, file_sha256
from salesfmt.outputs import OutputSet, Stage, sweep, temp_prefix
from salesfmt.problems import Severity

__all__ = ["Entry", "BatchRun", "run_batch"]


@dataclass
class Entry:
    """One inbox file in the batch summary."""

    file: str
    route: str | None
    status: str  # converted | held back | failed | unclaimed
    exit: int
    name: str | None = None
    outputs: list[str] = field(default_factory=list)
    report_json: str | None = None
    report_html: str | None = None
    rows_read: int = 0
    rows_out: int = 0
    rows_rejected: int = 0
    errors: int = 0
    warnings: int = 0
    already_sent: int = 0
    drift: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    suggestions: list[tuple[str, float]] = field(default_factory=list)
    seconds: float = 0.0


@dataclass
class BatchRun:
    """The batch: one entry per inbox file, in name order."""

    inbox: Path
    out: Path
    ledger: Path
    entries: list[Entry] = field(default_factory=list)

    @property
    def exit(self) -> int:
        """The worst of the files' exit codes (0 for an empty inbox)."""
        return max((e.exit for e in self.entries), default=int(ExitCode.CLEAN))


def _unclaimed(r: Routed) -> Entry:
    return Entry(str(r.path), None, "unclaimed", int(ExitCode.PROBLEMS),
                 notes=[r.reason], suggestions=r.suggestions)


class _Coordinator:
    """The files' last steps, one at a time, in job order: the only user of the ledger."""

    def __init__(self, out: Path, ledger: Ledger, store: KeyStore, *, today: date,
                 day: date | None, force: bool) -> None:
        self.out, self.ledger, self.store = out, ledger, store
        self.today, self.day, self.force = today, day, force

    def finish(self, outcome: Outcome, route: Route) -> Entry:
        """Check, report, name and publish one converted file."""
        if outcome.error is not None or outcome.result is None:
            return Entry(outcome.path, route.name, "failed", int(ExitCode.ERROR),
                         notes=[outcome.error or "no result"], seconds=outcome.seconds)
        result = outcome.result
        channel = route.channel or result.rules.channel or ""
        cross = cross_check(self.store, outcome, channel, route.name)
        result.problems = cross.problems(result.problems)
        held = cross.blocking > 0
        sending = not held and result.rows_out > 0  # no name for a file with no record
        produced = [Path(p) for p in outcome.produced] if sending else []
        work = Path(outcome.stage)
        with Stage(self.out) as stage:
            staged = []
            for p in produced:
                staged.append(stage.path / p.name)
                os.replace(p, staged[-1])
            reports = [stage.path / "output.report.html", stage.path / "output.report.json"]
            if cross.frames or not all((work / r.name).is_file() for r in reports):
                # problems added here: the reports are rendered again
                write_reports(stage.path, result)
            else:
                for r in reports:
                    os.replace(work / r.name, r)
            name, finals, notes = self._publish(stage, outcome, staged, reports, channel)
        entry = self._entry(outcome, route, cross, name, finals, notes, held)
        if name is not None and outcome.keys:
            self.store.add(result.target.name, cross.scope, name, outcome.keys)
        if outcome.profile is not None:
            self.store.add_profile(route.name, name or Path(outcome.path).name,
                                   outcome.profile)
        return entry

    def _publish(self, stage: Stage, outcome: Outcome, staged: list[Path],
                 reports: list[Path], channel: str) -> tuple[str | None, list[Path], list[str]]:
        result, source = outcome.result, Path(outcome.path)

        def publish(stem: str, ext: str | None) -> list[Path]:
            target = OutputSet(self.out, stem, ext)
            if self.force:  # the HTML report is no member of the set: replaced here
                (self.out / f"{stem}.report.html").unlink(missing_ok=True)
            if staged:
                result.output = target.folder / (stem + staged[0].name[len("output"):])
            return stage.publish([*staged, *reports], "output", target, force=self.force,
                                 protect=source)

        if not staged:  # nothing to send (no good line, or held back): the reports alone
            return None, publish(source.stem, None), []
        day, why = choose_date(result.sale_dates, self.day, self.today)
        digest = file_sha256(*staged)
        ext = outcome.ext
        with self.ledger.reserve(channel, day, folder=self.out, sha256=digest,
                                 source=str(source), ext=ext) as got:
            finals = publish(got.name[: -len(ext)], ext)
        notes = [] if why.startswith(("given", "the file's only")) else [f"name date: {why}"]
        if got.same_content:
            notes.append(f"the same content was already produced as "
                         f"{', '.join(got.same_content)}")
        return got.name, finals, notes

    def _entry(self, outcome: Outcome, route: Route, cross: CrossCheck, name: str | None,
               finals: list[Path], notes: list[str], held: bool) -> Entry:
        result = outcome.result
        p = result.problems
        errors = p.filter(p["severity"] == Severity.ERROR.value).height
        status = "held back" if held else "converted"
        if held:
            notes = [f"held back: {cross.blocking} line(s) carry ids already sent", *notes]
        code = ExitCode.PROBLEMS if errors else ExitCode.CLEAN
        html = next((str(f) for f in finals if f.name.endswith(".report.html")), None)
        rep = next((str(f) for f in finals if f.name.endswith(".report.json")), None)
        outs = [str(f) for f in finals if not f.name.endswith((".report.html", ".report.json"))]
        return Entry(outcome.path, route.name, status, int(code), name, outs, rep, html,
                     result.rows_read, result.rows_out, result.rows_rejected, errors,
                     p.height - errors, cross.sent, cross.drift, [*cross.notes, *notes],
                     seconds=outcome.seconds)


def run_batch(inbox: Path, deliveries: Deliveries, out: Path, *, workers: int,
              scheduler: str | None = None, today: date | None = None,
              day: date | None = None, ledger: Path | None = None, force: bool = False,
              on_done: Callable[[str], None] = lambda name: None,
              on_routed: Callable[[int], None] = lambda n: None,
              on_jobs: Callable[[list[tuple[str, str]]], None] = lambda jobs: None
              ) -> BatchRun:
    """Route, convert (in parallel), check across deliveries, name and publish every file."""
    ledger = Path(ledger or deliveries.ledger or default_ledger_path())
    files = inbox_files(inbox, deliveries.ignore)
    pool = start_pool(min(workers, len(files))) if files and not scheduler else None
    root = None
    stack = contextlib.ExitStack()
    try:
        routed = route_files(files, deliveries)
        on_routed(len(routed))
        entries = {i: _unclaimed(r) for i, r in enumerate(routed) if r.route is None}
        for e in entries.values():
            on_done(Path(e.file).name)
        claimed = [(i, r) for i, r in enumerate(routed) if r.route is not None]
        sweep(out)
        root = Path(tempfile.mkdtemp(prefix=temp_prefix(), suffix=".stage", dir=out))
        jobs = [Job(k, str(r.path), r.route, str(root / f"{k:06d}"), today)
                for k, (_, r) in enumerate(claimed)]
        on_jobs([(Path(j.path).name, j.stage) for j in jobs])

        def done(o: Outcome) -> None:
            on_done(Path(o.path).name)

        outcomes: Iterator[Outcome] = (run_dask(jobs, scheduler, done) if scheduler
                                       else run_local(jobs, workers, done, pool))
        names = stack.enter_context(Ledger(ledger))
        coordinator = _Coordinator(out, names, KeyStore(ledger), today=today or date.today(),
                                   day=day, force=force)
        for outcome in outcomes:
            i, r = claimed[outcome.index]
            try:
                entries[i] = coordinator.finish(outcome, r.route)
            except SalesfmtError as exc:  # e.g. a report already there: this file only
                entries[i] = Entry(outcome.path, r.route.name, "failed", int(exc.exit_code),
                                   notes=[str(exc)], seconds=outcome.seconds)
    finally:
        stack.close()
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)
        if root is not None:
            shutil.rmtree(root, ignore_errors=True)
    return BatchRun(inbox, out, ledger, [entries[i] for i in range(len(routed))])
