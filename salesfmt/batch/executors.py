"""Where the workers run: local processes (``-j N``) or a Dask distributed cluster.

Both yield outcomes in job order (names are handed out in that order, so a batch is
deterministic however the work is spread) and call ``done`` as each file finishes. A
worker that dies never stops the batch: locally, the pool is rebuilt; files that were
running when it broke are retried one per process, so the one that kills its process is
named and the others convert.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from salesfmt.batch.worker import Job, Outcome, convert_job, warm_up
from salesfmt.errors import SalesfmtError

__all__ = ["run_local", "run_dask", "start_pool", "DIED"]

DIED = ("internal error: the worker converting this file died (killed by the system, out "
        "of memory, or a crash in a native library)")


def _in_order(outcomes: Iterable[Outcome], n: int) -> Iterator[Outcome]:
    """Re-order outcomes arriving in any order to job order, yielding as soon as possible."""
    ready: dict[int, Outcome] = {}
    nxt = 0
    for out in outcomes:
        ready[out.index] = out
        while nxt in ready:
            yield ready.pop(nxt)
            nxt += 1
    while nxt < n:  # pragma: no cover - every job yields one outcome
        if nxt in ready:
            yield ready.pop(nxt)
        nxt += 1


def _died(job: Job) -> Outcome:
    return Outcome(job.index, job.path, job.route.name, error=DIED)


def _pool(workers: int) -> ProcessPoolExecutor:
    # spawn: a forked child of a process running polars' thread pool can deadlock
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


def start_pool(workers: int) -> ProcessPoolExecutor:
    """A local pool whose workers start (and import salesfmt) right away, while the
    coordinator routes the inbox."""
    pool = _pool(max(1, workers))
    for _ in range(max(1, workers)):
        pool.submit(warm_up)
    return pool


def _local(jobs: list[Job], workers: int, done: Callable[[Outcome], None],
           first: ProcessPoolExecutor | None) -> Iterator[Outcome]:
    todo = list(jobs)
    suspects: list[Job] = []
    while todo:
        broken: list[Job] = []
        pool, first = first or _pool(min(workers, len(todo))), None
        with pool:
            futures: dict[Future[Outcome], Job] = {pool.submit(convert_job, j): j
                                                   for j in todo}
            pending = set(futures)
            while pending:
                finished, pending = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    try:
                        out = fut.result()
                    except BrokenProcessPool:
                        broken.append(futures[fut])
                        continue
                    done(out)
                    yield out
        started = [j for j in broken if Path(j.stage).exists()]
        suspects += started
        todo = [j for j in broken if j not in started]  # never began: a fresh pool
    for job in suspects:  # one process each: only the file that kills it fails
        with _pool(1) as pool:
            try:
                out = pool.submit(convert_job, job).result()
            except BrokenProcessPool:
                out = _died(job)
        done(out)
        yield out


def run_local(jobs: list[Job], workers: int,
              done: Callable[[Outcome], None] = lambda o: None,
              pool: ProcessPoolExecutor | None = None) -> Iterator[Outcome]:
    """Convert ``jobs`` on ``workers`` local processes (in ``pool`` when one was started);
    outcomes in job order."""
    return _in_order(_local(jobs, max(1, workers), done, pool), len(jobs))


def _dask(jobs: list[Job], address: str, done: Callable[[Outcome], None]) -> Iterator[Outcome]:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise SalesfmtError("--scheduler needs Dask: pip install 'salesfmt[dask]'") from None
    try:
        client = Client(address, timeout="20s")
    except Exception as exc:  # noqa: BLE001 — OSError, TimeoutError, ValueError (bad address)
        raise SalesfmtError(f"cannot reach the Dask scheduler: {exc}", where=address) from None
    try:
        futures = {client.submit(convert_job, j, pure=False, retries=0): j for j in jobs}
        for fut in as_completed(list(futures)):
            job = futures[fut]
            try:
                out = fut.result()
            except Exception as exc:  # noqa: BLE001 — KilledWorker and the like
                out = _died(job)
                out.error = f"{DIED} ({type(exc).__name__})"
            done(out)
            yield out
    finally:
        client.close()


def run_dask(jobs: list[Job], address: str,
             done: Callable[[Outcome], None] = lambda o: None) -> Iterator[Outcome]:
    """Convert ``jobs`` on the Dask cluster at ``address``; outcomes in job order."""
    return _in_order(_dask(jobs, address, done), len(jobs))
