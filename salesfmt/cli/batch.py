"""``salesfmt batch INBOX --config deliveries.yaml -o OUT``: a week of deliveries in one run."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import click

from salesfmt.batch import load_deliveries, run_batch
from salesfmt.batch.summary import summary_html, summary_json, summary_table
from salesfmt.cli import cli
from salesfmt.cli._options import parse_day, parse_today
from salesfmt.errors import InputError, OutputError
from salesfmt.outputs import refuse_existing, write_file

__all__ = ["batch"]

SUMMARY_JSON = "batch.json"
INDEX_HTML = "index.html"
#: A file converting for longer than this (seconds) is named on the progress bar.
SLOW = 1.0


class _Bar:
    """The batch's progress bar (tqdm) on stderr: only on a terminal, never in captured
    output, off with ``--no-progress``. Files converting for over :data:`SLOW` seconds
    are named on the bar with their time (a worker marks a file started by creating its
    staging folder)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.bar: Any = None
        self.jobs: dict[str, Path] = {}
        self.started: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, total: int) -> None:
        if self.enabled and total:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="file", file=sys.stderr, leave=False,
                            dynamic_ncols=True, mininterval=0.2)

    def watch(self, jobs: list[tuple[str, str]]) -> None:
        """Follow these (file name, staging folder) jobs: the slow ones show on the bar."""
        if self.bar is None:
            return
        self.jobs = {name: Path(stage) for name, stage in jobs}
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()

    def _loop(self) -> None:
        while not self._stop.wait(0.5):
            now = time.monotonic()
            for name, stage in list(self.jobs.items()):
                if name not in self.started and stage.exists():
                    self.started[name] = now
            slow = [f"{n} {now - t:.0f} s" for n, t in self.started.items()
                    if n in self.jobs and now - t > SLOW]
            self.bar.set_postfix_str("converting " + ", ".join(slow[:3]) if slow else "")

    def done(self, name: str) -> None:
        self.jobs.pop(name, None)
        if self.bar is not None:
            self.bar.update(1)

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        if self.bar is not None:
            self.bar.close()


@cli.command()
@click.argument("inbox", type=click.Path(path_type=Path))
@click.option("--config", "-c", "config", required=True, type=click.Path(path_type=Path),
              help="deliveries.yaml: routes of files to rules, target and channel.")
@click.option("-o", "--output", "out", required=True, type=click.Path(path_type=Path),
              help="Output folder (created): converted files, their reports, index.html.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None,
              help="Local worker processes [default: one per core].")
@click.option("--scheduler", default=None, metavar="ADDRESS",
              help="Run on a Dask distributed scheduler (e.g. tcp://host:8786) instead of "
                   "local processes; OUT must be on a file system the workers share.")
@click.option("--ledger", default=None, type=click.Path(path_type=Path), metavar="PATH",
              help="Ledger of names and ids sent [default: the deliveries file's ledger:, "
                   "$SALESFMT_LEDGER, else ~/.local/state/salesfmt/ledger.sqlite].")
@click.option("--date", "day", callback=parse_day, default=None, metavar="DD-MM-YYYY",
              help="Date in the upload names [default: each file's one sales day, else "
                   "today].")
@click.option("--today", callback=parse_today, default=None, metavar="YYYY-MM-DD",
              help="Fix 'today' for future-date checks (default: the real date).")
@click.option("--force", is_flag=True, help="Overwrite an earlier batch's index.html and "
                                            "batch.json (and reports) in OUT.")
@click.option("--no-progress", is_flag=True, help="No progress bar on stderr.")
def batch(inbox: Path, config: Path, out: Path, jobs: int | None, scheduler: str | None,
          ledger: Path | None, day: Any, today: Any, force: bool, no_progress: bool) -> None:
    """Convert every file of INBOX as deliveries.yaml routes it; summary on stdout."""
    if not inbox.is_dir():
        raise InputError("not a folder", where=str(inbox))
    deliveries = load_deliveries(config)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder ({exc.strerror or exc})",
                          where=str(out)) from None
    for name in (SUMMARY_JSON, INDEX_HTML):
        refuse_existing(out / name, force=force)
    bar = _Bar(not no_progress)
    try:
        run = run_batch(inbox, deliveries, out, workers=jobs or os.cpu_count() or 1,
                        scheduler=scheduler, today=today, day=day, ledger=ledger,
                        force=force, on_done=bar.done, on_routed=bar.start,
                        on_jobs=bar.watch)
    finally:
        bar.close()
    write_file(out / SUMMARY_JSON, summary_json(run).encode("utf-8"), force=force)
    write_file(out / INDEX_HTML, summary_html(run).encode("utf-8"), force=force)
    click.echo(summary_table(run))
    click.echo(f"summary: {out / INDEX_HTML} (and {SUMMARY_JSON})", err=True)
    raise click.exceptions.Exit(run.exit)
