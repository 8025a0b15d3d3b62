"""The CLI's last-resort net: native stderr kept off the terminal, every error one line.

Rust code (polars, calamine) writes straight to file descriptor 2: panic notes
("thread '…' panicked at …", backtraces) and capping notices. While a command runs, fd 2
goes to a temporary sink and Python's ``sys.stderr`` to a copy of the real fd 2, so the
contract holds: what the user sees on stderr is ours, and an error is one line.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterator

__all__ = ["library_noise_off", "native_stderr_sink", "one_line", "panic_line"]

_SINK_READ = 64 * 1024
_MAX_LINE = 400
_PANIC_AT = re.compile(r"panicked at (\S+?):?\s*$", re.M)


def one_line(text: str, *, first_only: bool = False, limit: int = _MAX_LINE) -> str:
    """``text`` on one line: lines joined with ' ' (or only the first non-empty), capped."""
    lines = [ln.strip() for ln in str(text).splitlines() if ln.strip()]
    joined = (lines[0] if lines else "") if first_only else " ".join(lines)
    return joined if len(joined) <= limit else joined[: limit - 1] + "…"


def panic_line(exc: BaseException, native: str) -> str:
    """One line for a Rust panic: its message and, when the sink has it, where it happened."""
    where = _PANIC_AT.search(native)
    at = f" (at {where.group(1)})" if where else ""
    return one_line(f"Rust panic{at}: {one_line(str(exc), first_only=True) or 'no message'}")


@contextlib.contextmanager
def library_noise_off() -> Iterator[None]:
    """Libraries' log records and Python warnings stay off stderr for the block.

    calamine logs through Python logging (``calamine.ods``: "row repeat count capped"),
    which, with no handler configured, prints the bare message on stderr.
    """
    root = logging.getLogger()
    handler = logging.NullHandler()
    root.addHandler(handler)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        root.removeHandler(handler)


@contextlib.contextmanager
def native_stderr_sink() -> Iterator[Callable[[], str]]:
    """Route fd 2 to a temporary file for the block; yields a reader of what landed there.

    ``sys.stderr`` keeps writing to the real stderr when it is the process's fd 2; a
    replaced ``sys.stderr`` (a test capturing it) is left alone.
    """
    try:
        saved = os.dup(2)
    except OSError:  # no fd 2 at all: nothing to protect
        yield lambda: ""
        return
    sink = tempfile.TemporaryFile()  # noqa: SIM115 — closed in the finally below
    old_stderr = sys.stderr
    ours: io.TextIOWrapper | None = None
    try:
        is_fd2 = old_stderr is not None and old_stderr.fileno() == 2
    except (AttributeError, OSError, ValueError):
        is_fd2 = False
    if is_fd2:
        old_stderr.flush()
        ours = open(os.dup(saved), "w", encoding=old_stderr.encoding,  # noqa: SIM115
                    errors=old_stderr.errors, buffering=1)
        sys.stderr = ours

    def read() -> str:
        sink.flush()
        sink.seek(0)
        return sink.read(_SINK_READ).decode("utf-8", "replace")

    os.dup2(sink.fileno(), 2)
    try:
        yield read
    finally:
        if ours is not None:
            with contextlib.suppress(Exception):
                ours.flush()
            sys.stderr = old_stderr
            with contextlib.suppress(Exception):
                ours.close()
        os.dup2(saved, 2)
        os.close(saved)
        sink.close()
